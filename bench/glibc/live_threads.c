/* SPDX-License-Identifier: MIT */
/* How many threads can be alive at once: pthread_create until it fails (or a cap), then join. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

/* The twin of bench/weft/live_threads.c: the same cap, 64 KiB stacks, one futex gate. */
static long cap(void)
{
	const char *text = getenv("LIVE_THREADS_MAX");
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
	long pid_max = 0;

	if (text && atol(text) > 0)
		return atol(text);
	if (f) {
		if (fscanf(f, "%ld", &pid_max) != 1)
			pid_max = 0;
		fclose(f);
	}
	return pid_max > 8192 && pid_max - 4096 < 40000 ? pid_max - 4096 : 40000;
}

static atomic_uint gate;

static void *sleep_at_gate(void *unused)
{
	(void)unused;
	while (!atomic_load_explicit(&gate, memory_order_acquire))
		syscall(SYS_futex, &gate, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	return NULL;
}

int main(void)
{
	long max = cap(), live = 0;
	pthread_t *threads = calloc((size_t)max, sizeof(*threads));
	pthread_attr_t attr;
	int err = 0;

	if (!threads)
		bench_die("calloc", ENOMEM);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 << 10);
	while (live < max && (err = pthread_create(&threads[live], &attr, sleep_at_gate, NULL)) == 0)
		live++;
	fprintf(stderr, "live_threads.%s: %ld threads, then %s %d\n", VARIANT, live,
		live < max ? "pthread_create returned" : "the cap; last", err);
	atomic_store_explicit(&gate, 1, memory_order_release);
	syscall(SYS_futex, &gate, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
	for (long i = 0; i < live; i++)
		pthread_join(threads[i], NULL);
	if (pthread_create(&threads[0], &attr, sleep_at_gate, NULL) ||
	    pthread_join(threads[0], NULL))
		bench_die("create after the limit", EAGAIN);
	bench_result("live_threads", (double)live, "threads");
	return 0;
}
