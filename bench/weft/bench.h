/* SPDX-License-Identifier: MIT */
/* Helpers for the weft-side benchmarks: glibc bench.h's clock, scale and medians, without libc. */
#ifndef WEFT_BENCH_WEFT_BENCH_H
#define WEFT_BENCH_WEFT_BENCH_H

#include <stdint.h>

#include <linux/time.h>

#include "weft/weft.h"

#include "kernel-abi/sys.h"

/*
 * Everything below mirrors bench/glibc/bench.h line for line, so that both sides of a
 * row are timed by the same loop. The only differences are the ones libc would hide:
 * the clock is a raw clock_gettime system call (weft has no vDSO reader; qemu-user maps
 * no vDSO at all), BENCH_SCALE is parsed by hand, and a double is printed by hand.
 * The clock is read twice per batch, so its extra cost (about 1 us on a VM with page
 * table isolation) is spread over thousands of operations.
 */
#define VARIANT "weft"

/*
 * Five measured batches: the median of five is unmoved by one batch that the hypervisor
 * or another process preempted, and still keeps a whole run short.
 */
#define BENCH_BATCHES 5

/*
 * An empty asm that takes @value and claims to clobber memory: the compiler must compute
 * @value, and must reload anything it read from memory before, so a timed loop can
 * neither be deleted nor have its load hoisted out. It emits no instruction.
 */
#define bench_keep(value) __asm__ volatile("" : : "r"(value) : "memory")

static inline long long bench_now_ns(void)
{
	struct __kernel_timespec now;

	/* CLOCK_MONOTONIC, because the wall clock may be stepped while we measure. */
	sys_clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec * 1000000000LL + now.tv_nsec;
}

/* @error is a weft return value, -errno; there is no strerror without libc. */
static inline __attribute__((noreturn)) void bench_die(const char *what, long error)
{
	weft_dprintf(2, "%s: error %ld\n", what, error);
	weft_exit(1);
}

/*
 * "2", "0.5", ".25", "10.": digits with at most one point. Return: the value, or -1 for
 * anything else (strtod would also take exponents and hex; nobody scales a benchmark so).
 */
static inline double bench_parse_scale(const char *text)
{
	double value = 0, unit = 1;
	int digits = 0, seen_point = 0;

	for (; *text; text++) {
		if (*text == '.' && !seen_point) {
			seen_point = 1;
		} else if (*text >= '0' && *text <= '9') {
			digits++;
			if (seen_point) {
				unit /= 10;
				value += (*text - '0') * unit;
			} else {
				value = value * 10 + (*text - '0');
			}
		} else {
			return -1;
		}
	}
	return digits ? value : -1;
}

/* BENCH_SCALE multiplies iteration counts: 0.1 for a smoke test, 10 for a careful run. */
static inline double bench_scale(void)
{
	const char *text = weft_getenv("BENCH_SCALE");
	double scale;

	if (!text || !*text)
		return 1.0;
	scale = bench_parse_scale(text);
	if (!(scale > 0)) {
		weft_dprintf(2, "# ignoring BENCH_SCALE='%s': not a positive number\n", text);
		return 1.0;
	}
	return scale;
}

static inline long bench_scaled(long count)
{
	long scaled = (long)(count * bench_scale());

	return scaled > 0 ? scaled : 1;
}

/* Sorts @values in place (insertion sort: there are five of them). */
static inline double bench_median(double *values, int count)
{
	for (int i = 1; i < count; i++)
		for (int j = i; j > 0 && values[j - 1] > values[j]; j--) {
			double swap = values[j];

			values[j] = values[j - 1];
			values[j - 1] = swap;
		}
	if (count % 2)
		return values[count / 2];
	return (values[count / 2 - 1] + values[count / 2]) / 2;
}

/*
 * Runs @run_batch once with a tenth of @operations unmeasured, so that first-touch page
 * faults and weft's stack cache are warm, then BENCH_BATCHES times measured. Returns the
 * median of the per-batch ns per operation.
 */
static inline double bench_median_ns_per_op(void (*run_batch)(long operations), long operations)
{
	double ns_per_op[BENCH_BATCHES];

	run_batch(operations >= 10 ? operations / 10 : 1);
	for (int batch = 0; batch < BENCH_BATCHES; batch++) {
		long long start = bench_now_ns();

		run_batch(operations);
		ns_per_op[batch] = (double)(bench_now_ns() - start) / operations;
	}
	return bench_median(ns_per_op, BENCH_BATCHES);
}

/*
 * One line of the protocol bench/run.sh reads: RESULT <metric>.<variant> <value> <unit>,
 * the value with three decimals like glibc's "%.3f" (weft's printf has no %f).
 */
static inline void bench_result_variant(const char *metric, const char *variant, double value,
					const char *unit)
{
	const char *sign = value < 0 ? "-" : "";
	unsigned long long thousandths;

	if (value < 0)
		value = -value;
	thousandths = (unsigned long long)(value * 1000 + 0.5);
	weft_dprintf(1, "RESULT %s.%s %s%llu.%03llu %s\n", metric, variant, sign,
		     thousandths / 1000, thousandths % 1000, unit);
}

static inline void bench_result(const char *metric, double value, const char *unit)
{
	bench_result_variant(metric, VARIANT, value, unit);
}

#endif /* WEFT_BENCH_WEFT_BENCH_H */
