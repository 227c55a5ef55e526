/* SPDX-License-Identifier: MIT */
/* The registration interface: the one way code in a lower layer runs code of a higher one. */
#ifndef WEFT_LIB_HOOKS_H
#define WEFT_LIB_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

struct weft_thread;
struct weft_green;
struct weft_held;

/*
 * DOC: the registration interface
 *
 * Layers call down, never up (Documentation/layers.rst). A few sequences
 * owned low down must still run steps of higher layers: the end of a thread
 * runs the LocalKey and key destructors and tears down green threads; a fork
 * holds every subsystem's lock; the parker of a green thread is the green
 * scheduler. Each such step is declared here, and only here, as a weak
 * reference (WEFT_HOOK): the owner calls it if it is linked, and a program
 * that never uses keys or green threads does not link lib/key.o or
 * lib/green.o at all (an archive member is pulled in only by a strong
 * reference), so the step reads NULL and is skipped. tests/check-layers.sh
 * allows a call up a layer only to a name declared here with WEFT_HOOK.
 *
 * The order of each sequence is written once, in its owner: lib/exit.c for
 * the end of a thread, lib/fork.c for a fork. To add a step: declare it
 * below under its owner, call it at its place in the owner's sequence
 * (`if (step) step();`), and give it a row in Documentation/layers.rst.
 *
 * Calls and definitions: a definition that sees a weak declaration is itself
 * weak, so a file that defines steps must see its own steps plain. A file
 * that only defines steps does not include this header. lib/green.c both
 * defines steps and calls lib/held.c's, so its steps are declared with
 * WEFT_GREEN_STEP, weak everywhere but in green.c, which defines
 * WEFT_HOOKS_GREEN_C before it includes this header: one list of
 * prototypes, which green.c's definitions are checked against.
 */
#define WEFT_HOOK __attribute__((weak))

#ifdef WEFT_HOOKS_GREEN_C
#define WEFT_GREEN_STEP			/* in lib/green.c: its definitions stay strong */
#else
#define WEFT_GREEN_STEP WEFT_HOOK
#endif

/*
 * Start-up (lib/start.c, run_main()): the thread layer's one step, made
 * before constructors and main(). Not weak: every program has a main thread,
 * which becomes a weft thread ("main", ThreadId 1) with its overflow guard.
 */
void weft_runtime_init(void);

/*
 * Start-up (lib/start.c, weft_start_c()), before TLS exists: the tracer
 * (lib/trace.c) fills weft_tracer (lib/trace.h) and reads WEFT_TRACE and
 * WEFT_FAULT. Weak: the tracer is a link-time option (the DOC block of
 * lib/trace.h); a program linked without it reads NULL here, and start-up
 * says so if either variable asks for it. Its name is the one a link line
 * gives to ask for the tracer: -Wl,-u,weft_trace_start.
 */
WEFT_HOOK void weft_trace_start(void);

/*
 * The end of a thread, main's included (lib/exit.c, weft_thread_exit_work()),
 * in this order:
 */
/* lib/local.c: the LocalKey destructors, round after round until none is left. */
WEFT_HOOK void weft_local_run_dtors(void);
/*
 * lib/key.c: round @round (from 0) of OS-key destructors; false, and no round
 * run, when WEFT_DESTRUCTOR_ITERATIONS have run or (after the first) no value
 * left has a destructor.
 */
WEFT_HOOK bool weft_key_exit_round(int round);
/* lib/key.c: unlink the thread's element array; a later weft_key_set() fails. */
WEFT_HOOK void weft_key_thread_exit(void);
/* lib/green.c: free the OS thread's green runtime if no green thread is unfinished. */
WEFT_GREEN_STEP void weft_green_thread_exit(void);
/*
 * lib/held.c: release the weft/sync.h locks a spawned thread still holds,
 * poisoned, with a message (not in main, whose exit ends the process).
 */
WEFT_HOOK void weft_held_thread_exit(void);
/* lib/held.c: the same for a green thread whose function returned (lib/green.c). */
WEFT_HOOK void weft_held_green_exit(void);
/*
 * lib/held.c: the same for @h, the record of a green thread @t that will never
 * run again because its OS thread ends (lib/green.c, orphan_all()).
 */
WEFT_HOOK void weft_held_orphan(struct weft_held *h, struct weft_thread *t);

/*
 * A panic (lib/panic.c, unwind()), just before it jumps to the innermost
 * boundary: lib/held.c releases the locks taken inside it (the entries above
 * its mark, lib/held.h), poisoning them.
 */
WEFT_HOOK void weft_held_unwind(void);

/*
 * The end of the process (lib/process.c, weft_exit()), before the end of the
 * exiting thread: lib/thread.c destroys the results of finished threads that
 * nobody joined or detached (those spawned with a result destructor).
 */
WEFT_HOOK void weft_thread_drop_unjoined_results(void);

/*
 * A panic or weft_thread_exit() (lib/panic.c), just before it jumps to its
 * catch boundary (NULL: none, the thread or process ends). A call down, not
 * up, but weak all the same, so that a panic does not link lib/key.o.
 */
/* lib/key.c: release the gates and pins of the key walks and destructors cut short. */
WEFT_HOOK void weft_key_unwind(const void *boundary);

/*
 * weft_fork() (lib/fork.c): each subsystem's prepare takes its lock before
 * the clone, in this order; parent and child release it (the child also
 * drops what belonged to the threads that were not copied).
 */
WEFT_HOOK void weft_key_fork_prepare(void);	/* lib/key.c: key_lock */
WEFT_HOOK void weft_key_fork_parent(void);
WEFT_HOOK void weft_key_fork_child(void);
/* lib/process.c: the atexit list's lock. Not weak: weft_exit() is in every program. */
void weft_atexit_fork_prepare(void);
void weft_atexit_fork_parent(void);
void weft_atexit_fork_child(void);
WEFT_HOOK void weft_alloc_fork_prepare(void);	/* lib/alloc.c: the allocator's lock */
WEFT_HOOK void weft_alloc_fork_parent(void);
WEFT_HOOK void weft_alloc_fork_child(void);
WEFT_HOOK void weft_thread_fork_prepare(void);	/* lib/thread.c: the join states' lock */
WEFT_HOOK void weft_thread_fork_parent(void);
WEFT_HOOK void weft_thread_fork_child(void);	/* also: the thread record's new tid */
WEFT_HOOK void weft_stack_cache_fork_prepare(void);	/* lib/stack-cache.c: its lock */
WEFT_HOOK void weft_stack_cache_fork_parent(void);
WEFT_HOOK void weft_stack_cache_fork_child(void);

/*
 * A thread that runs green threads parks, unparks and reports its stack
 * through the green scheduler (lib/green.c), from lib/park.c and
 * lib/thread.c. Called only when tcb->green_current or t->green is set,
 * which only lib/green.c does, so never while they read NULL.
 */
WEFT_GREEN_STEP void weft_green_park(void);
WEFT_GREEN_STEP void weft_green_park_until(uint64_t deadline);
WEFT_GREEN_STEP void weft_green_unpark(struct weft_thread *t);
WEFT_GREEN_STEP uintptr_t weft_green_stack_top(const struct weft_green *g);

/*
 * What a green thread blocked in a weft/sync.h primitive has left where
 * others look (a wait node, a count, a channel note: on its stack or in
 * the primitive), and how to take it back if its OS thread ends first and
 * abandons it (orphan_all() in lib/green.c runs @undo, innermost first, on
 * the ending OS thread). Pushed before blocking, popped after, by the
 * green thread itself: only while tcb->green_current is set.
 */
struct weft_abandon {
	void (*undo)(struct weft_abandon *a);
	struct weft_abandon *next;
};
WEFT_GREEN_STEP void weft_green_abandon_push(struct weft_abandon *a);
WEFT_GREEN_STEP void weft_green_abandon_pop(struct weft_abandon *a);

#endif
