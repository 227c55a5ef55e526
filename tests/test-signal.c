// SPDX-License-Identifier: MIT
/* weft_signal(): handlers run, on an aligned stack even under qemu, and report the old one. */
#include <linux/errno.h>

#include "weft/signal.h"

#include "harness.h"
#include "kernel-abi/sys.h"
#include "signal_arch.h"

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
	 * On x86_64, qemu-user 7.2 enters handlers with the stack pointer at 16n
	 * instead of the psABI's 16n + 8; weft_signal()'s dispatcher realigns
	 * there (arch/x86_64/signal_arch.h), so a 16-aligned local really is
	 * 16-aligned here, natively and under qemu, on every architecture.
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

static volatile kernel_sigset_t blocked_in_handler;

static void read_blocked(int sig, siginfo_t *info, void *uc)
{
	kernel_sigset_t now;

	sys_rt_sigprocmask(SIG_BLOCK, NULL, &now);
	blocked_in_handler = now;
}

/*
 * The sa_mask of a raw rt_sigaction reaches the kernel: the handler runs with
 * exactly its own signal and the mask's signals blocked. On riscv64 this
 * pins qemu-user 7.2's phantom sa_restorer slot: with the mask in the third
 * word only, qemu would read the fourth (kernel-abi/signal_abi.h).
 */
TEST(sigaction_mask_is_blocked_while_the_handler_runs)
{
	struct kernel_sigaction act = { 0 }, old = { 0 };
	kernel_sigset_t want = WEFT_SIGBIT(SIGUSR1) | WEFT_SIGBIT(SIGCHLD) | WEFT_SIGBIT(SIGPIPE);

	act.handler = read_blocked;
	act.flags = SA_SIGINFO;
#ifdef WEFT_ARCH_SA_RESTORER
	act.flags |= SA_RESTORER;
	act.restorer = weft_arch_sigreturn;
#endif
	kernel_sigaction_set_mask(&act, WEFT_SIGBIT(SIGCHLD) | WEFT_SIGBIT(SIGPIPE));
	ASSERT_EQ(sys_rt_sigaction(SIGUSR1, &act, NULL), 0);
	ASSERT_EQ(sys_tgkill((int)sys_getpid(), (int)sys_gettid(), SIGUSR1), 0);
	ASSERT_EQ(blocked_in_handler, want);
	/* The old action reads back the mask we wrote, in a 32-byte buffer. */
	ASSERT_EQ(sys_rt_sigaction(SIGUSR1, NULL, &old), 0);
	ASSERT_EQ(old.mask, act.mask);
	ASSERT_EQ((void *)old.handler, (void *)read_blocked);
}
