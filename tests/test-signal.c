// SPDX-License-Identifier: MIT
/* weft_signal(): handlers run, on an aligned stack even under qemu, and report the old one. */
#include <linux/errno.h>

#include "weft/signal.h"

#include "harness.h"
#include "kernel-abi/sys.h"

static volatile int hits;
static volatile uintptr_t slot_addr;

static void record(int sig, void *info, void *uc)
{
	_Alignas(16) volatile char slot[16];

	slot[0] = 1;
	slot_addr = (uintptr_t)slot;
	hits++;
}

TEST(handler_runs_with_a_16_byte_aligned_stack)
{
	/*
	 * qemu-user 7.2 enters handlers with %rsp = 16n instead of the psABI's
	 * 16n + 8; weft_signal()'s dispatcher realigns, so a 16-aligned local
	 * really is 16-aligned here, natively and under qemu.
	 */
	ASSERT_EQ(weft_signal(SIGUSR1, record, 0, NULL), 0);
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(sys_tgkill((int)sys_getpid(), (int)sys_gettid(), SIGUSR1), 0);
		ASSERT_EQ(hits, i + 1);
		ASSERT_EQ(slot_addr % 16, 0);
	}
}

static void other(int sig, void *info, void *uc)
{
}

TEST(old_handler_is_reported_and_errors_are_errno)
{
	weft_sighandler_t old = other;

	ASSERT_EQ(weft_signal(SIGUSR2, record, 0, &old), 0);
	ASSERT_EQ(old, WEFT_SIG_DFL);
	ASSERT_EQ(weft_signal(SIGUSR2, other, SA_RESTART, &old), 0);
	ASSERT_EQ(old, record);
	ASSERT_EQ(weft_signal(SIGUSR2, WEFT_SIG_IGN, 0, &old), 0);
	ASSERT_EQ(old, other);
	ASSERT_EQ(weft_signal(SIGUSR2, WEFT_SIG_DFL, 0, &old), 0);
	ASSERT_EQ(old, WEFT_SIG_IGN);
	ASSERT_EQ(weft_signal(SIGKILL, record, 0, NULL), -EINVAL);
	ASSERT_EQ(weft_signal(0, record, 0, NULL), -EINVAL);
	ASSERT_EQ(weft_signal(65, record, 0, NULL), -EINVAL);
	/* A refused install leaves the previous handler in place. */
	ASSERT_EQ(weft_signal(SIGUSR1, record, 0, NULL), 0);
	ASSERT_EQ(weft_signal(SIGSTOP, other, 0, NULL), -EINVAL);
	ASSERT_EQ(weft_signal(SIGUSR1, record, 0, &old), 0);
	ASSERT_EQ(old, record);
}
