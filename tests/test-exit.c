// SPDX-License-Identifier: MIT
/* The end of the process: weft_atexit() order, weft_thread_exit() in main, what skips them. */
#include <stdatomic.h>

#include <linux/errno.h>
#include <linux/time.h>

#include "weft/alloc.h"
#include "weft/io.h"
#include "weft/local.h"
#include "weft/panic.h"
#include "weft/process.h"
#include "weft/string.h"
#include "weft/thread.h"

#include "harness.h"
#include "kernel-abi/sys.h"

/*
 * Each scenario runs in a fresh copy of this binary (test_exec_self()), from
 * a constructor, before the harness's main(): what happens after main()
 * returns is part of what is tested. Everything goes to stdout, in order.
 */

static void say(const char *what)
{
	weft_dprintf(1, "%s\n", what);
}

static void at_a(void) { say("atexit a"); }
static void at_b(void) { say("atexit b"); }
static void at_c(void) { say("atexit c"); }
static void at_late(void) { say("atexit registered by c"); }
static void at_c_registers(void)
{
	say("atexit c");
	weft_atexit(at_late);
}

static void main_dtor(long *v)
{
	weft_dprintf(1, "main's local destructor %ld\n", *v);
}
WEFT_THREAD_LOCAL(long, main_local, 0, main_dtor);

static void register_a_b_c(void)
{
	weft_atexit(at_a);
	weft_atexit(at_b);
	weft_atexit(at_c);
	weft_local_set(main_local, 5);
}

static __attribute__((noinline)) void exit_from_depth(int depth)
{
	if (depth == 0)
		weft_thread_exit((void *)1);
	if (depth > 100)	/* never: keeps gcc from calling this an infinite recursion */
		return;
	exit_from_depth(depth - 1);
	say("not reached: after the exit");
}

static void *exit_inside_catch(void *arg)
{
	exit_from_depth(3);
	return NULL;
}

static void abort_quietly(void)
{
	weft_abort();
}

/* Results nobody joined: destroyed at the end of the process, once, before the rest. */
static void say_result(void *result)
{
	weft_dprintf(1, "result %ld destroyed\n", (long)result);
}

static void *return_arg(void *arg)
{
	return arg;
}

static void leave_results_unjoined(void)
{
	struct weft_builder b = { .result_dtor = say_result };
	struct weft_join_handle unjoined, joined;
	void *r;

	register_a_b_c();
	if (weft_builder_spawn(&b, &unjoined, return_arg, (void *)11) ||
	    weft_builder_spawn(&b, &joined, return_arg, (void *)12) ||
	    weft_join(&joined, &r) || r != (void *)12)
		say("spawn or join failed");
	while (weft_is_finished(&unjoined) == 0)
		weft_yield();
}

__attribute__((constructor)) static void maybe_exit_scenario(void)
{
	const char *mode = weft_getenv("WEFT_TEST_EXIT");

	if (!mode)
		return;
	if (!weft_strcmp(mode, "return")) {
		register_a_b_c();
		return;	/* the harness's main() runs no test and returns 0 */
	}
	if (!weft_strcmp(mode, "weft_exit")) {
		register_a_b_c();
		weft_exit(7);
	}
	if (!weft_strcmp(mode, "register_while_exiting")) {
		weft_atexit(at_a);
		weft_atexit(at_c_registers);
		weft_exit(0);
	}
	if (!weft_strcmp(mode, "many")) {
		static void (*const fns[3])(void) = { at_a, at_b, at_c };

		/* 100: past the first, static block of 32, into three heap blocks. */
		for (int i = 0; i < 100; i++)
			if (weft_atexit(fns[i % 3]))
				say("weft_atexit failed");
		weft_exit(0);
	}
	if (!weft_strcmp(mode, "thread_exit")) {
		register_a_b_c();
		/* Through a catch boundary, which lets an exit through. */
		weft_catch_panic(exit_inside_catch, NULL, NULL);
		say("not reached: after the catch");
	}
	if (!weft_strcmp(mode, "unjoined_results")) {
		leave_results_unjoined();
		weft_exit(0);
	}
	if (!weft_strcmp(mode, "abort")) {
		register_a_b_c();
		abort_quietly();
	}
	if (!weft_strcmp(mode, "exit_group")) {
		register_a_b_c();
		sys_exit_group(4);
	}
	if (!weft_strcmp(mode, "null")) {
		weft_dprintf(1, "%d\n", weft_atexit(NULL));
		sys_exit_group(0);
	}
}

static int run(const char *mode, char *out, size_t size)
{
	char env[64];
	char *envp[] = { env, NULL };
	int status;

	weft_snprintf(env, sizeof(env), "WEFT_TEST_EXIT=%s", mode);
	test_exec_self(envp, 1, out, size, &status);
	return status;
}

#define ORDER "main's local destructor 5\natexit c\natexit b\natexit a\n"

/* Run @mode; it must exit with @code and print exactly @want. */
static void expect_exit(struct __test_metadata *_metadata, const char *mode, int code,
			const char *want)
{
	char out[4096];
	int status = run(mode, out, sizeof(out));

	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), code);
	ASSERT_STREQ(out, want);
}

TEST(atexit_functions_run_newest_first_after_mains_local_destructors)
{
	expect_exit(_metadata, "weft_exit", 7, ORDER);
}

TEST(atexit_functions_run_when_main_returns)
{
	char out[4096];
	int status = run("return", out, sizeof(out));
	const char *tail;

	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	/* After everything main() printed. */
	tail = weft_strstr(out, "# Totals:");
	ASSERT_NE_NULL(tail);
	ASSERT_NE_NULL(weft_strstr(tail, "\n" ORDER));
}

TEST(a_function_registered_while_exiting_runs_next)
{
	expect_exit(_metadata, "register_while_exiting", 0,
		    "atexit c\natexit registered by c\natexit a\n");
}

TEST(a_hundred_functions_run_in_reverse)
{
	char out[4096], want[4096];
	size_t len = 0;
	int status = run("many", out, sizeof(out));

	ASSERT_EQ(WEXITSTATUS(status), 0);
	for (int i = 99; i >= 0; i--)
		len += (size_t)weft_snprintf(want + len, sizeof(want) - len, "atexit %c\n",
					     "abc"[i % 3]);
	ASSERT_STREQ(out, want);
}

TEST(thread_exit_in_main_from_a_nested_call_is_exit_0_after_the_destructors)
{
	expect_exit(_metadata, "thread_exit", 0, ORDER);
}

TEST(a_finished_thread_nobody_joined_has_its_result_destroyed_at_exit_once)
{
	/* 12 was joined: handed over, never destroyed. 11 first, as Rust drops handles. */
	expect_exit(_metadata, "unjoined_results", 0, "result 11 destroyed\n" ORDER);
}

TEST(abort_and_exit_group_run_no_atexit_function)
{
	char out[4096];
	int status = run("abort", out, sizeof(out));

	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGABRT);
	ASSERT_STREQ(out, "");
	status = run("exit_group", out, sizeof(out));
	ASSERT_EQ(WEXITSTATUS(status), 4);
	ASSERT_STREQ(out, "");
}

/*
 * weft_fork() holds the atexit lock across the fork: a fork that lands while
 * another thread registers must not leave it held in the child, whose
 * weft_atexit() would then wait for ever. The registering thread starts a
 * burst of registrations as each fork starts, and every 32nd one allocates
 * while it holds the lock (the fork holds the allocator's lock meanwhile),
 * so without the hold many forks copy the lock taken. A child that hangs is
 * ended by its own timer, SIGALRM: a failure, not a hang of the test.
 */
static atomic_int fork_round, register_stop;

static void nothing(void)
{
}

static void *registering(void *arg)
{
	int seen = 0;

	while (!atomic_load(&register_stop)) {
		int round = atomic_load(&fork_round);

		if (round == seen) {
			weft_yield();
			continue;
		}
		seen = round;
		for (int i = 0; i < 64; i++)
			if (weft_atexit(nothing))
				return (void *)1;
	}
	return NULL;
}

TEST(a_fork_while_another_thread_registers_atexit_functions_leaves_the_child_a_free_lock)
{
	struct __kernel_old_itimerval timer = { .it_value = { .tv_sec = 2 } };
	struct kernel_sigaction dfl = { .handler = 0 /* SIG_DFL */ };
	int forks = test_under_qemu() ? 30 : 200;
	struct weft_join_handle h;
	void *result;

	ASSERT_EQ(weft_spawn(&h, registering, NULL), 0);
	for (int i = 1; i <= forks; i++) {
		int status, pid;

		atomic_store(&fork_round, i);
		pid = (int)weft_fork();
		if (pid == 0) {
			/* The harness's SIGALRM handler, inherited, would only take note. */
			sys_rt_sigaction(SIGALRM, &dfl, NULL);
			sys_setitimer(ITIMER_REAL, &timer, NULL);
			test_child_exit(weft_atexit(nothing) ? 1 : 0);
		}
		ASSERT_GT(pid, 0);
		ASSERT_EQ(sys_wait4(pid, &status, 0, NULL), pid);
		ASSERT_TRUE(test_child_exited(status, 0));
	}
	atomic_store(&register_stop, 1);
	ASSERT_EQ(weft_join(&h, &result), 0);
	ASSERT_NULL(result);
}

TEST(a_null_function_is_einval)
{
	char out[64];

	char want[64];

	run("null", out, sizeof(out));
	weft_snprintf(want, sizeof(want), "%d\n", -EINVAL);
	ASSERT_STREQ(out, want);
}
