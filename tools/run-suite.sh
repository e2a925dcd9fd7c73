#!/usr/bin/env bash
# The in-QEMU suite. Each scenario boots the image under OVMF (tools/run-qemu.sh) and checks what
# a user would see:
#   boot     test mode ("test" on the command line) at a given memory size and CPU count: the
#            kernel's built-in tests, then init's user test programs, report TAP over serial,
#            one result each here, and the guest must end QEMU with the "all passed" code of
#            sysroot/include/quire/debug_exit.h
#   screenshot  user/draw's test scene at a given resolution, screendumped over QMP and compared
#            pixel by pixel with the same scene rendered on the host
#   crash    a deliberate fault (crash=KIND): a report naming the fault and a backtrace with
#            function names, then the "panic" code
#   loader   a kernel.elf that is garbage, or missing: the loader's message naming the file and
#            the reason, instead of a hang
#   gdb      gdb stops on the kernel's entry function by name, as `make debug` relies on
# A timeout or an undocumented exit code is a failure. Serial logs stay in LOGS/NAME.log.
# Usage: run-suite.sh --image IMG --results FILE.tap --logs DIR [--only NAME-PREFIX]
set -uo pipefail

image= results= logs= only=
while [[ $# -gt 0 ]]; do
	case "$1" in
	--image) image=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	--logs) logs=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	*) echo "run-suite: unknown argument: $1" >&2; exit 2 ;;
	esac
done
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
kernel_elf=${KERNEL_ELF:-$(dirname "$image")/kernel/kernel.elf}
tools_dir=$(dirname "$image")/tools
render_scene=${RENDER_SCENE:-$tools_dir/render-scene}
ppm_diff=${PPM_DIFF:-$tools_dir/ppm-diff}
qmp_client=${QMP_CLIENT:-$tools_dir/qmp}
mkdir -p "$logs"
: >"$results"
BOOT_TIMEOUT=${BOOT_TIMEOUT:-180}

record() { # ok|not-ok description
	local line
	if [[ "$1" == ok ]]; then line="ok - qemu/$2"; else line="not ok - qemu/$2"; fi
	echo "$line" >>"$results"
	echo "$line"
}

# The meaning of a QEMU exit status (see debug_exit.h and run-qemu.sh).
describe_status() {
	case "$1" in
	33) echo "all tests passed" ;;
	35) echo "some tests failed" ;;
	37) echo "kernel panic" ;;
	124) echo "timeout: the guest hung" ;;
	0) echo "the guest reset or triple-faulted" ;;
	1) echo "QEMU failed to start" ;;
	*) echo "undocumented exit status $1" ;;
	esac
}

# Whether LOG (carriage returns dropped) has a line matching the extended regex PATTERN. grep -c
# reads all its input: grep -q would stop early and, under pipefail, fail the pipe with SIGPIPE.
log_has() { # log pattern
	tr -d '\r' <"$1" | grep -cE -- "$2" >/dev/null
}

show_tail() { # log
	echo "  --- last lines of $1:"
	tr -d '\r' <"$1" | tail -n 25 | sed 's/^/  | /'
}

# Turns the guest's TAP lines into results named after the scenario, checking each stream's plan
# (a test that never reported counts as a failure). Two streams: the kernel's built-in tests
# ("ok N - name" at the start of a line) and, when WANT_USER is set, init's report of the user
# test programs (the same lines, tagged "[init ID] " by the kernel log).
collect_tap() { # name log [want_user]
	local name=$1 log=$2 want_user=${3:-} plan count user='^\[init [0-9]+\] '
	tr -d '\r' <"$log" | sed -nE 's/^(not ok|ok) [0-9]+ - (.*)$/\1 - qemu\/'"$name"': \2/p' |
		tee -a "$results"
	plan=$(tr -d '\r' <"$log" | sed -nE 's/^1\.\.([0-9]+)$/\1/p' | tail -n 1)
	count=$(tr -d '\r' <"$log" | grep -cE '^(not ok|ok) [0-9]+ - ')
	if [[ -z "$plan" ]]; then
		record not-ok "$name: the guest printed no TAP plan"
	elif [[ "$plan" -ne "$count" ]]; then
		record not-ok "$name: the plan announced $plan tests, $count reported"
	fi
	[[ -n "$want_user" ]] || return 0
	tr -d '\r' <"$log" |
		sed -nE 's/'"$user"'(not ok|ok) [0-9]+ - (.*)$/\1 - qemu\/'"$name"': user: \2/p' |
		tee -a "$results"
	plan=$(tr -d '\r' <"$log" | sed -nE 's/'"$user"'1\.\.([0-9]+)$/\1/p' | tail -n 1)
	count=$(tr -d '\r' <"$log" | grep -cE "$user"'(not ok|ok) [0-9]+ - ')
	if [[ -z "$plan" ]]; then
		record not-ok "$name: init printed no TAP plan for the user tests"
	elif [[ "$plan" -ne "$count" ]]; then
		record not-ok "$name: init announced $plan user tests, $count reported"
	fi
}

wanted() { [[ -z "$only" || "$1" == "$only"* ]]; }

scenario_boot() { # name mem smp cmdline
	local name=$1 log="$logs/$1.log" status=0
	wanted "$name" || return 0
	QEMU_MEM=$2 QEMU_SMP=$3 "$here/run-qemu.sh" --image "$image" --cmdline "$4" \
		--serial "$log" --timeout "$BOOT_TIMEOUT" </dev/null || status=$?
	collect_tap "$name" "$log" user
	if [[ $status -eq 33 ]]; then
		record ok "$name: guest verdict: $(describe_status $status)"
	else
		record not-ok "$name: guest verdict: $(describe_status $status)"
		show_tail "$log"
	fi
}

scenario_crash() { # name kind pattern...
	local name=$1 kind=$2 log="$logs/$1.log" status=0 pattern missing=
	shift 2
	wanted "$name" || return 0
	"$here/run-qemu.sh" --image "$image" --cmdline "test crash=$kind" --serial "$log" \
		--timeout "$BOOT_TIMEOUT" </dev/null || status=$?
	for pattern in "$@"; do
		log_has "$log" "$pattern" || missing+=" '$pattern'"
	done
	if [[ $status -eq 37 && -z "$missing" ]]; then
		record ok "$name: crash=$kind reported and ended in a panic"
	else
		record not-ok "$name: crash=$kind: $(describe_status $status)${missing:+; missing$missing}"
		show_tail "$log"
	fi
}

# Boots with a broken kernel.elf and waits for the loader's message; the loader then waits for a
# key, so the scenario ends QEMU itself once the message is there.
scenario_loader() { # name pattern run-qemu-args...
	local name=$1 pattern=$2 log="$logs/$1.log" pid found=0 i
	shift 2
	wanted "$name" || return 0
	: >"$log"
	"$here/run-qemu.sh" --image "$image" --serial "$log" --timeout "$BOOT_TIMEOUT" "$@" \
		</dev/null >/dev/null 2>&1 &
	pid=$!
	for ((i = 0; i < BOOT_TIMEOUT * 2; i++)); do
		if log_has "$log" "$pattern"; then
			found=1
			break
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if [[ $found -eq 1 ]] && ! log_has "$log" '^quire: '; then
		record ok "$name: loader refused with '$pattern'"
	else
		record not-ok "$name: no loader message matching '$pattern' (or the kernel ran)"
		show_tail "$log"
	fi
}

# gdb attaches to the halted machine, breaks on kmain by name and must stop there.
scenario_gdb() {
	local name=gdb-kmain log="$logs/gdb-kmain.log" port pid out
	wanted "$name" || return 0
	command -v gdb >/dev/null || { record not-ok "$name: gdb is not installed"; return 0; }
	port=$((20000 + RANDOM % 20000))
	"$here/run-qemu.sh" --image "$image" --serial "$log" --timeout "$BOOT_TIMEOUT" \
		-- -gdb "tcp:127.0.0.1:$port" -S </dev/null >/dev/null 2>&1 &
	pid=$!
	sleep 1
	out=$(timeout "$BOOT_TIMEOUT" gdb -q -nx -batch -ex "set pagination off" \
		-ex "file $kernel_elf" -ex "target remote 127.0.0.1:$port" -ex "hbreak kmain" \
		-ex "continue" -ex "info symbol \$pc" -ex "kill" </dev/null 2>&1)
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo "$out" >"$logs/gdb-kmain.gdb.log"
	if grep -qE '^kmain( \+ [0-9]+)? in section' <<<"$out"; then
		record ok "$name: gdb stopped in kmain"
	else
		record not-ok "$name: gdb did not stop in kmain"
		tail -n 15 <<<"$out" | sed 's/^/  | /'
	fi
}

# Boots with video=WxH run=draw:--scene-only and, once draw has drawn its test scene, takes a
# screendump (tools/screenshot.sh) and compares it pixel by pixel with the same scene rendered on
# the host by the same drawing code (render-scene): one differing pixel fails. The comparison
# stays in LOGS/NAME.diff and, after a failure, both pictures in NAME.ppm and NAME.ref.ppm.
scenario_screenshot() { # name WxH
	local name=$1 size=$2 log="$logs/$1.log" shot="$logs/$1.ppm" ref="$logs/$1.ref.ppm"
	local out status=0
	wanted "$name" || return 0
	if [[ ! -x "$render_scene" || ! -x "$ppm_diff" || ! -x "$qmp_client" ]]; then
		record not-ok "$name: the screenshot tools are missing from $tools_dir (run make)"
		return 0
	fi
	if ! out=$("$here/screenshot.sh" --image "$image" --size "$size" --ppm "$shot" \
		--log "$log" --qmp-client "$qmp_client" --timeout "$BOOT_TIMEOUT" 2>&1 </dev/null); then
		record not-ok "$name: no screenshot of the scene at $size"
		sed 's/^/  | /' <<<"$out"
		return 0
	fi
	if ! out=$("$render_scene" "$size" "$ref" 2>&1); then
		record not-ok "$name: render-scene failed: $out"
		return 0
	fi
	"$ppm_diff" "$ref" "$shot" >"$logs/$name.diff" 2>&1 && status=0 || status=$?
	if [[ $status -eq 0 ]]; then
		record ok "$name: the screen at $size matches the host rendering in every pixel"
		rm -f "$shot" "$ref"
	else
		record not-ok "$name: the screen at $size differs from the host rendering"
		sed 's/^/  | /' "$logs/$name.diff" | tail -n 12
	fi
}

# Deterministic bad kernels: text that is no ELF at all, and a real kernel cut short so that its
# headers parse but its segments lie past the end of the file.
garbage="$logs/garbage.elf"
yes 'this is not an ELF file' | head -c 65536 >"$garbage"
truncated="$logs/truncated.elf"
head -c 4096 "$kernel_elf" >"$truncated"

started=$(date +%s)
scenario_boot boot-128M-1cpu 128M 1 "test"
scenario_boot boot-4G-4cpu 4G 4 "test"
scenario_boot boot-8G-8cpu 8G 8 "test"
scenario_crash crash-pagefault pagefault 'Page fault|page fault' 'CR2' 'crash_pagefault\+0x'
scenario_crash crash-ud ud 'Invalid opcode|invalid opcode' 'crash_ud\+0x'
scenario_crash crash-gpf gpf 'General protection' 'crash_gpf\+0x'
scenario_crash crash-divide divide 'Divide error' 'crash_divide\+0x'
scenario_crash crash-panic panic 'PANIC: crash_panic' 'crash_panic\+0x'
scenario_crash crash-overflow overflow 'Double fault' 'recurse\+0x'
scenario_crash crash-lockrank lockrank 'lock rank violation: taking crash-outer' 'crash_lockrank\+0x'
scenario_loader loader-garbage 'quire-loader: error: .*kernel\.elf' --kernel "$garbage"
scenario_loader loader-truncated 'quire-loader: error: .*kernel\.elf' --kernel "$truncated"
scenario_loader loader-missing 'quire-loader: error: .*kernel\.elf' --no-kernel
scenario_gdb
scenario_screenshot screenshot-800x600 800x600
scenario_screenshot screenshot-1280x1024 1280x1024
echo "qemu suite: $(($(date +%s) - started)) s"
