// SPDX-License-Identifier: MIT
/* Native threads: one mapping, one clone, join on the clear-tid word, detach. */
#include <limits.h>

#include <linux/errno.h>
#include <linux/sched.h>

#include "weft/panic.h"

#include "lib/thread.h"
#include "mm_arch.h"

/*
 * DOC: the mapping of a thread
 *
 * One mmap(PROT_NONE) per thread, then one mprotect(PROT_READ|PROT_WRITE) of
 * everything above the guard: two VMAs, as a glibc thread has.
 *
 *   low                                                                       high
 *   +-------+-------------------------+-----+-----------+-----+----------+
 *   | guard |  stack  (grows <-)      | run | TLS block | TCB | altstack |
 *   | NONE  |  RW                                                        |
 *   +-------+-------------------------+-----+-----------+-----+----------+
 *   ^ map   ^ guard_hi     initial sp ^     ^ TLS area        ^ altstack ^ map + total
 *
 * Overflowing the stack touches the guard (SIGSEGV, reported from the
 * altstack: lib/stack-guard.c). The altstack has no guard of its own (that
 * was two more VMAs per thread, half of vm.max_map_count's thread budget):
 * lib/stack-guard.c sizes it from the architecture's signal frame and bounds
 * its handler instead. The TLS area sits right above the initial stack
 * pointer, so a thread that parks soon after starting has touched one page
 * of stack and TLS, and none of the altstack. "run" is the struct
 * weft_native_run that the spawner, the thread and its joiner share: it
 * shares that page too. PROT_NONE first means the kernel commits nothing
 * for the guard. The join state (struct weft_native, with the thread's
 * record and the clear-tid word in it) is *not* in the mapping: it must
 * outlive it ("handles and generations" below, and thread.h).
 */

long weft_arch_clone(unsigned long flags, void *stack, _Atomic uint32_t *parent_tid,
		     _Atomic uint32_t *child_tid, void *tls, int (*fn)(void *), void *arg);
__attribute__((noreturn)) void weft_arch_unmap_and_exit(void *base, size_t len);

struct weft_thread weft_main_thread = {
	.refs = 1,	/* never freed */
	.id = 1,
	.name = "main",
};

/* ---- ThreadId ---------------------------------------------------------- */

static _Atomic weft_thread_id_t next_id = 2;	/* 1 is main */

/*
 * A compare-exchange loop rather than fetch_add: the counter must never wrap
 * around to hand out an id twice. No lock: 64 bits at one id per
 * nanosecond last 584 years, so exhaustion is a panic, as in Rust.
 */
static weft_thread_id_t new_thread_id(void)
{
	weft_thread_id_t id = atomic_load_explicit(&next_id, memory_order_relaxed);

	do {
		if (id == UINT64_MAX)
			weft_panic("failed to generate unique thread ID: bitspace exhausted");
	} while (!atomic_compare_exchange_weak_explicit(&next_id, &id, id + 1,
							memory_order_relaxed,
							memory_order_relaxed));
	return id;
}

void weft_thread_id_set_next(weft_thread_id_t next)
{
	atomic_store(&next_id, next);
}

/* ---- Thread ------------------------------------------------------------ */

struct weft_thread *weft_thread_alloc(const char *name)
{
	size_t len = name && *name ? weft_strlen(name) + 1 : 0;
	struct weft_thread *t = weft_malloc(sizeof(*t) + len);

	if (!t)
		return NULL;
	memset(t, 0, sizeof(*t));
	atomic_init(&t->refs, 1);
	t->id = new_thread_id();
	if (len)
		t->name = memcpy(t + 1, name, len);
	return t;
}

struct weft_thread *weft_thread_get(struct weft_thread *t)
{
	/*
	 * Relaxed, as in Rust's Arc::clone: a new reference is made from an
	 * existing one, so nothing needs ordering. Like Arc, refuse to come near
	 * wrapping (a wrap would free a thread still in use): that takes a
	 * billion leaked references, a bug, and aborting is the safe answer.
	 */
	if (unlikely(atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed) > INT_MAX / 2))
		weft_fatal("struct weft_thread: reference count overflow");
	return t;
}

static void native_release(struct weft_thread *t);

void weft_thread_put(struct weft_thread *t)
{
	/* Release so our writes happen-before the free; acquire for the freer. */
	if (t && atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1) {
		if (t->in_join_state)
			native_release(t);
		else
			weft_free(t);
	}
}

weft_thread_id_t weft_thread_id(const struct weft_thread *t)
{
	return t->id;
}

int weft_thread_tid(const struct weft_thread *t)
{
	return __atomic_load_n(&t->tid, __ATOMIC_RELAXED);
}

const char *weft_thread_name(const struct weft_thread *t)
{
	return t->name;
}

struct weft_thread *weft_current(void)
{
	return weft_tcb()->current;
}

/* ---- stack size and mapping layout -------------------------------------- */

/* @rw: the read-write part above the guard: stack, run state, TLS area, altstack. */
struct layout {
	size_t guard, alt, rw, tls, total;
};

/* The run state under the TLS area, 16-byte aligned: the initial stack pointer is its base. */
#define RUN_ROOM (sizeof(struct weft_native_run) + 15)

/* The stack, the run state and TLS area above it, and the altstack, rounded together. */
static int layout_for(size_t requested, size_t guard, struct layout *l)
{
	size_t page = weft_start.page_size, stack;

	if (__builtin_add_overflow(requested, page - 1, &stack))
		return -EINVAL;
	stack &= ~(page - 1);
	if (stack < WEFT_STACK_MIN)
		stack = WEFT_STACK_MIN;
	l->guard = guard;
	l->alt = weft_altstack_size();	/* whole pages: the top of the mapping stays aligned */
	l->tls = weft_tls_area_size();
	if (__builtin_add_overflow(stack, RUN_ROOM + l->tls + l->alt + page - 1, &l->rw))
		return -EINVAL;
	l->rw &= ~(page - 1);
	if (__builtin_add_overflow(l->rw, l->guard, &l->total))
		return -EINVAL;
	/* More than the user address space can never be mapped. */
	if (l->total >= WEFT_ARCH_USER_ADDR_LIMIT)
		return -ENOMEM;
	return 0;
}

static void unmap_or_cache(void *map, size_t len, bool own_guard)
{
	if (own_guard) {
		sys_why("thread stack with a guard of its own size: not cached");
		sys_munmap(map, len);
	} else {
		weft_stack_cache_put(map, len);
	}
}

/* ---- join states: type-stable, with a generation ------------------------ */

/*
 * DOC: handles and generations
 *
 * A struct weft_join_handle is a plain C value: it can be copied, and a copy
 * can outlive the thread. So the join state it points at must stay readable
 * memory, and must say whether it still belongs to that handle:
 *
 * - Join states are type-stable: they are carved from never-freed slabs and
 *   never freed, only put back on a free list (the kernel's
 *   SLAB_TYPESAFE_BY_RCU idea, without RCU: nothing but @gen, the embedded
 *   thread record and @forks is trusted before the claim). Neither the
 *   thread's mapping, which the stack cache hands to the next thread or
 *   unmaps, nor the heap would do. What only the thread and its claimer
 *   use (struct weft_native_run) is in the mapping, which outlives every
 *   claim: that keeps the join state at 80 bytes with the thread's record
 *   inside it, a parked thread's heap cost before join states existed.
 * - The embedded record is reference-counted as every struct weft_thread:
 *   the join state holds one reference until the thread is reaped, and the
 *   last weft_thread_put() puts the join state back on the free list. A
 *   weft_thread_get() reference outlives the join that way.
 * - @gen is even while the handle it was given to is live; joining or
 *   detaching *claims* it with one compare-exchange, gen -> gen + 1; putting
 *   the join state back on the free list makes it gen + 2, the value the
 *   next thread's handle gets. Any other copy then fails its compare-exchange
 *   (-EINVAL): after a join, after a detach, while another thread is joining,
 *   and after the state was reused for a new thread.
 * - @forks records weft_forks at spawn. In a child of weft_fork() only the
 *   forking thread exists; a handle of any thread spawned before the fork
 *   gets -ESRCH instead of a wait for a clear-tid write that never comes.
 *
 * The cost is a compare-exchange on a line the joiner touches anyway, and a
 * lock-protected pop and push on the free list; spawn+join is ~10 us.
 *
 * A slab is STABLE_SLAB bytes from weft_alloc_stable(), cut into objects
 * with no header of their own: a pool's objects are all one size, a few
 * hundred bytes at most (a join state, a green thread).
 */
#define STABLE_SLAB (64 * 1024 - 16)	/* with the allocator's header, 64 KiB as its chunks */

static struct {
	struct weft_lock lock;
	struct weft_native *owned;	/* unclaimed, with a result destructor */
} natives = { .lock = WEFT_LOCK_INIT };

/* The free lists of type-stable objects: native join states and green threads. */
static struct {
	struct weft_lock lock;
	struct weft_stable *free;
	char *slab, *slab_end;		/* what is left of the current slab */
} pools[WEFT_POOLS] = { [0 ... WEFT_POOLS - 1] = { .lock = WEFT_LOCK_INIT } };

/* A never-used object of @size from the pool's slab, or NULL; with the pool's lock held. */
static struct weft_stable *stable_carve(enum weft_pool pool, size_t size)
{
	char *obj = pools[pool].slab;

	if ((size_t)(pools[pool].slab_end - obj) < size)
		return NULL;
	pools[pool].slab = obj + size;
	atomic_init(&((struct weft_stable *)(void *)obj)->gen, 0);
	return (struct weft_stable *)(void *)obj;
}

void *weft_stable_get(enum weft_pool pool, size_t size)
{
	struct weft_stable *obj;
	char *slab;

	size = ROUND_UP(size, 16);
	for (;;) {
		weft_lock(&pools[pool].lock);
		obj = pools[pool].free;
		if (obj)
			pools[pool].free = obj->pool_next;
		else
			obj = stable_carve(pool, size);
		weft_unlock(&pools[pool].lock);
		if (obj)
			return obj;
		/*
		 * A new slab, allocated unlocked: weft_fork() takes the allocator's
		 * lock before the pools'. Another thread's new slab may land first;
		 * the rest of the one it replaces is simply never used.
		 */
		slab = weft_alloc_stable(STABLE_SLAB);
		if (!slab)
			return NULL;
		weft_lock(&pools[pool].lock);
		pools[pool].slab = slab;
		pools[pool].slab_end = slab + STABLE_SLAB;
		weft_unlock(&pools[pool].lock);
	}
}

void weft_stable_put(enum weft_pool pool, struct weft_stable *obj)
{
	/*
	 * Odd (claimed), so no copy of a handle can change it: each claim
	 * compares with an even value. We are its only writer, and a plain
	 * store saves the locked instruction a fetch-add would be.
	 */
	uint64_t gen = atomic_load_explicit(&obj->gen, memory_order_relaxed);

	atomic_store_explicit(&obj->gen, gen + 1, memory_order_release);
	weft_lock(&pools[pool].lock);
	obj->pool_next = pools[pool].free;
	pools[pool].free = obj;
	weft_unlock(&pools[pool].lock);
}

/* How many weft_fork()s made this process: +1 in each child (weft_thread_fork_child()). */
static unsigned long weft_forks;

/*
 * DOC: results at the end of the process
 *
 * A thread spawned with a result destructor stays on natives.owned until
 * its handle is claimed (join or detach, which destroy or hand over the
 * result themselves). At weft_exit() the threads still on it that have
 * finished are claimed there, as a join would claim them, and their
 * results destroyed: Rust drops the JoinHandles main still holds when main
 * returns, and with them the finished threads' results. A thread still
 * running has no result yet; exit_group ends it.
 */
/*
 * The list's members are unclaimed, so their mappings (where the links are)
 * stay: a claimer unlinks under the lock before it can reap.
 */
static __attribute__((cold)) void owned_link(struct weft_native *n)
{
	struct weft_native_run *r = weft_native_run(n);

	weft_lock(&natives.lock);
	r->owned_prev = NULL;
	r->owned_next = natives.owned;
	if (natives.owned)
		weft_native_run(natives.owned)->owned_prev = n;
	natives.owned = n;
	r->on_owned = true;
	weft_unlock(&natives.lock);
}

/* With natives.lock held. */
static __attribute__((cold)) void owned_unlink_locked(struct weft_native *n)
{
	struct weft_native_run *r = weft_native_run(n);

	if (r->owned_prev)
		weft_native_run(r->owned_prev)->owned_next = r->owned_next;
	else
		natives.owned = r->owned_next;
	if (r->owned_next)
		weft_native_run(r->owned_next)->owned_prev = r->owned_prev;
	r->on_owned = false;
}

/* By the claimer of @n: off the list, if it is on it (only the claimer may look). */
static void owned_unlink(struct weft_native *n)
{
	if (!weft_native_run(n)->on_owned)
		return;	/* no lock for threads without a result destructor */
	weft_lock(&natives.lock);
	owned_unlink_locked(n);
	weft_unlock(&natives.lock);
}

static struct weft_native *native_get(void)
{
	return weft_stable_get(WEFT_POOL_NATIVE, sizeof(struct weft_native));
}

/* A join state whose thread never started: claimed, as a join would, then recycled. */
static void native_unmake(struct weft_native *n)
{
	atomic_fetch_add_explicit(&n->hdr.gen, 1, memory_order_relaxed);
	weft_thread_put(&n->thread);
}

/* The last reference to a native thread's record: its join state goes back to the pool. */
static void native_release(struct weft_thread *t)
{
	struct weft_native *n = (struct weft_native *)(void *)((char *)t -
							       offsetof(struct weft_native, thread));

	weft_free((void *)t->name);	/* a block of its own (spawn()) */
	weft_stable_put(WEFT_POOL_NATIVE, &n->hdr);
}

/*
 * Check @handle against its join state; @join: for a join (refuse a self-join).
 * Return: the state, or NULL with *err = -EINVAL (consumed, or a stale copy),
 * -ESRCH (a parent's thread) or -EDEADLK.
 */
static struct weft_native *native_of(const struct weft_join_handle *handle, bool join, int *err)
{
	struct weft_native *n = handle ? handle->native : NULL;
	uint64_t gen;

	*err = -EINVAL;
	if (!n)
		return NULL;
	gen = atomic_load_explicit(&n->hdr.gen, memory_order_acquire);
	/*
	 * A thread joining itself is -EDEADLK even if another copy of its handle
	 * has claimed it meanwhile (gen + 1): a running thread is never reaped,
	 * so in both cases n->thread is still the caller.
	 */
	if (join && (gen == handle->gen || gen == handle->gen + 1) &&
	    &n->thread == weft_current()) {
		*err = -EDEADLK;
		return NULL;
	}
	if (gen != handle->gen)
		return NULL;
	if (unlikely(n->forks != weft_forks)) {
		*err = -ESRCH;
		return NULL;
	}
	return n;
}

/* weft_fork() holds the join-state locks across the fork (lib/hooks.h). */
void weft_thread_fork_prepare(void)
{
	weft_lock(&natives.lock);
	for (int i = 0; i < WEFT_POOLS; i++)
		weft_lock(&pools[i].lock);
}

static void fork_unlock(void)
{
	for (int i = WEFT_POOLS - 1; i >= 0; i--)
		weft_unlock(&pools[i].lock);
	weft_unlock(&natives.lock);
}

void weft_thread_fork_parent(void)
{
	fork_unlock();
}

/* In the child: the forking thread's record gets the new tid; the others are not ours. */
void weft_thread_fork_child(void)
{
	struct weft_tcb *tcb = weft_tcb();

	fork_unlock();
	weft_forks++;
	if (tcb->current)
		__atomic_store_n(&tcb->current->tid, tcb->tid, __ATOMIC_RELAXED);
}

/* ---- the thread's side ------------------------------------------------- */

/*
 * Drop what nobody collects: the panic payload (with its type's destructor)
 * or the result (with the builder's result destructor). Called exactly once
 * per thread, by whoever ends up owning the outcome: a join with a NULL
 * result, the detacher, or the detached thread itself.
 */
static void native_drop_outcome(struct weft_native *n)
{
	struct weft_native_run *r = weft_native_run(n);

	if (r->panic)
		weft_panic_free(r->panic);
	else if (r->result_dtor)
		r->result_dtor(r->result);
}

__attribute__((cold)) void weft_thread_drop_unjoined_results(void)
{
	for (;;) {
		struct weft_native *n;

		weft_lock(&natives.lock);
		for (n = natives.owned; n; n = weft_native_run(n)->owned_next) {
			uint64_t gen = atomic_load_explicit(&n->hdr.gen, memory_order_acquire);

			/* Finished, unclaimed, ours (not a parent's): claim it as a join would. */
			if (!(gen & 1) && n->forks == weft_forks &&
			    atomic_load_explicit(&weft_native_run(n)->state, memory_order_acquire) ==
				    NATIVE_FINISHED &&
			    weft_stable_claim(&n->hdr, gen)) {
				owned_unlink_locked(n);
				break;
			}
		}
		weft_unlock(&natives.lock);
		if (!n)
			return;
		/* Unlocked: a destructor may spawn, join or allocate. */
		native_drop_outcome(n);
	}
}

static __attribute__((noreturn)) void thread_finish(struct weft_native *n)
{
	struct weft_native_run *r = weft_native_run(n);

	if (atomic_exchange_explicit(&r->state, NATIVE_FINISHED, memory_order_acq_rel) ==
	    NATIVE_DETACHED) {
		/*
		 * Nobody will join: free everything, the mapping we stand on (and
		 * that @r is in) last. The kernel would still clear the tid word
		 * at exit, in a join state this put may recycle: the assembly
		 * forgets that address (set_tid_address(NULL)) before exiting.
		 */
		void *map = r->map;
		size_t len = r->map_len;

		native_drop_outcome(n);
		weft_thread_put(&n->thread);
		if (unlikely(weft_sys_hook_now()))
			weft_trace_unmap_and_exit(map, len);
		weft_arch_unmap_and_exit(map, len);
	}
	/* The joiner frees; the kernel's clear-tid write tells it when. */
	sys_exit(0);
}

static int thread_main(void *arg)
{
	struct weft_native *n = arg;
	struct weft_native_run *r = weft_native_run(n);
	struct weft_tcb *tcb = weft_tcb();
	struct weft_thread *t = &n->thread;

	/* The kernel (or qemu) stored our tid through CLONE_PARENT_SETTID before we ran. */
	tcb->tid = (int)atomic_load_explicit(&t->tid_word, memory_order_relaxed);
	__atomic_store_n(&t->tid, tcb->tid, __ATOMIC_RELAXED);
	if (t->name)
		weft_thread_set_comm(t->name);
	long err = weft_stack_guard_thread_start(tcb);

	if (likely(!err))
		r->result = weft_panic_call_boundary(r->fn, r->arg, &r->panic);
	else
		r->result = weft_panic_call_boundary(weft_no_overflow_detection, (void *)err, &r->panic);
	if (r->result_unwanted && !r->panic && r->result_dtor) {
		/* Before the destructors and the exit hook: see scoped_thread_main(). */
		r->result_dtor(r->result);
		r->result_dtor = NULL;
		r->result = NULL;
	}
	weft_thread_exit_work();
	if (r->exit_hook)
		r->exit_hook(n);
	thread_finish(n);
}

/* ---- spawn, join, detach ----------------------------------------------- */

static int spawn(const struct weft_builder *b, struct weft_join_handle *handle,
		 weft_thread_fn fn, void *arg, void (*exit_hook)(struct weft_native *n),
		 void *hook_data)
{
	const char *name = b && b->name && b->name[0] ? b->name : NULL;
	struct weft_thread *t;
	struct weft_native *n;
	struct weft_tcb *tcb;
	struct layout l;
	size_t guard;
	bool own_guard;
	long ret, injected;
	char *map;
	int err;

	if (!handle)
		return -EINVAL;
	handle->native = NULL;
	if (!fn)
		return -EINVAL;
	err = weft_guard_size(b, &guard);
	if (!err)
		err = layout_for(b && b->stack_size ? b->stack_size : weft_default_stack_size(), guard,
				 &l);
	if (err)
		return err;

	n = native_get();
	if (!n)
		return -ENOMEM;
	t = &n->thread;
	/* refs: the join state's, until the thread is reaped. Stores, not a memset call. */
	*t = (struct weft_thread){ .refs = 1, .in_join_state = true };
	if (name) {
		size_t len = weft_strlen(name) + 1;
		char *copy = weft_malloc(len);

		if (!copy) {
			native_unmake(n);
			return -ENOMEM;
		}
		t->name = memcpy(copy, name, len);
	}
	t->id = new_thread_id();
	n->forks = weft_forks;

	/* The cache knows mappings by length: only default-guard ones enter it. */
	own_guard = l.guard != ROUND_UP(WEFT_GUARD_DEFAULT, weft_start.page_size);
	map = own_guard ? NULL : weft_stack_cache_take(l.total);
	if (!map) {
		ret = weft_map_thread(l.total, l.guard, l.rw, name);
		if (ret < 0) {
			native_unmake(n);
			return (int)ret;
		}
		map = (char *)ret;
	}

	/* The altstack at the very top, the TLS area below it, the run state, then the stack. */
	char *tls_area = map + l.total - l.alt - l.tls;
	struct weft_native_run *r = (void *)(((uintptr_t)tls_area - sizeof(*r)) & ~15UL);

	*r = (struct weft_native_run){
		.state = NATIVE_RUNNING,
		.fn = fn,
		.arg = arg,
		.result_dtor = b ? b->result_dtor : NULL,
		.map = map,
		.map_len = l.total,
		.own_guard = own_guard,
		.exit_hook = exit_hook,
		.hook_data = hook_data,
	};
	n->hdr.live = r;
	if (r->result_dtor)
		owned_link(n);

	tcb = weft_tls_install(tls_area, l.tls);
	tcb->current = t;
	tcb->native = n;
	tcb->guard_lo = (uintptr_t)map;
	tcb->guard_hi = tcb->guard_lo + l.guard;
	tcb->stack_hi = (uintptr_t)r;
	tcb->altstack = map + l.total - l.alt;
	tcb->altstack_len = l.alt;

	/* A failure that weft_sys_pre() injects is marked so in the trace, like any other. */
	sys_why("start thread '%s'", name ? name : "<unnamed>");
	injected = weft_sys_pre(__NR_clone);
	ret = injected;
	if (!ret)
		ret = weft_arch_clone(WEFT_CLONE_FLAGS, (void *)tcb->stack_hi, &t->tid_word,
				      &t->tid_word, weft_tcb_tp(tcb), thread_main, n);
	if (unlikely(weft_sys_hook_now()))
		weft_trace_clone(ret, injected != 0, tcb->stack_hi, &t->tid_word, weft_tcb_tp(tcb));
	if (ret < 0) {
		owned_unlink(n);
		unmap_or_cache(map, l.total, own_guard);
		native_unmake(n);
		return (int)ret;
	}
	/* The kernel wrote the tid through CLONE_PARENT_SETTID before clone returned. */
	__atomic_store_n(&t->tid, (int)ret, __ATOMIC_RELAXED);
	handle->gen = atomic_load_explicit(&n->hdr.gen, memory_order_relaxed);
	handle->native = n;
	return 0;
}

/*
 * POSIX's pthread_create() has one error for "the system lacked the
 * necessary resources to create another thread": EAGAIN. glibc turns its
 * stack allocation's ENOMEM into EAGAIN, musl returns EAGAIN for every mmap
 * failure (its pthread_create-oom test); weft does the same for every
 * ENOMEM on the way (allocation, mmap, mprotect, clone). The table is in
 * Documentation/threads.rst, "Errors".
 */
int weft_builder_spawn_hooked(const struct weft_builder *b, struct weft_join_handle *handle,
			      weft_thread_fn fn, void *arg,
			      void (*exit_hook)(struct weft_native *n), void *hook_data)
{
	int err = spawn(b, handle, fn, arg, exit_hook, hook_data);

	return err == -ENOMEM ? -EAGAIN : err;
}

int weft_builder_spawn(const struct weft_builder *b, struct weft_join_handle *handle,
		       weft_thread_fn fn, void *arg)
{
	return weft_builder_spawn_hooked(b, handle, fn, arg, NULL, NULL);
}

int weft_spawn(struct weft_join_handle *handle, weft_thread_fn fn, void *arg)
{
	return weft_builder_spawn(NULL, handle, fn, arg);
}

void weft_native_wait_exit(struct weft_native *n)
{
	uint32_t tid;

	/*
	 * A shared (non-private) futex: the kernel's wake at thread exit
	 * (mm_release() in kernel/fork.c) uses a shared key, which a private
	 * waiter never matches (abi-notes.rst §4). Acquire pairs with the kernel's
	 * store so that the thread's result and every write it made are visible.
	 */
	_Atomic uint32_t *word = &n->thread.tid_word;

	while ((tid = atomic_load_explicit(word, memory_order_acquire)) != 0)
		weft_futex_wait(word, tid, true, NULL);
}

/* After the thread has exited: give back its mapping, then the join state's reference. */
static void native_reap(struct weft_native *n)
{
	struct weft_native_run *r = weft_native_run(n);

	unmap_or_cache(r->map, r->map_len, r->own_guard);
	weft_thread_put(&n->thread);
}

int weft_join(struct weft_join_handle *handle, void **result)
{
	struct weft_native_run *r;
	struct weft_native *n;
	int ret = 0;

	n = native_of(handle, true, &ret);
	if (!n)
		return ret;
	ret = 0;
	if (!weft_stable_claim(&n->hdr, handle->gen))
		return -EINVAL;
	owned_unlink(n);
	weft_native_wait_exit(n);
	handle->native = NULL;
	r = weft_native_run(n);
	if (r->panic)
		ret = WEFT_PANICKED;
	if (!result)
		native_drop_outcome(n);
	else
		*result = r->panic ? (void *)r->panic : r->result;
	native_reap(n);
	return ret;
}

int weft_detach(struct weft_join_handle *handle)
{
	struct weft_native *n;
	int err;

	n = native_of(handle, false, &err);
	if (!n)
		return err;
	if (!weft_stable_claim(&n->hdr, handle->gen))
		return -EINVAL;
	owned_unlink(n);
	handle->native = NULL;
	if (atomic_exchange_explicit(&weft_native_run(n)->state, NATIVE_DETACHED,
				     memory_order_acq_rel) ==
	    NATIVE_FINISHED) {
		/* It finished first and left the freeing to us. */
		weft_native_wait_exit(n);
		native_drop_outcome(n);
		native_reap(n);
	}
	return 0;
}

int weft_is_finished(const struct weft_join_handle *handle)
{
	struct weft_native *n;
	int err;

	n = native_of(handle, false, &err);
	if (!n)
		return err;
	return atomic_load_explicit(&n->thread.tid_word, memory_order_acquire) == 0;
}

struct weft_thread *weft_join_handle_thread(const struct weft_join_handle *handle)
{
	int err;
	struct weft_native *n = native_of(handle, false, &err);

	return n ? &n->thread : NULL;
}
