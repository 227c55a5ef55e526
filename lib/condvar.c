// SPDX-License-Identifier: MIT
/* weft_condvar: Rust's sequence-counter condvar, with a count that spares notify its syscall. */
#include <linux/errno.h>

#include "lib/sync-internal.h"

/*
 * DOC: the condition variable
 *
 * seq counts notifications; it is the futex word. A waiter reads it while
 * it still holds the mutex, unlocks, and sleeps while seq is unchanged
 * (Rust's library/std/src/sys/sync/condvar/futex.rs). A notify between the
 * unlock and the sleep changed seq, so FUTEX_WAIT returns at once instead
 * of missing it. The price is the ABA of a 32-bit counter: exactly 2^31
 * notifies (each adds 2, below) between a waiter's read and its sleep
 * would make it sleep through them. Rust accepts that, and so does weft.
 *
 * Unlike Rust's, weft's condvar may be freed, or wiped back to zero and
 * reused, right after a notify_all, while a woken waiter may still be on
 * its way to FUTEX_WAIT (it unlocked the mutex, the notify came, it has not
 * slept yet). That waiter compares seq with the value it read; if the wipe
 * made seq equal to it again, it would sleep on the fresh condvar for
 * ever. So a waiter never sleeps on a value a zeroed condvar holds: it
 * reads seq by setting its lowest bit (fetch_or 1), and a notify adds 2,
 * which keeps that bit. Every value a waiter sleeps on is odd, a wiped
 * condvar's seq is 0, and FUTEX_WAIT returns -EAGAIN at once: a spurious
 * wake-up, which every caller of wait() tolerates
 * (condvar_wiped_right_after_notify_all in tests/test-sync.c).
 *
 * waiters is what Rust does not have: a count of the waiters registered
 * since the last notify_all, so that a notify that finds it 0 returns after
 * one load. Its rules keep every woken waiter's hands off the condvar, so
 * that it may be freed right after a notify_all (sync.h):
 *
 *  - a waiter reads seq, then increments waiters, both under the mutex;
 *  - notify_one decrements waiters (not below 0), then advances seq;
 *    notify_all sets waiters to 0, then advances seq; then they wake;
 *  - a waiter never decrements it: not when woken, not when it times out.
 *
 * So waiters may count too many (a waiter that timed out, or that a
 * notify_one woke along with another), never too few: a notify then makes
 * a useless FUTEX_WAKE and takes the surplus down by one, and notify_all
 * clears it. The spin model (tests/model/condvar.pml) checks that no
 * notify is lost. A count past 2^31 stops moving (sticky): then every
 * notify_one wakes, which is Rust's behaviour.
 *
 * A notify made while holding the mutex its waiters use wakes them at the
 * unlock instead of now (glibc before 2.25 requeued a broadcast's waiters
 * onto the mutex for the same reason): woken now, a waiter would run only to find the
 * mutex held and sleep again on it, two more system calls and two more
 * context switches per hand-off. The waiters tell the condvar which mutex
 * they use (cv->mutex, written under it; MANY once two were seen, and then
 * nothing is deferred), the notify does everything but the FUTEX_WAKE and
 * leaves that in a per-thread slot, and the unlock of that mutex makes it
 * (lib/mutex.c: the holder marks the word 3 so the unlock takes its slow
 * path). Only the address is kept, so freeing the condvar after the notify
 * stays allowed: a late FUTEX_WAKE on a reused address is a spurious
 * wake-up for whoever sleeps there. A green thread does not defer: it may
 * resume on another OS thread before it unlocks.
 */

#define WAITERS_STICKY (1u << 31)

static void register_waiter(struct weft_condvar *cv)
{
	uint32_t w = atomic_load_explicit(&cv->waiters, memory_order_relaxed);

	if (w < WAITERS_STICKY)
		atomic_fetch_add_explicit(&cv->waiters, 1, memory_order_seq_cst);
	else
		atomic_thread_fence(memory_order_seq_cst);
}

/* cv->mutex: 0 before the first wait, then the waiters' mutex, or MANY. */
#define MANY ((uintptr_t)1)

static void note_mutex(struct weft_condvar *cv, struct weft_mutex *m)
{
	uintptr_t seen = atomic_load_explicit(&cv->mutex, memory_order_relaxed);

	if (likely(seen == (uintptr_t)m))
		return;
	if (seen == 0 && atomic_compare_exchange_strong_explicit(&cv->mutex, &seen, (uintptr_t)m,
								 memory_order_relaxed,
								 memory_order_relaxed))
		return;
	if (seen != (uintptr_t)m)
		atomic_store_explicit(&cv->mutex, MANY, memory_order_relaxed);
}

static int wait(struct weft_condvar *cv, struct weft_mutex *m, uint64_t deadline)
{
	uint32_t seq;
	int r;

	if (!cv || !m)
		return -EINVAL;
	note_mutex(cv, m);
	/* Odd from now on, so a wiped (zeroed) condvar never matches it: see above. */
	seq = atomic_fetch_or_explicit(&cv->seq, 1, memory_order_relaxed) | 1;
	register_waiter(cv);
	weft_mutex_unlock(m);
	r = weft_wait(&cv->seq, seq, deadline);
	/*
	 * 0: woken, or spuriously. -EAGAIN: seq moved before we slept, a
	 * notify. -EINTR: a signal, reported as a spurious wake-up, as Rust
	 * does, unless the deadline has passed. A timeout is one the clock
	 * confirms.
	 */
	if ((r == -ETIMEDOUT || r == -EINTR) && deadline != WEFT_FOREVER &&
	    weft_now() >= deadline) {
		weft_mutex_lock(m);
		return -ETIMEDOUT;
	}
	return weft_mutex_lock(m);
}

int weft_condvar_wait(struct weft_condvar *cv, struct weft_mutex *m)
{
	return wait(cv, m, WEFT_FOREVER);
}

int weft_condvar_wait_until(struct weft_condvar *cv, struct weft_mutex *m, uint64_t deadline)
{
	return wait(cv, m, deadline);
}

int weft_condvar_wait_while(struct weft_condvar *cv, struct weft_mutex *m,
			    bool (*condition)(void *arg), void *arg, uint64_t deadline)
{
	if (!cv || !m || !condition)
		return -EINVAL;
	while (condition(arg)) {
		if (wait(cv, m, deadline) == -ETIMEDOUT && condition(arg))
			return -ETIMEDOUT;
	}
	return weft_mutex_is_poisoned(m) ? WEFT_POISONED : 0;
}

/* Wake now, or at the unlock if the caller holds the waiters' mutex. */
static void wake(struct weft_condvar *cv, int count)
{
	uintptr_t m = atomic_load_explicit(&cv->mutex, memory_order_relaxed);

	if (m > MANY && weft_mutex_defer_wake((struct weft_mutex *)m, &cv->seq, count))
		return;
	weft_wake(&cv->seq, count);
}

void weft_condvar_notify_one(struct weft_condvar *cv)
{
	uint32_t w = atomic_load_explicit(&cv->waiters, memory_order_seq_cst);

	if (w == 0)
		return;
	while (w != 0 && w < WAITERS_STICKY &&
	       !atomic_compare_exchange_weak_explicit(&cv->waiters, &w, w - 1, memory_order_seq_cst,
						      memory_order_seq_cst))
		;
	atomic_fetch_add_explicit(&cv->seq, 2, memory_order_seq_cst);	/* keeps bit 0 */
	wake(cv, 1);
}

void weft_condvar_notify_all(struct weft_condvar *cv)
{
	if (atomic_load_explicit(&cv->waiters, memory_order_seq_cst) == 0)
		return;
	atomic_store_explicit(&cv->waiters, 0, memory_order_seq_cst);
	atomic_fetch_add_explicit(&cv->seq, 2, memory_order_seq_cst);	/* keeps bit 0 */
	wake(cv, INT32_MAX);
}
