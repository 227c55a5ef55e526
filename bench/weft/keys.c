/* SPDX-License-Identifier: MIT */
/* Cost of weft_key_get and weft_key_set, the counterparts of pthread_getspecific/setspecific. */
#include "bench.h"

static weft_key_t key;

/* Like bench/glibc/tls.c: a key among the first ones, its array already grown. */
static void key_get_batch(long reads)
{
	for (long i = 0; i < reads; i++)
		bench_keep(weft_key_get(key));
}

static void key_set_batch(long writes)
{
	for (long i = 0; i < writes; i++) {
		int error = weft_key_set(key, (void *)(i + 1));

		if (__builtin_expect(error, 0))
			bench_die("weft_key_set", error);
		bench_keep(i);
	}
}

int main(void)
{
	int error = weft_key_create(&key, NULL);

	if (error)
		bench_die("weft_key_create", error);
	/* The first set allocates this thread's array: not what is measured. */
	error = weft_key_set(key, &key);
	if (error)
		bench_die("weft_key_set", error);
	bench_result("key_get",
		     bench_median_ns_per_op(key_get_batch, bench_scaled(20000000)), "ns");
	bench_result("key_set",
		     bench_median_ns_per_op(key_set_batch, bench_scaled(20000000)), "ns");
	return 0;
}
