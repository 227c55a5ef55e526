// SPDX-License-Identifier: MIT
/* weft_mutex: Drepper's three-state futex mutex, with poisoning. */
#include <linux/errno.h>

#include "lib/sync-internal.h"

/*
 * DOC: the mutex
 *
 * One futex word, three states (Ulrich Drepper, "Futexes Are Tricky",
 * mutex 3; Rust's library/std/src/sys/sync/mutex/futex.rs):
 *
 *	0 unlocked    1 locked    2 locked, and a thread may be asleep
 *
 * Lock: compare-exchange 0 -> 1; that is the whole uncontended path. If it
 * fails, exchange in 2 and sleep while the word is 2 (Rust spins first;
 * weft measured no gain from it: MUTEX_SPIN below). A thread that wakes up
 * relocks with the exchange to 2, not 1: it cannot know whether others
 * still sleep, and 2 makes the next unlock wake one of them.
 *
 * Unlock: exchange in 0; only if the old value was 2 is there a wake-up to
 * make (one FUTEX_WAKE, no other access: the mutex may be freed by then).
 *
 * A fourth state, 3, is the holder's own: "locked, and a condvar notify
 * made under this lock is waiting for the unlock" (lib/condvar.c). The
 * holder sets it with a compare-exchange 1 -> 3 only, so a sleeper's 2 is
 * never overwritten; a waiter treats 3 as held and exchanges in 2 as
 * always. An unlock that finds 2 or 3 makes the deferred FUTEX_WAKE, and
 * only for 2 the mutex's own.
 *
 *	0 --lock--> 1 --notify, holding it--> 3
 *	            |  \                       |
 *	            |   waiter: swap 2          | waiter: swap 2
 *	            v       v                   v
 *	         unlock     2 <-----------------+
 *	                    |
 *	                 unlock: FUTEX_WAKE the mutex (and the condvar if deferred)
 */

/*
 * Rust spins 100 times, glibc's default mutex not at all. Here none: with
 * both threads on one CPU the holder cannot run while we spin, and across
 * two CPUs a spinner that reads the line takes it from the holder; on a
 * quiet machine no spin was both rows' best (Documentation/sync.rst has the
 * measurements). The loop stays, to be measured again on other machines.
 */
#define MUTEX_SPIN 0

static uint32_t spin(struct weft_mutex *m)
{
	uint32_t state;

	/* A green holder runs on our own OS thread: spinning cannot help it. */
	if (weft_tcb()->green_current)
		return atomic_load_explicit(&m->state, memory_order_relaxed);
	for (int i = 0;; i++) {
		state = atomic_load_explicit(&m->state, memory_order_relaxed);
		if ((state != 1 && state != 3) || i == MUTEX_SPIN)
			return state;
		weft_spin_hint();
	}
}

static int lock_contended(struct weft_mutex *m, uint64_t deadline)
{
	uint32_t state = spin(m);
	bool checked = false;

	if (state == 0) {
		uint32_t zero = 0;

		if (atomic_compare_exchange_strong_explicit(&m->state, &zero, 1,
							    memory_order_acquire,
							    memory_order_relaxed))
			return 0;
		state = zero;
	}
	for (;;) {
		if (state != 2 &&
		    atomic_exchange_explicit(&m->state, 2, memory_order_acquire) == 0)
			return 0;
		if (!checked && deadline == WEFT_FOREVER) {
			/*
			 * Before the first untimed sleep only (a timed one would
			 * just time out): the check walks the record.
			 */
			if (weft_held_by_me(m))
				weft_held_deadlock("weft_mutex_lock() of mutex", m);
			checked = true;
		}
		/* A timeout, or EINTR or EAGAIN at the deadline: the clock decides. */
		if (weft_wait(&m->state, 2, deadline) != 0 && deadline != WEFT_FOREVER &&
		    weft_now() >= deadline)
			return -ETIMEDOUT;
		state = spin(m);
	}
}

/*
 * The lock is ours: record it, and report the poison. The poisoned word holds
 * WEFT_POISONED itself (lib/held.c stores it), so the status is one load.
 */
static inline int acquired(struct weft_mutex *m)
{
	weft_held_push(m, HELD_MUTEX);
	return (int)atomic_load_explicit(&m->poisoned, memory_order_relaxed);
}

/*
 * The inline weft_mutex_lock() (weft/sync.h) comes here for a NULL @m, a
 * record that is full or not yet the thread's own, and a held mutex.
 */
int weft_mutex_lock_slow(struct weft_mutex *m)
{
	uint32_t zero = 0;

	if (unlikely(!m))
		return -EINVAL;
	if (!atomic_compare_exchange_strong_explicit(&m->state, &zero, 1, memory_order_acquire,
						     memory_order_relaxed))
		lock_contended(m, WEFT_FOREVER);
	return acquired(m);
}

int weft_mutex_trylock(struct weft_mutex *m)
{
	uint32_t zero = 0;

	if (unlikely(!m))
		return -EINVAL;
	if (!atomic_compare_exchange_strong_explicit(&m->state, &zero, 1, memory_order_acquire,
						     memory_order_relaxed))
		return -EBUSY;
	return acquired(m);
}

int weft_mutex_lock_until(struct weft_mutex *m, uint64_t deadline)
{
	uint32_t zero = 0;

	if (unlikely(!m))
		return -EINVAL;
	if (!atomic_compare_exchange_strong_explicit(&m->state, &zero, 1, memory_order_acquire,
						     memory_order_relaxed) &&
	    lock_contended(m, deadline))
		return -ETIMEDOUT;
	return acquired(m);
}

/*
 * The condvar notify that waits for this thread's unlock of @mutex: one per
 * OS thread (a second one first delivers the first). Only native threads
 * defer: a green thread may move to another OS thread before it unlocks.
 */
struct deferred_wake {
	_Atomic uint32_t *word;
	const struct weft_mutex *mutex;
	int count;
};

static __thread struct deferred_wake deferred __attribute__((tls_model("local-exec")));

static void deliver(struct deferred_wake *d)
{
	_Atomic uint32_t *word = d->word;

	d->word = NULL;
	d->mutex = NULL;
	weft_wake(word, d->count);
}

bool weft_mutex_defer_wake(struct weft_mutex *m, _Atomic uint32_t *word, int count)
{
	struct deferred_wake *d = &deferred;
	uint32_t one = 1;

	if (weft_tcb()->green_current || !weft_held_newest(m, HELD_MUTEX))
		return false;
	if (d->word == word && d->mutex == m) {
		d->count = count > INT32_MAX - d->count ? INT32_MAX : d->count + count;
		return true;
	}
	if (d->word)
		deliver(d);
	d->word = word;
	d->mutex = m;
	d->count = count;
	/* Fails only on a 2 (a sleeper), and then the unlock goes the slow way anyway. */
	atomic_compare_exchange_strong_explicit(&m->state, &one, 3, memory_order_relaxed,
						memory_order_relaxed);
	return true;
}

void weft_mutex_release_slow(struct weft_mutex *m, uint32_t old)
{
	struct deferred_wake *d = &deferred;

	if (old == 2)
		weft_wake(&m->state, 1);
	/* An address compare only: @m may be freed by now. */
	if (d->mutex == m)
		deliver(d);
}

void weft_mutex_release(struct weft_mutex *m)
{
	uint32_t old = atomic_exchange_explicit(&m->state, 0, memory_order_release);

	if (unlikely(old > 1))
		weft_mutex_release_slow(m, old);
}

/* The inline weft_mutex_unlock() (weft/sync.h) comes here when @m is not its newest entry. */
void weft_mutex_unlock_slow(struct weft_mutex *m)
{
	weft_held_pop_slow(m, HELD_MUTEX);
	weft_mutex_release(m);
}

bool weft_mutex_is_poisoned(const struct weft_mutex *m)
{
	return m && atomic_load_explicit(&m->poisoned, memory_order_relaxed);
}

void weft_mutex_clear_poison(struct weft_mutex *m)
{
	if (m)
		atomic_store_explicit(&m->poisoned, 0, memory_order_relaxed);
}
