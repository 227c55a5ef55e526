/* SPDX-License-Identifier: MIT */
/* Spawn 10,000 threads that all stay alive parked on a gate, then join them; time and RSS. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

#include "bench.h"

/*
 * All 10,000 threads are alive at once (unlike spawn_join), so glibc's stack cache, which
 * holds only 40 MiB of stacks, cannot serve them: every thread costs a fresh mmap of an
 * 8 MiB stack plus guard page, and every join beyond the cache an munmap. Default
 * attributes on purpose: that is what a program gets without thinking about it.
 */
#define THREAD_COUNT 10000

static pthread_t threads[THREAD_COUNT];

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_opened = PTHREAD_COND_INITIALIZER;
static pthread_cond_t everyone_arrived = PTHREAD_COND_INITIALIZER;
/* Protected by gate_lock. */
static int arrived;
static int expected; /* lowered if pthread_create runs out of threads */
static bool gate_open;

static void *wait_at_gate(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&gate_lock);
	if (++arrived == expected)
		pthread_cond_signal(&everyone_arrived);
	while (!gate_open)
		pthread_cond_wait(&gate_opened, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	return NULL;
}

/* VmRSS in KiB: resident pages of the whole process, which is what an idle thread costs. */
static long resident_kib(void)
{
	FILE *status = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	if (!status)
		bench_die("/proc/self/status", errno);
	while (fgets(line, sizeof(line), status))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(status);
	if (kib < 0)
		bench_die("VmRSS in /proc/self/status", EINVAL);
	return kib;
}

static int spawn_all(void)
{
	pthread_mutex_lock(&gate_lock);
	arrived = 0;
	expected = THREAD_COUNT;
	gate_open = false;
	pthread_mutex_unlock(&gate_lock);

	for (int i = 0; i < THREAD_COUNT; i++) {
		int error = pthread_create(&threads[i], NULL, wait_at_gate, NULL);

		if (error == EAGAIN && i > 0) {
			printf("# spawn10k: pthread_create failed with EAGAIN after %d threads: "
			       "spawn10k and rss_per_thread below are for %d threads\n",
			       i, i);
			pthread_mutex_lock(&gate_lock);
			expected = i;
			if (arrived == expected)
				pthread_cond_signal(&everyone_arrived);
			pthread_mutex_unlock(&gate_lock);
			return i;
		}
		if (error)
			bench_die("pthread_create", error);
	}
	return THREAD_COUNT;
}

static void wait_until_all_parked(void)
{
	pthread_mutex_lock(&gate_lock);
	while (arrived < expected)
		pthread_cond_wait(&everyone_arrived, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
}

static void open_gate_and_join(int count)
{
	pthread_mutex_lock(&gate_lock);
	gate_open = true;
	pthread_cond_broadcast(&gate_opened);
	pthread_mutex_unlock(&gate_lock);
	for (int i = 0; i < count; i++) {
		int error = pthread_join(threads[i], NULL);

		if (error)
			bench_die("pthread_join", error);
	}
}

int main(void)
{
	/*
	 * A repetition takes seconds on a small VM, so by default there is one per process
	 * and the median comes from run.sh's rounds; BENCH_SCALE=3 makes it three here.
	 */
	long repetitions = bench_scaled(1);
	double *milliseconds = calloc(repetitions, sizeof(*milliseconds));
	double kib_per_thread = 0;
	int count = 0;

	if (!milliseconds)
		bench_die("calloc", ENOMEM);
	for (long repetition = 0; repetition < repetitions; repetition++) {
		long rss_before = 0;
		long long start, all_parked, resumed, end;

		/*
		 * Only the first repetition measures RSS: later ones start with glibc's stack
		 * cache full of already-touched stacks, which would hide their pages.
		 */
		if (repetition == 0) {
			/* Fault in the handle array now: its pages are not the threads' cost. */
			memset(threads, 0, sizeof(threads));
			rss_before = resident_kib();
		}
		start = bench_now_ns();
		count = spawn_all();
		wait_until_all_parked();
		all_parked = bench_now_ns();
		if (repetition == 0) {
			/*
			 * The last arrivals may still be on their way into futex_wait, touching
			 * stack; give them time to settle, outside the timed span.
			 */
			struct timespec settle = { 0, 20 * 1000 * 1000 };

			nanosleep(&settle, NULL);
			kib_per_thread = (double)(resident_kib() - rss_before) / count;
		}
		resumed = bench_now_ns();
		open_gate_and_join(count);
		end = bench_now_ns();
		milliseconds[repetition] = ((all_parked - start) + (end - resumed)) / 1e6;
	}
	bench_result("spawn10k", bench_median(milliseconds, repetitions), "ms");
	bench_result("rss_per_thread", kib_per_thread, "KiB");
	free(milliseconds);
	return 0;
}
