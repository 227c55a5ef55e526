// SPDX-License-Identifier: MIT
/* Panics: the report, catch boundaries, payloads through join, hooks, exit 101, double panics. */
#include <linux/errno.h>
#include <linux/fcntl.h>

#include "weft/alloc.h"
#include "weft/fault.h"
#include "weft/local.h"
#include "weft/panic.h"
#include "weft/scope.h"
#include "weft/thread.h"

#include "harness.h"
#include "kernel-abi/sys.h"
#include "lib/thread.h"

/* The report weft_panic() at @line of this file prints for thread @name. */
static void expected_report(char *buf, size_t size, const char *name, int line, const char *msg)
{
	weft_snprintf(buf, size, "thread '%s' panicked at %s:%d:\n%s\n", name, __FILE__, line,
		      msg);
}

static void silent_hook(const struct weft_panic_info *info)
{
}

/* ---- the payload through weft_join() ------------------------------------ */

enum { BOOM_LINE = __LINE__ + 3 };	/* the line of the weft_panic() below */
static void *boom(void *arg)
{
	weft_panic("boom %d in %s", 42, "a thread");
}

TEST(join_returns_the_payload_with_the_exact_message)
{
	struct weft_join_handle h;
	void *r = NULL;

	weft_set_panic_hook(silent_hook);
	ASSERT_EQ(weft_spawn(&h, boom, NULL), 0);
	ASSERT_EQ(weft_join(&h, &r), WEFT_PANICKED);
	ASSERT_NE_NULL(r);
	ASSERT_STREQ(weft_panic_message(r), "boom 42 in a thread");
	weft_panic_free(r);
	ASSERT_NULL(h.native);
}

static void spawn_boom_and_join(void *arg)
{
	const struct weft_builder *b = arg;
	struct weft_join_handle h;

	if (weft_builder_spawn(b, &h, boom, NULL) == 0)
		weft_join(&h, NULL);
}

TEST(the_report_names_the_thread_file_and_line)
{
	struct weft_builder named = { .name = "worker-7" };
	char err[512], want[256];
	int status;

	status = test_run_child(spawn_boom_and_join, &named, err, sizeof(err));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	expected_report(want, sizeof(want), "worker-7", BOOM_LINE, "boom 42 in a thread");
	ASSERT_STREQ(err, want);

	status = test_run_child(spawn_boom_and_join, NULL, err, sizeof(err));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	expected_report(want, sizeof(want), "<unnamed>", BOOM_LINE, "boom 42 in a thread");
	ASSERT_STREQ(err, want);
}

static void *return_seven(void *arg)
{
	return (void *)7;
}

static void warm_up(void)
{
	struct weft_join_handle h;

	/* Fill the allocator's chunks and the stack cache once before a baseline. */
	for (int i = 0; i < 2; i++) {
		weft_spawn(&h, boom, NULL);
		weft_join(&h, NULL);
		weft_spawn(&h, return_seven, NULL);
		weft_join(&h, NULL);
	}
}

TEST(payloads_nobody_collects_are_freed)
{
	struct weft_alloc_stats before, after;
	struct weft_join_handle h;
	void *r;

	weft_set_panic_hook(silent_hook);
	warm_up();
	weft_alloc_stats(&before);
	/* Joined without asking for the result. */
	ASSERT_EQ(weft_spawn(&h, boom, NULL), 0);
	ASSERT_EQ(weft_join(&h, NULL), WEFT_PANICKED);
	/* Collected, then freed by the collector. */
	ASSERT_EQ(weft_spawn(&h, boom, NULL), 0);
	ASSERT_EQ(weft_join(&h, &r), WEFT_PANICKED);
	weft_panic_free(r);
	weft_panic_free(NULL);
	weft_alloc_stats(&after);
	ASSERT_EQ(after.blocks, before.blocks);
}

static void *panic_when_told(void *arg)
{
	while (!atomic_load((_Atomic int *)arg))
		weft_park();
	weft_panic("detached and panicking");
}

TEST(detached_threads_free_their_payloads)
{
	struct weft_alloc_stats before, after;
	struct test_leak_baseline base;
	struct weft_join_handle h;
	_Atomic int go = 0;
	struct weft_thread *t;

	weft_set_panic_hook(silent_hook);
	warm_up();
	test_leak_baseline_take(&base);
	weft_alloc_stats(&before);

	/* Detached while running: the thread frees its own payload as it ends. */
	ASSERT_EQ(weft_spawn(&h, panic_when_told, &go), 0);
	t = weft_join_handle_thread(&h);
	weft_thread_get(t);
	ASSERT_EQ(weft_detach(&h), 0);
	atomic_store(&go, 1);
	weft_unpark(t);
	weft_thread_put(t);
	/* Its last acts are to free the payload, unmap its stack and exit. */
	test_wait_for_baseline(&base);

	/* Detached after it ended: weft_detach() frees the payload. */
	ASSERT_EQ(weft_spawn(&h, boom, NULL), 0);
	weft_native_wait_exit(h.native);
	ASSERT_EQ(weft_detach(&h), 0);

	weft_alloc_stats(&after);
	ASSERT_EQ(after.blocks, before.blocks);
}

/* ---- weft_catch_panic() and weft_resume_panic() ------------------------- */

static void *panic_with_arg(void *arg)
{
	weft_panic("caught: %s", (const char *)arg);
}

static void *catch_in_thread(void *arg)
{
	void *r = NULL;
	int ret;

	ret = weft_catch_panic(panic_with_arg, "inside", &r);
	if (ret != WEFT_PANICKED || weft_panicking())
		return (void *)-1L;
	if (weft_strcmp(weft_panic_message(r), "caught: inside"))
		return (void *)-2L;
	weft_panic_free(r);
	ret = weft_catch_panic(return_seven, NULL, &r);
	return ret == 0 && r == (void *)7 ? (void *)1L : (void *)-3L;
}

TEST(catch_panic_inside_a_thread_and_the_thread_goes_on)
{
	struct weft_join_handle h;
	void *r = NULL;

	weft_set_panic_hook(silent_hook);
	ASSERT_EQ(weft_spawn(&h, catch_in_thread, NULL), 0);
	ASSERT_EQ(weft_join(&h, &r), 0);
	ASSERT_EQ((long)r, 1);
}

/* A double in a panic's arguments is read and skipped, not mistaken for the next one. */
static void *panic_with_a_double(void *arg)
{
	/* Three integers fill the last argument registers: the string is on the stack. */
	weft_panic("ratio %.2f %d%d%d of %s", 0.5, 1, 2, 3, (const char *)arg);
}

TEST(panic_message_skips_a_float_conversion)
{
	void *r = NULL;

	weft_set_panic_hook(silent_hook);
	ASSERT_EQ(weft_catch_panic(panic_with_a_double, "the budget", &r), WEFT_PANICKED);
	ASSERT_STREQ(weft_panic_message(r), "ratio %!.2f 123 of the budget");
	weft_panic_free(r);
}

TEST(catch_panic_in_main_returns_0_or_1_and_the_result)
{
	void *r = NULL;

	weft_set_panic_hook(silent_hook);
	ASSERT_EQ(weft_catch_panic(return_seven, NULL, &r), 0);
	ASSERT_EQ(r, (void *)7);
	ASSERT_EQ(weft_catch_panic(panic_with_arg, "main", &r), WEFT_PANICKED);
	ASSERT_STREQ(weft_panic_message(r), "caught: main");
	weft_panic_free(r);
	ASSERT_FALSE(weft_panicking());
	/* A NULL result pointer frees the payload. */
	ASSERT_EQ(weft_catch_panic(panic_with_arg, "dropped", NULL), WEFT_PANICKED);
	ASSERT_EQ(weft_catch_panic(return_seven, NULL, NULL), 0);
	ASSERT_EQ(weft_panic_message(NULL), NULL);
}

/* Values live in callee-saved registers across the boundary must survive the jump. */
static __attribute__((noinline)) long mix(long a, long b)
{
	__asm__ volatile("" ::: "memory");
	return a * 31 + b;
}

static __attribute__((noinline)) void *deep(void *arg)
{
	long depth = (long)arg;
	volatile char frame[64];

	frame[0] = (char)depth;
	if (depth < 0)
		return NULL;	/* never: keeps gcc from calling this an infinite recursion */
	if (depth == 0)
		weft_panic("bottom");
	deep((void *)(depth - 1));
	return (void *)(long)frame[0];
}

TEST(callee_saved_registers_survive_the_unwind)
{
	long a = mix(1, 2), b = mix(3, 4), c = mix(5, 6), d = mix(7, 8), e = mix(9, 10);
	long f = mix(11, 12);
	void *r;

	weft_set_panic_hook(silent_hook);
	ASSERT_EQ(weft_catch_panic(deep, (void *)200, &r), WEFT_PANICKED);
	weft_panic_free(r);
	/* Used after the call, so the compiler keeps them in callee-saved registers. */
	ASSERT_EQ(mix(a, mix(b, mix(c, mix(d, mix(e, f))))),
		  mix(mix(1, 2), mix(mix(3, 4), mix(mix(5, 6), mix(mix(7, 8),
		  mix(mix(9, 10), mix(11, 12)))))));
}

static void *nested_catch(void *arg)
{
	void *inner;

	/* Catch, then re-raise: the outer boundary gets the same payload. */
	if (weft_catch_panic(panic_with_arg, arg, &inner) == WEFT_PANICKED)
		weft_resume_panic(inner);
	return NULL;
}

static int hook_calls;

static void counting_hook(const struct weft_panic_info *info)
{
	hook_calls++;
}

TEST(resume_panic_reaches_the_enclosing_boundary_without_the_hook)
{
	void *r = NULL;

	weft_set_panic_hook(counting_hook);
	ASSERT_EQ(weft_catch_panic(nested_catch, "twice", &r), WEFT_PANICKED);
	ASSERT_STREQ(weft_panic_message(r), "caught: twice");
	ASSERT_EQ(hook_calls, 1);
	weft_panic_free(r);
	ASSERT_FALSE(weft_panicking());
}

static void *resume_joined(void *arg)
{
	struct weft_join_handle h;
	void *payload;

	/* A joined thread's panic, propagated as Rust's resume_unwind(join().unwrap_err()). */
	if (weft_spawn(&h, boom, NULL) || weft_join(&h, &payload) != WEFT_PANICKED)
		return NULL;
	weft_resume_panic(payload);
}

TEST(a_joined_payload_can_be_resumed_in_the_joiner)
{
	void *r = NULL;

	weft_set_panic_hook(counting_hook);
	ASSERT_EQ(weft_catch_panic(resume_joined, NULL, &r), WEFT_PANICKED);
	ASSERT_STREQ(weft_panic_message(r), "boom 42 in a thread");
	ASSERT_EQ(hook_calls, 1);	/* the thread's panic; not the resume */
	weft_panic_free(r);
}

/* ---- hooks -------------------------------------------------------------- */

static struct {
	char thread[32], file[64], message[64];
	int line;
	bool panicking, green;
} seen;

static void recording_hook(const struct weft_panic_info *info)
{
	weft_strlcpy(seen.thread, info->thread_name, sizeof(seen.thread));
	weft_strlcpy(seen.file, info->file, sizeof(seen.file));
	weft_strlcpy(seen.message, info->message, sizeof(seen.message));
	seen.line = info->line;
	seen.panicking = weft_panicking();
	seen.green = info->green;
}

TEST(set_panic_hook_replaces_and_returns_the_previous_hook)
{
	struct weft_builder b = { .name = "hooked" };
	struct weft_join_handle h;

	ASSERT_EQ(weft_set_panic_hook(recording_hook), weft_default_panic_hook);
	ASSERT_EQ(weft_builder_spawn(&b, &h, boom, NULL), 0);
	ASSERT_EQ(weft_join(&h, NULL), WEFT_PANICKED);
	ASSERT_STREQ(seen.thread, "hooked");
	ASSERT_STREQ(seen.file, __FILE__);
	ASSERT_EQ(seen.line, BOOM_LINE);
	ASSERT_STREQ(seen.message, "boom 42 in a thread");
	ASSERT_TRUE(seen.panicking);	/* the hook runs with the panic in flight */
	ASSERT_FALSE(seen.green);
	ASSERT_EQ(weft_set_panic_hook(counting_hook), recording_hook);
	ASSERT_EQ(weft_set_panic_hook(NULL), counting_hook);
	ASSERT_EQ(weft_set_panic_hook(NULL), weft_default_panic_hook);
}

static void catch_with_silent_hook(void *arg)
{
	weft_set_panic_hook(silent_hook);
	weft_catch_panic(panic_with_arg, "quiet", NULL);
	weft_dprintf(2, "only this\n");
}

TEST(a_hook_decides_what_is_printed)
{
	char err[256];
	int status = test_run_child(catch_with_silent_hook, NULL, err, sizeof(err));

	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT_STREQ(err, "only this\n");
}

/* ---- panics with no boundary; panics inside panics ---------------------- */

enum { MAIN_LINE = __LINE__ + 3 };
static void panic_in_main(void *arg)
{
	weft_panic("main is %s", "done");
}

TEST(a_panic_in_main_exits_101_with_the_message)
{
	char err[512], want[256];
	int status = test_run_child(panic_in_main, NULL, err, sizeof(err));

	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 101);
	expected_report(want, sizeof(want), "main", MAIN_LINE, "main is done");
	ASSERT_STREQ(err, want);
}

static __attribute__((noreturn)) void *spin_forever(void *arg)
{
	for (;;)
		weft_park();
}

static void panic_in_main_with_threads_running(void *arg)
{
	struct weft_join_handle h;

	weft_spawn(&h, spin_forever, NULL);
	weft_panic("the others die with me");
}

TEST(a_panic_in_main_ends_the_whole_process)
{
	char err[512];
	int status = test_run_child(panic_in_main_with_threads_running, NULL, err, sizeof(err));

	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 101);
	ASSERT_NE_NULL(weft_strstr(err, "the others die with me\n"));
}

static void panicking_hook(const struct weft_panic_info *info)
{
	weft_default_panic_hook(info);
	weft_panic("from the hook");
}

static void *panic_with_panicking_hook(void *arg)
{
	weft_set_panic_hook(panicking_hook);
	weft_panic("first");
}

static void run_panic_inside_panic(void *arg)
{
	struct weft_join_handle h;

	if (weft_spawn(&h, panic_with_panicking_hook, NULL) == 0)
		weft_join(&h, NULL);
	weft_dprintf(2, "not reached\n");
}

TEST(a_panic_inside_a_panic_aborts)
{
	char err[1024];
	int status = test_run_child(run_panic_inside_panic, NULL, err, sizeof(err));

	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGABRT);
	ASSERT_NE_NULL(weft_strstr(err, "thread '<unnamed>' panicked at "));
	ASSERT_NE_NULL(weft_strstr(err, "\nfirst\n"));
	ASSERT_NE_NULL(weft_strstr(err, "\nfrom the hook\n"));
	ASSERT_NE_NULL(weft_strstr(err, "thread '<unnamed>' panicked while processing a panic. "
					"aborting.\n"));
	ASSERT_NULL(weft_strstr(err, "not reached"));
}

/* ---- typed payloads: Rust's panic_any and downcast ------------------------- */

/* Rust's test_try_panic_message_string_literal: a &'static str. */
enum { STATIC_STR_LINE = __LINE__ + 3 };
static void *panic_static_str(void *arg)
{
	weft_panic_any(&weft_panic_static_str, "static string");
}

/* In a child: join the thread, take the &'static str; exit 3 if anything is off. */
static void join_static_str(void *arg)
{
	struct weft_join_handle h;
	void *r = NULL, *value = NULL;

	if (weft_spawn(&h, panic_static_str, NULL) || weft_join(&h, &r) != WEFT_PANICKED ||
	    !weft_panic_is(r, &weft_panic_static_str) || weft_panic_is(r, &weft_panic_string) ||
	    weft_strcmp(weft_panic_message(r), "static string") ||
	    weft_panic_downcast(r, &weft_panic_static_str, &value) ||
	    weft_strcmp(value, "static string"))
		weft_exit(3);
}

TEST(a_static_string_payload_is_a_static_str)
{
	char err[256], want[256];
	int status = test_run_child(join_static_str, NULL, err, sizeof(err));

	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	/* The report prints a string payload's text, as Rust's default hook does. */
	expected_report(want, sizeof(want), "<unnamed>", STATIC_STR_LINE, "static string");
	ASSERT_STREQ(err, want);
}

/* Rust's test_try_panic_any_message_owned_str: a String, what weft_panic() makes. */
static void *panic_owned_str(void *arg)
{
	weft_panic("%s %s", "owned", "string");
}

TEST(a_formatted_message_is_an_owned_string_the_catcher_may_take)
{
	struct weft_join_handle h;
	void *r = NULL;
	char *text = NULL;

	weft_set_panic_hook(silent_hook);
	ASSERT_EQ(weft_spawn(&h, panic_owned_str, NULL), 0);
	ASSERT_EQ(weft_join(&h, &r), WEFT_PANICKED);
	ASSERT_TRUE(weft_panic_is(r, &weft_panic_string));
	ASSERT_STREQ(weft_panic_type_of(r)->name, "String");
	ASSERT_EQ(weft_panic_downcast(r, &weft_panic_string, (void **)&text), 0);
	ASSERT_STREQ(text, "owned string");
	weft_free(text);	/* ours now */
	weft_set_panic_hook(NULL);
}

/* A u16 on the heap, with a destructor that counts. */
static _Atomic int u16_destroyed;
static void u16_free(void *value)
{
	atomic_fetch_add(&u16_destroyed, 1);
	weft_free(value);
}
static const struct weft_panic_type u16_type = { "u16", u16_free };

/* Rust's test_try_panic_any_message_any: a Box<dyn Any> holding a boxed u16 413. */
static void *panic_boxed_u16(void *arg)
{
	uint16_t *v = weft_malloc(sizeof(*v));
	struct weft_panic *inner;

	*v = 413;
	inner = weft_panic_new(&u16_type, v);
	weft_panic_any(&weft_panic_boxed, inner);
}

TEST(a_boxed_u16_inside_a_box_comes_out_as_413)
{
	struct weft_join_handle h;
	void *r = NULL, *inner = NULL;
	uint16_t *v = NULL;

	u16_destroyed = 0;
	weft_set_panic_hook(silent_hook);
	ASSERT_EQ(weft_spawn(&h, panic_boxed_u16, NULL), 0);
	ASSERT_EQ(weft_join(&h, &r), WEFT_PANICKED);
	ASSERT_NULL(weft_panic_message(r));	/* not a string: the hook said "Box<dyn Any>" */
	ASSERT_TRUE(weft_panic_is(r, &weft_panic_boxed));
	ASSERT_EQ(weft_panic_downcast(r, &weft_panic_boxed, &inner), 0);
	ASSERT_TRUE(weft_panic_is(inner, &u16_type));
	ASSERT_EQ(weft_panic_downcast(inner, &u16_type, (void **)&v), 0);
	ASSERT_EQ(*v, 413);
	ASSERT_EQ(u16_destroyed, 0);	/* taken, not destroyed */
	weft_free(v);
	weft_set_panic_hook(NULL);
}

/* Rust's test_try_panic_any_message_unit_struct: a type with no value at all. */
static const struct weft_panic_type juju_type = { "struct juju", NULL };

static void *panic_juju(void *arg)
{
	weft_panic_any(&juju_type, NULL);
}

TEST(a_unit_struct_payload_is_told_apart_by_its_type)
{
	static const struct weft_panic_type other = { "struct juju", NULL };	/* same name */
	void *r = NULL, *value = (void *)1;

	weft_set_panic_hook(silent_hook);
	ASSERT_EQ(weft_catch_panic(panic_juju, NULL, &r), WEFT_PANICKED);
	ASSERT_TRUE(weft_panic_is(r, &juju_type));
	ASSERT_FALSE(weft_panic_is(r, &other));	/* the address is the identity */
	/* A wrong downcast leaves the payload with the caller (Rust's Err(self)). */
	ASSERT_EQ(weft_panic_downcast(r, &weft_panic_string, &value), -EINVAL);
	ASSERT_EQ(value, (void *)1);
	ASSERT_EQ(weft_panic_downcast(r, &juju_type, &value), 0);
	ASSERT_NULL(value);
	ASSERT_EQ(weft_panic_downcast(NULL, &juju_type, &value), -EINVAL);
	weft_set_panic_hook(NULL);
}

/* A payload nobody takes: destroyed exactly once, whoever drops it. */
static _Atomic int untaken_destroyed;
static struct weft_thread *untaken_waiter;
static void untaken_free(void *value)
{
	weft_free(value);
	atomic_fetch_add(&untaken_destroyed, 1);
	weft_unpark(untaken_waiter);
}
static const struct weft_panic_type untaken_type = { "struct untaken", untaken_free };

static void *panic_untaken(void *arg)
{
	weft_panic_any(&untaken_type, weft_malloc(32));
}

static void *panic_untaken_boxed(void *arg)
{
	weft_panic_any(&weft_panic_boxed, weft_panic_new(&untaken_type, weft_malloc(32)));
}

static void *panic_untaken_scoped(struct weft_scope *s, void *arg)
{
	weft_panic_any(&untaken_type, weft_malloc(32));
}

static void *scope_leaves_untaken(struct weft_scope *s, void *arg)
{
	weft_scope_spawn(s, NULL, panic_untaken_scoped, NULL);
	return NULL;
}

static void *run_scope_leaving_untaken(void *arg)
{
	return weft_scope(scope_leaves_untaken, NULL);
}

TEST(a_payload_nobody_takes_is_destroyed_exactly_once)
{
	struct test_leak_baseline before;
	struct weft_join_handle h;
	void *r = NULL;

	weft_set_panic_hook(silent_hook);
	untaken_waiter = weft_current();
	/* Warm up: the allocator's chunks, a scope, the stack cache. */
	ASSERT_EQ(weft_catch_panic(run_scope_leaving_untaken, NULL, &r), WEFT_PANICKED);
	weft_panic_free(r);
	untaken_destroyed = 0;
	test_leak_baseline_take(&before);
	/* weft_join() with a NULL result. */
	ASSERT_EQ(weft_spawn(&h, panic_untaken, NULL), 0);
	ASSERT_EQ(weft_join(&h, NULL), WEFT_PANICKED);
	ASSERT_EQ(untaken_destroyed, 1);
	/* A detached thread: it drops its own payload, and tells us. */
	ASSERT_EQ(weft_spawn(&h, panic_untaken, NULL), 0);
	ASSERT_EQ(weft_detach(&h), 0);
	while (atomic_load(&untaken_destroyed) < 2)
		weft_park();
	/* It unmaps its own stack after that. */
	test_wait_for_baseline(&before);
	/* weft_catch_panic() with a NULL result. */
	ASSERT_EQ(weft_catch_panic(panic_untaken, NULL, NULL), WEFT_PANICKED);
	ASSERT_EQ(untaken_destroyed, 3);
	/* The catcher's weft_panic_free(): the destructor, then the box. */
	ASSERT_EQ(weft_catch_panic(panic_untaken, NULL, &r), WEFT_PANICKED);
	ASSERT_EQ(untaken_destroyed, 3);
	weft_panic_free(r);
	ASSERT_EQ(untaken_destroyed, 4);
	/* Inside another payload: freeing the outer box destroys the inner value once. */
	ASSERT_EQ(weft_spawn(&h, panic_untaken_boxed, NULL), 0);
	ASSERT_EQ(weft_join(&h, NULL), WEFT_PANICKED);
	ASSERT_EQ(untaken_destroyed, 5);
	/* A scope's unjoined thread: the scope drops it (and panics itself). */
	ASSERT_EQ(weft_catch_panic(run_scope_leaving_untaken, NULL, &r), WEFT_PANICKED);
	ASSERT_EQ(untaken_destroyed, 6);
	ASSERT_STREQ(weft_panic_message(r), "a scoped thread panicked");
	weft_panic_free(r);
	ASSERT_NO_LEAK(&before);
	weft_set_panic_hook(NULL);
}

/* ---- out of memory ------------------------------------------------------ */

TEST(a_message_too_big_to_allocate_still_panics)
{
	static char big[1 << 20];
	void *r = NULL;

	weft_set_panic_hook(silent_hook);
	memset(big, 'x', sizeof(big) - 1);
	/* A 1 MiB message is a large block: its own mmap, which fails. */
	weft_fault_inject(__NR_mmap, WEFT_FAULT_EVERY, ENOMEM);
	ASSERT_EQ(weft_catch_panic(panic_with_arg, big, &r), WEFT_PANICKED);
	weft_fault_clear();
	ASSERT_STREQ(weft_panic_message(r), "(out of memory while making the panic payload)");
	weft_panic_free(r);	/* the static payload: a no-op */
	ASSERT_FALSE(weft_panicking());
}

/* ---- thread-local destructors after a panic ----------------------------------- */

struct dtor_record {
	_Atomic int ran;
	_Atomic int panicking;
};

static struct dtor_record dtor_seen;

static void note_dtor(long *value)
{
	atomic_store(&dtor_seen.panicking, weft_panicking());
	atomic_fetch_add(&dtor_seen.ran, (int)*value);
}

WEFT_THREAD_LOCAL(long, noted, 0, note_dtor);

static void *set_local_then(void *arg)
{
	weft_local_set(noted, 1);
	if (arg)
		weft_panic("%s", (const char *)arg);
	return NULL;
}

TEST(tls_destructors_run_after_a_panic_with_panicking_true)
{
	struct weft_join_handle h;

	weft_set_panic_hook(silent_hook);
	ASSERT_EQ(weft_spawn(&h, set_local_then, "with a destructor pending"), 0);
	ASSERT_EQ(weft_join(&h, NULL), WEFT_PANICKED);
	ASSERT_EQ(atomic_load(&dtor_seen.ran), 1);
	ASSERT_EQ(atomic_load(&dtor_seen.panicking), 1);

	/* The same destructor after a normal return sees no panic. */
	ASSERT_EQ(weft_spawn(&h, set_local_then, NULL), 0);
	ASSERT_EQ(weft_join(&h, NULL), 0);
	ASSERT_EQ(atomic_load(&dtor_seen.ran), 2);
	ASSERT_EQ(atomic_load(&dtor_seen.panicking), 0);
}

static void say_dtor(long *value)
{
	weft_dprintf(2, "destructor %ld, panicking %d\n", *value, weft_panicking());
}

WEFT_THREAD_LOCAL(long, said, 0, say_dtor);

static void main_panics_with_a_local(void *arg)
{
	weft_set_panic_hook(silent_hook);
	weft_local_set(said, 100);
	weft_panic("main, with a destructor pending");
}

TEST(a_panic_in_main_runs_mains_destructors_then_exits_101)
{
	char err[256];
	int status = test_run_child(main_panics_with_a_local, NULL, err, sizeof(err));

	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 101);
	ASSERT_STREQ(err, "destructor 100, panicking 1\n");
}

static void panic_in_dtor(long *value)
{
	weft_panic("destructor %ld panics", *value);
}

WEFT_THREAD_LOCAL(long, bomb, 0, panic_in_dtor);

static void *arm_bomb_then(void *arg)
{
	weft_local_set(bomb, 7);
	if (arg)
		weft_panic("%s", (const char *)arg);
	return NULL;
}

static void run_arm_bomb(void *arg)
{
	struct weft_join_handle h;

	if (weft_spawn(&h, arm_bomb_then, arg) == 0)
		weft_join(&h, NULL);
	weft_dprintf(2, "not reached\n");
}

TEST(a_panic_in_a_destructor_of_a_panicking_thread_aborts)
{
	char err[1024];
	int status = test_run_child(run_arm_bomb, "first panic", err, sizeof(err));

	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGABRT);
	ASSERT_NE_NULL(weft_strstr(err, "\nfirst panic\n"));
	ASSERT_NE_NULL(weft_strstr(err, "\ndestructor 7 panics\n"));
	ASSERT_NE_NULL(weft_strstr(err, "panicked while processing a panic. aborting.\n"));
	ASSERT_NULL(weft_strstr(err, "not reached"));
}

TEST(a_panic_in_a_destructor_with_no_panic_in_flight_aborts)
{
	char err[1024];
	int status = test_run_child(run_arm_bomb, NULL, err, sizeof(err));

	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGABRT);
	ASSERT_NE_NULL(weft_strstr(err, "\ndestructor 7 panics\n"));
	ASSERT_NE_NULL(weft_strstr(err, "fatal runtime error: thread-local destructor panicked, "
					"aborting\n"));
}
