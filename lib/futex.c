// SPDX-License-Identifier: MIT
/* futex(2) wrappers, a small mutex on top, and monotonic time. */
#include <linux/errno.h>
#include <linux/futex.h>
#include <linux/time.h>

#include "internal.h"

/**
 * weft_futex_wait() - sleep while *@word == @expected
 * @word: the futex word
 * @expected: the value that means "keep sleeping"
 * @shared: false for process-private words (cheaper hashing in the kernel);
 *          true for the clear-tid word, which the kernel wakes with a shared key
 * @abs_deadline: CLOCK_MONOTONIC deadline, or NULL to wait forever
 *
 * FUTEX_WAIT_BITSET with FUTEX_BITSET_MATCH_ANY is the form of FUTEX_WAIT that
 * takes an absolute timeout, so retrying after EINTR does not stretch the wait.
 *
 * Return: 0 (woken, possibly spuriously), -EAGAIN (the word had changed),
 * -EINTR, -ETIMEDOUT.
 */
long weft_futex_wait(_Atomic uint32_t *word, uint32_t expected, bool shared,
		     const struct __kernel_timespec *abs_deadline)
{
	int op = FUTEX_WAIT_BITSET | (shared ? 0 : FUTEX_PRIVATE_FLAG);

	return sys_futex((uint32_t *)word, op, expected, abs_deadline, NULL,
			 FUTEX_BITSET_MATCH_ANY);
}

long weft_futex_wake(_Atomic uint32_t *word, int count, bool shared)
{
	return sys_futex((uint32_t *)word, FUTEX_WAKE | (shared ? 0 : FUTEX_PRIVATE_FLAG),
			 (uint32_t)count, NULL, NULL, 0);
}

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

uint64_t weft_now_ns(void)
{
	struct __kernel_timespec ts;

	/* A raw syscall, not the vDSO: qemu-user provides no vDSO. */
	sys_clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void weft_ns_to_timespec(uint64_t ns, struct __kernel_timespec *ts)
{
	ts->tv_sec = (long long)(ns / 1000000000ULL);
	ts->tv_nsec = (long long)(ns % 1000000000ULL);
}
