/* SPDX-License-Identifier: MIT */
/* LocalKey: Rust's thread_local! for C, a lazily initialised __thread value with a destructor. */
#ifndef WEFT_LOCAL_H
#define WEFT_LOCAL_H

#include <asm-generic/errno-base.h>

/*
 * DOC: LocalKey
 *
 *	WEFT_THREAD_LOCAL(long, hits);				// zero in every thread
 *	WEFT_THREAD_LOCAL(long, budget, 100);			// init runs once per thread
 *	WEFT_THREAD_LOCAL(struct buf *, scratch, buf_new(), buf_free);
 *
 *	weft_local_set(hits, weft_local_get(hits) + 1);
 *	struct buf *b = weft_local_get(scratch);		// buf_new() on first use
 *	long *p = weft_local_try_with(budget);		// NULL: access error
 *
 * Each key is one __thread struct in the ELF TLS segment, at a fixed offset
 * from the thread pointer:
 *
 *	struct { unsigned char state; type value; struct weft_dtor node; }
 *
 * @state is Rust's DtorState (Documentation/local-keys.rst):
 *
 *	UNREGISTERED --first access--> INITIALISING --init done--> REGISTERED
 *	      (.tbss zero)       (init runs; a reentrant   (value alive; @node on the
 *	                          access runs it again)     thread's destructor list)
 *	REGISTERED --thread exit--> RUNNING_OR_HAS_RUN (dtor(&value) runs; refused)
 *
 * An access to a REGISTERED key is inlined: one thread-pointer-relative
 * compare and one thread-pointer-relative load. Everything else goes through a per-key slow path.
 *
 * @init is an expression of @type evaluated in the thread, on first access,
 * with the key in INITIALISING; without it the value starts as all-zero
 * bytes. Wrap an initialiser that contains commas in parentheses:
 * ((struct point){ 1, 2 }). @type must declare as `type name` (use a typedef
 * for arrays and function pointers). @dtor, `void dtor(type *value)`, is the
 * value's destructor (Rust's Drop): it runs at thread exit in that thread
 * (LocalKeys in reverse order of first initialisation, in rounds: keys first
 * initialised by a destructor form the next round; then OS-key destructors,
 * include/weft/key.h), and on the old value when weft_local_set() replaces
 * it. The main thread runs its destructors when main() returns or calls
 * weft_exit(); exit_group(2) and weft_abort() skip them.
 *
 * The destructor's list node lives in the slot itself, so registering a
 * destructor allocates nothing and cannot fail.
 *
 * An init expression that touches its own key (directly, or through a
 * function it calls, or with weft_local_set()) does not fail: as in Rust,
 * the inner access runs the initialiser again, nested; the initialiser
 * that finishes last installs its value and the other value is destroyed
 * with @dtor. The destructor is registered once.
 *
 * "Access error" (Rust's AccessError): the key's destructor is running or
 * has run in this thread. weft_local_try_with() returns NULL and weft_local_set()
 * returns -EBUSY; weft_local_with(), _get(), _take() and _replace() panic,
 * as Rust's with() does. A key without a destructor is never destroyed and
 * stays accessible to the end.
 *
 * WEFT_THREAD_LOCAL() defines a key private to its file (Rust's `static`).
 * For a key shared between files, put WEFT_THREAD_LOCAL_DECLARE(type, name)
 * in a header and WEFT_THREAD_LOCAL_DEFINE(type, name, ...) in one .c file.
 */

/**
 * struct weft_dtor - a LocalKey destructor on its thread's list (tcb->dtors)
 * @next: the next node: registered earlier, runs later
 * @run: the key's generated function: marks the key destroyed, calls the dtor
 */
struct weft_dtor {
	struct weft_dtor *next;
	void (*run)(void);
};

/* Rust's DtorState, plus the initialisation in progress. Zero must be "never touched". */
enum weft_local_state {
	WEFT_LOCAL_UNREGISTERED = 0,
	WEFT_LOCAL_REGISTERED = 1,
	WEFT_LOCAL_RUNNING_OR_HAS_RUN = 2,
	WEFT_LOCAL_INITIALISING = 3,
};

/**
 * weft_local_register_dtor() - put a LocalKey's destructor on the calling thread's list
 * @node: the node inside the key's TLS slot, with @node->run set
 *
 * Called by the code WEFT_THREAD_LOCAL() generates, once per key per thread.
 * Cannot fail: the node is part of the slot.
 */
void weft_local_register_dtor(struct weft_dtor *node);

/**
 * weft_local_access_error() - panic with Rust's message for an access error
 * @name: the key's name
 */
__attribute__((noreturn, cold)) void weft_local_access_error(const char *name);

/*
 * Access, by key name. Each pastes the name onto a generated function, so
 * they take the key itself, not a pointer to it: weft_local_get(hits).
 */

/**
 * weft_local_with() - a pointer to the calling thread's value (Rust's LocalKey::with)
 * @name: the key
 *
 * Initialises the key on its first access in this thread. Panics on an
 * access error.
 */
#define weft_local_with(name) name##__weft_with()

/**
 * weft_local_try_with() - weft_local_with(), reporting the access error (Rust's try_with)
 * @name: the key
 *
 * Return: a pointer to the value, or NULL on an access error.
 */
#define weft_local_try_with(name) name##__weft_try_with()

/**
 * weft_local_get() - a copy of the value (Rust's Cell::get)
 * @name: the LocalKey
 *
 * Panics on an access error (Documentation/local-keys.rst).
 *
 * Return: the value.
 */
#define weft_local_get(name) name##__weft_get()

/**
 * weft_local_set() - store @value, destroying the old value (Cell::set)
 * @name: the key
 * @value: the new value
 *
 * On the key's first access, initialises it with @value (the init
 * expression is not evaluated) and registers its destructor.
 *
 * Return: 0, or -EBUSY on an access error (nothing stored, @value not destroyed).
 */
#define weft_local_set(name, value) name##__weft_set(value)

/**
 * weft_local_take() - the value, leaving zero bytes in its place (Rust's Cell::take)
 * @name: the LocalKey
 *
 * Panics on an access error.
 *
 * Return: the value it held.
 */
#define weft_local_take(name) name##__weft_take()

/**
 * weft_local_replace() - store @value, return the old one (Rust's Cell::replace)
 * @name: the LocalKey
 * @value: the new value
 *
 * Panics on an access error.
 *
 * Return: the value it held.
 */
#define weft_local_replace(name, value) name##__weft_replace(value)

/**
 * weft_local_state() - the key's state in this thread (for tests and teaching)
 * @name: the LocalKey
 *
 * Return: its enum weft_local_state.
 */
#define weft_local_state(name) ((enum weft_local_state)name##__weft_slot.state)

/**
 * WEFT_THREAD_LOCAL() - define a LocalKey private to this file
 * @type: the value's type
 * @name: the key's name
 * @...: optionally init, or init and dtor (see the DOC block above)
 */
#define WEFT_THREAD_LOCAL(type, name, ...)                                                      \
	__WEFT_LOCAL_DECLARE(static, type, name)                                                \
	__WEFT_LOCAL_PICK(__VA_ARGS__)(static, type, name, ##__VA_ARGS__)

/**
 * WEFT_THREAD_LOCAL_DECLARE() - declare a LocalKey shared between files (in a header)
 * @type: the value's type
 * @name: the key
 */
#define WEFT_THREAD_LOCAL_DECLARE(type, name) __WEFT_LOCAL_DECLARE(extern, type, name)

/**
 * WEFT_THREAD_LOCAL_DEFINE() - define, in one .c file, a LocalKey declared with WEFT_THREAD_LOCAL_DECLARE()
 * @type: the value's type
 * @name: the key
 * @...: the initial value and destructor, as for WEFT_THREAD_LOCAL()
 */
#define WEFT_THREAD_LOCAL_DEFINE(type, name, ...)                                               \
	__WEFT_LOCAL_PICK(__VA_ARGS__)(, type, name, ##__VA_ARGS__)

/* ---- what the macros expand to ------------------------------------------ */

/* Zero, one or two optional arguments: (), (init), (init, dtor). */
#define __WEFT_LOCAL_PICK(...)                                                                  \
	__WEFT_LOCAL_PICK_(_, ##__VA_ARGS__, __WEFT_LOCAL_2, __WEFT_LOCAL_1, __WEFT_LOCAL_0)
#define __WEFT_LOCAL_PICK_(_, a, b, which, ...) which
/* No init: zero bytes. No dtor: `(void)(&value)`, an expression statement that does nothing. */
#define __WEFT_LOCAL_0(sc, type, name)                                                          \
	__WEFT_LOCAL_DEFINE(sc, type, name, ((type){ 0 }), 0, (void))
#define __WEFT_LOCAL_1(sc, type, name, init)                                                    \
	__WEFT_LOCAL_DEFINE(sc, type, name, init, 0, (void))
#define __WEFT_LOCAL_2(sc, type, name, init, dtor)                                              \
	__WEFT_LOCAL_DEFINE(sc, type, name, init, 1, dtor)

#define __WEFT_LOCAL_INLINE static inline __attribute__((always_inline, unused))

/*
 * The slot type, the slot, and the inline accessors. The fast path of each
 * accessor tests @state against REGISTERED; the rest is out of line.
 */
#define __WEFT_LOCAL_DECLARE(sc, type, name)                                                    \
	struct weft_local_##name {                                                              \
		unsigned char state;                                                            \
		type value;                                                                     \
		struct weft_dtor node;                                                          \
	};                                                                                      \
	sc __thread struct weft_local_##name name##__weft_slot;                                 \
	sc type *name##__weft_slow(const __typeof__(type) *value);                              \
	sc void name##__weft_drop(type *old);                                                   \
	__WEFT_LOCAL_INLINE type *name##__weft_try_with(void)                                   \
	{                                                                                       \
		if (__builtin_expect(name##__weft_slot.state == WEFT_LOCAL_REGISTERED, 1))      \
			return &name##__weft_slot.value;                                        \
		return name##__weft_slow((const __typeof__(type) *)0);                          \
	}                                                                                       \
	__WEFT_LOCAL_INLINE type *name##__weft_with(void)                                       \
	{                                                                                       \
		type *p = name##__weft_try_with();                                              \
		if (__builtin_expect(!p, 0))                                                    \
			weft_local_access_error(#name);                                         \
		return p;                                                                       \
	}                                                                                       \
	__WEFT_LOCAL_INLINE type name##__weft_get(void)                                         \
	{                                                                                       \
		if (__builtin_expect(name##__weft_slot.state == WEFT_LOCAL_REGISTERED, 1))      \
			return name##__weft_slot.value;                                         \
		return *name##__weft_with();                                                    \
	}                                                                                       \
	/* Rust's Cell::set: the old value is destroyed (dtor), the new one kept. */            \
	__WEFT_LOCAL_INLINE int name##__weft_set(type value)                                    \
	{                                                                                       \
		if (__builtin_expect(name##__weft_slot.state == WEFT_LOCAL_REGISTERED, 1)) {    \
			type old = name##__weft_slot.value;                                     \
			name##__weft_slot.value = value;                                        \
			name##__weft_drop(&old);                                                \
			return 0;                                                               \
		}                                                                               \
		/* First access: initialised with @value, the init expression not run. */       \
		return name##__weft_slow(&value) ? 0 : -EBUSY;                                  \
	}                                                                                       \
	/* Rust's Cell::take: the value moves to the caller, zero stays behind. */              \
	__WEFT_LOCAL_INLINE type name##__weft_take(void)                                        \
	{                                                                                       \
		type *p = name##__weft_with();                                                  \
		type old = *p;                                                                  \
		*p = (type){ 0 };                                                               \
		return old;                                                                     \
	}                                                                                       \
	__WEFT_LOCAL_INLINE type name##__weft_replace(type value)                               \
	{                                                                                       \
		type *p = name##__weft_with();                                                  \
		type old = *p;                                                                  \
		*p = value;                                                                     \
		return old;                                                                     \
	}

/*
 * The out-of-line half: the slot's definition, the destructor's run
 * function, and the slow path that walks the state machine.
 */
#define __WEFT_LOCAL_DEFINE(sc, type, name, init, has_dtor, dtor)                               \
	sc __thread struct weft_local_##name name##__weft_slot;                                 \
	static __attribute__((unused)) void name##__weft_run(void)                              \
	{                                                                                       \
		/* Refuse access first: the destructor may touch the key itself. */             \
		name##__weft_slot.state = WEFT_LOCAL_RUNNING_OR_HAS_RUN;                        \
		dtor(&name##__weft_slot.value);                                                 \
	}                                                                                       \
	sc void name##__weft_drop(type *old)                                                    \
	{                                                                                       \
		if (has_dtor)                                                                   \
			dtor(old);                                                              \
		(void)old;                                                                      \
	}                                                                                       \
	sc __attribute__((noinline, cold))                                                      \
	type *name##__weft_slow(const __typeof__(type) *value)                                  \
	{                                                                                       \
		struct weft_local_##name *slot = &name##__weft_slot;                            \
                                                                                                \
		type fresh;                                                                     \
                                                                                                \
		if (slot->state == WEFT_LOCAL_REGISTERED)                                       \
			return &slot->value;                                                    \
		if (slot->state == WEFT_LOCAL_RUNNING_OR_HAS_RUN)                               \
			return (type *)0;                                                       \
		/* UNREGISTERED, or INITIALISING: an init touching its own key nests. */         \
		slot->state = WEFT_LOCAL_INITIALISING;                                          \
		if (value)                                                                      \
			fresh = *value;                                                         \
		else                                                                            \
			fresh = (init);                                                         \
		if (slot->state == WEFT_LOCAL_REGISTERED) {                                     \
			/* A nested init finished first: the last to finish wins (Rust). */      \
			type other = slot->value;                                               \
			slot->value = fresh;                                                    \
			name##__weft_drop(&other);                                              \
			return &slot->value;                                                    \
		}                                                                               \
		if (slot->state == WEFT_LOCAL_RUNNING_OR_HAS_RUN) {                             \
			name##__weft_drop(&fresh);                                              \
			return (type *)0;                                                       \
		}                                                                               \
		slot->value = fresh;                                                            \
		/* After the init: keys it touched were registered first, die later. */         \
		if (has_dtor) {                                                                 \
			slot->node.run = name##__weft_run;                                      \
			weft_local_register_dtor(&slot->node);                                  \
		}                                                                               \
		slot->state = WEFT_LOCAL_REGISTERED;                                            \
		return &slot->value;                                                            \
	}

#endif
