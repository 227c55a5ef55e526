#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Golden test of the harness: runs tests/harness-selftest, compares its output with the .expected.
#
# Usage: tests/check-harness.sh [BINARY [RUNNER...]]
#   BINARY  the harness-selftest program (default tests/harness-selftest; another with O=)
#   RUNNER  a command to run the binary under, e.g. qemu-x86_64; none runs it natively.
#
# Prints one TAP line, and the diff when the output differs. To accept a deliberate
# change of the harness or of harness-selftest.c, review the diff, then:
#   tests/harness-selftest >tests/harness-selftest.expected

set -u

here=$(dirname "$0")
binary=${1:-$here/harness-selftest}
[ $# -gt 0 ] && shift
expected=$here/harness-selftest.expected
name=harness-selftest.golden

if [ ! -x "$binary" ]; then
	echo "not ok 1 $name # $binary not built (make tests/harness-selftest)"
	exit 1
fi

# WEFT_TRACE from the caller's environment would add trace lines to the output.
# stderr is captured too: a harness message sent to the wrong stream shows in the diff.
output=$(env -u WEFT_TRACE timeout -k 10 120 "$@" "$binary" </dev/null 2>&1)
status=$?

# The one variable part: qemu reports each guest killed by a signal on stderr.
# Addresses would vary between runs; no line has one today, this keeps it so.
actual=$(printf '%s\n' "$output" |
	grep -v '^qemu: uncaught target signal' |
	sed -E 's/0x[0-9a-f]{6,}/0xADDR/g')

if ! diff=$(diff -u --label expected --label actual "$expected" - <<<"$actual"); then
	echo "not ok 1 $name # output differs from $expected"
	printf '%s\n' "$diff" | sed 's/^/#   /'
	exit 1
fi
# A failing selftest must make the harness exit 1, or CI would not notice failures.
if [ "$status" -ne 1 ]; then
	echo "not ok 1 $name # exit status $status, expected 1"
	exit 1
fi
# kselftest's convention: a run in which every test skipped exits 4 (KSFT_SKIP).
env -u WEFT_TRACE timeout -k 10 120 "$@" "$binary" skips_with_a_reason >/dev/null 2>&1
status=$?
if [ "$status" -ne 4 ]; then
	echo "not ok 1 $name # a run of skipped tests only: exit status $status, expected 4"
	exit 1
fi
echo "ok 1 $name"
