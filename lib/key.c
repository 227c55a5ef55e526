// SPDX-License-Identifier: MIT
/* OS-style keys: folly's per-thread element arrays, POSIX destructor rounds, for_each. */
#include <limits.h>

#include <linux/errno.h>
#include <linux/membarrier.h>

#include "weft/key.h"

#include "lib/internal.h"

/*
 * DOC: keys, slots and generations
 *
 * A key is (generation << KEY_ID_BITS) | id. The id indexes the key table
 * and every thread's slot array; the generation tells a live key from a
 * deleted one whose id was handed out again. Each slot keeps the key its
 * value was set under, beside the value, or a tag that is no key of the
 * slot's id (NO_KEY(id): another id's bits, so no key can match it):
 *
 *   key table (global)                thread A (its __weft_keys)
 *   id  handles[]  dtor_keys[]        slots ------------+  capacity 3
 *    0  1<<10|0    1<<10|0                              v
 *    1  3<<10|1    3<<10|1            [ {p0, 1<<10|0} {q, NO_KEY(1)} {NULL, NO_KEY(2)} ]
 *    2  0 (free)   0                                     ^ set under key 2<<10|1,
 *                                                          deleted since: abandoned
 *
 * The slot's key is the whole check of the inline fast paths: get and set
 * read capacity, the slot's key and the value, plain loads, and never the
 * key table. That holds because a slot carries a key only while the key
 * lives: delete and destroy re-tag the key's slot in every thread, under
 * that thread's lock, before they return (forget_in()), and a slow-path
 * set tags a slot, under the same lock, only after checking that the key
 * is live. A set that passed the tag check just before the delete stores
 * its value into a slot that the delete re-tags (or has re-tagged): the
 * value is abandoned, never read under the old key nor under the key that
 * reuses its id, whatever the interleaving of set, delete, create and exit.
 *
 * This is folly's ThreadLocal (folly/detail/ThreadLocalDetail.cpp): one
 * array per thread instead of one pthread key per variable, ids recycled
 * through a free list, the array reallocated by hand (not realloc'd) because
 * other threads read and clear it, and a list of all threads for
 * accessAllThreads. The array pointer is an initial-exec __thread where
 * folly needs a pthread key.
 */

/*
 * DOC: who waits for whom
 *
 * No weft lock is held while user code runs: not around a destructor, not
 * around a for_each callback. What remains:
 *
 * key_lock (a mutex): the id allocator, the list of threads and the pins on
 * it. Held for a few instructions, never across user code.
 *
 * Each thread's lock (struct key_thread.lock): its slot array as other
 * threads see it. The owner takes it to grow the array and to give a slot
 * to a new key; walkers take it to read one slot, destroy to take a value
 * out, delete and destroy to re-tag a slot. Held for a few instructions.
 *
 * Pins: a walker stands on one node of the list at a time; the node's
 * thread, when exiting, waits for the pins to go before it unlinks (and its
 * array and TLS go away). So a walk never holds key_lock across its
 * callback, and a thread that exits waits at most for one callback.
 *
 * The gate of each id (gates[]): a count of the key's destructors under
 * way through it (by reset, by destroy, at exit while a walk is under way)
 * and of its for_each walks. A destructor starts only while no walk is under
 * way; a walk starts only while no destructor is. A waiting walk does not
 * stop new destructors, so a destructor that joins a thread whose own exit
 * destroys a value of the same key finishes; a waiting destructor only waits
 * for the callbacks of walks already under way. Delete and destroy wait
 * until no destructor of the key is under way (a plain count, no lock held
 * by the waited-for thread).
 *
 * The exit rounds' announcements (struct key_thread.dying): the common
 * destructor, a thread's own at exit, does not pass the gate. It announces
 * its key with a plain store and takes the value with the exchange it needs
 * anyway (against a destroy), which orders the two; then it looks at the
 * gate. A walk enters the gate, then looks at every thread's announcement;
 * a delete or destroy takes the key out of the tables, then looks at each
 * thread's. Each side looks after making itself known, so at least one sees
 * the other: the destructor then goes through the gate after all, or the
 * walk, delete or destroy waits for that one destructor (a walk leaves the
 * gate while it waits, as a waiting walk stops no destructor).
 *
 * "Each side looks after making itself known" needs a full barrier on each
 * side, between its store and its look. The exit round is the common side,
 * so it pays nothing: the rare side (walk, delete, destroy, and whoever
 * waits for an announcement to end) asks the kernel for a barrier on every
 * CPU that runs one of our threads, membarrier(2), and the round's barrier
 * is then a compiler barrier (see "the exit rounds' barrier" below). Where
 * membarrier is missing, the round fences itself, with the exchange that
 * takes each value.
 */

#define KEY_ID_BITS 10
#define KEY_ID_MASK ((1u << KEY_ID_BITS) - 1)
#define KEY_GEN_MAX ((1u << (32 - KEY_ID_BITS)) - 1)
/* The tag of a slot that holds no key's value: the id bits are another id's. */
#define NO_KEY(id) ((weft_key_t)(id) ^ 1u)
_Static_assert(WEFT_KEYS_MAX <= (1u << KEY_ID_BITS), "every id must fit in a key");
_Static_assert(__WEFT_KEY_ID_MASK == KEY_ID_MASK, "key.h's inline paths agree with us");

/* folly's growth factors, as integer tenths. */
#define SMALL_GROWTH_TENTHS 11
#define BIG_GROWTH_TENTHS 17
#define GROWTH_SLACK 5

/* This thread's array, read by the inline fast paths in key.h. */
__thread struct __weft_keys __weft_keys;

/* The key table, by id. handles[]: the live key of each id, 0 while the id is free. */
static _Atomic weft_key_t handles[WEFT_KEYS_MAX];
/* The key whose destructor applies to slots tagged with it: live or being destroyed. */
static _Atomic weft_key_t dtor_keys[WEFT_KEYS_MAX];
static void (*key_dtors[WEFT_KEYS_MAX])(void *);	/* written before dtor_keys[] */
static unsigned int key_generations[WEFT_KEYS_MAX];	/* last handed out; key_lock */
static _Atomic uint32_t gates[WEFT_KEYS_MAX];

static struct weft_lock key_lock = WEFT_LOCK_INIT;
static unsigned short free_ids[WEFT_KEYS_MAX];	/* a stack: last freed, first reused */
static unsigned int free_count;			/* key_lock */
static _Atomic unsigned int next_id;		/* ids ever handed out; written under key_lock */

/*
 * Something of a key in progress in this thread, whose user code may
 * panic: a destructor call (holds the gate as a destructor), an exit
 * round (its destructors hold me.dying instead, one at a time), a for_each
 * walk (holds the gate as a walk), a destroy's walk (neither). A walk also
 * holds a pin on the list entry it visits.
 */
enum key_frame_kind { FRAME_DTOR, FRAME_WALK, FRAME_DESTROY, FRAME_EXIT_DTOR };

struct key_frame {
	weft_key_t key;
	enum key_frame_kind kind;
	struct weft_thread *owner;	/* the context (green threads share the TLS) */
	struct key_thread *pinned;	/* the entry a walk stands on, or NULL */
	struct key_frame *up;
};

/* Folly's ThreadEntry: this thread on the list of threads with an array. */
struct key_thread {
	struct weft_lock lock;		/* this thread's slots, as others see them */
	struct __weft_keys *keys;	/* &__weft_keys of this thread */
	struct key_thread *next, *prev;	/* key_lock */
	_Atomic uint32_t pins;		/* walkers standing here; written under key_lock */
	bool unlinking;			/* waits for pins to drop to 0; key_lock */
	bool linked, gone;		/* the owner's */
	struct key_frame *frames;	/* the owner's */
	_Atomic uint32_t dying;		/* the key an exit round destroys a value of, or 0 */
	_Atomic uint32_t dying_waiters;	/* walks and deletes waiting for dying to change */
};

static __thread struct key_thread me;
static struct key_thread *threads;	/* key_lock */

/* ---- the gates ----------------------------------------------------------- */

/*
 * gates[id]: bits 0-19 count destructors under way, bits 20-30 walks, bit
 * 31 says that somebody sleeps on the word. Whoever brings a count to 0
 * clears the bit and wakes everyone; sleepers set it again if they still
 * have to wait, so an uncontended gate makes no system call.
 */
#define GATE_DTOR 1u
#define GATE_DTORS 0x000fffffu
#define GATE_WALK 0x00100000u
#define GATE_WALKS 0x7ff00000u
#define GATE_SLEEPERS 0x80000000u

/* Wait until (*gate & busy) == 0, then add @add. */
static void gate_enter(_Atomic uint32_t *gate, uint32_t busy, uint32_t add)
{
	uint32_t s = atomic_load_explicit(gate, memory_order_relaxed);

	for (;;) {
		if (!(s & busy)) {
			/* seq_cst: a destructor's entry is ordered before its dtor_keys[] check. */
			if (atomic_compare_exchange_weak_explicit(gate, &s, s + add,
								  memory_order_seq_cst,
								  memory_order_relaxed))
				return;
			continue;
		}
		if (!(s & GATE_SLEEPERS) &&
		    !atomic_compare_exchange_weak_explicit(gate, &s, s | GATE_SLEEPERS,
							   memory_order_relaxed,
							   memory_order_relaxed))
			continue;
		weft_futex_wait(gate, s | GATE_SLEEPERS, false, NULL);
		s = atomic_load_explicit(gate, memory_order_relaxed);
	}
}

static void gate_leave(_Atomic uint32_t *gate, uint32_t mask, uint32_t sub)
{
	uint32_t s = atomic_fetch_sub_explicit(gate, sub, memory_order_release);

	if ((s & mask) == sub && (s & GATE_SLEEPERS)) {
		atomic_fetch_and_explicit(gate, ~GATE_SLEEPERS, memory_order_relaxed);
		weft_futex_wake(gate, INT_MAX, false);
	}
}

/* Delete and destroy: until no destructor of the id is under way. */
static void gate_wait_no_dtors(_Atomic uint32_t *gate)
{
	uint32_t s = atomic_load_explicit(gate, memory_order_seq_cst);

	while (s & GATE_DTORS) {
		if ((s & GATE_SLEEPERS) ||
		    atomic_compare_exchange_weak_explicit(gate, &s, s | GATE_SLEEPERS,
							  memory_order_relaxed,
							  memory_order_relaxed)) {
			weft_futex_wait(gate, s | GATE_SLEEPERS, false, NULL);
			s = atomic_load_explicit(gate, memory_order_acquire);
		}
	}
}

/* Is this thread inside a destructor (FRAME_DTOR) or a walk (FRAME_WALK) of @key? */
static bool in_frame(weft_key_t key, enum key_frame_kind kind)
{
	for (struct key_frame *f = me.frames; f; f = f->up)
		if ((f->key == key && f->kind == kind) ||
		    (kind == FRAME_DTOR && f->kind == FRAME_EXIT_DTOR &&
		     atomic_load_explicit(&me.dying, memory_order_relaxed) == key))
			return true;
	return false;
}

/*
 * Frames live on the stack of whoever runs the destructor or the walk. Green
 * threads share their OS thread's TLS, and one may switch away inside a
 * callback: so a frame is unlinked by address, not by restoring the head,
 * and the set stays right whatever order the green threads finish in. (A
 * green thread that sees another's frame of the same key gets -EDEADLK, which
 * is the truth: they share one OS thread's gate.)
 */
static void frame_push(struct key_frame *frame)
{
	frame->owner = weft_tcb()->current;
	frame->pinned = NULL;
	frame->up = me.frames;
	me.frames = frame;
}

static void frame_pop(struct key_frame *frame)
{
	struct key_frame **p = &me.frames;

	while (*p != frame)
		p = &(*p)->up;
	*p = frame->up;
}

/* Run a destructor with a frame saying so; the caller has entered the gate. */
static void call_dtor(weft_key_t key, void (*dtor)(void *), void *value)
{
	struct key_frame frame = { .key = key, .kind = FRAME_DTOR };

	frame_push(&frame);
	dtor(value);
	frame_pop(&frame);
}

/* ---- the exit rounds' barrier ---------------------------------------------- */

/*
 * DOC: the exit rounds' barrier
 *
 * An announcement is a Dekker pair: the round stores me.dying and then loads
 * the gate, the key tables and dying_waiters; a walk, delete or destroy
 * stores its own mark and then loads t->dying. Each side needs a full
 * barrier between its store and its load, or both can miss the other (on
 * x86 a load may pass an earlier store in the store buffer).
 *
 * A full barrier is a locked instruction, about 7 ns here: once per value,
 * it was most of what a destructor round cost beyond the destructors. The
 * barriers are asymmetric instead, as folly's asymmetricHeavyBarrier and
 * liburcu's membarrier flavour are: the round, run by every exiting thread,
 * keeps only a compiler barrier; the rare side calls
 *
 *	membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0)
 *
 * after its store. The kernel (membarrier_private_expedited() in
 * kernel/sched/membarrier.c) makes every CPU that runs a thread of this
 * process execute smp_mb() before the call returns, and a thread that is
 * not running passes a full barrier when it is scheduled again. So for any
 * round, the barrier falls either before its store (the rare side's load
 * sees it) or after its load (the load sees the rare side's store): one of
 * the two sees the other, as with two fences.
 *
 * The kernel wants the process registered first. The first
 * weft_key_create() does that, before any value of any key can exist;
 * fork() keeps the registration. Where it fails (a kernel before 4.14, a
 * seccomp filter), every round fences as before: exit_barrier says which.
 * Once registered, a failing barrier would leave a round unordered, so it
 * is a fatal runtime error (the kernel does not fail it; only an injected
 * fault does).
 *
 * The value itself: with fences, the round takes it with an exchange,
 * against a destroy's take_value(). Without, it takes it with a plain load
 * and store, and only while the key is still live (handles[] after the
 * barrier): a destroy, which unpublishes before its membarrier, then sees
 * the announcement and waits for it before it takes anything. A round that
 * finds the key being destroyed takes with the exchange.
 */
enum { BARRIER_UNDECIDED, BARRIER_FENCES, BARRIER_MEMBARRIER };
static _Atomic int exit_barrier;	/* decided once, by the first create, under key_lock */

static void choose_barrier(void)
{
	long ret;

	if (atomic_load_explicit(&exit_barrier, memory_order_relaxed) != BARRIER_UNDECIDED)
		return;
	ret = sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
	atomic_store_explicit(&exit_barrier, ret ? BARRIER_FENCES : BARRIER_MEMBARRIER,
			      memory_order_relaxed);
}

/* Do exit rounds leave their barrier to the other side? */
static inline bool rounds_unfenced(void)
{
	return atomic_load_explicit(&exit_barrier, memory_order_relaxed) == BARRIER_MEMBARRIER;
}

/* The rare side's barrier: after its store, before it looks at announcements. */
static void heavy_barrier(void)
{
	long ret;

	if (!rounds_unfenced())
		return;		/* the rounds fence themselves */
	ret = sys_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
	if (ret == -EPERM) {	/* not registered, after all: register, then again */
		ret = sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
		if (!ret)
			ret = sys_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
	}
	if (ret) {
		const char *name = weft_errno_name((int)ret);

		weft_fatal("fatal runtime error: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) "
			   "failed: %s\n", name ? name : "error");
	}
}

/* ---- the exit rounds' announcements ---------------------------------------- */

/*
 * An exiting thread destroys its values without the gate (run_round()): it
 * announces the key in me.dying, and whoever must not overlap that
 * destructor (a walk of the key, a delete or destroy of it) looks at every
 * thread's announcement after making itself known, and waits for it to
 * change (wait_not_dying()). The waiters count themselves in dying_waiters;
 * the owner wakes them at its next full barrier after the destructor (the
 * exchange that takes its next value, or the fence that ends the round),
 * before any more user code runs, so a plain store ends an announcement.
 */
static inline void wake_dying_waiters(void)
{
	if (atomic_load_explicit(&me.dying_waiters, memory_order_seq_cst))
		weft_futex_wake(&me.dying, INT_MAX, false);
}

/* Withdraw an announcement at once: the caller is about to wait itself. */
static void end_dying(void)
{
	atomic_store_explicit(&me.dying, 0, memory_order_seq_cst);
	wake_dying_waiters();
}

/* Until @t no longer destroys a value of @key in its exit round; @t is pinned. */
static void wait_not_dying(struct key_thread *t, weft_key_t key)
{
	if (atomic_load_explicit(&t->dying, memory_order_seq_cst) != key)
		return;
	atomic_fetch_add_explicit(&t->dying_waiters, 1, memory_order_seq_cst);
	heavy_barrier();	/* the round's next look at dying_waiters sees us, or we see it move on */
	while (atomic_load_explicit(&t->dying, memory_order_seq_cst) == key)
		weft_futex_wait(&t->dying, key, false, NULL);
	atomic_fetch_sub_explicit(&t->dying_waiters, 1, memory_order_relaxed);
}

/* ---- the key table ------------------------------------------------------ */

/* A slot's key: its owner reads it without a lock, delete and destroy re-tag it from afar. */
static weft_key_t slot_key(const struct __weft_key_slot *slot)
{
	return __atomic_load_n(&slot->key, __ATOMIC_RELAXED);
}

static void set_slot_key(struct __weft_key_slot *slot, weft_key_t key)
{
	__atomic_store_n(&slot->key, key, __ATOMIC_RELAXED);
}

static bool key_is_live(weft_key_t key)
{
	weft_key_t live = atomic_load_explicit(&handles[key & KEY_ID_MASK],
					       memory_order_seq_cst);

	return key != 0 && live == key;
}

/* @key's destructor if it still applies to values tagged with @key, else NULL. */
static void (*dtor_of(weft_key_t key))(void *)
{
	if (atomic_load_explicit(&dtor_keys[key & KEY_ID_MASK], memory_order_seq_cst) != key)
		return NULL;
	return __atomic_load_n(&key_dtors[key & KEY_ID_MASK], __ATOMIC_RELAXED);
}

int weft_key_create(weft_key_t *key, void (*dtor)(void *value))
{
	unsigned int id, generation;
	weft_key_t made;

	if (!key)
		return -EINVAL;
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
	made = generation << KEY_ID_BITS | id;
	choose_barrier();	/* before any value of any key exists */
	__atomic_store_n(&key_dtors[id], dtor, __ATOMIC_RELAXED);
	/* Release: whoever sees the key in either table sees the destructor. */
	atomic_store_explicit(&dtor_keys[id], made, memory_order_release);
	atomic_store_explicit(&handles[id], made, memory_order_release);
	weft_unlock(&key_lock);
	*key = made;
	return 0;
}

/* Give an id back. Caller holds key_lock; no destructor of the id runs. */
static void free_id(unsigned int id)
{
	atomic_store_explicit(&handles[id], 0, memory_order_relaxed);
	atomic_store_explicit(&dtor_keys[id], 0, memory_order_relaxed);
	free_ids[free_count++] = (unsigned short)id;
}

/*
 * The first half of delete and destroy: take the key out of the handle
 * table, so that no get, set, reset or for_each accepts it any more.
 */
static int unpublish(weft_key_t key, bool keep_dtor)
{
	int ret = 0;

	if (in_frame(key, FRAME_DTOR) || in_frame(key, FRAME_WALK))
		return -EDEADLK;
	weft_lock(&key_lock);
	if (!key_is_live(key)) {
		ret = -EINVAL;
	} else {
		atomic_store_explicit(&handles[key & KEY_ID_MASK], 0,
				      memory_order_seq_cst);
		if (!keep_dtor)
			atomic_store_explicit(&dtor_keys[key & KEY_ID_MASK], 0,
					      memory_order_seq_cst);
	}
	weft_unlock(&key_lock);
	return ret;
}

/* The second half: wait for the key's destructors under way, then free the id. */
static void retire(weft_key_t key)
{
	unsigned int id = key & KEY_ID_MASK;

	atomic_store_explicit(&dtor_keys[id], 0, memory_order_seq_cst);
	gate_wait_no_dtors(&gates[id]);
	weft_lock(&key_lock);
	free_id(id);
	weft_unlock(&key_lock);
}

/* ---- walking the list of threads ------------------------------------------- */

static void unpin(struct key_thread *t)
{
	uint32_t pins = atomic_load_explicit(&t->pins, memory_order_relaxed) - 1;

	atomic_store_explicit(&t->pins, pins, memory_order_relaxed);
	if (!pins && t->unlinking)
		weft_futex_wake(&t->pins, INT_MAX, false);
}

/*
 * Call @visit for every thread on the list, with no lock held: the thread
 * visited is pinned (it stays on the list, its array and TLS alive), the
 * others come and go as they please. @frame records the pin, for a panic
 * in @visit's user code to let go of it (weft_key_unwind()).
 */
static void walk_threads(void (*visit)(struct key_thread *t, void *ctx), void *ctx,
			 struct key_frame *frame)
{
	struct key_thread *t, *next;

	weft_lock(&key_lock);
	t = threads;
	if (t)
		atomic_fetch_add_explicit(&t->pins, 1, memory_order_relaxed);
	frame->pinned = t;
	weft_unlock(&key_lock);
	while (t) {
		visit(t, ctx);
		weft_lock(&key_lock);
		next = t->next;
		if (next)
			atomic_fetch_add_explicit(&next->pins, 1, memory_order_relaxed);
		unpin(t);
		frame->pinned = next;
		weft_unlock(&key_lock);
		t = next;
	}
}

/* Take @t's value of @key out of its slot, under @t's lock. */
static void *take_value(struct key_thread *t, weft_key_t key)
{
	unsigned int id = key & KEY_ID_MASK;
	void *value = NULL;

	weft_lock(&t->lock);
	/* seq_cst, as the owner's in run_round(): whoever loses then sees the winner's dying. */
	if (id < t->keys->capacity && slot_key(&t->keys->slots[id]) == key)
		value = __atomic_exchange_n(&t->keys->slots[id].value, NULL, __ATOMIC_SEQ_CST);
	weft_unlock(&t->lock);
	return value;
}

/*
 * @t's value of @key, read under @t's lock; and, if @dying is not NULL, @t's
 * announcement, read under the same lock (see destroy_gated()).
 */
static void *peek_value(struct key_thread *t, weft_key_t key, uint32_t *dying)
{
	unsigned int id = key & KEY_ID_MASK;
	void *value = NULL;

	weft_lock(&t->lock);
	if (id < t->keys->capacity && slot_key(&t->keys->slots[id]) == key)
		value = __atomic_load_n(&t->keys->slots[id].value, __ATOMIC_ACQUIRE);
	if (dying)
		*dying = atomic_load_explicit(&t->dying, memory_order_seq_cst);
	weft_unlock(&t->lock);
	return value;
}

/*
 * Re-tag @t's slot of @key, under @t's lock, so that no get or set of @key
 * matches it any more: the value, if any, is forgotten (destroy took it out
 * first). After this no slot of @t carries @key: a slow-path set of @key
 * re-tags a slot only if @key is live, checked under the same lock. Then
 * wait for @t's exit round to finish a destructor of @key it runs.
 */
static void forget_in(struct key_thread *t, void *ctx)
{
	weft_key_t key = *(weft_key_t *)ctx;
	unsigned int id = key & KEY_ID_MASK;

	weft_lock(&t->lock);
	if (id < t->keys->capacity && slot_key(&t->keys->slots[id]) == key)
		set_slot_key(&t->keys->slots[id], NO_KEY(id));
	weft_unlock(&t->lock);
	/*
	 * No slot of @t carries @key: @t starts no destructor of it from now
	 * on, but may be inside one it started before (it took the value with
	 * an exchange that orders its dying before our look).
	 */
	wait_not_dying(t, key);
}

/* ---- destroy ------------------------------------------------------------------ */

static void destroy_in(struct key_thread *t, void *ctx)
{
	weft_key_t key = *(weft_key_t *)ctx;
	_Atomic uint32_t *gate = &gates[key & KEY_ID_MASK];
	void (*dtor)(void *) = key_dtors[key & KEY_ID_MASK];
	void *value;

	/*
	 * First wait for @t's exit round to end a destructor of @key it
	 * announced: a round that saw @key still live took the value with
	 * plain accesses, and only our waiting keeps take_value() off it.
	 */
	wait_not_dying(t, key);
	if (dtor && peek_value(t, key, NULL)) {
		/* Waits for walks under way: their callbacks may hold the value. */
		gate_enter(gate, GATE_WALKS, GATE_DTOR);
		value = take_value(t, key);	/* unless its exiting owner took it first */
		if (value)
			call_dtor(key, dtor, value);
		gate_leave(gate, GATE_DTORS, GATE_DTOR);
	}
	forget_in(t, ctx);
}

int weft_key_destroy(weft_key_t key)
{
	struct key_frame frame = { .key = key, .kind = FRAME_DESTROY };
	int ret = unpublish(key, true);

	if (ret)
		return ret;
	heavy_barrier();	/* unpublished, then look at the announcements */
	/*
	 * No set or reset of @key succeeds any more; exiting threads still
	 * destroy their own values (dtor_keys[] still names @key), so each
	 * value is taken once, under its thread's lock, by one of us. Every
	 * slot of @key is re-tagged on the way.
	 */
	frame_push(&frame);
	walk_threads(destroy_in, &key, &frame);
	frame_pop(&frame);
	retire(key);
	return 0;
}

int weft_key_delete(weft_key_t key)
{
	struct key_frame frame = { .key = key, .kind = FRAME_DESTROY };
	int ret = unpublish(key, false);

	if (ret)
		return ret;
	heavy_barrier();	/* unpublished, then look at the announcements */
	/* No user code runs in this walk: the frame only records the pin. */
	walk_threads(forget_in, &key, &frame);
	retire(key);
	return 0;
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

/* Put this thread on the list of threads with an array, the first time. */
static void link_me(void)
{
	if (me.linked)
		return;
	weft_lock(&key_lock);
	me.keys = &__weft_keys;
	me.prev = NULL;
	me.next = threads;
	if (threads)
		threads->prev = &me;
	threads = &me;
	me.linked = true;
	weft_unlock(&key_lock);
}

/*
 * Make this thread's array cover @id. Allocate outside any lock; copy and
 * swap under our own lock (a walker or a destroy may be reading or
 * clearing a slot of the old array). Never waits for a walk: walkers hold
 * our lock only to read one slot.
 *
 * The new slots carry the key live on their id now, with NULL: the first
 * set of a key is then as fast as the next ones, as it was before the slots
 * carried their key. Tagged under our lock, after we are on the list, as a
 * slow-path set tags: a delete of that key either re-tags the slot after
 * us, or unpublished the key before we read handles[] (its walk of the list
 * found us, or we linked after it began) and we read 0.
 */
static int grow(unsigned int id)
{
	struct __weft_key_slot *old = __weft_keys.slots, *grown;
	size_t capacity, old_capacity;

	if (me.gone)
		return -EBUSY;
	capacity = grown_capacity(id);
	grown = weft_malloc(capacity * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	link_me();
	weft_lock(&me.lock);
	/*
	 * Field by field, not memcpy(): half the instructions of its word loop.
	 * The old capacity in a local: the stores could alias the __thread.
	 */
	old_capacity = __weft_keys.capacity;
	for (size_t i = 0; i < old_capacity; i++) {
		grown[i].value = __atomic_load_n(&old[i].value, __ATOMIC_RELAXED);
		grown[i].key = old[i].key;
	}
	for (size_t i = old_capacity; i < capacity; i++) {
		weft_key_t live = atomic_load_explicit(&handles[i], memory_order_seq_cst);

		grown[i].value = NULL;
		grown[i].key = live ? live : NO_KEY(i);	/* never 0 on slot 0: key 0 */
	}
	__weft_keys.slots = grown;
	__weft_keys.capacity = capacity;
	weft_unlock(&me.lock);
	weft_free(old);
	return 0;
}

/*
 * Store @value in this thread's slot for @key, tagging the slot with @key.
 * Returns the old value if the slot was already @key's, else NULL.
 */
static int store(weft_key_t key, const void *value, void **old)
{
	unsigned int id = key & KEY_ID_MASK;
	struct __weft_key_slot *slot;
	int ret;

	*old = NULL;
	if (id >= __weft_keys.capacity) {
		if (!value)
			return 0;	/* past the end of the array already reads NULL */
		ret = grow(id);
		if (ret)
			return ret;
	}
	weft_lock(&me.lock);
	/* Under our lock: a destroy of @key either sees the value or we see its delete. */
	if (!key_is_live(key)) {
		weft_unlock(&me.lock);
		return -EINVAL;
	}
	slot = &__weft_keys.slots[id];
	if (slot_key(slot) == key) {
		*old = __atomic_exchange_n(&slot->value, (void *)value, __ATOMIC_RELAXED);
	} else {
		set_slot_key(slot, key);
		__atomic_store_n(&slot->value, (void *)value, __ATOMIC_RELAXED);
	}
	weft_unlock(&me.lock);
	return 0;
}

/* The inline weft_key_set() (include/weft/key.h) could not store: find out why. */
int weft_key_set_slow(weft_key_t key, const void *value)
{
	void *old;

	if (!key_is_live(key))
		return -EINVAL;
	return store(key, value, &old);
}

int weft_key_reset(weft_key_t key, const void *value)
{
	_Atomic uint32_t *gate = &gates[key & KEY_ID_MASK];
	void (*dtor)(void *);
	void *old;
	int ret;

	if (!key_is_live(key))
		return -EINVAL;
	if (in_frame(key, FRAME_WALK))
		return -EDEADLK;
	/* No walk of @key is under way from here to the destructor's end. */
	gate_enter(gate, GATE_WALKS, GATE_DTOR);
	dtor = dtor_of(key);
	ret = store(key, value, &old);
	if (!ret && old && old != value && dtor)
		call_dtor(key, dtor, old);
	gate_leave(gate, GATE_DTORS, GATE_DTOR);
	return ret;
}

/* ---- for_each -------------------------------------------------------------- */

struct walk {
	weft_key_t key;
	void (*fn)(void *value, void *arg);
	void *arg;
	int visited;
};

static void visit_value(struct key_thread *t, void *ctx)
{
	struct walk *w = ctx;
	uint32_t dying;
	void *value = peek_value(t, w->key, &dying);

	/*
	 * NULL, and @t announces the key: its exit round took the value out
	 * before it saw our walk, and puts it back for us (it cannot be in the
	 * destructor: walk_enter() would have seen the announcement). Both read
	 * under @t's lock, under which destroy_gated() puts the value back and
	 * ends the announcement: we see the value, or the announcement, never
	 * neither (read one after the other, a round could do both in between,
	 * and the walk lost a value that was not yet destroyed).
	 */
	if (!value && dying == w->key) {
		wait_not_dying(t, w->key);
		value = peek_value(t, w->key, NULL);
	}

	/* Alive until the walk ends: its destructor cannot start before. */
	if (value) {
		w->fn(value, w->arg);
		w->visited++;
	}
}

/*
 * A walk starts once no destructor of @key is under way: none through the
 * gate (gate_enter() waits for those) and none announced by an exit round.
 * Having entered the gate, so that no exit round starts a destructor of @key
 * without seeing us, look at every thread's announcement. If one names
 * @key, leave the gate (a waiting walk stops no destructor), wait, retry.
 */
static void walk_enter(weft_key_t key)
{
	_Atomic uint32_t *gate = &gates[key & KEY_ID_MASK];

	for (;;) {
		struct key_thread *t;

		gate_enter(gate, GATE_DTORS, GATE_WALK);
		heavy_barrier();	/* in the gate, then look at the announcements */
		weft_lock(&key_lock);
		for (t = threads; t; t = t->next)
			if (atomic_load_explicit(&t->dying, memory_order_seq_cst) == key)
				break;
		if (!t) {
			weft_unlock(&key_lock);
			return;
		}
		atomic_fetch_add_explicit(&t->pins, 1, memory_order_relaxed);
		weft_unlock(&key_lock);
		gate_leave(gate, GATE_WALKS, GATE_WALK);
		wait_not_dying(t, key);
		weft_lock(&key_lock);
		unpin(t);
		weft_unlock(&key_lock);
	}
}

int weft_key_for_each(weft_key_t key, void (*fn)(void *value, void *arg), void *arg)
{
	_Atomic uint32_t *gate = &gates[key & KEY_ID_MASK];
	struct walk w = { .key = key, .fn = fn, .arg = arg, .visited = 0 };
	struct key_frame frame = { .key = key, .kind = FRAME_WALK };

	if (!fn || !key_is_live(key))
		return -EINVAL;
	if (in_frame(key, FRAME_DTOR))
		return -EDEADLK;
	walk_enter(key);
	if (key_is_live(key)) {
		frame_push(&frame);
		walk_threads(visit_value, &w, &frame);
		fn(NULL, arg);
		frame_pop(&frame);
	} else {
		w.visited = -EINVAL;	/* deleted while we waited */
	}
	gate_leave(gate, GATE_WALKS, GATE_WALK);
	return w.visited;
}

/* ---- panics ---------------------------------------------------------------- */

/**
 * weft_key_unwind() - let go of what this context's abandoned frames hold
 * @boundary: the catch boundary a panic or weft_thread_exit() jumps to; NULL
 *            when there is none and the thread or process ends
 *
 * Called by lib/panic.c just before the jump. The frames between the jump
 * and @boundary never run again, so neither do their gate_leave() and
 * unpin(): a walk or a destructor cut short by a panic would otherwise keep
 * the key's gate, and a pin, for ever, and every later destructor of the key
 * (this thread's own exit included) would wait for it. Stacks grow down on
 * every architecture weft supports: an abandoned frame lies below @boundary.
 * The walk or destroy is simply cut short: values not yet visited are not.
 */
void weft_key_unwind(const void *boundary)
{
	struct weft_thread *owner = weft_tcb()->current;
	struct key_frame **p = &me.frames;

	while (*p) {
		struct key_frame *f = *p;
		_Atomic uint32_t *gate = &gates[f->key & KEY_ID_MASK];

		if (f->owner != owner || (boundary && (uintptr_t)f >= (uintptr_t)boundary)) {
			p = &f->up;
			continue;
		}
		*p = f->up;
		if (f->pinned) {
			weft_lock(&key_lock);
			unpin(f->pinned);
			weft_unlock(&key_lock);
		}
		if (f->kind == FRAME_WALK)
			gate_leave(gate, GATE_WALKS, GATE_WALK);
		else if (f->kind == FRAME_DTOR)
			gate_leave(gate, GATE_DTORS, GATE_DTOR);
		else if (f->kind == FRAME_EXIT_DTOR && atomic_load_explicit(&me.dying,
									     memory_order_relaxed))
			end_dying();
	}
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
	/* Lost the race. Nobody ever saw @mine, so no thread has a value of it. */
	weft_lock(&key_lock);
	free_id(mine & KEY_ID_MASK);
	weft_unlock(&key_lock);
	return seen;
}

/* ---- thread exit ------------------------------------------------------------- */

/*
 * A value of @key that run_round() took out of @slot while a walk of @key
 * was under way, or that it must not destroy without the gate: put it back
 * if the slot still carries @key (the walk then sees it), withdraw the
 * announcement, and destroy it through the gate. If a destroy re-tagged
 * the slot meanwhile, the value is ours to destroy (dtor_of() says whether
 * the key is being destroyed or was deleted, when it is abandoned).
 */
static void destroy_gated(struct __weft_key_slot *slot, unsigned int id, weft_key_t key,
			  void *value)
{
	void (*dtor)(void *);

	weft_lock(&me.lock);
	if (slot_key(slot) == key) {
		__atomic_store_n(&slot->value, value, __ATOMIC_RELAXED);
		value = NULL;
	}
	/* Under the lock, with the value back: see visit_value(). */
	atomic_store_explicit(&me.dying, 0, memory_order_seq_cst);
	weft_unlock(&me.lock);
	wake_dying_waiters();
	gate_enter(&gates[id], GATE_WALKS, GATE_DTOR);
	/* Entered, then checked: a delete either sees us or we see it. */
	dtor = dtor_of(key);
	if (dtor && !value)
		value = take_value(&me, key);
	if (dtor && value)
		call_dtor(key, dtor, value);
	gate_leave(&gates[id], GATE_DTORS, GATE_DTOR);
}

/*
 * One POSIX round: each non-NULL value with a destructor is cleared, then
 * destroyed. The common case passes no gate, takes no lock and makes no
 * read-modify-write: announce the key in me.dying (a plain store), take the
 * value (a plain load and store: the key is live, so a destroy waits for
 * us), then check that no walk of the key is under way and the key was not
 * deleted. The barrier between the announcement and those loads is the
 * other side's membarrier() ("the exit rounds' barrier" above). A walk or
 * delete that starts later sees the announcement and waits for this one
 * destructor, and for nothing else of ours.
 *
 * Without membarrier the value is taken with an exchange, a full barrier on
 * every architecture weft supports (x86's locked xchg, aarch64's swpal or
 * ldaxr/stlxr followed by our seq_cst loads, riscv's amoswap.aqrl): it
 * orders the announcement before the loads that follow, as the kernel's
 * xchg() does.
 */
static void run_round(void)
{
	/* In it, the destructor of me.dying is under way (-EDEADLK, panics). */
	struct key_frame frame = { .key = 0, .kind = FRAME_EXIT_DTOR };
	bool unfenced = rounds_unfenced();

	frame_push(&frame);
	/* Re-read the array each time: a destructor's set may have grown it. */
	for (unsigned int id = 0; id < __weft_keys.capacity; id++) {
		struct __weft_key_slot *slot = &__weft_keys.slots[id];
		weft_key_t key = slot_key(slot);
		void (*dtor)(void *);
		void *value;

		if (!__atomic_load_n(&slot->value, __ATOMIC_RELAXED) || !(dtor = dtor_of(key)))
			continue;
		atomic_store_explicit(&me.dying, key, memory_order_relaxed);
		/* The other side's membarrier() is our barrier here, if it has one. */
		atomic_signal_fence(memory_order_seq_cst);
		if (unfenced && atomic_load_explicit(&handles[id], memory_order_relaxed) == key) {
			/*
			 * Live after the barrier: a delete or destroy of @key that
			 * begins now sees our announcement and waits for it, so
			 * nobody else takes the value or abandons the key first.
			 */
			value = __atomic_load_n(&slot->value, __ATOMIC_RELAXED);
			__atomic_store_n(&slot->value, NULL, __ATOMIC_RELAXED);
		} else {
			/* Fenced rounds, or a destroy under way: it takes values too. */
			value = __atomic_exchange_n(&slot->value, NULL, __ATOMIC_SEQ_CST);
			/* The key again, after the barrier (its destructor cannot change while it lives). */
			if (!value ||
			    atomic_load_explicit(&dtor_keys[id], memory_order_seq_cst) != key) {
				/* A destroy took it, or a delete abandoned it. */
				atomic_store_explicit(&me.dying, 0, memory_order_release);
				wake_dying_waiters();
				continue;
			}
		}
		wake_dying_waiters();	/* for the destructor before: after the barrier */
		if (atomic_load_explicit(&gates[id], memory_order_seq_cst) & GATE_WALKS) {
			destroy_gated(slot, id, key, value);
			continue;
		}
		dtor(value);
		atomic_store_explicit(&me.dying, 0, memory_order_release);
	}
	frame_pop(&frame);
	if (unfenced)
		atomic_signal_fence(memory_order_seq_cst);
	else
		atomic_thread_fence(memory_order_seq_cst);
	wake_dying_waiters();
}

/* Did a destructor leave a value that has a destructor? (A stale yes costs an empty round.) */
static bool values_pending(void)
{
	for (size_t id = 0; id < __weft_keys.capacity; id++) {
		const struct __weft_key_slot *slot = &__weft_keys.slots[id];

		if (__atomic_load_n(&slot->value, __ATOMIC_RELAXED) && dtor_of(slot_key(slot)))
			return true;
	}
	return false;
}

/**
 * weft_key_exit_round() - one round of the calling thread's key destructors
 * @round: how many rounds this thread has run already
 *
 * Called by weft_thread_exit_work() (lib/exit.c) in every exiting thread,
 * main included when it calls weft_exit(), which runs the LocalKey
 * destructors after each round (lib/hooks.h).
 *
 * The first round runs whenever the thread has an array; a later one only if
 * a value with a destructor is set again (a stale yes costs an empty round).
 *
 * Return: false, without running a round, if @round is
 * WEFT_DESTRUCTOR_ITERATIONS, the thread has no array, or (after the first)
 * no value left has a destructor: values still set then are abandoned, as
 * POSIX allows.
 */
bool weft_key_exit_round(int round)
{
	if (round == WEFT_DESTRUCTOR_ITERATIONS || !__weft_keys.slots || (round && !values_pending()))
		return false;
	run_round();
	return true;
}

/**
 * weft_key_thread_exit() - the end of the calling thread's element array
 *
 * After the last round (lib/exit.c): the thread leaves the list (once no
 * walker stands on it) and frees its array, and is marked so that a later
 * weft_key_set() fails with -EBUSY instead of linking a dying thread again.
 */
void weft_key_thread_exit(void)
{
	struct __weft_key_slot *slots;

	if (me.linked) {
		weft_lock(&key_lock);
		while (atomic_load_explicit(&me.pins, memory_order_relaxed)) {
			uint32_t pins = atomic_load_explicit(&me.pins, memory_order_relaxed);

			me.unlinking = true;
			weft_unlock(&key_lock);
			weft_futex_wait(&me.pins, pins, false, NULL);
			weft_lock(&key_lock);
		}
		if (me.prev)
			me.prev->next = me.next;
		else
			threads = me.next;
		if (me.next)
			me.next->prev = me.prev;
		me.linked = false;
		weft_unlock(&key_lock);
	}
	/* Off the list: nobody else looks at our array any more. */
	slots = __weft_keys.slots;
	__weft_keys.slots = NULL;
	__weft_keys.capacity = 0;
	me.gone = true;
	weft_free(slots);
}

/*
 * weft_fork() takes key_lock before the allocator's lock (the order key.c
 * itself uses: it never allocates under key_lock, but the lock is first),
 * so no other thread is half-way through the key table or the list when
 * the address space is copied. The parent then unlocks; the child rebuilds
 * its state in weft_key_fork_child().
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
 * still holds the other threads, whose values belong to threads that are
 * not there: drop them (their arrays are the child's copy of the parent's
 * memory and are simply never freed). key_lock is ours, taken in
 * weft_key_fork_prepare(): release it. Our own lock, pins and the gates
 * may have been held by other threads at that instant: reset them, keeping
 * only what this thread's own frames (a fork from a destructor or a
 * callback) account for.
 */
void weft_key_fork_child(void)
{
	atomic_store_explicit(&key_lock.state, 0, memory_order_relaxed);
	atomic_store_explicit(&me.lock.state, 0, memory_order_relaxed);
	atomic_store_explicit(&me.pins, 0, memory_order_relaxed);
	atomic_store_explicit(&me.dying_waiters, 0, memory_order_relaxed);
	me.unlinking = false;
	for (unsigned int id = 0; id < WEFT_KEYS_MAX; id++)
		atomic_store_explicit(&gates[id], 0, memory_order_relaxed);
	for (struct key_frame *f = me.frames; f; f = f->up) {
		f->pinned = NULL;
		if (f->kind == FRAME_WALK || f->kind == FRAME_DTOR)
			atomic_fetch_add_explicit(&gates[f->key & KEY_ID_MASK],
						  f->kind == FRAME_WALK ? GATE_WALK : GATE_DTOR,
						  memory_order_relaxed);
	}
	threads = NULL;
	if (me.linked) {
		me.prev = NULL;
		me.next = NULL;
		threads = &me;
	}
}
