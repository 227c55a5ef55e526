/* SPDX-License-Identifier: MIT */
/* Thread exit cost when the thread has set 0, 10 or 100 pthread keys that have destructors. */
#include <pthread.h>

#include "bench.h"

#define MAX_KEYS 100

static pthread_key_t keys[MAX_KEYS];
static int keys_to_set; /* written by main between batches, before any pthread_create */

/* Called once per non-NULL key at thread exit; kept opaque so it cannot be skipped. */
static void destructor(void *value)
{
	bench_keep(value);
}

/*
 * Keys 32 and up live in second-level blocks that glibc callocs on first set in a thread
 * and frees at its exit, so the 100-key case also pays for that allocation: it is part of
 * what a pthread key costs.
 */
static void *set_keys_and_exit(void *unused)
{
	(void)unused;
	for (int i = 0; i < keys_to_set; i++) {
		int error = pthread_setspecific(keys[i], &keys[i]);

		if (error)
			bench_die("pthread_setspecific", error);
	}
	return NULL;
}

static void spawn_join_batch(long threads)
{
	for (long i = 0; i < threads; i++) {
		pthread_t thread;
		int error = pthread_create(&thread, NULL, set_keys_and_exit, NULL);

		if (error)
			bench_die("pthread_create", error);
		error = pthread_join(thread, NULL);
		if (error)
			bench_die("pthread_join", error);
	}
}

int main(void)
{
	static const struct {
		int keys;
		const char *metric;
	} cases[] = { { 0, "exit_dtors0" }, { 10, "exit_dtors10" }, { 100, "exit_dtors100" } };

	for (int i = 0; i < MAX_KEYS; i++) {
		int error = pthread_key_create(&keys[i], destructor);

		if (error)
			bench_die("pthread_key_create", error);
	}
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		keys_to_set = cases[i].keys;
		bench_result(cases[i].metric,
			     bench_median_ns_per_op(spawn_join_batch, bench_scaled(1000)), "ns");
	}
	return 0;
}
