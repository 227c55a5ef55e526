/* SPDX-License-Identifier: MIT */
/* Cost of reading an initialised LocalKey that has a destructor, against a raw __thread read. */
#include "bench.h"

/*
 * The raw read is the floor, the same variable as bench/glibc/tls.c: one
 * `mov %fs:offset` per iteration, plus the loop. Not static, so that the
 * compiler cannot fold it to its initial value.
 */
__thread long thread_local_value = 1;

/* Registered at the first access, so the loop measures the fast path of a key with one. */
static void keep_value(long *value)
{
	bench_keep(*value);
}

WEFT_THREAD_LOCAL(long, local_value, 1, keep_value);

static void raw_tls_read_batch(long reads)
{
	for (long i = 0; i < reads; i++)
		bench_keep(thread_local_value);
}

/* The inlined fast path: `cmpb $1, %fs:state` + `jne` + `mov %fs:value` (local-keys.rst). */
static void localkey_read_batch(long reads)
{
	for (long i = 0; i < reads; i++)
		bench_keep(weft_local_get(local_value));
}

int main(void)
{
	if (weft_local_get(local_value) != 1)	/* initialise: UNREGISTERED -> REGISTERED */
		bench_die("weft_local_get", -1);
	bench_result("tls_raw",
		     bench_median_ns_per_op(raw_tls_read_batch, bench_scaled(100000000)), "ns");
	bench_result("localkey",
		     bench_median_ns_per_op(localkey_read_batch, bench_scaled(100000000)), "ns");
	return 0;
}
