// SPDX-License-Identifier: MIT
/* futex(2) wrappers, a small mutex on top, and monotonic time. */
#include <linux/errno.h>
#include <linux/futex.h>
#include <linux/time.h>

#include "internal.h"

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
