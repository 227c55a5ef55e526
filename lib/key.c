// SPDX-License-Identifier: MIT
/* OS-style keys: folly's per-thread element arrays, POSIX destructor rounds, for_each. */
#include <limits.h>

#include <linux/errno.h>

#include "weft/key.h"

#include "lib/internal.h"

/*
 * DOC: keys, element arrays and the two locks
 *
 * A key is (generation << KEY_ID_BITS) | id. The id indexes the key table
 * and every thread's element array; the generation tells a live key from a
 * deleted one whose id was handed out again.
 *
 *   key table (global)             thread A's TCB             thread B's TCB
 *   id  handles[]   key_dtors[]    key_values ---+            key_values ---+
 *    0  1<<10 | 0   free_value     key_capacity 8|            key_capacity 5|
 *    1  3<<10 | 1   NULL                         v                          v
 *    2  0 (free)    -              [ p0 NULL p2 .. ]          [ NULL q1 .. ]
 *                                  key_next --------------->  key_next -> NULL
 *   threads ---> A                 key_prev = NULL   <------  key_prev
 *
 * The inline weft_key_get() reads handles[id], key_capacity and
 * key_values[id]; nothing else is on its path.
 *
 * This is folly's ThreadLocal (folly/detail/ThreadLocalDetail.cpp): one
 * array per thread instead of one pthread key per variable, ids recycled
 * through a free list, the array reallocated by hand (not realloc'd) because
 * other threads write into it, and an "all threads" list for accessAllThreads.
 * weft keeps the array pointer in the TCB where folly needs a pthread key.
 *
 * key_lock (a mutex) protects the key table's allocation state, the thread
 * list, every thread's key_values/key_capacity pair as seen by *other*
 * threads, and the writes other threads make into a thread's array (delete
 * clearing a slot). The owner reads its own pair without it, and reads and
 * writes its own slots with relaxed atomics: the lock-free fast paths.
 *
 * exit_lock (a reader-writer lock) is folly's accessAllThreadsLock_ in
 * AccessModeStrict: a thread holds it shared while it runs a round of key
 * destructors; for_each and delete hold it exclusively. So for_each never
 * sees a value that its destructor is consuming, and once delete returns no
 * destructor of that key is running. Order: exit_lock, then key_lock.
 */

#define KEY_ID_BITS 10
#define KEY_ID_MASK ((1u << KEY_ID_BITS) - 1)
#define KEY_GEN_MAX ((1u << (32 - KEY_ID_BITS)) - 1)
_Static_assert(WEFT_KEYS_MAX <= (1u << KEY_ID_BITS), "every id must fit in a key");

/* folly's growth factors, as integer tenths. */
#define SMALL_GROWTH_TENTHS 11
#define BIG_GROWTH_TENTHS 17
#define GROWTH_SLACK 5

_Static_assert(__WEFT_KEY_ID_MASK == KEY_ID_MASK, "key.h's inline paths agree with us");
_Static_assert(offsetof(struct weft_tcb, key_values) == __WEFT_TCB_KEYS_OFFSET &&
		       offsetof(struct weft_tcb, key_capacity) ==
			       __WEFT_TCB_KEYS_OFFSET + offsetof(struct __weft_tcb_keys, capacity),
	       "include/weft/key.h reads these two TCB fields at a fixed offset from tp "
	       "(on x86_64, tp is the TCB's address)");

/* The key table, by id. The handles are read by the inline fast paths in key.h. */
_Atomic weft_key_t __weft_key_handles[WEFT_KEYS_MAX];
static void (*key_dtors[WEFT_KEYS_MAX])(void *);	/* atomic accesses: exiting threads */
static unsigned int key_generations[WEFT_KEYS_MAX];	/* last handed out; key_lock */

static struct weft_lock key_lock = WEFT_LOCK_INIT;
static unsigned short free_ids[WEFT_KEYS_MAX];	/* a stack: last freed, first reused */
static unsigned int free_count;			/* key_lock */
static _Atomic unsigned int next_id;		/* ids ever handed out; written under key_lock */
static struct weft_tcb *threads;		/* key_lock */

/* ---- a reader-writer lock on a futex word ------------------------------ */

/*
 * Readers: exiting threads, one round of destructors at a time. Writers:
 * for_each and delete, rare. A waiting writer stops new readers (an endless
 * stream of exiting threads must not starve for_each); the *WAIT bits say
 * that somebody sleeps, so an unlock without sleepers makes no system call.
 */
#define RW_WRITER 0x80000000u
#define RW_WRITER_WAITS 0x40000000u
#define RW_READER_WAITS 0x20000000u
#define RW_READERS 0x1fffffffu

static _Atomic uint32_t exit_lock;

static void exit_lock_shared(void)
{
	uint32_t s = atomic_load_explicit(&exit_lock, memory_order_relaxed);

	for (;;) {
		if (!(s & (RW_WRITER | RW_WRITER_WAITS))) {
			if (atomic_compare_exchange_weak_explicit(&exit_lock, &s, s + 1,
								  memory_order_acquire,
								  memory_order_relaxed))
				return;
			continue;
		}
		if (!(s & RW_READER_WAITS) &&
		    !atomic_compare_exchange_weak_explicit(&exit_lock, &s, s | RW_READER_WAITS,
							   memory_order_relaxed,
							   memory_order_relaxed))
			continue;
		weft_futex_wait(&exit_lock, s | RW_READER_WAITS, false, NULL);
		s = atomic_load_explicit(&exit_lock, memory_order_relaxed);
	}
}

static void exit_unlock_shared(void)
{
	uint32_t s = atomic_fetch_sub_explicit(&exit_lock, 1, memory_order_release);

	/* The last reader out lets a waiting writer in. */
	if ((s & RW_READERS) == 1 && (s & RW_WRITER_WAITS))
		weft_futex_wake(&exit_lock, INT_MAX, false);
}

static void exit_lock_exclusive(void)
{
	uint32_t s = atomic_load_explicit(&exit_lock, memory_order_relaxed);

	for (;;) {
		if (!(s & (RW_WRITER | RW_READERS))) {
			/*
			 * Keep the wait bits: other writers may sleep behind us,
			 * and our unlock must wake them.
			 */
			uint32_t mine = (s & (RW_WRITER_WAITS | RW_READER_WAITS)) | RW_WRITER;

			if (atomic_compare_exchange_weak_explicit(&exit_lock, &s, mine,
								  memory_order_acquire,
								  memory_order_relaxed))
				return;
			continue;
		}
		if (!(s & RW_WRITER_WAITS) &&
		    !atomic_compare_exchange_weak_explicit(&exit_lock, &s, s | RW_WRITER_WAITS,
							   memory_order_relaxed,
							   memory_order_relaxed))
			continue;
		weft_futex_wait(&exit_lock, s | RW_WRITER_WAITS, false, NULL);
		s = atomic_load_explicit(&exit_lock, memory_order_relaxed);
	}
}

static void exit_unlock_exclusive(void)
{
	uint32_t s = atomic_exchange_explicit(&exit_lock, 0, memory_order_release);

	if (s & (RW_WRITER_WAITS | RW_READER_WAITS))
		weft_futex_wake(&exit_lock, INT_MAX, false);
}

/*
 * What the calling thread holds, to refuse with -EDEADLK the calls that
 * would wait for it. A __thread of weft's own: a few bytes of every
 * thread's TLS block, like any program's.
 */
#define BUSY_DTOR_ROUND 1	/* exit_lock shared */
#define BUSY_FOR_EACH 2		/* exit_lock exclusive and key_lock */
static __thread unsigned char key_busy;

/* ---- the key table ------------------------------------------------------ */

static bool key_is_live(weft_key_t key)
{
	weft_key_t live = atomic_load_explicit(&__weft_key_handles[key & KEY_ID_MASK],
					       memory_order_relaxed);

	return key != 0 && live == key;
}

/* The destructor of the live key with this id, NULL if free or without one. */
static void (*key_dtor(unsigned int id))(void *)
{
	if (!atomic_load_explicit(&__weft_key_handles[id], memory_order_acquire))
		return NULL;
	return __atomic_load_n(&key_dtors[id], __ATOMIC_RELAXED);
}

int weft_key_create(weft_key_t *key, void (*dtor)(void *value))
{
	unsigned int id, generation;

	if (!key)
		return -EINVAL;
	if (key_busy & BUSY_FOR_EACH)
		return -EDEADLK;
	weft_lock(&key_lock);
	if (free_count) {
		id = free_ids[--free_count];
	} else {
		id = atomic_load_explicit(&next_id, memory_order_relaxed);
		if (id == WEFT_KEYS_MAX) {
			weft_unlock(&key_lock);
			return -EAGAIN;
		}
		atomic_store_explicit(&next_id, id + 1, memory_order_relaxed);
	}
	/* After 2^22 - 1 reuses of one id a stale key could match again: start at 1. */
	generation = key_generations[id] == KEY_GEN_MAX ? 1 : key_generations[id] + 1;
	key_generations[id] = generation;
	__atomic_store_n(&key_dtors[id], dtor, __ATOMIC_RELAXED);
	/* Release: whoever sees the handle sees the destructor. */
	atomic_store_explicit(&__weft_key_handles[id], generation << KEY_ID_BITS | id,
			      memory_order_release);
	weft_unlock(&key_lock);
	*key = generation << KEY_ID_BITS | id;
	return 0;
}

/* Give an id back. Caller holds key_lock and has cleared the id's slots. */
static void free_id(unsigned int id)
{
	atomic_store_explicit(&__weft_key_handles[id], 0, memory_order_relaxed);
	free_ids[free_count++] = (unsigned short)id;
}

int weft_key_delete(weft_key_t key)
{
	unsigned int id = key & KEY_ID_MASK;
	int ret = 0;

	if (key_busy)
		return -EDEADLK;
	exit_lock_exclusive();
	weft_lock(&key_lock);
	if (!key_is_live(key)) {
		ret = -EINVAL;
	} else {
		/* folly's destroy(): the next key with this id must read NULL everywhere. */
		for (struct weft_tcb *t = threads; t; t = t->key_next)
			if (id < t->key_capacity)
				__atomic_store_n(&t->key_values[id], NULL, __ATOMIC_RELAXED);
		free_id(id);
	}
	weft_unlock(&key_lock);
	exit_unlock_exclusive();
	return ret;
}

/* ---- set: growing the array -------------------------------------------------- */

/*
 * folly's reallocate(): (id + 5) * 1.7 if that many ids already exist (the
 * array will be filled), else (id + 5) * 1.1 (room for a few more keys, no
 * more: with thousands of threads every slot is paid for many times). The
 * +5 keeps the first arrays from growing one slot at a time.
 */
static size_t grown_capacity(unsigned int id)
{
	size_t big = (size_t)(id + GROWTH_SLACK) * BIG_GROWTH_TENTHS / 10;
	size_t small = (size_t)(id + GROWTH_SLACK) * SMALL_GROWTH_TENTHS / 10;
	size_t ids = atomic_load_explicit(&next_id, memory_order_relaxed);
	size_t capacity = big <= ids ? big : small;

	return capacity < WEFT_KEYS_MAX ? capacity : WEFT_KEYS_MAX;
}

/* Torn down at exit: unlinked and pointing at itself (a linked TCB never does). */
static bool keys_gone(const struct weft_tcb *tcb)
{
	return tcb->key_next == tcb;
}

static int grow_and_set(struct weft_tcb *tcb, weft_key_t key, const void *value)
{
	unsigned int id = key & KEY_ID_MASK;
	size_t old_capacity, capacity;
	void **old, **grown;

	if (!value)
		return 0;	/* past the end of the array already reads NULL */
	if (key_busy & BUSY_FOR_EACH)
		return -EDEADLK;
	if (keys_gone(tcb))
		return -EBUSY;
	/* Allocate outside the lock; on failure nothing has changed. */
	capacity = grown_capacity(id);
	grown = weft_calloc(capacity, sizeof(*grown));
	if (!grown)
		return -ENOMEM;

	weft_lock(&key_lock);
	/* Deleted meanwhile: storing now would leave a value for the id's next key. */
	if (!key_is_live(key)) {
		weft_unlock(&key_lock);
		weft_free(grown);
		return -EINVAL;
	}
	/* Copy under the lock: a delete may be clearing a slot of the old array. */
	old = tcb->key_values;
	old_capacity = tcb->key_capacity;
	if (old_capacity)
		memcpy(grown, old, old_capacity * sizeof(*grown));
	grown[id] = (void *)value;
	tcb->key_values = grown;
	tcb->key_capacity = capacity;
	if (!old) {
		tcb->key_prev = NULL;
		tcb->key_next = threads;
		if (threads)
			threads->key_prev = tcb;
		threads = tcb;
	}
	weft_unlock(&key_lock);
	weft_free(old);
	return 0;
}

/* The inline weft_key_set() (include/weft/key.h) could not store: find out why. */
int weft_key_set_slow(weft_key_t key, const void *value)
{
	struct weft_tcb *tcb = weft_tcb();
	unsigned int id = key & KEY_ID_MASK;

	if (!key_is_live(key))
		return -EINVAL;
	if (id < tcb->key_capacity) {
		/* The key was created between the inline check and this one. */
		__atomic_store_n(&tcb->key_values[id], (void *)value, __ATOMIC_RELAXED);
		return 0;
	}
	return grow_and_set(tcb, key, value);
}

/* ---- for_each -------------------------------------------------------------- */

int weft_key_for_each(weft_key_t key, void (*fn)(void *value, void *arg), void *arg)
{
	unsigned int id = key & KEY_ID_MASK;
	int visited = 0;

	if (!fn)
		return -EINVAL;
	if (key_busy)
		return -EDEADLK;
	exit_lock_exclusive();
	weft_lock(&key_lock);
	if (!key_is_live(key)) {
		visited = -EINVAL;
		goto out;
	}
	key_busy |= BUSY_FOR_EACH;
	for (struct weft_tcb *t = threads; t; t = t->key_next) {
		void *value;

		if (id >= t->key_capacity)
			continue;
		value = __atomic_load_n(&t->key_values[id], __ATOMIC_RELAXED);
		if (value) {
			fn(value, arg);
			visited++;
		}
	}
	fn(NULL, arg);
	key_busy &= ~BUSY_FOR_EACH;
out:
	weft_unlock(&key_lock);
	exit_unlock_exclusive();
	return visited;
}

/* ---- StaticKey -------------------------------------------------------------- */

weft_key_t weft_static_key_lazy_init(struct weft_static_key *sk)
{
	weft_key_t mine, seen = 0;

	if (weft_key_create(&mine, sk->dtor))
		return atomic_load_explicit(&sk->key, memory_order_acquire);
	if (atomic_compare_exchange_strong_explicit(&sk->key, &seen, mine, memory_order_acq_rel,
						    memory_order_acquire))
		return mine;
	/* Lost the race. Nobody ever saw @mine, so no thread has a value to clear. */
	weft_lock(&key_lock);
	free_id(mine & KEY_ID_MASK);
	weft_unlock(&key_lock);
	return seen;
}

/* ---- thread exit ------------------------------------------------------------- */

/* One POSIX round: each non-NULL value with a destructor is cleared, then destroyed. */
static void run_round(struct weft_tcb *tcb)
{
	exit_lock_shared();
	key_busy |= BUSY_DTOR_ROUND;
	/* Re-read the array each time: a destructor's set may have grown it. */
	for (size_t id = 0; id < tcb->key_capacity; id++) {
		void *value = __atomic_load_n(&tcb->key_values[id], __ATOMIC_RELAXED);
		void (*dtor)(void *);

		if (!value || !(dtor = key_dtor((unsigned int)id)))
			continue;
		__atomic_store_n(&tcb->key_values[id], NULL, __ATOMIC_RELAXED);
		dtor(value);
	}
	key_busy &= ~BUSY_DTOR_ROUND;
	exit_unlock_shared();
}

/* Did a destructor leave a value that has a destructor? (A stale yes costs an empty round.) */
static bool values_pending(const struct weft_tcb *tcb)
{
	for (size_t id = 0; id < tcb->key_capacity; id++)
		if (__atomic_load_n(&tcb->key_values[id], __ATOMIC_RELAXED) &&
		    key_dtor((unsigned int)id))
			return true;
	return false;
}

void weft_local_run_dtors(void);

/**
 * weft_key_run_dtors() - the calling thread's key destructor rounds, then its array's end
 *
 * Called by weft_thread_exit_work() (lib/exit.c) in every exiting thread,
 * main included when it calls weft_exit(). Up to WEFT_DESTRUCTOR_ITERATIONS
 * rounds, each followed by the LocalKey destructors it made necessary; then
 * the array is unlinked from the list of threads and freed, and the thread
 * marked so that a later weft_key_set() fails with -EBUSY instead of
 * linking a dying TCB again. Values still set then are abandoned, as POSIX
 * allows.
 */
void weft_key_run_dtors(void)
{
	struct weft_tcb *tcb = weft_tcb();
	void **values;

	for (int round = 1; tcb->key_values; round++) {
		run_round(tcb);
		weft_local_run_dtors();
		if (round == WEFT_DESTRUCTOR_ITERATIONS || !values_pending(tcb))
			break;
	}
	values = tcb->key_values;
	if (values) {
		weft_lock(&key_lock);
		if (tcb->key_prev)
			tcb->key_prev->key_next = tcb->key_next;
		else
			threads = tcb->key_next;
		if (tcb->key_next)
			tcb->key_next->key_prev = tcb->key_prev;
		tcb->key_values = NULL;
		tcb->key_capacity = 0;
		tcb->key_next = tcb->key_prev = tcb;
		weft_unlock(&key_lock);
		weft_free(values);
	} else {
		/* Never linked: no other thread looks at these fields. */
		tcb->key_next = tcb->key_prev = tcb;
	}
}

/*
 * weft_fork() takes key_lock before the allocator's lock (the order key.c
 * itself uses: it allocates under key_lock), so no other thread is half-way
 * through the key tables when the address space is copied. The parent then
 * unlocks; the child rebuilds its lists in weft_key_after_fork().
 */
void weft_key_fork_prepare(void)
{
	weft_lock(&key_lock);
}

void weft_key_fork_parent(void)
{
	weft_unlock(&key_lock);
}

/*
 * In a child made by weft_fork() only the forking thread exists. The list
 * still holds the copies of the other threads' TCBs, whose values belong to
 * threads that are not there: drop them (their arrays are the child's copy
 * of the parent's memory and are simply never freed). key_lock is ours,
 * taken in weft_key_fork_prepare(): release it. exit_lock is not taken
 * across the fork (a reader may hold it through a long destructor), so
 * another thread may have held it at that instant: reset it.
 */
void weft_key_after_fork(void)
{
	struct weft_tcb *self = weft_tcb();

	atomic_store_explicit(&key_lock.state, 0, memory_order_relaxed);
	atomic_store_explicit(&exit_lock, 0, memory_order_relaxed);
	threads = NULL;
	if (self->key_values && !keys_gone(self)) {
		self->key_prev = NULL;
		self->key_next = NULL;
		threads = self;
	}
}
