// SPDX-License-Identifier: MIT
/* Tour chapter 2: two named threads, where their stacks and TLS live, park/unpark, join, detach. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/errno.h>

#include "tour.h"

/* Every thread has its own copy, at the same offset from its own thread pointer. */
static __thread int visits;

/* What a thread saw of itself; main prints it, so that lines never interleave. */
struct report {
	weft_thread_id_t id;
	const char *name;
	int tid;
	char *stack_local;	/* the address of a local variable: on this thread's stack */
	char *tls_local;	/* &visits in this thread */
	struct weft_stack_info where;	/* its stack, guard page and TLS block */
	int visits;		/* 1 in every thread: each incremented its own copy */
	atomic_bool released;	/* set by main before it unparks the thread */
};

static struct weft_thread *main_thread;
static _Atomic int reported;

static void *weave(void *arg)
{
	struct report *r = arg;
	struct weft_thread *self = weft_current();
	char local = 0, *message = weft_malloc(64);

	visits++;
	r->id = weft_thread_id(self);
	r->name = weft_thread_name(self);
	r->tid = weft_thread_tid(self);
	r->stack_local = &local;
	r->tls_local = (char *)&visits;
	r->visits = visits;
	weft_stack_info(&r->where);
	atomic_fetch_add_explicit(&reported, 1, memory_order_release);
	weft_unpark(main_thread);
	/* main may unpark us before we sleep or after: the token covers both. */
	while (!atomic_load_explicit(&r->released, memory_order_acquire))
		weft_park();
	if (message)
		weft_snprintf(message, 64, "'%s' was here", r->name);
	return message;		/* the joiner owns it now, like a JoinHandle<String> */
}

/* The detached thread and main take turns: it starts, main detaches it, it says so. */
struct detach_demo {
	_Atomic int started, detached, done;
};

static void *on_its_own(void *arg)
{
	struct detach_demo *d = arg;

	atomic_store(&d->started, 1);
	weft_unpark(main_thread);
	while (!atomic_load(&d->detached))
		weft_park();
	tour_say("detach: thread %llu runs on with no handle; when it exits it unmaps its own\n"
		 "  stack using registers only (weft_arch_unmap_and_exit)\n",
		 (unsigned long long)weft_thread_id(weft_current()));
	atomic_store(&d->done, 1);
	weft_unpark(main_thread);
	return NULL;
}

static void show(const struct report *r)
{
	const struct weft_stack_info *w = &r->where;

	tour_say("  ThreadId %llu '%s', kernel tid %d, comm '%.15s'\n"
		 "    guard %p-%p  stack %p-%p (%lu KiB)\n"
		 "    a local at %p, %ld bytes below the stack top\n"
		 "    TLS block %p, &visits %p (= %d), tp %p\n",
		 (unsigned long long)r->id, r->name, r->tid, r->name, w->guard_lo, w->guard_hi,
		 w->stack_lo, w->stack_hi,
		 (unsigned long)((char *)w->stack_hi - (char *)w->stack_lo) / 1024,
		 r->stack_local, (long)((char *)w->stack_hi - r->stack_local), w->tls_block,
		 r->tls_local, r->visits, w->tp);
}

void tour_threads(void)
{
	static struct report reports[2];
	const struct weft_builder builders[2] = {
		{ .name = "shuttle" },				/* 2 MiB stack, the default */
		{ .name = "heddle-and-reed-frame", .stack_size = 64 * 1024 },
	};
	struct weft_join_handle handles[2], detached;
	char local = 0;

	tour_heading("2. Threads");
	main_thread = weft_current();
	visits++;
	for (int i = 0; i < 2; i++) {
		int err = weft_builder_spawn(&builders[i], &handles[i], weave, &reports[i]);

		if (err) {
			tour_failed("weft_builder_spawn()", err);
			/* Let the one already running go, and wait for it. */
			while (i-- > 0) {
				atomic_store_explicit(&reports[i].released, true,
						      memory_order_release);
				weft_unpark(weft_join_handle_thread(&handles[i]));
				weft_join(&handles[i], NULL);
			}
			return;
		}
	}
	if (!tour_wait_for(&reported, 2, handles, 2)) {
		/* One ended without reporting: let the other go, and say what happened. */
		for (int i = 0; i < 2; i++) {
			void *result = NULL;

			atomic_store_explicit(&reports[i].released, true, memory_order_release);
			weft_unpark(weft_join_handle_thread(&handles[i]));
			if (tour_joined(weft_join(&handles[i], &result), &result))
				weft_free(result);
		}
		return;
	}

	if (weft_thread_tid(main_thread) < 0)	/* gettid() failed at start-up */
		tour_failed("gettid()", weft_thread_tid(main_thread));
	tour_say("main: ThreadId %llu '%s', kernel tid %d (= the process id)\n"
		 "    stack %p  &visits %p (= %d)  (its TLS is a separate mapping)\n",
		 (unsigned long long)weft_thread_id(main_thread), weft_thread_name(main_thread),
		 weft_thread_tid(main_thread), (void *)&local, (void *)&visits, visits);
	for (int i = 0; i < 2; i++)
		show(&reports[i]);
	tour_say("A spawned thread is one mapping, two VMAs: [guard|stack|TLS+TCB|altstack].\n"
		 "The stack grows down from just below its TLS area, towards the PROT_NONE\n"
		 "guard that stops an overflow; the overflow handler runs on the altstack at\n"
		 "the top (tp sits between the TLS block and the TCB: TLS below tp on x86_64,\n"
		 "above it on aarch64 and riscv64). Its join state (result, who frees) and the\n"
		 "word the kernel clears at\n"
		 "exit live outside: a copy of its handle may still look at them later.\n"
		 "The kernel keeps 15 bytes of a name in /proc/self/task/TID/comm\n"
		 "(WEFT_TRACE=1 shows the prctl that sets it).\n");

	/* The token: an unpark made before the park is kept, and the park returns at once. */
	weft_unpark(main_thread);
	weft_park();
	tour_say("park: unpark(main) then park(): returned at once, the token was waiting\n");

	for (int i = 0; i < 2; i++) {
		atomic_store_explicit(&reports[i].released, true, memory_order_release);
		weft_unpark(weft_join_handle_thread(&handles[i]));
	}
	for (int i = 0; i < 2; i++) {
		void *message = NULL;
		int err = weft_join(&handles[i], &message);

		if (!tour_joined(err, &message))
			continue;
		if (!message)
			tour_failed("weft_malloc() of the thread's result", -ENOMEM);
		else
			tour_say("join: %d, result \"%s\"\n", err, (char *)message);
		weft_free(message);
	}

	static struct detach_demo d;
	int err = weft_spawn(&detached, on_its_own, &d);
	struct weft_thread *t;
	void *result = NULL;

	if (err) {
		tour_failed("weft_spawn() of a thread to detach", err);
		return;
	}
	/* Detached, a thread that ended early could not tell anyone: see it start first. */
	if (!tour_wait_for(&d.started, 1, &detached, 1)) {
		tour_joined(weft_join(&detached, &result), &result);
		return;
	}
	t = weft_thread_get(weft_join_handle_thread(&detached));
	weft_detach(&detached);
	atomic_store(&d.detached, 1);
	weft_unpark(t);
	weft_thread_put(t);
	while (!atomic_load(&d.done))
		weft_park();
}
