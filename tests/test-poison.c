// SPDX-License-Identifier: MIT
/* Poisoning across weft's jump-based panics: the held-lock record releases what a panic abandons. */
#include <linux/errno.h>

#include "weft/green.h"
#include "weft/local.h"
#include "weft/panic.h"
#include "weft/process.h"
#include "weft/sync.h"
#include "weft/thread.h"
#include "weft/time.h"

#include "harness.h"

static void quiet_hook(const struct weft_panic_info *info)
{
}

static struct weft_mutex pm;
static int protected_value;

static void *lock_and_panic(void *arg)
{
	weft_mutex_lock(&pm);
	protected_value = -1;	/* half-way through an update */
	weft_panic("stage failed");
	return NULL;
}

TEST(a_child_that_panics_holding_the_lock_poisons_it)
{
	struct weft_join_handle h;

	weft_set_panic_hook(quiet_hook);
	ASSERT_EQ(weft_spawn(&h, lock_and_panic, NULL), 0);
	ASSERT_EQ(weft_join(&h, NULL), WEFT_PANICKED);
	ASSERT_TRUE(weft_mutex_is_poisoned(&pm));
	/* Poisoned, and held: another thread cannot get in meanwhile. */
	ASSERT_EQ(weft_mutex_lock(&pm), WEFT_POISONED);
	ASSERT_EQ(weft_mutex_trylock(&pm), -EBUSY);
	ASSERT_EQ(protected_value, -1);
	protected_value = 0;	/* repaired */
	weft_mutex_clear_poison(&pm);
	weft_mutex_unlock(&pm);
	ASSERT_FALSE(weft_mutex_is_poisoned(&pm));
	ASSERT_EQ(weft_mutex_lock(&pm), 0);
	weft_mutex_unlock(&pm);
}

TEST(three_caught_panics_in_a_row_each_relock)
{
	struct weft_panic *p;

	weft_set_panic_hook(quiet_hook);
	weft_mutex_clear_poison(&pm);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(weft_catch_panic(lock_and_panic, NULL, (void **)&p), WEFT_PANICKED);
		weft_panic_free(p);
		/* Not left locked: relocking does not hang, and reports the poison. */
		ASSERT_EQ(weft_mutex_lock(&pm), WEFT_POISONED);
		weft_mutex_unlock(&pm);
	}
	ASSERT_EQ(weft_mutex_lock_until(&pm, 0), WEFT_POISONED);
	weft_mutex_unlock(&pm);
}

/* A lock taken outside the boundary stays held; one taken inside is released. */
static struct weft_mutex outer, inner;

static void *lock_inner_and_panic(void *arg)
{
	weft_mutex_lock(&inner);
	weft_panic("inner");
	return NULL;
}

TEST(only_locks_taken_inside_the_boundary_are_released)
{
	weft_set_panic_hook(quiet_hook);
	ASSERT_EQ(weft_mutex_lock(&outer), 0);
	ASSERT_EQ(weft_catch_panic(lock_inner_and_panic, NULL, NULL), WEFT_PANICKED);
	ASSERT_EQ(weft_mutex_trylock(&outer), -EBUSY);	/* still ours */
	ASSERT_FALSE(weft_mutex_is_poisoned(&outer));
	ASSERT_TRUE(weft_mutex_is_poisoned(&inner));
	ASSERT_EQ(weft_mutex_trylock(&inner), WEFT_POISONED);
	weft_mutex_unlock(&inner);
	weft_mutex_unlock(&outer);
}

/* A lock taken while already panicking (in the hook) does not poison. */
static struct weft_mutex hook_lock;

static void locking_hook(const struct weft_panic_info *info)
{
	weft_mutex_lock(&hook_lock);	/* and never unlocked: the panic jumps on */
}

static void *just_panic(void *arg)
{
	weft_panic("with a locking hook");
	return NULL;
}

TEST(a_lock_taken_while_panicking_does_not_poison)
{
	weft_set_panic_hook(locking_hook);
	ASSERT_EQ(weft_catch_panic(just_panic, NULL, NULL), WEFT_PANICKED);
	weft_set_panic_hook(quiet_hook);
	ASSERT_FALSE(weft_mutex_is_poisoned(&hook_lock));
	ASSERT_EQ(weft_mutex_trylock(&hook_lock), 0);	/* released all the same */
	weft_mutex_unlock(&hook_lock);
}

/* Thread-local destructors of a thread that panicked run while panicking. */
static struct weft_mutex dtor_lock;
static _Atomic int dtor_ran;

static void dtor_locks(int *value)
{
	weft_mutex_lock(&dtor_lock);
	atomic_store(&dtor_ran, weft_panicking() ? 1 : 2);
	weft_mutex_unlock(&dtor_lock);
}

WEFT_THREAD_LOCAL(int, dtor_key, 0, dtor_locks);

static void *touch_key_and_panic(void *arg)
{
	weft_local_set(dtor_key, 1);
	weft_mutex_lock(&pm);
	weft_panic("with a destructor that locks");
	return NULL;
}

TEST(a_lock_taken_during_unwinding_does_not_poison)
{
	struct weft_join_handle h;

	weft_set_panic_hook(quiet_hook);
	weft_mutex_clear_poison(&pm);
	ASSERT_EQ(weft_spawn(&h, touch_key_and_panic, NULL), 0);
	ASSERT_EQ(weft_join(&h, NULL), WEFT_PANICKED);
	ASSERT_EQ(atomic_load(&dtor_ran), 1);
	ASSERT_FALSE(weft_mutex_is_poisoned(&dtor_lock));
	ASSERT_TRUE(weft_mutex_is_poisoned(&pm));
	weft_mutex_clear_poison(&pm);
}

/* Write locks poison; read locks are only released. */
static struct weft_rwlock prw;

static void *write_and_panic(void *arg)
{
	weft_rwlock_write(&prw);
	weft_panic("writer failed");
	return NULL;
}

static void *read_and_panic(void *arg)
{
	weft_rwlock_read(&prw);
	weft_rwlock_read(&prw);	/* two shared holds, both released */
	weft_panic("reader failed");
	return NULL;
}

TEST(rwlock_write_poisons_read_only_releases)
{
	weft_set_panic_hook(quiet_hook);
	ASSERT_EQ(weft_catch_panic(read_and_panic, NULL, NULL), WEFT_PANICKED);
	ASSERT_FALSE(weft_rwlock_is_poisoned(&prw));
	ASSERT_EQ(weft_rwlock_try_write(&prw), 0);
	weft_rwlock_write_unlock(&prw);
	ASSERT_EQ(weft_catch_panic(write_and_panic, NULL, NULL), WEFT_PANICKED);
	ASSERT_TRUE(weft_rwlock_is_poisoned(&prw));
	ASSERT_EQ(weft_rwlock_read(&prw), WEFT_POISONED);
	weft_rwlock_read_unlock(&prw);
	weft_rwlock_clear_poison(&prw);
	ASSERT_EQ(weft_rwlock_write(&prw), 0);
	weft_rwlock_write_unlock(&prw);
}

/* Relocking a mutex panics; the panic then releases it, poisoned. */
static void *lock_twice(void *arg)
{
	weft_mutex_lock(arg);
	weft_mutex_lock(arg);
	return NULL;
}

TEST(relocking_a_held_mutex_panics_and_releases_it)
{
	struct weft_mutex m = WEFT_MUTEX_INIT;
	struct weft_panic *p;

	weft_set_panic_hook(quiet_hook);
	ASSERT_EQ(weft_catch_panic(lock_twice, &m, (void **)&p), WEFT_PANICKED);
	ASSERT_NE_NULL(weft_strstr(weft_panic_message(p), "deadlock"));
	weft_panic_free(p);
	ASSERT_EQ(weft_mutex_trylock(&m), WEFT_POISONED);
	weft_mutex_unlock(&m);
}

/* A condvar wait returns the mutex's poison, with the mutex held. */
static struct weft_condvar pcv;
static _Atomic int waiter_in;

static void *wait_on_poisoned(void *arg)
{
	int r;

	weft_mutex_lock(&pm);
	atomic_store(&waiter_in, 1);
	r = weft_condvar_wait(&pcv, &pm);
	weft_mutex_unlock(&pm);
	return (void *)(long)r;
}

static void *poison_and_notify(void *arg)
{
	weft_mutex_lock(&pm);
	weft_condvar_notify_all(&pcv);
	weft_panic("notifier failed");
	return NULL;
}

TEST(condvar_wait_reports_poison_with_the_mutex_held)
{
	struct weft_join_handle w, n;
	void *r;

	weft_set_panic_hook(quiet_hook);
	weft_mutex_clear_poison(&pm);
	ASSERT_EQ(weft_spawn(&w, wait_on_poisoned, NULL), 0);
	while (!atomic_load(&waiter_in))
		weft_yield();
	ASSERT_EQ(weft_spawn(&n, poison_and_notify, NULL), 0);
	ASSERT_EQ(weft_join(&n, NULL), WEFT_PANICKED);
	ASSERT_EQ(weft_join(&w, &r), 0);
	ASSERT_EQ((long)r, WEFT_POISONED);
	weft_mutex_clear_poison(&pm);
}

/* A thread that returns holding a lock: released, poisoned, and said so. */
static void *return_holding(void *arg)
{
	weft_mutex_lock(arg);
	return NULL;
}

static void exit_holding_child(void *arg)
{
	struct weft_mutex m = WEFT_MUTEX_INIT;
	struct weft_join_handle h;

	if (weft_spawn(&h, return_holding, &m) || weft_join(&h, NULL))
		weft_exit(2);
	if (weft_mutex_lock(&m) != WEFT_POISONED)
		weft_exit(3);
	weft_exit(0);
}

TEST(a_thread_that_exits_holding_a_lock_releases_it_poisoned_and_says_so)
{
	char err[512];
	int status = test_run_child(exit_holding_child, NULL, err, sizeof(err));

	ASSERT_EQ(status, 0);
	ASSERT_NE_NULL(weft_strstr(err, "exited holding weft_mutex"));
	ASSERT_NE_NULL(weft_strstr(err, "released and poisoned"));
}

/* More locks than the record holds: the extra ones work, only without the record. */
TEST(more_locks_than_the_record_holds)
{
	static struct weft_mutex many[40];

	for (int i = 0; i < 40; i++)
		ASSERT_EQ(weft_mutex_lock(&many[i]), 0);
	for (int i = 40; i-- > 0;)
		weft_mutex_unlock(&many[i]);
	for (int i = 0; i < 40; i++)
		ASSERT_EQ(weft_mutex_trylock(&many[i]), 0);
	for (int i = 0; i < 40; i++)	/* in taking order: the slow pop */
		weft_mutex_unlock(&many[i]);
}

/* A green thread's panic poisons what it holds, not what its siblings hold. */
static struct weft_mutex gm1, gm2;
static _Atomic int sibling_locked;

static void *green_sibling(void *arg)
{
	weft_mutex_lock(&gm2);
	atomic_store(&sibling_locked, 1);
	weft_green_yield();
	weft_green_yield();
	weft_mutex_unlock(&gm2);
	return NULL;
}

static void *green_panicker(void *arg)
{
	while (!atomic_load(&sibling_locked))
		weft_green_yield();
	weft_mutex_lock(&gm1);
	weft_panic("green stage failed");
	return NULL;
}

TEST(a_green_panic_poisons_only_its_own_locks)
{
	struct weft_green_handle a, b;

	weft_set_panic_hook(quiet_hook);
	ASSERT_EQ(weft_green_spawn(&a, green_sibling, NULL, NULL), 0);
	ASSERT_EQ(weft_green_spawn(&b, green_panicker, NULL, NULL), 0);
	ASSERT_EQ(weft_green_join(&b, NULL), WEFT_PANICKED);
	ASSERT_EQ(weft_green_join(&a, NULL), 0);
	ASSERT_TRUE(weft_mutex_is_poisoned(&gm1));
	ASSERT_FALSE(weft_mutex_is_poisoned(&gm2));
	ASSERT_EQ(weft_mutex_trylock(&gm1), WEFT_POISONED);
	weft_mutex_unlock(&gm1);
	ASSERT_EQ(weft_mutex_trylock(&gm2), 0);
	weft_mutex_unlock(&gm2);
}

/* A green thread that returns holding a lock: released and poisoned as it finishes. */
static void *green_return_holding(void *arg)
{
	weft_mutex_lock(arg);
	return NULL;
}

static void green_exit_holding_child(void *arg)
{
	struct weft_mutex m = WEFT_MUTEX_INIT;
	struct weft_green_handle g;

	if (weft_green_spawn(&g, green_return_holding, &m, NULL) || weft_green_join(&g, NULL))
		weft_exit(2);
	if (weft_mutex_trylock(&m) != WEFT_POISONED)
		weft_exit(3);
	weft_exit(0);
}

TEST(a_green_thread_that_returns_holding_a_lock_releases_it_poisoned)
{
	char err[512];
	int status = test_run_child(green_exit_holding_child, NULL, err, sizeof(err));

	ASSERT_EQ(status, 0);
	ASSERT_NE_NULL(weft_strstr(err, "green thread '<unnamed>' exited holding weft_mutex"));
}

/*
 * A boundary releases what was taken after it was set up, whatever the stack
 * addresses: a lock taken by a helper with a big frame that returned is the
 * caller's, and a panic caught later must leave it alone.
 */
static struct weft_mutex deep;

static __attribute__((noinline)) int lock_with_a_big_frame(struct weft_mutex *m)
{
	volatile char big[8192];

	big[0] = 1;
	big[sizeof(big) - 1] = 1;
	return weft_mutex_lock(m) + big[0] + big[sizeof(big) - 1] - 2;
}

TEST(a_lock_taken_by_a_returned_deep_helper_survives_a_later_caught_panic)
{
	weft_set_panic_hook(quiet_hook);
	ASSERT_EQ(lock_with_a_big_frame(&deep), 0);
	ASSERT_EQ(weft_catch_panic(just_panic, NULL, NULL), WEFT_PANICKED);
	ASSERT_EQ(weft_mutex_trylock(&deep), -EBUSY);	/* still ours */
	ASSERT_FALSE(weft_mutex_is_poisoned(&deep));
	weft_mutex_unlock(&deep);
}

/* An outer lock released inside the boundary, an inner one taken: only the inner is the panic's. */
static struct weft_mutex hand_a, hand_b, hand_c;

static void *hand_over_hand_and_panic(void *arg)
{
	weft_mutex_unlock(&hand_a);	/* taken outside, released out of order */
	weft_mutex_lock(&hand_c);
	weft_panic("half-way along the list");
	return NULL;
}

TEST(unlocking_an_outer_lock_inside_a_boundary_keeps_the_marks_right)
{
	weft_set_panic_hook(quiet_hook);
	ASSERT_EQ(weft_mutex_lock(&hand_a), 0);
	ASSERT_EQ(weft_mutex_lock(&hand_b), 0);
	ASSERT_EQ(weft_catch_panic(hand_over_hand_and_panic, NULL, NULL), WEFT_PANICKED);
	ASSERT_TRUE(weft_mutex_is_poisoned(&hand_c));
	ASSERT_EQ(weft_mutex_trylock(&hand_c), WEFT_POISONED);
	weft_mutex_unlock(&hand_c);
	weft_mutex_clear_poison(&hand_c);
	ASSERT_EQ(weft_mutex_trylock(&hand_b), -EBUSY);	/* still ours */
	ASSERT_FALSE(weft_mutex_is_poisoned(&hand_b));
	ASSERT_EQ(weft_mutex_trylock(&hand_a), 0);	/* released, not poisoned */
	ASSERT_FALSE(weft_mutex_is_poisoned(&hand_a));
	weft_mutex_unlock(&hand_a);
	weft_mutex_unlock(&hand_b);
}

/* A lock still held when a boundary's function returns belongs to the enclosing boundary. */
static struct weft_mutex handed_out;

static void *lock_and_return(void *arg)
{
	weft_mutex_lock(&handed_out);
	return NULL;
}

static void *take_via_inner_boundary_then_panic(void *arg)
{
	if (weft_catch_panic(lock_and_return, NULL, NULL) != 0)
		return NULL;
	weft_panic("after the inner boundary returned");
	return NULL;
}

TEST(a_lock_returned_from_an_inner_boundary_is_released_by_the_outer_one)
{
	weft_set_panic_hook(quiet_hook);
	ASSERT_EQ(weft_catch_panic(take_via_inner_boundary_then_panic, NULL, NULL), WEFT_PANICKED);
	ASSERT_EQ(weft_mutex_trylock(&handed_out), WEFT_POISONED);
	weft_mutex_unlock(&handed_out);
	weft_mutex_clear_poison(&handed_out);
}

/* A green thread left unfinished when its OS thread ends: its locks are released, poisoned. */
static struct weft_mutex orphan_lock;

static void *green_lock_and_park(void *arg)
{
	weft_mutex_lock(&orphan_lock);
	for (;;)
		weft_park();	/* never unparked: its OS thread ends first */
	return NULL;
}

static void *green_nothing(void *arg)
{
	return NULL;
}

static void *os_thread_abandoning_a_green_one(void *arg)
{
	struct weft_builder named = { .name = "holder" };
	struct weft_green_handle holder, runner;

	if (weft_green_spawn(&holder, green_lock_and_park, NULL, &named) ||
	    weft_green_spawn(&runner, green_nothing, NULL, NULL) ||
	    weft_green_join(&runner, NULL))	/* runs holder first: it locks, then parks */
		weft_exit(2);
	return NULL;	/* holder is never joined */
}

static void orphan_child(void *arg)
{
	struct weft_join_handle h;

	if (weft_spawn(&h, os_thread_abandoning_a_green_one, NULL) || weft_join(&h, NULL))
		weft_exit(3);
	if (weft_mutex_trylock(&orphan_lock) != WEFT_POISONED)
		weft_exit(4);
	weft_exit(0);
}

TEST(an_abandoned_green_thread_releases_its_locks_poisoned)
{
	char err[512];
	int status = test_run_child(orphan_child, NULL, err, sizeof(err));

	ASSERT_EQ(status, 0);
	ASSERT_NE_NULL(weft_strstr(err, "green thread 'holder' was abandoned holding weft_mutex"));
}

/*
 * An unlock's fast path pops the record's newest entry when that is the lock
 * being released and lies above the innermost boundary's mark; anything else
 * goes the slow way. Each test below would pop, or release, what it must not
 * if that check trusted a stale or another context's newest entry (a cached
 * copy of it was tried: Documentation/sync.rst, "the held-lock record").
 */
static struct weft_mutex top_a, top_b;

static void *unlock_the_newest_twice(void *arg)
{
	weft_mutex_lock(&top_a);
	weft_mutex_lock(&top_b);
	weft_mutex_unlock(&top_b);
	weft_mutex_unlock(&top_b);	/* no longer held */
	return NULL;
}

static void *unlock_null(void *arg)
{
	weft_mutex_unlock(NULL);
	return NULL;
}

TEST(an_unlock_of_the_mutex_just_unlocked_panics)
{
	struct weft_panic *p;

	weft_set_panic_hook(quiet_hook);
	ASSERT_EQ(weft_catch_panic(unlock_the_newest_twice, NULL, (void **)&p), WEFT_PANICKED);
	ASSERT_NE_NULL(weft_strstr(weft_panic_message(p), "does not hold"));
	weft_panic_free(p);
	ASSERT_EQ(weft_mutex_trylock(&top_b), 0);	/* free, and not poisoned */
	weft_mutex_unlock(&top_b);
	ASSERT_EQ(weft_mutex_trylock(&top_a), WEFT_POISONED);	/* the panic released it */
	weft_mutex_unlock(&top_a);
	weft_mutex_clear_poison(&top_a);
	ASSERT_EQ(weft_catch_panic(unlock_null, NULL, (void **)&p), WEFT_PANICKED);
	ASSERT_NE_NULL(weft_strstr(weft_panic_message(p), "does not hold"));
	weft_panic_free(p);
}

/* The newest entry was taken outside the boundary: inside, its unlock leaves a hole. */
static void *unlock_the_outer_newest_and_panic(void *arg)
{
	weft_mutex_unlock(&top_a);	/* the newest entry, but below the mark */
	weft_mutex_lock(&top_b);
	weft_panic("after unlocking the lock taken outside");
	return NULL;
}

TEST(the_newest_lock_taken_outside_a_boundary_keeps_the_mark_when_unlocked_inside)
{
	weft_set_panic_hook(quiet_hook);
	ASSERT_EQ(weft_mutex_lock(&top_a), 0);
	ASSERT_EQ(weft_catch_panic(unlock_the_outer_newest_and_panic, NULL, NULL), WEFT_PANICKED);
	ASSERT_EQ(weft_mutex_trylock(&top_b), WEFT_POISONED);	/* released by the panic */
	weft_mutex_unlock(&top_b);
	weft_mutex_clear_poison(&top_b);
	ASSERT_EQ(weft_mutex_trylock(&top_a), 0);	/* unlocked, not poisoned */
	weft_mutex_unlock(&top_a);
	ASSERT_EQ(weft_mutex_lock(&top_a), 0);	/* and the record is whole */
	ASSERT_EQ(weft_mutex_lock(&top_b), 0);
	weft_mutex_unlock(&top_b);
	weft_mutex_unlock(&top_a);
}

/* Each green thread has its own newest entry: a sibling's is not the running one's. */
static struct weft_mutex green_top;
static _Atomic int green_top_locked;

static void *green_lock_yield_unlock(void *arg)
{
	weft_mutex_lock(&green_top);
	atomic_store(&green_top_locked, 1);
	weft_green_yield();
	weft_mutex_unlock(&green_top);
	return NULL;
}

static void *green_unlock_a_siblings_lock(void *arg)
{
	while (!atomic_load(&green_top_locked))
		weft_green_yield();
	weft_mutex_unlock(&green_top);	/* held by the sibling, not by us */
	return NULL;
}

TEST(a_green_thread_cannot_unlock_the_lock_its_sibling_took_last)
{
	struct weft_green_handle a, b;
	struct weft_panic *p;

	weft_set_panic_hook(quiet_hook);
	ASSERT_EQ(weft_green_spawn(&a, green_lock_yield_unlock, NULL, NULL), 0);
	ASSERT_EQ(weft_green_spawn(&b, green_unlock_a_siblings_lock, NULL, NULL), 0);
	ASSERT_EQ(weft_green_join(&b, (void **)&p), WEFT_PANICKED);
	ASSERT_NE_NULL(weft_strstr(weft_panic_message(p), "does not hold"));
	weft_panic_free(p);
	ASSERT_EQ(weft_green_join(&a, NULL), 0);
	ASSERT_EQ(weft_mutex_trylock(&green_top), 0);
	ASSERT_FALSE(weft_mutex_is_poisoned(&green_top));
	weft_mutex_unlock(&green_top);
}

/* A read lock that timed out was recorded before its compare-exchange, then taken back. */
static struct weft_rwlock top_rw;
static _Atomic int top_rw_held, top_rw_release;

static void *hold_the_write_lock(void *arg)
{
	weft_rwlock_write(&top_rw);
	atomic_store(&top_rw_held, 1);
	while (!atomic_load(&top_rw_release))
		weft_yield();
	weft_rwlock_write_unlock(&top_rw);
	return NULL;
}

static void *read_unlock_unheld(void *arg)
{
	weft_rwlock_read_unlock(&top_rw);
	return NULL;
}

TEST(a_read_lock_that_timed_out_is_not_held)
{
	struct weft_join_handle h;
	struct weft_panic *p;

	weft_set_panic_hook(quiet_hook);
	ASSERT_EQ(weft_mutex_lock(&top_a), 0);	/* gives this thread its own record: the fast path */
	weft_mutex_unlock(&top_a);
	ASSERT_EQ(weft_spawn(&h, hold_the_write_lock, NULL), 0);
	while (!atomic_load(&top_rw_held))
		weft_yield();
	ASSERT_EQ(weft_rwlock_read_until(&top_rw, weft_deadline_in(1000 * 1000)), -ETIMEDOUT);
	ASSERT_EQ(weft_catch_panic(read_unlock_unheld, NULL, (void **)&p), WEFT_PANICKED);
	ASSERT_NE_NULL(weft_strstr(weft_panic_message(p), "does not hold"));
	weft_panic_free(p);
	atomic_store(&top_rw_release, 1);
	ASSERT_EQ(weft_join(&h, NULL), 0);
	ASSERT_EQ(weft_rwlock_try_read(&top_rw), 0);
	weft_rwlock_read_unlock(&top_rw);
}

/*
 * A green thread orphaned while it waits on a lock: its wait node sits on its
 * own stack, linked into the wait table (lib/wait.c). Joining the orphan
 * unmaps that stack; the lock's next unlock must not walk into it.
 */
static struct weft_mutex waited_lock;
static struct weft_green_handle waiter_handle;

static void *green_wait_for_lock(void *arg)
{
	weft_mutex_lock(&waited_lock);	/* held by main: sleeps until its OS thread ends */
	weft_mutex_unlock(&waited_lock);
	return NULL;
}

static void *os_thread_orphaning_a_waiter(void *arg)
{
	struct weft_green_handle runner;

	if (weft_green_spawn(&waiter_handle, green_wait_for_lock, NULL, NULL) ||
	    weft_green_spawn(&runner, green_nothing, NULL, NULL) ||
	    weft_green_join(&runner, NULL))	/* runs the waiter first: it blocks */
		weft_exit(2);
	return NULL;
}

static void orphaned_waiter_child(void *arg)
{
	struct weft_join_handle h;

	weft_mutex_lock(&waited_lock);
	if (weft_spawn(&h, os_thread_orphaning_a_waiter, NULL) || weft_join(&h, NULL))
		weft_exit(3);
	if (weft_green_join(&waiter_handle, NULL) != -ESRCH)	/* unmaps its stack */
		weft_exit(4);
	weft_mutex_unlock(&waited_lock);	/* a waiter is recorded: the slow path */
	if (weft_mutex_lock(&waited_lock) != 0)
		weft_exit(5);
	weft_mutex_unlock(&waited_lock);
	weft_exit(0);
}

TEST(a_green_thread_orphaned_while_waiting_leaves_nothing_behind)
{
	char err[512];
	int status = test_run_child(orphaned_waiter_child, NULL, err, sizeof(err));

	ASSERT_EQ(status, 0);
}

/*
 * The same for what a blocked green thread leaves in a primitive: a waiting
 * writer's count in an rwlock (it would keep readers out for ever, and the
 * next unlock would hand the lock to a thread that never runs again), and a
 * rendezvous receiver's note (a sender would copy into the unmapped stack).
 */
static struct weft_rwlock orphan_rw;
static struct weft_sender orphan_tx;
static struct weft_receiver orphan_rx;
static struct weft_green_handle writer_handle, receiver_handle;

static void *green_write_lock(void *arg)
{
	if (weft_rwlock_write(&orphan_rw) == 0)	/* held by main: counted, then asleep */
		weft_rwlock_write_unlock(&orphan_rw);
	return NULL;
}

static void *green_receive(void *arg)
{
	int v;

	weft_recv(&orphan_rx, &v);	/* nobody sends: asleep on its note */
	return NULL;
}

static void *os_thread_orphaning_writer_and_receiver(void *arg)
{
	struct weft_green_handle runner;

	if (weft_green_spawn(&writer_handle, green_write_lock, NULL, NULL) ||
	    weft_green_spawn(&receiver_handle, green_receive, NULL, NULL) ||
	    weft_green_spawn(&runner, green_nothing, NULL, NULL) ||
	    weft_green_join(&runner, NULL))	/* the two block first */
		weft_exit(2);
	return NULL;
}

static void orphaned_writer_and_receiver_child(void *arg)
{
	struct weft_join_handle h;
	int v = 5;

	if (weft_channel(&orphan_tx, &orphan_rx, sizeof(int), 0) ||
	    weft_rwlock_write(&orphan_rw) != 0)
		weft_exit(3);
	if (weft_spawn(&h, os_thread_orphaning_writer_and_receiver, NULL) || weft_join(&h, NULL))
		weft_exit(4);
	if (weft_green_join(&writer_handle, NULL) != -ESRCH ||
	    weft_green_join(&receiver_handle, NULL) != -ESRCH)	/* unmaps their stacks */
		weft_exit(5);
	/* No writer waits any more: the lock goes free, and readers may come in. */
	weft_rwlock_write_unlock(&orphan_rw);
	if (weft_rwlock_try_read(&orphan_rw) != 0)
		weft_exit(6);
	weft_rwlock_read_unlock(&orphan_rw);
	/* No receiver waits any more: a rendezvous try_send finds nobody. */
	if (weft_try_send(&orphan_tx, &v) != -EAGAIN)
		weft_exit(7);
	weft_exit(0);
}

TEST(green_threads_orphaned_in_an_rwlock_and_a_channel_leave_nothing_behind)
{
	char err[512];
	int status = test_run_child(orphaned_writer_and_receiver_child, NULL, err, sizeof(err));

	ASSERT_EQ(status, 0);
}

/*
 * A rendezvous hand-off to a green receiver whose OS thread then ends before
 * the receiver runs again: the send succeeded (the message was copied to the
 * receiver's note), so the message goes with the orphan. It is neither put
 * back for another receiver nor handed twice (Documentation/green-threads.rst).
 */
static struct weft_sender handed_tx;
static struct weft_receiver handed_rx;
static struct weft_green_handle handed_handle;
static struct weft_thread *handed_main;
static _Atomic int handed_step;	/* 1: the receiver sleeps on its note; 2: a message was sent */

static void *green_receive_handed(void *arg)
{
	int v;

	weft_recv(&handed_rx, &v);	/* handed a message, but never runs again */
	return NULL;
}

static void *os_thread_orphaning_a_served_receiver(void *arg)
{
	struct weft_green_handle runner;

	if (weft_green_spawn(&handed_handle, green_receive_handed, NULL, NULL) ||
	    weft_green_spawn(&runner, green_nothing, NULL, NULL) ||
	    weft_green_join(&runner, NULL))	/* the receiver blocks first */
		weft_exit(2);
	atomic_store(&handed_step, 1);
	weft_unpark(handed_main);
	/* The OS context parks natively: no green thread runs until this thread ends. */
	while (atomic_load(&handed_step) != 2)
		weft_park();
	return NULL;
}

static void served_receiver_child(void *arg)
{
	struct weft_join_handle h;
	int v = 7;

	handed_main = weft_current();
	if (weft_channel(&handed_tx, &handed_rx, sizeof(int), 0) ||
	    weft_spawn(&h, os_thread_orphaning_a_served_receiver, NULL))
		weft_exit(3);
	while (atomic_load(&handed_step) != 1)
		weft_park();
	if (weft_try_send(&handed_tx, &v) != 0)	/* handed to the sleeping receiver */
		weft_exit(4);
	atomic_store(&handed_step, 2);
	weft_unpark(weft_join_handle_thread(&h));
	if (weft_join(&h, NULL) || weft_green_join(&handed_handle, NULL) != -ESRCH)
		weft_exit(5);
	/* Nobody waits on a note now, and nothing was put back to be received twice. */
	if (weft_try_send(&handed_tx, &v) != -EAGAIN || weft_try_recv(&handed_rx, &v) != -EAGAIN)
		weft_exit(6);
	weft_exit(0);
}

TEST(a_message_handed_to_a_receiver_orphaned_before_it_ran_goes_with_it)
{
	char err[512];
	int status = test_run_child(served_receiver_child, NULL, err, sizeof(err));

	ASSERT_EQ(status, 0);
}
