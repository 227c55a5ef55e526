// SPDX-License-Identifier: MIT
/* Cost of weft_spawn + weft_join of a thread that does nothing, default builder. */
#include "bench.h"

static void *do_nothing(void *argument)
{
	return argument;
}

/*
 * One thread at a time, like the glibc program: each join hands the 2 MiB mapping back
 * to weft's stack cache and the next spawn takes it again, so after the warm-up batch
 * this measures clone, thread start-up (sigaltstack), exit (sigaltstack off) and the
 * futex wake-up of the joiner, not mmap/mprotect/munmap.
 */
static void spawn_join_batch(long threads)
{
	for (long i = 0; i < threads; i++) {
		struct weft_join_handle handle;
		int error = weft_spawn(&handle, do_nothing, NULL);

		if (error)
			bench_die("weft_spawn", error);
		error = weft_join(&handle, NULL);
		if (error)
			bench_die("weft_join", error);
	}
}

int main(void)
{
	bench_result("spawn_join", bench_median_ns_per_op(spawn_join_batch, bench_scaled(2000)),
		     "ns");
	return 0;
}
