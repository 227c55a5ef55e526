// SPDX-License-Identifier: MIT
/* Per-thread counters, summed across threads with weft_key_for_each (folly's accessAllThreads). */
#include <stdatomic.h>

#include "weft/weft.h"

/*
 * A counter that many threads bump is one cache line bouncing between CPUs.
 * Here each thread counts into its own struct counter, found through one key,
 * and only a reader pays: it walks every live thread's counter. A thread
 * that exits folds its count into `exited` from its key destructor, and no
 * destructor of the key starts while a for_each of it is under way; the
 * reader reads `exited` in for_each's last call, still inside the walk. So a
 * total never counts an exiting thread twice or not at all.
 */
struct counter {
	_Atomic long n;	/* written by its thread only, read by the summer */
};

static weft_key_t counters;
static _Atomic long exited;

static void fold_into_exited(void *value)
{
	struct counter *c = value;

	atomic_fetch_add(&exited, atomic_load_explicit(&c->n, memory_order_relaxed));
	weft_free(c);
}

static void add(void *value, void *arg)
{
	long *sum = arg;
	const struct counter *c = value;

	/* One call per live thread's counter, then one with NULL: the exited total. */
	*sum += c ? atomic_load_explicit(&c->n, memory_order_relaxed) : atomic_load(&exited);
}

static long total(int *live)
{
	long sum = 0;
	int n = weft_key_for_each(counters, add, &sum);

	if (live)
		*live = n;
	return sum;
}

/* The hot path: a key lookup and a store, no read-modify-write on a shared line. */
static int count(long events)
{
	struct counter *c = weft_key_get(counters);

	if (!c) {
		c = weft_calloc(1, sizeof(*c));
		if (!c)
			return -1;
		if (weft_key_set(counters, c)) {
			weft_free(c);
			return -1;
		}
	}
	atomic_store_explicit(&c->n, atomic_load_explicit(&c->n, memory_order_relaxed) + events,
			      memory_order_relaxed);
	return 0;
}

#define WORKERS 4
#define EVENTS 1000000

static void *worker(void *arg)
{
	for (long i = 0; i < EVENTS; i++)
		if (count(1))
			return (void *)1;
	return NULL;
}

int main(void)
{
	struct weft_join_handle h[WORKERS];
	long previous = 0;
	int live, err;

	err = weft_key_create(&counters, fold_into_exited);
	if (err) {
		weft_dprintf(2, "weft_key_create: %d\n", err);
		return 1;
	}
	for (int i = 0; i < WORKERS; i++) {
		err = weft_spawn(&h[i], worker, NULL);
		if (err) {
			weft_dprintf(2, "weft_spawn: %d\n", err);
			return 1;
		}
	}
	weft_dprintf(1, "%d threads count %d events each into their own counters.\n", WORKERS,
		     EVENTS);
	/* Sums taken while threads count and exit: never lower than the one before. */
	for (int i = 0; i < 5; i++) {
		long now = total(&live);

		weft_dprintf(1, "  sum %8ld  (%d live counters + what exited threads left)%s\n",
			     now, live, now < previous ? "  <- went backwards!" : "");
		previous = now;
		weft_sleep(2000000);	/* 2 ms: let them count */
	}
	for (int i = 0; i < WORKERS; i++) {
		void *failed;

		if (weft_join(&h[i], &failed) || failed) {
			weft_dprintf(2, "worker %d failed\n", i);
			return 1;
		}
	}
	previous = total(&live);
	weft_dprintf(1, "after join: sum %ld with %d live counters (expected %ld): %s\n", previous,
		     live, (long)WORKERS * EVENTS,
		     previous == (long)WORKERS * EVENTS ? "exact" : "WRONG");
	return previous == (long)WORKERS * EVENTS ? 0 : 1;
}
