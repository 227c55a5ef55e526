// SPDX-License-Identifier: MIT
/* A small futex mutex for weft's own tables (Drepper's three states). */
#include <linux/errno.h>
#include <linux/futex.h>
#include <linux/time.h>

#include "lib/internal.h"

/*
 * The lock word is 0 (free), 1 (held) or 2 (held, maybe with sleepers).
 * A contender sets 2 before sleeping, so the holder knows to wake someone.
 */
void weft_lock_slow(struct weft_lock *l)
{
	while (atomic_exchange_explicit(&l->state, 2, memory_order_acquire) != 0)
		weft_futex_wait(&l->state, 2, false, NULL);
}

void weft_unlock_slow(struct weft_lock *l)
{
	weft_futex_wake(&l->state, 1, false);
}
