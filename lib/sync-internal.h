/* SPDX-License-Identifier: MIT */
/* What the synchronization primitives share: the wait-on-address layer and the held-lock record. */
#ifndef WEFT_LIB_SYNC_INTERNAL_H
#define WEFT_LIB_SYNC_INTERNAL_H

#include "weft/sync.h"

#include "lib/held.h"
#include "lib/thread.h"

/* ---- lib/wait.c: wait on an address, for native and green threads ---------- */

/**
 * weft_wait() - sleep while *@word == @expected, until woken or @deadline
 * @word: a 32-bit word of some primitive
 * @expected: the value that means "keep sleeping"
 * @deadline: absolute CLOCK_MONOTONIC ns, or WEFT_FOREVER
 *
 * A native thread sleeps in FUTEX_WAIT_BITSET; a green thread waits in the
 * green waiter table and parks in its runtime. Either is woken by
 * weft_wake() on the same address, from any kind of thread.
 *
 * Return: 0 (woken, or spuriously), -EAGAIN (*@word was not @expected),
 * -EINTR, -ETIMEDOUT. Callers re-check their state on every return.
 */
int weft_wait(_Atomic uint32_t *word, uint32_t expected, uint64_t deadline);

/**
 * weft_wake() - wake up to @count sleepers on @word
 * @word: the word they wait on
 * @count: how many at most; INT32_MAX for all
 *
 * Touches only the address, never the memory behind it: the caller may
 * already have released the primitive, which may be freed by now.
 *
 * Return: how many were woken (green and native).
 */
int weft_wake(_Atomic uint32_t *word, int count);

/**
 * weft_wait_bitset() - weft_wait() as one kind of sleeper (FUTEX_WAIT_BITSET)
 * @word: a 32-bit word of some primitive
 * @expected: the value that means "keep sleeping"
 * @deadline: absolute CLOCK_MONOTONIC ns, or WEFT_FOREVER
 * @bitset: the wake-ups that reach this sleeper: those of a weft_wake_bitset()
 *          whose bitset shares a bit with it, and every weft_wake(). Not 0.
 *
 * Return: as weft_wait().
 */
int weft_wait_bitset(_Atomic uint32_t *word, uint32_t expected, uint64_t deadline,
		     uint32_t bitset);

/**
 * weft_wake_bitset() - wake up to @count sleepers on @word whose bitset meets @bitset
 * @word: the word they wait on
 * @count: how many at most; INT32_MAX for all
 * @bitset: which sleepers (FUTEX_WAKE_BITSET); not 0
 *
 * Touches only the address, as weft_wake().
 *
 * Return: how many were woken (green and native).
 */
int weft_wake_bitset(_Atomic uint32_t *word, int count, uint32_t bitset);

/* A spin-wait hint to the CPU (Rust's core::hint::spin_loop). */
static inline void weft_spin_hint(void)
{
#if defined(__x86_64__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#else
	__asm__ volatile("" ::: "memory");
#endif
}

/* The unlocks themselves, without the record: for the panic release too. */
void weft_mutex_release(struct weft_mutex *m);

/*
 * Make the FUTEX_WAKE of @count sleepers on @word when the calling thread
 * unlocks @m, not now. Returns false, and defers nothing, unless the
 * caller is a native thread whose newest held lock is @m (lib/mutex.c).
 */
bool weft_mutex_defer_wake(struct weft_mutex *m, _Atomic uint32_t *word, int count);
void weft_rwlock_read_release(struct weft_rwlock *l);
void weft_rwlock_write_release(struct weft_rwlock *l);

/* ---- lib/held.c: the held-lock record -------------------------------------- */

/* An entry is the lock's address with its kind in the low bits (locks are 4-byte aligned). */
enum weft_held_kind { HELD_MUTEX, HELD_READ, HELD_WRITE };

#define HELD_KIND_MASK 3ul
#define HELD_LOCK(e) ((void *)((e) & ~HELD_KIND_MASK))
#define HELD_KIND(e) ((enum weft_held_kind)((e) & HELD_KIND_MASK))

void weft_held_push_slow(void *lock, enum weft_held_kind kind);
void weft_held_pop_slow(void *lock, enum weft_held_kind kind);

/*
 * Record that the running context now holds @lock: one store for the entry,
 * one for the count. The record (lib/held.h) is the running context's, so an
 * entry needs no owner; the boundaries' marks say which entries a panic
 * releases, so it needs no frame address either.
 */
static inline void weft_held_push(void *lock, enum weft_held_kind kind)
{
	struct weft_held *h = weft_held_cur;
	uint32_t n = h->n;

	if (unlikely(n >= h->cap)) {	/* full, or weft_held_none: a first lock */
		weft_held_push_slow(lock, kind);
		return;
	}
	h->e[n] = (uintptr_t)lock | kind;
	h->n = n + 1;
}

/*
 * Is @lock the newest entry of @h, which has @n? The usual case at unlock:
 * locks are mostly released in the reverse order of taking them. Anything
 * else, and an entry below h->low (taken outside the innermost boundary, or
 * before the panic in flight: their marks must not move), is left to
 * weft_held_pop_slow().
 */
static inline bool weft_held_is_newest(const struct weft_held *h, uint32_t n, const void *lock,
				       enum weft_held_kind kind)
{
	return likely(weft_held_on_top(h, n, h->low, (uintptr_t)lock | kind));
}

/* Forget @lock if it is the newest entry. Return: true if done. */
static inline bool weft_held_pop_newest(void *lock, enum weft_held_kind kind)
{
	struct weft_held *h = weft_held_cur;
	uint32_t n = h->n;

	if (weft_held_is_newest(h, n, lock, kind)) {
		h->n = n - 1;
		return true;
	}
	return false;
}

/* Forget @lock; panics if the running context does not hold it. */
static inline void weft_held_pop(void *lock, enum weft_held_kind kind)
{
	if (!weft_held_pop_newest(lock, kind))
		weft_held_pop_slow(lock, kind);
}

/*
 * Is @lock, taken as @kind, the newest lock the running context holds? One
 * look, wherever a boundary's mark lies (weft_held_is_newest() minds it).
 */
static inline bool weft_held_newest(const void *lock, enum weft_held_kind kind)
{
	const struct weft_held *h = weft_held_cur;

	return weft_held_on_top(h, h->n, 0, (uintptr_t)lock | kind);
}

/* Does the running context hold @lock (in any mode)? For the deadlock checks. */
bool weft_held_by_me(const void *lock);

/* Panics with a "deadlock" message: @what would wait for the caller itself. */
__attribute__((noreturn)) void weft_held_deadlock(const char *what, const void *lock);

#endif
