#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Golden test of the harness: runs tests/harness-selftest several ways, compares with the .expected.
#
# Usage: tests/check-harness.sh [--print] [BINARY [RUNNER...]]
#   --print  print the transcript instead of comparing it (to update the .expected)
#   BINARY   the harness-selftest program (default tests/harness-selftest; another with O=)
#   RUNNER   a command to run the binary under, e.g. qemu-x86_64; none runs it natively.
#
# The transcript is each command line ("$ harness-selftest ARGS"), its output (stdout
# and stderr, in the order written), and "[exit N]": a whole run (every way a test can
# end), a run picked by SUBSTRING, by -t and -f, the -l list, and the command-line
# errors, which must fail instead of running nothing. Prints one TAP line, and the diff
# when the transcript differs, after its own version and plan lines. To accept a deliberate change of the harness or of
# harness-selftest.c, review the diff, then:
#   tests/check-harness.sh --print >tests/harness-selftest.expected

set -u

here=$(dirname "$0")
print=0
if [ "${1:-}" = --print ]; then
	print=1
	shift
fi
binary=${1:-$here/harness-selftest}
[ $# -gt 0 ] && shift
expected=$here/harness-selftest.expected
name=harness-selftest.golden

[ "$print" = 1 ] || printf 'TAP version 13\n1..1\n'
if [ ! -x "$binary" ]; then
	echo "not ok 1 $name # $binary not built (make tests/harness-selftest)"
	exit 1
fi

runs=(
	""
	"skips_with_a_reason"
	"-l"
	"-f counter -l"
	"-t passes -t global.dies_by_expected_signal"
	"-f global fails"
	"-x"
	"-t"
	"-t no_such_test"
	"-f no_such_fixture"
	"passes fails"
)

runner=("$@")
# The binary's path as a sed regular expression.
path_re=$(printf '%s' "$binary" | sed 's/[][\\.*^$/+?(){}|]/\\&/g')

# One run: the arguments, then the runner. WEFT_TRACE from the caller's environment
# would add trace lines to the output.
run()
{
	local args=$1 status
	shift
	echo "\$ harness-selftest${args:+ $args}"
	# shellcheck disable=SC2086 # the arguments are split on purpose
	env -u WEFT_TRACE timeout -k 10 120 "$@" "$binary" $args </dev/null 2>&1
	status=$?
	echo "[exit $status]"
}

transcript()
{
	local args
	for args in "${runs[@]}"; do
		run "$args" "${runner[@]}"
	done |
		# The variable parts: qemu reports each guest killed by a signal on stderr, and
		# the usage message names the binary as it was run. Addresses would vary
		# between runs; no line has one today, this keeps it so.
		grep -v '^qemu: uncaught target signal' |
		sed -E -e "s/^$path_re: /harness-selftest: /" \
		       -e "s/^usage: $path_re /usage: harness-selftest /" \
		       -e 's/0x[0-9a-f]{6,}/0xADDR/g'
}

if [ "$print" = 1 ]; then
	transcript
	exit 0
fi
actual=$(transcript)
if ! diff=$(diff -u --label expected --label actual "$expected" - <<<"$actual"); then
	echo "not ok 1 $name # the transcript differs from $expected"
	printf '%s\n' "$diff" | sed 's/^/#   /'
	exit 1
fi
echo "ok 1 $name"
