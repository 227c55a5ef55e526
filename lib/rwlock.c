// SPDX-License-Identifier: MIT
/* weft_rwlock: Rust's writer-preferring futex reader-writer lock, with a hand-off to writers. */
#include <linux/errno.h>

#include "weft/panic.h"

#include "lib/hooks.h"
#include "lib/sync-internal.h"

/*
 * DOC: the reader-writer lock
 *
 * The state word, bit by bit. Rust's library/std/src/sys/sync/rwlock/futex.rs
 * has the low half; the high half counts the writers that wait:
 *
 *	 63                            32   31  30  29                         0
 *	+--------------------------------+---+---+----------------------------+
 *	| writers waiting (0 .. 2^32-1)  | 0 | R | readers (0 .. 2^30 - 2)    |
 *	+--------------------------------+---+---+----------------------------+
 *	  not compared by FUTEX_WAIT       |   |   all ones (2^30 - 1):
 *	                                   |   |   write locked
 *	                                   |   +-- READERS_WAITING: a reader
 *	                                   |       sleeps (or slept)
 *	                                   +------ unused
 *	                                 <-------- the futex word: every ------->
 *	                                           sleeper waits on this half
 *
 * A writer that must sleep counts itself in the high half, in the same
 * compare-exchange as the value it then sleeps on, and stays counted until
 * it holds the lock or gives up. A reader may enter only while the whole
 * word is below 2^30 - 2: no writer holds the lock, none waits, no reader
 * sleeps. So a waiting writer stops new readers, and a stream of readers
 * cannot starve it.
 *
 * Readers and writers sleep on the same 32 bits, told apart by their
 * FUTEX_WAIT_BITSET bitsets (WAKE_READERS, WAKE_WRITERS), so that an unlock
 * can wake one writer or all the readers. An unlock decides which in the
 * compare-exchange that releases, from the value it replaces:
 *
 *  - writers are counted: the hand-off. The count stays, so the lock is
 *    free for writers only (no reader passes a counted writer), and one
 *    writer is woken, which takes it whatever else is set;
 *  - none, and READERS_WAITING is set: the same compare-exchange clears the
 *    bit, and every reader is woken.
 *
 * After that compare-exchange an unlock touches nothing of the lock: the
 * FUTEX_WAKE names the address, which the kernel hashes without reading.
 * A thread may free the lock the moment its last unlock returns, as it may a
 * mutex (glibc's destruction rule). A writer that gives up at its deadline
 * leaves in one compare-exchange too: if the lock is free, which means
 * handed to the counted writers, it takes it (and returns 0: the lock was
 * free at the deadline); otherwise it counts itself out and, if it was the
 * last writer and no writer holds the lock, clears READERS_WAITING and wakes
 * the readers. No hand-off is left with nobody to take it, so readers never
 * wait for a writer that will not come (glibc bugs 23844 and 23861).
 * tests/model/rwlock.pml checks all of it.
 */

#define READ_LOCKED 1u
#define MASK ((1u << 30) - 1)
#define WRITE_LOCKED MASK
#define MAX_READERS (MASK - 1)
#define READERS_WAITING (1u << 30)
#define WRITER (1ull << 32)		/* one writer waiting */

/* The FUTEX_WAIT_BITSET bitsets of the two kinds of sleeper. */
#define WAKE_READERS 1u
#define WAKE_WRITERS 2u

#define RWLOCK_SPIN 10	/* as the mutex's, see lib/mutex.c */

/* The low half of the state, where everyone sleeps (the machine's byte order decides which). */
static inline _Atomic uint32_t *futex_word(struct weft_rwlock *l)
{
	return (_Atomic uint32_t *)&l->state + (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
}

static inline bool is_unlocked(uint64_t s)
{
	return (s & MASK) == 0;
}

static inline bool is_write_locked(uint64_t s)
{
	return (s & MASK) == WRITE_LOCKED;
}

/* Nothing but readers, and room for one more: no writer holds, waits, nor reader sleeps. */
static inline bool is_read_lockable(uint64_t s)
{
	return s < MAX_READERS;
}

static inline bool has_writers_waiting(uint64_t s)
{
	return s >= WRITER;
}

static uint64_t spin_until(struct weft_rwlock *l, bool write)
{
	bool green = weft_tcb()->green_current != NULL;

	for (int i = 0;; i++) {
		uint64_t s = atomic_load_explicit(&l->state, memory_order_relaxed);
		/* Stop when it can be taken, or when others already sleep (Rust's rule). */
		bool done = write ? is_unlocked(s) || has_writers_waiting(s) : s != WRITE_LOCKED;

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
	uint64_t s = spin_until(l, false);
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
		/* Write locked or a writer counted: whoever ends that clears the bit and wakes us. */
		if (weft_wait_bitset(futex_word(l), (uint32_t)(s | READERS_WAITING), deadline,
				     WAKE_READERS) != 0 &&
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

/*
 * The record is written before the compare-exchange and its count after the
 * unlock's fetch_sub: the first order of weft_mutex_lock() (Documentation/
 * sync.rst, "Where the record's stores go"), kept because a reader's section
 * seldom stores, so there is no store of the caller's for it to share a drain with.
 */
static inline int read_lock(struct weft_rwlock *l, uint64_t deadline)
{
	struct weft_held *h = weft_held_cur;
	uint32_t n = h->n;
	uint64_t s;

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
	uint64_t s;

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

/* ---- releasing --------------------------------------------------------------- */

/*
 * What a release from @s (the state it replaces, holder gone) must do, in
 * the same compare-exchange: the new state in *@next, the sleepers to wake
 * after it (0: none).
 */
static inline uint32_t release_to(uint64_t s, uint64_t *next)
{
	if (has_writers_waiting(s)) {
		*next = s;		/* the hand-off: free for the counted writers only */
		return WAKE_WRITERS;
	}
	*next = s & ~(uint64_t)READERS_WAITING;
	return s & READERS_WAITING ? WAKE_READERS : 0;
}

/* The only thing an unlock does after its releasing atomic: names the address, reads nothing. */
static void wake(struct weft_rwlock *l, uint32_t who)
{
	weft_wake_bitset(futex_word(l), who == WAKE_WRITERS ? 1 : INT32_MAX, who);
}

/*
 * The last reader out finds the count at 0. Readers sleep only behind a
 * writer that holds the lock or waits, so with none waiting no reader
 * sleeps (READERS_WAITING is clear); with one, the lock is now free for
 * the writers: wake one.
 */
static inline bool read_release_wakes(uint64_t s)
{
	return is_unlocked(s) && has_writers_waiting(s);
}

void weft_rwlock_read_release(struct weft_rwlock *l)
{
	uint64_t s = atomic_fetch_sub_explicit(&l->state, READ_LOCKED, memory_order_release) -
		     READ_LOCKED;

	if (read_release_wakes(s))
		wake(l, WAKE_WRITERS);
}

static __attribute__((noinline)) void read_unlock_slow(struct weft_rwlock *l)
{
	weft_held_pop_slow(l, HELD_READ);
	weft_rwlock_read_release(l);
}

void weft_rwlock_read_unlock(struct weft_rwlock *l)
{
	struct weft_held *h = weft_held_cur;
	uint32_t n = h->n;
	uint64_t s;

	if (unlikely(!weft_held_is_newest(h, n, l, HELD_READ))) {
		read_unlock_slow(l);
		return;
	}
	/* The count after the locked instruction: see read_lock(). */
	s = atomic_fetch_sub_explicit(&l->state, READ_LOCKED, memory_order_release) - READ_LOCKED;
	h->n = n - 1;
	if (read_release_wakes(s))
		wake(l, WAKE_WRITERS);
}

/* ---- writers ----------------------------------------------------------------- */

/*
 * A counted writer whose deadline has passed leaves, in one compare-exchange
 * from @s: a free lock is a hand-off to the counted writers, so it takes it
 * (Return: 0); otherwise it counts itself out (Return: -ETIMEDOUT), and if it
 * was the last writer and the holders are readers, the readers asleep behind
 * it may come in: it clears READERS_WAITING in the same instruction and,
 * after it, only wakes them.
 */
static int write_give_up(struct weft_rwlock *l, uint64_t s)
{
	for (;;) {
		uint64_t next = s - WRITER;
		bool readers = false;

		if (is_unlocked(s)) {
			if (atomic_compare_exchange_weak_explicit(&l->state, &s,
								  next + WRITE_LOCKED,
								  memory_order_acquire,
								  memory_order_relaxed))
				return 0;
			continue;
		}
		if (!has_writers_waiting(next) && !is_write_locked(next) &&
		    (next & READERS_WAITING)) {
			next &= ~(uint64_t)READERS_WAITING;
			readers = true;
		}
		if (atomic_compare_exchange_weak_explicit(&l->state, &s, next, memory_order_relaxed,
							  memory_order_relaxed)) {
			if (readers)
				wake(l, WAKE_READERS);
			return -ETIMEDOUT;
		}
	}
}

/*
 * A green writer counted in @l whose OS thread ended while it slept
 * (lib/green.c, orphan_all()): it leaves as at a deadline, and a hand-off
 * it takes on the way out is passed on at once. Left counted, it would keep
 * every reader out for ever, and the next unlock would hand it the lock.
 */
struct abandoned_writer {
	struct weft_abandon a;
	struct weft_rwlock *l;
};

static void abandon_writer(struct weft_abandon *a)
{
	struct weft_rwlock *l = ((struct abandoned_writer *)(void *)a)->l;

	if (write_give_up(l, atomic_load_explicit(&l->state, memory_order_relaxed)) == 0)
		weft_rwlock_write_release(l);
}

static int write_contended(struct weft_rwlock *l, uint64_t deadline)
{
	uint64_t s = spin_until(l, true), counted = 0;
	bool checked = false;
	struct abandoned_writer abandon = { .a = { .undo = abandon_writer }, .l = l };
	int ret;

	for (;;) {
		if (is_unlocked(s)) {
			/* Free, or handed to the counted writers: we are one, or may steal it. */
			if (atomic_compare_exchange_weak_explicit(&l->state, &s,
								  s - counted + WRITE_LOCKED,
								  memory_order_acquire,
								  memory_order_relaxed)) {
				ret = 0;
				break;
			}
			continue;
		}
		if (!checked && deadline == WEFT_FOREVER) {
			if (weft_held_by_me(l))
				weft_held_deadlock("weft_rwlock_write() of rwlock", l);
			checked = true;
		}
		if (!counted) {
			/* Counted in the value we sleep on: an unlock from it hands us the lock. */
			if (!atomic_compare_exchange_weak_explicit(&l->state, &s, s + WRITER,
								   memory_order_relaxed,
								   memory_order_relaxed))
				continue;
			s += WRITER;
			counted = WRITER;
			if (weft_tcb()->green_current)
				weft_green_abandon_push(&abandon.a);
		}
		if (weft_wait_bitset(futex_word(l), (uint32_t)s, deadline, WAKE_WRITERS) != 0 &&
		    deadline != WEFT_FOREVER && weft_now() >= deadline) {
			ret = write_give_up(l, atomic_load_explicit(&l->state,
								     memory_order_relaxed));
			break;
		}
		s = spin_until(l, true);
	}
	if (counted && weft_tcb()->green_current)
		weft_green_abandon_pop(&abandon.a);
	return ret;
}

static int write_lock(struct weft_rwlock *l, uint64_t deadline)
{
	uint64_t zero = 0;

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
	uint64_t s;

	if (unlikely(!l))
		return -EINVAL;
	s = atomic_load_explicit(&l->state, memory_order_relaxed);
	do {
		if (!is_unlocked(s))
			return -EBUSY;
	} while (!atomic_compare_exchange_weak_explicit(&l->state, &s, s + WRITE_LOCKED,
							memory_order_acquire, memory_order_relaxed));
	weft_held_push(l, HELD_WRITE);
	return poison_status(l);
}

static __attribute__((noinline)) void write_release_slow(struct weft_rwlock *l, uint64_t s)
{
	uint64_t next;
	uint32_t who;

	do
		who = release_to(s - WRITE_LOCKED, &next);
	while (!atomic_compare_exchange_weak_explicit(&l->state, &s, next, memory_order_release,
						      memory_order_relaxed));
	if (who)
		wake(l, who);
}

void weft_rwlock_write_release(struct weft_rwlock *l)
{
	uint64_t s = WRITE_LOCKED;

	/* Nobody waits: one compare-exchange, as Rust's fetch_sub. */
	if (!atomic_compare_exchange_strong_explicit(&l->state, &s, 0, memory_order_release,
						     memory_order_relaxed))
		write_release_slow(l, s);
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
