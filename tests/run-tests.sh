#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the repository checks and each test binary, natively and/or under qemu-user; adds up the TAP.
#
# Usage: tests/run-tests.sh native|qemu|all BINARY...
#   QEMU_USER  the qemu-user binary for the qemu pass (default qemu-x86_64)
#   ELF_FILES  the programs tests/check-elf.sh looks at (default: the BINARYs)
#
# The last line is always "N passed, N failed, N skipped" over everything run;
# the exit status is 0 only if nothing failed. Each TAP line ("ok N", "not ok
# N", "ok N ... # SKIP") counts once; a binary that exits non-zero without a
# "not ok" line (it crashed, hung or was killed) counts as one failure.

set -u

mode=${1:-}
case "$mode" in
native) passes=(native) ;;
qemu) passes=(qemu) ;;
all) passes=(native qemu) ;;
*)
	echo "usage: $0 native|qemu|all BINARY..." >&2
	exit 2
	;;
esac
shift
qemu=${QEMU_USER:-qemu-x86_64}
here=$(dirname "$0")
# Tests turn tracing and fault injection on themselves; inherited ones would break them.
unset WEFT_TRACE WEFT_FAULT WEFT_MIN_STACK WEFT_TEST_QEMU
# Many tests die by SIGABRT or SIGSEGV on purpose: no core files for them.
ulimit -c 0 2>/dev/null

passed=0 failed=0 skipped=0
log=$(mktemp "${TMPDIR:-/tmp}/weft-run-tests.XXXXXX") || exit 1
trap 'rm -f "$log"' EXIT

# run LABEL COMMAND...: show the command's output as it comes, then count its TAP lines.
run()
{
	local label=$1 status p f s
	shift
	echo "# === $label ==="
	timeout -k 10 600 "$@" </dev/null 2>&1 | tee "$log"
	status=${PIPESTATUS[0]}
	p=$(grep -cE '^ok [0-9]+' "$log")
	s=$(grep -ciE '^ok [0-9]+.*# *skip' "$log")
	f=$(grep -cE '^not ok [0-9]+' "$log")
	p=$((p - s))
	# 4 is kselftest's "everything skipped"; timeout says 124, or 128 + the signal.
	if [ "$status" -ne 0 ] && [ "$status" -ne 4 ] && [ "$f" -eq 0 ]; then
		if [ "$status" -eq 124 ]; then
			echo "# $label: timed out after 600 s"
		elif [ "$status" -gt 128 ]; then
			echo "# $label: killed by signal $((status - 128)), no failed test reported"
		else
			echo "# $label: exit status $status with no failed test reported"
		fi
		f=1
	fi
	echo "# $label: $p passed, $f failed, $s skipped"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

# Checks of the tree and of the build, not of one platform: once, before the first pass.
run "check-includes" "$here/check-includes.sh"
# shellcheck disable=SC2086 # a list of paths without spaces, from the Makefile
run "check-elf" "$here/check-elf.sh" ${ELF_FILES:-"$@"}
[ -f "$here/model/check-parker.sh" ] && run "parker model" bash "$here/model/check-parker.sh"

for pass in "${passes[@]}"; do
	runner=()
	if [ "$pass" = qemu ]; then
		if ! command -v "$qemu" >/dev/null 2>&1; then
			echo "# === qemu: $qemu not found: every test of this pass fails ==="
			echo "# Install it with: apt-get install -y qemu-user   (or: make deps)"
			failed=$((failed + $#))
			continue
		fi
		runner=("$qemu")
		# Tests that re-execute themselves (test_exec_self()) do it under qemu too.
		export WEFT_TEST_QEMU
		WEFT_TEST_QEMU=$(command -v "$qemu")
	fi
	for binary in "$@"; do
		if [ "$(basename "$binary")" = harness-selftest ]; then
			# It fails on purpose; its check is a comparison with golden output.
			run "$pass: harness golden output" "$here/check-harness.sh" "$binary" "${runner[@]}"
		else
			run "$pass: $binary" "${runner[@]}" "$binary"
		fi
	done
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
