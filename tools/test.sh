#!/usr/bin/env bash
# Runs Quire's test tiers in order and ends with the line "N passed, N failed".
#   format  every tracked C source and header matches .clang-format (one result)
#   unit    each host unit-test binary, its cmocka results read as TAP (one result per test)
#   fuzz    each host fuzzer (libFuzzer) for a few seconds over its seed corpus (one result per
#           target; any crash, leak or timeout fails it)
#   qemu    the in-QEMU suite, tools/run-suite.sh (one result per guest test and per check)
# Each tier writes its results as TAP lines to BUILD/test-results/TIER.tap and its logs under
# BUILD/test-logs/. Exit status 0 only when something ran and nothing failed.
# Usage: test.sh [--build DIR] [--image IMG] [--only format|unit|fuzz|qemu] [--unit BIN...]
#                [--fuzz BIN...] [--fuzz-time SECONDS] [--fuzz-corpus DIR] [--fuzz-crashes DIR]
# The fuzz tier runs each BIN (BUILD/fuzz/fuzz_NAME) for --fuzz-time seconds (FUZZ_SMOKE_TIME,
# default 5) with the seed FUZZ_SEED (default 1; 0 picks one) over test/fuzz/corpus/NAME and
# BUILD/fuzz/corpus/NAME; new inputs go to --fuzz-corpus DIR/NAME (default a scratch directory
# under BUILD/test-logs/fuzz, emptied first) and crashing inputs to --fuzz-crashes (default
# BUILD/test-logs/fuzz). `make fuzz` runs this tier alone with long times (test/fuzz/build.mk).
set -uo pipefail

build=build image= only=
unit_bins=()
fuzz_bins=()
fuzz_time=${FUZZ_SMOKE_TIME:-5} fuzz_corpus= fuzz_crashes=
while [[ $# -gt 0 ]]; do
	case "$1" in
	--build) build=$2; shift 2 ;;
	--image) image=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--unit) shift; while [[ $# -gt 0 && "$1" != --* ]]; do unit_bins+=("$1"); shift; done ;;
	--fuzz) shift; while [[ $# -gt 0 && "$1" != --* ]]; do fuzz_bins+=("$1"); shift; done ;;
	--fuzz-time) fuzz_time=$2; shift 2 ;;
	--fuzz-corpus) fuzz_corpus=$2; shift 2 ;;
	--fuzz-crashes) fuzz_crashes=$2; shift 2 ;;
	*) echo "test: unknown argument: $1" >&2; exit 2 ;;
	esac
done
here=$(cd "$(dirname "$0")" && pwd)
results="$build/test-results"
logs="$build/test-logs"
mkdir -p "$results" "$logs"

# Prints and records one result line for a tier.
record() { # tier ok|not-ok description
	local line
	if [[ "$2" == ok ]]; then line="ok - $3"; else line="not ok - $3"; fi
	echo "$line" >>"$results/$1.tap"
	echo "$line"
}

tier_format() {
	: >"$results/format.tap"
	echo "== format (.clang-format)"
	local f files=0 bad=()
	while IFS= read -r f; do
		[[ -f "$f" ]] || continue
		files=$((files + 1))
		if ! clang-format --dry-run --Werror "$f" >>"$logs/format.log" 2>&1; then
			bad+=("$f")
		fi
	done < <(git ls-files -co --exclude-standard -- '*.c' '*.h' 2>/dev/null | grep -v '^build/')
	if [[ ${#bad[@]} -eq 0 && $files -gt 0 ]]; then
		record format ok "format: all $files C files match .clang-format"
	else
		record format not-ok "format: ${#bad[@]} of $files C files differ (run make format): ${bad[*]}"
		head -n 20 "$logs/format.log"
	fi
}

tier_unit() {
	: >"$results/unit.tap"
	echo "== unit (host, cmocka, ASan/UBSan)"
	mkdir -p "$logs/unit"
	local bin name log status
	for bin in "${unit_bins[@]}"; do
		name=$(basename "$bin")
		log="$logs/unit/$name.log"
		status=0
		CMOCKA_MESSAGE_OUTPUT=TAP timeout 300 "$bin" >"$log" 2>&1 || status=$?
		tr -d '\r' <"$log" | sed -nE 's/^(not ok|ok) [0-9]+ - (.*)$/\1 - unit\/'"$name"': \2/p' |
			tee -a "$results/unit.tap"
		if [[ $status -ne 0 ]] && ! grep -q "^not ok - unit/$name:" "$results/unit.tap"; then
			record unit not-ok "unit/$name: exited with status $status (see $log)"
			tail -n 30 "$log"
		elif ! grep -q "^ok - unit/$name:" "$results/unit.tap"; then
			record unit not-ok "unit/$name: ran no test (see $log)"
		fi
	done
}

# One libFuzzer target: its result line says how far it got, or why it failed.
fuzz_one() { # bin
	local bin=$1 name log out seeds=() status=0 runs cov
	name=$(basename "$bin")
	name=${name#fuzz_}
	log="$logs/fuzz/$name.log"
	if [[ -n "$fuzz_corpus" ]]; then
		out="$fuzz_corpus/$name"
	else
		out="$logs/fuzz/new/$name"
		rm -rf "$out"
	fi
	mkdir -p "$out" "$crashes"
	[[ -d "$here/../test/fuzz/corpus/$name" ]] && seeds+=("$here/../test/fuzz/corpus/$name")
	[[ -d "$build/fuzz/corpus/$name" && "$build/fuzz/corpus/$name" != "$out" ]] &&
		seeds+=("$build/fuzz/corpus/$name")
	timeout $((2 * fuzz_time + 120)) "$bin" -max_total_time="$fuzz_time" -timeout=10 \
		-seed="${FUZZ_SEED:-1}" -print_final_stats=1 -artifact_prefix="$crashes/$name-" \
		"$out" "${seeds[@]}" >"$log" 2>&1 || status=$?
	runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n 1)
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -n 1)
	if [[ $status -eq 0 && -n "$runs" ]]; then
		record fuzz ok "fuzz/$name: $runs runs in $fuzz_time s, ${cov:-no coverage line}"
		return
	fi
	local why="exited with status $status" msg input
	[[ $status -eq 124 ]] && why="hung (killed after $((2 * fuzz_time + 120)) s)"
	msg=$(grep -m 1 -E '^fuzz_[a-z_]+: |ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log")
	[[ -n "$msg" ]] && why="$why: ${msg#==*== }"
	input=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | head -n 1)
	record fuzz not-ok "fuzz/$name: $why; input ${input:-(none)} (see $log)"
	grep -vE '^(INFO|#|MS:|stat::|base unit|0x|\\)' "$log" | tail -n 15
}

tier_fuzz() {
	: >"$results/fuzz.tap"
	echo "== fuzz (host, libFuzzer, ASan/UBSan, ${fuzz_time} s per target)"
	mkdir -p "$logs/fuzz"
	crashes=${fuzz_crashes:-$logs/fuzz}
	local bin
	for bin in "${fuzz_bins[@]}"; do
		fuzz_one "$bin"
	done
}

tier_qemu() {
	echo "== qemu (in-QEMU suite)"
	"$here/run-suite.sh" --image "$image" --results "$results/qemu.tap" --logs "$logs/qemu"
}

tiers=(format unit fuzz qemu)
[[ -n "$only" ]] && tiers=("$only")
started=$(date +%s)
for tier in "${tiers[@]}"; do
	rm -f "$results/$tier.tap" "$logs/$tier.log"
	case "$tier" in
	format) tier_format ;;
	unit) tier_unit ;;
	fuzz) tier_fuzz ;;
	qemu) tier_qemu ;;
	*) echo "test: unknown tier $tier" >&2; exit 2 ;;
	esac
done

passed=0 failed=0
for tier in "${tiers[@]}"; do
	f="$results/$tier.tap"
	[[ -f "$f" ]] || { echo "test: tier $tier produced no results"; failed=$((failed + 1)); continue; }
	passed=$((passed + $(grep -c '^ok ' "$f")))
	failed=$((failed + $(grep -c '^not ok ' "$f")))
done
if [[ $failed -ne 0 ]]; then
	echo "Failures:"
	for tier in "${tiers[@]}"; do grep -h '^not ok ' "$results/$tier.tap" 2>/dev/null; done
fi
echo "time: $(($(date +%s) - started)) s"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 && $passed -gt 0 ]]
