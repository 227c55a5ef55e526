/* SPDX-License-Identifier: MIT */
/* Helpers shared by the glibc-side benchmarks: clock, BENCH_SCALE, medians and RESULT lines. */
#ifndef WEFT_BENCH_GLIBC_BENCH_H
#define WEFT_BENCH_GLIBC_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef VARIANT
#error "build with -DVARIANT=\"glibc_static\" or -DVARIANT=\"glibc_dynamic\""
#endif

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
	struct timespec now;

	/* CLOCK_MONOTONIC, because the wall clock may be stepped while we measure. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec * 1000000000LL + now.tv_nsec;
}

static inline void bench_die(const char *what, int error)
{
	fprintf(stderr, "%s: %s\n", what, strerror(error));
	exit(1);
}

/* BENCH_SCALE multiplies iteration counts: 0.1 for a smoke test, 10 for a careful run. */
static inline double bench_scale(void)
{
	const char *text = getenv("BENCH_SCALE");
	char *end;
	double scale;

	if (!text || !*text)
		return 1.0;
	scale = strtod(text, &end);
	if (*end || !(scale > 0)) {
		fprintf(stderr, "# ignoring BENCH_SCALE='%s': not a positive number\n", text);
		return 1.0;
	}
	return scale;
}

static inline long bench_scaled(long count)
{
	long scaled = (long)(count * bench_scale());

	return scaled > 0 ? scaled : 1;
}

static int bench_compare_doubles(const void *left, const void *right)
{
	double a = *(const double *)left, b = *(const double *)right;

	return (a > b) - (a < b);
}

/* Sorts @values in place. */
static inline double bench_median(double *values, int count)
{
	qsort(values, count, sizeof(values[0]), bench_compare_doubles);
	if (count % 2)
		return values[count / 2];
	return (values[count / 2 - 1] + values[count / 2]) / 2;
}

/*
 * Runs @run_batch once with a tenth of @operations unmeasured, so that first-touch page
 * faults, lazy symbol binding and glibc's stack cache are warm, then BENCH_BATCHES times
 * measured. Returns the median of the per-batch ns per operation.
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

/* One line of the protocol bench/run.sh reads: RESULT <metric>.<variant> <value> <unit>. */
static inline void bench_result(const char *metric, double value, const char *unit)
{
	printf("RESULT %s.%s %.3f %s\n", metric, VARIANT, value, unit);
	fflush(stdout);
}

#endif /* WEFT_BENCH_GLIBC_BENCH_H */
