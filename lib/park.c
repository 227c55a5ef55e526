// SPDX-License-Identifier: MIT
/* The Parker (Rust's futex parker), sleep, yield and available parallelism. */
#include <linux/errno.h>
#include <linux/futex.h>
#include <linux/time.h>

#include "lib/hooks.h"
#include "lib/thread.h"

/*
 * DOC: the Parker
 *
 * One 32-bit word per thread, three states (Rust's library/std/src/sys/sync/
 * thread_parking/futex.rs):
 *
 *   EMPTY (0) --park--> PARKED (-1) --unpark--> NOTIFIED (1) --park returns--> EMPTY
 *   EMPTY (0) --unpark--> NOTIFIED (1) --park: returns at once--> EMPTY
 *
 * park() decrements: from NOTIFIED that lands on EMPTY and returns; from
 * EMPTY it lands on PARKED and sleeps in FUTEX_WAIT(PARKED). unpark()
 * exchanges in NOTIFIED and calls FUTEX_WAKE only if it saw PARKED. The
 * futex checks "word == PARKED" and enqueues the sleeper atomically in the
 * kernel (futex_wait_setup() in kernel/futex/waitwake.c), so an unpark that
 * lands between the decrement and the sleep makes FUTEX_WAIT fail with
 * EAGAIN instead of being lost. Documentation/parker.rst has the model check.
 *
 * Orderings: unpark's exchange is a release and park's decrement or
 * compare-exchange that consumes NOTIFIED is an acquire, so whatever the
 * unparker wrote before unpark() is visible to the parked thread once
 * park() returns. That is the whole contract: park/unpark is a one-token
 * semaphore with happens-before.
 */

_Static_assert((FUTEX_WAKE | FUTEX_PRIVATE_FLAG) == 0x81, "arch/x86_64/futex.S hard-codes it");

static bool consume_token(struct weft_thread *t)
{
	uint32_t expected = PARKER_NOTIFIED;

	return atomic_compare_exchange_strong_explicit(&t->parker, &expected, PARKER_EMPTY,
						       memory_order_acquire,
						       memory_order_relaxed);
}

void weft_park(void)
{
	struct weft_tcb *tcb = weft_tcb();
	struct weft_thread *t = tcb->current;

	if (tcb->green_current) {
		weft_green_park();
		return;
	}
	if (atomic_fetch_sub_explicit(&t->parker, 1, memory_order_acquire) == PARKER_NOTIFIED)
		return;
	for (;;) {
		/* 0 (woken, maybe spuriously), EAGAIN (already notified) or EINTR: re-check. */
		weft_futex_wait(&t->parker, PARKER_PARKED, false, NULL);
		if (consume_token(t))
			return;
	}
}

void weft_park_until(uint64_t deadline)
{
	struct weft_tcb *tcb = weft_tcb();
	struct weft_thread *t = tcb->current;
	struct __kernel_timespec ts;

	if (tcb->green_current) {
		weft_green_park_until(deadline);
		return;
	}
	/* Beyond ~146 years is forever: no overflow, no kernel range error. */
	if (!weft_deadline_timespec(deadline, &ts)) {
		weft_park();
		return;
	}
	if (atomic_fetch_sub_explicit(&t->parker, 1, memory_order_acquire) == PARKER_NOTIFIED)
		return;
	for (;;) {
		long r = weft_futex_wait(&t->parker, PARKER_PARKED, false, &ts);

		if (consume_token(t))
			return;
		/*
		 * Unlike Rust we wait out the whole timeout across spurious wake-ups
		 * and EINTR: the deadline is absolute, so retrying costs no drift.
		 */
		if (r == -ETIMEDOUT || weft_now() >= deadline) {
			/* Back to EMPTY; a token that raced in is consumed, not lost. */
			atomic_exchange_explicit(&t->parker, PARKER_EMPTY, memory_order_acquire);
			return;
		}
	}
}

void weft_park_timeout(uint64_t ns)
{
	weft_park_until(weft_deadline_in(ns));
}

void weft_unpark(struct weft_thread *t)
{
	if (!t)
		return;
	if (t->green) {
		weft_green_unpark(t);
		return;
	}
	if (atomic_exchange_explicit(&t->parker, PARKER_NOTIFIED, memory_order_release) !=
	    PARKER_PARKED)
		return;
	/* Traced or fault-injected: through sys_futex(), which logs and may fail it. */
	if (unlikely(weft_sys_hook_now())) {
		weft_futex_wake(&t->parker, 1, false);
		return;
	}
	/* A tail call that returns to our caller without a `ret`: arch/x86_64/futex.S. */
	weft_arch_futex_wake_one(&t->parker);
}

void weft_yield(void)
{
	sys_sched_yield();
}

int weft_sleep_until(uint64_t deadline)
{
	struct __kernel_timespec ts;
	long r;

	/* Rust's sleep_until: a deadline already passed returns at once, no system call. */
	if (deadline <= weft_now())
		return 0;
	if (deadline >= WEFT_DEADLINE_LIMIT)
		deadline = WEFT_DEADLINE_LIMIT;	/* "forever": ~146 years of monotonic time */
	weft_ns_to_timespec(deadline, &ts);
	/*
	 * clock_nanosleep is never restarted automatically after a handler
	 * (man 2 clock_nanosleep); with TIMER_ABSTIME we simply call it again
	 * with the same deadline, so interruptions do not add up.
	 */
	while ((r = sys_clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) == -EINTR)
		;
	return (int)r;
}

int weft_sleep(uint64_t ns)
{
	return weft_sleep_until(weft_deadline_in(ns));
}

int weft_available_parallelism(void)
{
	unsigned long mask[16];	/* 1024 CPUs, the kernel's default NR_CPUS bound */
	long n = sys_sched_getaffinity(0, sizeof(mask), mask);
	int count = 0;

	if (n < 0)
		return (int)n;
	/* The kernel returns how many bytes of the mask it filled. */
	/* Count bits by hand: __builtin_popcount would need libgcc without -mpopcnt. */
	for (long i = 0; i < n / 8; i++)
		for (unsigned long m = mask[i]; m; m &= m - 1)
			count++;
	return count ? count : 1;
}
