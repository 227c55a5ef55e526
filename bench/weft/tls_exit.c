/* SPDX-License-Identifier: MIT */
/* Thread exit cost when the thread has set 0, 10 or 100 weft keys that have destructors. */
#include "bench.h"

#define MAX_KEYS 100

static weft_key_t keys[MAX_KEYS];
static int keys_to_set;	/* written by main between batches, before any spawn */

/* Called once per non-NULL key at thread exit; kept opaque so it cannot be skipped. */
static void destructor(void *value)
{
	bench_keep(value);
}

/*
 * As in bench/glibc/tls_exit.c. The thread's element array is allocated and
 * grown by its first sets (folly's factors: capacities 8, 22, 45, 85, 99,
 * 114 for ids 0..99) and freed at its exit, so the 100-key case pays for
 * that, as glibc's pays for its second-level blocks.
 */
static void *set_keys_and_exit(void *unused)
{
	for (int i = 0; i < keys_to_set; i++) {
		int error = weft_key_set(keys[i], &keys[i]);

		if (error)
			bench_die("weft_key_set", error);
	}
	return NULL;
}

static void spawn_join_batch(long threads)
{
	for (long i = 0; i < threads; i++) {
		struct weft_join_handle thread;
		int error = weft_spawn(&thread, set_keys_and_exit, NULL);

		if (error)
			bench_die("weft_spawn", error);
		error = weft_join(&thread, NULL);
		if (error)
			bench_die("weft_join", error);
	}
}

int main(void)
{
	static const struct {
		int keys;
		const char *metric;
	} cases[] = { { 0, "exit_dtors0" }, { 10, "exit_dtors10" }, { 100, "exit_dtors100" } };

	for (int i = 0; i < MAX_KEYS; i++) {
		int error = weft_key_create(&keys[i], destructor);

		if (error)
			bench_die("weft_key_create", error);
	}
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		keys_to_set = cases[i].keys;
		bench_result(cases[i].metric,
			     bench_median_ns_per_op(spawn_join_batch, bench_scaled(1000)), "ns");
	}
	return 0;
}
