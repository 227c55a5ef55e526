// SPDX-License-Identifier: MIT
/* Start-up's own failure paths, reached with WEFT_FAULT before main() runs. */
#include <linux/errno.h>

#include "weft/process.h"

#include "harness.h"
#include "kernel-abi/sys.h"

/* A run that gets as far as a constructor says so, and stops. */
__attribute__((constructor)) static void maybe_report_alive(void)
{
	if (weft_getenv("WEFT_TEST_ALIVE")) {
		weft_dprintf(2, "alive\n");
		sys_exit_group(0);
	}
}

static int run_with(const char *fault, char *err, size_t size)
{
	char var[128];
	char *envp[] = { "WEFT_TEST_ALIVE=1", var, NULL };
	int status = -1;

	weft_snprintf(var, sizeof(var), "WEFT_FAULT=%s", fault);
	if (test_exec_self(envp, 2, err, size, &status) < 0)
		return -1;
	return status;
}

TEST(first_mmap_failing_means_no_tls_and_exit_127)
{
	char err[512];
	int status = run_with("mmap:1:ENOMEM", err, sizeof(err));

	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 127);
	ASSERT_STREQ(err, "weft: cannot map the main thread's TLS block\n");
}

#ifdef __NR_arch_prctl
/* x86_64: the thread pointer is set with a system call, which can fail. */
TEST(arch_prctl_failing_means_exit_127)
{
	char err[512];
	int status = run_with("arch_prctl:1:EPERM", err, sizeof(err));

	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 127);
	ASSERT_STREQ(err, "weft: cannot set the main thread's thread pointer\n");
}
#else
/*
 * The counterpart of x86_64's arch_prctl_failing_means_exit_127: aarch64 and
 * riscv64 set the thread pointer with one instruction, so there is nothing
 * to fail, and no traced call may claim to be it.
 */
TEST(thread_pointer_is_set_without_a_system_call)
{
	static char err[16384];
	char *envp[] = { "WEFT_TEST_ALIVE=1", "WEFT_TRACE=1", NULL };
	int status = -1;

	ASSERT_GE(test_exec_self(envp, 2, err, sizeof(err), &status), 0);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT_NE(weft_strstr(err, "(why: main thread TLS block + TCB)"), NULL);
	ASSERT_NE(weft_strstr(err, "alive\n"), NULL);
	ASSERT_NULL(weft_strstr(err, "thread pointer"));
}
#endif

TEST(no_altstack_for_main_is_survivable)
{
	static const char *const faults[] = {
		"mmap:2:ENOMEM",		/* the altstack mapping */
		"mprotect:1:ENOMEM",		/* making it writable */
		"sigaltstack:1:ENOMEM",		/* installing it */
		"openat:1:EACCES",		/* reading /proc/self/maps */
		"prlimit64:1:EPERM",		/* RLIMIT_STACK */
		"rt_sigaction:0:EINVAL",	/* the handlers */
	};

	for (unsigned int i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		char err[512];
		int status = run_with(faults[i], err, sizeof(err));

		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(WEXITSTATUS(status), 0);
		ASSERT_STREQ(err, "alive\n");
	}
}

TEST(bad_weft_fault_text_is_reported_and_ignored)
{
	static const char *const bad[] = { "bogus", "mmap:1", "nosuchcall:1:ENOMEM",
					   "mmap:x:ENOMEM", "mmap:1:ENOTANERRNO" };

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[512];
		int status = run_with(bad[i], err, sizeof(err));

		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(WEXITSTATUS(status), 0);
		ASSERT_STREQ(err, "weft: WEFT_FAULT: expected name:nth:ERRNO[,...]; ignored\n"
				  "alive\n");
	}
}

TEST(several_rules_and_every_call)
{
	char err[512];
	/* The second rule fails every clone: a constructor runs, nothing breaks before. */
	int status = run_with("getpid:0:EPERM,clone:0:EAGAIN", err, sizeof(err));

	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT_STREQ(err, "alive\n");
}

TEST(an_unopenable_trace_file_is_reported)
{
	char *envp[] = { "WEFT_TEST_ALIVE=1", "WEFT_TRACE=/nonexistent-dir/trace", NULL };
	char err[512];
	int status = -1;

	ASSERT_GE(test_exec_self(envp, 2, err, sizeof(err), &status), 0);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT_STREQ(err, "weft: WEFT_TRACE: cannot open the file; not tracing\nalive\n");
}
