#!/usr/bin/env bash
# Makes sure this machine has what building, running and testing Quire need, and installs what is
# missing from Debian's archive when it can (as root, with apt-get). When it cannot, it prints the
# exact command to run and fails. `make` runs it once (stamp build/.deps-ok); run it by hand with
# --check to only report.
set -euo pipefail

check_only=0
[[ "${1:-}" == "--check" ]] && check_only=1

# tool-or-file  debian-package
requirements=(
	"cmd:clang clang"
	"cmd:ld.lld lld"
	"cmd:objcopy binutils"
	"cmd:nm binutils"
	"cmd:clang-format clang-format"
	"cmd:make make"
	"cmd:qemu-system-x86_64 qemu-system-x86"
	"cmd:mformat mtools"
	"cmd:mcopy mtools"
	"cmd:mkfs.fat dosfstools"
	"cmd:sfdisk fdisk"
	"cmd:cpio cpio"
	"cmd:gdb gdb"
	"file:/usr/include/efi/efi.h gnu-efi"
	"file:/usr/lib/crt0-efi-x86_64.o gnu-efi"
	"file:/usr/lib/elf_x86_64_efi.lds gnu-efi"
	"file:/usr/share/OVMF/OVMF_CODE_4M.fd ovmf"
	"file:/usr/share/OVMF/OVMF_VARS_4M.fd ovmf"
	"file:/usr/include/cmocka.h libcmocka-dev"
	"file:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a libclang-rt-14-dev"
	"cmd:pnmtopng netpbm"
	"file:/usr/share/consolefonts/Lat15-Terminus18x10.psf.gz console-setup-linux"
)

missing=()
for req in "${requirements[@]}"; do
	what=${req%% *}
	pkg=${req##* }
	case "$what" in
	cmd:*) command -v "${what#cmd:}" >/dev/null 2>&1 && continue ;;
	file:*) [[ -e "${what#file:}" ]] && continue ;;
	esac
	[[ " ${missing[*]-} " == *" $pkg "* ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
	exit 0
fi

install_cmd="apt-get install -y --no-install-recommends ${missing[*]}"
echo "deps: missing Debian packages: ${missing[*]}" >&2
if [[ $check_only -eq 1 ]]; then
	exit 1
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: cannot install them from here; run as root:" >&2
	echo "    apt-get update && $install_cmd" >&2
	exit 1
fi
echo "deps: installing: $install_cmd" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq </dev/null >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >&2
exec "$0" --check
