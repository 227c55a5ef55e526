// SPDX-License-Identifier: MIT
/* How many threads can be alive at once: spawn until weft_spawn fails (or a cap), then join. */
#include <stdatomic.h>

#include <linux/futex.h>

#include "bench.h"

/*
 * Every thread stays alive, asleep on one futex word, until the spawn loop stops: at
 * the first error, or at LIVE_THREADS_MAX threads (default 40,000, above the limits
 * of the machines this ran on; set it lower on a shared machine, since running a
 * machine out of pids or VMAs stops every other program's fork too). What usually
 * stops it first is vm.max_map_count (65,530 VMAs by default: a weft thread is two,
 * the guard and the rest, as a glibc thread is) or kernel.pid_max. 64 KiB stacks on
 * both sides, so memory is not what runs out; bench/glibc/live_threads.c is the twin.
 */
static _Atomic uint32_t gate;
static struct weft_join_handle *handles;

static void *sleep_at_gate(void *unused)
{
	while (!atomic_load_explicit(&gate, memory_order_acquire))
		sys_futex((uint32_t *)&gate, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	return NULL;
}

static long cap(void)
{
	const char *text = weft_getenv("LIVE_THREADS_MAX");
	unsigned long long v;

	if (text && weft_parse_u64(text, &v) == 0 && v > 0 && v < 10000000)
		return (long)v;
	return 40000;
}

int main(void)
{
	struct weft_builder b = { .stack_size = 64 << 10 };
	long max = cap(), live = 0;
	int err = 0;

	handles = weft_calloc((size_t)max, sizeof(*handles));
	if (!handles)
		bench_die("calloc", -12);
	while (live < max && (err = weft_builder_spawn(&b, &handles[live], sleep_at_gate, NULL)) == 0)
		live++;
	weft_dprintf(2, "live_threads.weft: %ld threads, then %s %d\n", live,
		     live < max ? "weft_spawn returned" : "the cap; last", err);
	atomic_store_explicit(&gate, 1, memory_order_release);
	sys_futex((uint32_t *)&gate, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
	for (long i = 0; i < live; i++)
		if (weft_join(&handles[i], NULL))
			bench_die("join", -1);
	/* The process keeps working after the failure: one more thread, now that all left. */
	if (weft_builder_spawn(&b, &handles[0], sleep_at_gate, NULL) || weft_join(&handles[0], NULL))
		bench_die("spawn after the limit", -1);
	bench_result("live_threads", (double)live, "threads");
	return 0;
}
