/* SPDX-License-Identifier: MIT */
/* What lib/ files share with each other and not with users. */
#ifndef WEFT_LIB_INTERNAL_H
#define WEFT_LIB_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "weft/alloc.h"
#include "weft/process.h"
#include "weft/string.h"
#include "weft/time.h"

#include <linux/futex.h>

#include "kernel-abi/sys.h"
#include "lib/start-file.h"
#include "lib/tcb.h"
#include "lib/trace.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ROUND_UP(x, a) (((x) + (a) - 1) & ~((a) - 1))
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* Process-wide facts found at start-up (lib/start.c). */
extern struct weft_startup weft_start;

/* lib/tls.c */
size_t weft_tls_area_size(void);
struct weft_tcb *weft_tls_install(void *area, size_t len);
void *weft_tls_block(struct weft_tcb *tcb);

/* lib/exit.c: the end of the calling thread, run by itself (main's from weft_exit()). */
void weft_thread_exit_work(void);

/*
 * Futex helpers. Inline on purpose: the `syscall` instruction then sits in its
 * caller (weft_park(), weft_unpark(), join) instead of in a wrapper that
 * returns right after it. The first `ret` after a system call mispredicts on
 * these machines (Documentation/abi-notes.rst §13: about 48 ns; after a futex wait that slept,
 * because the kernel refilled the return-stack buffer when it switched tasks,
 * FILL_RETURN_BUFFER in __switch_to_asm). Documentation/parker.rst has the
 * figures.
 */

/**
 * weft_futex_wait_bitset() - sleep while *@word == @expected, as one of @bitset
 * @word: the futex word
 * @expected: the value that means "keep sleeping"
 * @shared: false for process-private words (cheaper hashing in the kernel);
 *          true for the clear-tid word, which the kernel wakes with a shared key
 * @abs_deadline: CLOCK_MONOTONIC deadline, or NULL to wait forever
 * @bitset: the kinds of wake-up that reach this sleeper (never 0); a wake
 *          reaches it if the two bitsets share a bit (futex_wake() in
 *          kernel/futex/waitwake.c: "if (!(this->bitset & bitset)) continue")
 *
 * FUTEX_WAIT_BITSET is also the form of FUTEX_WAIT that takes an absolute
 * timeout, so retrying after EINTR does not stretch the wait.
 *
 * Return: 0 (woken, possibly spuriously), -EAGAIN (the word had changed),
 * -EINTR, -ETIMEDOUT.
 */
static inline __attribute__((always_inline)) long
weft_futex_wait_bitset(_Atomic uint32_t *word, uint32_t expected, bool shared,
		       const struct __kernel_timespec *abs_deadline, uint32_t bitset)
{
	int op = FUTEX_WAIT_BITSET | (shared ? 0 : FUTEX_PRIVATE_FLAG);

	return sys_futex((uint32_t *)word, op, expected, abs_deadline, NULL, bitset);
}

/* weft_futex_wait_bitset() for any wake-up (FUTEX_BITSET_MATCH_ANY): plain FUTEX_WAIT. */
static inline __attribute__((always_inline)) long
weft_futex_wait(_Atomic uint32_t *word, uint32_t expected, bool shared,
		const struct __kernel_timespec *abs_deadline)
{
	return weft_futex_wait_bitset(word, expected, shared, abs_deadline,
				      FUTEX_BITSET_MATCH_ANY);
}

long weft_futex_wake_failed(_Atomic uint32_t *word, int count, bool shared, uint32_t bitset,
			    long err);

/**
 * weft_futex_wake_bitset() - wake up to @count sleepers on @word that share a bit with @bitset
 * @word: the futex word
 * @count: how many to wake at most
 * @shared: must match the waiters' @shared
 * @bitset: which sleepers (see weft_futex_wait_bitset()); never 0
 *
 * FUTEX_WAKE is FUTEX_WAKE_BITSET with FUTEX_BITSET_MATCH_ANY (do_futex() in
 * kernel/futex/syscalls.c sets that bitset for it), so a wake of all kinds
 * is made, and traced, as the plain FUTEX_WAKE. Both forms fold to one
 * system call when @bitset is a constant.
 *
 * Return: the number woken. A wake that fails is retried, with the same
 * bitset, never lost (lib/futex.c).
 */
static inline __attribute__((always_inline)) long
weft_futex_wake_bitset(_Atomic uint32_t *word, int count, bool shared, uint32_t bitset)
{
	bool any = bitset == FUTEX_BITSET_MATCH_ANY;
	int op = (any ? FUTEX_WAKE : FUTEX_WAKE_BITSET) | (shared ? 0 : FUTEX_PRIVATE_FLAG);
	long ret = sys_futex((uint32_t *)word, op, (uint32_t)count, NULL, NULL, any ? 0 : bitset);

	if (__builtin_expect(sys_is_error(ret), 0))
		ret = weft_futex_wake_failed(word, count, shared, bitset, ret);
	return ret;
}

/* weft_futex_wake_bitset() for every sleeper on @word: FUTEX_WAKE. */
static inline __attribute__((always_inline)) long
weft_futex_wake(_Atomic uint32_t *word, int count, bool shared)
{
	return weft_futex_wake_bitset(word, count, shared, FUTEX_BITSET_MATCH_ANY);
}

/* arch/<arch>/futex.S: FUTEX_WAKE (private) of one waiter; call only as a tail call. */
long weft_arch_futex_wake_one(_Atomic uint32_t *word);

/* lib/futex.c: a three-state futex mutex (Drepper, "Futexes Are Tricky"). */
struct weft_lock {
	_Atomic uint32_t state;	/* 0 unlocked, 1 locked, 2 locked with waiters */
};
#define WEFT_LOCK_INIT { 0 }
void weft_lock_slow(struct weft_lock *l);
void weft_unlock_slow(struct weft_lock *l);

static inline void weft_lock(struct weft_lock *l)
{
	uint32_t zero = 0;

	if (!atomic_compare_exchange_strong_explicit(&l->state, &zero, 1, memory_order_acquire,
						     memory_order_relaxed))
		weft_lock_slow(l);
}

static inline void weft_unlock(struct weft_lock *l)
{
	if (atomic_exchange_explicit(&l->state, 0, memory_order_release) == 2)
		weft_unlock_slow(l);
}

/*
 * lib/time.c. Deadlines at or past WEFT_DEADLINE_LIMIT (2^62 ns, ~146 years of
 * uptime) are never reached: waits treat them as WEFT_FOREVER (untimed), so
 * no conversion overflows and the kernel never sees an out-of-range timespec.
 */
#define WEFT_DEADLINE_LIMIT (1ULL << 62)
void weft_ns_to_timespec(uint64_t ns, struct __kernel_timespec *ts);
/* The timespec for FUTEX_WAIT_BITSET / clock_nanosleep, or NULL for "no deadline". */
const struct __kernel_timespec *weft_deadline_timespec(uint64_t deadline,
						       struct __kernel_timespec *ts);

/*
 * weft_vdso_sym() - the address of the defined function @name in the ELF image
 * at @vdso (the vDSO, as AT_SYSINFO_EHDR gives it), or NULL: not an ELF64
 * image, no dynamic section or SysV hash table, no such function.
 */
void *weft_vdso_sym(const void *vdso, const char *name);
/* Does weft_now() read the vDSO (true) or make the system call? */
bool weft_clock_uses_vdso(void);
/* Tests: make weft_now() use the system call (true) or look for the vDSO again (false). */
void weft_clock_force_syscall(bool force);

/* Fatal runtime error: message to stderr, then weft_abort(). */
/*
 * lib/alloc.c: a block that is never freed and not counted as live by
 * weft_alloc_stats(): type-stable memory (the join states of lib/thread.c).
 */
void *weft_alloc_stable(size_t size);
__attribute__((noreturn, format(printf, 1, 2))) void weft_fatal(const char *fmt, ...);

#endif
