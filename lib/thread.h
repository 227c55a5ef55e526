/* SPDX-License-Identifier: MIT */
/* The structures behind "weft/thread.h", shared by thread, park, panic, scope and green code. */
#ifndef WEFT_LIB_THREAD_H
#define WEFT_LIB_THREAD_H

#include "weft/thread.h"

#include "lib/internal.h"

/* Parker states, Rust's: the word is a u32 used as an i32. */
#define PARKER_EMPTY 0u
#define PARKER_NOTIFIED 1u
#define PARKER_PARKED 0xffffffffu	/* -1 */

struct weft_panic;

/*
 * Rust's Thread (an Arc<Inner>): what other threads may hold on to. It
 * outlives the OS thread as long as references exist, so unpark() on an
 * exited thread is safe.
 */
struct weft_thread {
	_Atomic int refs;		/* weft_thread_get() aborts long before it wraps */
	_Atomic uint32_t parker;	/* PARKER_*; a private futex word */
	weft_thread_id_t id;
	int tid;			/* kernel thread id, 0 for green threads */
	/*
	 * CLONE_PARENT_SETTID / CLONE_CHILD_CLEARTID: the kernel writes the tid
	 * here at clone and 0 at the very end of the thread's life, after the
	 * thread can no longer do anything about where this word is. So it
	 * lives here, outside the thread's mapping, in the join state that
	 * embeds a native thread's record. Unused by main and green threads.
	 */
	_Atomic uint32_t tid_word;
	struct weft_green *green;	/* non-NULL: a green thread (lib/green.c) */
	struct weft_scope *scope;	/* innermost scope it runs in (lib/scope.c); its own */
	const char *name;		/* NULL if unnamed */
	/* Part of a struct weft_native (a native thread): its last put recycles that. */
	bool in_join_state;
};
/*
 * 56 bytes. weft_thread_alloc() (green threads) puts the name right after it,
 * so the allocator's 64-byte class holds one with a name of up to 7 bytes; a
 * native thread's record is inside its join state, its name a block of its own.
 */
_Static_assert(sizeof(struct weft_thread) == 56, "struct weft_thread grew");

enum native_state { NATIVE_RUNNING, NATIVE_FINISHED, NATIVE_DETACHED };

/*
 * The head of a type-stable object (lib/thread.c, "handles and generations"):
 * join states of native and green threads. Such memory is never freed, only
 * recycled through its pool, so a stale handle can always read @gen.
 */
struct weft_stable {
	_Atomic uint64_t gen;		/* even: a handle's; odd: claimed. Kept on reuse */
	union {
		struct weft_stable *pool_next;	/* while free: the pool's list */
		void *live;		/* while in use: the owner's (a native thread's run) */
	};
};

enum weft_pool { WEFT_POOL_NATIVE, WEFT_POOL_GREEN, WEFT_POOLS };

/*
 * An object of @size (the same for every call on @pool, a few hundred bytes:
 * slabs are 64 KiB) from @pool (its gen kept from its last use), or NULL.
 */
void *weft_stable_get(enum weft_pool pool, size_t size);
/* Give back an object whose gen the caller claimed (odd): the next user sees gen + 1. */
void weft_stable_put(enum weft_pool pool, struct weft_stable *obj);
/* The atomic claim, gen -> gen + 1: only one of all the copies of a handle wins. */
static inline bool weft_stable_claim(struct weft_stable *obj, uint64_t gen)
{
	return atomic_compare_exchange_strong_explicit(&obj->gen, &gen, gen + 1,
						       memory_order_acq_rel, memory_order_relaxed);
}

/*
 * What a native thread's spawner, the thread itself and whoever claims its
 * handle share, from the spawn until the thread is reaped: it lives in the
 * thread's mapping, right under the TLS area (the DOC comment "the mapping
 * of a thread" in lib/thread.c), so it costs no heap and shares the page the
 * thread touches first. Only the thread and the one claimer (join, detach,
 * the end of the process) read it: a stale copy of a handle never gets this
 * far, so the mapping going back to the stack cache or away is safe.
 */
struct weft_native_run {
	_Atomic int state;		/* enum native_state: decides who frees */
	bool on_owned;			/* on natives.owned; set by the spawner, cleared locked */
	bool result_unwanted;		/* nobody can join: destroy the result at once */
	bool own_guard;			/* a guard size of its own: not for the stack cache */
	/* With a result destructor, until claimed: natives.owned, for the process's end. */
	struct weft_native *owned_next, *owned_prev;
	weft_thread_fn fn;
	void *arg;
	void *result;			/* written by the thread before it exits */
	void (*result_dtor)(void *result);	/* for a result nobody collects; may be NULL */
	struct weft_panic *panic;	/* non-NULL if fn panicked */
	void *map;			/* guard, stack, this, TLS area, altstack */
	size_t map_len;
	/* Called by the thread after its destructors ran (scoped threads). */
	void (*exit_hook)(struct weft_native *n);
	void *hook_data;
};

/*
 * The join state of a native thread (Rust's Packet plus the native handle):
 * what a struct weft_join_handle points at. Type-stable memory (the DOC
 * comment "handles and generations" in lib/thread.c): once made it is only
 * ever a struct weft_native, so a stale copy of a handle can always read
 * @hdr.gen and learn that it is stale. It embeds the thread's record, whose
 * last reference recycles it, and points at the rest (@hdr.live) in the
 * thread's mapping: 80 bytes, carved from a slab with no per-object header.
 */
struct weft_native {
	struct weft_stable hdr;		/* first; hdr.live: the struct weft_native_run */
	unsigned long forks;		/* weft_forks when spawned: a parent's thread? */
	struct weft_thread thread;	/* refs: the join state's own, and any taken */
};

_Static_assert(sizeof(struct weft_native) <= 80, "a join state outgrew its thread's old heap cost");

static inline struct weft_native_run *weft_native_run(struct weft_native *n)
{
	return n->hdr.live;
}

/* How a thread without a name is shown, in traces and panic messages: Rust's "<unnamed>". */
#define WEFT_UNNAMED "<unnamed>"

static inline const char *weft_name_or_unnamed(const char *name)
{
	return name ? name : WEFT_UNNAMED;
}

struct weft_thread *weft_thread_alloc(const char *name);
extern struct weft_thread weft_main_thread;

/*
 * weft_builder_spawn() with an exit hook installed before the thread starts,
 * so that it runs whatever happens before the thread's function, or instead of
 * it (a panic before it starts): scoped threads count on it to end their scope.
 */
int weft_builder_spawn_hooked(const struct weft_builder *b, struct weft_join_handle *handle,
			      weft_thread_fn fn, void *arg,
			      void (*exit_hook)(struct weft_native *n), void *hook_data);

/* Exactly these flags: qemu-user rejects any other set with CLONE_VM (abi-notes.rst §2). */
#define WEFT_CLONE_FLAGS                                                                \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | \
	 CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

/* lib/thread-cold.c: the rare paths of a spawn, built for size. */
/* The default stack size: WEFT_MIN_STACK, read once, or WEFT_STACK_DEFAULT. */
size_t weft_default_stack_size(void);
/* A thread's mapping: @total bytes PROT_NONE, the @rw above @guard opened. Return: it or -errno. */
long weft_map_thread(size_t total, size_t guard, size_t rw, const char *name);
/* The calling thread's name as the kernel shows it (comm), best effort. */
void weft_thread_set_comm(const char *name);
/* A thread's function when its altstack could not be installed: panics with @arg's errno. */
void *weft_no_overflow_detection(void *arg);
/* While tracing: the clone(2) of a spawn, as the kernel saw its arguments. */
void weft_trace_clone(long ret, bool injected, uintptr_t stack, _Atomic uint32_t *tid_word,
		      void *tp);
/* While tracing: what weft_arch_unmap_and_exit() is about to do, logged while C still can. */
void weft_trace_unmap_and_exit(void *map, size_t len);

/* Wait until the kernel has cleared @n's tid word: the thread is gone. */
void weft_native_wait_exit(struct weft_native *n);

/* lib/stack-guard.c: per-thread alternate signal stack and guard range. */
void weft_stack_guard_init(void);
size_t weft_altstack_size(void);
/* @b's guard size (NULL: the default) rounded up to pages, or -EINVAL if that overflows. */
int weft_guard_size(const struct weft_builder *b, size_t *guard);
/* Install the calling thread's altstack. Return: 0 or what sigaltstack(2) returned. */
int weft_stack_guard_thread_start(struct weft_tcb *tcb);

/* lib/panic.c: run fn(arg) inside a catch boundary. */
void *weft_panic_call_boundary(weft_thread_fn fn, void *arg, struct weft_panic **panic);
/*
 * lib/panic.c: weft_catch_panic() for boundaries that must clean up after a
 * weft_thread_exit() too (a scope, a green thread's entry). Returns 0,
 * WEFT_PANICKED (*result: the payload, caught) or WEFT_EXITED (*result: the
 * exit's result; the caller passes it on with weft_thread_exit() or ends).
 */
#define WEFT_EXITED 2
int weft_catch_unwind(void *(*fn)(void *), void *arg, void **result);
void weft_panic_free(struct weft_panic *p);

/* lib/stack-cache.c: joined threads' mappings, kept for the next spawn of the same size. */
void *weft_stack_cache_take(size_t len);
void weft_stack_cache_put(void *map, size_t len);

/* Unmap every cached thread mapping (tests use it to compare mapping counts). */
void weft_thread_cache_trim(void);

/* Tests only: set the next ThreadId (to test exhaustion). */
void weft_thread_id_set_next(weft_thread_id_t next);

#endif
