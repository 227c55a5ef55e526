// SPDX-License-Identifier: MIT
/* The primitives of weft/sync.h used by green threads, alone and mixed with native threads. */
#include <linux/errno.h>

#include "weft/green.h"
#include "weft/panic.h"
#include "weft/sync.h"
#include "weft/thread.h"
#include "weft/time.h"

#include "harness.h"

#define MS (1000ULL * 1000)

/*
 * Four green threads of one OS thread take turns at a mutex and yield
 * while holding it: the others must block in their runtime (a futex wait
 * would stop the OS thread, and with it the holder, for good).
 */
static struct weft_mutex gm;
static long gcount;

static void *green_count(void *arg)
{
	for (int i = 0; i < 250; i++) {
		weft_mutex_lock(&gm);
		long c = gcount;

		weft_green_yield();
		gcount = c + 1;
		weft_mutex_unlock(&gm);
	}
	return NULL;
}

TEST(green_threads_block_on_a_mutex_without_blocking_their_os_thread)
{
	struct weft_green_handle h[4];

	for (int i = 0; i < 4; i++)
		ASSERT_EQ(weft_green_spawn(&h[i], green_count, NULL, NULL), 0);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(weft_green_join(&h[i], NULL), 0);
	ASSERT_EQ(gcount, 1000);
}

/* Mixed: 2 native threads and 4 green threads on each of them, one counter. */
static void *native_with_greens(void *arg)
{
	struct weft_green_handle h[4];

	for (int i = 0; i < 4; i++)
		if (weft_green_spawn(&h[i], green_count, NULL, NULL))
			return (void *)1;
	green_count(NULL);	/* the OS thread itself competes too */
	for (int i = 0; i < 4; i++)
		weft_green_join(&h[i], NULL);
	return NULL;
}

TEST(green_and_native_threads_share_a_mutex)
{
	struct weft_join_handle h[2];
	void *r;

	gcount = 0;
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(weft_spawn(&h[i], native_with_greens, NULL), 0);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(weft_join(&h[i], &r), 0);
		ASSERT_NULL(r);
	}
	ASSERT_EQ(gcount, 2 * 5 * 250);
}

/* Ping-pong on a condvar: green-green, green-native and native-green. */
struct pingpong {
	struct weft_mutex m;
	struct weft_condvar cv;
	int turn;		/* 0: ping's turn, 1: pong's */
	int rounds;
};

static void *ping(void *arg)
{
	struct pingpong *p = arg;

	weft_mutex_lock(&p->m);
	for (int i = 0; i < p->rounds; i++) {
		while (p->turn != 0)
			weft_condvar_wait(&p->cv, &p->m);
		p->turn = 1;
		weft_condvar_notify_one(&p->cv);
	}
	weft_mutex_unlock(&p->m);
	return NULL;
}

static void *pong(void *arg)
{
	struct pingpong *p = arg;

	weft_mutex_lock(&p->m);
	for (int i = 0; i < p->rounds; i++) {
		while (p->turn != 1)
			weft_condvar_wait(&p->cv, &p->m);
		p->turn = 0;
		weft_condvar_notify_one(&p->cv);
	}
	weft_mutex_unlock(&p->m);
	return NULL;
}

TEST(condvar_ping_pong_green_green)
{
	struct pingpong p = { .rounds = 1000 };
	struct weft_green_handle a, b;

	ASSERT_EQ(weft_green_spawn(&a, ping, &p, NULL), 0);
	ASSERT_EQ(weft_green_spawn(&b, pong, &p, NULL), 0);
	ASSERT_EQ(weft_green_join(&a, NULL), 0);
	ASSERT_EQ(weft_green_join(&b, NULL), 0);
	ASSERT_EQ(p.turn, 0);
}

static void *green_pong_runtime(void *arg)
{
	struct weft_green_handle b;

	if (weft_green_spawn(&b, pong, arg, NULL))
		return (void *)1;
	return (void *)(long)weft_green_join(&b, NULL);
}

TEST(condvar_ping_pong_native_and_green_on_another_os_thread)
{
	struct pingpong p = { .rounds = test_under_qemu() ? 200 : 1000 };
	struct weft_join_handle h;
	void *r;

	/* Main (native) pings a green thread that lives on another OS thread. */
	ASSERT_EQ(weft_spawn(&h, green_pong_runtime, &p), 0);
	ping(&p);
	ASSERT_EQ(weft_join(&h, &r), 0);
	ASSERT_NULL(r);
}

static struct weft_once gonce;
static int gonce_runs;

static void gonce_init(void *arg)
{
	gonce_runs++;
	weft_green_yield();	/* the others queue behind us, in the runtime */
	weft_green_yield();
}

static struct weft_barrier gbarrier = WEFT_BARRIER_INIT(5);
static _Atomic int gleaders;

static void *green_once_and_barrier(void *arg)
{
	weft_once_call(&gonce, gonce_init, NULL);
	for (int r = 0; r < 20; r++)
		if (weft_barrier_wait(&gbarrier) == WEFT_BARRIER_LEADER)
			atomic_fetch_add(&gleaders, 1);
	return NULL;
}

static void *native_barrier_party(void *arg)
{
	return green_once_and_barrier(arg);
}

TEST(once_and_barrier_across_green_and_native_parties)
{
	struct weft_green_handle g[3];
	struct weft_join_handle n[2];

	for (int i = 0; i < 2; i++)
		ASSERT_EQ(weft_spawn(&n[i], native_barrier_party, NULL), 0);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(weft_green_spawn(&g[i], green_once_and_barrier, NULL, NULL), 0);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(weft_green_join(&g[i], NULL), 0);
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(weft_join(&n[i], NULL), 0);
	ASSERT_EQ(gonce_runs, 1);
	ASSERT_EQ(atomic_load(&gleaders), 20);
}

/* A green thread's timed lock gives up at its deadline while its sibling runs on. */
static struct weft_mutex tm;
static _Atomic int sibling_ran;

static void *hold_and_spin(void *arg)
{
	weft_mutex_lock(&tm);
	while (!atomic_load((_Atomic int *)arg)) {
		atomic_store(&sibling_ran, 1);
		weft_green_yield();
	}
	weft_mutex_unlock(&tm);
	return NULL;
}

static void *lock_with_deadline(void *arg)
{
	uint64_t deadline = weft_deadline_in(3 * MS);
	int r = weft_mutex_lock_until(&tm, deadline);

	if (r == -ETIMEDOUT && weft_now() < deadline)
		r = -EINTR;	/* early: a failure */
	atomic_store((_Atomic int *)arg, 1);
	return (void *)(long)r;
}

TEST(green_timed_lock_times_out_while_the_holder_runs)
{
	static _Atomic int done;
	struct weft_green_handle a, b;
	void *r;

	ASSERT_EQ(weft_green_spawn(&a, hold_and_spin, &done, NULL), 0);
	ASSERT_EQ(weft_green_spawn(&b, lock_with_deadline, &done, NULL), 0);
	ASSERT_EQ(weft_green_join(&b, &r), 0);
	ASSERT_EQ((long)r, -ETIMEDOUT);
	ASSERT_EQ(weft_green_join(&a, NULL), 0);
	ASSERT_TRUE(atomic_load(&sibling_ran));
	ASSERT_EQ(weft_mutex_trylock(&tm), 0);
	weft_mutex_unlock(&tm);
}

/*
 * The OS thread's own record across green runs: it takes its first lock
 * between two runs, holds it through the second, and a panic caught there
 * afterwards still finds it. The switch back from a green thread installs
 * the record the OS thread had when the run began (lib/green.c): a stale
 * one would make the unlock below a "does not hold" panic.
 */
static struct weft_mutex os_m, green_m;

static void *lock_yield_unlock(void *arg)
{
	(void)arg;
	weft_mutex_lock(&green_m);
	weft_green_yield();
	weft_mutex_unlock(&green_m);
	return NULL;
}

static void *lock_and_panic(void *arg)
{
	(void)arg;
	weft_mutex_lock(&os_m);
	weft_panic("holding os_m");
	return NULL;
}

TEST(the_os_thread_keeps_its_lock_record_across_green_runs)
{
	struct weft_green_handle a, b, c;

	ASSERT_EQ(weft_green_spawn(&a, lock_yield_unlock, NULL, NULL), 0);
	ASSERT_EQ(weft_green_spawn(&b, lock_yield_unlock, NULL, NULL), 0);
	ASSERT_EQ(weft_green_run(), 0);
	ASSERT_EQ(weft_mutex_lock(&os_m), 0);	/* this OS thread's first lock */
	ASSERT_EQ(weft_green_spawn(&c, lock_yield_unlock, NULL, NULL), 0);
	ASSERT_EQ(weft_green_run(), 0);
	ASSERT_FALSE(weft_mutex_is_poisoned(&os_m));
	weft_mutex_unlock(&os_m);
	/* And the record still releases what a caught panic abandons. */
	ASSERT_EQ(weft_catch_panic(lock_and_panic, NULL, NULL), WEFT_PANICKED);
	ASSERT_TRUE(weft_mutex_is_poisoned(&os_m));
	ASSERT_EQ(weft_mutex_lock(&os_m), WEFT_POISONED);
	weft_mutex_unlock(&os_m);
	ASSERT_EQ(weft_green_join(&a, NULL), 0);
	ASSERT_EQ(weft_green_join(&b, NULL), 0);
	ASSERT_EQ(weft_green_join(&c, NULL), 0);
}
