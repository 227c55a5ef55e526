/* SPDX-License-Identifier: MIT */
/* OS-style thread keys: pthread_key's contract on folly's per-thread element arrays. */
#ifndef WEFT_KEY_H
#define WEFT_KEY_H

#include <stdatomic.h>
#include <stddef.h>

#include <asm-generic/errno-base.h>

/*
 * DOC: OS-style keys
 *
 *	static weft_key_t key;
 *	weft_key_create(&key, free_my_value);	// once, any thread
 *	weft_key_set(key, value);		// this thread's value
 *	value = weft_key_get(key);		// NULL until set, in every thread
 *
 * A key is a number: an id (an index into each thread's element array)
 * plus a generation that changes every time the id is reused, so a deleted
 * key's handle stays invalid even after its id went to a new key. 0 is never
 * a valid key.
 *
 * Each thread's values live in an array of (value, key) slots, grown on
 * demand and reached by other threads through a list of all threads (folly's
 * ThreadEntry). A slot remembers the key its value was set under, so a value
 * left by a key that was deleted reads NULL under the key that reuses its id,
 * whatever the interleaving of set, delete, create and exit.
 *
 * At thread exit, POSIX destructor rounds run in that thread: every non-NULL
 * value whose key has a destructor is cleared, then passed to the
 * destructor; while destructors set values again, up to
 * WEFT_DESTRUCTOR_ITERATIONS rounds. LocalKey destructors first touched by a
 * key destructor run after its round. Values left after the last round are
 * abandoned. No weft lock is held while a destructor runs.
 *
 * Next to POSIX's weft_key_delete() (values left to their owners), folly's
 * weft_key_destroy() destroys every thread's value, and weft_key_reset()
 * replaces the calling thread's value and destroys the old one, atomically
 * with respect to weft_key_for_each(). Documentation/keys.rst has the
 * whole design.
 *
 * -EDEADLK: a call that would wait for its own caller. weft_key_delete(),
 * weft_key_destroy() and weft_key_for_each() wait for the key's destructors
 * running in other threads; weft_key_reset() and the destructors wait for
 * the key's for_each walks. From a destructor of the same key, or from a
 * for_each callback of the same key, the call that would wait for itself
 * is refused.
 */

/* A key: generation << 10 | id. Never 0. */
typedef unsigned int weft_key_t;

/* At least POSIX's _POSIX_THREAD_KEYS_MAX (128); glibc has 1024 too. */
#define WEFT_KEYS_MAX 1024
/* POSIX's PTHREAD_DESTRUCTOR_ITERATIONS, glibc's value. */
#define WEFT_DESTRUCTOR_ITERATIONS 4

/**
 * weft_key_create() - make a new key, with NULL as its value in every thread
 * @key: where to store the key
 * @dtor: called at thread exit with the thread's non-NULL value, or NULL
 *
 * Ids of deleted keys are reused (the most recently freed first), with a
 * new generation.
 *
 * Return: 0, -EINVAL if @key is NULL, -EAGAIN when WEFT_KEYS_MAX keys exist.
 */
int weft_key_create(weft_key_t *key, void (*dtor)(void *value));

/**
 * weft_key_delete() - delete a key; its values are forgotten, their destructors not called
 * @key: a key from weft_key_create()
 *
 * As pthread_key_delete(): what the values point to is the caller's to free.
 * Every thread's slot of @key is re-tagged so that it matches no key, so
 * @key and a key that reuses the id read NULL everywhere. Waits for @key's
 * destructors running in other threads (they hold no lock): once it
 * returns, none runs any more.
 *
 * Return: 0, -EINVAL if @key is not a live key, -EDEADLK from a destructor
 * of @key or a weft_key_for_each() callback of @key.
 */
int weft_key_delete(weft_key_t key);

/**
 * weft_key_destroy() - delete a key and destroy every thread's value (folly's destroy())
 * @key: a key from weft_key_create()
 *
 * As destroying a folly ThreadLocal: every live thread's non-NULL value of
 * @key is passed to @key's destructor, exactly once, in the calling thread
 * (or in its owner, if that thread is exiting meanwhile and gets to it
 * first). When it returns, no destructor of @key runs any more and the id
 * may be reused. A set of @key racing the destroy is the caller's bug, as
 * using a folly ThreadLocal while it is destroyed is.
 *
 * Return: 0, -EINVAL if @key is not a live key, -EDEADLK from a destructor
 * of @key or a weft_key_for_each() callback of @key.
 */
int weft_key_destroy(weft_key_t key);

/*
 * The fast paths of weft_key_get() and weft_key_set() are inline. They read
 * this thread's slot array and capacity from an initial-exec __thread (a
 * thread-pointer-relative load on every architecture; its offset is a link
 * time constant, an immediate after a static link on x86_64 and aarch64),
 * then the slot: the key its value was set under, and the value. A slot's
 * key is a live key only while that key lives: weft_key_delete() and
 * weft_key_destroy() overwrite it in every thread before they return, with
 * a tag that matches no key of that id. Everything else is
 * weft_key_set_slow(). Other threads reach a thread's array through the
 * list of threads in lib/key.c, under that thread's lock.
 */
struct __weft_key_slot {
	void *value;			/* relaxed atomics: destroy clears it from afar */
	weft_key_t key;			/* the key @value was set under; its owner's lock */
};

struct __weft_keys {
	struct __weft_key_slot *slots;	/* owner writes, under its lock */
	size_t capacity;
};

#define __WEFT_KEY_ID_MASK 1023u

extern __thread struct __weft_keys __weft_keys __attribute__((tls_model("initial-exec")));

/**
 * weft_key_get() - the calling thread's value for @key
 * @key: the key
 *
 * Lock-free and inline: a bounds check against this thread's array, then
 * the key checked against the one the slot's value was set under. A value
 * set under a key that was deleted reads NULL, under that key and under
 * the key that reuses its id: the delete re-tagged the slot.
 *
 * Return: the value, NULL if never set in this thread, or if @key is not a
 * live key.
 */
static inline void *weft_key_get(weft_key_t key)
{
	const struct __weft_keys *self = &__weft_keys;
	unsigned int id = key & __WEFT_KEY_ID_MASK;

	/* Key 0 never matches: slot 0 starts, and every killed slot is left, with another id's tag. */
	if (__builtin_expect(id >= self->capacity, 0) ||
	    __builtin_expect(__atomic_load_n(&self->slots[id].key, __ATOMIC_RELAXED) != key, 0))
		return (void *)0;
	return __atomic_load_n(&self->slots[id].value, __ATOMIC_RELAXED);
}

/**
 * weft_key_set_slow() - weft_key_set() when the inline fast path does not apply
 * @key: the key
 * @value: the value
 *
 * Return: as weft_key_set().
 */
int weft_key_set_slow(weft_key_t key, const void *value);

/**
 * weft_key_set() - set the calling thread's value for @key
 * @key: the key
 * @value: the new value; the old one is overwritten, not destroyed
 *
 * Lock-free and inline when this thread's slot for the key's id already
 * holds a value set under @key (then @key is live: a delete re-tags the
 * slot before it returns). Otherwise (first use of the slot by this
 * key, or the array must grow) weft_key_set_slow() takes this thread's own
 * lock; the array is grown (allocated outside the lock, copied and swapped
 * under it) and, the first time, linked into the list of all threads.
 * Setting NULL never allocates. To free the old value, use
 * weft_key_reset(): a weft_key_for_each() may be reading it.
 *
 * Return: 0; -EINVAL if @key is not a live key; -ENOMEM if the array could
 * not grow (nothing changed); -EBUSY if this thread has finished its key
 * destructor rounds (it is exiting).
 */
static inline int weft_key_set(weft_key_t key, const void *value)
{
	struct __weft_keys *self = &__weft_keys;
	unsigned int id = key & __WEFT_KEY_ID_MASK;

	if (__builtin_expect(id < self->capacity &&
			     __atomic_load_n(&self->slots[id].key, __ATOMIC_RELAXED) == key, 1)) {
		__atomic_store_n(&self->slots[id].value, (void *)value, __ATOMIC_RELAXED);
		return 0;
	}
	return weft_key_set_slow(key, value);
}

/**
 * weft_key_reset() - replace the calling thread's value and destroy the old one (folly's reset())
 * @key: the key
 * @value: the new value, or NULL
 *
 * The old value, if non-NULL and not @value, is passed to @key's
 * destructor after the swap, in the calling thread, with no weft lock held.
 * Atomic with respect to weft_key_for_each(): a walk of @key sees the old
 * value or the new one, and a callback never holds a value that is being
 * destroyed (the reset waits for walks of @key under way to finish).
 *
 * Return: as weft_key_set(), and -EDEADLK from a weft_key_for_each()
 * callback of @key (the reset would wait for that walk).
 */
int weft_key_reset(weft_key_t key, const void *value);

/**
 * weft_key_for_each() - visit every live thread's value for @key (folly's accessAllThreads)
 * @key: the key
 * @fn: called as fn(value, arg) once per thread whose value is non-NULL, then
 *      once more as fn(NULL, arg)
 * @arg: passed to @fn
 *
 * While the walk lasts, no destructor of @key starts (at thread exit, by
 * weft_key_reset() or weft_key_destroy()); it starts once those under way
 * have finished. So each value visited is alive, and whatever destructors
 * fold into (such as the total of threads that exited) is stable until the
 * final fn(NULL, arg) has returned: every value is seen exactly once, in its
 * thread or in what its destructor folded. Threads without a value of @key
 * are never blocked by the walk: no weft lock is held while @fn runs, and a
 * thread's array may grow meanwhile (even by a weft_key_set() in @fn).
 * @fn must not wait for a thread that is destroying a value of @key.
 *
 * Return: the number of non-NULL values visited; -EINVAL if @key is not a
 * live key or @fn is NULL; -EDEADLK from a destructor of @key (the walk
 * would wait for it).
 */
int weft_key_for_each(weft_key_t key, void (*fn)(void *value, void *arg), void *arg);

/*
 * StaticKey (Rust's sys_common::thread_local_key::StaticKey): a key declared
 * statically and created on first use.
 *
 *	static struct weft_static_key cache = WEFT_STATIC_KEY_INIT(free_cache);
 *	weft_static_key_set(&cache, p);
 *
 * Threads that race to create it each create a key and compare-exchange it
 * into @key; the losers free theirs. Since 0 is never a valid key, 0 means
 * "not created yet" without Rust's dance around a pthread key that is 0.
 */
struct weft_static_key {
	_Atomic weft_key_t key;
	void (*dtor)(void *value);
};

#define WEFT_STATIC_KEY_INIT(destructor) { .key = 0, .dtor = (destructor) }

/**
 * weft_static_key_lazy_init() - create @sk's key unless another thread did
 * @sk: the static key
 *
 * Return: the key every caller agrees on, or 0 if none could be created
 * (WEFT_KEYS_MAX keys exist).
 */
weft_key_t weft_static_key_lazy_init(struct weft_static_key *sk);

/**
 * weft_static_key() - @sk's key, created on first use
 * @sk: the static key
 *
 * Return: the key, or 0 if it could not be created.
 */
static inline weft_key_t weft_static_key(struct weft_static_key *sk)
{
	weft_key_t key = atomic_load_explicit(&sk->key, memory_order_acquire);

	if (__builtin_expect(key != 0, 1))
		return key;
	return weft_static_key_lazy_init(sk);
}

/**
 * weft_static_key_get() - weft_key_get() on @sk's key
 * @sk: the static key (created on first use)
 *
 * Return: the value, or NULL.
 */
static inline void *weft_static_key_get(struct weft_static_key *sk)
{
	weft_key_t key = weft_static_key(sk);

	return key ? weft_key_get(key) : (void *)0;
}

/**
 * weft_static_key_set() - weft_key_set() on @sk's key
 * @sk: the static key
 * @value: the value
 *
 * Return: as weft_key_set(), or -EAGAIN if the key could not be created.
 */
static inline int weft_static_key_set(struct weft_static_key *sk, const void *value)
{
	weft_key_t key = weft_static_key(sk);

	return key ? weft_key_set(key, value) : -EAGAIN;
}

#endif
