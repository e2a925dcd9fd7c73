#!/usr/bin/env bash
# `make bench`: boots the built image with `bench run=bench` on the kernel command line under the
# fixed, deterministic QEMU settings of docs/benchmarks.md. The kernel runs its in-kernel
# benchmarks (kernel/bench.c), then init starts user/bench, which runs the user-space rows of
# issue 8; kmain ends QEMU with "passed" once init has ended. This script collects the
# "BENCH <name> <value> <unit>" lines of both from the serial log (the user program's come
# prefixed "[bench ID] " by the kernel's log call), prints the issue's table against Linux 6.1's
# figures, the page-clearing line, the flatness ratios and the boot rows, and writes everything
# to OUT (JSON). Builds nothing: the make target depends on the image.
#
# The settings are exactly those other kernels are measured with (issue 8):
#   -machine q35 -cpu max,-rdrand,-rdseed -smp 1 -m 512M -accel tcg
#   -icount shift=0,align=off,sleep=off -rtc base=2024-01-01T00:00:00,clock=vm
# run-qemu.sh --icount supplies the -cpu, -icount and -rtc parts; QEMU_MEM/QEMU_SMP the rest.
# Under icount one guest TSC tick is one guest instruction, so the figures are instruction counts.
# Usage: bench.sh --image IMG --out build/bench.json [--log FILE] [--cmdline EXTRA]
#        bench.sh --from-log FILE --out FILE.json    (the table again from a run's serial log)
set -euo pipefail

image= out= log= extra= from_log=
while [[ $# -gt 0 ]]; do
	case "$1" in
	--image) image=$2; shift 2 ;;
	--from-log) from_log=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--cmdline) extra=$2; shift 2 ;;
	*) echo "bench: unknown argument: $1" >&2; exit 2 ;;
	esac
done
[[ (-n "$image" || -n "$from_log") && -n "$out" ]] ||
	{ echo "usage: bench.sh --image IMG | --from-log LOG --out FILE.json" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
log=${log:-$(dirname "$out")/bench.log}
mkdir -p "$(dirname "$out")" "$(dirname "$log")"

status=33
if [[ -n "$from_log" ]]; then
	log=$from_log
else
	status=0
	QEMU_MEM=512M QEMU_SMP=1 QEMU_MACHINE=q35 "$here/run-qemu.sh" --image "$image" --icount \
		--cmdline "bench run=bench${extra:+ $extra}" --serial "$log" \
		--timeout "${BENCH_TIMEOUT:-1200}" </dev/null || status=$?
fi
# A BENCH line as the kernel prints it, or as a user program's log line ("[NAME ID] BENCH ...").
prefix='^(\[[A-Za-z0-9_./-]+ [0-9]+\] )?'
lines=$(tr -d '\r' <"$log" | grep -E "${prefix}BENCH(-TSC|-DONE)? " | sed -E "s/${prefix}//" || true)
if [[ $status -ne 33 ]] || ! grep -qx 'BENCH-DONE kernel' <<<"$lines" ||
	! grep -qx 'BENCH-DONE user' <<<"$lines"; then
	echo "bench: the guest did not finish the benchmarks (QEMU status $status); log: $log" >&2
	tr -d '\r' <"$log" | tail -n 20 | sed 's/^/  | /' >&2
	exit 1
fi
# The loader's phase "loader entry -> kernel entry" and the calibrated TSC rate, from the summary.
loader=$(tr -d '\r' <"$log" | sed -nE 's/.*loader entry -> kernel entry +([0-9]+) ticks.*/\1/p' | head -n 1)
mhz=$(tr -d '\r' <"$log" | sed -nE 's/.* TSC: ([0-9.]+) MHz.*/\1/p' | head -n 1)

{
	echo "loader ${loader:-0}"
	echo "mhz ${mhz:-0}"
	cat <<<"$lines"
} | awk -v out="$out" '
# n: X with thousands separators and one decimal; ni: the same without a decimal ".0".
function ni(x) { return n(x, 1) }
function n(x, drop0,   s, i, f, neg) {
	if (x == "") return "-"
	neg = x < 0; if (neg) x = -x
	s = sprintf("%.1f", x)
	f = substr(s, length(s) - 1)
	if (drop0 && f == ".0") f = ""
	s = substr(s, 1, length(s) - 2)
	for (i = length(s) - 3; i > 0; i -= 3) s = substr(s, 1, i) "," substr(s, i + 1)
	return (neg ? "-" : "") s f
}
function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "" : a / b }
function jstr(s) { gsub(/"/, "\\\"", s); return "\"" s "\"" }
function need(name) {
	if (!(name in val)) { printf "bench: no BENCH line for %s\n", name > "/dev/stderr"; missing = 1 }
	return val[name]
}
# One row of the main table: label, the Quire figure, Linux 6.1 (or ""), and into rows[] for JSON.
function row(label, q, linux,   r, met) {
	r = ratio(q, linux)
	met = r == "" ? "" : (r <= 1 / 3 ? "yes" : "no")
	printf "%-62s %14s %12s %8s  %s\n", label, n(q), linux == "" ? "-" : ni(linux),
		r == "" ? "-" : sprintf("%.3f", r), met == "" ? "-" : met
	nrows++
	rl[nrows] = label; rq[nrows] = q; rlin[nrows] = linux; rr[nrows] = r; rm[nrows] = met
}
$1 == "loader" { loader = $2; next }
$1 == "mhz" { mhz = $2; next }
$1 == "BENCH" { if (!($2 in val)) order[++count] = $2; val[$2] = $3; unit[$2] = $4; next }
$1 == "BENCH-TSC" { tsc[$2] = $3; next }
END {
	split("0 100 1000 10000 60000", ns, " ")
	split("15214 25684 21239 26638 31970", lin_mu, " ")
	printf "%-62s %14s %12s %8s  %s\n", "row (instructions per operation)", "Quire", "Linux 6.1", "ratio", "aim <= 1/3"
	printf "%-62s %14s %12s %8s  %s\n", "--------------------------------------------------------------", "--------------", "------------", "--------", "----------"
	row("null system call", need("null_syscall"), 337)
	row("first-touch write fault on anonymous memory", need("fault_write"), 6955)
	row("read fault on untouched anonymous memory", need("fault_read"), 1287)
	row("unmap of a populated area, per page", need("unmap_populated_per_page"), 1319)
	for (i = 1; i <= 5; i++)
		row("create+map+unmap of a 1-page area, N=" ns[i] " other mappings", need("map_unmap_n" ns[i]), lin_mu[i])
	row("the same with one write between map and unmap, N=0", need("map_write_unmap_n0"), 24873)
	row("the same with one write between map and unmap, N=60000", need("map_write_unmap_n60000"), 41487)
	row("protect one page read-only and back, per call, N=0", need("protect_n0"), 2823)
	row("protect one page read-only and back, per call, N=60000", need("protect_n60000"), 3252)

	# Page clearing: Quire zeroes with rep stosq (counted per 8 bytes), Linux with rep stosb.
	zero = need("pmm_page_zero"); stosb = need("zero_page_rep_stosb")
	wf = val["fault_write"]
	printf "\npage clearing, per 4 KiB page: Quire %s (pmm_page_zero: rep stosq); Linux about 4,100 (rep stosb, counted per byte; %s measured here)\n", n(zero), n(stosb)
	printf "write fault without the clearing: Quire %s, Linux about %s: ratio %.3f (aim <= 1/3: %s)\n",
		n(wf - zero), ni(6955 - 4100), (wf - zero) / (6955 - 4100), (wf - zero) / (6955 - 4100) <= 1 / 3 ? "yes" : "no"

	printf "\nflat in the number of mappings (aim: N=60000 within 1.2 x N=0)\n"
	split("map_unmap map_write_unmap protect", flat, " ")
	split("15214/31970 24873/41487 2823/3252", flat_lin, " ")
	for (i = 1; i <= 3; i++) {
		f0 = val[flat[i] "_n0"]; f1 = val[flat[i] "_n60000"]; fr[i] = ratio(f1, f0)
		split(flat_lin[i], l, "/")
		printf "  %-18s %12s -> %12s  %.3f x  %s   (Linux %.2f x)\n", flat[i], n(f0), n(f1), fr[i],
			fr[i] <= 1.2 ? "met" : "missed", l[2] / l[1]
	}

	# Boot: "kernel entry to init" is kernel entry -> user/bench main, minus the in-kernel
	# benchmarks, minus what a spawn of user/bench costs up to its main (init: init_run spawns
	# init; init spawns bench; that second spawn is about what spawn_to_main measures).
	entry = tsc["kernel_entry"]; bmain = tsc["bench_main"]
	kb = tsc["kernel_bench_end"] - tsc["kernel_bench_start"]
	to_main = bmain - entry - kb
	spawn = need("spawn_to_main")
	to_init = to_main - spawn
	per_ms = mhz > 0 ? mhz * 1000 : 0
	printf "\nboot (guest TSC ticks; %s MHz as calibrated by the kernel)\n", mhz
	printf "  %-52s %14s ticks %10s ms\n", "loader entry -> kernel entry", ni(loader), per_ms ? sprintf("%.3f", loader / per_ms) : "-"
	printf "  %-52s %14s ticks %10s ms\n", "kernel entry -> init'"'"'s first instruction (estimate)", ni(to_init), per_ms ? sprintf("%.3f", to_init / per_ms) : "-"
	printf "  %-52s %14s ticks (in-kernel benchmarks %s left out)\n", "  from: kernel entry -> user/bench main", ni(to_main), ni(kb)
	printf "  %-52s %14s ticks\n", "  less: spawn -> main of user/bench", ni(spawn)
	printf "  Linux 6.1 reaches /init after about 1.7 s of guest time: ratio %.3f (rough; aim <= 1/3: %s)\n",
		per_ms ? to_init / per_ms / 1700 : 0, per_ms && to_init / per_ms / 1700 <= 1 / 3 ? "yes" : "no"

	if (missing) exit 1

	print "{" > out
	print "  \"qemu\": \"-machine q35 -cpu max,-rdrand,-rdseed -smp 1 -m 512M -accel tcg -icount shift=0,align=off,sleep=off -rtc base=2024-01-01T00:00:00,clock=vm\"," > out
	print "  \"statistic\": \"median of 101 rounds per operation, empty-measurement overhead subtracted\"," > out
	print "  \"unit_note\": \"ticks = guest TSC ticks = guest instructions under icount shift=0\"," > out
	print "  \"aim\": \"a third of Linux 6.1 or less on every row; N=60000 within 1.2 x N=0\"," > out
	print "  \"rows\": [" > out
	for (i = 1; i <= nrows; i++)
		printf "    {\"row\": %s, \"quire\": %s, \"linux_6_1\": %s, \"ratio\": %s, \"aim_met\": %s}%s\n",
			jstr(rl[i]), rq[i], (rlin[i] == "" ? "null" : rlin[i]),
			(rr[i] == "" ? "null" : sprintf("%.4f", rr[i])),
			(rm[i] == "" ? "null" : (rm[i] == "yes" ? "true" : "false")), (i < nrows ? "," : "") > out
	print "  ]," > out
	printf "  \"page_clearing\": {\"quire_per_page\": %s, \"quire_method\": \"rep stosq\", \"linux_per_page_approx\": 4100, \"rep_stosb_per_page_measured\": %s, \"write_fault_without_clearing\": {\"quire\": %s, \"linux_approx\": %d, \"ratio\": %.4f}},\n",
		zero, stosb, wf - zero, 6955 - 4100, (wf - zero) / (6955 - 4100) > out
	print "  \"flatness\": [" > out
	for (i = 1; i <= 3; i++) {
		split(flat_lin[i], l, "/")
		printf "    {\"row\": \"%s\", \"n0\": %s, \"n60000\": %s, \"ratio\": %.4f, \"aim_met\": %s, \"linux_ratio\": %.4f}%s\n",
			flat[i], val[flat[i] "_n0"], val[flat[i] "_n60000"], fr[i],
			(fr[i] <= 1.2 ? "true" : "false"), l[2] / l[1], (i < 3 ? "," : "") > out
	}
	print "  ]," > out
	printf "  \"boot\": {\"tsc_mhz\": %s, \"loader_entry_to_kernel_entry\": %d, \"kernel_entry_to_init_estimate\": %d, \"kernel_entry_to_bench_main\": %d, \"in_kernel_benchmarks\": %d, \"spawn_to_main\": %s, \"linux_to_init_seconds_approx\": 1.7, \"ratio_to_linux_rough\": %s},\n",
		(mhz == "" ? "null" : mhz), loader, to_init, to_main, kb, spawn,
		(per_ms ? sprintf("%.4f", to_init / per_ms / 1700) : "null") > out
	print "  \"results\": [" > out
	for (i = 1; i <= count; i++)
		printf "    {\"name\": \"%s\", \"median\": %s, \"unit\": \"%s\"}%s\n", order[i], val[order[i]],
			unit[order[i]], (i < count ? "," : "") > out
	print "  ]" > out
	print "}" > out

	printf "\nevery BENCH line (the in-kernel rows first; docs/benchmarks.md)\n"
	for (i = 1; i <= count; i++)
		printf "  %-30s %14s  %s\n", order[i], val[order[i]], unit[order[i]]
}'
echo "bench: wrote $out"
