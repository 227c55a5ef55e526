// SPDX-License-Identifier: MIT
/* A program linked without the tracer: WEFT_TRACE and WEFT_FAULT are refused aloud, not ignored. */
#include <stdbool.h>

#include "weft/process.h"

#include "harness.h"
#include "kernel-abi/sys.h"

/*
 * The one test program the Makefile links as another project's program is by
 * default (`pkg-config --libs weft`): without lib/trace.o, whose start-up entry
 * is then a weak reference that reads NULL (lib/hooks.h). Every other test
 * links the tracer.
 */
extern void weft_trace_start(void) __attribute__((weak));

#define NOT_LINKED(var)                                                                \
	"weft: " var " is set but this program was linked without the tracer; link with " \
	"`pkg-config --libs weft-trace` (or -Wl,-u,weft_trace_start) to use it\n"

/* A run that gets as far as a constructor says so, and stops. */
__attribute__((constructor)) static void maybe_report_alive(void)
{
	if (weft_getenv("WEFT_TEST_ALIVE")) {
		weft_dprintf(2, "alive\n");
		sys_exit_group(0);
	}
}

/* What a run with @a and @b (NAME=value, or NULL) wrote to stderr, in @err. Return: its status. */
static int run_env(char *a, char *b, char *err, size_t size)
{
	char *envp[] = { "WEFT_TEST_ALIVE=1", a, b, NULL };
	int status = -1;

	if (test_exec_self(envp, 2, err, size, &status) < 0)
		return -1;
	return status;
}

TEST(this_program_has_no_tracer)
{
	ASSERT_NULL(weft_trace_start);
	ASSERT_NULL(weft_sys_hook_now());
}

TEST(weft_trace_set_says_what_to_link_and_runs_on)
{
	char err[1024];
	int status = run_env("WEFT_TRACE=1", NULL, err, sizeof(err));

	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT_STREQ(err, NOT_LINKED("WEFT_TRACE") "alive\n");
}

/* The rule would fail the main thread's TLS mapping (exit 127): it is not armed. */
TEST(weft_fault_set_says_what_to_link_and_fails_nothing)
{
	char err[1024];
	int status = run_env("WEFT_FAULT=mmap:1:ENOMEM", NULL, err, sizeof(err));

	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT_STREQ(err, NOT_LINKED("WEFT_FAULT") "alive\n");
}

TEST(both_set_one_line_each)
{
	char err[1024];
	int status = run_env("WEFT_TRACE=fd:2", "WEFT_FAULT=clone:0:EAGAIN", err, sizeof(err));

	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT_STREQ(err, NOT_LINKED("WEFT_TRACE") NOT_LINKED("WEFT_FAULT") "alive\n");
}

/* WEFT_TRACE=0 and empty values mean "off", with the tracer as without it: nothing to say. */
TEST(off_values_are_quiet)
{
	static char *const off[][2] = {
		{ "WEFT_TRACE=0", NULL },
		{ "WEFT_TRACE=", "WEFT_FAULT=" },
	};

	for (unsigned int i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		char err[1024];
		int status = run_env(off[i][0], off[i][1], err, sizeof(err));

		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(WEXITSTATUS(status), 0);
		ASSERT_STREQ(err, "alive\n");
	}
}
