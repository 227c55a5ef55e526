// SPDX-License-Identifier: MIT
/* The monotonic clock and the conversions weft's timed waits share. */
#include <linux/time.h>

#include "weft/time.h"

#include "lib/internal.h"

uint64_t weft_now(void)
{
	struct __kernel_timespec ts;

	/* A raw syscall, not the vDSO: qemu-user provides no vDSO. */
	sys_clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t weft_deadline_in(uint64_t ns)
{
	uint64_t now = weft_now();

	if (ns >= WEFT_DEADLINE_LIMIT - now || now >= WEFT_DEADLINE_LIMIT)
		return WEFT_FOREVER;
	return now + ns;
}

void weft_ns_to_timespec(uint64_t ns, struct __kernel_timespec *ts)
{
	ts->tv_sec = (long long)(ns / 1000000000ULL);
	ts->tv_nsec = (long long)(ns % 1000000000ULL);
}

const struct __kernel_timespec *weft_deadline_timespec(uint64_t deadline,
						       struct __kernel_timespec *ts)
{
	if (deadline >= WEFT_DEADLINE_LIMIT)
		return NULL;
	weft_ns_to_timespec(deadline, ts);
	return ts;
}
