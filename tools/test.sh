#!/usr/bin/env bash
# Runs Quire's test tiers in order and ends with the line "N passed, N failed".
#   format  every tracked C source and header matches .clang-format (one result)
#   unit    each host unit-test binary, its cmocka results read as TAP (one result per test)
#   qemu    the in-QEMU suite, tools/run-suite.sh (one result per guest test and per check)
# Each tier writes its results as TAP lines to BUILD/test-results/TIER.tap and its logs under
# BUILD/test-logs/. Exit status 0 only when something ran and nothing failed.
# Usage: test.sh [--build DIR] [--image IMG] [--only format|unit|qemu] [--unit BIN...]
set -uo pipefail

build=build image= only=
unit_bins=()
while [[ $# -gt 0 ]]; do
	case "$1" in
	--build) build=$2; shift 2 ;;
	--image) image=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--unit) shift; while [[ $# -gt 0 && "$1" != --* ]]; do unit_bins+=("$1"); shift; done ;;
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

tier_qemu() {
	echo "== qemu (in-QEMU suite)"
	"$here/run-suite.sh" --image "$image" --results "$results/qemu.tap" --logs "$logs/qemu"
}

tiers=(format unit qemu)
[[ -n "$only" ]] && tiers=("$only")
started=$(date +%s)
for tier in "${tiers[@]}"; do
	rm -f "$results/$tier.tap" "$logs/$tier.log"
	case "$tier" in
	format) tier_format ;;
	unit) tier_unit ;;
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
