/* SPDX-License-Identifier: MIT */
/* A kselftest-style test harness, small enough to read in one sitting. */
#ifndef WEFT_TESTS_HARNESS_H
#define WEFT_TESTS_HARNESS_H

/*
 * Shaped after tools/testing/selftests/kselftest_harness.h, with its names:
 *
 *	TEST(name) { ASSERT_EQ(1 + 1, 2); }
 *	TEST_SIGNAL(name, SIGABRT) { weft_abort(); }   // passes only if killed by SIGABRT
 *	TEST_TIMEOUT(name, 60) { ... }                  // per-test timeout, seconds (default 30)
 *
 *	FIXTURE(pipe) { int fds[2]; };
 *	FIXTURE_SETUP(pipe) { ASSERT_EQ(sys_pipe2(self->fds, 0), 0); }
 *	FIXTURE_TEARDOWN(pipe) { sys_close(self->fds[0]); sys_close(self->fds[1]); }
 *	TEST_F(pipe, write_then_read) { ... self->fds ... }
 *
 * Every test runs in its own child process (a fork made with raw clone), so a
 * crash, a leak or a hang stays in that test. ASSERT_* ends the test at the
 * first failure (from any thread of it: the whole child exits); EXPECT_*
 * records the failure and goes on. Output is TAP 13 as kselftest prints it.
 * The command line is the kernel harness's, less variants: -l lists the
 * tests, -t NAME and -f FIXTURE pick them, one plain word filters by
 * substring; anything else is an error (tests/harness.c, parse_args()).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <asm/signal.h>

#include "weft/alloc.h"
#include "weft/io.h"
#include "weft/string.h"
#include "weft/thread.h"

struct __test_metadata {
	const char *fixture;
	const char *name;
	void (*fn)(struct __test_metadata *);
	int termsig;			/* expected fatal signal, 0 for none */
	unsigned int timeout;		/* seconds */
	struct __test_metadata *next;
};

/* The fixture teardown to run if an ASSERT ends the test early. */
extern void (*__test_teardown)(void);

void __register_test(struct __test_metadata *t);
void __test_fail(void);
__attribute__((noreturn)) void __test_abort(void);
__attribute__((noreturn, format(printf, 1, 2))) void __test_skip(const char *fmt, ...);
const char *__test_name(void);

#define __TEST_IMPL(fix, test_name, fn_name, sig, secs)                                \
	static void fn_name(struct __test_metadata *_metadata);                         \
	static struct __test_metadata fn_name##_meta = {                                \
		.fixture = fix, .name = test_name, .fn = fn_name,                       \
		.termsig = sig, .timeout = secs,                                        \
	};                                                                              \
	__attribute__((constructor)) static void fn_name##_register(void)              \
	{                                                                               \
		__register_test(&fn_name##_meta);                                       \
	}                                                                               \
	static void fn_name(struct __test_metadata *_metadata __attribute__((unused)))

#define TEST(name) __TEST_IMPL("global", #name, test_##name, 0, 30)
#define TEST_SIGNAL(name, sig) __TEST_IMPL("global", #name, test_##name, sig, 30)
#define TEST_TIMEOUT(name, secs) __TEST_IMPL("global", #name, test_##name, 0, secs)

#define FIXTURE(f) struct _fixture_##f
#define FIXTURE_SETUP(f)                                                                \
	static void f##_setup(struct __test_metadata *_metadata __attribute__((unused)),   \
			      struct _fixture_##f *self __attribute__((unused)))
#define FIXTURE_TEARDOWN(f)                                                             \
	static void f##_teardown(struct __test_metadata *_metadata __attribute__((unused)), \
				 struct _fixture_##f *self __attribute__((unused)))

/*
 * TEST_F: the fixture lives on the child's stack; setup, body, teardown in
 * order. An ASSERT failure in the body still runs the teardown (through
 * __test_teardown) before the child exits.
 */
#define TEST_F(f, name)                                                                 \
	static void f##_##name##_body(struct __test_metadata *_metadata,                \
				      struct _fixture_##f *self);                       \
	static struct _fixture_##f *f##_##name##_self;                                  \
	static struct __test_metadata *f##_##name##_md;                                 \
	static void f##_##name##_teardown_now(void)                                     \
	{                                                                               \
		__test_teardown = NULL;                                                 \
		f##_teardown(f##_##name##_md, f##_##name##_self);                       \
	}                                                                               \
	__TEST_IMPL(#f, #name, f##_##name, 0, 30)                                       \
	{                                                                               \
		struct _fixture_##f self;                                               \
		memset(&self, 0, sizeof(self));                                         \
		f##_##name##_self = &self;                                              \
		f##_##name##_md = _metadata;                                            \
		f##_setup(_metadata, &self);                                            \
		__test_teardown = f##_##name##_teardown_now;                            \
		f##_##name##_body(_metadata, &self);                                    \
		f##_##name##_teardown_now();                                            \
	}                                                                               \
	static void f##_##name##_body(struct __test_metadata *_metadata __attribute__((unused)), \
				      struct _fixture_##f *self __attribute__((unused)))

#define SKIP(...) __test_skip(__VA_ARGS__)

/* Values are compared and printed as long long (pointers too). */
#define __CMP(a, op, b, is_assert)                                                      \
	do {                                                                            \
		long long __a = (long long)(a), __b = (long long)(b);                   \
		if (!(__a op __b)) {                                                    \
			weft_dprintf(1, "# %s:%d:%s:Expected %s (%lld) %s %s (%lld)\n", \
				     __FILE__, __LINE__, __test_name(), #a, __a, #op,   \
				     #b, __b);                                          \
			if (is_assert)                                                  \
				__test_abort();                                         \
			__test_fail();                                                  \
		}                                                                       \
	} while (0)

#define __CMPSTR(a, b, is_assert)                                                       \
	do {                                                                            \
		const char *__a = (a), *__b = (b);                                      \
		if (!__a || !__b || weft_strcmp(__a, __b) != 0) {                       \
			weft_dprintf(1, "# %s:%d:%s:Expected %s (\"%s\") == %s (\"%s\")\n", \
				     __FILE__, __LINE__, __test_name(), #a, __a, #b, __b); \
			if (is_assert)                                                  \
				__test_abort();                                         \
			__test_fail();                                                  \
		}                                                                       \
	} while (0)

#define ASSERT_EQ(a, b) __CMP(a, ==, b, 1)
#define ASSERT_NE(a, b) __CMP(a, !=, b, 1)
#define ASSERT_LT(a, b) __CMP(a, <, b, 1)
#define ASSERT_LE(a, b) __CMP(a, <=, b, 1)
#define ASSERT_GT(a, b) __CMP(a, >, b, 1)
#define ASSERT_GE(a, b) __CMP(a, >=, b, 1)
#define ASSERT_TRUE(x) __CMP(!!(x), ==, 1, 1)
#define ASSERT_FALSE(x) __CMP(!!(x), ==, 0, 1)
#define ASSERT_NULL(x) __CMP(x, ==, 0, 1)
#define ASSERT_NE_NULL(x) __CMP(x, !=, 0, 1)
#define ASSERT_STREQ(a, b) __CMPSTR(a, b, 1)
#define EXPECT_EQ(a, b) __CMP(a, ==, b, 0)
#define EXPECT_NE(a, b) __CMP(a, !=, b, 0)
#define EXPECT_LT(a, b) __CMP(a, <, b, 0)
#define EXPECT_LE(a, b) __CMP(a, <=, b, 0)
#define EXPECT_GT(a, b) __CMP(a, >, b, 0)
#define EXPECT_GE(a, b) __CMP(a, >=, b, 0)
#define EXPECT_TRUE(x) __CMP(!!(x), ==, 1, 0)
#define EXPECT_FALSE(x) __CMP(!!(x), ==, 0, 0)
#define EXPECT_NULL(x) __CMP(x, ==, 0, 0)
#define EXPECT_NE_NULL(x) __CMP(x, !=, 0, 0)
#define EXPECT_STREQ(a, b) __CMPSTR(a, b, 0)

/* Helpers many tests want. */

/** Lines in /proc/self/maps: a leak check for mappings. */
int test_count_maps(void);
/** Open file descriptors, from /proc/self/fd. */
int test_count_fds(void);
/** Read a whole small file into @buf (NUL-terminated). Return: length or -errno. */
long test_read_file(const char *path, char *buf, size_t size);
/** Run @fn(@arg) in a forked child with stderr captured into @err; Return: wait status. */
int test_run_child(void (*fn)(void *), void *arg, char *err, size_t errsize);
/** True when running under qemu-user (its /proc/self/maps lists [vsyscall] as emulated). */
bool test_under_qemu(void);

/**
 * test_child_exit() - end a child forked from a multi-threaded test with @status
 * @status: 0 for success, or the failure's exit status
 *
 * Natively exit_group(@status). Under qemu-user (7.2) the child's exit_group
 * can hang for ever inside qemu: its exit path (preexit_cleanup(),
 * qemu_plugin_user_exit(), tcg_region_reset_all()) frees through glib's slice
 * allocator, whose lock another host thread of the parent may have held at
 * the fork. So a child that succeeded there kills itself with SIGKILL, which
 * the host kernel carries out without running any of qemu's code; a failure
 * still exits with its status. Check the result with test_child_exited().
 */
void test_child_exit(int status) __attribute__((noreturn));

/**
 * test_child_exited() - did a child ended by test_child_exit() exit with @code?
 * @status: its wait status
 * @code: the exit status expected
 *
 * Return: true if it exited with @code, or, under qemu-user and with @code 0,
 * was killed by the SIGKILL that test_child_exit() sends there.
 */
bool test_child_exited(int status, int code);

/**
 * test_count_tasks() - threads of this process, from /proc/self/task
 *
 * Under qemu-user the list also holds qemu's own host threads: compare with a
 * count taken earlier, never with 1.
 *
 * Return: the number of threads, or -errno if the directory cannot be read.
 */
int test_count_tasks(void);

/**
 * test_exec_self() - run this test binary again, in a new process, and capture one stream
 * @envp: the new process's whole environment (the caller's is not passed on)
 * @fd: which of its descriptors to capture: 1 (stdout) or 2 (stderr); the other
 *      stays the caller's
 * @out: receives what it wrote there, NUL-terminated
 * @size: size of @out; output beyond @size - 1 bytes is read and dropped, so the
 *        child never blocks on a full pipe
 * @status: receives its wait status (-1 if it could not be started)
 *
 * The binary is /proc/self/exe, so the new run executes from _start again: that is
 * what a test of start-up, or of what happens after main() returns, needs. A
 * constructor of the test file looks for a variable of @envp and does what it asks;
 * if it returns, the harness's main() runs no test (the filter in argv[1] matches
 * none) and exits 0.
 *
 * Return: the length of @out, or -errno if the pipe or the fork failed.
 */
long test_exec_self(char *const envp[], int fd, char *out, size_t size, int *status);

/**
 * test_run_in_thread() - run @fn(@arg) in a new OS thread and wait for it
 * @fn: the thread's function
 * @arg: its argument
 * @name: the thread's name, NULL for none
 *
 * Waiting with weft_join() also waits for the thread's TLS destructors. A spawn
 * or a join that fails ends the test, as a failed ASSERT does.
 *
 * Return: what @fn returned.
 */
void *test_run_in_thread(weft_thread_fn fn, void *arg, const char *name);

/**
 * struct test_leak_baseline - what a leak check compares: mappings, descriptors, heap
 * @maps: lines of /proc/self/maps
 * @fds: open file descriptors
 * @alloc: weft's allocator counters (blocks and bytes are compared, not chunks:
 *         small-block chunks are kept for reuse by design)
 */
struct test_leak_baseline {
	int maps;
	int fds;
	struct weft_alloc_stats alloc;
};

/**
 * test_leak_baseline_take() - measure the process, for ASSERT_NO_LEAK()
 * @b: filled in
 *
 * The thread stack cache is emptied first (weft_thread_cache_trim()): a cached
 * stack is kept for reuse, not leaked, and how many are cached depends on the
 * order threads happened to finish in. Green stacks have no such call: they stay
 * on their runtime's free list until its OS thread ends, so a green test warms up
 * before its baseline and then asks for a stack size that list does not hold.
 * Warm up the allocator too: it keeps its 64 KiB chunks.
 */
void test_leak_baseline_take(struct test_leak_baseline *b);

/**
 * test_wait_for_baseline() - wait until mappings and heap blocks are back down to @b
 * @b: a baseline from test_leak_baseline_take()
 *
 * A detached thread's last acts (freeing its payload and its struct weft_thread,
 * unmapping its own stack, exiting) come after anything it can tell the test. So wait
 * for their effects themselves, trimming the stack cache as the baseline did, with a
 * yield between looks. The count of /proc/self/task cannot say it: under qemu-user it
 * also lists qemu's own host threads, and it was seen to drop back to its old value
 * while a detached thread still had its mapping. Gives up after 20 s (tests time out
 * at 30), leaving the caller's assertions to report what is still there.
 */
void test_wait_for_baseline(const struct test_leak_baseline *b);

/* Measure again (trimming the stack cache again) and assert nothing grew or shrank. */
#define ASSERT_NO_LEAK(b)                                                               \
	do {                                                                            \
		struct test_leak_baseline __now;                                        \
		test_leak_baseline_take(&__now);                                        \
		ASSERT_EQ(__now.maps, (b)->maps);                                       \
		ASSERT_EQ(__now.fds, (b)->fds);                                         \
		ASSERT_EQ(__now.alloc.blocks, (b)->alloc.blocks);                       \
		ASSERT_EQ(__now.alloc.bytes, (b)->alloc.bytes);                         \
	} while (0)

#endif
