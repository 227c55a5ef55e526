// SPDX-License-Identifier: MIT
/* OS-style keys: create/delete/get/set, id reuse, POSIX destructor rounds, for_each, StaticKey. */
#include <linux/errno.h>
#include <linux/fcntl.h>

#include "weft/alloc.h"
#include "weft/fault.h"
#include "weft/green.h"
#include "weft/key.h"
#include "weft/local.h"
#include "weft/panic.h"
#include "weft/thread.h"

#include "harness.h"
#include "kernel-abi/sys.h"
#include "lib/thread.h"

#define ID(key) ((key) & 1023u)

/* ---- basics and errors ---------------------------------------------------- */

/*
 * Make the first weft_key_create() find no membarrier(2), as on a kernel
 * before 4.14 or under a seccomp filter: exit rounds then fence themselves
 * (lib/key.c, "the exit rounds' barrier"). The second rule fails the next
 * membarrier call, which would be a fatal runtime error: none is made.
 */
static void without_membarrier(void)
{
	ASSERT_EQ(weft_fault_inject(__NR_membarrier, 1, ENOSYS), 0);
	/* A rule counts only the calls the rules before it let through. */
	ASSERT_EQ(weft_fault_inject(__NR_membarrier, 1, EINVAL), 0);
}


static void nothing(void *value, void *arg)
{
}

TEST(create_set_get_delete_and_invalid_keys)
{
	weft_key_t k, k2;
	int x, y;

	ASSERT_EQ(weft_key_create(NULL, NULL), -EINVAL);
	ASSERT_EQ(weft_key_create(&k, NULL), 0);
	ASSERT_NE(k, 0);
	ASSERT_NULL(weft_key_get(k));
	ASSERT_EQ(weft_key_set(k, &x), 0);
	ASSERT_EQ(weft_key_get(k), &x);
	ASSERT_EQ(weft_key_set(k, &y), 0);
	ASSERT_EQ(weft_key_get(k), &y);

	ASSERT_EQ(weft_key_set(0, &x), -EINVAL);
	ASSERT_NULL(weft_key_get(0));
	ASSERT_EQ(weft_key_set(k + 1, &x), -EINVAL);	/* an id never handed out */
	ASSERT_EQ(weft_key_set(k ^ (1u << 10), &x), -EINVAL);	/* another generation */
	ASSERT_NULL(weft_key_get(k ^ (1u << 10)));
	ASSERT_EQ(weft_key_for_each(k, NULL, NULL), -EINVAL);

	ASSERT_EQ(weft_key_delete(k), 0);
	ASSERT_EQ(weft_key_delete(k), -EINVAL);
	ASSERT_EQ(weft_key_delete(0), -EINVAL);
	ASSERT_NULL(weft_key_get(k));
	ASSERT_EQ(weft_key_set(k, &x), -EINVAL);
	ASSERT_EQ(weft_key_for_each(k, nothing, NULL), -EINVAL);

	/* The id comes back with a new generation and reads NULL. */
	ASSERT_EQ(weft_key_create(&k2, NULL), 0);
	ASSERT_EQ(ID(k2), ID(k));
	ASSERT_NE(k2, k);
	ASSERT_NULL(weft_key_get(k2));
	ASSERT_NULL(weft_key_get(k));
}

static weft_key_t shared_key;

static void *set_and_check_own_value(void *arg)
{
	long mine = (long)arg;

	if (weft_key_get(shared_key) != NULL)
		return (void *)1;
	for (int i = 0; i < 100; i++) {
		if (weft_key_set(shared_key, (void *)(mine + i)))
			return (void *)2;
		weft_yield();
		if (weft_key_get(shared_key) != (void *)(mine + i))
			return (void *)3;
	}
	return NULL;
}

TEST(values_are_per_thread)
{
	struct weft_join_handle h[8];
	void *r;

	ASSERT_EQ(weft_key_create(&shared_key, NULL), 0);
	ASSERT_EQ(weft_key_set(shared_key, (void *)-1L), 0);
	for (int i = 0; i < 8; i++)
		ASSERT_EQ(weft_spawn(&h[i], set_and_check_own_value, (void *)(i * 1000L + 1)), 0);
	for (int i = 0; i < 8; i++) {
		ASSERT_EQ(weft_join(&h[i], &r), 0);
		ASSERT_NULL(r);
	}
	ASSERT_EQ(weft_key_get(shared_key), (void *)-1L);
}

TEST(keys_max_create_delete_recreate)
{
	static weft_key_t k[WEFT_KEYS_MAX];
	static unsigned char id_seen[WEFT_KEYS_MAX];
	weft_key_t extra;

	for (int round = 0; round < 3; round++) {
		memset(id_seen, 0, sizeof(id_seen));
		for (int i = 0; i < WEFT_KEYS_MAX; i++) {
			ASSERT_EQ(weft_key_create(&k[i], NULL), 0);
			ASSERT_EQ(id_seen[ID(k[i])], 0);
			id_seen[ID(k[i])] = 1;
			ASSERT_EQ(weft_key_set(k[i], &k[i]), 0);
		}
		ASSERT_EQ(weft_key_create(&extra, NULL), -EAGAIN);
		for (int i = 0; i < WEFT_KEYS_MAX; i++)
			ASSERT_EQ(weft_key_get(k[i]), &k[i]);
		ASSERT_EQ(__weft_keys.capacity, WEFT_KEYS_MAX);
		for (int i = 0; i < WEFT_KEYS_MAX; i++)
			ASSERT_EQ(weft_key_delete(k[i]), 0);
		for (int i = 0; i < WEFT_KEYS_MAX; i++)
			ASSERT_NULL(weft_key_get(k[i]));
	}
}

/* A reused id reads NULL in a thread that had a value under the old key. */
static weft_key_t old_key, new_key;
static _Atomic int reuse_step;
static struct weft_thread *reuse_main;
static _Atomic int reuse_dtor_calls;

static void count_reuse_dtor(void *v)
{
	atomic_fetch_add(&reuse_dtor_calls, 1);
}

static void *hold_value_across_reuse(void *arg)
{
	long ok;

	weft_key_set(old_key, (void *)0x1234);
	atomic_store(&reuse_step, 1);
	weft_unpark(reuse_main);
	while (atomic_load(&reuse_step) != 2)
		weft_park();
	ok = weft_key_get(new_key) == NULL && weft_key_get(old_key) == NULL &&
	     weft_key_set(old_key, (void *)1) == -EINVAL;
	return (void *)ok;
}

TEST(a_reused_id_reads_null_in_every_thread)
{
	struct weft_join_handle h;
	void *ok;

	reuse_main = weft_current();
	ASSERT_EQ(weft_key_create(&old_key, count_reuse_dtor), 0);
	ASSERT_EQ(weft_key_set(old_key, (void *)0x5678), 0);
	ASSERT_EQ(weft_spawn(&h, hold_value_across_reuse, NULL), 0);
	while (atomic_load(&reuse_step) != 1)
		weft_park();
	ASSERT_EQ(weft_key_delete(old_key), 0);
	ASSERT_EQ(weft_key_create(&new_key, count_reuse_dtor), 0);
	ASSERT_EQ(ID(new_key), ID(old_key));
	ASSERT_NULL(weft_key_get(new_key));
	atomic_store(&reuse_step, 2);
	weft_unpark(weft_join_handle_thread(&h));
	ASSERT_EQ(weft_join(&h, &ok), 0);
	ASSERT_EQ((long)ok, 1);
	/* Delete calls no destructor, and the new key had no value to destroy. */
	ASSERT_EQ(atomic_load(&reuse_dtor_calls), 0);
}

/* ---- growth: folly's factors, and allocation failure ------------------------ */

TEST(arrays_grow_by_follys_factors)
{
	static weft_key_t k[300];

	for (int i = 0; i < 3; i++)
		ASSERT_EQ(weft_key_create(&k[i], NULL), 0);
	/* 3 ids exist: (0 + 5) * 1.7 = 8 > 3, so (0 + 5) * 1.1 = 5. */
	ASSERT_EQ(weft_key_set(k[0], k), 0);
	ASSERT_EQ(__weft_keys.capacity, 5);
	ASSERT_EQ(weft_key_set(k[0], NULL), 0);
	for (int i = 3; i < 300; i++)
		ASSERT_EQ(weft_key_create(&k[i], NULL), 0);
	/* 300 ids exist: id 50 gets (50 + 5) * 1.7 = 93, id 200 gets 205 * 1.1 = 225. */
	ASSERT_EQ(weft_key_set(k[50], k), 0);
	ASSERT_EQ(__weft_keys.capacity, 93);
	ASSERT_EQ(weft_key_set(k[200], k), 0);
	ASSERT_EQ(__weft_keys.capacity, 225);
	/* Values survive the copies; NULL past the end never allocates. */
	ASSERT_EQ(weft_key_get(k[50]), k);
	ASSERT_EQ(weft_key_set(k[299], NULL), 0);
	ASSERT_EQ(__weft_keys.capacity, 225);
}

static void count_value(void *value, void *arg)
{
	if (value)
		(*(int *)arg)++;
}

/* weft_key_set() with its first mmap failing: -ENOMEM, and no block gained or lost. */
/* The same for weft_key_reset(), which must also leave the key's gate as it was. */
static void assert_set_fails_on_mmap(weft_key_t key, void *value)
{
	struct weft_alloc_stats before, after;
	int n = 0;

	for (int reset = 0; reset < 2; reset++) {
		weft_alloc_stats(&before);
		ASSERT_EQ(weft_fault_inject(__NR_mmap, 1, ENOMEM), 0);
		if (reset)
			ASSERT_EQ(weft_key_reset(key, value), -ENOMEM);
		else
			ASSERT_EQ(weft_key_set(key, value), -ENOMEM);
		ASSERT_EQ(weft_fault_fired(), 1);
		weft_fault_clear();
		weft_alloc_stats(&after);
		ASSERT_EQ(after.blocks, before.blocks);
	}
	ASSERT_EQ(weft_key_for_each(key, count_value, &n), 0);	/* a walk still starts */
}

TEST(growth_failure_is_enomem_with_nothing_changed)
{
	static weft_key_t k[400];
	int n = 0;

	for (int i = 0; i < 400; i++)
		ASSERT_EQ(weft_key_create(&k[i], NULL), 0);

	/* The first array: a large block (> 2 KiB), so a fresh mmap. */
	assert_set_fails_on_mmap(k[350], k);
	ASSERT_NULL(__weft_keys.slots);
	ASSERT_EQ(__weft_keys.capacity, 0);
	ASSERT_EQ(weft_key_for_each(k[350], count_value, &n), 0);
	ASSERT_NULL(weft_key_get(k[350]));

	/* Growing an existing array. */
	ASSERT_EQ(weft_key_set(k[3], k), 0);
	size_t capacity = __weft_keys.capacity;
	struct __weft_key_slot *values = __weft_keys.slots;

	assert_set_fails_on_mmap(k[350], k);
	ASSERT_EQ(__weft_keys.capacity, capacity);
	ASSERT_EQ(__weft_keys.slots, values);
	ASSERT_EQ(weft_key_get(k[3]), k);
	ASSERT_EQ(weft_key_for_each(k[3], count_value, &n), 1);

	/* And once memory is back, it works. */
	ASSERT_EQ(weft_key_set(k[350], k), 0);
	ASSERT_EQ(weft_key_get(k[350]), k);
	ASSERT_EQ(weft_key_get(k[3]), k);
}

/* ---- destructor rounds -------------------------------------------------------- */

static weft_key_t sticky_key;
static int sticky_calls;
static char sticky_name[32];
static int sticky_current_ok;

/* Always sets its key again: POSIX stops after WEFT_DESTRUCTOR_ITERATIONS rounds. */
static void sticky_dtor(void *value)
{
	struct weft_thread *t = weft_current();

	sticky_calls++;
	/* Round 4 is the last: ThreadInfo is still there (it lives in the TCB). */
	sticky_current_ok = t && weft_thread_id(t) == (weft_thread_id_t)(long)value;
	weft_strlcpy(sticky_name, t && weft_thread_name(t) ? weft_thread_name(t) : "?",
		     sizeof(sticky_name));
	weft_key_set(sticky_key, value);
}

static void *set_sticky(void *arg)
{
	weft_key_set(sticky_key, (void *)(long)weft_thread_id(weft_current()));
	return NULL;
}

TEST(a_destructor_that_always_resets_runs_exactly_four_rounds)
{
	ASSERT_EQ(weft_key_create(&sticky_key, sticky_dtor), 0);
	test_run_in_thread(set_sticky, NULL, "sticky");
	ASSERT_EQ(sticky_calls, WEFT_DESTRUCTOR_ITERATIONS);
	ASSERT_TRUE(sticky_current_ok);
	ASSERT_STREQ(sticky_name, "sticky");
}

/* Two keys whose destructors set each other: at most one call per key per round. */
static weft_key_t ping_key, pong_key;
static int ping_calls, pong_calls;

static void ping_dtor(void *v)
{
	ping_calls++;
	weft_key_set(pong_key, v);
}

static void pong_dtor(void *v)
{
	pong_calls++;
	weft_key_set(ping_key, v);
}

static void *set_ping(void *arg)
{
	weft_key_set(ping_key, (void *)1);
	return NULL;
}

TEST(keys_whose_destructors_set_each_other_stop_after_four_rounds)
{
	ASSERT_EQ(weft_key_create(&ping_key, ping_dtor), 0);
	ASSERT_EQ(weft_key_create(&pong_key, pong_dtor), 0);
	ASSERT_LT(ID(ping_key), ID(pong_key));
	test_run_in_thread(set_ping, NULL, "ping-pong");
	/* Ids in order: each round runs ping (sets pong) then pong (sets ping). */
	ASSERT_EQ(ping_calls, WEFT_DESTRUCTOR_ITERATIONS);
	ASSERT_EQ(pong_calls, WEFT_DESTRUCTOR_ITERATIONS);
}

/* Only non-NULL values are destroyed, each with the value, once. */
static weft_key_t clearer_key, cleared_key, no_dtor_key, nulled_key;
static long destroyed[8];
static int destroyed_count;

static void record(void *v)
{
	if (destroyed_count < 8)
		destroyed[destroyed_count++] = (long)v;
}

static void clearer_dtor(void *v)
{
	record(v);
	weft_key_set(cleared_key, NULL);	/* later id, same round: now skipped */
	/* In its own destructor, the key's slot is already NULL. */
	if (weft_key_get(clearer_key) != NULL)
		record((void *)-1L);
}

static void *set_four(void *arg)
{
	weft_key_set(clearer_key, (void *)10);
	weft_key_set(cleared_key, (void *)20);
	weft_key_set(no_dtor_key, (void *)30);
	weft_key_set(nulled_key, (void *)40);
	weft_key_set(nulled_key, NULL);
	return NULL;
}

TEST(destructors_run_only_for_non_null_values)
{
	ASSERT_EQ(weft_key_create(&clearer_key, clearer_dtor), 0);
	ASSERT_EQ(weft_key_create(&cleared_key, record), 0);
	ASSERT_EQ(weft_key_create(&no_dtor_key, NULL), 0);
	ASSERT_EQ(weft_key_create(&nulled_key, record), 0);
	test_run_in_thread(set_four, NULL, "non-null");
	ASSERT_EQ(destroyed_count, 1);
	ASSERT_EQ(destroyed[0], 10);
}

struct owned {
	struct weft_thread *owner;
	long value;
};

static weft_key_t owned_key;
static _Atomic int owned_ok, owned_bad;

static void check_owner(void *v)
{
	struct owned *o = v;

	if (o->owner == weft_current() && o->value == (long)weft_thread_id(o->owner))
		atomic_fetch_add(&owned_ok, 1);
	else
		atomic_fetch_add(&owned_bad, 1);
	weft_free(o);
}

static void *set_owned(void *arg)
{
	struct owned *o = weft_malloc(sizeof(*o));

	if (!o)
		return (void *)1;
	o->owner = weft_current();
	o->value = (long)weft_thread_id(o->owner);
	weft_key_set(owned_key, o);
	weft_yield();
	return NULL;
}

TEST(values_are_destroyed_in_their_threads_with_their_own_values)
{
	struct weft_join_handle h[16];

	ASSERT_EQ(weft_key_create(&owned_key, check_owner), 0);
	for (int i = 0; i < 16; i++)
		ASSERT_EQ(weft_spawn(&h[i], set_owned, NULL), 0);
	for (int i = 0; i < 16; i++)
		ASSERT_EQ(weft_join(&h[i], NULL), 0);
	ASSERT_EQ(atomic_load(&owned_ok), 16);
	ASSERT_EQ(atomic_load(&owned_bad), 0);
}

/* LocalKeys and keys together: each kind's destructors may use the other kind. */
static char mix_log[16];
static int mix_len;
static weft_key_t mix_key;

static void mix_key_dtor(void *v);
static void log_local_late(long *v)
{
	mix_log[mix_len++] = 'l';
}
WEFT_THREAD_LOCAL(long, local_late, 0, log_local_late);

static void log_local_early(long *v)
{
	mix_log[mix_len++] = 'L';
	weft_key_set(mix_key, (void *)1);	/* a key value set by a LocalKey destructor */
}
WEFT_THREAD_LOCAL(long, local_early, 0, log_local_early);

static void mix_key_dtor(void *v)
{
	mix_log[mix_len++] = (char)('0' + (long)v);
	if ((long)v == 1) {
		weft_local_set(local_late, 1);	/* first touched in round 1 */
		weft_key_set(mix_key, (void *)2);
	}
}

static void *touch_local_early(void *arg)
{
	weft_local_get(local_early);
	return NULL;
}

TEST(local_and_key_destructors_may_use_each_other)
{
	ASSERT_EQ(weft_key_create(&mix_key, mix_key_dtor), 0);
	test_run_in_thread(touch_local_early, NULL, "mix");
	/* LocalKeys, key round 1, LocalKeys it touched, key round 2. */
	mix_log[mix_len] = 0;
	ASSERT_STREQ(mix_log, "L1l2");
}

/* After the thread's rounds are over, set refuses rather than relink a dying TCB. */
static void *set_after_teardown(void *arg)
{
	weft_key_t k = *(weft_key_t *)arg;

	if (weft_key_set(k, (void *)1))
		return (void *)1;
	weft_thread_exit_work();	/* lib/exit.c: the thread's end, run early */
	if (__weft_keys.slots || weft_key_get(k))
		return (void *)2;
	if (weft_key_set(k, (void *)1) != -EBUSY)
		return (void *)3;
	if (weft_key_set(k, NULL) != 0)
		return (void *)4;
	return NULL;
}

TEST(set_after_the_threads_rounds_is_ebusy)
{
	weft_key_t k;
	int n = 0;

	ASSERT_EQ(weft_key_create(&k, NULL), 0);
	ASSERT_NULL(test_run_in_thread(set_after_teardown, &k, "late-set"));
	ASSERT_EQ(weft_key_for_each(k, count_value, &n), 0);
}

/* join() returns after the key destructors, and delete waits for a running round. */
static weft_key_t slow_key;
static struct weft_thread *slow_main;
static _Atomic int slow_started, slow_release, slow_finished, deleter_started, deleted;

static void slow_dtor(void *v)
{
	atomic_store(&slow_started, 1);
	weft_unpark(slow_main);
	while (!atomic_load(&slow_release))
		weft_park();
	for (int i = 0; i < 100; i++)
		weft_yield();	/* the deleter is in weft_key_delete() by now, most likely */
	if (atomic_load(&deleted))
		atomic_store(&slow_finished, -1);	/* delete did not wait for us */
	else
		atomic_store(&slow_finished, 1);
}

static void *set_slow_key(void *arg)
{
	weft_key_set(slow_key, (void *)1);
	return NULL;
}

static void *delete_slow_key(void *arg)
{
	struct weft_thread *dtor_thread = arg;

	atomic_store(&deleter_started, 1);
	atomic_store(&slow_release, 1);
	weft_unpark(dtor_thread);
	weft_thread_put(dtor_thread);	/* taken by the spawner: it may be joined by now */
	if (weft_key_delete(slow_key))
		return (void *)1;
	atomic_store(&deleted, 1);
	return NULL;
}

TEST(join_and_delete_wait_for_the_destructor_rounds)
{
	struct weft_join_handle h, deleter;

	slow_main = weft_current();
	ASSERT_EQ(weft_key_create(&slow_key, slow_dtor), 0);
	ASSERT_EQ(weft_spawn(&h, set_slow_key, NULL), 0);
	while (!atomic_load(&slow_started))
		weft_park();
	ASSERT_EQ(weft_is_finished(&h), 0);
	ASSERT_EQ(weft_spawn(&deleter, delete_slow_key,
			     weft_thread_get(weft_join_handle_thread(&h))), 0);
	ASSERT_EQ(weft_join(&h, NULL), 0);
	ASSERT_EQ(atomic_load(&slow_finished), 1);
	ASSERT_EQ(weft_join(&deleter, NULL), 0);
	ASSERT_EQ(atomic_load(&deleted), 1);
}

/* ---- for_each ------------------------------------------------------------------- */

static weft_key_t fe_key;
static int fe_from_dtor = 1, fe_delete_in_fn = 1, fe_create_in_fn = 1, fe_grow_in_fn = 1;
static int fe_set_in_fn = 1, fe_calls, fe_null_last;
static int fe_destroy_in_fn = 1, fe_reset_in_fn = 1, fe_other_from_dtor = -1;
static weft_key_t fe_other_key;

static void fe_dtor(void *v)
{
	fe_from_dtor = weft_key_for_each(fe_key, nothing, NULL);
	fe_other_from_dtor = weft_key_for_each(fe_other_key, nothing, NULL);
}

static void fe_fn(void *value, void *arg)
{
	weft_key_t k;

	fe_calls++;
	fe_null_last = value == NULL;
	if (value)
		return;
	fe_delete_in_fn = weft_key_delete(fe_key);
	fe_destroy_in_fn = weft_key_destroy(fe_key);
	fe_reset_in_fn = weft_key_reset(fe_key, (void *)9);
	fe_create_in_fn = weft_key_create(&k, NULL);
	fe_set_in_fn = weft_key_set(fe_key, (void *)8);		/* covered: no growth */
	fe_grow_in_fn = weft_key_set(*(weft_key_t *)arg, (void *)8);	/* needs growth */
}

static void *set_fe_key(void *arg)
{
	weft_key_set(fe_key, (void *)1);
	return NULL;
}

TEST(for_each_visits_values_then_null_refuses_only_what_would_wait_for_itself)
{
	static weft_key_t k[40];

	ASSERT_EQ(weft_key_create(&fe_key, fe_dtor), 0);
	ASSERT_EQ(weft_key_create(&fe_other_key, NULL), 0);
	ASSERT_EQ(weft_key_set(fe_other_key, (void *)5), 0);
	for (int i = 0; i < 40; i++)
		ASSERT_EQ(weft_key_create(&k[i], NULL), 0);
	ASSERT_EQ(weft_key_set(fe_key, (void *)7), 0);
	ASSERT_EQ(weft_key_for_each(fe_key, fe_fn, &k[39]), 1);
	ASSERT_EQ(fe_calls, 2);
	ASSERT_TRUE(fe_null_last);
	ASSERT_EQ(fe_delete_in_fn, -EDEADLK);
	ASSERT_EQ(fe_destroy_in_fn, -EDEADLK);
	ASSERT_EQ(fe_reset_in_fn, -EDEADLK);
	ASSERT_EQ(fe_create_in_fn, 0);
	ASSERT_EQ(fe_set_in_fn, 0);
	ASSERT_EQ(fe_grow_in_fn, 0);
	ASSERT_EQ(weft_key_get(k[39]), (void *)8);
	ASSERT_EQ(weft_key_get(fe_key), (void *)8);
	test_run_in_thread(set_fe_key, NULL, "fe");
	ASSERT_EQ(fe_from_dtor, -EDEADLK);
	/* A destructor of another key may walk this one: main's value, and the NULL. */
	ASSERT_EQ(fe_other_from_dtor, 1);
}

/*
 * Per-thread counters summed by for_each, checked against the increments
 * under way while threads start, count, reset and exit. An increment is
 * bracketed by begun++ and done++; a sum taken between reading done (lo)
 * and begun (hi) must lie in [lo, hi]: a count missed by a racing exit or
 * reset would fall below lo, one counted twice would rise above hi.
 */
struct counter {
	_Atomic long n;
};

static weft_key_t sum_key;
static _Atomic long retired, begun, done;
static struct weft_lock reset_lock = WEFT_LOCK_INIT;
static _Atomic int stop_reader;
static long reader_checks;

/* At exit, as a destructor of the key: never while a for_each of it is under way. */
static void retire_counter(void *p)
{
	struct counter *c = p;

	atomic_fetch_add(&retired, atomic_load(&c->n));
	weft_free(c);
}

static void add_counter(void *value, void *arg)
{
	long *sum = arg;

	/* The last call, still under the locks: what exited or reset threads left. */
	*sum += value ? atomic_load(&((struct counter *)value)->n) : atomic_load(&retired);
}

static void *count_and_reset(void *arg)
{
	long iterations = (long)arg;

	for (long i = 0; i < iterations; i++) {
		struct counter *c = weft_key_get(sum_key);

		if (!c) {
			c = weft_calloc(1, sizeof(*c));
			if (!c || weft_key_set(sum_key, c))
				return (void *)1;
		}
		atomic_fetch_add(&begun, 1);
		atomic_fetch_add(&c->n, 1);
		atomic_fetch_add(&done, 1);
		if (i % 50 == 49) {
			/* A reset, atomic for readers through reset_lock. */
			weft_lock(&reset_lock);
			weft_key_set(sum_key, NULL);
			atomic_fetch_add(&retired, atomic_load(&c->n));
			weft_unlock(&reset_lock);
			weft_free(c);
		}
	}
	return NULL;
}

static long sum_counters(void)
{
	long sum = 0;

	weft_lock(&reset_lock);
	weft_key_for_each(sum_key, add_counter, &sum);
	weft_unlock(&reset_lock);
	return sum;
}

static void *check_sums(void *arg)
{
	long bad = 0;

	while (!atomic_load(&stop_reader)) {
		long lo = atomic_load(&done), sum = sum_counters(), hi = atomic_load(&begun);

		if (sum < lo || sum > hi)
			bad++;
		reader_checks++;
	}
	return (void *)bad;
}

static void for_each_sums_stay_exact(void)
{
	int waves = test_under_qemu() ? 15 : 60, per_wave = 4;
	long iterations = 333, total = (long)waves * per_wave * iterations;
	struct weft_join_handle reader, h[4];
	void *bad;

	ASSERT_EQ(weft_key_create(&sum_key, retire_counter), 0);
	ASSERT_EQ(weft_spawn(&reader, check_sums, NULL), 0);
	for (int w = 0; w < waves; w++) {
		for (int i = 0; i < per_wave; i++)
			ASSERT_EQ(weft_spawn(&h[i], count_and_reset, (void *)iterations), 0);
		for (int i = 0; i < per_wave; i++) {
			ASSERT_EQ(weft_join(&h[i], &bad), 0);
			ASSERT_NULL(bad);
		}
	}
	atomic_store(&stop_reader, 1);
	ASSERT_EQ(weft_join(&reader, &bad), 0);
	ASSERT_EQ((long)bad, 0);
	ASSERT_GT(reader_checks, 0);
	ASSERT_EQ(atomic_load(&begun), total);
	ASSERT_EQ(sum_counters(), total);
}

TEST_TIMEOUT(for_each_sums_stay_exact_while_threads_start_reset_and_exit, 120)
{
	for_each_sums_stay_exact();
}

TEST_TIMEOUT(for_each_sums_stay_exact_with_fenced_exit_rounds, 120)
{
	without_membarrier();
	for_each_sums_stay_exact();
}

/* ---- id reuse under any interleaving (issue 12) ----------------------------------- */

/*
 * Values carry the key they were set under in their upper half, so a reader
 * can tell a value of the key it asked for from a stale one of an earlier key
 * that had the same id.
 */
#define TAGGED(key, n) ((void *)((uintptr_t)(key) << 32 | (uintptr_t)(n) << 1 | 1))
#define TAG_OF(value) ((weft_key_t)((uintptr_t)(value) >> 32))

static _Atomic weft_key_t churn_key;	/* the live key, as main publishes it */
static _Atomic int churn_stop;
static _Atomic long churn_stale, churn_sets;

static void check_tag(void *value, weft_key_t key)
{
	if (value && TAG_OF(value) != key)
		atomic_fetch_add(&churn_stale, 1);
}

/* Set the live key over and over; every get must show NULL or this key's value. */
static _Atomic int setters_ready;

static void *churn_setter(void *arg)
{
	weft_key_t first = atomic_load(&churn_key);

	/* Each long-lived setter has its array before the churn starts. */
	if (!arg && weft_key_set(first, TAGGED(first, 0)) == 0) {
		atomic_fetch_add(&churn_sets, 1);
		atomic_fetch_add(&setters_ready, 1);
	}
	for (unsigned long n = 1; !atomic_load_explicit(&churn_stop, memory_order_relaxed); n++) {
		weft_key_t k = atomic_load(&churn_key);

		check_tag(weft_key_get(k), k);
		if (weft_key_set(k, TAGGED(k, n)) == 0)
			atomic_fetch_add_explicit(&churn_sets, 1, memory_order_relaxed);
		check_tag(weft_key_get(k), k);
		if (arg && n == (uintptr_t)arg)
			break;	/* a short-lived setter: exit with the value set */
	}
	return NULL;
}

static void check_tag_fn(void *value, void *arg)
{
	check_tag(value, *(weft_key_t *)arg);
}

/*
 * Main deletes the live key and creates the next, which reuses the id, for
 * @rounds rounds or until *@until; @walk also walks each new key.
 */
static void churn_keys(int rounds, void (*dtor)(void *), bool walk, _Atomic int *until)
{
	weft_key_t k = atomic_load(&churn_key), next;

	for (int i = 0; until ? !atomic_load(until) : i < rounds; i++) {
		ASSERT_EQ(weft_key_delete(k), 0);
		ASSERT_EQ(weft_key_create(&next, dtor), 0);
		ASSERT_EQ(ID(next), ID(k));
		atomic_store(&churn_key, next);
		k = next;
		if (walk)
			ASSERT_GE(weft_key_for_each(k, check_tag_fn, &k), 0);
	}
}

/* Four long-lived setters against @rounds of delete and re-create: no stale value seen. */
static void churn_with_setters(int rounds, bool walk)
{
	struct weft_join_handle h[4];
	weft_key_t k;

	ASSERT_EQ(weft_key_create(&k, NULL), 0);
	atomic_store(&churn_key, k);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(weft_spawn(&h[i], churn_setter, NULL), 0);
	while (atomic_load(&setters_ready) != 4)
		weft_yield();
	churn_keys(rounds, NULL, walk, NULL);
	atomic_store(&churn_stop, 1);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(weft_join(&h[i], NULL), 0);
	ASSERT_GT(atomic_load(&churn_sets), 0);
	ASSERT_EQ(atomic_load(&churn_stale), 0);
}

TEST_TIMEOUT(a_deleted_keys_value_never_appears_under_its_reused_id, 120)
{
	churn_with_setters(test_under_qemu() ? 20000 : 200000, false);
}

TEST_TIMEOUT(for_each_never_visits_a_deleted_keys_value_under_its_reused_id, 120)
{
	churn_with_setters(test_under_qemu() ? 10000 : 100000, true);
}

/*
 * Destructors see only values of the key main considers live: delete waits
 * for those under way, and a value left by a deleted key is abandoned, not
 * passed to the destructor of the key that reuses its id.
 */
static _Atomic long churn_destroyed;

static void churn_dtor(void *value)
{
	check_tag(value, atomic_load(&churn_key));
	atomic_fetch_add(&churn_destroyed, 1);
}

/* Short-lived setters, four at a time, each exiting with a value set. */
static _Atomic int waves_done;

static void *spawn_short_setters(void *arg)
{
	for (long wave = 0; wave < (long)arg; wave++) {
		struct weft_join_handle h[4];

		for (int i = 0; i < 4; i++)
			if (weft_spawn(&h[i], churn_setter, (void *)(uintptr_t)(1 + i * 7)))
				return (void *)1;
		for (int i = 0; i < 4; i++)
			weft_join(&h[i], NULL);
	}
	atomic_store(&waves_done, 1);
	return NULL;
}

static void exits_against_delete(void)
{
	long waves = test_under_qemu() ? 100 : 1000;
	struct weft_join_handle spawner;
	weft_key_t k;
	void *ret;

	ASSERT_EQ(weft_key_create(&k, churn_dtor), 0);
	atomic_store(&churn_key, k);
	ASSERT_EQ(weft_spawn(&spawner, spawn_short_setters, (void *)waves), 0);
	churn_keys(0, churn_dtor, false, &waves_done);
	ASSERT_EQ(weft_join(&spawner, &ret), 0);
	ASSERT_NULL(ret);
	/*
	 * How many of the churned exits found their key still live depends on
	 * the scheduler. One last wave, with the key left alone, shows that the
	 * destructor path is the one checked: four values, four calls.
	 */
	atomic_store(&churn_destroyed, 0);
	ASSERT_EQ(weft_spawn(&spawner, spawn_short_setters, (void *)1L), 0);
	ASSERT_EQ(weft_join(&spawner, &ret), 0);
	ASSERT_NULL(ret);
	ASSERT_EQ(atomic_load(&churn_destroyed), 4);
	ASSERT_EQ(atomic_load(&churn_stale), 0);
}

TEST_TIMEOUT(an_exiting_thread_never_destroys_a_deleted_keys_value_under_its_reused_id, 120)
{
	exits_against_delete();
}

TEST_TIMEOUT(a_fenced_exit_round_never_destroys_a_deleted_keys_value_under_its_reused_id, 120)
{
	without_membarrier();
	exits_against_delete();
}

/* ---- no user code under a lock (issue 12) ------------------------------------------ */

/*
 * Thread A's destructor joins thread B while main runs for_each and delete:
 * glibc's twin of this never hangs. With the old exit lock, A held it shared
 * through its destructor, main queued for it exclusively, and B's exit then
 * queued behind main: a deadlock in the first round.
 */
static weft_key_t join_key, b_key;
static struct weft_join_handle joinee;
static struct weft_thread *join_main;
static _Atomic int a_in_dtor, main_walking, b_destroyed, a_joined;

static void join_in_dtor(void *value)
{
	atomic_store(&a_in_dtor, 1);
	weft_unpark(join_main);
	if (weft_join(&joinee, NULL) == 0)
		atomic_store(&a_joined, 1);
}

static void count_b(void *value)
{
	atomic_fetch_add(&b_destroyed, 1);
}

static void *exit_after_main_walks(void *arg)
{
	while (!atomic_load(&main_walking))
		weft_park();
	for (int i = 0; i < 100; i++)
		weft_yield();	/* main is waiting in for_each or delete by now */
	weft_key_set(b_key, (void *)2);	/* an exit round with a destructor */
	return NULL;
}

static void *set_join_key(void *arg)
{
	weft_key_set(join_key, (void *)1);
	return NULL;
}

TEST(a_key_destructor_may_join_while_another_thread_runs_for_each_and_delete)
{
	struct weft_join_handle a;
	struct weft_thread *b;
	int n = 0;

	join_main = weft_current();
	ASSERT_EQ(weft_key_create(&join_key, join_in_dtor), 0);
	ASSERT_EQ(weft_key_create(&b_key, count_b), 0);
	ASSERT_EQ(weft_key_set(b_key, (void *)3), 0);
	ASSERT_EQ(weft_spawn(&joinee, exit_after_main_walks, NULL), 0);
	b = weft_thread_get(weft_join_handle_thread(&joinee));	/* A will be joining it */
	ASSERT_EQ(weft_spawn(&a, set_join_key, NULL), 0);
	while (!atomic_load(&a_in_dtor))
		weft_park();
	atomic_store(&main_walking, 1);
	weft_unpark(b);
	weft_thread_put(b);
	/* Each waits for A's destructor, which waits for B, which needs nothing of ours. */
	ASSERT_GE(weft_key_for_each(b_key, count_value, &n), 1);	/* main's, maybe B's */
	ASSERT_EQ(weft_key_for_each(join_key, count_value, &n), 0);	/* A's value is gone */
	ASSERT_EQ(weft_key_delete(join_key), 0);
	ASSERT_EQ(atomic_load(&a_joined), 1);
	ASSERT_EQ(weft_join(&a, NULL), 0);
	ASSERT_EQ(atomic_load(&b_destroyed), 1);
	ASSERT_EQ(weft_key_delete(b_key), 0);
}

/*
 * An exit round destroys its values without the gate, announcing each key
 * instead: a thread that exits while a walk's callback holds its value
 * must wait for the walk, and its destructor run once the walk is over.
 */
static weft_key_t held_key;
static struct weft_thread *held_owner;
static _Atomic int held_set, held_go, held_destroyed, held_in_callback, held_seen_in_callback;

static void count_held(void *value)
{
	if (atomic_load(&held_in_callback))
		atomic_store(&held_seen_in_callback, 1);	/* destroyed under the walk */
	atomic_fetch_add(&held_destroyed, 1);
}

static void *set_held_then_exit(void *arg)
{
	weft_key_set(held_key, (void *)1);
	atomic_store(&held_set, 1);
	weft_unpark(held_owner);
	while (!atomic_load(&held_go))
		weft_park();
	return NULL;	/* the exit round meets the walk that holds our value */
}

static void hold_while_owner_exits(void *value, void *arg)
{
	struct weft_thread *t = arg;

	if (!value)
		return;
	atomic_store(&held_in_callback, 1);
	atomic_store(&held_go, 1);
	weft_unpark(t);
	for (int i = 0; i < 200; i++)
		weft_yield();	/* the owner is in its round by now, most likely */
	atomic_store(&held_in_callback, 0);
}

TEST(an_exit_round_waits_for_the_walk_that_holds_its_value)
{
	for (int round = 0; round < (test_under_qemu() ? 5 : 20); round++) {
		struct weft_join_handle h;
		struct weft_thread *t;

		held_owner = weft_current();
		atomic_store(&held_set, 0);
		atomic_store(&held_go, 0);
		atomic_store(&held_destroyed, 0);
		ASSERT_EQ(weft_key_create(&held_key, count_held), 0);
		ASSERT_EQ(weft_spawn(&h, set_held_then_exit, NULL), 0);
		while (!atomic_load(&held_set))
			weft_park();
		t = weft_thread_get(weft_join_handle_thread(&h));
		ASSERT_EQ(weft_key_for_each(held_key, hold_while_owner_exits, t), 1);
		weft_thread_put(t);
		ASSERT_EQ(weft_join(&h, NULL), 0);
		ASSERT_EQ(atomic_load(&held_destroyed), 1);
		ASSERT_EQ(atomic_load(&held_seen_in_callback), 0);
		ASSERT_EQ(weft_key_delete(held_key), 0);
	}
}

/* ---- folly's destroy-on-delete (issue 14) ----------------------------------------- */

struct widget {
	long val;
	_Atomic int destroyed;
};

static _Atomic long widget_total;

static void destroy_widget(void *p)
{
	struct widget *w = p;

	atomic_fetch_add(&widget_total, w->val);
	atomic_fetch_add(&w->destroyed, 1);
}

static void free_widget(void *p)
{
	destroy_widget(p);
	weft_free(p);
}

static struct widget *new_widget(void)
{
	return weft_calloc(1, sizeof(struct widget));
}

/* folly's SimpleRepeatDestructor: two keys in a row, each destroyed with its value. */
TEST(destroy_runs_the_destructor_once_and_the_reused_id_starts_fresh)
{
	weft_key_t k, first;

	for (int i = 0; i < 2; i++) {
		struct widget *w = new_widget();

		ASSERT_TRUE(w != NULL);
		ASSERT_EQ(weft_key_create(&k, free_widget), 0);
		if (i == 0)
			first = k;
		else
			ASSERT_EQ(ID(k), ID(first));
		ASSERT_NULL(weft_key_get(k));
		ASSERT_EQ(weft_key_reset(k, w), 0);
		((struct widget *)weft_key_get(k))->val += 10;
		ASSERT_EQ(weft_key_destroy(k), 0);
		ASSERT_NULL(weft_key_get(k));
		ASSERT_EQ(weft_key_destroy(k), -EINVAL);
	}
	ASSERT_EQ(atomic_load(&widget_total), 20);
	/* reset destroys the old value, not the one it installs, and NULL is a value. */
	ASSERT_EQ(weft_key_create(&k, free_widget), 0);
	struct widget *a = new_widget(), *b = new_widget();

	ASSERT_EQ(weft_key_reset(k, a), 0);
	a->val = 1;
	ASSERT_EQ(weft_key_reset(k, a), 0);
	ASSERT_EQ(weft_key_reset(k, b), 0);
	ASSERT_EQ(atomic_load(&widget_total), 21);
	b->val = 2;
	ASSERT_EQ(weft_key_reset(k, NULL), 0);
	ASSERT_EQ(atomic_load(&widget_total), 23);
	ASSERT_EQ(weft_key_destroy(k), 0);
	ASSERT_EQ(atomic_load(&widget_total), 23);
}

/*
 * folly's InterleavedDestructors: a thread uses each new version of a key;
 * main destroys the previous version, destroying the thread's value from
 * main, and every new version starts at NULL in that thread.
 */
#define IL_VERSIONS 2
static struct weft_lock il_lock = WEFT_LOCK_INIT;
static weft_key_t il_key;
static int il_version, il_iterations, il_fresh = 1;

static void *use_each_version(void *arg)
{
	int seen = 0;

	for (;;) {
		weft_lock(&il_lock);
		if (il_version > IL_VERSIONS) {
			weft_unlock(&il_lock);
			return NULL;
		}
		if (il_version > seen) {
			struct widget *w = weft_key_get(il_key);

			if (w)
				il_fresh = 0;	/* the new version must start fresh */
			w = new_widget();
			if (!w || weft_key_set(il_key, w))
				il_fresh = 0;
			w->val += 10;
			seen = il_version;
			il_iterations++;
		}
		weft_unlock(&il_lock);
		weft_yield();
	}
}

TEST(destroying_a_key_destroys_other_threads_values_with_versions_interleaved)
{
	struct weft_join_handle th;

	ASSERT_EQ(weft_spawn(&th, use_each_version, NULL), 0);
	for (int i = 0; i < IL_VERSIONS; i++) {
		int before;

		weft_lock(&il_lock);
		before = il_iterations;
		if (i > 0)
			ASSERT_EQ(weft_key_destroy(il_key), 0);
		ASSERT_EQ(weft_key_create(&il_key, free_widget), 0);
		il_version++;
		weft_unlock(&il_lock);
		for (;;) {
			weft_lock(&il_lock);
			int done = il_iterations > before;

			weft_unlock(&il_lock);
			if (done)
				break;
			weft_yield();
		}
	}
	weft_lock(&il_lock);
	il_version = IL_VERSIONS + 1;
	weft_unlock(&il_lock);
	ASSERT_EQ(weft_join(&th, NULL), 0);	/* the last version dies with the thread */
	ASSERT_TRUE(il_fresh);
	ASSERT_EQ(atomic_load(&widget_total), IL_VERSIONS * 10);
}

/*
 * folly's TLResetAndThreadExitRace: threads reset their value, then exit
 * while main destroys their key: every value is destroyed exactly once, by
 * its exiting owner or by the destroy, never both.
 */
#define RACE_THREADS 16
static struct widget race_widgets[RACE_THREADS];
static weft_key_t race_key;
static _Atomic int race_go, race_ready;

static void *set_widget_and_exit(void *arg)
{
	if (weft_key_reset(race_key, arg) == 0)
		atomic_fetch_add(&race_ready, 1);
	while (!atomic_load(&race_go))
		weft_yield();
	return NULL;
}

static void destroy_against_exits(void)
{
	int rounds = test_under_qemu() ? 30 : 300;
	struct weft_join_handle h[RACE_THREADS];

	for (int r = 0; r < rounds; r++) {
		memset(race_widgets, 0, sizeof(race_widgets));
		atomic_store(&race_go, 0);
		atomic_store(&race_ready, 0);
		ASSERT_EQ(weft_key_create(&race_key, destroy_widget), 0);
		for (int i = 0; i < RACE_THREADS; i++)
			ASSERT_EQ(weft_spawn(&h[i], set_widget_and_exit, &race_widgets[i]), 0);
		while (atomic_load(&race_ready) != RACE_THREADS)
			weft_yield();
		atomic_store(&race_go, 1);
		for (int i = 0; i < r % 4; i++)
			weft_yield();	/* vary how far the exits have got */
		ASSERT_EQ(weft_key_destroy(race_key), 0);
		for (int i = 0; i < RACE_THREADS; i++)
			ASSERT_EQ(weft_join(&h[i], NULL), 0);
		for (int i = 0; i < RACE_THREADS; i++)
			ASSERT_EQ(atomic_load(&race_widgets[i].destroyed), 1);
	}
}

TEST_TIMEOUT(destroy_and_thread_exit_race_each_value_destroyed_exactly_once, 120)
{
	destroy_against_exits();
}

TEST_TIMEOUT(destroy_and_fenced_exit_rounds_race_each_value_destroyed_exactly_once, 120)
{
	without_membarrier();
	destroy_against_exits();
}

/* ---- reset atomic with for_each, growth inside for_each (issue 14) ------------------ */

/*
 * Owners replace their value 20,000 times with weft_key_reset(), whose
 * destructor poisons the value before freeing it; a walker checks every
 * value it is handed. A value being destroyed, or freed (the allocator
 * writes its free-list link over the first word), fails the canary.
 */
#define ALIVE 0xa11ce5a11ce5a11cULL
#define DEAD 0xdeadbeefdeadbeefULL

struct canary {
	_Atomic unsigned long long head;
	long owner;
	_Atomic unsigned long long tail;
};

static weft_key_t reset_key;
static _Atomic int resets_left;
static _Atomic long bad_values, values_seen;

static void poison_and_free(void *p)
{
	struct canary *c = p;

	atomic_store(&c->head, DEAD);
	atomic_store(&c->tail, DEAD);
	for (volatile int i = 0; i < 20; i++)
		;	/* a window for a racing reader */
	weft_free(c);
}

static void check_canary(void *value, void *arg)
{
	struct canary *c = value;

	if (!c)
		return;
	/* Look twice, with a little work between: the value must stay alive throughout. */
	for (int look = 0; look < 2; look++) {
		if (atomic_load(&c->head) != ALIVE || atomic_load(&c->tail) != ALIVE)
			atomic_fetch_add(&bad_values, 1);
		for (volatile int i = 0; i < 200; i++)
			;
	}
	atomic_fetch_add_explicit(&values_seen, 1, memory_order_relaxed);
}

static void *reset_in_a_loop(void *arg)
{
	long loops = (long)arg;

	for (long i = 0; i < loops; i++) {
		struct canary *c = weft_malloc(sizeof(*c));

		if (!c)
			return (void *)1;
		atomic_store(&c->head, ALIVE);
		c->owner = i;
		atomic_store(&c->tail, ALIVE);
		if (weft_key_reset(reset_key, c))
			return (void *)2;
	}
	atomic_fetch_sub(&resets_left, 1);
	return NULL;
}

TEST_TIMEOUT(reset_is_atomic_with_for_each_over_20000_loops, 240)
{
	long loops = 20000;
	struct weft_join_handle h[2];
	void *ret;

	ASSERT_EQ(weft_key_create(&reset_key, poison_and_free), 0);
	atomic_store(&resets_left, 2);
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(weft_spawn(&h[i], reset_in_a_loop, (void *)loops), 0);
	while (atomic_load(&resets_left))
		ASSERT_GE(weft_key_for_each(reset_key, check_canary, NULL), 0);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(weft_join(&h[i], &ret), 0);
		ASSERT_NULL(ret);
	}
	ASSERT_EQ(atomic_load(&bad_values), 0);
	ASSERT_EQ(weft_key_destroy(reset_key), 0);
}

/*
 * folly's accessAllAndRealloc: inside a walk, the walking thread sets 200
 * keys in id order (its array grows again and again), and waits, still
 * inside the walk, for four threads that each link themselves into the list
 * and set the same 200 keys, growing their arrays: growth never waits for a
 * walk. folly's threads cannot exit while its accessor lives; weft's, which
 * have no value of the walked key, exit and are joined inside the callback,
 * their destructor rounds (of the 200 other keys) included.
 */
#define GROW_KEYS 200
#define GROWERS 4
static weft_key_t walked_key, grow_keys[GROW_KEYS];
static struct weft_thread *walker;
static _Atomic int growers_done, grow_errors, grow_destroyed;

static void count_grow_destroyed(void *value)
{
	atomic_fetch_add(&grow_destroyed, 1);
}

/* Set every grow key to @tag; count what fails or reads back wrong. */
static void set_all_grow_keys(long tag)
{
	for (int i = 0; i < GROW_KEYS; i++)
		if (weft_key_set(grow_keys[i], (void *)(tag + i)) ||
		    weft_key_get(grow_keys[i]) != (void *)(tag + i))
			atomic_fetch_add(&grow_errors, 1);
}

static void *grow_while_walked(void *arg)
{
	set_all_grow_keys((long)arg);
	atomic_fetch_add(&growers_done, 1);
	weft_unpark(walker);
	return NULL;
}

static void grow_and_wait(void *value, void *arg)
{
	struct weft_join_handle *growers = arg;

	if (!value)
		return;
	set_all_grow_keys(1000);
	for (int i = 0; i < GROWERS; i++)
		ASSERT_EQ(weft_spawn(&growers[i], grow_while_walked, (void *)(2000L + 1000 * i)), 0);
	while (atomic_load(&growers_done) != GROWERS)
		weft_park();
	for (int i = 0; i < GROWERS; i++)
		ASSERT_EQ(weft_join(&growers[i], NULL), 0);
	ASSERT_EQ(atomic_load(&grow_destroyed), GROWERS * GROW_KEYS);
}

TEST(arrays_grow_and_threads_exit_inside_a_for_each_callback_and_beside_it)
{
	struct weft_join_handle growers[GROWERS];

	walker = weft_current();
	ASSERT_EQ(weft_key_create(&walked_key, NULL), 0);
	for (int i = 0; i < GROW_KEYS; i++)
		ASSERT_EQ(weft_key_create(&grow_keys[i], count_grow_destroyed), 0);
	ASSERT_EQ(weft_key_set(walked_key, (void *)7), 0);
	ASSERT_LT(__weft_keys.capacity, ID(grow_keys[GROW_KEYS - 1]));
	ASSERT_EQ(weft_key_for_each(walked_key, grow_and_wait, growers), 1);
	ASSERT_EQ(atomic_load(&grow_errors), 0);
	ASSERT_EQ(weft_key_get(grow_keys[GROW_KEYS - 1]), (void *)(1000L + GROW_KEYS - 1));
	ASSERT_EQ(weft_key_get(walked_key), (void *)7);
}

/*
 * The gate's futex waits (for_each waiting for a destructor, delete waiting
 * for the key's destructors) fail as a signal or a racing wake makes them
 * fail; each keeps waiting. The destructor spins, making no system call,
 * until the three injected failures have fired: so they all hit the waiter.
 */
static weft_key_t wait_key;
static _Atomic int wait_in_dtor;

static void hold_until_three_faults(void *value)
{
	atomic_store(&wait_in_dtor, 1);
	while (weft_fault_fired() < 3)
		;
}

static void *set_wait_key(void *arg)
{
	weft_key_set(wait_key, (void *)1);
	return NULL;
}

TEST(gate_waits_survive_failed_futex_waits)
{
	static const int errs[] = { EINTR, EAGAIN };
	int n = 0;

	for (int i = 0; i < 4; i++) {
		struct weft_join_handle h;
		int ret;

		ASSERT_EQ(weft_key_create(&wait_key, hold_until_three_faults), 0);
		atomic_store(&wait_in_dtor, 0);
		ASSERT_EQ(weft_spawn(&h, set_wait_key, NULL), 0);
		while (!atomic_load(&wait_in_dtor))
			weft_yield();
		for (int k = 0; k < 3; k++)
			ASSERT_EQ(weft_fault_inject(__NR_futex, 1, errs[i % 2]), 0);
		if (i < 2)
			ret = weft_key_for_each(wait_key, count_value, &n);
		else
			ret = weft_key_delete(wait_key);
		ASSERT_EQ(weft_fault_fired(), 3);
		weft_fault_clear();
		ASSERT_EQ(ret, 0);	/* the value was taken; delete succeeded */
		ASSERT_EQ(weft_join(&h, NULL), 0);
		if (i < 2)
			ASSERT_EQ(weft_key_delete(wait_key), 0);
	}
	ASSERT_EQ(n, 0);
}

/*
 * Two green threads on one OS thread walk two keys, each yielding to the
 * other inside its callback, and finish in the order they started: the
 * walks' records in the OS thread's TLS must come out right, so that main
 * may delete both keys afterwards (a stale record would say -EDEADLK).
 */
static weft_key_t green_keys[2];

static void yield_inside(void *value, void *arg)
{
	if (value)
		weft_green_yield();
}

static void *walk_and_yield(void *arg)
{
	return (void *)(long)weft_key_for_each(*(weft_key_t *)arg, yield_inside, NULL);
}

TEST(green_threads_may_switch_inside_for_each_callbacks)
{
	struct weft_green_handle g[2];
	void *visited;

	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(weft_key_create(&green_keys[i], NULL), 0);
		ASSERT_EQ(weft_key_set(green_keys[i], (void *)1), 0);
		ASSERT_EQ(weft_green_spawn(&g[i], walk_and_yield, &green_keys[i], NULL), 0);
	}
	ASSERT_EQ(weft_green_run(), 0);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(weft_green_join(&g[i], &visited), 0);
		ASSERT_EQ((long)visited, 1);
	}
	ASSERT_EQ(weft_key_delete(green_keys[0]), 0);
	ASSERT_EQ(weft_key_delete(green_keys[1]), 0);
}

/* ---- panics and weft_thread_exit() inside callbacks and destructors ------------------- */

/*
 * A panic is a jump: the frames of a walk or a destructor that it leaves
 * never run their end. The gate and the pin they held are let go all the
 * same, so the key's destructors still run (the visited thread's exit
 * included) and the key can be walked, reset and deleted afterwards.
 */
static weft_key_t cut_key;
static _Atomic int cut_release, cut_set, cut_destroyed;

static void quiet(const struct weft_panic_info *info)
{
}

static void count_cut(void *value)
{
	atomic_fetch_add(&cut_destroyed, 1);
}

static void *set_cut_key_and_wait(void *arg)
{
	weft_key_set(cut_key, (void *)1);
	atomic_store(&cut_set, 1);
	while (!atomic_load(&cut_release))
		weft_yield();
	return NULL;	/* its exit round destroys the value: no walk may still hold the gate */
}

static void panic_on_value(void *value, void *arg)
{
	if (value)
		weft_panic("in a for_each callback");
}

static void *walk_and_panic(void *arg)
{
	return (void *)(long)weft_key_for_each(cut_key, panic_on_value, NULL);
}

static void panic_in_dtor(void *value)
{
	weft_panic("in a reset's destructor");
}

static void *reset_and_panic(void *arg)
{
	return (void *)(long)weft_key_reset(cut_key, (void *)3);
}

TEST(a_panic_in_a_callback_or_a_reset_destructor_lets_go_of_the_key)
{
	struct weft_join_handle h;
	weft_key_t other;
	void *r;
	int n = 0;

	weft_set_panic_hook(quiet);
	ASSERT_EQ(weft_key_create(&cut_key, count_cut), 0);
	ASSERT_EQ(weft_spawn(&h, set_cut_key_and_wait, NULL), 0);
	while (!atomic_load(&cut_set))
		weft_yield();
	/* Only h has a value: the walk panics while it stands on h's entry. */
	ASSERT_EQ(weft_catch_panic(walk_and_panic, NULL, &r), WEFT_PANICKED);
	weft_panic_free(r);
	atomic_store(&cut_release, 1);
	ASSERT_EQ(weft_join(&h, NULL), 0);	/* unlinked: no pin left; destroyed: no walk */
	ASSERT_EQ(atomic_load(&cut_destroyed), 1);
	ASSERT_EQ(weft_key_for_each(cut_key, count_value, &n), 0);
	ASSERT_EQ(weft_key_delete(cut_key), 0);	/* not -EDEADLK: no walk frame left */

	/* A reset whose destructor panics: the destructor's hold on the gate goes too. */
	ASSERT_EQ(weft_key_create(&other, panic_in_dtor), 0);
	cut_key = other;
	ASSERT_EQ(weft_key_set(cut_key, (void *)2), 0);
	ASSERT_EQ(weft_catch_panic(reset_and_panic, NULL, &r), WEFT_PANICKED);
	weft_panic_free(r);
	ASSERT_EQ(weft_key_get(cut_key), (void *)3);
	ASSERT_EQ(weft_key_for_each(cut_key, count_value, &n), 1);	/* not waiting */
	ASSERT_EQ(weft_key_delete(cut_key), 0);
}

/* weft_thread_exit() from inside a walk: the thread ends, and its own exit round runs. */
static weft_key_t exit_key;
static _Atomic int exit_destroyed;

static void count_exit_destroyed(void *value)
{
	atomic_fetch_add(&exit_destroyed, 1);
}

static void exit_on_value(void *value, void *arg)
{
	if (value)
		weft_thread_exit((void *)42);
}

static void *walk_and_exit(void *arg)
{
	weft_key_set(exit_key, (void *)1);
	weft_key_for_each(exit_key, exit_on_value, NULL);
	return NULL;
}

TEST(weft_thread_exit_inside_a_for_each_callback_ends_the_thread_cleanly)
{
	struct weft_join_handle h;
	void *r;
	int n = 0;

	ASSERT_EQ(weft_key_create(&exit_key, count_exit_destroyed), 0);
	ASSERT_EQ(weft_spawn(&h, walk_and_exit, NULL), 0);
	ASSERT_EQ(weft_join(&h, &r), 0);
	ASSERT_EQ(r, (void *)42);
	ASSERT_EQ(atomic_load(&exit_destroyed), 1);
	ASSERT_EQ(weft_key_for_each(exit_key, count_value, &n), 0);
	ASSERT_EQ(weft_key_destroy(exit_key), 0);
}

/* ---- StaticKey --------------------------------------------------------------- */

static struct weft_static_key lazy = WEFT_STATIC_KEY_INIT(NULL);
static _Atomic int lazy_go, lazy_ready;

static void *race_for_the_static_key(void *arg)
{
	atomic_fetch_add(&lazy_ready, 1);
	while (!atomic_load(&lazy_go))
		;	/* spin: all threads leave the line together */
	return (void *)(long)weft_static_key(&lazy);
}

TEST(static_key_racing_threads_agree_and_losers_give_their_keys_back)
{
	struct weft_join_handle h[8];
	weft_key_t k[8], extra;
	int created = 0;
	void *r;

	for (int i = 0; i < 8; i++)
		ASSERT_EQ(weft_spawn(&h[i], race_for_the_static_key, NULL), 0);
	while (atomic_load(&lazy_ready) != 8)
		weft_yield();
	atomic_store(&lazy_go, 1);
	for (int i = 0; i < 8; i++) {
		ASSERT_EQ(weft_join(&h[i], &r), 0);
		k[i] = (weft_key_t)(long)r;
		ASSERT_NE(k[i], 0);
		ASSERT_EQ(k[i], k[0]);
	}
	ASSERT_EQ(weft_static_key(&lazy), k[0]);
	ASSERT_EQ(weft_static_key_set(&lazy, &lazy), 0);
	ASSERT_EQ(weft_static_key_get(&lazy), &lazy);
	/* Only the winner's key is still taken. */
	while (weft_key_create(&extra, NULL) == 0)
		created++;
	ASSERT_EQ(created, WEFT_KEYS_MAX - 1);
}

static void free_static_value(void *v)
{
	weft_free(v);
}

static struct weft_static_key lazy_with_dtor = WEFT_STATIC_KEY_INIT(free_static_value);

static void *use_lazy_with_dtor(void *arg)
{
	return (void *)(long)weft_static_key_set(&lazy_with_dtor, weft_malloc(32));
}

TEST(static_key_destructors_run_and_exhaustion_is_reported)
{
	static struct weft_static_key never = WEFT_STATIC_KEY_INIT(NULL);
	struct weft_alloc_stats before, after;
	weft_key_t extra;

	test_run_in_thread(use_lazy_with_dtor, NULL, NULL);	/* creates the key, warms up */
	weft_alloc_stats(&before);
	ASSERT_NULL(test_run_in_thread(use_lazy_with_dtor, NULL, NULL));
	weft_alloc_stats(&after);
	ASSERT_EQ(after.blocks, before.blocks);
	while (weft_key_create(&extra, NULL) == 0)
		;
	ASSERT_EQ(weft_static_key(&never), 0);
	ASSERT_NULL(weft_static_key_get(&never));
	ASSERT_EQ(weft_static_key_set(&never, &never), -EAGAIN);
}

/* ---- no leak: many threads, many keys ----------------------------------------- */

#define LEAK_KEYS 100
static weft_key_t leak_keys[LEAK_KEYS];

static void *touch_hundred_keys(void *arg)
{
	for (int i = 0; i < LEAK_KEYS; i++) {
		void *p = weft_malloc(16);

		if (!p || weft_key_set(leak_keys[i], p))
			return (void *)1;
	}
	return NULL;
}

TEST_TIMEOUT(no_leak_across_ten_thousand_threads_touching_a_hundred_keys, 240)
{
	/* qemu-user leaks host memory per thread and spawns 5-7x slower: 2,000 there. */
	int threads = test_under_qemu() ? 2000 : 10000;
	struct test_leak_baseline base;

	for (int i = 0; i < LEAK_KEYS; i++)
		ASSERT_EQ(weft_key_create(&leak_keys[i], weft_free), 0);
	ASSERT_NULL(test_run_in_thread(touch_hundred_keys, NULL, NULL));	/* warm up */
	test_leak_baseline_take(&base);
	for (int i = 0; i < threads; i++)
		ASSERT_NULL(test_run_in_thread(touch_hundred_keys, NULL, NULL));
	ASSERT_NO_LEAK(&base);
}

/* ---- the main thread --------------------------------------------------------- */

static weft_key_t main_key;
static int main_rounds;

static void say_main_dtor(void *v)
{
	main_rounds++;
	weft_dprintf(1, "key destructor round %d in '%s'\n", main_rounds,
		     weft_thread_name(weft_current()));
	weft_key_set(main_key, v);
}

__attribute__((constructor)) static void maybe_main_thread_mode(void)
{
	const char *mode = weft_getenv("WEFT_TEST_KEY_MAIN");

	if (!mode)
		return;
	weft_key_create(&main_key, say_main_dtor);
	weft_key_set(main_key, &main_key);
	if (!weft_strcmp(mode, "weft_exit"))
		weft_exit(3);
	if (!weft_strcmp(mode, "exit_group"))
		sys_exit_group(4);
}

static int main_exit_output(const char *mode, char *out, size_t size)
{
	char env[64];
	char *envp[] = { env, NULL };
	int status;

	weft_snprintf(env, sizeof(env), "WEFT_TEST_KEY_MAIN=%s", mode);
	test_exec_self(envp, 1, out, size, &status);
	return status;
}

TEST(main_thread_key_destructors_run_when_main_returns_or_weft_exit)
{
	static const char rounds[] = "key destructor round 1 in 'main'\n"
				     "key destructor round 2 in 'main'\n"
				     "key destructor round 3 in 'main'\n"
				     "key destructor round 4 in 'main'\n";
	char out[2048];
	int status;

	status = main_exit_output("return", out, sizeof(out));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT_NE_NULL(weft_strstr(out, "# Totals:"));
	ASSERT_NE_NULL(weft_strstr(weft_strstr(out, "# Totals:"), rounds));

	status = main_exit_output("weft_exit", out, sizeof(out));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 3);
	ASSERT_STREQ(out, rounds);

	status = main_exit_output("exit_group", out, sizeof(out));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 4);
	ASSERT_STREQ(out, "");
}

static _Atomic int fork_done;

static void *set_and_wait(void *arg)
{
	weft_key_t key = *(weft_key_t *)arg;

	weft_key_set(key, (void *)0x2222);
	while (!atomic_load(&fork_done))
		weft_park();
	return NULL;
}

TEST(a_forked_child_sees_only_its_own_key_values)
{
	struct weft_join_handle h;
	weft_key_t key;
	int pid, status, seen = 0;

	ASSERT_EQ(weft_key_create(&key, NULL), 0);
	ASSERT_EQ(weft_key_set(key, (void *)0x1111), 0);
	ASSERT_EQ(weft_spawn(&h, set_and_wait, &key), 0);
	/* Wait until the other thread has linked its value. */
	while (weft_key_for_each(key, count_value, &seen) < 2)
		seen = 0, weft_yield();
	pid = (int)weft_fork();
	if (pid == 0) {
		int child_seen = 0;

		/* Only this thread exists here: its value, not the other thread's copy. */
		int n = weft_key_for_each(key, count_value, &child_seen);

		test_child_exit(n == 1 && child_seen == 1 && weft_key_get(key) == (void *)0x1111 &&
					weft_key_set(key, (void *)0x3333) == 0
				? 0 : 1);
	}
	ASSERT_GT(pid, 0);
	ASSERT_EQ(sys_wait4(pid, &status, 0, NULL), pid);
	ASSERT_TRUE(test_child_exited(status, 0));
	atomic_store(&fork_done, 1);
	weft_unpark(weft_join_handle_thread(&h));
	ASSERT_EQ(weft_join(&h, NULL), 0);
	ASSERT_EQ(weft_key_delete(key), 0);
}

/* ---- the exit rounds' barrier: membarrier(2) failing ------------------------------ */

static void count_one(void *value, void *arg)
{
	if (value)
		++*(int *)arg;
}

/*
 * A walk after the registration, with the walk's membarrier failing: at once
 * (@arg NULL), or with EPERM ("not registered") and then the registration
 * weft makes on that answer (@arg non-NULL).
 */
static void walk_with_failing_membarrier(void *arg)
{
	weft_key_t key;
	int seen = 0;

	if (weft_key_create(&key, NULL) || weft_key_set(key, (void *)1))
		return;
	if (arg)
		weft_fault_inject(__NR_membarrier, 1, EPERM);
	weft_fault_inject(__NR_membarrier, 1, EINVAL);
	weft_key_for_each(key, count_one, &seen);
	weft_dprintf(2, "weft_key_for_each() returned\n");
}

static void expect_membarrier_fatal(void *eperm_first)
{
	char err[512];
	int status = test_run_child(walk_with_failing_membarrier, eperm_first, err, sizeof(err));

	/* The exit rounds rely on it: to go on unordered could lose a destructor. */
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGABRT);
	ASSERT_NE_NULL(weft_strstr(err, "fatal runtime error: membarrier("
				   "MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed: EINVAL\n"));
	ASSERT_NULL(weft_strstr(err, "returned"));
}

TEST(a_failing_membarrier_after_registration_is_a_fatal_runtime_error)
{
	expect_membarrier_fatal(NULL);
}

TEST(a_failing_registration_after_eperm_is_a_fatal_runtime_error)
{
	expect_membarrier_fatal((void *)1);
}

TEST(a_membarrier_that_finds_no_registration_registers_and_goes_on)
{
	weft_key_t key;
	int seen = 0;

	ASSERT_EQ(weft_key_create(&key, NULL), 0);
	ASSERT_EQ(weft_key_set(key, (void *)1), 0);
	/* EPERM: "not registered". weft registers again and repeats the barrier. */
	ASSERT_EQ(weft_fault_inject(__NR_membarrier, 1, EPERM), 0);
	ASSERT_EQ(weft_key_for_each(key, count_one, &seen), 1);
	ASSERT_EQ(seen, 1);
	ASSERT_EQ(weft_key_delete(key), 0);
}
