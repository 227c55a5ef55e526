/* SPDX-License-Identifier: MIT */
/* Time as weft's waits see it: nanoseconds of CLOCK_MONOTONIC, and absolute deadlines. */
#ifndef WEFT_TIME_H
#define WEFT_TIME_H

#include <stdint.h>

/*
 * DOC: deadlines
 *
 * Every timed wait in weft (park, sleep, the locks and channels of
 * "weft/sync.h") takes an absolute deadline: a count of nanoseconds on
 * CLOCK_MONOTONIC, the clock weft_now() reads. A wait that is interrupted
 * (a signal, a spurious futex wake-up) and starts again still ends at the
 * same instant, so retries never add up to drift. Rust's Instant plays the
 * same role; C has no type for it, so a deadline is a plain uint64_t.
 *
 *	uint64_t deadline = weft_deadline_in(50 * 1000 * 1000);	// 50 ms from now
 *	while (!ready && weft_now() < deadline) ...
 *
 * WEFT_FOREVER is the deadline that never comes: waits given it are
 * untimed. weft_deadline_in() saturates to it instead of wrapping, so any
 * duration, however large, is a valid argument.
 */

/* The deadline that never comes: an untimed wait. */
#define WEFT_FOREVER UINT64_MAX

/**
 * weft_now() - the current time on CLOCK_MONOTONIC
 *
 * Monotonic: never goes backwards, does not jump when the wall clock is
 * set, and does not count time the machine was suspended (CLOCK_BOOTTIME
 * would).
 *
 * Return: nanoseconds since an arbitrary, fixed point (the kernel's boot).
 */
uint64_t weft_now(void);

/**
 * weft_deadline_in() - the deadline @ns nanoseconds from now
 * @ns: a duration; any value
 *
 * Return: weft_now() + @ns, or WEFT_FOREVER if that would pass 2^62 ns
 * (about 146 years of uptime): such a deadline is never reached anyway,
 * and the kernel's timespec conversion is spared an overflow.
 */
uint64_t weft_deadline_in(uint64_t ns);

#endif
