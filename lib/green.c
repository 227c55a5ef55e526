// SPDX-License-Identifier: MIT
/* Green threads: a cooperative round-robin runtime per OS thread, on guard-paged stacks. */
#include <linux/errno.h>
#include <linux/mman.h>
#include <linux/time.h>

#include "weft/green.h"
#include "weft/panic.h"

#include "green_arch.h"
#include "mm_arch.h"
#include "lib/held.h"
#include "lib/thread.h"

/* This file defines the green steps of lib/hooks.h and calls lib/held.c's. */
#define WEFT_HOOKS_GREEN_C
#include "lib/hooks.h"

/*
 * DOC: the runtime
 *
 * One struct weft_green_runtime per OS thread, in tcb->green. Everything in
 * it is touched only by that OS thread, except the remote queue and the wake
 * word, which other OS threads use to unpark its green threads.
 *
 * A *context* is something that can be switched to: every green thread has
 * one, and so does the OS thread itself (rt->os: its own stack, inside a
 * scheduler loop). Switching installs the target's identity in the TCB, so
 * that weft_current(), panics and the overflow handler see the green thread:
 *
 *	tcb->current        the running context's struct weft_thread
 *	tcb->green_current  the running green thread, NULL for the OS thread
 *	tcb->guard_lo/hi    the running stack's guard page
 *	tcb->catch_top      the running stack's innermost panic boundary
 *	tcb->panicking      whether it is panicking
 *	weft_held_cur       the weft/sync.h locks it holds (lib/held.h)
 *
 * and the last three are saved in the context being left, because they
 * describe frames on *its* stack. Then weft_arch_green_switch() swaps stacks.
 * A green thread's held-lock record sits at the top of its own stack, above
 * its first frame (the page is touched anyway), so that its entries need no
 * owner: no green thread can release another's locks, and a panic releases
 * only the panicking thread's.
 *
 * Who switches to whom:
 *
 *	scheduler loop (rt->os) --rt->ring--> green A
 *	green A --yield/park--> green B          directly, when B is runnable
 *	green A --park, nothing runnable--> rt->os, which sleeps on rt->wake
 *	green A --returns--> rt->os, which recycles A's stack
 *
 * A finished thread must go to the OS context: its stack can be recycled
 * only once nothing runs on it.
 *
 * The runnable threads form a ring (a circular doubly linked list) in
 * run order; rt->ring is the running thread, or the next to run when the
 * OS context has control. Yielding is moving rt->ring one step round the
 * ring; a thread that becomes runnable is inserted just before rt->ring,
 * which is the back of the line; parking and finishing unlink. A yield
 * thus writes nothing to the queue but rt->ring: on the x86_64 cores this
 * was measured on, a switch costs about one cycle per store it makes
 * (Documentation/green-threads.rst), so the bookkeeping is kept to few.
 */

/* Something that can be switched to: a green thread, or the OS thread itself. */
struct green_context {
	void *sp;			/* while suspended: see arch/x86_64/green.S */
	struct weft_thread *thread;	/* becomes tcb->current */
	struct weft_green *green;	/* becomes tcb->green_current; NULL for the OS thread */
	uintptr_t guard_lo, guard_hi;	/* become tcb->guard_lo/hi */
	struct weft_catch *catch_top;	/* tcb->catch_top, saved while suspended */
	int panicking;			/* tcb->panicking, saved while suspended */
	struct weft_held *held;		/* weft_held_cur while it runs; rt->os: set by run_loop() */
};

/*
 * The join protocol, as for native threads (lib/thread.c). ORPHANED: its
 * OS thread ended with it unfinished, so it will never run again.
 */
enum green_state { GREEN_RUNNING, GREEN_JOINER_WAITING, GREEN_FINISHED, GREEN_ORPHANED };

struct weft_green {
	/* Type-stable, with a generation, as a native join state (lib/thread.c). */
	struct weft_stable hdr;

	/* Set at spawn, then read-only: any thread may read them. */
	struct weft_green_runtime *rt;
	weft_thread_fn fn;
	void *arg;
	void *stack_map;		/* guard + stack */
	size_t stack_len;
	size_t stack_guard;		/* bytes of guard at stack_map */

	/* The owning OS thread only (ctx.thread, set at spawn, is read by any). */
	struct green_context ctx;
	struct weft_green *ring_next;	/* the run ring, while runnable */
	struct weft_green *ring_prev;
	struct weft_green *timer_next;	/* rt->timers, by deadline */
	uint64_t deadline;
	bool timer_linked;
	struct weft_green *remote_next;	/* rt's remote queue: rt->remote_lock */
	struct weft_green *all_next;	/* rt->all: every unfinished thread */
	struct weft_green *all_prev;
	struct weft_abandon *abandon;	/* what it left while blocked, innermost first */

	/* Join: the state word orders everything (see finish_join()). */
	_Atomic int state;		/* enum green_state */
	struct weft_thread *joiner;	/* a reference; valid once JOINER_WAITING */
	void *result;			/* written before FINISHED */
	struct weft_panic *panic;	/* idem; non-NULL if the thread panicked */
};
_Static_assert(sizeof(struct weft_green) <= 1024, "weft_stable_get() cuts 64 KiB slabs");

/* A stack on the free list: the header lives at the top of the stack itself. */
struct green_stack {
	struct green_stack *next;
	void *map;
	size_t len, guard;
};

struct weft_green_runtime {
	/* The owning OS thread only. */
	struct green_context os;	/* the OS thread, inside a scheduler loop */
	struct weft_green *ring;	/* runnable threads: the running or next one */
	struct weft_green *timers;	/* parked with a timeout, soonest first */
	long live;			/* spawned and not finished */
	int loops;			/* scheduler loops in progress */
	struct green_stack *free_stacks;
	int free_count;
	struct weft_green *all;		/* every unfinished green thread, for abandonment */
	struct green_context dead;	/* a finished thread's last switch saves into it */
	void *dead_map;			/* its stack, recycled once we are off it */
	size_t dead_len, dead_guard;

	/* Other OS threads too: weft_green_unpark() from afar. */
	struct weft_lock remote_lock;
	_Atomic(struct weft_green *) remote_head;	/* under the lock; read racily */
	struct weft_green *remote_tail;			/* under the lock */
	_Atomic uint32_t wake;		/* a Parker word the owner sleeps on when idle */
};

/* ---- switching ---------------------------------------------------------- */

static inline int switch_to(struct weft_tcb *tcb, struct green_context *from,
			    struct green_context *to)
{
	/* Usually the same boundary as when @from was switched in: then no store. */
	if (from->catch_top != tcb->catch_top)
		from->catch_top = tcb->catch_top;
	tcb->catch_top = to->catch_top;
	/*
	 * Fixed for a green thread; the OS context's is saved as run_loop()
	 * begins (its first lock may move it, never inside the loop).
	 */
	weft_held_cur = to->held;
	/*
	 * A context's saved panicking flag is non-zero only while it is
	 * suspended in the middle of a panic (a panic hook that yielded), so in
	 * the usual case both are zero and nothing is written.
	 */
	if (unlikely(tcb->panicking | to->panicking)) {
		from->panicking = tcb->panicking;
		tcb->panicking = to->panicking;
		to->panicking = 0;
	}
	tcb->current = to->thread;
	tcb->green_current = to->green;
	tcb->guard_lo = to->guard_lo;
	tcb->guard_hi = to->guard_hi;
	/* Resumed: whoever switched back to us installed our identity. */
	return weft_arch_green_switch(&from->sp, to->sp);
}

/* ---- the run ring, timers and remote wake-ups --------------------------- */

/* Make @g runnable: at the back of the line, just before rt->ring. */
static inline void ring_insert(struct weft_green_runtime *rt, struct weft_green *g)
{
	struct weft_green *head = rt->ring;

	if (!head) {
		g->ring_next = g->ring_prev = g;
		rt->ring = g;
		return;
	}
	g->ring_next = head;
	g->ring_prev = head->ring_prev;
	head->ring_prev->ring_next = g;
	head->ring_prev = g;
}

/* @g stops being runnable; if it was rt->ring, the one after it is next. */
static inline void ring_remove(struct weft_green_runtime *rt, struct weft_green *g)
{
	if (g->ring_next == g) {
		rt->ring = NULL;
		return;
	}
	g->ring_prev->ring_next = g->ring_next;
	g->ring_next->ring_prev = g->ring_prev;
	if (rt->ring == g)
		rt->ring = g->ring_next;
}

/* Make runnable what other OS threads unparked, in the order they did. */
static void drain_remote(struct weft_green_runtime *rt)
{
	struct weft_green *g;

	weft_lock(&rt->remote_lock);
	g = atomic_load_explicit(&rt->remote_head, memory_order_relaxed);
	atomic_store_explicit(&rt->remote_head, NULL, memory_order_relaxed);
	rt->remote_tail = NULL;
	weft_unlock(&rt->remote_lock);
	for (; g; g = g->remote_next)
		ring_insert(rt, g);
}

static void timer_unlink(struct weft_green_runtime *rt, struct weft_green *g)
{
	struct weft_green **p = &rt->timers;

	while (*p != g)
		p = &(*p)->timer_next;
	*p = g->timer_next;
	g->timer_linked = false;
}

static void timer_insert(struct weft_green_runtime *rt, struct weft_green *g)
{
	struct weft_green **p = &rt->timers;

	while (*p && (*p)->deadline <= g->deadline)
		p = &(*p)->timer_next;
	g->timer_next = *p;
	*p = g;
	g->timer_linked = true;
}

/*
 * Wake the threads whose park timeout has passed. A timer and an unparker
 * may race for the same thread: whichever moves its Parker word away from
 * PARKED owns the wake-up and queues it; the other does nothing.
 */
static void fire_timers(struct weft_green_runtime *rt)
{
	uint64_t now = weft_now();

	while (rt->timers && rt->timers->deadline <= now) {
		struct weft_green *g = rt->timers;
		uint32_t parked = PARKER_PARKED;

		rt->timers = g->timer_next;
		g->timer_linked = false;
		if (atomic_compare_exchange_strong_explicit(&g->ctx.thread->parker, &parked,
							    PARKER_EMPTY, memory_order_relaxed,
							    memory_order_relaxed))
			ring_insert(rt, g);
	}
}

/*
 * Take in what became runnable behind our back. Remote wake-ups cost one
 * relaxed load when there are none; timers cost a clock read (a system
 * call: weft reads no vDSO) per scheduling decision, but only while some
 * thread has a timeout.
 */
static inline void poll_wakeups(struct weft_green_runtime *rt)
{
	if (unlikely(atomic_load_explicit(&rt->remote_head, memory_order_relaxed) != NULL))
		drain_remote(rt);
	if (unlikely(rt->timers != NULL))
		fire_timers(rt);
}

/*
 * Nothing runnable: sleep until another OS thread unparks one of ours or
 * the soonest park timeout. rt->wake is a Parker word of the runtime's own,
 * not the OS thread's: a token meant for the OS thread's code must not be
 * eaten by its scheduler.
 */
static void idle_wait(struct weft_green_runtime *rt)
{
	struct __kernel_timespec ts, *deadline = NULL;

	if (rt->timers) {
		weft_ns_to_timespec(rt->timers->deadline, &ts);
		deadline = &ts;
	}
	if (atomic_fetch_sub_explicit(&rt->wake, 1, memory_order_acquire) == PARKER_NOTIFIED)
		return;
	sys_why("green runtime idle: every green thread is parked");
	weft_futex_wait(&rt->wake, PARKER_PARKED, false, deadline);
	atomic_exchange_explicit(&rt->wake, PARKER_EMPTY, memory_order_acquire);
}

/* ---- stacks ---------------------------------------------------------------- */

/* Guard + stack, @len in all; the guard is the lowest @guard bytes. */
static long stack_map(size_t len, size_t guard, const char *name)
{
	long p, err;

	sys_why("green thread '%s' stack + guard page", weft_name_or_unnamed(name));
	p = sys_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
		     -1, 0);
	if (sys_is_error(p))
		return p;
	sys_why("green thread '%s' guard page", weft_name_or_unnamed(name));
	err = sys_mprotect((void *)p, guard, PROT_NONE);
	if (err) {
		sys_why("undo a half-made green stack");
		sys_munmap((void *)p, len);
		return err;
	}
	return p;
}

static void *stack_take(struct weft_green_runtime *rt, size_t len, size_t guard)
{
	for (struct green_stack **p = &rt->free_stacks; *p; p = &(*p)->next) {
		struct green_stack *s = *p;

		if (s->len == len && s->guard == guard) {
			*p = s->next;
			rt->free_count--;
			return s->map;
		}
	}
	return NULL;
}

/* Called only once no context runs on the stack. */
static void stack_release(struct weft_green_runtime *rt, void *map, size_t len, size_t guard)
{
	struct green_stack *s = (struct green_stack *)((char *)map + len) - 1;

	if (rt->free_count < GREEN_STACK_CACHE) {
		s->map = map;
		s->len = len;
		s->guard = guard;
		s->next = rt->free_stacks;
		rt->free_stacks = s;
		rt->free_count++;
		return;
	}
	sys_why("green stack: free list full");
	sys_munmap(map, len);
}

/* After a switch back to the OS context: recycle the stack of a thread that finished. */
static inline void reap_dead(struct weft_green_runtime *rt)
{
	if (rt->dead_map) {
		stack_release(rt, rt->dead_map, rt->dead_len, rt->dead_guard);
		rt->dead_map = NULL;
	}
}

/* ---- the runtime ------------------------------------------------------------- */

static struct weft_green_runtime *runtime_create(struct weft_tcb *tcb)
{
	struct weft_green_runtime *rt = weft_calloc(1, sizeof(*rt));

	if (!rt)
		return NULL;
	atomic_init(&rt->remote_head, NULL);
	atomic_init(&rt->wake, PARKER_EMPTY);
	tcb->green = rt;
	return rt;
}

static void runtime_free(struct weft_tcb *tcb, struct weft_green_runtime *rt)
{
	while (rt->free_stacks) {
		struct green_stack *s = rt->free_stacks;

		rt->free_stacks = s->next;
		sys_why("green runtime ends: its cached stacks");
		sys_munmap(s->map, s->len);
	}
	tcb->green = NULL;
	weft_free(rt);
}

/*
 * Publish @final (FINISHED, or ORPHANED) and wake the joiner, if one is
 * waiting. As soon as the state says so a joiner on another OS thread may
 * free @g, so the joiner is read before, and @g is not touched after.
 */
static void settle(struct weft_green *g, int final)
{
	int state = atomic_load_explicit(&g->state, memory_order_acquire);
	struct weft_thread *joiner;

	do {
		joiner = state == GREEN_JOINER_WAITING ? g->joiner : NULL;
	} while (!atomic_compare_exchange_weak_explicit(&g->state, &state, final,
							memory_order_acq_rel,
							memory_order_acquire));
	if (joiner) {
		weft_unpark(joiner);
		weft_thread_put(joiner);
	}
}

static void all_insert(struct weft_green_runtime *rt, struct weft_green *g)
{
	g->all_prev = NULL;
	g->all_next = rt->all;
	if (rt->all)
		rt->all->all_prev = g;
	rt->all = g;
}

static void all_remove(struct weft_green_runtime *rt, struct weft_green *g)
{
	if (g->all_prev)
		g->all_prev->all_next = g->all_next;
	else
		rt->all = g->all_next;
	if (g->all_next)
		g->all_next->all_prev = g->all_prev;
}

/*
 * The runtime's OS thread is ending with green threads unfinished: they can
 * never run again. Take back what each left where others look while it
 * slept in a primitive (its struct weft_abandon list, lib/hooks.h), release
 * the locks it holds, and say so to whoever joins it (-ESRCH rather than a
 * wait for ever), waking a joiner that already waits. The runtime itself
 * stays: an unparker may still touch it.
 */
static void orphan_all(struct weft_green_runtime *rt)
{
	for (struct weft_green *g = rt->all; g; g = g->all_next) {
		if (weft_tcb()->native) {
			/*
			 * Where it waits: its wait node, a channel note (on its
			 * stack, which a join of it unmaps), a writer's count.
			 */
			for (struct weft_abandon *a = g->abandon; a; a = a->next)
				a->undo(a);
			g->abandon = NULL;
			/* Locks it holds: released, poisoned and reported (lib/held.c). */
			if (weft_held_orphan)
				weft_held_orphan(g->ctx.held, g->ctx.thread);
		}
		settle(g, GREEN_ORPHANED);
	}
}

/*
 * Called from weft_thread_exit_work() when an OS thread ends (lib/exit.c).
 *
 * A runtime with unfinished green threads is abandoned, not freed: they
 * can never run again (their joiners get -ESRCH: orphan_all()), but another
 * OS thread may still hold one of them and
 * unpark it, which touches the runtime. Without them, no other thread can
 * reach the runtime: an unparker touches it only while the thread it
 * unparks is parked, hence unfinished, and its last access is its unlock of
 * rt->remote_lock, before the owner could drain that thread; what follows is
 * a FUTEX_WAKE, which for a private futex hashes the address without reading
 * it (get_futex_key() in kernel/futex/core.c).
 */
void weft_green_thread_exit(void)
{
	struct weft_tcb *tcb = weft_tcb();
	struct weft_green_runtime *rt = tcb->green;

	if (!rt || tcb->green_current || rt->loops)
		return;
	if (rt->live) {
		orphan_all(rt);
		return;
	}
	runtime_free(tcb, rt);
}

/* Run green threads until @until has finished (NULL: until all have). */
static void run_loop(struct weft_tcb *tcb, struct weft_green_runtime *rt,
		     struct weft_green *until)
{
	/* The OS thread's identity, reinstalled by every switch back to it. */
	rt->os.thread = tcb->current;
	rt->os.green = NULL;
	rt->os.guard_lo = tcb->guard_lo;
	rt->os.guard_hi = tcb->guard_hi;
	rt->os.held = weft_held_cur;	/* the scheduler itself takes no recorded lock */
	rt->loops++;
	for (;;) {
		if (until ? atomic_load_explicit(&until->state, memory_order_acquire) ==
				    GREEN_FINISHED
			  : rt->live == 0)
			break;
		poll_wakeups(rt);
		if (rt->ring) {
			switch_to(tcb, &rt->os, &rt->ring->ctx);
			reap_dead(rt);
		} else {
			idle_wait(rt);
		}
	}
	rt->loops--;
}

/* ---- a green thread's life ----------------------------------------------------- */

/* The thread's boundary: a panic stops here, with weft_panicking() false again. */
static void *green_body(void *arg)
{
	struct weft_green *g = arg;
	void *r = NULL;

	/* A weft_thread_exit() in the green thread ends it with that result. */
	if (weft_catch_unwind(g->fn, g->arg, &r) == WEFT_PANICKED) {
		g->panic = r;
		return NULL;
	}
	return r;
}

static void finish_join(struct weft_green *g)
{
	settle(g, GREEN_FINISHED);
}

/* The trampoline's on_return: the thread's function has returned. */
static __attribute__((noreturn)) void green_exit(void *arg, void *result)
{
	struct weft_green *g = arg;
	struct weft_green_runtime *rt = g->rt;
	struct weft_tcb *tcb = weft_tcb();

	/* Locks it returned holding: released, poisoned and reported (lib/held.c). */
	if (weft_held_green_exit)
		weft_held_green_exit();
	g->result = result;
	rt->live--;
	ring_remove(rt, g);
	all_remove(rt, g);
	rt->dead_map = g->stack_map;	/* we stand on it: the OS context recycles it */
	rt->dead_len = g->stack_len;
	rt->dead_guard = g->stack_guard;
	finish_join(g);
	switch_to(tcb, &rt->dead, &rt->os);
	__builtin_unreachable();	/* nothing ever switches back to rt->dead */
}

/* Leave the ring and switch away, until a wake-up puts @self back in it. */
static void block(struct weft_tcb *tcb, struct weft_green *self)
{
	struct weft_green_runtime *rt = self->rt;

	ring_remove(rt, self);
	poll_wakeups(rt);
	if (rt->ring == self)	/* unparked from afar before we even left */
		return;
	/* With nothing runnable, the OS context sleeps until something is. */
	switch_to(tcb, &self->ctx, rt->ring ? &rt->ring->ctx : &rt->os);
}

/* ---- what a blocked green thread leaves behind (lib/hooks.h) -------------------- */

void weft_green_abandon_push(struct weft_abandon *a)
{
	struct weft_green *g = weft_tcb()->green_current;

	a->next = g->abandon;
	g->abandon = a;
}

void weft_green_abandon_pop(struct weft_abandon *a)
{
	weft_tcb()->green_current->abandon = a->next;
}

/* ---- the API -------------------------------------------------------------------- */

/* Back to the pool, by whoever owns @g (a claimer, or a spawn that failed). */
static void green_put(struct weft_green *g)
{
	uint64_t gen = atomic_load_explicit(&g->hdr.gen, memory_order_relaxed);

	if (!(gen & 1))	/* never handed out: claim it ourselves */
		atomic_store_explicit(&g->hdr.gen, gen + 1, memory_order_relaxed);
	weft_stable_put(WEFT_POOL_GREEN, &g->hdr);
}

/*
 * @handle's green thread if the handle is live. Return: it, or NULL with
 * *err: -EINVAL (consumed, or a stale copy: the generations differ).
 */
static struct weft_green *green_of(const struct weft_green_handle *handle, int *err)
{
	struct weft_green *g = handle ? handle->green : NULL;

	*err = -EINVAL;
	if (!g || atomic_load_explicit(&g->hdr.gen, memory_order_acquire) != handle->gen)
		return NULL;
	return g;
}

int weft_green_spawn(struct weft_green_handle *handle, weft_thread_fn fn, void *arg,
		     const struct weft_builder *builder)
{
	const char *name = builder && builder->name && builder->name[0] ? builder->name : NULL;
	size_t page = weft_start.page_size, size, len, guard;
	struct weft_tcb *tcb = weft_tcb();
	struct weft_green_runtime *rt = tcb->green;
	bool new_runtime = false;
	struct weft_green *g;
	char *map;
	long ret;

	if (!handle)
		return -EINVAL;
	handle->green = NULL;
	if (!fn)
		return -EINVAL;
	size = builder && builder->stack_size ? builder->stack_size : WEFT_GREEN_STACK_DEFAULT;
	if (__builtin_add_overflow(size, page - 1, &size))
		return -EINVAL;
	size &= ~(page - 1);
	if (size < WEFT_GREEN_STACK_MIN)
		size = WEFT_GREEN_STACK_MIN;
	if (weft_guard_size(builder, &guard))
		return -EINVAL;
	if (__builtin_add_overflow(size, guard, &len) || len >= WEFT_ARCH_USER_ADDR_LIMIT)
		return -ENOMEM;

	if (!rt) {
		rt = runtime_create(tcb);
		if (!rt)
			return -ENOMEM;
		new_runtime = true;
	}
	g = weft_stable_get(WEFT_POOL_GREEN, sizeof(*g));
	if (!g)
		goto fail_runtime;
	memset((char *)g + sizeof(g->hdr), 0, sizeof(*g) - sizeof(g->hdr));
	g->ctx.thread = weft_thread_alloc(name);
	if (!g->ctx.thread)
		goto fail_green;
	map = stack_take(rt, len, guard);
	if (!map) {
		ret = stack_map(len, guard, name);
		if (ret < 0) {
			weft_thread_put(g->ctx.thread);
			green_put(g);
			if (new_runtime)
				runtime_free(tcb, rt);
			return (int)ret;
		}
		map = (char *)ret;
	}

	g->ctx.thread->green = g;
	g->ctx.green = g;
	g->ctx.guard_lo = (uintptr_t)map;
	g->ctx.guard_hi = (uintptr_t)map + guard;
	/* Its held-lock record at the very top, its first frame below. */
	g->ctx.held = (struct weft_held *)(map + len) - 1;
	weft_held_init(g->ctx.held);
	g->ctx.sp = weft_arch_green_prepare(g->ctx.held, green_body, g, green_exit);
	g->rt = rt;
	g->fn = fn;
	g->arg = arg;
	g->stack_map = map;
	g->stack_len = len;
	g->stack_guard = guard;
	atomic_init(&g->state, GREEN_RUNNING);
	rt->live++;
	ring_insert(rt, g);
	all_insert(rt, g);
	handle->gen = atomic_load_explicit(&g->hdr.gen, memory_order_relaxed);
	handle->green = g;
	return 0;

fail_green:
	green_put(g);
fail_runtime:
	if (new_runtime)
		runtime_free(tcb, rt);
	return -ENOMEM;
}

int weft_green_yield(void)
{
	struct weft_tcb *tcb = weft_tcb();
	struct weft_green *self = tcb->green_current, *next;
	struct weft_green_runtime *rt;

	if (!self)
		return -EPERM;
	rt = self->rt;
	poll_wakeups(rt);	/* they go before us in the line */
	next = self->ring_next;
	if (next == self)
		return 0;
	rt->ring = next;
	/* A tail call: the switch returns 0 straight to our caller when we are resumed. */
	return switch_to(tcb, &self->ctx, &next->ctx);
}

/* Park the caller (any kind of thread) until @g has finished. */
static void wait_finished(struct weft_green *g)
{
	int running = GREEN_RUNNING, state;

	if (atomic_load_explicit(&g->state, memory_order_acquire) != GREEN_RUNNING)
		return;	/* finished or orphaned */
	g->joiner = weft_thread_get(weft_current());
	if (!atomic_compare_exchange_strong_explicit(&g->state, &running, GREEN_JOINER_WAITING,
						     memory_order_acq_rel,
						     memory_order_acquire)) {
		/* It finished (or was orphaned) in between, and did not look at g->joiner. */
		weft_thread_put(g->joiner);
		g->joiner = NULL;
		return;
	}
	/* weft_park() parks a green caller in its runtime and an OS thread in the kernel. */
	while ((state = atomic_load_explicit(&g->state, memory_order_acquire)) != GREEN_FINISHED &&
	       state != GREEN_ORPHANED)
		weft_park();
}

int weft_green_join(struct weft_green_handle *handle, void **result)
{
	struct weft_tcb *tcb = weft_tcb();
	struct weft_green *g;
	int ret;

	/* Itself, even while another copy of its handle is joining it (gen + 1). */
	if (handle && handle->green && handle->green == tcb->green_current &&
	    atomic_load_explicit(&handle->green->hdr.gen, memory_order_relaxed) - handle->gen <= 1)
		return -EDEADLK;
	g = green_of(handle, &ret);
	if (!g)
		return ret;
	ret = 0;
	if (!weft_stable_claim(&g->hdr, handle->gen))
		return -EINVAL;	/* another copy got there first */
	if (tcb->green == g->rt && !tcb->green_current)
		run_loop(tcb, g->rt, g);	/* its owner: run the runtime ourselves */
	else
		wait_finished(g);
	handle->green = NULL;
	if (atomic_load_explicit(&g->state, memory_order_acquire) == GREEN_ORPHANED) {
		/* Its OS thread is gone: nothing will ever run on its stack again. */
		sys_why("green thread orphaned by its OS thread: its stack");
		sys_munmap(g->stack_map, g->stack_len);
		weft_thread_put(g->ctx.thread);
		green_put(g);
		return -ESRCH;
	}
	if (g->panic) {
		ret = WEFT_PANICKED;
		if (result)
			*result = g->panic;
		else
			weft_panic_free(g->panic);
	} else if (result) {
		*result = g->result;
	}
	/* The thread's struct weft_thread lives on while others hold references. */
	weft_thread_put(g->ctx.thread);
	green_put(g);
	return ret;
}

int weft_green_is_finished(const struct weft_green_handle *handle)
{
	int err, state;
	struct weft_green *g = green_of(handle, &err);

	if (!g)
		return err;
	state = atomic_load_explicit(&g->state, memory_order_acquire);
	return state == GREEN_ORPHANED ? -ESRCH : state == GREEN_FINISHED;
}

struct weft_thread *weft_green_handle_thread(const struct weft_green_handle *handle)
{
	int err;
	struct weft_green *g = green_of(handle, &err);

	return g ? g->ctx.thread : NULL;
}

struct weft_thread *weft_green_current(void)
{
	struct weft_tcb *tcb = weft_tcb();

	return tcb->green_current ? tcb->current : NULL;
}

int weft_green_run(void)
{
	struct weft_tcb *tcb = weft_tcb();

	if (tcb->green_current)
		return -EDEADLK;
	if (tcb->green)
		run_loop(tcb, tcb->green, NULL);
	return 0;
}

int weft_green_sync(weft_thread_fn fn, void *arg, void **result)
{
	struct weft_green_handle handle;
	int err = weft_green_spawn(&handle, fn, arg, NULL);

	if (err)
		return err;
	return weft_green_join(&handle, result);
}

/* ---- park and unpark (called by lib/park.c) ------------------------------------ */

/*
 * DOC: parking a green thread
 *
 * The same Parker word as a native thread (struct weft_thread's parker),
 * the same three states, but "sleeping" means "off the run ring" instead
 * of FUTEX_WAIT. Whoever moves the word from PARKED to something else owns
 * the wake-up and puts the thread back in its run ring: weft_unpark()
 * (exchange to NOTIFIED), or the runtime's timer for weft_park_timeout()
 * (compare-exchange to EMPTY). Exactly one of them succeeds, so a parked
 * green thread is made runnable exactly once, and while it is PARKED it
 * cannot finish, so the unparker may use it and its runtime.
 *
 * An unparker on the owning OS thread inserts the thread directly. Any other
 * OS thread appends it to the runtime's remote queue under rt->remote_lock
 * and hands the runtime a token on rt->wake, FUTEX_WAKE-ing the owner if it
 * sleeps there because nothing was runnable.
 */

/* After a park returns: take the token the waker left (or find the timer's EMPTY). */
static void consume_token(struct weft_green *self)
{
	atomic_exchange_explicit(&self->ctx.thread->parker, PARKER_EMPTY, memory_order_acquire);
}

void weft_green_park(void)
{
	struct weft_tcb *tcb = weft_tcb();
	struct weft_green *self = tcb->green_current;

	if (atomic_fetch_sub_explicit(&self->ctx.thread->parker, 1, memory_order_acquire) ==
	    PARKER_NOTIFIED)
		return;
	block(tcb, self);
	consume_token(self);
}

void weft_green_park_until(uint64_t deadline)
{
	struct weft_tcb *tcb = weft_tcb();
	struct weft_green *self = tcb->green_current;
	struct weft_green_runtime *rt = self->rt;

	if (deadline >= WEFT_DEADLINE_LIMIT) {	/* "forever", as weft_park_until() reads it */
		weft_green_park();
		return;
	}
	if (atomic_fetch_sub_explicit(&self->ctx.thread->parker, 1, memory_order_acquire) ==
	    PARKER_NOTIFIED)
		return;
	self->deadline = deadline;
	timer_insert(rt, self);
	block(tcb, self);
	if (self->timer_linked)	/* woken by an unpark before the deadline */
		timer_unlink(rt, self);
	consume_token(self);
}

static void remote_push(struct weft_green_runtime *rt, struct weft_green *g)
{
	uint32_t old;

	g->remote_next = NULL;
	weft_lock(&rt->remote_lock);
	if (rt->remote_tail)
		rt->remote_tail->remote_next = g;
	else
		atomic_store_explicit(&rt->remote_head, g, memory_order_relaxed);
	rt->remote_tail = g;
	old = atomic_exchange_explicit(&rt->wake, PARKER_NOTIFIED, memory_order_release);
	weft_unlock(&rt->remote_lock);
	/* From here on rt may be gone (see weft_green_thread_exit()): only its address is used. */
	if (old == PARKER_PARKED)
		weft_futex_wake(&rt->wake, 1, false);
}

void weft_green_unpark(struct weft_thread *t)
{
	struct weft_green *g;

	/* Release: what we wrote before is visible to the thread once its park returns. */
	if (atomic_exchange_explicit(&t->parker, PARKER_NOTIFIED, memory_order_release) !=
	    PARKER_PARKED)
		return;
	/* It was parked: it cannot finish until we queue it, so g and its runtime live. */
	g = t->green;
	if (weft_tcb()->green == g->rt)
		ring_insert(g->rt, g);
	else
		remote_push(g->rt, g);
}

/* For weft_stack_info(): the top of a green thread's stack (it starts there). */
uintptr_t weft_green_stack_top(const struct weft_green *g)
{
	return (uintptr_t)g->stack_map + g->stack_len;
}
