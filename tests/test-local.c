// SPDX-License-Identifier: MIT
/* LocalKey: per-thread values, lazy init, the destructor state machine and its rounds. */
#include <linux/errno.h>
#include <linux/fcntl.h>

#include "weft/alloc.h"
#include "weft/fault.h"
#include "weft/local.h"
#include "weft/panic.h"
#include "weft/thread.h"

#include "harness.h"
#include "kernel-abi/sys.h"
#include "lib/thread.h"

/*
 * The destructor log: each destructor appends a letter. Threads that write
 * it run one at a time, between a spawn and its join.
 */
static char dtor_log[64];
static int dtor_log_len;

static void log_letter(char c)
{
	if (dtor_log_len < (int)sizeof(dtor_log) - 1)
		dtor_log[dtor_log_len++] = c;
}

/* ---- per-thread values and lazy init -------------------------------------- */

static _Atomic int counter_inits;

static long count_init(void)
{
	atomic_fetch_add(&counter_inits, 1);
	return 1000;
}

WEFT_THREAD_LOCAL(long, plain);
WEFT_THREAD_LOCAL(long, counted, count_init());

static void *touch_many_times(void *arg)
{
	long base = (long)arg;

	if (weft_local_get(plain) != 0 || weft_local_get(counted) != 1000)
		return (void *)1;
	for (int i = 0; i < 100; i++) {
		weft_local_set(plain, base + i);
		weft_local_set(counted, weft_local_get(counted) + 1);
		weft_yield();	/* let the other threads interleave */
		if (weft_local_get(plain) != base + i || weft_local_get(counted) != 1001 + i)
			return (void *)2;
	}
	return NULL;
}

TEST(values_are_per_thread_and_init_runs_once_per_thread)
{
	struct weft_join_handle h[8];
	void *r;

	weft_local_set(plain, -1);
	ASSERT_EQ(weft_local_get(counted), 1000);	/* main's own first access */
	ASSERT_EQ(atomic_load(&counter_inits), 1);
	for (int i = 0; i < 8; i++)
		ASSERT_EQ(weft_spawn(&h[i], touch_many_times, (void *)(long)(i * 1000)), 0);
	for (int i = 0; i < 8; i++) {
		ASSERT_EQ(weft_join(&h[i], &r), 0);
		ASSERT_NULL(r);
	}
	ASSERT_EQ(atomic_load(&counter_inits), 9);
	ASSERT_EQ(weft_local_get(plain), -1);
	ASSERT_EQ(weft_local_get(counted), 1000);
	ASSERT_EQ(atomic_load(&counter_inits), 9);
}

struct point {
	int x, y;
};

WEFT_THREAD_LOCAL(struct point, origin, ((struct point){ 3, 4 }));

TEST(states_follow_rusts_machine_and_values_need_no_destructor)
{
	/* A key without a destructor goes straight to REGISTERED and stays there. */
	ASSERT_EQ(weft_local_state(origin), WEFT_LOCAL_UNREGISTERED);
	ASSERT_EQ(weft_local_with(origin)->y, 4);
	ASSERT_EQ(weft_local_state(origin), WEFT_LOCAL_REGISTERED);
	ASSERT_NULL(weft_tcb()->dtors);
	weft_local_with(origin)->x = 7;
	ASSERT_EQ(weft_local_get(origin).x, 7);
}

/* A key shared between files: DECLARE would be in a header, DEFINE in one .c file. */
static int shared_drops;

static void count_shared_drop(int *v)
{
	shared_drops++;
}

WEFT_THREAD_LOCAL_DECLARE(int, shared_local);
WEFT_THREAD_LOCAL_DEFINE(int, shared_local, 3, count_shared_drop);

static void *touch_shared_local(void *arg)
{
	return (void *)(long)weft_local_replace(shared_local, 4);
}

TEST(declare_and_define_make_one_key)
{
	ASSERT_EQ(test_run_in_thread(touch_shared_local, NULL, "shared"), (void *)3);
	ASSERT_EQ(shared_drops, 1);	/* the 4, at exit */
	ASSERT_EQ(weft_local_get(shared_local), 3);
}

/* ---- set, get, take, replace ---------------------------------------------- */

static long dropped[8];
static int dropped_count;

static void record_drop(long *value)
{
	if (dropped_count < 8)
		dropped[dropped_count++] = *value;
}

WEFT_THREAD_LOCAL(long, cell, 10, record_drop);
WEFT_THREAD_LOCAL(long, set_first, 20, record_drop);

TEST(set_destroys_the_old_value_take_and_replace_hand_it_over)
{
	/* set() on a fresh key initialises it with the value: init does not run. */
	ASSERT_EQ(weft_local_set(set_first, 5), 0);
	ASSERT_EQ(weft_local_get(set_first), 5);
	ASSERT_EQ(dropped_count, 0);

	ASSERT_EQ(weft_local_get(cell), 10);
	ASSERT_EQ(weft_local_set(cell, 11), 0);		/* Cell::set drops the old 10 */
	ASSERT_EQ(dropped_count, 1);
	ASSERT_EQ(dropped[0], 10);
	ASSERT_EQ(weft_local_replace(cell, 12), 11);	/* the caller owns 11 now */
	ASSERT_EQ(weft_local_take(cell), 12);		/* and 12, leaving 0 */
	ASSERT_EQ(weft_local_get(cell), 0);
	ASSERT_EQ(dropped_count, 1);
}

/* ---- destructors: order, rounds, refusals ---------------------------------- */

static void log_a(long *v)
{
	log_letter('a');
}

static void log_b(long *v)
{
	log_letter('b');
}

static void log_c(long *v)
{
	log_letter('c');
}

WEFT_THREAD_LOCAL(long, key_a, 1, log_a);
WEFT_THREAD_LOCAL(long, key_b, 2, log_b);
WEFT_THREAD_LOCAL(long, key_c, 3, log_c);

static void *touch_a_b_c(void *arg)
{
	weft_local_get(key_a);
	weft_local_get(key_c);
	weft_local_get(key_b);
	weft_local_get(key_a);	/* a second access registers nothing */
	return NULL;
}

TEST(destructors_run_in_reverse_order_of_registration)
{
	dtor_log_len = 0;
	test_run_in_thread(touch_a_b_c, NULL, "order");
	dtor_log[dtor_log_len] = 0;
	ASSERT_STREQ(dtor_log, "bca");
}

/* The init of `outer` touches `inner`: inner registers first, so it dies last. */
static void log_inner(long *v)
{
	log_letter('i');
}

static void log_outer(long *v)
{
	log_letter('o');
}

WEFT_THREAD_LOCAL(long, inner, 1, log_inner);
WEFT_THREAD_LOCAL(long, outer, weft_local_get(inner) + 1, log_outer);

static void *touch_outer(void *arg)
{
	return (void *)weft_local_get(outer);
}

TEST(a_key_used_by_an_init_outlives_the_key_it_initialised)
{
	dtor_log_len = 0;
	ASSERT_EQ(test_run_in_thread(touch_outer, NULL, "init-order"), (void *)2);
	dtor_log[dtor_log_len] = 0;
	ASSERT_STREQ(dtor_log, "oi");
}

/* late: first touched by first's destructor, destroyed in the next round. */
static void log_late(long *v)
{
	log_letter('L');
}

WEFT_THREAD_LOCAL(long, late, 1, log_late);

static void first_touches_late(long *v)
{
	log_letter('F');
	/* key_a has already run in this round: refused, not re-initialised. */
	if (weft_local_try_with(key_a) != NULL)
		log_letter('!');
	weft_local_set(late, 2);
}
WEFT_THREAD_LOCAL(long, first, 1, first_touches_late);

static void *touch_first_then_a_b(void *arg)
{
	weft_local_get(first);
	weft_local_get(key_b);
	weft_local_get(key_a);
	return NULL;
}

TEST(a_destructor_may_initialise_a_key_whose_destructor_runs_next_round)
{
	dtor_log_len = 0;
	test_run_in_thread(touch_first_then_a_b, NULL, "rounds");
	dtor_log[dtor_log_len] = 0;
	/* Round 1: a, b, F (reverse registration); round 2: L. */
	ASSERT_STREQ(dtor_log, "abFL");
}

/* Two keys whose destructors set each other: each runs once more at most. */
static long ping_values[8], pong_values[8];
static int ping_calls, pong_calls, ping_set_pong, pong_set_ping;

static void ping_dtor(long *v);
static void pong_dtor(long *v);
WEFT_THREAD_LOCAL(long, ping, 1, ping_dtor);
WEFT_THREAD_LOCAL(long, pong, 1, pong_dtor);

static void ping_dtor(long *v)
{
	ping_values[ping_calls++ & 7] = *v;
	if (weft_local_try_with(ping) == NULL)	/* not while its exit destructor runs */
		ping_set_pong = weft_local_set(pong, 100 + *v);
}

static void pong_dtor(long *v)
{
	pong_values[pong_calls++ & 7] = *v;
	if (weft_local_try_with(pong) == NULL)
		pong_set_ping = weft_local_set(ping, 200 + *v);
}

static void *touch_ping_pong(void *arg)
{
	weft_local_get(ping);
	weft_local_get(pong);
	return NULL;
}

TEST(destructors_that_set_each_other_stop)
{
	test_run_in_thread(touch_ping_pong, NULL, "ping-pong");
	/*
	 * pong (registered last) runs first and sets ping: ping is alive, so
	 * Cell::set drops its old value (ping's dtor on 1, no exit yet) and
	 * keeps 201. Then ping's exit destructor runs on 201 and tries to set
	 * pong, which has run: refused, and it all stops.
	 */
	ASSERT_EQ(pong_calls, 1);
	ASSERT_EQ(pong_values[0], 1);
	ASSERT_EQ(pong_set_ping, 0);
	ASSERT_EQ(ping_calls, 2);
	ASSERT_EQ(ping_values[0], 1);
	ASSERT_EQ(ping_values[1], 201);
	ASSERT_EQ(ping_set_pong, -EBUSY);
}

/* Inside its own destructor a key reports the access error and keeps its state. */
static int self_try_null, self_set_err, self_state, other_ok;
static void self_check(long *v);
WEFT_THREAD_LOCAL(long, self_key, 5, self_check);

static void self_check(long *v)
{
	self_try_null = weft_local_try_with(self_key) == NULL;
	self_set_err = weft_local_set(self_key, 6);
	self_state = weft_local_state(self_key);
	/* Keys without a destructor are never destroyed. */
	other_ok = weft_local_try_with(origin) != NULL && *v == 5;
}

static void *touch_self_key(void *arg)
{
	return (void *)weft_local_get(self_key);
}

TEST(access_inside_its_own_destructor_is_an_access_error)
{
	ASSERT_EQ(test_run_in_thread(touch_self_key, NULL, "self"), (void *)5);
	ASSERT_TRUE(self_try_null);
	ASSERT_EQ(self_set_err, -EBUSY);
	ASSERT_EQ(self_state, WEFT_LOCAL_RUNNING_OR_HAS_RUN);
	ASSERT_TRUE(other_ok);
}

static void panic_in_own_dtor(long *v);
WEFT_THREAD_LOCAL(long, strict_key, 1, panic_in_own_dtor);

static void panic_in_own_dtor(long *v)
{
	weft_local_get(strict_key);	/* with(): panics, and a destructor may not panic */
}

static void *touch_strict_key(void *arg)
{
	return (void *)weft_local_get(strict_key);
}

static void spawn_strict(void *arg)
{
	test_run_in_thread(touch_strict_key, NULL, "strict");
}

TEST(with_inside_its_own_destructor_panics_and_aborts)
{
	char err[1024];
	int status = test_run_child(spawn_strict, NULL, err, sizeof(err));

	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGABRT);
	ASSERT_NE_NULL(weft_strstr(err, "cannot access a Thread Local Storage value during or "
				   "after destruction"));
	ASSERT_NE_NULL(weft_strstr(err, "strict_key"));
	ASSERT_NE_NULL(weft_strstr(err, "thread-local destructor panicked"));
}

/*
 * An init that touches its own key, as Rust's thread_local! allows: the
 * inner access runs the init again, nested; the outer init finishes last,
 * so its value is installed and the inner one destroyed at once. The
 * destructor is registered once: the installed value dies once, at exit.
 */
static int recursive_depth;
static long recursive_seen;
static long recursive_init(void);
static void recursive_dtor(long *v)
{
	log_letter((char)('0' + *v));
}
WEFT_THREAD_LOCAL(long, recursive, recursive_init(), recursive_dtor);

static long recursive_init(void)
{
	int me = ++recursive_depth;	/* outer 1, nested 2 */

	if (me == 1)
		recursive_seen = weft_local_get(recursive);	/* nested: 2 */
	return me;
}

static void *touch_recursive(void *arg)
{
	(void)arg;
	recursive_depth = 0;
	if (weft_local_get(recursive) != 1 || recursive_seen != 2)
		return (void *)1;
	if (weft_local_state(recursive) != WEFT_LOCAL_REGISTERED)
		return (void *)2;
	log_letter('|');	/* the inner value died before this, the outer after */
	return NULL;
}

TEST(an_init_that_touches_its_own_key_nests_and_the_last_to_finish_wins)
{
	dtor_log_len = 0;
	ASSERT_NULL(test_run_in_thread(touch_recursive, NULL, "recursive"));
	dtor_log[dtor_log_len] = 0;
	ASSERT_STREQ(dtor_log, "2|1");
}

/* Indirectly, through weft_local_set() inside the init: the init's value still wins. */
static long set_inside_init(void);
static void set_inside_dtor(long *v)
{
	log_letter((char)('a' + *v));
}
WEFT_THREAD_LOCAL(long, set_inside, set_inside_init(), set_inside_dtor);

static long set_inside_init(void)
{
	if (weft_local_set(set_inside, 1) != 0)
		return 7;
	return 2;
}

static void *touch_set_inside(void *arg)
{
	(void)arg;
	if (weft_local_get(set_inside) != 2)
		return (void *)1;
	log_letter('|');
	return NULL;
}

TEST(a_set_inside_the_init_is_replaced_by_the_init_value_and_destroyed)
{
	dtor_log_len = 0;
	ASSERT_NULL(test_run_in_thread(touch_set_inside, NULL, "set-inside"));
	dtor_log[dtor_log_len] = 0;
	ASSERT_STREQ(dtor_log, "b|c");
}

/* ---- in which thread, with what value, before join ------------------------- */

struct owned {
	struct weft_thread *owner;
	long value;
};

static _Atomic int owned_ok, owned_bad;

static void check_owner(struct owned *o)
{
	if (o->owner == weft_current() && o->value == (long)weft_thread_id(o->owner))
		atomic_fetch_add(&owned_ok, 1);
	else
		atomic_fetch_add(&owned_bad, 1);
}

WEFT_THREAD_LOCAL(struct owned, owned_key, ((struct owned){ 0, 0 }), check_owner);

static void *set_owned(void *arg)
{
	struct weft_thread *self = weft_current();

	weft_local_set(owned_key, ((struct owned){ self, (long)weft_thread_id(self) }));
	weft_yield();
	return NULL;
}

TEST(values_are_destroyed_in_their_threads_with_their_own_values)
{
	struct weft_join_handle h[16];

	for (int i = 0; i < 16; i++)
		ASSERT_EQ(weft_spawn(&h[i], set_owned, NULL), 0);
	for (int i = 0; i < 16; i++)
		ASSERT_EQ(weft_join(&h[i], NULL), 0);
	ASSERT_EQ(atomic_load(&owned_ok), 16);
	ASSERT_EQ(atomic_load(&owned_bad), 0);
}

/*
 * join() waits for destructors: the destructor holds on until main has
 * seen is_finished() == 0 mid-destructor, then finishes after main started
 * to join.
 */
static struct weft_thread *main_thread;
static _Atomic int dtor_started, main_checked, dtor_finished;

static void slow_dtor(long *v)
{
	atomic_store(&dtor_started, 1);
	weft_unpark(main_thread);
	while (!atomic_load(&main_checked))
		weft_park();
	for (int i = 0; i < 100; i++)
		weft_yield();	/* main is in join() by now, most likely */
	atomic_store(&dtor_finished, 1);
}
WEFT_THREAD_LOCAL(long, slow_key, 1, slow_dtor);

static void *touch_slow_key(void *arg)
{
	return (void *)weft_local_get(slow_key);
}

TEST(join_returns_after_the_destructors)
{
	struct weft_join_handle h;

	main_thread = weft_current();
	ASSERT_EQ(weft_spawn(&h, touch_slow_key, NULL), 0);
	while (!atomic_load(&dtor_started))
		weft_park();
	ASSERT_EQ(weft_is_finished(&h), 0);
	ASSERT_EQ(atomic_load(&dtor_finished), 0);
	atomic_store(&main_checked, 1);
	weft_unpark(weft_join_handle_thread(&h));
	ASSERT_EQ(weft_join(&h, NULL), 0);
	ASSERT_EQ(atomic_load(&dtor_finished), 1);
}

/* ---- ThreadInfo: weft_current() and the guard range live in the TCB ------- */

static char seen_name[32];
static int seen_current_ok, seen_guard_ok;
static uintptr_t start_guard_lo, start_guard_hi;

static void look_at_thread_info(long *v)
{
	struct weft_thread *t = weft_current();

	seen_current_ok = t != NULL && weft_thread_id(t) == (weft_thread_id_t)*v;
	weft_strlcpy(seen_name, t && weft_thread_name(t) ? weft_thread_name(t) : "?",
		     sizeof(seen_name));
	seen_guard_ok = weft_tcb()->guard_lo == start_guard_lo &&
			weft_tcb()->guard_hi == start_guard_hi && start_guard_hi > start_guard_lo;
}
WEFT_THREAD_LOCAL(long, info_key, 0, look_at_thread_info);

static void *remember_thread_info(void *arg)
{
	start_guard_lo = weft_tcb()->guard_lo;
	start_guard_hi = weft_tcb()->guard_hi;
	weft_local_set(info_key, (long)weft_thread_id(weft_current()));
	return NULL;
}

TEST(current_name_and_guard_range_survive_into_destructors)
{
	test_run_in_thread(remember_thread_info, NULL, "info-thread");
	ASSERT_TRUE(seen_current_ok);
	ASSERT_STREQ(seen_name, "info-thread");
	ASSERT_TRUE(seen_guard_ok);
}

/* ---- registration cannot fail: the node is in the slot --------------------- */

static _Atomic int nomem_dtor_ran;
static void nomem_dtor(long *v)
{
	atomic_fetch_add(&nomem_dtor_ran, 1);
}

WEFT_THREAD_LOCAL(long, nomem_key, 7, nomem_dtor);

static void *touch_with_every_mmap_failing(void *arg)
{
	long *p;

	weft_fault_inject(__NR_mmap, WEFT_FAULT_EVERY, ENOMEM);
	p = weft_local_try_with(nomem_key);
	weft_fault_clear();
	return p && *p == 7 && weft_tcb()->dtors == &nomem_key__weft_slot.node ? p : NULL;
}

TEST(registering_a_destructor_allocates_nothing)
{
	struct weft_alloc_stats before, after;

	weft_alloc_stats(&before);
	ASSERT_NE_NULL(test_run_in_thread(touch_with_every_mmap_failing, NULL, "no-mmap"));
	weft_alloc_stats(&after);
	ASSERT_EQ(atomic_load(&nomem_dtor_ran), 1);
	ASSERT_EQ(after.blocks, before.blocks);
}

/* ---- no leak: heap values made by init, freed by the destructor ------------- */

static char *make_buffer(void)
{
	return weft_malloc(100);
}

static void free_buffer(char **b)
{
	weft_free(*b);
}

WEFT_THREAD_LOCAL(char *, buffer, make_buffer(), free_buffer);
WEFT_THREAD_LOCAL(char *, buffer2, make_buffer(), free_buffer);

static void *use_buffers(void *arg)
{
	weft_local_get(buffer)[0] = 1;
	weft_local_set(buffer2, make_buffer());	/* the init's buffer is never made */
	weft_local_set(buffer2, make_buffer());	/* and this frees the previous one */
	return NULL;
}

TEST_TIMEOUT(no_leak_across_many_threads, 120)
{
	/* qemu-user leaks host memory per thread and is 5-7x slower to spawn: fewer there. */
	int n = test_under_qemu() ? 1000 : 5000;
	struct test_leak_baseline base;

	test_run_in_thread(use_buffers, NULL, NULL);	/* warm up: allocator chunk, stack cache */
	test_leak_baseline_take(&base);
	for (int i = 0; i < n; i++)
		test_run_in_thread(use_buffers, NULL, NULL);
	ASSERT_NO_LEAK(&base);
}

/* ---- the main thread: at main's return and weft_exit(), not at exit_group ---- */

static void say_main_dtor(long *v)
{
	weft_dprintf(1, "local destructor ran in '%s' with %ld\n",
		     weft_thread_name(weft_current()), *v);
}
WEFT_THREAD_LOCAL(long, main_key, 0, say_main_dtor);

/* Runs before the harness's main() when this binary is started by main_exit_output(). */
__attribute__((constructor)) static void maybe_main_thread_mode(void)
{
	const char *mode = weft_getenv("WEFT_TEST_LOCAL_MAIN");

	if (!mode)
		return;
	weft_local_set(main_key, 77);
	if (!weft_strcmp(mode, "weft_exit"))
		weft_exit(3);
	if (!weft_strcmp(mode, "exit_group"))
		sys_exit_group(4);
	/* "return": the harness's main() runs no test and returns 0. */
}

static int main_exit_output(const char *mode, char *out, size_t size)
{
	char env[64];
	char *envp[] = { env, NULL };
	int status;

	weft_snprintf(env, sizeof(env), "WEFT_TEST_LOCAL_MAIN=%s", mode);
	test_exec_self(envp, 1, out, size, &status);
	return status;
}

TEST(main_thread_destructors_run_when_main_returns_or_weft_exit)
{
	char out[2048];
	int status;
	const char *line = "local destructor ran in 'main' with 77\n";

	status = main_exit_output("return", out, sizeof(out));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	/* After everything main() printed: it ran once main had returned. */
	ASSERT_NE_NULL(weft_strstr(out, "# Totals:"));
	ASSERT_NE_NULL(weft_strstr(weft_strstr(out, "# Totals:"), line));

	status = main_exit_output("weft_exit", out, sizeof(out));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 3);
	ASSERT_STREQ(out, line);

	status = main_exit_output("exit_group", out, sizeof(out));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 4);
	ASSERT_STREQ(out, "");
}
