/* SPDX-License-Identifier: MIT */
/* Cost of pthread_create + pthread_join of a thread that does nothing, default attributes. */
#include <pthread.h>

#include "bench.h"

static void *do_nothing(void *argument)
{
	return argument;
}

/*
 * One thread at a time, so each join hands its 8 MiB stack back to glibc's stack cache
 * and the next pthread_create takes it again: after the warm-up batch this measures
 * clone, thread start-up, exit and the futex wake-up of the joiner, not mmap/munmap.
 */
static void spawn_join_batch(long threads)
{
	for (long i = 0; i < threads; i++) {
		pthread_t thread;
		int error = pthread_create(&thread, NULL, do_nothing, NULL);

		if (error)
			bench_die("pthread_create", error);
		error = pthread_join(thread, NULL);
		if (error)
			bench_die("pthread_join", error);
	}
}

int main(void)
{
	bench_result("spawn_join", bench_median_ns_per_op(spawn_join_batch, bench_scaled(2000)),
		     "ns");
	return 0;
}
