// SPDX-License-Identifier: MIT
/* -fstack-protector-all code works, and a smashed canary ends the process with SIGABRT. */
#include "harness.h"

static __attribute__((noinline)) int protected_sum(const char *s)
{
	char buf[32];
	int sum = 0;

	weft_strlcpy(buf, s, sizeof(buf));
	for (char *p = buf; *p; p++)
		sum += *p;
	return sum;
}

TEST(protected_functions_run_normally)
{
	ASSERT_EQ(protected_sum("abc"), 'a' + 'b' + 'c');
}

/* Overflows on purpose: a UBSan build (make check's) must let it, not trap first. */
static __attribute__((noinline, no_sanitize("undefined"))) void smash(volatile char *src, int n)
{
	char buf[16];

	/* Write past the end of buf, over the canary saved above it. */
	for (int i = 0; i < n; i++)
		((volatile char *)buf)[i] = src[i];
	__asm__ volatile("" : : "r"(buf) : "memory");
}

TEST_SIGNAL(smashed_canary_aborts, SIGABRT)
{
	static char junk[64] = "0123456789abcdef0123456789abcdef0123456789abcdef";

	smash(junk, 40);
}
