#!/usr/bin/env bash
# Boots a Quire disk image under QEMU with OVMF: q35, TCG (KVM fails inside OVMF on the machines
# Quire is developed on), the firmware code read-only, a private writable copy of its variables,
# and QEMU's isa-debug-exit device at 0xf4 so the guest can end the run with a verdict.
#
# Usage: run-qemu.sh --image IMG [options] [-- extra QEMU arguments]
#   --cmdline TEXT     boot a private copy of IMG whose \quire\cmdline is TEXT
#   --kernel FILE      ... whose \quire\kernel.elf is FILE;  --no-kernel: ... without one
#   --serial DEST      stdio (default) or a file path for the serial log
#   --timeout SECONDS  kill QEMU after this long (exit status 124)
#   --display          a window when a display exists (otherwise -display none)
#   --gdb              halt at the first instruction and wait for gdb on localhost:1234
#   --icount           deterministic timing: one guest TSC tick per guest instruction
#   --qmp PATH         a QMP socket at PATH (screenshots)
# Environment: QEMU_MEM (default 256M), QEMU_SMP (default 1), QEMU_MACHINE (default q35),
# QEMU_CPU (default max).
# Exit status: QEMU's own: (code << 1) | 1 for a guest verdict through isa-debug-exit
# (sysroot/include/quire/debug_exit.h), 0 for a reset/triple fault, 124 for a timeout.
set -euo pipefail

OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}

image= cmdline= have_cmdline=0 kernel= no_kernel=0 serial=stdio timeout_s=0
display=0 gdb=0 icount=0 qmp=
extra=()
while [[ $# -gt 0 ]]; do
	case "$1" in
	--image) image=$2; shift 2 ;;
	--cmdline) cmdline=$2; have_cmdline=1; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--no-kernel) no_kernel=1; shift ;;
	--serial) serial=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--display) display=1; shift ;;
	--gdb) gdb=1; shift ;;
	--icount) icount=1; shift ;;
	--qmp) qmp=$2; shift 2 ;;
	--) shift; extra=("$@"); break ;;
	*) echo "run-qemu: unknown argument: $1" >&2; exit 2 ;;
	esac
done
[[ -n "$image" ]] || { echo "run-qemu: --image IMG is required" >&2; exit 2; }
[[ -f "$image" ]] || { echo "run-qemu: no image at $image (run make first)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/quire-qemu.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$OVMF_VARS" "$work/vars.fd"

# Per-run changes go into a private copy, never into the built image; the guest's own writes go to
# a temporary overlay (snapshot=on), so concurrent runs can share one image.
disk=$image
if [[ $have_cmdline -eq 1 || -n "$kernel" || $no_kernel -eq 1 ]]; then
	disk="$work/disk.img"
	cp --sparse=always "$image" "$disk"
	export MTOOLS_SKIP_CHECK=1
	if [[ $have_cmdline -eq 1 ]]; then
		printf '%s\n' "$cmdline" | mcopy -o -i "$disk@@1M" - ::/quire/cmdline
	fi
	if [[ -n "$kernel" ]]; then
		mcopy -o -i "$disk@@1M" "$kernel" ::/quire/kernel.elf
	fi
	if [[ $no_kernel -eq 1 ]]; then
		mdel -i "$disk@@1M" ::/quire/kernel.elf
	fi
fi

cpu=${QEMU_CPU:-max}
# Bit-identical runs need no host entropy: RDRAND/RDSEED would differ from run to run.
[[ $icount -eq 1 ]] && cpu="max,-rdrand,-rdseed"
args=(
	-machine "${QEMU_MACHINE:-q35}" -accel tcg -cpu "$cpu"
	-m "${QEMU_MEM:-256M}" -smp "${QEMU_SMP:-1}"
	-drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE"
	-drive "if=pflash,format=raw,file=$work/vars.fd"
	-drive "format=raw,file=$disk,snapshot=on"
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
	-nic none -no-reboot
)
if [[ "$serial" == stdio ]]; then
	args+=(-serial stdio)
else
	args+=(-serial "file:$serial")
fi
# QEMU's default display opens a window; without a display the GOP framebuffer still exists.
if [[ $display -eq 0 || -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
	args+=(-display none)
fi
[[ $gdb -eq 1 ]] && args+=(-s -S)
[[ $icount -eq 1 ]] && args+=(-icount shift=0,align=off,sleep=off
	-rtc base=2024-01-01T00:00:00,clock=vm)
[[ -n "$qmp" ]] && args+=(-qmp "unix:$qmp,server,nowait")
args+=("${extra[@]}")

cmd=(qemu-system-x86_64 "${args[@]}")
[[ "$timeout_s" != 0 ]] && cmd=(timeout --foreground -k 5 "$timeout_s" "${cmd[@]}")
if [[ "$serial" == stdio ]]; then
	# Interactive: QEMU owns the terminal, and Ctrl-C reaches it directly.
	status=0
	"${cmd[@]}" || status=$?
	exit $status
fi
# Unattended: a runner that stops this script (SIGTERM) must stop QEMU too, not leave it running
# until its timeout. Waiting in the background lets the trap run while QEMU does.
"${cmd[@]}" </dev/null &
child=$!
trap 'kill -TERM $child 2>/dev/null' TERM INT HUP
while :; do
	status=0
	wait $child || status=$?
	kill -0 $child 2>/dev/null || break
done
exit $status
