/* SPDX-License-Identifier: MIT */
/* Cost of weft_now(): the vDSO's clock_gettime against the clock_gettime system call. */
#include "bench.h"
#include "lib/internal.h"

static void now_batch(long reads)
{
	for (long i = 0; i < reads; i++)
		bench_keep(weft_now());
}

int main(void)
{
	/* Without a vDSO (qemu-user) both lines measure the system call. */
	bench_result("clock_vdso", bench_median_ns_per_op(now_batch, bench_scaled(1000000)), "ns");
	weft_clock_force_syscall(true);
	bench_result("clock_syscall", bench_median_ns_per_op(now_batch, bench_scaled(1000000)),
		     "ns");
	return 0;
}
