// SPDX-License-Identifier: MIT
/* weft_barrier: N parties, one leader per round, reusable, on one futex word. */
#include <linux/errno.h>

#include "lib/sync-internal.h"

/*
 * DOC: the barrier
 *
 * Two words: arrived counts this round's parties, generation numbers the
 * rounds and is the futex word. A party reads the generation *before* it
 * arrives, so it cannot miss the end of its own round: the round cannot
 * end without its arrival. The last to arrive is the leader: it resets
 * arrived for the next round, then increments generation (release) and
 * wakes everyone. The others sleep while generation is the one they read.
 *
 *	parties = 3        A arrives    B arrives    C arrives (leader)
 *	arrived            1            2            0
 *	generation         g            g            g + 1, FUTEX_WAKE all
 *
 * Rust's Barrier uses a Mutex and a Condvar; one word does the same job
 * here, and the leader's wake-up is the only system call of a round.
 */

void weft_barrier_init(struct weft_barrier *b, uint32_t parties)
{
	b->parties = parties;
	atomic_store_explicit(&b->arrived, 0, memory_order_relaxed);
	atomic_store_explicit(&b->generation, 0, memory_order_relaxed);
}

int weft_barrier_wait(struct weft_barrier *b)
{
	uint32_t gen, n, parties;

	if (!b)
		return -EINVAL;
	parties = b->parties;
	gen = atomic_load_explicit(&b->generation, memory_order_acquire);
	n = atomic_fetch_add_explicit(&b->arrived, 1, memory_order_acq_rel) + 1;
	if (n >= parties) {
		atomic_store_explicit(&b->arrived, 0, memory_order_relaxed);
		atomic_fetch_add_explicit(&b->generation, 1, memory_order_release);
		if (parties > 1)
			weft_wake(&b->generation, INT32_MAX);
		return WEFT_BARRIER_LEADER;
	}
	while (atomic_load_explicit(&b->generation, memory_order_acquire) == gen)
		weft_wait(&b->generation, gen, WEFT_FOREVER);
	return 0;
}
