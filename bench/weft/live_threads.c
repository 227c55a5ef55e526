// SPDX-License-Identifier: MIT
/* How many threads can be alive at once: spawn until weft_spawn fails (or a cap), then join. */
#include <stdatomic.h>

#include <linux/fcntl.h>
#include <linux/futex.h>

#include "bench.h"

/*
 * Every thread stays alive, asleep on one futex word, until the spawn loop stops: at
 * the first error, or at the cap: LIVE_THREADS_MAX if set, else 40,000 or
 * kernel.pid_max less 4,096, whichever is lower, so that the rest of the machine can
 * still fork while this runs (running it out of pids stops every other program's
 * fork too). vm.max_map_count (65,530 VMAs by default) allowed weft 16,374 threads
 * when a thread was four VMAs; at two, the guard and the rest, as a glibc thread is,
 * it allows 32,765, and on a machine whose pid_max is 32,768 both reach the cap.
 * 64 KiB stacks on both sides, so memory is not what runs out;
 * bench/glibc/live_threads.c is the twin.
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
	static char buf[32];
	unsigned long long v;
	long fd, n;

	if (text && weft_parse_u64(text, &v) == 0 && v > 0 && v < 10000000)
		return (long)v;
	fd = sys_openat(AT_FDCWD, "/proc/sys/kernel/pid_max", O_RDONLY | O_CLOEXEC, 0);
	n = fd < 0 ? -1 : sys_read((int)fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		sys_close((int)fd);
	if (n > 0) {
		buf[n] = 0;
		if (buf[n - 1] == '\n')
			buf[n - 1] = 0;
		if (weft_parse_u64(buf, &v) == 0 && v > 8192 && v - 4096 < 40000)
			return (long)(v - 4096);
	}
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
