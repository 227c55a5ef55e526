#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the benchmark programs round-robin and prints the table declared in bench/rows.txt.
#
# Usage: bench/run.sh [program...]   (default: every executable in $BENCH_OUT, bench/out/)
#
# Environment: BENCH_ROUNDS (default 3) runs of every program; BENCH_PIN=1 runs each
# program under `taskset -c $BENCH_CPU` (default CPU 0), so both sides of a wake-up share
# one CPU (on these VMs CPU 0 also takes most interrupts: BENCH_CPU=1 is quieter); BENCH_SCALE is
# passed through to the programs; BENCH_TIMEOUT (default 300) seconds per run.
#
# Programs are run A B C A B C ..., not A A A B B B ..., so that slow drift of the machine
# (another tenant, frequency, a warming page cache) lands on every program alike.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out_dir=${BENCH_OUT:-$bench_dir/out}
rows_file=$bench_dir/rows.txt
results_file=$out_dir/results.txt
rounds=${BENCH_ROUNDS:-3}
pin=${BENCH_PIN:-0}
timeout_seconds=${BENCH_TIMEOUT:-300}

if ! [[ $rounds =~ ^[1-9][0-9]*$ ]]; then
	echo "run.sh: BENCH_ROUNDS must be a positive integer, not '$rounds'" >&2
	exit 2
fi

programs=()
for program in "$@"; do
	# A bare name would be looked up in PATH, not in the current directory.
	[[ $program == */* ]] || program=./$program
	if ! [[ -f $program && -x $program ]]; then
		echo "run.sh: $program is not an executable file" >&2
		exit 2
	fi
	programs+=("$program")
done
if ((${#programs[@]} == 0)); then
	# hello_thread-* only exist to be measured with stat; *.stripped are their copies.
	for file in "$out_dir"/*; do
		case $file in
		*.stripped | */hello_thread-*) continue ;;
		esac
		if [[ -f $file && -x $file ]]; then
			programs+=("$file")
		fi
	done
fi
if ((${#programs[@]} == 0)); then
	echo "run.sh: no benchmark programs in $out_dir (run make bench-glibc first)" >&2
	exit 2
fi

runner=()
if [[ $pin == 1 ]]; then
	runner+=(taskset -c "${BENCH_CPU:-0}")
fi
runner+=(timeout -k 5 "$timeout_seconds")

work_dir=$(mktemp -d)
trap 'rm -rf "$work_dir"' EXIT
raw=$work_dir/raw      # round program key value unit
notes=$work_dir/notes  # program: comment line
: >"$raw"
: >"$notes"
failures=0

for ((round = 1; round <= rounds; round++)); do
	for program in "${programs[@]}"; do
		name=${program##*/}
		printf '  %-8s%s (round %d/%d)\n' RUN "$name" "$round" "$rounds" >&2
		status=0
		"${runner[@]}" "$program" >"$work_dir/output" || status=$?
		if ((status == 124 || status == 137)); then
			echo "$name: killed after ${timeout_seconds}s in round $round" >>"$notes"
			failures=$((failures + 1))
		elif ((status != 0)); then
			echo "$name: exited with status $status in round $round" >>"$notes"
			failures=$((failures + 1))
		fi
		awk -v round="$round" -v name="$name" -v raw="$raw" -v notes="$notes" '
			$1 == "RESULT" && NF == 4 && $3 + 0 == $3 {
				print round, name, $2, $3, $4 >> raw
			}
			/^#/ { print name ": " $0 >> notes }
		' "$work_dir/output"
	done
done

# The binary-size row is measured here, not by a program: a stripped static binary's size.
record_size() {
	if [[ -f $2 ]]; then
		echo "- ${2##*/} $1 $(stat -c %s "$2") bytes" >>"$raw"
	fi
}
record_size size_hello.weft "$out_dir/hello_thread-weft.stripped"
record_size size_hello.weft_tracer "$out_dir/hello_thread-weft-tracer.stripped"
record_size size_hello.glibc_static "$out_dir/hello_thread-glibc-static.stripped"
record_size size_hello.musl_static "$out_dir/hello_thread-musl-static.stripped"

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
header() {
	echo "machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, Linux $(uname -r)"
	echo "runs:    $rounds rounds round-robin, $([[ $pin == 1 ]] && echo "pinned to CPU ${BENCH_CPU:-0}" ||
		echo "not pinned (BENCH_PIN=1 pins to CPU \${BENCH_CPU:-0})"), BENCH_SCALE=${BENCH_SCALE:-1}"
}

# Prints one block per row of rows.txt, then any result that no row names.
table() {
	awk -v raw="$raw" '
	function trim(text) {
		sub(/^[ \t]+/, "", text)
		sub(/[ \t]+$/, "", text)
		return text
	}
	function with_commas(digits,   sign, out) {
		sign = ""
		if (substr(digits, 1, 1) == "-") {
			sign = "-"
			digits = substr(digits, 2)
		}
		out = ""
		while (length(digits) > 3) {
			out = "," substr(digits, length(digits) - 2) out
			digits = substr(digits, 1, length(digits) - 3)
		}
		return sign digits out
	}
	# About three significant figures, as much as run-to-run noise leaves meaningful;
	# from 100 up, whole numbers, with thousands separated for the eye.
	function format(value,   magnitude) {
		magnitude = value < 0 ? -value : value
		if (magnitude >= 1000)
			return with_commas(sprintf("%.0f", value))
		if (magnitude >= 100)
			return sprintf("%.0f", value)
		if (magnitude >= 10)
			return sprintf("%.1f", value)
		if (magnitude >= 0.1)
			return sprintf("%.2f", value)
		return sprintf("%.3f", value)
	}
	function median(key,   n, i, j, sorted, swap) {
		n = count[key]
		for (i = 1; i <= n; i++)
			sorted[i] = values[key, i] + 0
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && sorted[j - 1] > sorted[j]; j--) {
				swap = sorted[j]
				sorted[j] = sorted[j - 1]
				sorted[j - 1] = swap
			}
		return n % 2 ? sorted[(n + 1) / 2] : (sorted[n / 2] + sorted[n / 2 + 1]) / 2
	}
	function print_key(key, baseline,   spread, ratio, base_median, line) {
		shown[key] = 1
		if (!(key in count)) {
			printf "  %-34s %12s\n", key, "-"
			return
		}
		spread = count[key] > 1 ? format(lowest[key]) " .. " format(highest[key]) : ""
		ratio = ""
		if (baseline in count) {
			base_median = median(baseline)
			if (base_median != 0)
				ratio = sprintf("%.2f×", median(key) / base_median)
		}
		line = sprintf("  %-34s %12s %-5s %-22s %s", key, format(median(key)), unit[key], \
			spread, ratio)
		sub(/ +$/, "", line)
		print line
	}
	BEGIN {
		printf "%-36s %12s %-5s %-22s %s\n", "", "median", "unit", "min .. max", "ratio"
	}
	FILENAME == raw {
		key = $3
		if (!(key in count)) {
			count[key] = 0
			order[++key_count] = key
			lowest[key] = highest[key] = $4 + 0
		}
		values[key, ++count[key]] = $4
		unit[key] = $5
		if ($4 + 0 < lowest[key]) lowest[key] = $4 + 0
		if ($4 + 0 > highest[key]) highest[key] = $4 + 0
		next
	}
	/^[ \t]*(#|$)/ { next }
	/^[ \t]/ {
		print_key(trim($0), baseline)
		next
	}
	{
		split($0, field, "|")
		title = trim(field[1])
		baseline = trim(field[2])
		printf "\n%s%s\n", title, baseline == "-" ? "" : ", ratio to " baseline
	}
	END {
		first = 1
		for (k = 1; k <= key_count; k++) {
			if (order[k] in shown)
				continue
			if (first)
				printf "\nother results (no row in rows.txt)\n"
			first = 0
			print_key(order[k], "")
		}
	}' "$raw" "$rows_file"
}

# Every value of every key, one line per key in the order first seen, to check the medians.
raw_values() {
	echo "raw values, per round (program: key values unit):"
	awk '
	!(($2, $3) in seen) { seen[$2, $3] = 1; order[++n] = $2 SUBSEP $3 }
	{ list[$2, $3] = list[$2, $3] " " $4; unit[$2, $3] = $5 }
	END {
		for (i = 1; i <= n; i++) {
			split(order[i], part, SUBSEP)
			printf "  %s: %s%s %s\n", part[1], part[2], list[order[i]], unit[order[i]]
		}
	}' "$raw"
}

mkdir -p "$out_dir"
{
	header
	table
	if [[ -s $notes ]]; then
		echo
		echo "notes from the programs:"
		sort -u "$notes" | sed 's/^/  /'
	fi
} | tee "$results_file"
{
	echo
	raw_values
} >>"$results_file"
echo
echo "raw per-round values: $results_file"

if ((failures > 0)); then
	echo "run.sh: $failures benchmark run(s) failed, see the notes above" >&2
	exit 1
fi
