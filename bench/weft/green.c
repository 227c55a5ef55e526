// SPDX-License-Identifier: MIT
/* Green threads: the cost of a yield, of spawn+join, and the memory of 10,000 live ones. */
#include <linux/fcntl.h>

#include "bench.h"

/* ---- green_switch: two green threads yielding to each other ------------------------ */

static void *yield_n(void *arg)
{
	for (long i = (long)arg; i > 0; i--)
		weft_green_yield();
	return NULL;
}

/*
 * Each of the two threads yields @switches / 2 times; every yield is one switch,
 * straight from one green stack to the other (arch/x86_64/green.S), plus the run
 * queue and TCB bookkeeping of lib/green.c. Two spawns and two exits per batch are
 * spread over millions of switches.
 */
static void ping_pong_batch(long switches)
{
	struct weft_green_handle a, b;
	long error;

	if ((error = weft_green_spawn(&a, yield_n, (void *)(switches / 2), NULL)) ||
	    (error = weft_green_spawn(&b, yield_n, (void *)(switches / 2), NULL)))
		bench_die("weft_green_spawn", error);
	weft_green_run();
	weft_green_join(&a, NULL);
	weft_green_join(&b, NULL);
}

/* ---- green_spawn_join: the green counterpart of spawn_join.weft -------------------- */

static void *do_nothing(void *argument)
{
	return argument;
}

/* Join from the owning OS thread runs the scheduler: the thread runs, returns, is reaped. */
static void spawn_join_batch(long threads)
{
	for (long i = 0; i < threads; i++) {
		struct weft_green_handle handle;
		long error = weft_green_spawn(&handle, do_nothing, NULL, NULL);

		if (error)
			bench_die("weft_green_spawn", error);
		error = weft_green_join(&handle, NULL);
		if (error)
			bench_die("weft_green_join", error);
	}
}

/* ---- green_mem10k: resident memory of 10,000 green threads that have all run ------- */

#define LIVE 10000

static long rss_kib(void)
{
	char buf[4096];
	long fd = sys_openat(AT_FDCWD, "/proc/self/status", O_RDONLY | O_CLOEXEC, 0), n;
	const char *p;
	long kib = 0;

	if (fd < 0)
		bench_die("open /proc/self/status", fd);
	n = sys_read((int)fd, buf, sizeof(buf) - 1);
	sys_close((int)fd);
	if (n <= 0)
		bench_die("read /proc/self/status", n);
	buf[n] = 0;
	p = weft_strstr(buf, "VmRSS:");
	if (!p)
		bench_die("no VmRSS in /proc/self/status", 0);
	for (p += 6; *p == ' ' || *p == '\t'; p++)
		;
	for (; *p >= '0' && *p <= '9'; p++)
		kib = kib * 10 + (*p - '0');
	return kib;
}

static long rss_before, rss_live;

/* Run, yield once (so the stack is in use, suspended mid-function), then finish. */
static void *live_once(void *arg)
{
	weft_green_yield();
	return arg;
}

/* Spawned last: by the time it runs, all LIVE others have run and are suspended. */
static void *measure_rss(void *arg)
{
	rss_live = rss_kib();
	return arg;
}

static double live_threads_kib(void)
{
	static struct weft_green_handle handles[LIVE];
	struct weft_green_handle measurer;
	long error;

	rss_before = rss_kib();
	for (int i = 0; i < LIVE; i++)
		if ((error = weft_green_spawn(&handles[i], live_once, NULL, NULL)))
			bench_die("weft_green_spawn", error);
	if ((error = weft_green_spawn(&measurer, measure_rss, NULL, NULL)))
		bench_die("weft_green_spawn", error);
	weft_green_run();
	for (int i = 0; i < LIVE; i++)
		weft_green_join(&handles[i], NULL);
	weft_green_join(&measurer, NULL);
	return (double)(rss_live - rss_before);
}

int main(void)
{
	double kib;

	bench_result("green_switch", bench_median_ns_per_op(ping_pong_batch, bench_scaled(2000000)),
		     "ns");
	bench_result("green_spawn_join",
		     bench_median_ns_per_op(spawn_join_batch, bench_scaled(200000)), "ns");
	/* Last, and once: RSS only grows, so a second round would measure nothing new. */
	kib = live_threads_kib();
	bench_result("green_mem10k", kib, "KiB");
	weft_dprintf(1, "# green_mem10k: %ld.%02ld KiB per live green thread (its stack's touched "
		     "pages, its structs); page tables not included\n",
		     (long)(kib / LIVE), (long)(kib * 100 / LIVE) % 100);
	return 0;
}
