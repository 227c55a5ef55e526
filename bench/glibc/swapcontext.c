/* SPDX-License-Identifier: MIT */
/* Cost of one user-space context switch with glibc's swapcontext, the portable baseline. */
#include <errno.h>
#include <ucontext.h>

#include "bench.h"

/*
 * swapcontext saves and restores the signal mask as POSIX requires, which means an
 * rt_sigprocmask system call on every switch; a green-thread switch needs none.
 */
static ucontext_t main_context, coroutine_context;
static char coroutine_stack[64 * 1024] __attribute__((aligned(16)));

static void coroutine(void)
{
	for (;;)
		swapcontext(&coroutine_context, &main_context);
}

/* Each round trip is two switches: into the coroutine and back. */
static void round_trip_batch(long round_trips)
{
	for (long i = 0; i < round_trips; i++)
		swapcontext(&main_context, &coroutine_context);
}

int main(void)
{
	if (getcontext(&coroutine_context))
		bench_die("getcontext", errno);
	coroutine_context.uc_stack.ss_sp = coroutine_stack;
	coroutine_context.uc_stack.ss_size = sizeof(coroutine_stack);
	coroutine_context.uc_link = NULL; /* never used: the coroutine never returns */
	makecontext(&coroutine_context, coroutine, 0);

	bench_result("ctxswitch",
		     bench_median_ns_per_op(round_trip_batch, bench_scaled(50000)) / 2, "ns");
	return 0;
}
