/* SPDX-License-Identifier: MIT */
/* Mutex, Condvar, RwLock, Once, OnceLock, Barrier and channels, for native and green threads. */
#ifndef WEFT_SYNC_H
#define WEFT_SYNC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "weft/held.h"
#include "weft/time.h"

/*
 * DOC: synchronization primitives
 *
 * Rust's std::sync for C, on futexes, as Rust builds it on Linux
 * (library/std/src/sys/sync/). Every primitive is a plain struct:
 *
 *  - all zeroes means ready: `static struct weft_mutex m;` is a free mutex
 *    (the barrier and the lazy value need their party count or initialiser:
 *    WEFT_BARRIER_INIT(n), WEFT_LAZY_INIT(fn));
 *  - there is no destroy call, and the memory may be freed or reused the
 *    moment the last unlock or notify returns (glibc's "destruction rule":
 *    after the atomic that releases, weft touches nothing but the futex
 *    wake-up, which uses the address and never reads the memory);
 *  - every timed form takes an absolute CLOCK_MONOTONIC deadline
 *    ("weft/time.h": weft_deadline_in(), WEFT_FOREVER).
 *
 * Any thread may use them: a native thread sleeps in FUTEX_WAIT, a green
 * thread leaves its runtime's run ring so that the other green threads of
 * its OS thread go on running, and either kind wakes the other.
 *
 * Poisoning. A panic that jumps over a held weft_mutex or write lock to
 * its catch boundary releases the lock and marks it *poisoned*, as Rust's
 * MutexGuard does when it is dropped during unwinding. The next lock
 * returns WEFT_POISONED with the lock held; weft_mutex_clear_poison()
 * accepts the data as consistent again. See Documentation/sync.rst.
 */

/*
 * The status a lock operation returns when it acquired the lock, but a
 * panic abandoned it earlier (Rust's PoisonError). The lock IS held.
 */
#define WEFT_POISONED 2

/* ---- Mutex ---------------------------------------------------------------- */

/*
 * Drepper's three-state futex mutex ("Futexes Are Tricky", mutex 3), as Rust's
 * sys/sync/mutex/futex.rs: state is 0 (unlocked), 1 (locked), 2 (locked, and
 * someone may be asleep), and 3 (locked, nobody asleep, a condvar notify
 * to deliver at the unlock). poisoned is separate so the futex word holds
 * only the lock.
 */
struct weft_mutex {
	_Atomic uint32_t state;
	_Atomic uint32_t poisoned;
};

#define WEFT_MUTEX_INIT { 0, 0 }

/**
 * weft_mutex_lock() - acquire @m, sleeping while another thread holds it
 * @m: the mutex
 *
 * Locking a mutex the calling thread already holds panics ("deadlock")
 * instead of hanging (weft_mutex_lock_until() just times out); Rust leaves
 * it unspecified (deadlock or panic), glibc's default mutex hangs,
 * PTHREAD_MUTEX_ERRORCHECK returns EDEADLK.
 *
 * Return: 0; WEFT_POISONED if a panic abandoned the mutex while it was held
 * (the mutex is held all the same); -EINVAL if @m is NULL.
 */
static inline int weft_mutex_lock(struct weft_mutex *m);

/**
 * weft_mutex_trylock() - acquire @m only if it is free
 * @m: the mutex
 *
 * Return: 0 or WEFT_POISONED (acquired, as weft_mutex_lock()); -EBUSY if it
 * is held (by any thread, the caller included); -EINVAL if @m is NULL.
 */
int weft_mutex_trylock(struct weft_mutex *m);

/**
 * weft_mutex_lock_until() - acquire @m, giving up at @deadline
 * @m: the mutex
 * @deadline: absolute CLOCK_MONOTONIC ns (weft_deadline_in()); WEFT_FOREVER
 *
 * Return: 0 or WEFT_POISONED (acquired); -ETIMEDOUT (not acquired);
 * -EINVAL if @m is NULL.
 */
int weft_mutex_lock_until(struct weft_mutex *m, uint64_t deadline);

/**
 * weft_mutex_unlock() - release @m, waking one sleeper if there may be one
 * @m: the mutex, held by the calling thread
 *
 * Unlocking a mutex the calling thread does not hold panics (glibc's
 * ERRORCHECK mutex returns EPERM; Rust's guards make it impossible).
 */
static inline void weft_mutex_unlock(struct weft_mutex *m);

/**
 * weft_mutex_lock_slow() - weft_mutex_lock() when its inline path cannot finish
 * @m: the mutex, or NULL
 *
 * For the inline weft_mutex_lock() only: a NULL @m, a full or not yet
 * allocated held-lock record, or a mutex someone holds.
 *
 * Return: as weft_mutex_lock().
 */
int weft_mutex_lock_slow(struct weft_mutex *m);

/**
 * weft_mutex_unlock_slow() - weft_mutex_unlock() when @m is not the newest record entry
 * @m: the mutex
 *
 * For the inline weft_mutex_unlock() only: an unlock out of order, below a
 * catch boundary's mark, or of a mutex the caller does not hold (a panic).
 */
void weft_mutex_unlock_slow(struct weft_mutex *m);

/**
 * weft_mutex_release_slow() - the wakes an unlock owes: a sleeper, a deferred notify
 * @m: the mutex just released (it may be freed already: only its address is used)
 * @old: the state the releasing exchange found, 2 or 3
 */
void weft_mutex_release_slow(struct weft_mutex *m, uint32_t old);

/*
 * The fast paths are inline, as Rust's Mutex::lock is: an uncontended lock
 * and unlock is then two locked instructions and the record's few plain
 * accesses, with no call (Documentation/sync.rst measures it). A locked
 * instruction waits until every earlier store has left the store buffer, so
 * the record's stores all go between the two, where the caller's stores to
 * the data the mutex guards go too: the unlock's exchange then drains them
 * all at once, and the lock's compare-exchange finds the buffer empty. The
 * entry is written once the compare-exchange has succeeded, and taken out
 * before the exchange: no code runs between either pair that could see the
 * record (a panic is a call, never a signal). A mutex entry is the bare
 * address (kind 0).
 */
static inline int weft_mutex_lock(struct weft_mutex *m)
{
	struct weft_held *h = weft_held_cur;
	uint32_t zero = 0, n = h->n;

	if (__builtin_expect(!m || n >= h->cap, 0))
		return weft_mutex_lock_slow(m);
	if (__builtin_expect(!atomic_compare_exchange_strong_explicit(&m->state, &zero, 1,
								      memory_order_acquire,
								      memory_order_relaxed), 0))
		return weft_mutex_lock_slow(m);
	h->e[n] = (uintptr_t)m;
	h->n = n + 1;
	return (int)atomic_load_explicit(&m->poisoned, memory_order_relaxed);
}

static inline void weft_mutex_unlock(struct weft_mutex *m)
{
	struct weft_held *h = weft_held_cur;
	uint32_t old, n = h->n;

	if (__builtin_expect(!weft_held_on_top(h, n, h->low, (uintptr_t)m), 0)) {
		weft_mutex_unlock_slow(m);
		return;
	}
	h->n = n - 1;
	old = atomic_exchange_explicit(&m->state, 0, memory_order_release);
	if (__builtin_expect(old > 1, 0))
		weft_mutex_release_slow(m, old);
}

/**
 * weft_mutex_is_poisoned() - did a panic abandon @m while it was held?
 * @m: the mutex
 *
 * Return: true if it is poisoned (Rust's Mutex::is_poisoned).
 */
bool weft_mutex_is_poisoned(const struct weft_mutex *m);

/**
 * weft_mutex_clear_poison() - declare the data behind @m consistent again
 * @m: the mutex
 *
 * Later locks return 0 until another panic poisons it (Rust's clear_poison).
 */
void weft_mutex_clear_poison(struct weft_mutex *m);

/* ---- Condvar -------------------------------------------------------------- */

/*
 * Rust's condvar/futex.rs: seq is a notification counter, the futex word;
 * a waiter sleeps while it still holds the value it read under the mutex.
 * waiters counts the threads that registered since the last notify_all,
 * so that a notify finding 0 makes no system call. Waiters never write to
 * it after they have been woken: see Documentation/sync.rst. mutex is the
 * waiters' mutex (1 once two were seen): a notify made while holding it
 * wakes at the unlock instead, so the waiter finds the mutex free.
 */
struct weft_condvar {
	_Atomic uint32_t seq;
	_Atomic uint32_t waiters;
	_Atomic uintptr_t mutex;
};

#define WEFT_CONDVAR_INIT { 0, 0, 0 }

/**
 * weft_condvar_wait() - release @m, sleep until notified, relock @m
 * @cv: the condition variable
 * @m: a mutex the calling thread holds
 *
 * May return without a notification (a "spurious wake-up"): call it in a
 * loop that checks the condition, or use weft_condvar_wait_while().
 *
 * Return: 0 or WEFT_POISONED (@m was poisoned when it was relocked); @m is
 * held on return either way. -EINVAL if @cv or @m is NULL.
 */
int weft_condvar_wait(struct weft_condvar *cv, struct weft_mutex *m);

/**
 * weft_condvar_wait_until() - weft_condvar_wait() with a deadline
 * @cv: the condition variable
 * @m: a mutex the calling thread holds
 * @deadline: absolute CLOCK_MONOTONIC ns; WEFT_FOREVER
 *
 * Return: 0, WEFT_POISONED, or -ETIMEDOUT if the deadline passed without a
 * notification (then weft_mutex_is_poisoned() tells about poison). @m is
 * held on every return.
 */
int weft_condvar_wait_until(struct weft_condvar *cv, struct weft_mutex *m, uint64_t deadline);

/**
 * weft_condvar_wait_while() - wait as long as @condition(@arg) is true
 * @cv: the condition variable
 * @m: a mutex the calling thread holds; @condition runs with it held
 * @condition: "keep waiting?", Rust's wait_while closure
 * @arg: its argument
 * @deadline: absolute CLOCK_MONOTONIC ns; WEFT_FOREVER
 *
 * Checks @condition first, so a condition already false returns at once,
 * even with a deadline in the past.
 *
 * Return: 0 (@condition returned false), -ETIMEDOUT (still true at the
 * deadline), or WEFT_POISONED (returned false, the mutex is poisoned). @m
 * is held on every return.
 */
int weft_condvar_wait_while(struct weft_condvar *cv, struct weft_mutex *m,
			    bool (*condition)(void *arg), void *arg, uint64_t deadline);

/**
 * weft_condvar_notify_one() - wake one waiter, if any
 * @cv: the condition variable
 *
 * With no waiter registered it is one load and no system call. Called with
 * the waiters' mutex held, it makes its FUTEX_WAKE when that mutex is
 * unlocked, so the woken waiter does not find it held.
 */
void weft_condvar_notify_one(struct weft_condvar *cv);

/**
 * weft_condvar_notify_all() - wake every waiter
 * @cv: the condition variable
 *
 * After it returns nothing touches @cv on its behalf, so the caller may
 * free it (the waiters must not use it again, of course): a wake-up left
 * for the unlock of the waiters' mutex keeps only the address.
 */
void weft_condvar_notify_all(struct weft_condvar *cv);

/* ---- RwLock --------------------------------------------------------------- */

/*
 * One 64-bit state word: the readers (bits 0-29, all ones: write locked) and
 * "readers sleep" (bit 30) in the low half, which is the futex word everyone
 * sleeps on; the count of writers waiting in the high half, so that an
 * unlock decides in its one releasing atomic whether it hands the lock to a
 * writer. Documentation/sync.rst draws it.
 */
struct weft_rwlock {
	_Atomic uint64_t state;
	_Atomic uint32_t poisoned;
};

#define WEFT_RWLOCK_INIT { 0, 0 }

/**
 * weft_rwlock_read() - acquire @l shared
 * @l: the lock
 *
 * Writer-preferring: a reader waits while a writer waits, so a stream of
 * readers cannot starve a writer. The other side of it: taking a read lock
 * the calling thread already holds would deadlock behind a waiting writer,
 * so it panics when it would have to wait.
 *
 * Return: 0 or WEFT_POISONED (held shared either way); -EINVAL for NULL.
 */
int weft_rwlock_read(struct weft_rwlock *l);

/**
 * weft_rwlock_try_read() - acquire @l shared if that needs no wait
 * @l: the lock
 *
 * Fails while a writer holds the lock or waits for it.
 *
 * Return: 0, WEFT_POISONED, -EBUSY, -EINVAL.
 */
int weft_rwlock_try_read(struct weft_rwlock *l);

/**
 * weft_rwlock_read_until() - weft_rwlock_read() with a deadline
 * @l: the lock
 * @deadline: absolute CLOCK_MONOTONIC ns; WEFT_FOREVER
 *
 * Return: 0, WEFT_POISONED, -ETIMEDOUT, -EINVAL.
 */
int weft_rwlock_read_until(struct weft_rwlock *l, uint64_t deadline);

/**
 * weft_rwlock_read_unlock() - release a shared hold
 * @l: the lock
 */
void weft_rwlock_read_unlock(struct weft_rwlock *l);

/**
 * weft_rwlock_write() - acquire @l exclusively
 * @l: the lock
 *
 * Return: 0 or WEFT_POISONED (held either way); -EINVAL for NULL.
 */
int weft_rwlock_write(struct weft_rwlock *l);

/**
 * weft_rwlock_try_write() - acquire @l exclusively if it is free
 * @l: the lock
 *
 * Return: 0, WEFT_POISONED, -EBUSY, -EINVAL.
 */
int weft_rwlock_try_write(struct weft_rwlock *l);

/**
 * weft_rwlock_write_until() - weft_rwlock_write() with a deadline
 * @l: the lock
 * @deadline: absolute CLOCK_MONOTONIC ns; WEFT_FOREVER
 *
 * A writer that finds the lock free as it gives up (handed to the waiting
 * writers by an unlock) takes it rather than leave it to nobody.
 *
 * Return: 0, WEFT_POISONED, -ETIMEDOUT, -EINVAL.
 */
int weft_rwlock_write_until(struct weft_rwlock *l, uint64_t deadline);

/**
 * weft_rwlock_write_unlock() - release the exclusive hold
 * @l: the lock
 */
void weft_rwlock_write_unlock(struct weft_rwlock *l);

/**
 * weft_rwlock_is_poisoned() - did a panic abandon a write lock of @l?
 * @l: the lock
 *
 * Return: true if so. A panic over a read lock only releases it.
 */
bool weft_rwlock_is_poisoned(const struct weft_rwlock *l);

/**
 * weft_rwlock_clear_poison() - declare the lock's data consistent again
 * @l: the lock
 */
void weft_rwlock_clear_poison(struct weft_rwlock *l);

/* ---- Once, OnceLock, LazyLock -------------------------------------------- */

/* Rust's once/futex.rs states; the word is the futex. */
#define WEFT_ONCE_INCOMPLETE 0u
#define WEFT_ONCE_POISONED 1u
#define WEFT_ONCE_RUNNING 2u
#define WEFT_ONCE_QUEUED 3u	/* running, and someone sleeps */
#define WEFT_ONCE_COMPLETE 4u

struct weft_once {
	_Atomic uint32_t state;
};

#define WEFT_ONCE_INIT { 0 }

/**
 * weft_once_call_slow() - the slow path of weft_once_call() and weft_once_call_force()
 * @o: the Once
 * @fn: the initialiser, told whether an earlier one panicked
 * @arg: its argument
 * @force: run @fn even if the Once is poisoned (call_once_force)
 *
 * Called by the inline fast paths once they saw that @o is not complete; not
 * meant to be called directly.
 */
void weft_once_call_slow(struct weft_once *o, void (*fn)(void *arg, bool poisoned), void *arg,
			 bool force);

/**
 * weft_once_call_plain_slow() - the slow path of weft_once_call()
 * @o: the Once
 * @fn: the initialiser
 * @arg: its argument
 *
 * Out of line, so that the inline fast path builds nothing on the stack:
 * when it made the {fn, arg} pair for weft_once_call_slow() itself, the
 * compiler stored it on every call, completed or not (two stores in a path
 * of one load), and the figure swung with the stack's placement.
 */
void weft_once_call_plain_slow(struct weft_once *o, void (*fn)(void *arg), void *arg);

/**
 * weft_once_call() - run @fn(@arg) if no call on @o has completed yet
 * @o: the once
 * @fn: the initialiser
 * @arg: its argument
 *
 * Exactly one caller runs @fn; callers that arrive while it runs sleep
 * until it returns. Once completed, a call is one acquire load (inline).
 * If @fn panics, the panic goes on to the caller's boundary, @o becomes
 * poisoned, the sleepers wake, and they and every later weft_once_call()
 * panic (Rust's Once::call_once).
 */
static inline void weft_once_call(struct weft_once *o, void (*fn)(void *arg), void *arg)
{
	if (__builtin_expect(atomic_load_explicit(&o->state, memory_order_acquire) ==
				     WEFT_ONCE_COMPLETE, 1))
		return;
	weft_once_call_plain_slow(o, fn, arg);
}

/**
 * weft_once_call_force() - weft_once_call() that also runs on a poisoned @o
 * @o: the once
 * @fn: the initialiser; @poisoned tells it that an earlier run panicked
 * @arg: its argument
 *
 * Rust's Once::call_once_force.
 */
static inline void weft_once_call_force(struct weft_once *o,
					void (*fn)(void *arg, bool poisoned), void *arg)
{
	if (__builtin_expect(atomic_load_explicit(&o->state, memory_order_acquire) ==
				     WEFT_ONCE_COMPLETE, 1))
		return;
	weft_once_call_slow(o, fn, arg, true);
}

/**
 * weft_once_is_completed() - has a call on @o completed?
 * @o: the once
 *
 * Return: true if so (an acquire load: what the initialiser wrote is visible).
 */
static inline bool weft_once_is_completed(const struct weft_once *o)
{
	return atomic_load_explicit(&((struct weft_once *)o)->state, memory_order_acquire) ==
	       WEFT_ONCE_COMPLETE;
}

/**
 * weft_once_is_poisoned() - did the initialiser panic (with no forced run since)?
 * @o: the once
 *
 * Return: true if so.
 */
bool weft_once_is_poisoned(const struct weft_once *o);

/* Rust's OnceLock<*mut T>: a pointer, set once. Zero-initialised = empty. */
struct weft_once_lock {
	struct weft_once once;
	void *value;
};

/**
 * weft_once_lock_get() - the value, if set
 * @l: the cell
 *
 * Return: the value, or NULL while it is not set.
 */
static inline void *weft_once_lock_get(struct weft_once_lock *l)
{
	return weft_once_is_completed(&l->once) ? l->value : NULL;
}

/**
 * weft_once_lock_get_or_init() - the value, made by @init(@arg) on first use
 * @l: the cell
 * @init: makes the value; runs at most once (unless it panics: see weft_once_call())
 * @arg: its argument
 *
 * Return: the value.
 */
void *weft_once_lock_get_or_init(struct weft_once_lock *l, void *(*init)(void *arg), void *arg);

/**
 * weft_once_lock_set() - set the value if it is not set yet
 * @l: the cell
 * @value: the value
 *
 * Return: 0, or -EBUSY if it already had one (it keeps it).
 */
int weft_once_lock_set(struct weft_once_lock *l, void *value);

/* Rust's LazyLock: the initialiser is given up front. */
struct weft_lazy {
	struct weft_once_lock cell;
	void *(*init)(void);
};

#define WEFT_LAZY_INIT(fn) { { { 0 }, NULL }, (fn) }

/**
 * weft_lazy_get() - the value, made by the initialiser on first use
 * @l: a weft_lazy set up with WEFT_LAZY_INIT()
 *
 * Return: the value.
 */
void *weft_lazy_get(struct weft_lazy *l);

/* ---- Barrier -------------------------------------------------------------- */

struct weft_barrier {
	uint32_t parties;		/* 0 and 1 both mean "no waiting" */
	_Atomic uint32_t arrived;
	_Atomic uint32_t generation;	/* the futex word */
};

#define WEFT_BARRIER_INIT(n) { (n), 0, 0 }

/* weft_barrier_wait()'s return for the one thread of each round that is the leader. */
#define WEFT_BARRIER_LEADER 1

/**
 * weft_barrier_init() - set @b up for @parties threads
 * @b: the barrier
 * @parties: how many threads each round waits for
 */
void weft_barrier_init(struct weft_barrier *b, uint32_t parties);

/**
 * weft_barrier_wait() - wait until @b's parties have all arrived
 * @b: the barrier
 *
 * Reusable: the round after starts as soon as one ends. Unlike the other
 * primitives, @b may be freed only once every party has returned (as
 * pthread_barrier_destroy() waits for them in glibc).
 *
 * Return: WEFT_BARRIER_LEADER in exactly one thread per round (the last to
 * arrive), 0 in the others; -EINVAL if @b is NULL.
 */
int weft_barrier_wait(struct weft_barrier *b);

/* ---- Channels ------------------------------------------------------------- */

struct weft_channel;

/* Rust's mpmc Sender and Receiver: each handle is one reference. */
struct weft_sender {
	struct weft_channel *chan;
};

struct weft_receiver {
	struct weft_channel *chan;
};

/* The capacity of an unbounded channel. */
#define WEFT_CHANNEL_UNBOUNDED SIZE_MAX

/**
 * weft_channel() - make a channel of @msg_size-byte messages
 * @tx: receives the first sender
 * @rx: receives the first receiver
 * @msg_size: bytes per message, at least 1
 * @capacity: 0 for a rendezvous channel (a send waits for the receive that
 *            takes it), n for at most n queued messages,
 *            WEFT_CHANNEL_UNBOUNDED for no limit (Rust's mpsc::channel())
 *
 * Return: 0; -EINVAL for a NULL handle or a @msg_size of 0; -ENOMEM.
 */
int weft_channel(struct weft_sender *tx, struct weft_receiver *rx, size_t msg_size,
		 size_t capacity);

/**
 * weft_sender_clone() - another sender on @tx's channel
 * @tx: a live sender
 * @out: receives the new one
 *
 * Return: 0, or -EINVAL.
 */
int weft_sender_clone(const struct weft_sender *tx, struct weft_sender *out);

/**
 * weft_sender_drop() - give up @tx; the last sender disconnects the channel
 * @tx: the sender (zeroed; dropping it again is a no-op)
 *
 * Receivers then drain what is queued and see -EPIPE.
 */
void weft_sender_drop(struct weft_sender *tx);

/**
 * weft_receiver_clone() - another receiver on @rx's channel (Rust's mpmc)
 * @rx: a live receiver
 * @out: receives the new one
 *
 * Return: 0, or -EINVAL.
 */
int weft_receiver_clone(const struct weft_receiver *rx, struct weft_receiver *out);

/**
 * weft_receiver_drop() - give up @rx; the last receiver disconnects the channel
 * @rx: the receiver (zeroed; dropping it again is a no-op)
 *
 * Queued messages are discarded; senders then fail with -EPIPE.
 */
void weft_receiver_drop(struct weft_receiver *rx);

/**
 * weft_send_until() - send a copy of @msg, waiting for room until @deadline
 * @tx: the sender
 * @msg: msg_size bytes
 * @deadline: absolute CLOCK_MONOTONIC ns; WEFT_FOREVER
 *
 * On a rendezvous channel, hands the message to a receiver that waits, or
 * waits until one takes it; a send that times out takes its message back,
 * so it was delivered exactly when the return is 0.
 *
 * Return: 0 (sent); -EPIPE (every receiver is gone: the message was not
 * sent and is still the caller's, Rust's SendError); -ETIMEDOUT; -EINVAL.
 */
int weft_send_until(struct weft_sender *tx, const void *msg, uint64_t deadline);

/**
 * weft_send() - weft_send_until(@tx, @msg, WEFT_FOREVER)
 * @tx: the sender
 * @msg: the message
 *
 * Return: as weft_send_until().
 */
int weft_send(struct weft_sender *tx, const void *msg);

/**
 * weft_try_send() - send only if that needs no wait
 * @tx: the sender
 * @msg: msg_size bytes
 *
 * On a rendezvous channel this succeeds only if a receiver is waiting in
 * weft_recv() or weft_recv_until(), and then that receiver has the message
 * when it returns: its receive returns 0 with it even if its deadline has
 * passed meanwhile (Rust's sync_channel(0)).
 *
 * Return: 0, -EAGAIN (full, or no receiver waiting: Rust's
 * TrySendError::Full), -EPIPE, -EINVAL.
 */
int weft_try_send(struct weft_sender *tx, const void *msg);

/**
 * weft_recv_until() - receive the oldest message into @msg, waiting until @deadline
 * @rx: the receiver
 * @msg: room for msg_size bytes
 * @deadline: absolute CLOCK_MONOTONIC ns; WEFT_FOREVER
 *
 * A message that arrives before the receive gives up is received, even if
 * the deadline has passed by the time the receiver runs again; nothing is
 * written to @msg otherwise.
 *
 * Return: 0; -EPIPE once every sender is gone and the queue is empty;
 * -ETIMEDOUT; -EINVAL.
 */
int weft_recv_until(struct weft_receiver *rx, void *msg, uint64_t deadline);

/**
 * weft_recv() - weft_recv_until(@rx, @msg, WEFT_FOREVER)
 * @rx: the receiver
 * @msg: the buffer for the message
 *
 * Return: as weft_recv_until().
 */
int weft_recv(struct weft_receiver *rx, void *msg);

/**
 * weft_try_recv() - receive only if a message is there
 * @rx: the receiver
 * @msg: room for msg_size bytes
 *
 * Return: 0, -EAGAIN (empty), -EPIPE (empty and disconnected), -EINVAL.
 */
int weft_try_recv(struct weft_receiver *rx, void *msg);

#endif
