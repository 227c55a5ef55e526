#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the checks of the tree and each test binary, in one or more passes, as one KTAP stream.
#
# Usage: tests/run-tests.sh [--no-checks] PASS BINARY... [PASS BINARY...]...
#   PASS         starts a pass over the BINARYs after it: "native:" runs them directly,
#                "LABEL=RUNNER:" under RUNNER ("qemu=qemu-x86_64:", "aarch64=qemu-aarch64:").
#                "native", "qemu" and "all" (both) followed by BINARYs are short for
#                "native:" and "qemu=$QEMU_USER:" over the same BINARYs.
#   --no-checks  the passes only, not the checks of the tree (check-includes, check-arch,
#                check-layers, check-elf, the Parker model, the docs, the install check,
#                the KTAP check)
#   LAYERS_OBJDIR  where check-layers.sh finds the library's objects (default: .)
#   QEMU_USER    the qemu-user binary of the "qemu" short form (default qemu-x86_64)
#   ELF_FILES    the programs tests/check-elf.sh looks at (default: every BINARY)
#   INSTALL_CHECKS "NAME|ARGS", or several separated by ";": also run the check "NAME",
#                tests/check-install.sh ARGS (make check: one; make check-all: one for each
#                architecture, "install x86_64", "install aarch64", ...)
#   TOUR         the tour, or the tours of several O= directories (make check-all), for
#                tests/check-tour-faults.sh in each pass over the same directory (none: no sweep)
#
# The stream (Documentation/testing.rst, "One KTAP stream") has a plan with one subtest per
# check and per binary and pass; each subtest is that program's own TAP, indented by four
# spaces under a "KTAP version 1" and a "# Subtest: NAME" line, followed by "ok N NAME"
# or "not ok N NAME". A binary that exits non-zero without a "not ok" line (it crashed,
# hung or was killed) counts as one failure; one that stops before its plan or before its
# last result gets "not ok" lines for what it owes, so the stream stays well-formed. After
# the last subtest come one "# LABEL: N passed, N failed, N skipped" line for the checks
# and for each pass, then the plain grand total "N passed, N failed, N skipped" over every TAP line of every
# subtest, always the last line. The exit status is 0 only if nothing failed.

set -u

here=$(dirname "$0")
qemu=${QEMU_USER:-qemu-x86_64}
checks=1
if [ "${1:-}" = --no-checks ]; then
	checks=0
	shift
fi

usage()
{
	echo "usage: $0 [--no-checks] PASS BINARY... [PASS BINARY...]..." >&2
	echo "  PASS: native: | LABEL=RUNNER: | native | qemu | all" >&2
	exit 2
}

# The passes: label, runner (empty for native), and the BINARYs as
# bins[first[i]] .. bins[first[i] + count[i] - 1].
labels=() runners=() first=() count=() bins=()
add_pass()
{
	labels+=("$1") runners+=("$2") first+=(${#bins[@]}) count+=(0)
}
case "${1:-}" in
native | qemu | all)
	mode=$1
	shift
	[ "$mode" = qemu ] || add_pass native ""
	[ "$mode" = native ] || add_pass qemu "$qemu"
	for pass in "${!labels[@]}"; do
		count[pass]=$#
	done
	bins=("$@")
	first=(0 0)
	;;
*)
	for word in "$@"; do
		case "$word" in
		native:) add_pass native "" ;;
		*=*:)
			word=${word%:}
			add_pass "${word%%=*}" "${word#*=}"
			;;
		*)
			[ ${#labels[@]} -gt 0 ] || usage
			bins+=("$word")
			count[-1]=$((count[-1] + 1))
			;;
		esac
	done
	;;
esac
[ ${#labels[@]} -gt 0 ] || usage

# Tests turn tracing and fault injection on themselves; inherited ones would break them.
unset WEFT_TRACE WEFT_FAULT WEFT_MIN_STACK WEFT_TEST_QEMU
# Many tests die by SIGABRT or SIGSEGV on purpose: no core files for them.
ulimit -c 0 2>/dev/null

log=$(mktemp "${TMPDIR:-/tmp}/weft-run-tests.XXXXXX") || exit 1
trap 'rm -f "$log"' EXIT

# The checks of the tree: "NAME|COMMAND ARGS..." (no spaces in an argument), run as the
# subtests "checks: NAME": the kernel's parser takes a result line inside a subtest that has
# the subtest's own name for the subtest's end, and a check's one line is often so named.
# The KTAP check reruns this script on the harness selftest (a quick, all-passing subtest
# that has nested TAP of its own) of the first pass.
check_list=()
if [ "$checks" = 1 ]; then
	ktap_binary=${bins[first[0]]:-}
	for binary in "${bins[@]:first[0]:count[0]}"; do
		[ "$(basename "$binary")" = harness-selftest ] && ktap_binary=$binary
	done
	check_list+=("check-includes|$here/check-includes.sh")
	check_list+=("check-arch|$here/check-arch.sh")
	check_list+=("check-layers|$here/check-layers.sh ${LAYERS_OBJDIR:-.}")
	check_list+=("check-elf|$here/check-elf.sh ${ELF_FILES:-${bins[*]}}")
	[ -f "$here/model/check-parker.sh" ] &&
		check_list+=("parker model|bash $here/model/check-parker.sh")
	[ -f "$here/model/check-sync.sh" ] &&
		check_list+=("sync models|bash $here/model/check-sync.sh")
	check_list+=("htmldocs|$here/check-docs.sh")
	# INSTALL_CHECKS (from the Makefile): install, then build samples/outside/, for each
	# architecture with its own compiler, strip and runner (check-install.sh's arguments).
	IFS=';' read -r -a install_checks <<<"${INSTALL_CHECKS:-}"
	for check in "${install_checks[@]}"; do
		check=${check#"${check%%[![:space:]]*}"}	# the blanks make leaves after a ";"
		[[ $check == *'|'* ]] &&
			check_list+=("${check%%|*}|$here/check-install.sh ${check#*|}")
	done
	# The tour under every fault it can meet, in each pass whose binaries are built
	# where one of the TOURs is (same O= directory): all of it natively, a sample under
	# a runner (qemu-user starts a program ~10x slower; the sweep checks the tour's
	# failure paths, whose C code is the same on every architecture and under
	# emulation): every 4th combination, and the first call of each name with each errno.
	for tour in ${TOUR:-}; do
		[ -x "$tour" ] || continue
		for pass in "${!labels[@]}"; do
			b=${bins[first[pass]]:-}
			[ "${b%%tests/*}" = "${tour%samples/tour/tour}" ] || continue
			if [ -z "${runners[pass]}" ]; then
				check_list+=("tour fault sweep ${labels[pass]}|$here/check-tour-faults.sh $tour")
			else
				check_list+=("tour fault sweep ${labels[pass]}, sampled|$here/check-tour-faults.sh --every 4 $tour ${runners[pass]}")
			fi
		done
	done
	ktap_pass=native:
	[ -n "${runners[0]}" ] && ktap_pass=${labels[0]}=${runners[0]}:
	check_list+=("ktap|$here/check-ktap.sh $ktap_pass $ktap_binary")
fi

planned=${#check_list[@]}
for pass in "${!labels[@]}"; do
	planned=$((planned + count[pass]))
done
echo "KTAP version 1"
echo "1..$planned"

n=0
passed=0 failed=0 skipped=0		# of the current group (the checks, or one pass)
all_passed=0 all_failed=0 all_skipped=0
totals=()
failures=()	# "# FAILED: ..." lines, repeated at the end next to the totals

# subtest NAME COMMAND...: the command's TAP, nested, as it comes; then its result line.
subtest()
{
	local name=$1 status p f s planned reported why k
	shift
	n=$((n + 1))
	echo "    KTAP version 1"
	echo "    # Subtest: $name"
	# Its own version line is replaced by the two above; everything else moves right.
	timeout -k 10 600 "$@" </dev/null 2>&1 | tee "$log" |
		sed -u -E -e '/^K?TAP version [0-9]+$/d' -e 's/^/    /'
	status=${PIPESTATUS[0]}
	p=$(grep -cE '^ok [0-9]+' "$log")
	s=$(grep -ciE '^ok [0-9]+.*# *skip' "$log")
	f=$(grep -cE '^not ok [0-9]+' "$log")
	planned=$(grep -m1 -oE '^1\.\.[0-9]+' "$log")
	planned=${planned#1..}
	reported=$((p + f))
	p=$((p - s))
	# 4 is kselftest's "everything skipped"; timeout says 124, or 128 + the signal.
	why=""
	if [ "$status" -eq 124 ]; then
		why="timed out after 600 s"
	elif [ "$status" -gt 128 ]; then
		why="killed by signal $((status - 128))"
	elif [ "$status" -ne 0 ] && [ "$status" -ne 4 ]; then
		why="exit status $status"
	fi
	# A program that died before its plan or its last result still closes its
	# subtest with the results it owes, as failures, so that the stream stays whole.
	if [ -z "$planned" ]; then
		echo "    1..1"
		echo "    not ok 1 no_plan # no plan printed${why:+; $why}"
		f=$((f + 1))
	elif [ "$reported" -lt "$planned" ]; then
		for ((k = reported + 1; k <= planned; k++)); do
			echo "    not ok $k not_run # ${why:-the program stopped} before this test"
		done
		f=$((f + planned - reported))
	elif [ -n "$why" ] && [ "$f" -eq 0 ]; then
		echo "    # $name: $why with no failed test reported"
		f=1
	fi
	echo "# $name: $p passed, $f failed, $s skipped"
	# A CI log is often read from its end only: say there which tests failed.
	if [ "$f" -gt 0 ]; then
		while IFS= read -r k; do
			failures+=("# FAILED: $name: $k")
		done < <(grep -E '^not ok [0-9]+' "$log")
		[ -n "$why" ] && failures+=("# FAILED: $name: $why")
	fi
	if [ "$f" -gt 0 ]; then
		echo "not ok $n $name"
	elif [ "$p" -eq 0 ] && [ "$s" -gt 0 ]; then
		echo "ok $n $name # SKIP"
	else
		echo "ok $n $name"
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

# end_group LABEL: its totals line, kept for the end of the stream.
end_group()
{
	totals+=("# $1: $passed passed, $failed failed, $skipped skipped")
	all_passed=$((all_passed + passed)) all_failed=$((all_failed + failed))
	all_skipped=$((all_skipped + skipped))
	passed=0 failed=0 skipped=0
}

if [ ${#check_list[@]} -gt 0 ]; then
	for check in "${check_list[@]}"; do
		# shellcheck disable=SC2086 # COMMAND ARGS... is split on purpose
		subtest "checks: ${check%%|*}" ${check#*|}
	done
	end_group checks
fi

for pass in "${!labels[@]}"; do
	label=${labels[pass]} runner=()
	[ -n "${runners[pass]}" ] && runner=("${runners[pass]}")
	unset WEFT_TEST_QEMU
	if [ ${#runner[@]} -gt 0 ]; then
		if ! command -v "${runner[0]}" >/dev/null 2>&1; then
			for binary in "${bins[@]:first[pass]:count[pass]}"; do
				n=$((n + 1)) failed=$((failed + 1))
				echo "not ok $n $label: $binary # ${runner[0]} not found:" \
				     "apt-get install -y qemu-user (or make deps)"
			done
			end_group "$label"
			continue
		fi
		# Tests that re-execute themselves (test_exec_self()) do it under qemu too.
		WEFT_TEST_QEMU=$(command -v "${runner[0]}")
		export WEFT_TEST_QEMU
	fi
	for binary in "${bins[@]:first[pass]:count[pass]}"; do
		if [ "$(basename "$binary")" = harness-selftest ]; then
			# It fails on purpose; its check is a comparison with golden output.
			subtest "$label: harness golden output" \
				"$here/check-harness.sh" "$binary" "${runner[@]}"
		else
			subtest "$label: $binary" "${runner[@]}" "$binary"
		fi
	done
	end_group "$label"
done

[ ${#failures[@]} -gt 0 ] && printf '%s\n' "${failures[@]}"
printf '%s\n' "${totals[@]}"
echo "$all_passed passed, $all_failed failed, $all_skipped skipped"
[ "$all_failed" -eq 0 ]
