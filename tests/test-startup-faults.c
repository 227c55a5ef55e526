// SPDX-License-Identifier: MIT
/* Start-up's own failure paths, reached with WEFT_FAULT before main() runs. */
#include <linux/errno.h>
#include <linux/fcntl.h>

#include "weft/fault.h"
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

/* What a run with @name=@value wrote to stderr, in @err. Return: its wait status. */
static int run_env(const char *name, const char *value, char *err, size_t size)
{
	char var[512];
	char *envp[] = { "WEFT_TEST_ALIVE=1", var, NULL };
	int status = -1;

	weft_snprintf(var, sizeof(var), "%s=%s", name, value);
	if (test_exec_self(envp, 2, err, size, &status) < 0)
		return -1;
	return status;
}

static int run_with(const char *fault, char *err, size_t size)
{
	return run_env("WEFT_FAULT", fault, err, size);
}

TEST(first_mmap_failing_means_no_tls_and_exit_127)
{
	char err[512];
	int status = run_with("mmap:1:ENOMEM", err, sizeof(err));

	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 127);
	ASSERT_STREQ(err, "weft: cannot map the main thread's TLS block: ENOMEM\n");
}

#ifdef __NR_arch_prctl
/* x86_64: the thread pointer is set with a system call, which can fail. */
TEST(arch_prctl_failing_means_exit_127)
{
	char err[512];
	int status = run_with("arch_prctl:1:EPERM", err, sizeof(err));

	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 127);
	ASSERT_STREQ(err, "weft: cannot set the main thread's thread pointer: EPERM\n");
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

/* Each bad rule is quoted, with what is wrong with it; the good ones still apply. */
TEST(bad_weft_fault_text_is_reported_and_ignored)
{
	static const char *const bad[][2] = {
		{ "bogus", "expected name:nth:ERRNO" },
		{ "mmap:1", "expected name:nth:ERRNO" },
		{ "nosuchcall:1:ENOMEM", "no system call weft makes has that name" },
		{ "mmap:x:ENOMEM", "nth is not a number" },
		{ "mmap:-1:ENOMEM", "nth is not a number" },
		{ "mmap:1:ENOTANERRNO", "not an errno name weft knows (EAGAIN, ENOMEM, ...)" },
	};

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[512], want[512];
		int status = run_with(bad[i][0], err, sizeof(err));

		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(WEXITSTATUS(status), 0);
		weft_snprintf(want, sizeof(want), "weft: WEFT_FAULT: \"%s\": %s; rule ignored\n"
			      "alive\n", bad[i][0], bad[i][1]);
		ASSERT_STREQ(err, want);
	}
}

/* A valid rule past the last slot is "too many rules", not a syntax error. */
TEST(a_rule_beyond_the_supported_count_is_too_many)
{
	char rules[512], err[512], want[256];
	size_t len = 0;

	for (int i = 1; i <= WEFT_FAULT_RULES + 1; i++)
		len += (size_t)weft_snprintf(rules + len, sizeof(rules) - len, "%sgetpid:%d:EPERM",
					     i > 1 ? "," : "", 1000 + i);
	/* No run gets to its 1000th getpid: the rules never fire, only parse. */
	int status = run_with(rules, err, sizeof(err));

	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	weft_snprintf(want, sizeof(want), "weft: WEFT_FAULT: \"getpid:%d:EPERM\": too many "
		      "rules, at most %d; rule ignored\nalive\n", 1000 + WEFT_FAULT_RULES + 1,
		      WEFT_FAULT_RULES);
	ASSERT_STREQ(err, want);
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

static int run_traced(const char *value, char *err, size_t size)
{
	return run_env("WEFT_TRACE", value, err, size);
}

TEST(an_unopenable_trace_file_is_reported)
{
	char err[512];
	int status = run_traced("/nonexistent-dir/trace", err, sizeof(err));

	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT_STREQ(err, "weft: WEFT_TRACE: cannot open /nonexistent-dir/trace: ENOENT; "
			  "not tracing\nalive\n");
}

/*
 * WEFT_TRACE=yes once made a file called "yes". A value that is none of the
 * forms is refused in one message, and no file appears.
 */
TEST(weft_trace_values_that_are_no_form_are_refused)
{
	static const char *const bad[] = { "yes", "true", "2", "on", "trace.log", "file:" };

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[512], want[512];
		int status = run_traced(bad[i], err, sizeof(err));

		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(WEXITSTATUS(status), 0);
		weft_snprintf(want, sizeof(want), "weft: WEFT_TRACE=%s: expected 1 (stderr), fd:N, "
			      "file:NAME or a path with a '/'; not tracing\nalive\n", bad[i]);
		ASSERT_STREQ(err, want);
		ASSERT_EQ(sys_openat(AT_FDCWD, bad[i], O_RDONLY | O_CLOEXEC, 0), -ENOENT);
	}
	static const char *const bad_fd[] = { "fd:", "fd:x", "fd:-1", "fd:99999999999" };

	for (unsigned int i = 0; i < sizeof(bad_fd) / sizeof(bad_fd[0]); i++) {
		char err[512], want[512];

		ASSERT_EQ(run_traced(bad_fd[i], err, sizeof(err)), 0);
		weft_snprintf(want, sizeof(want), "weft: WEFT_TRACE=%s: not a descriptor number; "
			      "not tracing\nalive\n", bad_fd[i]);
		ASSERT_STREQ(err, want);
	}
}

/* WEFT_TRACE=fd:N traces into a descriptor the caller opened; stderr stays clean. */
TEST(weft_trace_to_a_descriptor)
{
	char var[32], err[512], trace[4096];
	char *envp[] = { "WEFT_TEST_ALIVE=1", var, NULL };
	int fds[2], status = -1;
	long n, len = 0;

	/* No O_CLOEXEC: the new run inherits the write end. */
	ASSERT_EQ(sys_pipe2(fds, 0), 0);
	weft_snprintf(var, sizeof(var), "WEFT_TRACE=fd:%d", fds[1]);
	ASSERT_GE(test_exec_self(envp, 2, err, sizeof(err), &status), 0);
	sys_close(fds[1]);
	while ((n = sys_read(fds[0], trace + len, sizeof(trace) - 1 - (size_t)len)) > 0)
		len += n;
	trace[len] = 0;
	sys_close(fds[0]);
	ASSERT_EQ(status, 0);
	ASSERT_STREQ(err, "alive\n");
	ASSERT_NE_NULL(weft_strstr(trace, "] exit_group(0) = ?\n"));
}

/* file:NAME names a file without a '/', here one in /tmp, through a relative-free path. */
TEST(weft_trace_file_form)
{
	char path[64], value[80], err[512], trace[8192];
	int status;

	weft_snprintf(path, sizeof(path), "/tmp/weft-test-startup-%ld.trace", sys_getpid());
	weft_snprintf(value, sizeof(value), "file:%s", path);
	weft_syscall3(__NR_unlinkat, AT_FDCWD, (long)path, 0);
	status = run_traced(value, err, sizeof(err));
	ASSERT_GT(test_read_file(path, trace, sizeof(trace)), 0);
	ASSERT_EQ(weft_syscall3(__NR_unlinkat, AT_FDCWD, (long)path, 0), 0);
	ASSERT_EQ(status, 0);
	ASSERT_STREQ(err, "alive\n");
	ASSERT_NE_NULL(weft_strstr(trace, "] exit_group(0) = ?\n"));
}
