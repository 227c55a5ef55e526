#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks that the stream tests/run-tests.sh prints is KTAP that prove and the kernel's rules accept.
#
# Usage: tests/check-ktap.sh PASS BINARY...   (as for tests/run-tests.sh, without the checks)
#
# Reruns tests/run-tests.sh --no-checks with the arguments (run-tests.sh gives it the
# harness selftest of its first pass: quick, passing, with nested TAP) and feeds the
# stream to two readers:
#   1. prove (Perl's TAP::Harness): the run must be "Result: PASS", with no parse error;
#   2. tests/ktap.py: the rules of the kernel's tools/testing/kunit/kunit_parser.py
#      (version line, plan, "# Subtest:" headers, numbering, each nested test closed by
#      a result line with its name), plus the four-space indentation of KTAP nesting.
# A reader that is not installed is a SKIP line saying what to install.

set -u

here=$(dirname "$0")
stream=$(mktemp "${TMPDIR:-/tmp}/weft-ktap.XXXXXX") || exit 1
trap 'rm -f "$stream" "$stream.prove"' EXIT

echo "TAP version 13"
echo "1..2"
"$here/run-tests.sh" --no-checks "$@" >"$stream" 2>&1
status=$?
if [ "$status" -ne 0 ]; then
	sed 's/^/# /' "$stream"
	echo "not ok 1 ktap.prove # the run itself failed (exit status $status)"
	echo "not ok 2 ktap.kunit-rules # the run itself failed"
	exit 1
fi

fail=0
if ! command -v prove >/dev/null 2>&1; then
	echo "ok 1 ktap.prove # SKIP prove not installed (apt-get install -y perl)"
else
	prove --exec cat "$stream" >"$stream.prove" 2>&1
	status=$?
	if [ "$status" -eq 0 ] && grep -q '^Result: PASS' "$stream.prove" &&
	   ! grep -q 'Parse errors' "$stream.prove"; then
		echo "ok 1 ktap.prove"
	else
		sed 's/^/# /' "$stream.prove"
		echo "not ok 1 ktap.prove # prove does not accept the stream"
		fail=1
	fi
fi

if ! command -v python3 >/dev/null 2>&1; then
	echo "ok 2 ktap.kunit-rules # SKIP python3 not installed (apt-get install -y python3)"
elif python3 "$here/ktap.py" "$stream" | sed 's/^/# /'; [ "${PIPESTATUS[0]}" -eq 0 ]; then
	echo "ok 2 ktap.kunit-rules"
else
	echo "not ok 2 ktap.kunit-rules # see the errors above"
	fail=1
fi
exit "$fail"
