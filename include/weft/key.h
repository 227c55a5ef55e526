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
 * Each thread's values live in an array of pointers hanging off its TCB,
 * grown on demand and linked into a list of all threads (folly's
 * ThreadEntry). At thread exit, POSIX destructor rounds run in that thread:
 * every non-NULL value whose key has a destructor is cleared, then passed
 * to the destructor; while destructors set values again, up to
 * WEFT_DESTRUCTOR_ITERATIONS rounds. LocalKey destructors first touched by a
 * key destructor run after its round. Values left after the last round are
 * abandoned. Documentation/keys.rst has the whole design.
 *
 * -EDEADLK: weft_key_delete() and weft_key_for_each() wait for destructor
 * rounds in other threads, and for_each's callback runs under the key lock;
 * calling them (or a growing weft_key_set()) from a key destructor or from a
 * for_each callback would wait for itself, so weft refuses.
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
 * Return: 0, -EINVAL if @key is NULL, -EAGAIN when WEFT_KEYS_MAX keys exist,
 * -EDEADLK from a weft_key_for_each() callback.
 */
int weft_key_create(weft_key_t *key, void (*dtor)(void *value));

/**
 * weft_key_delete() - delete a key; its values are forgotten, their destructors not called
 * @key: a key from weft_key_create()
 *
 * As pthread_key_delete(): what the values point to is the caller's to free.
 * Every thread's slot for the id is cleared, so a key that reuses the id
 * reads NULL everywhere. Waits for destructor rounds running in other threads:
 * once it returns, no destructor of @key runs any more.
 *
 * Return: 0, -EINVAL if @key is not a live key, -EDEADLK from a key
 * destructor or a weft_key_for_each() callback.
 */
int weft_key_delete(weft_key_t key);

/*
 * The fast paths of weft_key_get() and weft_key_set() are inline. They read
 * the calling thread's element array and its capacity, two words of the TCB
 * at a fixed offset from the thread pointer (lib/key.c checks the offset
 * against lib/tcb.h when it is built), and the key's entry in the handle
 * table: a thread-pointer load, three loads, two compares. Everything else
 * is weft_key_set_slow().
 */
struct __weft_tcb_keys {
	void **values;		/* struct weft_tcb's key_values */
	size_t capacity;	/* and key_capacity, right after it */
};

#define __WEFT_TCB_KEYS_OFFSET 0x88
#define __WEFT_KEY_ID_MASK 1023u

/* The live key of each id, 0 while the id is free: written under the key lock. */
extern _Atomic weft_key_t __weft_key_handles[WEFT_KEYS_MAX];

static inline __attribute__((always_inline)) struct __weft_tcb_keys *__weft_tcb_keys(void)
{
	return (struct __weft_tcb_keys *)((char *)__builtin_thread_pointer() +
					  __WEFT_TCB_KEYS_OFFSET);
}

/**
 * weft_key_get() - the calling thread's value for @key
 * @key: the key
 *
 * Lock-free and inline: a bounds check against this thread's array and a
 * generation check against the handle table.
 *
 * Return: the value, NULL if never set in this thread, or if @key is not a
 * live key.
 */
static inline void *weft_key_get(weft_key_t key)
{
	const struct __weft_tcb_keys *self = __weft_tcb_keys();
	unsigned int id = key & __WEFT_KEY_ID_MASK;

	/* Key 0 may pass the handle check on a free id 0, whose slots are all NULL. */
	if (__builtin_expect(id >= self->capacity, 0) ||
	    __builtin_expect(atomic_load_explicit(&__weft_key_handles[id],
						  memory_order_relaxed) != key, 0))
		return (void *)0;
	return __atomic_load_n(&self->values[id], __ATOMIC_RELAXED);
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
 * Lock-free and inline when this thread's array already covers the key's
 * id. Otherwise the array is grown (allocated outside the lock, copied and
 * swapped under it) and, the first time, linked into the list of all
 * threads. Setting NULL never allocates.
 *
 * Return: 0; -EINVAL if @key is not a live key; -ENOMEM if the array could
 * not grow (nothing changed); -EDEADLK if it had to grow inside a
 * weft_key_for_each() callback; -EBUSY if this thread has finished its key
 * destructor rounds (it is exiting).
 */
static inline int weft_key_set(weft_key_t key, const void *value)
{
	struct __weft_tcb_keys *self = __weft_tcb_keys();
	unsigned int id = key & __WEFT_KEY_ID_MASK;
	weft_key_t live = atomic_load_explicit(&__weft_key_handles[id], memory_order_relaxed);

	if (__builtin_expect(id < self->capacity && key != 0 && live == key, 1)) {
		__atomic_store_n(&self->values[id], (void *)value, __ATOMIC_RELAXED);
		return 0;
	}
	return weft_key_set_slow(key, value);
}

/**
 * weft_key_for_each() - visit every live thread's value for @key (folly's accessAllThreads)
 * @key: the key
 * @fn: called as fn(value, arg) once per thread whose value is non-NULL, then
 *      once more as fn(NULL, arg)
 * @arg: passed to @fn
 *
 * Runs with the exit lock held exclusively and the key lock held: no
 * thread starts using keys, grows its array, runs key destructors or
 * deletes a key meanwhile, so each value visited belongs to a thread that
 * is not in the middle of destroying it. The final fn(NULL, arg) call is
 * still under both locks, for the caller to read what destructors fold into
 * (such as the total of threads that exited) with the same consistency.
 * @fn may read and write the values; it must not call weft_key_create(),
 * _delete(), _for_each() or a growing _set() (-EDEADLK), nor wait for another
 * thread.
 *
 * Return: the number of non-NULL values visited; -EINVAL if @key is not a
 * live key or @fn is NULL; -EDEADLK from a key destructor or a callback.
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

/** weft_static_key_get() - weft_key_get() on @sk's key. Return: the value or NULL. */
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
