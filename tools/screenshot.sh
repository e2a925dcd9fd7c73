#!/usr/bin/env bash
# Takes a picture of user/draw's test scene in QEMU: boots IMG with the kernel command line
# "video=WxH run=draw:--scene-only" (tools/run-qemu.sh, with a QMP socket), waits for draw's
# "draw: scene ready" line in the serial log, has QEMU dump the screen as a binary PPM (QMP
# screendump, through the qmp client of tools/qmp.c), ends QEMU, and with --png converts the PPM
# with pnmtopng (netpbm): QEMU 7.2's own PNG output swaps red and blue. `make screenshot` and the
# screenshot scenarios of tools/run-suite.sh use it.
#
# Usage: screenshot.sh --image IMG --size WxH --ppm OUT.ppm --qmp-client PATH [--png OUT.png]
#                      [--log SERIAL.log] [--timeout SECONDS]
# Exit status: 0 when the picture was taken (and is WxH); 1 otherwise, with the reason and the
# end of the serial log on stderr; 2 for bad arguments.
set -euo pipefail

image= size= ppm= png= log= qmp= timeout_s=180
while [[ $# -gt 0 ]]; do
	case "$1" in
	--image) image=$2; shift 2 ;;
	--size) size=$2; shift 2 ;;
	--ppm) ppm=$2; shift 2 ;;
	--png) png=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--qmp-client) qmp=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	*) echo "screenshot: unknown argument: $1" >&2; exit 2 ;;
	esac
done
if [[ -z "$image" || -z "$ppm" || -z "$qmp" || ! "$size" =~ ^[1-9][0-9]*x[1-9][0-9]*$ ]]; then
	echo "usage: screenshot.sh --image IMG --size WxH --ppm OUT.ppm --qmp-client PATH" \
		"[--png OUT.png] [--log FILE] [--timeout SECONDS]" >&2
	exit 2
fi
[[ -x "$qmp" ]] || { echo "screenshot: no QMP client at $qmp (run make first)" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/quire-shot.XXXXXX")
log=${log:-$work/serial.log}
mkdir -p "$(dirname "$ppm")" "$(dirname "$log")"
# QEMU writes the dump itself: give it an absolute path, free of characters JSON would escape.
ppm_abs=$(cd "$(dirname "$ppm")" && pwd)/$(basename "$ppm")
[[ "$ppm_abs" != *[\"\\]* ]] || { echo "screenshot: unusable path $ppm_abs" >&2; exit 2; }
rm -f "$ppm"
: >"$log"

pid=
cleanup() {
	[[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

fail() {
	echo "screenshot: $1" >&2
	echo "  --- last lines of $log:" >&2
	tr -d '\r' <"$log" | tail -n 15 | sed 's/^/  | /' >&2
	exit 1
}

"$here/run-qemu.sh" --image "$image" --cmdline "video=$size run=draw:--scene-only" \
	--serial "$log" --timeout "$timeout_s" --qmp "$work/qmp.sock" </dev/null >/dev/null 2>&1 &
pid=$!
ready=0
for ((i = 0; i < timeout_s * 4; i++)); do
	if tr -d '\r' <"$log" | grep -c 'draw: scene ready' >/dev/null; then
		ready=1
		break
	fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.25
done
[[ $ready -eq 1 ]] || fail "no 'draw: scene ready' in the serial log (QEMU ended or timed out)"
"$qmp" --timeout 60 "$work/qmp.sock" \
	"{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"$ppm_abs\"}}" \
	'{"execute":"quit"}' >/dev/null || fail "the QMP screendump failed"
wait "$pid" 2>/dev/null || true
pid=

header=$(head -c 32 "$ppm" 2>/dev/null | tr '\n' ' ' | cut -d' ' -f1-3)
[[ "$header" == "P6 ${size%x*} ${size#*x}" ]] ||
	fail "the screendump is '$header', not a ${size} P6 picture (was video=$size honoured?)"
if [[ -n "$png" ]]; then
	mkdir -p "$(dirname "$png")"
	pnmtopng "$ppm" >"$png.tmp" 2>/dev/null && mv "$png.tmp" "$png" ||
		{ rm -f "$png.tmp"; fail "pnmtopng could not convert $ppm"; }
	echo "screenshot: $png (${size})"
else
	echo "screenshot: $ppm (${size})"
fi
