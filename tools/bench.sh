#!/usr/bin/env bash
# `make bench`: boots the built image with `bench` on the kernel command line under the fixed,
# deterministic QEMU settings of docs/benchmarks.md, collects the kernel's "BENCH <name> <value>
# <unit>" lines from the serial log, prints them as a table and writes them to OUT (JSON).
# Builds nothing: the make target depends on the image.
#
# The settings are exactly those other kernels are measured with (issue 8):
#   -machine q35 -cpu max,-rdrand,-rdseed -smp 1 -m 512M -accel tcg
#   -icount shift=0,align=off,sleep=off -rtc base=2024-01-01T00:00:00,clock=vm
# run-qemu.sh --icount supplies the -cpu, -icount and -rtc parts; QEMU_MEM/QEMU_SMP the rest.
# Under icount one guest TSC tick is one guest instruction, so the figures are instruction counts.
# Usage: bench.sh --image IMG --out build/bench.json [--log FILE] [--cmdline EXTRA]
set -euo pipefail

image= out= log= extra=
while [[ $# -gt 0 ]]; do
	case "$1" in
	--image) image=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--cmdline) extra=$2; shift 2 ;;
	*) echo "bench: unknown argument: $1" >&2; exit 2 ;;
	esac
done
[[ -n "$image" && -n "$out" ]] || { echo "usage: bench.sh --image IMG --out FILE.json" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
log=${log:-$(dirname "$out")/bench.log}
mkdir -p "$(dirname "$out")" "$(dirname "$log")"

status=0
QEMU_MEM=512M QEMU_SMP=1 QEMU_MACHINE=q35 "$here/run-qemu.sh" --image "$image" --icount \
	--cmdline "bench${extra:+ $extra}" --serial "$log" --timeout "${BENCH_TIMEOUT:-600}" \
	</dev/null || status=$?
lines=$(tr -d '\r' <"$log" | grep -E '^BENCH [A-Za-z0-9_]+ [0-9.]+ [a-z]+$' || true)
if [[ $status -ne 33 || -z "$lines" ]]; then
	echo "bench: the guest did not finish the benchmarks (QEMU status $status); log: $log" >&2
	tr -d '\r' <"$log" | tail -n 20 | sed 's/^/  | /' >&2
	exit 1
fi

printf '%-28s %14s  %s\n' benchmark median unit
printf '%-28s %14s  %s\n' ---------------------------- -------------- -----
while read -r _ name value unit; do
	printf '%-28s %14s  %s\n' "$name" "$value" "$unit"
done <<<"$lines"

{
	echo '{'
	echo '  "qemu": "-machine q35 -cpu max,-rdrand,-rdseed -smp 1 -m 512M -accel tcg -icount shift=0,align=off,sleep=off -rtc base=2024-01-01T00:00:00,clock=vm",'
	echo '  "statistic": "median of 101 rounds per operation, empty-measurement overhead subtracted",'
	echo '  "unit_note": "ticks = guest TSC ticks = guest instructions under icount shift=0",'
	echo '  "results": ['
	first=1
	while read -r _ name value unit; do
		[[ $first -eq 1 ]] || echo ','
		first=0
		printf '    {"name": "%s", "median": %s, "unit": "%s"}' "$name" "$value" "$unit"
	done <<<"$lines"
	echo
	echo '  ]'
	echo '}'
} >"$out"
echo "bench: wrote $out"
