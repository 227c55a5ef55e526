// SPDX-License-Identifier: MIT
/* weft_rwlock: Rust's writer-preferring futex reader-writer lock, with poisoning. */
#include <linux/errno.h>

#include "weft/panic.h"

#include "lib/sync-internal.h"

/*
 * DOC: the reader-writer lock
 *
 * The state word, bit by bit (Rust's library/std/src/sys/sync/rwlock/futex.rs):
 *
 *	 31  30  29                                  0
 *	+---+---+-------------------------------------+
 *	| W | R |  readers (0 .. 2^30 - 2)             |
 *	+---+---+-------------------------------------+
 *	  |   |   all ones (2^30 - 1): write locked
 *	  |   +-- READERS_WAITING: a reader sleeps on the state word
 *	  +------ WRITERS_WAITING: a writer sleeps on writer_notify, or
 *	          has been woken and is on its way in (the hand-off)
 *
 * A reader may enter only while neither bit is set and no writer holds the
 * lock: a waiting writer stops new readers, so a stream of readers cannot
 * starve it. Readers sleep on the state word itself; writers on a second
 * word, writer_notify, which an unlock increments before waking one of
 * them, so that each kind can be woken without the other. A third word,
 * writers, counts the writers in the slow path (from their first failed
 * attempt until they hold the lock or give up).
 *
 * The unlock that leaves the lock free with someone asleep calls
 * wake_writer_or_readers(), which prefers a writer and hands it the lock:
 * the writer bit stays set, so no reader enters before the woken writer
 * (which takes a free lock whatever the bits say). Only when FUTEX_WAKE
 * finds no writer asleep and none is counted (it timed out) does the bit go
 * and the readers wake. Skipping that fallback is the missed wake-up of
 * glibc bugs 23844 and 23861: readers asleep behind a writer that never
 * comes. tests/model/rwlock.pml checks that every sleeper is woken, that
 * readers that keep coming never keep a sleeping writer asleep, and that a
 * waiting writer always gets in (Rust's lock clears the bit before the
 * wake-up, and a reader can take the lock from the woken writer).
 */

#define READ_LOCKED 1u
#define MASK ((1u << 30) - 1)
#define WRITE_LOCKED MASK
#define MAX_READERS (MASK - 1)
#define READERS_WAITING (1u << 30)
#define WRITERS_WAITING (1u << 31)

#define RWLOCK_SPIN 10	/* as the mutex's, see lib/mutex.c */

static inline bool is_unlocked(uint32_t s)
{
	return (s & MASK) == 0;
}

static inline bool is_write_locked(uint32_t s)
{
	return (s & MASK) == WRITE_LOCKED;
}

static inline bool is_read_lockable(uint32_t s)
{
	return (s & MASK) < MAX_READERS && !(s & (READERS_WAITING | WRITERS_WAITING));
}

static uint32_t spin_until(struct weft_rwlock *l, bool write)
{
	bool green = weft_tcb()->green_current != NULL;

	for (int i = 0;; i++) {
		uint32_t s = atomic_load_explicit(&l->state, memory_order_relaxed);
		bool done = write ? is_unlocked(s) || (s & WRITERS_WAITING)
				  : !is_write_locked(s) || (s & (READERS_WAITING | WRITERS_WAITING));

		if (done || green || i == RWLOCK_SPIN)
			return s;
		weft_spin_hint();
	}
}

/* The poisoned word holds WEFT_POISONED itself (lib/held.c stores it). */
static inline int poison_status(struct weft_rwlock *l)
{
	return (int)atomic_load_explicit(&l->poisoned, memory_order_relaxed);
}

/* ---- readers ----------------------------------------------------------------- */

static int read_contended(struct weft_rwlock *l, uint64_t deadline)
{
	uint32_t s = spin_until(l, false);
	bool checked = false;

	for (;;) {
		if (is_read_lockable(s)) {
			if (atomic_compare_exchange_weak_explicit(&l->state, &s, s + READ_LOCKED,
								  memory_order_acquire,
								  memory_order_relaxed))
				return 0;
			continue;
		}
		if ((s & MASK) == MAX_READERS)
			weft_panic("weft_rwlock %p: too many read locks", (void *)l);
		if (!checked && deadline == WEFT_FOREVER) {
			/* Behind a waiting writer, our own read lock would never be released. */
			if (weft_held_by_me(l))
				weft_held_deadlock("weft_rwlock_read() of rwlock", l);
			checked = true;
		}
		if (!(s & READERS_WAITING) &&
		    !atomic_compare_exchange_weak_explicit(&l->state, &s, s | READERS_WAITING,
							   memory_order_relaxed,
							   memory_order_relaxed))
			continue;
		if (weft_wait(&l->state, s | READERS_WAITING, deadline) != 0 &&
		    deadline != WEFT_FOREVER && weft_now() >= deadline)
			return -ETIMEDOUT;	/* the bit stays: an unlock clears it */
		s = spin_until(l, false);
	}
}

/* Out of line, so that weft_rwlock_read()'s fast path needs no frame. */
static __attribute__((noinline)) int read_slow(struct weft_rwlock *l, uint64_t deadline)
{
	if (read_contended(l, deadline))
		return -ETIMEDOUT;
	weft_held_push(l, HELD_READ);
	return poison_status(l);
}

/* The record is written before the compare-exchange, as in weft_mutex_lock(). */
static inline int read_lock(struct weft_rwlock *l, uint64_t deadline)
{
	struct weft_held *h = weft_held_cur;
	uint32_t s, n = h->n;

	if (unlikely(!l))
		return -EINVAL;
	if (unlikely(n >= h->cap))
		return read_slow(l, deadline);
	h->e[n] = (uintptr_t)l | HELD_READ;
	h->n = n + 1;
	s = atomic_load_explicit(&l->state, memory_order_relaxed);
	if (unlikely(!is_read_lockable(s) ||
		     !atomic_compare_exchange_weak_explicit(&l->state, &s, s + READ_LOCKED,
							    memory_order_acquire,
							    memory_order_relaxed))) {
		h->n = n;	/* not ours yet */
		return read_slow(l, deadline);
	}
	return poison_status(l);
}

int weft_rwlock_read(struct weft_rwlock *l)
{
	return read_lock(l, WEFT_FOREVER);
}

int weft_rwlock_read_until(struct weft_rwlock *l, uint64_t deadline)
{
	return read_lock(l, deadline);
}

int weft_rwlock_try_read(struct weft_rwlock *l)
{
	uint32_t s;

	if (unlikely(!l))
		return -EINVAL;
	s = atomic_load_explicit(&l->state, memory_order_relaxed);
	do {
		if (!is_read_lockable(s))
			return -EBUSY;
	} while (!atomic_compare_exchange_weak_explicit(&l->state, &s, s + READ_LOCKED,
							memory_order_acquire, memory_order_relaxed));
	weft_held_push(l, HELD_READ);
	return poison_status(l);
}

/* ---- waking ------------------------------------------------------------------ */

static int wake_writer(struct weft_rwlock *l)
{
	atomic_fetch_add_explicit(&l->writer_notify, 1, memory_order_release);
	return weft_wake(&l->writer_notify, 1);
}

/*
 * The lock is free (@s has no holder) and someone sleeps: a writer first,
 * handed the lock. The writer bit stays set while the woken writer is on
 * its way, so that no reader enters before it (Rust clears it first, and a
 * reader can overtake; tests/model/rwlock.pml shows both).
 */
static void wake_writer_or_readers(struct weft_rwlock *l, uint32_t s)
{
	if (s & WRITERS_WAITING) {
		/*
		 * writer_notify moves with the bit still set: a writer that read
		 * the old count sleeps on nothing (FUTEX_WAIT fails), one that
		 * reads the new count then finds the lock free and takes it.
		 * This touches writer_notify (and below, writers and the state)
		 * after the lock is free: the one exception to the destruction
		 * rule, and only while the writer bit is set (Documentation/
		 * sync.rst, "The reader-writer lock").
		 */
		if (wake_writer(l) > 0)
			return;
		/*
		 * No writer asleep. One still in the slow path (about to sleep,
		 * or running) takes the lock with the bit set, or times out and
		 * does this for itself: write_contended() counts itself out,
		 * then looks at the state, and we store the state, then look at
		 * the count; the fences make at least one of us see the other.
		 * With none left, the bit must go, or readers would wait for a
		 * writer that never comes (glibc bugs 23844 and 23861).
		 */
		for (;;) {
			atomic_thread_fence(memory_order_seq_cst);
			if (atomic_load_explicit(&l->writers, memory_order_relaxed))
				return;
			if (atomic_compare_exchange_strong_explicit(&l->state, &s,
								    s & ~WRITERS_WAITING,
								    memory_order_relaxed,
								    memory_order_relaxed))
				break;
			if (!is_unlocked(s) || !(s & WRITERS_WAITING))
				return;	/* a holder or another unlock took over */
		}
		s &= ~WRITERS_WAITING;
	}
	if (s == READERS_WAITING &&
	    atomic_compare_exchange_strong_explicit(&l->state, &s, 0, memory_order_relaxed,
						    memory_order_relaxed))
		weft_wake(&l->state, INT32_MAX);
}

/* The last reader out, with a writer waiting: readers are blocked behind it. */
static inline bool read_release_wakes(uint32_t s)
{
	return is_unlocked(s) && (s & WRITERS_WAITING);
}

void weft_rwlock_read_release(struct weft_rwlock *l)
{
	uint32_t s = atomic_fetch_sub_explicit(&l->state, READ_LOCKED, memory_order_release) -
		     READ_LOCKED;

	if (read_release_wakes(s))
		wake_writer_or_readers(l, s);
}

static __attribute__((noinline)) void read_unlock_slow(struct weft_rwlock *l)
{
	weft_held_pop_slow(l, HELD_READ);
	weft_rwlock_read_release(l);
}

void weft_rwlock_read_unlock(struct weft_rwlock *l)
{
	struct weft_held *h = weft_held_cur;
	uint32_t s, n = h->n;

	if (unlikely(!weft_held_is_newest(h, n, l, HELD_READ))) {
		read_unlock_slow(l);
		return;
	}
	/* The count after the locked instruction, as in weft_mutex_unlock(). */
	s = atomic_fetch_sub_explicit(&l->state, READ_LOCKED, memory_order_release) - READ_LOCKED;
	h->n = n - 1;
	if (read_release_wakes(s))
		wake_writer_or_readers(l, s);
}

/* ---- writers ----------------------------------------------------------------- */

static int write_wait(struct weft_rwlock *l, uint64_t deadline)
{
	uint32_t s = spin_until(l, true), other_writers = 0;
	bool checked = false;

	for (;;) {
		uint32_t seq;

		if (is_unlocked(s)) {
			/* Keep the bit if we ever saw it: others may sleep behind us. */
			if (atomic_compare_exchange_weak_explicit(&l->state, &s,
								  s | WRITE_LOCKED | other_writers,
								  memory_order_acquire,
								  memory_order_relaxed)) {
				atomic_fetch_sub_explicit(&l->writers, 1, memory_order_relaxed);
				return 0;
			}
			continue;
		}
		if (!checked && deadline == WEFT_FOREVER) {
			if (weft_held_by_me(l))
				weft_held_deadlock("weft_rwlock_write() of rwlock", l);
			checked = true;
		}
		/* Release: an unlock that sees the bit sees us counted. */
		if (!(s & WRITERS_WAITING) &&
		    !atomic_compare_exchange_weak_explicit(&l->state, &s, s | WRITERS_WAITING,
							   memory_order_release,
							   memory_order_relaxed))
			continue;
		other_writers = WRITERS_WAITING;
		seq = atomic_load_explicit(&l->writer_notify, memory_order_acquire);
		s = atomic_load_explicit(&l->state, memory_order_relaxed);
		if (is_unlocked(s) || !(s & WRITERS_WAITING))
			continue;
		if (weft_wait(&l->writer_notify, seq, deadline) != 0 && deadline != WEFT_FOREVER &&
		    weft_now() >= deadline) {
			/*
			 * We may have been the writer an unlock just woke, or the
			 * bit we leave may be all that stops the readers: count
			 * ourselves out, then, if the lock is free, do an unlock's
			 * waking for it (see wake_writer_or_readers()).
			 */
			atomic_fetch_sub_explicit(&l->writers, 1, memory_order_relaxed);
			atomic_thread_fence(memory_order_seq_cst);
			s = atomic_load_explicit(&l->state, memory_order_relaxed);
			if (is_unlocked(s) && (s & (READERS_WAITING | WRITERS_WAITING)))
				wake_writer_or_readers(l, s);
			return -ETIMEDOUT;
		}
		s = spin_until(l, true);
	}
}

/*
 * Counted in @l->writers from here until we hold the lock or give up: while
 * we are counted, an unlock that finds no writer asleep leaves the writer bit
 * set for us instead of letting the readers in.
 */
static int write_contended(struct weft_rwlock *l, uint64_t deadline)
{
	atomic_fetch_add_explicit(&l->writers, 1, memory_order_seq_cst);
	return write_wait(l, deadline);
}

static int write_lock(struct weft_rwlock *l, uint64_t deadline)
{
	uint32_t zero = 0;

	if (unlikely(!l))
		return -EINVAL;
	if (unlikely(!atomic_compare_exchange_strong_explicit(&l->state, &zero, WRITE_LOCKED,
							      memory_order_acquire,
							      memory_order_relaxed)) &&
	    write_contended(l, deadline))
		return -ETIMEDOUT;
	weft_held_push(l, HELD_WRITE);
	return poison_status(l);
}

int weft_rwlock_write(struct weft_rwlock *l)
{
	return write_lock(l, WEFT_FOREVER);
}

int weft_rwlock_write_until(struct weft_rwlock *l, uint64_t deadline)
{
	return write_lock(l, deadline);
}

int weft_rwlock_try_write(struct weft_rwlock *l)
{
	uint32_t s;

	if (unlikely(!l))
		return -EINVAL;
	s = atomic_load_explicit(&l->state, memory_order_relaxed);
	do {
		if (!is_unlocked(s))
			return -EBUSY;
	} while (!atomic_compare_exchange_weak_explicit(&l->state, &s, s | WRITE_LOCKED,
							memory_order_acquire, memory_order_relaxed));
	weft_held_push(l, HELD_WRITE);
	return poison_status(l);
}

void weft_rwlock_write_release(struct weft_rwlock *l)
{
	uint32_t s = atomic_fetch_sub_explicit(&l->state, WRITE_LOCKED, memory_order_release) -
		     WRITE_LOCKED;

	if (s & (READERS_WAITING | WRITERS_WAITING))
		wake_writer_or_readers(l, s);
}

void weft_rwlock_write_unlock(struct weft_rwlock *l)
{
	weft_held_pop(l, HELD_WRITE);
	weft_rwlock_write_release(l);
}

bool weft_rwlock_is_poisoned(const struct weft_rwlock *l)
{
	return l && atomic_load_explicit(&l->poisoned, memory_order_relaxed);
}

void weft_rwlock_clear_poison(struct weft_rwlock *l)
{
	if (l)
		atomic_store_explicit(&l->poisoned, 0, memory_order_relaxed);
}
