/* SPDX-License-Identifier: MIT */
/* Cost of reading a __thread variable versus pthread_getspecific and pthread_setspecific. */
#include <pthread.h>

#include "bench.h"

/*
 * In an executable (static or dynamic) the linker resolves this to a fixed offset from the
 * thread pointer, so a read is one `mov %fs:offset` instruction: the floor for thread-local
 * storage. The figure includes the loop's own increment and branch. Not static: a static
 * variable nobody writes is folded to its initial value and the load disappears.
 */
__thread long thread_local_value = 1;

static pthread_key_t key;

static void raw_tls_read_batch(long reads)
{
	for (long i = 0; i < reads; i++)
		bench_keep(thread_local_value);
}

/*
 * glibc keeps the first 32 keys in an array inside struct pthread and the rest in
 * second-level blocks; this key is one of the first 32, the fast path.
 */
static void getspecific_batch(long reads)
{
	for (long i = 0; i < reads; i++)
		bench_keep(pthread_getspecific(key));
}

static void setspecific_batch(long writes)
{
	for (long i = 0; i < writes; i++) {
		int error = pthread_setspecific(key, (void *)(i + 1));

		if (__builtin_expect(error, 0))
			bench_die("pthread_setspecific", error);
		bench_keep(i);
	}
}

int main(void)
{
	int error = pthread_key_create(&key, NULL);

	if (error)
		bench_die("pthread_key_create", error);
	bench_result("tls_raw",
		     bench_median_ns_per_op(raw_tls_read_batch, bench_scaled(100000000)), "ns");
	bench_result("getspecific",
		     bench_median_ns_per_op(getspecific_batch, bench_scaled(20000000)), "ns");
	bench_result("setspecific",
		     bench_median_ns_per_op(setspecific_batch, bench_scaled(20000000)), "ns");
	return 0;
}
