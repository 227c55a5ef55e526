#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Model-checks weft's Parker (tests/model/parker.pml) with spin and reports the results as TAP.
#
# Usage: bash tests/model/check-parker.sh [-v] [PREFIX CHECK...]
#   -v  also print, as "#" lines, the counterexample spin finds for each broken variant.
#
# Each check runs "spin -a" (Promela -> pan.c), compiles pan.c with -DSAFETY (safety
# properties only: assertions and invalid end states, i.e. deadlocks and lost wake-ups),
# and runs an exhaustive search; a check whose flags define LIVENESS checks the model's
# ltl property instead, for acceptance cycles under weak fairness (pan -a -f). The correct
# model must give "errors: 0"; each BROKEN variant must give the one error it was written
# to show (a safety one is then built with -DREACH and run with -i, so the counterexample
# it keeps is the shortest one). Exit status: 0 all passed, 1 something failed, 4 skipped
# (kselftest's KSFT_SKIP) because spin or cc is missing.
# Environment: MODEL_CC_FLAGS and MODEL_PAN_FLAGS are appended to every check's compiler
# and pan options (tests/model/check-sync.sh --big: compression, a bigger table).

set -u

here=$(cd "$(dirname "$0")" && pwd)
cc=${CC:-gcc}
verbose=0
[ "${1:-}" = "-v" ] && verbose=1 && shift

# name | spin -D flags | expected: "pass", or the pan message the bug must produce
# [| model file in this directory, parker.pml if left out]
checks=(
	"nthreads-2|-DNTHREADS=2|pass"
	"nthreads-3|-DNTHREADS=3|pass"
	"broken-unpark-no-wake|-DNTHREADS=2 -DBROKEN=1|invalid end state"
	"broken-check-then-wait|-DNTHREADS=2 -DBROKEN=2|invalid end state"
	"broken-trust-wakeup|-DNTHREADS=2 -DBROKEN=3|assertion violated"
)
prefix=parker-model
# Other models reuse this runner: check-parker.sh [-v] PREFIX CHECK... (tests/model/check-sync.sh).
if [ $# -gt 0 ]; then
	prefix=$1
	shift
	checks=("$@")
fi

echo "TAP version 13"
echo "1..${#checks[@]}"

missing=""
command -v spin >/dev/null 2>&1 || missing="spin not installed (apt-get install -y spin)"
[ -z "$missing" ] && ! command -v "$cc" >/dev/null 2>&1 && missing="no C compiler ($cc) for pan.c"
if [ -n "$missing" ]; then
	n=0
	for check in "${checks[@]}"; do
		n=$((n + 1))
		echo "ok $n $prefix.${check%%|*} # SKIP $missing"
	done
	echo "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:$n error:0"
	exit 4
fi

workdir=$(mktemp -d "${TMPDIR:-/tmp}/parker-model.XXXXXX") || exit 1
trap 'rm -rf "$workdir"' EXIT

# run_check DIR FLAGS EXPECT: build and run pan in DIR; pan's report goes to DIR/pan.out.
run_check()
{
	local dir=$1 flags=$2 expect=$3 model=$4
	local cc_flags="-O2 -DSAFETY" pan_flags="-m100000 -w20 -n"

	if [[ "$flags" == *-DLIVENESS* ]]; then
		# A model's ltl property: search for acceptance cycles (-a) under weak
		# fairness (-f), states compressed (-DCOLLAPSE): looping processes
		# make deep searches, ~160,000 steps for rwlock.pml.
		cc_flags="-O2 -DCOLLAPSE"
		pan_flags="-a -f -m500000 -w20 -n"
	elif [ "$expect" != pass ]; then
		# For a broken variant, search on after the first error for shorter ones (-i).
		cc_flags="$cc_flags -DREACH"
		pan_flags="$pan_flags -i"
	fi
	cc_flags="$cc_flags ${MODEL_CC_FLAGS:-}"
	pan_flags="$pan_flags ${MODEL_PAN_FLAGS:-}"
	# Every model, for the files one #includes (futex.pml).
	mkdir -p "$dir" && cp "$here"/*.pml "$dir/" && cd "$dir" || return 1
	# shellcheck disable=SC2086 # the flag variables are lists of options
	spin $flags -a "$model" >spin.out 2>&1 || { cat spin.out; return 1; }
	# shellcheck disable=SC2086
	"$cc" $cc_flags -o pan pan.c >cc.out 2>&1 || { cat cc.out; return 1; }
	# -m: search depth limit. -w20: a hash table of 2^20 slots, plenty for the
	# ~281,000 states of the largest check (the default 2^24 costs 128 MiB to clear).
	# -n: no list of unreached statements.
	# shellcheck disable=SC2086
	./pan $pan_flags >pan.out 2>&1
	return 0
}

pass=0
fail=0
n=0
for check in "${checks[@]}"; do
	IFS='|' read -r name flags expect model <<<"$check"
	model=${model:-parker.pml}
	n=$((n + 1))
	dir=$workdir/$name
	result=fail
	why=""
	start=$(date +%s.%N)
	if ! log=$(run_check "$dir" "$flags" "$expect" "$model" 2>&1); then
		why="could not build the verifier: $(echo "$log" | head -n 3 | tr '\n' ' ')"
	elif grep -q "max search depth too small" "$dir/pan.out"; then
		why="search truncated by -m; raise the depth limit"
	elif [ "$expect" = pass ]; then
		if grep -q "errors: 0" "$dir/pan.out"; then
			result=pass
		else
			why="$(grep -m1 '^pan:1:' "$dir/pan.out")"
		fi
	else
		if grep -q "^pan:1: $expect" "$dir/pan.out"; then
			result=pass
		else
			why="expected \"$expect\", pan said: $(grep -m1 -E '^pan:1:|errors:' "$dir/pan.out")"
		fi
	fi
	seconds=$(echo "$start $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')

	# One summary line from pan's own report, e.g.
	# "7664 states, 9368 transitions, depth 78, errors: 0, search 0.01 s, total 0.4 s".
	if [ -f "$dir/pan.out" ]; then
		awk -v total="$seconds" -v flags="$flags" '
			/states, stored/	{ states = $1 }
			/transitions \(/	{ transitions = $1 }
			/depth reached/		{ d = $0; sub(/.*depth reached /, "", d); sub(/,.*/, "", d) }
			/errors:/		{ e = $0; sub(/.*errors: /, "", e) }
			/^pan:1:/		{ m = $0; sub(/^pan:1: /, "", m); sub(/ \(at depth.*/, "", m) }
			/reducing search depth to/ { shortest = $NF }
			/elapsed time/		{ t = $4 }
			END {
				printf "# %s: %s states, %s transitions, depth %s, errors: %s",
					flags, states, transitions, d, e
				if (m != "") printf " (%s)", m
				if (shortest != "") printf ", shortest counterexample %s steps", shortest
				printf ", search %s s, total %s s\n", t, total
			}' "$dir/pan.out"
	fi
	if [ "$verbose" = 1 ] && [ "$expect" != pass ] && [ -f "$dir/$model.trail" ]; then
		# shellcheck disable=SC2086
		# The trail, minus the steps that only move between branches.
		(cd "$dir" && spin $flags -t -p "$model" 2>&1) |
			grep -v -E '\[(\.\(goto\)|IF|\(1\)|else)\]$' | sed 's/^/#   /'
	fi

	if [ "$result" = pass ]; then
		echo "ok $n $prefix.$name"
		pass=$((pass + 1))
	else
		echo "not ok $n $prefix.$name # $why"
		fail=$((fail + 1))
	fi
done

echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" -eq 0 ]
