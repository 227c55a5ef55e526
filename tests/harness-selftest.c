// SPDX-License-Identifier: MIT
/* Golden-output test of the harness: one test for each way a test can end (check-harness.sh). */

/*
 * Every test here ends in a known way, most of them badly. The binary's
 * whole output is compared with harness-selftest.expected, so the harness's
 * report of each outcome (the TAP line, the "#" diagnostics, the totals and
 * the exit status) is pinned down. Reordering, renaming or moving a test
 * changes the expected file: the line numbers of failed assertions are part
 * of it.
 */
#include <linux/futex.h>
#include <linux/resource.h>

#include "weft/process.h"

#include "harness.h"
#include "kernel-abi/sys.h"

/*
 * Two tests die by a signal whose default action dumps core. A core file in
 * the tree (core_pattern "core") or a crash report helps nobody here; the
 * limit is inherited by every forked test.
 */
__attribute__((constructor)) static void no_core_dumps(void)
{
	struct rlimit64 zero = { 0, 0 };

	sys_prlimit64(0, RLIMIT_CORE, &zero, NULL);
}

TEST(passes)
{
	ASSERT_EQ(1 + 1, 2);
	EXPECT_STREQ("weft", "weft");
}

TEST(assert_fails)
{
	int answer = 41;

	ASSERT_EQ(answer, 42);
	weft_dprintf(1, "# not reached: ASSERT ends the test\n");
}

TEST(expect_fails_and_continues)
{
	EXPECT_EQ(2 * 2, 5);
	weft_dprintf(1, "# still running after a failed EXPECT\n");
	EXPECT_STREQ("warp", "weft");
}

TEST(skips_with_a_reason)
{
	SKIP("no %s on this machine", "widget");
	weft_dprintf(1, "# not reached: SKIP ends the test\n");
}

/*
 * Blocks for good: nobody ever wakes this futex, so only the harness's
 * one-second alarm ends it. A futex wait, not a busy loop, so the timeout
 * does not eat a CPU for a second.
 */
TEST_TIMEOUT(times_out, 1)
{
	static uint32_t never_woken;

	for (;;)
		sys_futex(&never_woken, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

TEST(dies_by_unexpected_signal)
{
	volatile int *null = NULL;

	*null = 1;	/* SIGSEGV */
}

TEST_SIGNAL(dies_by_expected_signal, SIGABRT)
{
	weft_abort();
}

TEST_SIGNAL(exits_instead_of_signal, SIGUSR1)
{
}

FIXTURE(counter)
{
	int value;
};

FIXTURE_SETUP(counter)
{
	self->value = 10;
	weft_dprintf(1, "# setup: value = %d\n", self->value);
}

/* Printed even when an ASSERT ended the body: that is what the test below checks. */
FIXTURE_TEARDOWN(counter)
{
	weft_dprintf(1, "# teardown: value = %d\n", self->value);
}

TEST_F(counter, passes)
{
	self->value++;
	ASSERT_EQ(self->value, 11);
}

TEST_F(counter, assert_fails_but_teardown_runs)
{
	self->value = 20;
	ASSERT_EQ(self->value, 21);
	weft_dprintf(1, "# not reached\n");
}
