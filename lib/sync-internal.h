/* SPDX-License-Identifier: MIT */
/* What the synchronization primitives share: the wait-on-address layer and the held-lock record. */
#ifndef WEFT_LIB_SYNC_INTERNAL_H
#define WEFT_LIB_SYNC_INTERNAL_H

#include "weft/sync.h"

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
void weft_rwlock_read_release(struct weft_rwlock *l);
void weft_rwlock_write_release(struct weft_rwlock *l);

/* ---- lib/held.c: the held-lock record -------------------------------------- */

enum weft_held_kind { HELD_MUTEX, HELD_READ, HELD_WRITE };

/*
 * One lock the thread holds. The record is a __thread, so per OS thread;
 * the green threads of an OS thread share it, and each entry names its
 * owner: the running context's struct weft_thread. The frame is the stack
 * address of the locking call: a panic that jumps to a boundary releases
 * exactly the owner's entries whose frame lies below (deeper than) it.
 * Frame addresses are 16-byte aligned (the ABI's stack alignment on every
 * architecture weft supports), which leaves room in @frame_bits for the
 * kind and the "taken while panicking" flag: three stores per lock.
 */
struct weft_held_entry {
	void *lock;
	struct weft_thread *owner;
	uintptr_t frame_bits;		/* frame | HELD_PANICKING | kind */
};

#define HELD_KIND_MASK 3ul
#define HELD_PANICKING 4ul
#define HELD_FRAME(e) ((e)->frame_bits & ~15ul)
#define HELD_KIND(e) ((enum weft_held_kind)((e)->frame_bits & HELD_KIND_MASK))

#define WEFT_HELD_MAX 32

struct weft_held {
	uint32_t n;			/* entries in use, e[0..n) */
	uint32_t untracked;		/* locks taken while the record was full */
	struct weft_held_entry e[WEFT_HELD_MAX];
};

/* Local-exec: weft programs are static executables, so the TLS offset is a constant. */
extern __thread struct weft_held weft_held __attribute__((tls_model("local-exec")));

/* Record that the caller now holds @lock; @frame is __builtin_frame_address(0). */
static inline void weft_held_push(void *lock, enum weft_held_kind kind, uintptr_t frame)
{
	struct weft_held *h = &weft_held;
	struct weft_tcb *tcb = weft_tcb();
	uint32_t n = h->n;

	if (unlikely(n == WEFT_HELD_MAX)) {
		h->untracked++;
		return;
	}
	h->e[n].lock = lock;
	h->e[n].owner = tcb->current;
	h->e[n].frame_bits = frame | kind | (tcb->panicking ? HELD_PANICKING : 0);
	h->n = n + 1;
}

void weft_held_pop_slow(void *lock, enum weft_held_kind kind);

/* Forget @lock; panics if the calling thread does not hold it. */
static inline void weft_held_pop(void *lock, enum weft_held_kind kind)
{
	struct weft_held *h = &weft_held;
	uint32_t n = h->n;

	/* Locks are usually released in the reverse order of taking them. */
	if (likely(n && h->e[n - 1].lock == lock && h->e[n - 1].owner == weft_tcb()->current)) {
		h->n = n - 1;
		return;
	}
	weft_held_pop_slow(lock, kind);
}

/* Does the running context hold @lock (in any mode)? For the deadlock checks. */
bool weft_held_by_me(const void *lock);

/* Panics with a "deadlock" message: @what would wait for the caller itself. */
__attribute__((noreturn)) void weft_held_deadlock(const char *what, const void *lock);

#endif
