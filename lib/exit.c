// SPDX-License-Identifier: MIT
/* The end of a thread and of the process: the one place that states the order. */
#define WEFT_SYS_COLD	/* cold code: built for size, system calls out of line (sys.h) */
#include "lib/hooks.h"
#include "lib/internal.h"

/*
 * DOC: the end of a thread
 *
 * A native thread, after its function returned or panicked (thread_main()
 * in lib/thread.c), and main, from weft_exit() (or returning from main()),
 * end the same way. weft_thread_exit_work() below is steps 1 to 3; the
 * caller does the rest:
 *
 *   1. tcb->exiting = 1: a panic from here on is fatal (below).
 *   2. Destructors, in the order Rust and POSIX give: the LocalKey
 *      destructors; then rounds of OS-key destructors (at most
 *      WEFT_DESTRUCTOR_ITERATIONS, weft_key_exit_round() counts), each
 *      followed by the LocalKey destructors it made necessary (a key
 *      destructor may touch a LocalKey for the first time, and the other way
 *      round); then the thread's key array is unlinked, and a later
 *      weft_key_set() fails with -EBUSY.
 *   3. Green threads: the OS thread's green runtime is freed if none of its
 *      green threads is unfinished. Then, in a spawned thread, the
 *      weft/sync.h locks it still holds are released and poisoned.
 *   --- back in the caller (lib/thread.c, lib/process.c) ---
 *   4. The overflow guard's alternate signal stack is switched off, a scoped
 *      thread tells its scope, and the current-thread record goes last: the
 *      join state is published and the struct weft_thread reference dropped
 *      (or, for main, the weft_atexit() functions run and exit_group ends
 *      the process: lib/process.c).
 *
 * Every step above lib/ core plugs in through lib/hooks.h: a weak reference,
 * NULL when its subsystem is not linked. A new step is one declaration
 * there and one line here, at its place.
 *
 * The circle the semantics force: a destructor may panic, and a panic
 * ends the thread, which runs the destructors:
 *
 *      weft_thread_exit_work() --> a destructor --> weft_panic()
 *              ^                                         |
 *              |                                         v
 *      weft_exit() <-- no catch boundary: unwind() ------+
 *
 * It is cut in unwind() (lib/panic.c): with tcb->exiting set, a panic that
 * reaches no boundary is "fatal runtime error: thread-local destructor
 * panicked, aborting", as in Rust, and never runs step 2 again. A panic
 * caught inside a destructor (weft_catch_panic()) stays there.
 */

static void run_destructors(void)
{
	if (weft_local_run_dtors)
		weft_local_run_dtors();
	for (int round = 0; weft_key_exit_round && weft_key_exit_round(round); round++)
		if (weft_local_run_dtors)
			weft_local_run_dtors();
	if (weft_key_thread_exit)
		weft_key_thread_exit();
}

void weft_thread_exit_work(void)
{
	weft_tcb()->exiting = 1;
	run_destructors();
	if (weft_green_thread_exit)
		weft_green_thread_exit();
	/* Last: a destructor may still release a lock. Not in main: the process ends. */
	if (weft_held_thread_exit && weft_tcb()->native)
		weft_held_thread_exit();
}
