#!/usr/bin/env bash
# `make debug`: starts QEMU halted at the first instruction with a gdb stub, and gdb attached to it
# with the kernel's symbols loaded and a hardware breakpoint on kmain (hardware, because the kernel
# is not in memory yet when gdb starts: the loader copies it in later). The serial log goes to
# BUILD/debug-serial.log; `tail -f` it in another terminal. In gdb:
#   continue                 boot until kmain
#   quire-loader-symbols     load the loader's symbols at the address OVMF loaded it (read from
#                            the loader's "image base" line in the serial log)
# Usage: debug.sh --image IMG --kernel ELF --loader LOADER.so [--cmdline TEXT] [--port N]
set -euo pipefail

image= kernel= loader= port=1234
cmdline_args=()
while [[ $# -gt 0 ]]; do
	case "$1" in
	--image) image=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--loader) loader=$2; shift 2 ;;
	--cmdline) cmdline_args=(--cmdline "$2"); shift 2 ;;
	--port) port=$2; shift 2 ;;
	*) echo "debug: unknown argument: $1" >&2; exit 2 ;;
	esac
done
here=$(cd "$(dirname "$0")" && pwd)
command -v gdb >/dev/null || { echo "debug: gdb is missing: apt-get install -y gdb" >&2; exit 1; }
log="$(dirname "$image")/debug-serial.log"
: >"$log"

"$here/run-qemu.sh" --image "$image" "${cmdline_args[@]}" --serial "$log" \
	-- -gdb "tcp:127.0.0.1:$port" -S </dev/null &
qemu=$!
trap 'kill $qemu 2>/dev/null; wait $qemu 2>/dev/null' EXIT
echo "debug: QEMU halted, gdb stub on 127.0.0.1:$port, serial log in $log"

QUIRE_SERIAL_LOG=$log QUIRE_LOADER_SO=$loader gdb -q \
	-ex "source $here/quire-gdb.py" \
	-ex "file $kernel" \
	-ex "target remote 127.0.0.1:$port" \
	-ex "hbreak kmain"
