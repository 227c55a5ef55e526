// SPDX-License-Identifier: MIT
/* A small futex mutex for weft's own tables (Drepper's three states). */
/*
 * Only the paths that go to the kernel are here (the fast paths are inline in
 * lib/internal.h), so the file is built for size: a sleep or a failed wake
 * spares the out-of-line system call's few ns (kernel-abi/sys.h).
 */
#define WEFT_SYS_COLD
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

/*
 * A FUTEX_WAKE that fails is a lost wake-up: its waiter sleeps on, maybe for
 * ever (the tour hung that way under WEFT_FAULT). The kernel fails a wake
 * only for an address that is not ours or a bad op (futex_wake() in
 * kernel/futex/waitwake.c: -EFAULT, -EINVAL), both bugs; an injected fault is
 * the case that happens. Retry through the hook, which a rule that fires once
 * lets through; then with the bare instruction, which no rule intercepts. If
 * the kernel itself refuses, continuing would hang a waiter: a fatal error.
 */
long weft_futex_wake_failed(_Atomic uint32_t *word, int count, bool shared, uint32_t bitset,
			    long err)
{
	/* FUTEX_WAKE_BITSET with FUTEX_BITSET_MATCH_ANY is FUTEX_WAKE itself. */
	int op = FUTEX_WAKE_BITSET | (shared ? 0 : FUTEX_PRIVATE_FLAG);

	sys_why("retry a failed FUTEX_WAKE: a lost wake-up hangs its waiter");
	err = sys_futex((uint32_t *)word, op, (uint32_t)count, NULL, NULL, bitset);
	if (sys_is_error(err))
		err = weft_syscall6(__NR_futex, (long)word, op, count, 0, 0, bitset);
	if (sys_is_error(err))
		weft_fatal("weft: FUTEX_WAKE of %p failed (%ld): a wake-up would be lost\n",
			   (void *)word, err);
	return err;
}
