// SPDX-License-Identifier: MIT
/* Green threads: exact round-robin order, join, panics, overflow, park/unpark, two runtimes. */
#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/mman.h>

#include "weft/weft.h"

#include "harness.h"
#include "lib/thread.h"

/* ---- helpers -------------------------------------------------------------------- */

/* An append-only trace, one per runtime, written only by that runtime's green threads. */
struct trace {
	char buf[4096];
	size_t len;
};

static void trace_add(struct trace *t, const char *what, long n)
{
	int added = weft_snprintf(t->buf + t->len, sizeof(t->buf) - t->len, "%s%s%ld",
				  t->len ? " " : "", what, n);

	if (t->len + (size_t)added < sizeof(t->buf))
		t->len += (size_t)added;
}

struct player {
	struct trace *trace;
	const char *tag;
	int rounds;
};

/* Write "<tag><i>" to the trace, then yield; @rounds times. */
static void *play(void *arg)
{
	struct player *p = arg;

	for (int i = 0; i < p->rounds; i++) {
		trace_add(p->trace, p->tag, i);
		if (weft_green_yield() != 0)
			return (void *)-1L;
	}
	return (void *)(long)p->rounds;
}

static void *return_arg(void *arg)
{
	return arg;
}

/* The smallest possible spawn+join on this thread's runtime, so that it exists. */
static void warm_up(void)
{
	struct weft_green_handle h;

	weft_green_spawn(&h, return_arg, NULL, NULL);
	weft_green_join(&h, NULL);
}

/* ---- scheduling ------------------------------------------------------------------ */

TEST(ping_pong_interleaves_exactly)
{
	static struct trace trace;
	struct player ping = { &trace, "ping", 4 }, pong = { &trace, "pong", 4 };
	struct weft_builder pb = { .name = "ping" }, qb = { .name = "pong" };
	struct weft_green_handle a, b;
	void *ra, *rb;

	ASSERT_EQ(weft_green_spawn(&a, play, &ping, &pb), 0);
	ASSERT_EQ(weft_green_spawn(&b, play, &pong, &qb), 0);
	/* Spawning queues; nothing has run yet. */
	ASSERT_EQ(trace.len, 0);
	ASSERT_EQ(weft_green_run(), 0);
	ASSERT_STREQ(trace.buf, "ping0 pong0 ping1 pong1 ping2 pong2 ping3 pong3");
	ASSERT_EQ(weft_green_join(&a, &ra), 0);
	ASSERT_EQ(weft_green_join(&b, &rb), 0);
	ASSERT_EQ((long)ra, 4);
	ASSERT_EQ((long)rb, 4);
}

TEST(three_threads_take_turns_and_a_short_one_drops_out)
{
	static struct trace trace;
	struct player p[3] = { { &trace, "a", 3 }, { &trace, "b", 1 }, { &trace, "c", 2 } };
	struct weft_green_handle h[3];

	for (int i = 0; i < 3; i++)
		ASSERT_EQ(weft_green_spawn(&h[i], play, &p[i], NULL), 0);
	ASSERT_EQ(weft_green_run(), 0);
	ASSERT_STREQ(trace.buf, "a0 b0 c0 a1 c1 a2");
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(weft_green_join(&h[i], NULL), 0);
}

#define MANY 10000
#define YIELDS 100

static long steps;

/*
 * Strict round-robin: with MANY threads queued in spawn order, thread i takes
 * its k-th step exactly when k * MANY + i steps have been taken before it.
 */
static void *step_in_turn(void *arg)
{
	long i = (long)arg;

	for (long k = 0; k < YIELDS; k++) {
		if (steps != k * MANY + i)
			return (void *)-1L;
		steps++;
		weft_green_yield();
	}
	return arg;
}

TEST_TIMEOUT(ten_thousand_threads_yield_a_hundred_times_each, 120)
{
	static struct weft_green_handle h[MANY];
	struct weft_alloc_stats before, after;
	int maps = test_count_maps();

	weft_alloc_stats(&before);
	for (long i = 0; i < MANY; i++)
		ASSERT_EQ(weft_green_spawn(&h[i], step_in_turn, (void *)i, NULL), 0);
	weft_alloc_stats(&after);
	/* Two mappings per live green thread (guard page, stack), plus allocator chunks. */
	ASSERT_LE(test_count_maps() - maps, 2 * MANY + (int)(after.chunks - before.chunks));
	ASSERT_EQ(weft_green_run(), 0);
	ASSERT_EQ(steps, (long)MANY * YIELDS);
	for (long i = 0; i < MANY; i++) {
		void *r;

		ASSERT_EQ(weft_green_join(&h[i], &r), 0);
		ASSERT_EQ((long)r, i);
	}
}

/* Checks what a green thread sees of itself; returns its name, or "bad". */
static void *who_am_i(void *arg)
{
	struct weft_thread *self = weft_current();

	if (weft_green_current() != self || weft_thread_tid(self) != 0 ||
	    weft_thread_id(self) == weft_thread_id(&weft_main_thread) ||
	    weft_tcb()->current != self || weft_tcb()->green_current == NULL)
		return "bad";
	return (void *)weft_thread_name(self);
}

TEST(a_green_thread_is_a_weft_thread_without_a_tid)
{
	struct weft_builder b = { .name = "leaf" };
	struct weft_green_handle h, u;
	void *r;

	ASSERT_NULL(weft_green_current());
	ASSERT_EQ(weft_green_spawn(&h, who_am_i, NULL, &b), 0);
	ASSERT_EQ(weft_green_spawn(&u, who_am_i, NULL, NULL), 0);
	ASSERT_STREQ(weft_thread_name(weft_green_handle_thread(&h)), "leaf");
	ASSERT_NE(weft_thread_id(weft_green_handle_thread(&h)),
		  weft_thread_id(weft_green_handle_thread(&u)));
	ASSERT_EQ(weft_green_is_finished(&h), 0);
	ASSERT_EQ(weft_green_join(&h, &r), 0);
	ASSERT_STREQ((const char *)r, "leaf");
	/* Joining h ran the runtime only until h had finished: u is still queued. */
	ASSERT_EQ(weft_green_is_finished(&u), 0);
	ASSERT_EQ(weft_green_join(&u, &r), 0);
	ASSERT_NULL(r);	/* unnamed */
	/* Back on the OS thread: its own identity and no boundary left over. */
	ASSERT_EQ(weft_current(), &weft_main_thread);
	ASSERT_NULL(weft_green_current());
	ASSERT_NULL(weft_tcb()->catch_top);
	ASSERT_FALSE(weft_panicking());
}

TEST(the_os_threads_identity_and_guard_come_back)
{
	struct weft_tcb *tcb = weft_tcb();
	uintptr_t lo = tcb->guard_lo, hi = tcb->guard_hi;
	struct weft_green_handle h;

	ASSERT_EQ(weft_green_spawn(&h, return_arg, NULL, NULL), 0);
	ASSERT_EQ(weft_green_join(&h, NULL), 0);
	ASSERT_EQ(tcb->guard_lo, lo);
	ASSERT_EQ(tcb->guard_hi, hi);
	ASSERT_EQ(tcb->current, &weft_main_thread);
	ASSERT_NULL(tcb->green_current);
}

/* ---- errors ---------------------------------------------------------------------- */

static void *try_run_and_self_join(void *arg)
{
	struct weft_green_handle *self = arg;

	if (weft_green_run() != -EDEADLK)
		return (void *)1L;
	if (weft_green_join(self, NULL) != -EDEADLK)
		return (void *)2L;
	return NULL;
}

TEST(misuse_is_reported)
{
	struct weft_builder huge = { .stack_size = 1UL << 50 };
	struct weft_builder wraps = { .stack_size = ~(size_t)0 - 10 };
	struct weft_green_handle h;
	void *r;

	/* Not a green thread: nothing to yield to. */
	ASSERT_EQ(weft_green_yield(), -EPERM);
	/* No runtime yet: nothing to run. */
	ASSERT_EQ(weft_green_run(), 0);
	ASSERT_EQ(weft_green_spawn(NULL, return_arg, NULL, NULL), -EINVAL);
	ASSERT_EQ(weft_green_spawn(&h, NULL, NULL, NULL), -EINVAL);
	ASSERT_NULL(h.green);
	ASSERT_EQ(weft_green_spawn(&h, return_arg, NULL, &wraps), -EINVAL);
	ASSERT_EQ(weft_green_spawn(&h, return_arg, NULL, &huge), -ENOMEM);
	ASSERT_NULL(h.green);
	ASSERT_NULL(weft_tcb()->green);	/* failed spawns leave no runtime behind */

	ASSERT_EQ(weft_green_spawn(&h, try_run_and_self_join, &h, NULL), 0);
	ASSERT_EQ(weft_green_join(&h, &r), 0);
	ASSERT_NULL(r);
	ASSERT_EQ(weft_green_join(&h, NULL), -EINVAL);
	ASSERT_EQ(weft_green_is_finished(&h), -EINVAL);
	ASSERT_NULL(weft_green_handle_thread(&h));
}

/* ---- join, sync ---------------------------------------------------------------------- */

static void *yield_then_return(void *arg)
{
	for (int i = 0; i < 5; i++)
		weft_green_yield();
	return arg;
}

/* A green thread joining another: it parks, the other runs, then it resumes. */
static void *join_a_sibling(void *arg)
{
	struct weft_green_handle h;
	void *r = NULL;

	if (weft_green_spawn(&h, yield_then_return, arg, NULL))
		return NULL;
	if (weft_green_join(&h, &r))
		return NULL;
	return (char *)r + 1;
}

static void *sync_inside(void *arg)
{
	void *r = NULL;

	if (weft_green_sync(yield_then_return, arg, &r))
		return NULL;
	return (char *)r + 2;
}

TEST(results_come_back_through_join_and_sync)
{
	struct weft_green_handle h[3];
	void *r;

	ASSERT_EQ(weft_green_spawn(&h[0], yield_then_return, (void *)100L, NULL), 0);
	ASSERT_EQ(weft_green_spawn(&h[1], join_a_sibling, (void *)200L, NULL), 0);
	ASSERT_EQ(weft_green_spawn(&h[2], sync_inside, (void *)300L, NULL), 0);
	/* Joining h[1] from the OS thread runs the runtime until h[1] has finished. */
	ASSERT_EQ(weft_green_join(&h[1], &r), 0);
	ASSERT_EQ((long)r, 201);
	ASSERT_EQ(weft_green_join(&h[2], &r), 0);
	ASSERT_EQ((long)r, 302);
	ASSERT_EQ(weft_green_join(&h[0], &r), 0);
	ASSERT_EQ((long)r, 100);
	/* sync from the OS thread: straight-line code, no yield in sight. */
	ASSERT_EQ(weft_green_sync(yield_then_return, (void *)400L, &r), 0);
	ASSERT_EQ((long)r, 400);
	ASSERT_EQ(weft_green_sync(NULL, NULL, &r), -EINVAL);
}

/* A native thread joins a green thread of the main thread's runtime. */
static void *native_joiner(void *arg)
{
	void *r = NULL;

	if (weft_green_join(arg, &r))
		return NULL;
	return r;
}

TEST(a_native_thread_can_join_a_green_one)
{
	struct weft_green_handle g;
	struct weft_join_handle n;
	void *r;

	for (int round = 0; round < 50; round++) {
		ASSERT_EQ(weft_green_spawn(&g, yield_then_return, (void *)7L, NULL), 0);
		ASSERT_EQ(weft_spawn(&n, native_joiner, &g), 0);
		if (round % 2)
			weft_yield();	/* vary who gets there first */
		ASSERT_EQ(weft_green_run(), 0);
		ASSERT_EQ(weft_join(&n, &r), 0);
		ASSERT_EQ((long)r, 7);
		ASSERT_NULL(g.green);	/* consumed by the native join */
	}
}

/* ---- panics --------------------------------------------------------------------- */

static void *panic_after_yields(void *arg)
{
	weft_green_yield();
	weft_green_yield();
	weft_panic("green %ld gave up", (long)arg);
}

static void quiet_hook(const struct weft_panic_info *info)
{
}

TEST(a_panic_reaches_the_joiner_and_the_others_keep_running)
{
	static struct trace trace;
	struct player steady = { &trace, "s", 6 };
	struct weft_green_handle bad, good;
	void *r;

	weft_set_panic_hook(quiet_hook);
	ASSERT_EQ(weft_green_spawn(&bad, panic_after_yields, (void *)3L, NULL), 0);
	ASSERT_EQ(weft_green_spawn(&good, play, &steady, NULL), 0);
	ASSERT_EQ(weft_green_run(), 0);
	ASSERT_STREQ(trace.buf, "s0 s1 s2 s3 s4 s5");
	ASSERT_EQ(weft_green_join(&bad, &r), WEFT_PANICKED);
	ASSERT_STREQ(weft_panic_message(r), "green 3 gave up");
	weft_panic_free(r);
	ASSERT_EQ(weft_green_join(&good, &r), 0);
	ASSERT_EQ((long)r, 6);
	ASSERT_FALSE(weft_panicking());
	ASSERT_NULL(weft_tcb()->catch_top);
	/* The runtime still works. */
	ASSERT_EQ(weft_green_sync(return_arg, (void *)5L, &r), 0);
	ASSERT_EQ((long)r, 5);
}

/* Boundaries inside green threads, held across yields: each stack has its own. */
static void *panic_in_catch(void *arg)
{
	weft_green_yield();
	weft_panic("inner %ld", (long)arg);
}

static void *catch_across_yields(void *arg)
{
	void *r = NULL;

	if (weft_catch_panic(panic_in_catch, arg, &r) != WEFT_PANICKED)
		return NULL;
	if (weft_panicking())
		return NULL;
	weft_green_yield();
	if (weft_strcmp(weft_panic_message(r), (long)arg == 1 ? "inner 1" : "inner 2"))
		return NULL;
	weft_panic_free(r);
	return arg;
}

TEST(catch_boundaries_belong_to_each_green_stack)
{
	struct weft_green_handle a, b;
	void *r;

	weft_set_panic_hook(quiet_hook);
	ASSERT_EQ(weft_green_spawn(&a, catch_across_yields, (void *)1L, NULL), 0);
	ASSERT_EQ(weft_green_spawn(&b, catch_across_yields, (void *)2L, NULL), 0);
	ASSERT_EQ(weft_green_run(), 0);
	ASSERT_EQ(weft_green_join(&a, &r), 0);
	ASSERT_EQ((long)r, 1);
	ASSERT_EQ(weft_green_join(&b, &r), 0);
	ASSERT_EQ((long)r, 2);
}

/* A panic hook that yields: the panicking thread is suspended mid-panic. */
static int hook_resumed_panicking;

static void yielding_hook(const struct weft_panic_info *info)
{
	if (!info->green)
		return;
	weft_green_yield();
	hook_resumed_panicking = weft_panicking();	/* its own flag is back */
}

static void *check_not_panicking(void *arg)
{
	long bad = 0;

	for (int i = 0; i < 4; i++) {
		bad += weft_panicking();
		weft_green_yield();
	}
	return (void *)bad;
}

static void *panic_and_check(void *arg)
{
	void *r;

	if (weft_catch_panic(panic_in_catch, arg, &r) != WEFT_PANICKED || weft_panicking())
		return NULL;
	weft_panic_free(r);
	return arg;
}

TEST(a_thread_suspended_mid_panic_keeps_its_panicking_flag_to_itself)
{
	struct weft_green_handle a, b;
	void *r;

	weft_set_panic_hook(yielding_hook);
	ASSERT_EQ(weft_green_spawn(&a, panic_and_check, (void *)1L, NULL), 0);
	ASSERT_EQ(weft_green_spawn(&b, check_not_panicking, NULL, NULL), 0);
	ASSERT_EQ(weft_green_run(), 0);
	ASSERT_EQ(weft_green_join(&a, &r), 0);
	ASSERT_EQ((long)r, 1);
	ASSERT_EQ(weft_green_join(&b, &r), 0);
	ASSERT_EQ((long)r, 0);	/* never saw the other's panic as its own */
	ASSERT_TRUE(hook_resumed_panicking);
	ASSERT_FALSE(weft_panicking());
}

static void *panic_now(void *arg)
{
	weft_panic("no more");
}

static void green_panic_report(void *arg)
{
	struct weft_builder b = { .name = "boom" };
	struct weft_green_handle h;
	void *r;

	weft_green_spawn(&h, panic_now, NULL, &b);
	if (weft_green_join(&h, &r) != WEFT_PANICKED)
		sys_exit_group(2);
	weft_dprintf(2, "joined: %s\n", weft_panic_message(r));
}

TEST(a_green_panic_is_reported_as_green)
{
	char err[1024];
	int status = test_run_child(green_panic_report, NULL, err, sizeof(err));

	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT_NE_NULL(weft_strstr(err, "green thread 'boom' panicked at tests/test-green.c:"));
	ASSERT_NE_NULL(weft_strstr(err, "joined: no more"));
}

TEST(a_payload_joined_with_a_null_result_is_freed)
{
	struct weft_alloc_stats before, after;
	struct weft_green_handle h;

	weft_set_panic_hook(quiet_hook);
	/* Once first: the runtime, allocator chunks, a 64 KiB stack on the free list. */
	ASSERT_EQ(weft_green_spawn(&h, panic_now, NULL, NULL), 0);
	ASSERT_EQ(weft_green_join(&h, NULL), WEFT_PANICKED);
	weft_alloc_stats(&before);
	ASSERT_EQ(weft_green_spawn(&h, panic_now, NULL, NULL), 0);
	ASSERT_EQ(weft_green_join(&h, NULL), WEFT_PANICKED);
	weft_alloc_stats(&after);
	/* The payload, the join state and the thread's struct weft_thread are all gone. */
	ASSERT_EQ(after.blocks, before.blocks);
	ASSERT_EQ(after.bytes, before.bytes);
}

/* ---- stacks ---------------------------------------------------------------------- */

static long recurse(long depth)
{
	volatile char pad[512];

	if (depth == -1)	/* never: but the compiler cannot know */
		return 0;
	pad[0] = (char)depth;
	return recurse(depth + 1) + pad[0];
}

static void *overflow(void *arg)
{
	return (void *)recurse(0);
}

static void green_overflow(void *arg)
{
	struct weft_builder b = { .name = "deep", .stack_size = (size_t)arg };
	struct weft_green_handle h, other;

	/* A sibling is queued first, so the overflow happens after a switch or two. */
	weft_green_spawn(&other, yield_then_return, NULL, NULL);
	weft_green_spawn(&h, overflow, NULL, &b);
	weft_green_run();
	sys_exit_group(3);	/* not reached */
}

TEST(overflowing_a_green_stack_is_reported)
{
	size_t sizes[] = { 0, WEFT_GREEN_STACK_MIN };

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		char err[1024];
		int status = test_run_child(green_overflow, (void *)sizes[i], err, sizeof(err));

		ASSERT_TRUE(WIFSIGNALED(status));
		ASSERT_EQ(WTERMSIG(status), SIGABRT);
		ASSERT_NE_NULL(weft_strstr(err, "\ngreen thread 'deep' has overflowed its stack\n"
						"fatal runtime error: stack overflow, aborting\n"));
	}
}

/* The [lo, hi) of the line of /proc/self/maps that holds @addr; false if none does. */
static bool find_mapping(const void *addr, uintptr_t *lo, uintptr_t *hi)
{
	static char buf[1 << 20];
	long n = test_read_file("/proc/self/maps", buf, sizeof(buf));
	uintptr_t a = (uintptr_t)addr;

	for (char *line = buf; n > 0 && *line;) {
		char *p = line, *nl = weft_strchr(line, '\n');

		*lo = *hi = 0;
		for (; *p != '-'; p++)
			*lo = *lo * 16 + (uintptr_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
		for (p++; *p != ' '; p++)
			*hi = *hi * 16 + (uintptr_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
		if (a >= *lo && a < *hi)
			return true;
		if (!nl)
			break;
		line = nl + 1;
	}
	return false;
}

/* Runs on the stack it measures: *arg = the stack's size, or 0 if the layout is wrong. */
static void *measure_own_stack(void *arg)
{
	size_t page = weft_startup_info()->page_size;
	struct weft_tcb *tcb = weft_tcb();
	uintptr_t lo, hi;
	char here;

	*(size_t *)arg = 0;
	/* The guard: one PROT_NONE page of its own, right below the stack. */
	if (tcb->guard_hi - tcb->guard_lo != page ||
	    !find_mapping((void *)tcb->guard_lo, &lo, &hi) || lo != tcb->guard_lo ||
	    hi != tcb->guard_hi)
		return NULL;
	if (!find_mapping(&here, &lo, &hi) || lo != tcb->guard_hi)
		return NULL;
	*(size_t *)arg = hi - lo;
	return NULL;
}

TEST(stacks_are_64k_by_default_rounded_to_pages_and_guarded)
{
	size_t page = weft_startup_info()->page_size, len = 0;
	struct weft_builder odd = { .stack_size = 100000 }, tiny = { .stack_size = 1 };
	struct weft_green_handle h;

	ASSERT_EQ(weft_green_sync(measure_own_stack, &len, NULL), 0);
	ASSERT_EQ(len, WEFT_GREEN_STACK_DEFAULT);
	ASSERT_EQ(weft_green_spawn(&h, measure_own_stack, &len, &odd), 0);
	ASSERT_EQ(weft_green_join(&h, NULL), 0);
	ASSERT_EQ(len, (100000 + page - 1) / page * page);
	ASSERT_EQ(weft_green_spawn(&h, measure_own_stack, &len, &tiny), 0);
	ASSERT_EQ(weft_green_join(&h, NULL), 0);
	ASSERT_EQ(len, WEFT_GREEN_STACK_MIN);
}

TEST(finished_stacks_are_recycled)
{
	int fds[2];
	char buf[8192];
	long n;

	warm_up();
	ASSERT_EQ(sys_pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
	weft_trace_set_fd(fds[1]);
	for (int i = 0; i < 20; i++)
		ASSERT_EQ(weft_green_sync(yield_then_return, NULL, NULL), 0);
	weft_trace_set_fd(-1);
	n = sys_read(fds[0], buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		weft_dprintf(1, "# unexpected system calls:\n%s", buf);
	}
	/* Twenty spawns and joins, and not one system call among them. */
	ASSERT_EQ(n, -EAGAIN);
}

/* ---- failures -------------------------------------------------------------------- */

TEST(stack_mapping_failures_leave_nothing_behind)
{
	/* A size not on the free list, so spawn must map. */
	struct weft_builder fresh = { .name = "faulty", .stack_size = 200UL << 10 };
	static const struct {
		long nr;
		int err;
	} faults[] = {
		{ __NR_mmap, ENOMEM },
		{ __NR_mprotect, ENOMEM },
		{ __NR_mprotect, EACCES },
	};
	struct weft_green_handle h;
	struct test_leak_baseline base;

	warm_up();
	test_leak_baseline_take(&base);
	for (size_t i = 0; i < ARRAY_SIZE(faults); i++) {
		weft_fault_inject(faults[i].nr, 1, faults[i].err);
		ASSERT_EQ(weft_green_spawn(&h, return_arg, NULL, &fresh), -faults[i].err);
		ASSERT_EQ(weft_fault_fired(), 1);
		weft_fault_clear();
		ASSERT_NULL(h.green);
		ASSERT_NO_LEAK(&base);
	}
	/* And the runtime is fine afterwards. */
	ASSERT_EQ(weft_green_spawn(&h, return_arg, (void *)9L, &fresh), 0);
	ASSERT_EQ(weft_green_join(&h, NULL), 0);
}

TEST(allocation_failures_leave_nothing_behind)
{
	char name[3000];	/* the name copy is a large block: its own mmap */
	struct weft_builder b = { .name = name };
	struct weft_green_handle h;
	struct test_leak_baseline base;

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	warm_up();
	test_leak_baseline_take(&base);
	weft_fault_inject(__NR_mmap, 1, ENOMEM);
	ASSERT_EQ(weft_green_spawn(&h, return_arg, NULL, &b), -ENOMEM);
	ASSERT_EQ(weft_fault_fired(), 1);
	weft_fault_clear();
	ASSERT_NULL(h.green);
	ASSERT_NO_LEAK(&base);
}

/*
 * In a fresh OS thread of a cold allocator, each mmap of the first spawn
 * fails in turn (the runtime, the green thread, its name, its stack): every
 * failure is reported and leaves no block, mapping or runtime behind.
 */
static void *fail_each_mmap(void *arg)
{
	struct weft_builder b = { .name = "cold" };
	struct weft_green_handle h;
	struct weft_alloc_stats before, after;
	unsigned long nth;

	for (nth = 1;; nth++) {
		int err;

		weft_alloc_stats(&before);
		weft_fault_inject(__NR_mmap, nth, ENOMEM);
		err = weft_green_spawn(&h, return_arg, (void *)1L, &b);
		if (!weft_fault_fired())
			break;
		weft_fault_clear();
		weft_alloc_stats(&after);
		if (err != -ENOMEM || h.green || weft_tcb()->green || after.blocks != before.blocks)
			return (void *)-(long)nth;
	}
	weft_fault_clear();
	if (weft_green_join(&h, NULL))
		return (void *)-100L;
	return (void *)nth;
}

TEST(each_failing_mmap_of_a_first_spawn_is_clean)
{
	struct weft_join_handle n;
	void *r;

	ASSERT_EQ(weft_spawn(&n, fail_each_mmap, NULL), 0);
	ASSERT_EQ(weft_join(&n, &r), 0);
	ASSERT_GT((long)r, 1);	/* at least the stack's mmap was made to fail */
}

/* ---- the runtime ends with its OS thread ------------------------------------------- */

static void *use_green_threads(void *arg)
{
	for (int i = 0; i < 3; i++)
		if (weft_green_sync(yield_then_return, arg, NULL))
			return (void *)1L;
	return weft_tcb()->green ? NULL : (void *)2L;
}

TEST(an_os_thread_that_exits_frees_its_runtime_and_stacks)
{
	struct weft_join_handle n;
	struct test_leak_baseline base;
	void *r;

	/* Once, so that the allocator holds its chunks before the baseline. */
	ASSERT_EQ(weft_spawn(&n, use_green_threads, NULL), 0);
	ASSERT_EQ(weft_join(&n, &r), 0);
	ASSERT_NULL(r);
	test_leak_baseline_take(&base);
	ASSERT_EQ(weft_spawn(&n, use_green_threads, NULL), 0);
	ASSERT_EQ(weft_join(&n, &r), 0);
	ASSERT_NULL(r);
	ASSERT_NO_LEAK(&base);
}

/* ---- park and unpark -------------------------------------------------------------- */

struct turn {
	_Atomic int whose;		/* 0 or 1 */
	struct weft_thread *thread[2];
	int rounds;
	_Atomic int ready;
};

/* Take @rounds turns: wait for mine (parking), pass the turn, unpark the other. */
static void *take_turns(struct turn *t, int me)
{
	for (int i = 0; i < t->rounds; i++) {
		while (atomic_load(&t->whose) != me)
			weft_park();
		atomic_store(&t->whose, !me);
		weft_unpark(t->thread[!me]);
	}
	return NULL;
}

static void *green_turns_0(void *arg)
{
	return take_turns(arg, 0);
}

static void *green_turns_1(void *arg)
{
	return take_turns(arg, 1);
}

TEST(park_and_unpark_between_green_threads)
{
	struct turn t = { .rounds = 1000 };
	struct weft_green_handle a, b;

	ASSERT_EQ(weft_green_spawn(&a, green_turns_0, &t, NULL), 0);
	ASSERT_EQ(weft_green_spawn(&b, green_turns_1, &t, NULL), 0);
	t.thread[0] = weft_green_handle_thread(&a);
	t.thread[1] = weft_green_handle_thread(&b);
	ASSERT_EQ(weft_green_run(), 0);
	ASSERT_EQ(weft_green_join(&a, NULL), 0);
	ASSERT_EQ(weft_green_join(&b, NULL), 0);
	ASSERT_EQ(atomic_load(&t.whose), 0);
}

static void *park_first_then_unparked(void *arg)
{
	int *flag = arg;

	weft_unpark(weft_current());	/* a token made before the park... */
	weft_park();			/* ...makes it return at once */
	while (!*flag)
		weft_park();
	return (void *)1L;
}

static void *set_flag_and_unpark(void *arg)
{
	struct weft_thread **other = arg;

	*(int *)other[1] = 1;
	weft_unpark(other[0]);
	return NULL;
}

TEST(a_token_given_before_park_is_kept)
{
	int flag = 0;
	void *args[2];
	struct weft_green_handle a, b;
	void *r;

	ASSERT_EQ(weft_green_spawn(&a, park_first_then_unparked, &flag, NULL), 0);
	args[0] = weft_green_handle_thread(&a);
	args[1] = &flag;
	ASSERT_EQ(weft_green_spawn(&b, set_flag_and_unpark, args, NULL), 0);
	ASSERT_EQ(weft_green_run(), 0);
	ASSERT_EQ(weft_green_join(&a, &r), 0);
	ASSERT_EQ((long)r, 1);
	ASSERT_EQ(weft_green_join(&b, NULL), 0);
}

static void *native_turns(void *arg)
{
	struct turn *t = arg;

	t->thread[1] = weft_thread_get(weft_current());
	atomic_store(&t->ready, 1);
	weft_unpark(t->thread[0]);
	take_turns(t, 1);
	return NULL;
}

static void *green_turns_after_ready(void *arg)
{
	struct turn *t = arg;

	while (!atomic_load(&t->ready))
		weft_park();
	return take_turns(t, 0);
}

TEST(park_and_unpark_between_a_native_thread_and_a_green_one)
{
	struct turn t = { .rounds = 2000 };
	struct weft_green_handle g;
	struct weft_join_handle n;

	/* The green thread parks; the runtime sleeps on its futex until the native one wakes it. */
	ASSERT_EQ(weft_green_spawn(&g, green_turns_after_ready, &t, NULL), 0);
	t.thread[0] = weft_green_handle_thread(&g);
	ASSERT_EQ(weft_spawn(&n, native_turns, &t), 0);
	ASSERT_EQ(weft_green_run(), 0);
	ASSERT_EQ(weft_green_join(&g, NULL), 0);
	ASSERT_EQ(weft_join(&n, NULL), 0);
	weft_thread_put(t.thread[1]);
	ASSERT_EQ(atomic_load(&t.whose), 0);
}

static void *park_with_timeout(void *arg)
{
	uint64_t start = weft_now();

	weft_park_timeout(20 * 1000 * 1000);
	return (void *)(uintptr_t)(weft_now() - start);
}

static void *keep_yielding(void *arg)
{
	for (int i = 0; i < 100; i++)
		weft_green_yield();
	return NULL;
}

TEST(park_timeout_in_a_green_thread_waits_at_least_that_long)
{
	struct weft_green_handle a, b;
	void *r;

	/* Once alone (the runtime sleeps until the deadline), once with a busy sibling. */
	ASSERT_EQ(weft_green_sync(park_with_timeout, NULL, &r), 0);
	ASSERT_GE((uintptr_t)r, 20 * 1000 * 1000);
	ASSERT_EQ(weft_green_spawn(&a, park_with_timeout, NULL, NULL), 0);
	ASSERT_EQ(weft_green_spawn(&b, keep_yielding, NULL, NULL), 0);
	ASSERT_EQ(weft_green_run(), 0);
	ASSERT_EQ(weft_green_join(&a, &r), 0);
	ASSERT_GE((uintptr_t)r, 20 * 1000 * 1000);
	ASSERT_EQ(weft_green_join(&b, NULL), 0);
}

static void *park_until_deadline(void *arg)
{
	uint64_t deadline = weft_deadline_in(10 * 1000 * 1000);

	(void)arg;
	weft_park_until(deadline);
	if (weft_now() < deadline)
		return (void *)1;
	weft_park_until(0);	/* passed: returns at once */
	weft_unpark(weft_current());
	weft_park_until(WEFT_FOREVER);	/* the token ends an untimed park */
	return NULL;
}

TEST(park_until_in_a_green_thread_ends_at_its_deadline)
{
	struct weft_green_handle a, b;
	void *r;

	ASSERT_EQ(weft_green_sync(park_until_deadline, NULL, &r), 0);
	ASSERT_NULL(r);
	ASSERT_EQ(weft_green_spawn(&a, park_until_deadline, NULL, NULL), 0);
	ASSERT_EQ(weft_green_spawn(&b, keep_yielding, NULL, NULL), 0);
	ASSERT_EQ(weft_green_run(), 0);
	ASSERT_EQ(weft_green_join(&a, &r), 0);
	ASSERT_NULL(r);
	ASSERT_EQ(weft_green_join(&b, NULL), 0);
}

static void *unparked_before_timeout(void *arg)
{
	int *flag = arg;

	while (!*flag)
		weft_park_timeout(60ULL * 1000 * 1000 * 1000);	/* a minute: never reached */
	return (void *)1L;
}

TEST(an_unpark_ends_a_park_timeout_early)
{
	int flag = 0;
	void *args[2];
	struct weft_green_handle a, b;
	uint64_t start = weft_now();

	ASSERT_EQ(weft_green_spawn(&a, unparked_before_timeout, &flag, NULL), 0);
	args[0] = weft_green_handle_thread(&a);
	args[1] = &flag;
	ASSERT_EQ(weft_green_spawn(&b, set_flag_and_unpark, args, NULL), 0);
	ASSERT_EQ(weft_green_run(), 0);
	ASSERT_EQ(weft_green_join(&a, NULL), 0);
	ASSERT_EQ(weft_green_join(&b, NULL), 0);
	ASSERT_LT(weft_now() - start, 30ULL * 1000 * 1000 * 1000);
}

/* ---- what cooperative scheduling cannot do ----------------------------------------- */

static uint64_t sleeper_woke, runner_ran;

static void *sleep_in_the_kernel(void *arg)
{
	weft_sleep(20 * 1000 * 1000);	/* blocks the OS thread, not just this green thread */
	sleeper_woke = weft_now();
	return NULL;
}

static void *note_when_run(void *arg)
{
	runner_ran = weft_now();
	return NULL;
}

TEST(a_blocking_call_blocks_the_whole_runtime)
{
	struct weft_green_handle a, b;
	uint64_t start = weft_now();

	ASSERT_EQ(weft_green_spawn(&a, sleep_in_the_kernel, NULL, NULL), 0);
	ASSERT_EQ(weft_green_spawn(&b, note_when_run, NULL, NULL), 0);
	ASSERT_EQ(weft_green_run(), 0);
	/* The sibling was runnable all along, yet ran only after the sleep ended. */
	ASSERT_GE(runner_ran, start + 20 * 1000 * 1000);
	ASSERT_GE(runner_ran, sleeper_woke);
	ASSERT_EQ(weft_green_join(&a, NULL), 0);
	ASSERT_EQ(weft_green_join(&b, NULL), 0);
}

/* ---- two runtimes at once --------------------------------------------------------- */

/*
 * Each OS thread runs its own ping-pong with an exact trace, while a pair of
 * green threads, one in each runtime, take turns through park/unpark across
 * the two OS threads.
 */
struct two {
	struct turn cross;
	struct weft_thread *ready[2];
	_Atomic int spawned;
	struct weft_thread *native[2];
};

static void *cross_turns(void *arg)
{
	struct two *w = arg;
	int me = weft_current() == w->cross.thread[1];

	return take_turns(&w->cross, me);
}

static void *runtime_thread(void *arg)
{
	struct two *w = *(struct two **)arg;
	int me = ((struct two **)arg)[1] != NULL;
	static struct trace traces[2];
	struct trace *trace = &traces[me];
	struct player p1 = { trace, me ? "B" : "A", 200 }, p2 = { trace, me ? "b" : "a", 200 };
	struct weft_green_handle h1, h2, hc;
	char expect[64];

	if (weft_green_spawn(&h1, play, &p1, NULL) || weft_green_spawn(&h2, play, &p2, NULL) ||
	    weft_green_spawn(&hc, cross_turns, w, NULL))
		return (void *)1L;
	w->cross.thread[me] = weft_green_handle_thread(&hc);
	w->native[me] = weft_current();
	/* Both halves must exist before either starts unparking the other. */
	if (atomic_fetch_add(&w->spawned, 1) + 1 == 2)
		weft_unpark(w->native[!me]);
	while (atomic_load(&w->spawned) != 2)
		weft_park();
	if (weft_green_run())
		return (void *)2L;
	if (weft_green_join(&h1, NULL) || weft_green_join(&h2, NULL) ||
	    weft_green_join(&hc, NULL))
		return (void *)3L;
	/* The first few turns of this runtime's own ping-pong. */
	weft_snprintf(expect, sizeof(expect), "%s0 %s0 %s1 %s1", p1.tag, p2.tag, p1.tag, p2.tag);
	if (weft_strncmp(trace->buf, expect, weft_strlen(expect)))
		return (void *)4L;
	return NULL;
}

TEST(runtimes_on_two_os_threads_run_at_once)
{
	static struct two w = { .cross = { .rounds = 500 } };
	void *args[2][2] = { { &w, NULL }, { &w, &w } };
	struct weft_join_handle n[2];
	void *r;

	for (int i = 0; i < 2; i++)
		ASSERT_EQ(weft_spawn(&n[i], runtime_thread, args[i]), 0);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(weft_join(&n[i], &r), 0);
		ASSERT_NULL(r);
	}
	ASSERT_EQ(atomic_load(&w.cross.whose), 0);
}

/* ---- handles that cannot join the wrong green thread ---------------------------- */

TEST(a_stale_copy_of_a_green_handle_is_einval_even_after_reuse)
{
	struct weft_green_handle h, copy, next;
	void *r = NULL;

	ASSERT_EQ(weft_green_spawn(&h, return_arg, (void *)1, NULL), 0);
	copy = h;
	ASSERT_EQ(weft_green_join(&h, &r), 0);
	ASSERT_EQ(r, (void *)1);
	ASSERT_EQ(weft_green_spawn(&next, return_arg, (void *)2, NULL), 0);
	ASSERT_EQ(next.green, copy.green);	/* the join state was reused */
	ASSERT_EQ(weft_green_join(&copy, &r), -EINVAL);
	ASSERT_EQ(weft_green_is_finished(&copy), -EINVAL);
	ASSERT_NULL(weft_green_handle_thread(&copy));
	ASSERT_EQ(weft_green_join(&next, &r), 0);
	ASSERT_EQ(r, (void *)2);
}

struct green_race {
	struct weft_green_handle copy;
	int ret;
};

static void *join_a_green_copy(void *arg)
{
	struct green_race *j = arg;

	j->ret = weft_green_join(&j->copy, NULL);
	return NULL;
}

TEST(two_threads_joining_one_green_handle_one_wins_one_gets_einval)
{
	for (int i = 0; i < (test_under_qemu() ? 10 : 50); i++) {
		struct weft_green_handle g;
		struct weft_join_handle n[2];
		struct green_race j[2];

		ASSERT_EQ(weft_green_spawn(&g, yield_then_return, NULL, NULL), 0);
		for (int k = 0; k < 2; k++) {
			j[k].copy = g;
			j[k].ret = 99;
			ASSERT_EQ(weft_spawn(&n[k], join_a_green_copy, &j[k]), 0);
		}
		/* The owner runs the thread to its end; the winner's join ends with it. */
		ASSERT_EQ(weft_green_run(), 0);
		for (int k = 0; k < 2; k++)
			ASSERT_EQ(weft_join(&n[k], NULL), 0);
		ASSERT_EQ(j[0].ret + j[1].ret, -EINVAL);
		ASSERT_TRUE(j[0].ret == 0 || j[1].ret == 0);
	}
}

struct orphan {
	struct weft_green_handle before, during;
	_Atomic uint32_t go;
};

static void *park_forever(void *arg)
{
	for (;;)
		weft_park();
	return NULL;
}

/* An OS thread that makes two green threads and ends without running them. */
static void *spawn_greens_and_leave(void *arg)
{
	struct orphan *o = arg;

	if (weft_green_spawn(&o->before, park_forever, NULL, NULL) ||
	    weft_green_spawn(&o->during, park_forever, NULL, NULL))
		return (void *)1L;
	atomic_store(&o->go, 1);
	weft_futex_wake(&o->go, 1, false);
	/* Give the joiner of @during a chance to be waiting already; either way works. */
	weft_yield();
	return NULL;
}

static void *join_during(void *arg)
{
	struct orphan *o = arg;

	while (!atomic_load(&o->go))
		weft_futex_wait(&o->go, 0, false, NULL);
	return (void *)(long)weft_green_join(&o->during, NULL);
}

TEST(joining_a_green_thread_whose_runtime_is_gone_is_esrch)
{
	static struct orphan o;
	struct weft_join_handle owner, joiner;
	void *r;

	ASSERT_EQ(weft_spawn(&joiner, join_during, &o), 0);
	ASSERT_EQ(weft_spawn(&owner, spawn_greens_and_leave, &o), 0);
	ASSERT_EQ(weft_join(&owner, &r), 0);
	ASSERT_NULL(r);
	/* A join waiting when the runtime's OS thread ended, or arriving after: never a hang. */
	ASSERT_EQ(weft_join(&joiner, &r), 0);
	ASSERT_EQ((long)r, -ESRCH);
	ASSERT_EQ(weft_green_is_finished(&o.before), -ESRCH);
	ASSERT_EQ(weft_green_join(&o.before, NULL), -ESRCH);
	ASSERT_EQ(weft_green_join(&o.before, NULL), -EINVAL);	/* consumed */
}
