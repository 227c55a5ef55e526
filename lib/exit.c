// SPDX-License-Identifier: MIT
/* Thread-exit work: what a thread does after its function returned, before exit(2). */
#define WEFT_SYS_COLD	/* cold code: built for size, system calls out of line (sys.h) */
#include "lib/thread.h"

/*
 * Weak references: a program that never uses a LocalKey, an OS key or a green
 * thread does not link lib/local.o, lib/key.o or lib/green.o at all (an
 * archive member is pulled in only for a strong reference), and these read NULL.
 */
void weft_local_run_dtors(void) __attribute__((weak));
void weft_key_run_dtors(void) __attribute__((weak));
/* lib/green.c: frees the OS thread's green runtime if no green thread is unfinished. */
void weft_green_thread_exit(void) __attribute__((weak));

/*
 * Runs in the exiting thread itself, main included (from weft_exit()). The
 * order is the one Rust and POSIX give: LocalKey destructors (which may set
 * OS-key values), then OS-key destructor rounds. weft_key_run_dtors() runs
 * the LocalKey list again after each of its rounds, so a LocalKey first
 * touched by a key destructor is destroyed too (lib/key.c).
 */
void weft_thread_exit_work(void)
{
	struct weft_tcb *tcb = weft_tcb();

	tcb->exiting = 1;
	if (weft_local_run_dtors)
		weft_local_run_dtors();
	if (weft_key_run_dtors)
		weft_key_run_dtors();
	if (weft_green_thread_exit)
		weft_green_thread_exit();
}
