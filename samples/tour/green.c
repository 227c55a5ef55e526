// SPDX-License-Identifier: MIT
/* Tour chapter 5: green threads: a yield ping-pong, their stacks, a panic, park/unpark. */
#include <stdatomic.h>
#include <stdint.h>

#include <linux/errno.h>

#include "tour.h"

/* What the green threads did, printed by main afterwards so that lines never interleave. */
static char trace[256];
static int trace_len;

static void note(const char *s)
{
	trace_len += weft_snprintf(trace + trace_len, sizeof(trace) - (size_t)trace_len, "%s ", s);
}

struct shuttle {
	const char *moves[3];
	char *stack_local;	/* the address of a local: on this green thread's own stack */
};

static void *pass(void *arg)
{
	struct shuttle *s = arg;
	char local;

	s->stack_local = &local;
	for (int i = 0; i < 3; i++) {
		note(s->moves[i]);
		weft_green_yield();	/* to the back of the line: the other one runs */
	}
	return (void *)weft_thread_name(weft_current());
}

static void *snap(void *arg)
{
	weft_green_yield();
	weft_panic("the thread snapped after %d passes", 1);
}

struct handoff {
	struct weft_thread *green;	/* a reference, for the native thread */
	atomic_int released;
};

/* Parks until a native thread unparks it: the runtime sleeps on a futex meanwhile. */
static void *wait_for_native(void *arg)
{
	struct handoff *h = arg;

	while (!atomic_load_explicit(&h->released, memory_order_acquire))
		weft_park();
	return (void *)"unparked by a native thread";
}

static void *release_green(void *arg)
{
	struct handoff *h = arg;

	atomic_store_explicit(&h->released, 1, memory_order_release);
	weft_unpark(h->green);	/* from another OS thread: the runtime's remote queue */
	weft_thread_put(h->green);
	return NULL;
}

void tour_green(void)
{
	struct shuttle warp = { .moves = { "warp:over", "warp:under", "warp:over" } };
	struct shuttle weft = { .moves = { "weft:under", "weft:over", "weft:under" } };
	struct weft_builder wb = { .name = "warp" }, fb = { .name = "weft" };
	struct weft_green_handle a, b, c;
	void *ra = NULL, *rb = NULL, *payload = NULL;
	struct handoff handoff = { .released = 0 };
	struct weft_join_handle native;
	long apart;
	char local;
	int err;

	tour_heading("5. Green threads");
	if ((err = weft_green_spawn(&a, pass, &warp, &wb))) {
		tour_failed("weft_green_spawn()", err);
		return;
	}
	if ((err = weft_green_spawn(&b, pass, &weft, &fb))) {
		tour_failed("weft_green_spawn()", err);
		weft_green_join(&a, NULL);	/* runs 'warp' to its end */
		return;
	}
	tour_say("Two green threads spawned on this OS thread; nothing runs until it enters\n"
		 "a scheduler loop. weft_green_run() runs them round-robin; each yield is a\n"
		 "switch of the callee-saved registers and the stack pointer, with no system\n"
		 "call (arch/<arch>/green.S):\n");
	weft_green_run();
	tour_say("  %s\n", trace);
	if ((err = weft_green_join(&a, &ra)) || (err = weft_green_join(&b, &rb))) {
		tour_failed("weft_green_join()", err);
		return;
	}
	apart = warp.stack_local - weft.stack_local;
	tour_say("join: '%s' and '%s' returned their names. Each ran on a stack of its own:\n"
		 "  main %p, warp %p, weft %p\n"
		 "  warp and weft are %ld KiB apart: a 64 KiB stack and its PROT_NONE guard page\n",
		 (char *)ra, (char *)rb, (void *)&local, (void *)warp.stack_local,
		 (void *)weft.stack_local, (long)(apart < 0 ? -apart : apart) / 1024);

	tour_say("A panic stops at the green thread's own boundary and goes to its joiner:\n");
	if ((err = weft_green_spawn(&c, snap, NULL, &(struct weft_builder){ .name = "snap" }))) {
		tour_failed("weft_green_spawn()", err);
		return;
	}
	err = weft_green_join(&c, &payload);
	if (err != WEFT_PANICKED) {
		if (err)
			tour_failed("weft_green_join()", err);
		else
			tour_wrong("the green thread returned instead of panicking");
		return;
	}
	if (weft_strcmp(weft_panic_message(payload), "the thread snapped after 1 passes")) {
		tour_wrong("the panic's message is \"%s\"", weft_panic_message(payload));
		weft_panic_free(payload);
		return;
	}
	tour_say("join: WEFT_PANICKED, \"%s\"\n", weft_panic_message(payload));
	weft_panic_free(payload);

	/* The green thread parks; the runtime has nothing to run and sleeps in FUTEX_WAIT. */
	if ((err = weft_green_spawn(&c, wait_for_native, &handoff, NULL))) {
		tour_failed("weft_green_spawn()", err);
		return;
	}
	handoff.green = weft_thread_get(weft_green_handle_thread(&c));
	if ((err = weft_spawn(&native, release_green, &handoff))) {
		tour_failed("weft_spawn()", err);
		/* Nobody else will: release it from here, then let it finish. */
		release_green(&handoff);
		weft_green_join(&c, NULL);
		return;
	}
	/*
	 * The native thread first: if it could not run (weft panics a thread
	 * whose overflow detection fails), the green one would wait for ever.
	 */
	void *native_result = NULL;

	if (!tour_joined(weft_join(&native, &native_result), &native_result)) {
		release_green(&handoff);
		weft_green_join(&c, NULL);
		return;
	}
	if ((err = weft_green_join(&c, &payload))) {
		tour_failed("weft_green_join()", err);
		return;
	}
	tour_say("park/unpark across kinds: the green thread was %s\n", (char *)payload);
	tour_say("Green threads share their OS thread's TLS and block it in any system call;\n"
		 "Documentation/green-threads.rst has the switch frame and the trade-offs.\n");
}
