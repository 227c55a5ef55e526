// SPDX-License-Identifier: MIT
/* weft_mutex, weft_condvar, weft_once, OnceLock/LazyLock and weft_barrier between native threads. */
#include <linux/errno.h>
#include <linux/futex.h>
#include <asm/unistd.h>

#include "weft/fault.h"
#include "weft/panic.h"
#include "weft/sync.h"
#include "weft/thread.h"
#include "weft/time.h"

#include "harness.h"

#define MS (1000ULL * 1000)

static void quiet_hook(const struct weft_panic_info *info)
{
}

/* Spawn @n threads of fn(arg) and join them all; every one must return 0. */
static void run_threads(struct __test_metadata *_metadata, int n, weft_thread_fn fn, void *arg)
{
	struct weft_join_handle h[16];

	ASSERT_LE(n, 16);
	for (int i = 0; i < n; i++)
		ASSERT_EQ(weft_spawn(&h[i], fn, arg), 0);
	for (int i = 0; i < n; i++)
		ASSERT_EQ(weft_join(&h[i], NULL), 0);
}

/* ---- mutex ---------------------------------------------------------------- */

static struct weft_mutex count_lock;
static long counter;

static void *count_1000(void *arg)
{
	for (int i = 0; i < 1000; i++) {
		weft_mutex_lock(&count_lock);
		long c = counter;	/* a read-modify-write the lock must protect */

		if ((i & 63) == 0)
			weft_yield();	/* let others pile up on the lock */
		counter = c + 1;
		weft_mutex_unlock(&count_lock);
	}
	return NULL;
}

TEST(mutex_counters_under_contention_6_threads_x_1000)
{
	run_threads(_metadata, 6, count_1000, NULL);
	ASSERT_EQ(counter, 6000);
	ASSERT_EQ(atomic_load(&count_lock.state), 0);
}

static void *trylock_from_other(void *arg)
{
	int r = weft_mutex_trylock(arg);

	if (r == 0)
		weft_mutex_unlock(arg);
	return (void *)(long)r;
}

TEST(mutex_trylock_on_free_and_held_locks)
{
	struct weft_mutex m = WEFT_MUTEX_INIT;
	struct weft_join_handle h;
	void *r;

	ASSERT_EQ(weft_mutex_trylock(&m), 0);
	ASSERT_EQ(weft_mutex_trylock(&m), -EBUSY);	/* held by us: no deadlock, no panic */
	ASSERT_EQ(weft_spawn(&h, trylock_from_other, &m), 0);
	ASSERT_EQ(weft_join(&h, &r), 0);
	ASSERT_EQ((long)r, -EBUSY);
	weft_mutex_unlock(&m);
	ASSERT_EQ(weft_spawn(&h, trylock_from_other, &m), 0);
	ASSERT_EQ(weft_join(&h, &r), 0);
	ASSERT_EQ((long)r, 0);
}

static struct weft_mutex held_lock;
static _Atomic int holder_ready, holder_release;

static void *hold_until_told(void *arg)
{
	weft_mutex_lock(&held_lock);
	atomic_store(&holder_ready, 1);
	while (!atomic_load(&holder_release))
		weft_park();
	weft_mutex_unlock(&held_lock);
	return NULL;
}

TEST(mutex_lock_until_times_out_then_succeeds)
{
	struct weft_join_handle h;

	ASSERT_EQ(weft_spawn(&h, hold_until_told, NULL), 0);
	while (!atomic_load(&holder_ready))
		weft_yield();
	ASSERT_EQ(weft_mutex_lock_until(&held_lock, weft_deadline_in(5 * MS)), -ETIMEDOUT);
	ASSERT_EQ(weft_mutex_lock_until(&held_lock, 0), -ETIMEDOUT);	/* long past */
	atomic_store(&holder_release, 1);
	weft_unpark(weft_join_handle_thread(&h));
	/* A deadline that never comes, and one past 2^62 ns: both untimed, no overflow. */
	ASSERT_EQ(weft_mutex_lock_until(&held_lock, WEFT_FOREVER - 1), 0);
	weft_mutex_unlock(&held_lock);
	ASSERT_EQ(weft_join(&h, NULL), 0);
	ASSERT_EQ(weft_mutex_lock_until(&held_lock, 0), 0);	/* free: no wait, no timeout */
	weft_mutex_unlock(&held_lock);
}

TEST(mutex_null_is_einval)
{
	ASSERT_EQ(weft_mutex_lock(NULL), -EINVAL);
	ASSERT_EQ(weft_mutex_trylock(NULL), -EINVAL);
	ASSERT_EQ(weft_mutex_lock_until(NULL, 0), -EINVAL);
	ASSERT_FALSE(weft_mutex_is_poisoned(NULL));
	weft_mutex_clear_poison(NULL);
}

static void *unlock_unheld(void *arg)
{
	weft_mutex_unlock(arg);
	return NULL;
}

TEST(mutex_unlock_of_a_mutex_not_held_panics)
{
	struct weft_mutex m = WEFT_MUTEX_INIT;
	struct weft_panic *p;

	weft_set_panic_hook(quiet_hook);
	ASSERT_EQ(weft_catch_panic(unlock_unheld, &m, (void **)&p), WEFT_PANICKED);
	ASSERT_NE_NULL(weft_strstr(weft_panic_message(p), "does not hold"));
	weft_panic_free(p);
}

/* ---- condvar -------------------------------------------------------------- */

struct gate {
	struct weft_mutex m;
	struct weft_condvar cv;
	int open;		/* the predicate */
	int waiting;		/* threads inside wait */
	struct weft_condvar waiting_cv;
};

static bool gate_closed(void *arg)
{
	return !((struct gate *)arg)->open;
}

static void *wait_for_gate(void *arg)
{
	struct gate *g = arg;

	weft_mutex_lock(&g->m);
	g->waiting++;
	weft_condvar_notify_all(&g->waiting_cv);
	while (!g->open)
		weft_condvar_wait(&g->cv, &g->m);
	weft_mutex_unlock(&g->m);
	return NULL;
}

static bool fewer_than_10_waiting(void *arg)
{
	return ((struct gate *)arg)->waiting < 10;
}

TEST(condvar_notify_all_releases_10_waiters)
{
	static struct gate g;
	struct weft_join_handle h[10];

	for (int i = 0; i < 10; i++)
		ASSERT_EQ(weft_spawn(&h[i], wait_for_gate, &g), 0);
	weft_mutex_lock(&g.m);
	ASSERT_EQ(weft_condvar_wait_while(&g.waiting_cv, &g.m, fewer_than_10_waiting, &g,
					  WEFT_FOREVER), 0);
	g.open = 1;
	weft_condvar_notify_all(&g.cv);
	weft_mutex_unlock(&g.m);
	for (int i = 0; i < 10; i++)
		ASSERT_EQ(weft_join(&h[i], NULL), 0);
}

static bool always(void *arg)
{
	return true;
}

TEST(condvar_wait_while_deadlines)
{
	struct weft_mutex m = WEFT_MUTEX_INIT;
	struct weft_condvar cv = WEFT_CONDVAR_INIT;
	struct gate open = { .open = 1 };
	uint64_t deadline;

	weft_mutex_lock(&m);
	/* Satisfied already: no timeout even with a deadline in the past. */
	ASSERT_EQ(weft_condvar_wait_while(&cv, &m, gate_closed, &open, 0), 0);
	/* Never satisfied: times out, at or after the deadline, with the mutex held. */
	deadline = weft_deadline_in(2 * MS);
	ASSERT_EQ(weft_condvar_wait_while(&cv, &m, always, NULL, deadline), -ETIMEDOUT);
	ASSERT_GE(weft_now(), deadline);
	ASSERT_EQ(weft_mutex_trylock(&m), -EBUSY);
	ASSERT_EQ(weft_condvar_wait_until(&cv, &m, weft_deadline_in(1 * MS)), -ETIMEDOUT);
	ASSERT_EQ(weft_condvar_wait_while(&cv, &m, NULL, NULL, 0), -EINVAL);
	ASSERT_EQ(weft_condvar_wait(NULL, &m), -EINVAL);
	weft_mutex_unlock(&m);
	/* No notify with nobody registered... and a notify on a never-used condvar. */
	weft_condvar_notify_one(&cv);
	weft_condvar_notify_all(&cv);
}

/*
 * The shape of glibc bug 25847: waiters that timed out must not swallow
 * later signals. Four waiters time out five times each; then four
 * notify_one, each with a token, must release all four.
 */
struct chain {
	struct weft_mutex m;
	struct weft_condvar cv, done_cv;
	int tokens, timed_out_all, released;
};

static void *chain_waiter(void *arg)
{
	struct chain *c = arg;

	weft_mutex_lock(&c->m);
	for (int i = 0; i < 5; i++)
		if (weft_condvar_wait_until(&c->cv, &c->m, weft_deadline_in(1 * MS)) != -ETIMEDOUT)
			i--;	/* a spurious wake-up: it does not count as a timeout */
	c->timed_out_all++;
	weft_condvar_notify_all(&c->done_cv);
	while (c->tokens == 0)
		weft_condvar_wait(&c->cv, &c->m);
	c->tokens--;
	c->released++;
	weft_mutex_unlock(&c->m);
	return NULL;
}

static bool chain_not_all_timed_out(void *arg)
{
	return ((struct chain *)arg)->timed_out_all < 4;
}

TEST(condvar_signal_chain_after_timeouts_releases_everyone)
{
	static struct chain c;
	struct weft_join_handle h[4];

	for (int i = 0; i < 4; i++)
		ASSERT_EQ(weft_spawn(&h[i], chain_waiter, &c), 0);
	weft_mutex_lock(&c.m);
	weft_condvar_wait_while(&c.done_cv, &c.m, chain_not_all_timed_out, &c, WEFT_FOREVER);
	weft_mutex_unlock(&c.m);
	for (int i = 0; i < 4; i++) {
		weft_mutex_lock(&c.m);
		c.tokens++;
		weft_condvar_notify_one(&c.cv);
		weft_mutex_unlock(&c.m);
	}
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(weft_join(&h[i], NULL), 0);
	ASSERT_EQ(c.released, 4);
}

/* glibc's destruction rule: the notifier may wipe the condvar right after notify_all. */
struct wiped {
	struct weft_mutex m;
	struct weft_condvar *cv;
	int open, waiting;
	struct weft_condvar waiting_cv;
};

static void *wait_then_leave(void *arg)
{
	struct wiped *w = arg;

	weft_mutex_lock(&w->m);
	w->waiting++;
	weft_condvar_notify_one(&w->waiting_cv);
	while (!w->open)
		weft_condvar_wait(w->cv, &w->m);
	weft_mutex_unlock(&w->m);
	return NULL;
}

static bool not_all_waiting(void *arg)
{
	return ((struct wiped *)arg)->waiting < 8;
}

TEST(condvar_wiped_right_after_notify_all)
{
	static struct wiped w;
	struct weft_join_handle h[8];

	for (int round = 0; round < 10; round++) {
		w.cv = weft_calloc(1, sizeof(*w.cv));
		ASSERT_NE_NULL(w.cv);
		w.open = w.waiting = 0;
		for (int i = 0; i < 8; i++)
			ASSERT_EQ(weft_spawn(&h[i], wait_then_leave, &w), 0);
		weft_mutex_lock(&w.m);
		weft_condvar_wait_while(&w.waiting_cv, &w.m, not_all_waiting, &w, WEFT_FOREVER);
		w.open = 1;
		weft_condvar_notify_all(w.cv);
		/* Destroyed and reused as a fresh condvar, under the waiters' feet. */
		memset(w.cv, 0xa5, sizeof(*w.cv));
		memset(w.cv, 0, sizeof(*w.cv));
		weft_mutex_unlock(&w.m);
		for (int i = 0; i < 8; i++)
			ASSERT_EQ(weft_join(&h[i], NULL), 0);
		/* No waiter wrote to it after its wake-up. */
		ASSERT_EQ(atomic_load(&w.cv->seq), 0);
		ASSERT_EQ(atomic_load(&w.cv->waiters), 0);
		ASSERT_EQ(atomic_load(&w.cv->mutex), 0);
		weft_free(w.cv);
	}
}

struct storm {
	struct weft_mutex m;
	struct weft_condvar cv;
	int round;		/* the predicate: waiters wait for round to reach 200 */
	_Atomic int stop;
};

static bool storm_running(void *arg)
{
	return ((struct storm *)arg)->round < 200;
}

static void *storm_waiter(void *arg)
{
	struct storm *s = arg;

	weft_mutex_lock(&s->m);
	weft_condvar_wait_while(&s->cv, &s->m, storm_running, s, WEFT_FOREVER);
	weft_mutex_unlock(&s->m);
	return NULL;
}

static void *storm_notifier(void *arg)
{
	struct storm *s = arg;

	for (int i = 0; i < 100; i++) {
		weft_mutex_lock(&s->m);
		s->round++;
		weft_mutex_unlock(&s->m);
		/* Only a notify_all after the last change is sure to reach every waiter. */
		if ((i & 1) && i != 99)
			weft_condvar_notify_one(&s->cv);
		else
			weft_condvar_notify_all(&s->cv);
	}
	return NULL;
}

TEST(condvar_notify_storm_every_thread_joins)
{
	static struct storm s;
	struct weft_join_handle h[8];

	for (int i = 0; i < 6; i++)
		ASSERT_EQ(weft_spawn(&h[i], storm_waiter, &s), 0);
	for (int i = 6; i < 8; i++)
		ASSERT_EQ(weft_spawn(&h[i], storm_notifier, &s), 0);
	for (int i = 0; i < 8; i++)
		ASSERT_EQ(weft_join(&h[i], NULL), 0);
	ASSERT_EQ(s.round, 200);
}

/*
 * A notify made while holding the waiters' mutex makes its FUTEX_WAKE at the unlock
 * (lib/mutex.c, state 3), so the waiter does not wake only to sleep on the mutex.
 */
TEST(condvar_notify_under_the_mutex_wakes_at_the_unlock)
{
	struct weft_mutex m = WEFT_MUTEX_INIT, other = WEFT_MUTEX_INIT;
	struct weft_condvar cv[2] = { WEFT_CONDVAR_INIT, WEFT_CONDVAR_INIT };

	/* As a waiter of @m would leave them, without a thread that could race us. */
	for (int i = 0; i < 2; i++) {
		atomic_store(&cv[i].mutex, (uintptr_t)&m);
		atomic_store(&cv[i].waiters, 1);
	}
	/* The first futex call fails (then is retried): weft_fault_fired() shows when it comes. */
	ASSERT_EQ(weft_fault_inject(__NR_futex, 1, EAGAIN), 0);
	weft_mutex_lock(&m);
	weft_condvar_notify_one(&cv[0]);
	ASSERT_EQ(weft_fault_fired(), 0);
	ASSERT_EQ(atomic_load(&m.state), 3);	/* held, nobody asleep, a wake-up owed */
	/* A second condvar: the first one's wake-up goes out now, the second one's waits. */
	weft_condvar_notify_all(&cv[1]);
	ASSERT_EQ(weft_fault_fired(), 1);
	ASSERT_EQ(atomic_load(&m.state), 3);
	weft_fault_clear();
	ASSERT_EQ(weft_fault_inject(__NR_futex, 1, EAGAIN), 0);
	weft_mutex_unlock(&m);
	ASSERT_EQ(weft_fault_fired(), 1);
	ASSERT_EQ(atomic_load(&m.state), 0);

	/* Holding another mutex (or one nested inside @m), a notify wakes at once. */
	atomic_store(&cv[0].waiters, 1);
	weft_fault_clear();
	ASSERT_EQ(weft_fault_inject(__NR_futex, 1, EAGAIN), 0);
	weft_mutex_lock(&m);
	weft_mutex_lock(&other);
	weft_condvar_notify_one(&cv[0]);
	ASSERT_EQ(weft_fault_fired(), 1);
	ASSERT_EQ(atomic_load(&other.state), 1);
	ASSERT_EQ(atomic_load(&m.state), 1);
	weft_mutex_unlock(&other);
	weft_mutex_unlock(&m);
	weft_fault_clear();
}

/*
 * The same between threads: every waiter is released, whether the unlock finds the
 * mutex at 3 or at 2 (a thread that slept on it relocks with 2).
 */
struct pair {
	struct weft_mutex *m;
	struct weft_condvar *cv;
	int *open;
};

static void *wait_until_open(void *arg)
{
	struct pair *p = arg;

	weft_mutex_lock(p->m);
	while (!*p->open)
		weft_condvar_wait(p->cv, p->m);
	weft_mutex_unlock(p->m);
	return NULL;
}

/* Lock @m once @cv has @n registered waiters (they are in wait, past the unlock). */
static void lock_when_waiting(struct weft_mutex *m, struct weft_condvar *cv, uint32_t n)
{
	weft_mutex_lock(m);
	while (atomic_load(&cv->waiters) < n) {
		weft_mutex_unlock(m);
		weft_yield();
		weft_mutex_lock(m);
	}
}

TEST(condvar_notify_under_the_mutex_releases_every_waiter)
{
	static struct weft_mutex m;
	static struct weft_condvar cv[2];
	static int open;
	struct pair p[2] = { { &m, &cv[0], &open }, { &m, &cv[1], &open } };
	struct weft_join_handle h[2];

	for (int round = 0; round < 20; round++) {
		open = 0;
		for (int i = 0; i < 2; i++)
			ASSERT_EQ(weft_spawn(&h[i], wait_until_open, &p[i]), 0);
		for (int i = 0; i < 2; i++) {
			lock_when_waiting(&m, &cv[i], 1);
			weft_mutex_unlock(&m);
		}
		weft_mutex_lock(&m);
		open = 1;
		weft_condvar_notify_one(&cv[0]);
		weft_condvar_notify_one(&cv[1]);
		ASSERT_GE(atomic_load(&m.state), 2);	/* the unlock goes the slow way */
		weft_mutex_unlock(&m);
		for (int i = 0; i < 2; i++)
			ASSERT_EQ(weft_join(&h[i], NULL), 0);
	}
}

TEST(condvar_used_with_two_mutexes_wakes_at_once)
{
	static struct weft_mutex m1, m2;
	static struct weft_condvar cv;
	static int open1, open2;
	struct pair p1 = { &m1, &cv, &open1 }, p2 = { &m2, &cv, &open2 };
	struct weft_join_handle h1, h2;

	ASSERT_EQ(weft_spawn(&h1, wait_until_open, &p1), 0);
	lock_when_waiting(&m1, &cv, 1);
	weft_mutex_unlock(&m1);
	ASSERT_EQ(weft_spawn(&h2, wait_until_open, &p2), 0);
	lock_when_waiting(&m2, &cv, 2);
	/* Two mutexes seen: no notify waits for the unlock of either. */
	ASSERT_EQ(atomic_load(&cv.mutex), 1);
	open1 = open2 = 1;
	weft_condvar_notify_all(&cv);
	ASSERT_NE(atomic_load(&m2.state), 3);
	weft_mutex_unlock(&m2);
	ASSERT_EQ(weft_join(&h1, NULL), 0);
	ASSERT_EQ(weft_join(&h2, NULL), 0);
}

/* ---- once ----------------------------------------------------------------- */

static struct weft_once stampede_once;
static _Atomic int stampede_runs;
static struct weft_barrier stampede_start = WEFT_BARRIER_INIT(11);
static int stampede_value;

static void stampede_init(void *arg)
{
	atomic_fetch_add(&stampede_runs, 1);
	weft_yield();	/* give the others time to pile up behind us */
	stampede_value = 42;
}

static void *stampede(void *arg)
{
	weft_barrier_wait(&stampede_start);
	weft_once_call(&stampede_once, stampede_init, NULL);
	return (void *)(long)stampede_value;	/* visible to everyone once call returns */
}

TEST(once_11_threads_stampede_runs_it_exactly_once)
{
	struct weft_join_handle h[11];
	void *r;

	for (int i = 0; i < 11; i++)
		ASSERT_EQ(weft_spawn(&h[i], stampede, NULL), 0);
	for (int i = 0; i < 11; i++) {
		ASSERT_EQ(weft_join(&h[i], &r), 0);
		ASSERT_EQ((long)r, 42);
	}
	ASSERT_EQ(atomic_load(&stampede_runs), 1);
	ASSERT_TRUE(weft_once_is_completed(&stampede_once));
	weft_once_call(&stampede_once, stampede_init, NULL);
	ASSERT_EQ(atomic_load(&stampede_runs), 1);
}

static void init_panics(void *arg)
{
	weft_panic("initialiser failed");
}

static void *call_once_panicking(void *arg)
{
	weft_once_call(arg, init_panics, NULL);
	return NULL;
}

static bool forced_saw_poison;

static void init_forced(void *arg, bool poisoned)
{
	forced_saw_poison = poisoned;
}

static void init_counts(void *arg)
{
	(*(int *)arg)++;
}

static void *call_once_counting(void *arg)
{
	static int runs;

	weft_once_call(arg, init_counts, &runs);
	return NULL;
}

TEST(once_poisoned_by_a_panic_then_forced)
{
	struct weft_once o = WEFT_ONCE_INIT;
	struct weft_panic *p;

	weft_set_panic_hook(quiet_hook);
	ASSERT_EQ(weft_catch_panic(call_once_panicking, &o, (void **)&p), WEFT_PANICKED);
	ASSERT_STREQ(weft_panic_message(p), "initialiser failed");
	weft_panic_free(p);
	ASSERT_TRUE(weft_once_is_poisoned(&o));
	ASSERT_FALSE(weft_once_is_completed(&o));
	/* Rust: a later call_once on a poisoned Once panics. */
	ASSERT_EQ(weft_catch_panic(call_once_counting, &o, (void **)&p), WEFT_PANICKED);
	ASSERT_NE_NULL(weft_strstr(weft_panic_message(p), "poisoned"));
	weft_panic_free(p);
	weft_once_call_force(&o, init_forced, NULL);
	ASSERT_TRUE(forced_saw_poison);
	ASSERT_TRUE(weft_once_is_completed(&o));
	ASSERT_FALSE(weft_once_is_poisoned(&o));
}

/* A waiter asleep behind a panicking initialiser wakes and panics too. */
static struct weft_once slow_once;
static _Atomic int slow_entered, slow_go;

static void slow_panicking_init(void *arg)
{
	atomic_store(&slow_entered, 1);
	while (!atomic_load(&slow_go))
		weft_yield();
	weft_panic("slow initialiser failed");
}

static void *run_slow_once(void *arg)
{
	weft_once_call(&slow_once, slow_panicking_init, NULL);
	return NULL;
}

static void *wait_slow_once(void *arg)
{
	weft_once_call(&slow_once, init_counts, arg);
	return NULL;
}

TEST(once_waiters_released_by_a_panicking_initialiser)
{
	struct weft_join_handle runner, waiters[3];
	int runs = 0;

	weft_set_panic_hook(quiet_hook);
	ASSERT_EQ(weft_spawn(&runner, run_slow_once, NULL), 0);
	while (!atomic_load(&slow_entered))
		weft_yield();
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(weft_spawn(&waiters[i], wait_slow_once, &runs), 0);
	/* Let them get to sleep (QUEUED) before the initialiser panics. */
	while (atomic_load(&slow_once.state) != WEFT_ONCE_QUEUED)
		weft_yield();
	atomic_store(&slow_go, 1);
	ASSERT_EQ(weft_join(&runner, NULL), WEFT_PANICKED);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(weft_join(&waiters[i], NULL), WEFT_PANICKED);
	ASSERT_EQ(runs, 0);
}

static void *make_value(void *arg)
{
	(*(int *)arg)++;
	return arg;
}

static int lazy_runs;

static void *lazy_make(void)
{
	lazy_runs++;
	return &lazy_runs;
}

TEST(once_lock_and_lazy)
{
	struct weft_once_lock l = { 0 };
	static struct weft_lazy lazy = WEFT_LAZY_INIT(lazy_make);
	int runs = 0, other;

	ASSERT_NULL(weft_once_lock_get(&l));
	ASSERT_EQ(weft_once_lock_get_or_init(&l, make_value, &runs), &runs);
	ASSERT_EQ(weft_once_lock_get_or_init(&l, make_value, &runs), &runs);
	ASSERT_EQ(runs, 1);
	ASSERT_EQ(weft_once_lock_set(&l, &other), -EBUSY);
	ASSERT_EQ(weft_once_lock_get(&l), &runs);

	struct weft_once_lock s = { 0 };

	ASSERT_EQ(weft_once_lock_set(&s, &other), 0);
	ASSERT_EQ(weft_once_lock_get(&s), &other);

	ASSERT_EQ(weft_lazy_get(&lazy), &lazy_runs);
	ASSERT_EQ(weft_lazy_get(&lazy), &lazy_runs);
	ASSERT_EQ(lazy_runs, 1);
}

/* ---- barrier -------------------------------------------------------------- */

#define BARRIER_ROUNDS 200
static struct weft_barrier barrier10 = WEFT_BARRIER_INIT(10);
static _Atomic int arrivals[BARRIER_ROUNDS], leaders[BARRIER_ROUNDS];
static _Atomic int barrier_early;

static void *barrier_party(void *arg)
{
	int rounds = (int)(long)arg;

	for (int r = 0; r < rounds; r++) {
		atomic_fetch_add(&arrivals[r], 1);
		if (weft_barrier_wait(&barrier10) == WEFT_BARRIER_LEADER)
			atomic_fetch_add(&leaders[r], 1);
		if (atomic_load(&arrivals[r]) != 10)
			atomic_store(&barrier_early, 1);	/* left before everyone came */
	}
	return NULL;
}

TEST(barrier_of_10_has_one_leader_per_round)
{
	int rounds = test_under_qemu() ? 50 : BARRIER_ROUNDS;

	run_threads(_metadata, 10, barrier_party, (void *)(long)rounds);
	for (int r = 0; r < rounds; r++) {
		ASSERT_EQ(atomic_load(&leaders[r]), 1);
		ASSERT_EQ(atomic_load(&arrivals[r]), 10);
	}
	ASSERT_FALSE(atomic_load(&barrier_early));
	ASSERT_EQ(weft_barrier_wait(NULL), -EINVAL);

	struct weft_barrier one = WEFT_BARRIER_INIT(1), zero = { 0 };

	ASSERT_EQ(weft_barrier_wait(&one), WEFT_BARRIER_LEADER);
	ASSERT_EQ(weft_barrier_wait(&zero), WEFT_BARRIER_LEADER);
}

/* ---- injected EINTR and spurious wake-ups --------------------------------- */

/*
 * FUTEX_WAIT failing with EINTR (a signal) or EAGAIN (as if the word had
 * changed: a spurious return), at the first wait or at every one. Only this
 * thread makes futex calls meanwhile (the holder is asleep already), so
 * the injected failure always hits a wait: a mutex lock and a condvar
 * wait must both go back to sleep and end at their deadline, not before.
 */
TEST(futex_eintr_and_spurious_returns_do_not_end_a_wait_early)
{
	static const struct {
		int err;
		unsigned long nth;
	} faults[] = { { EINTR, 1 }, { EAGAIN, 1 }, { EINTR, WEFT_FAULT_EVERY } };
	struct weft_condvar cv = WEFT_CONDVAR_INIT;
	struct weft_mutex m = WEFT_MUTEX_INIT;
	struct weft_join_handle h;
	uint64_t deadline;

	atomic_store(&holder_ready, 0);
	atomic_store(&holder_release, 0);
	ASSERT_EQ(weft_spawn(&h, hold_until_told, NULL), 0);
	while (!atomic_load(&holder_ready))
		weft_yield();
	for (unsigned i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		weft_fault_clear();
		ASSERT_EQ(weft_fault_inject(__NR_futex, faults[i].nth, faults[i].err), 0);
		deadline = weft_deadline_in(3 * MS);
		ASSERT_EQ(weft_mutex_lock_until(&held_lock, deadline), -ETIMEDOUT);
		ASSERT_GE(weft_now(), deadline);
		ASSERT_GE(weft_fault_fired(), 1);

		weft_fault_clear();
		ASSERT_EQ(weft_fault_inject(__NR_futex, faults[i].nth, faults[i].err), 0);
		weft_mutex_lock(&m);
		deadline = weft_deadline_in(3 * MS);
		ASSERT_EQ(weft_condvar_wait_while(&cv, &m, always, NULL, deadline), -ETIMEDOUT);
		ASSERT_GE(weft_now(), deadline);
		ASSERT_GE(weft_fault_fired(), 1);
		weft_mutex_unlock(&m);
	}
	weft_fault_clear();
	atomic_store(&holder_release, 1);
	weft_unpark(weft_join_handle_thread(&h));
	ASSERT_EQ(weft_join(&h, NULL), 0);
}
