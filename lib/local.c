// SPDX-License-Identifier: MIT
/* LocalKey destructors: a list in the TCB, run in rounds at thread exit (main's at weft_exit). */
#include "weft/local.h"
#include "weft/panic.h"

#include "lib/internal.h"

/*
 * DOC: the destructor list
 *
 * tcb->dtors is a singly linked LIFO of the struct weft_dtor nodes embedded
 * in each initialised LocalKey slot, so the list lives entirely in this
 * thread's TLS block and TCB: nothing to allocate, nothing to free, nothing
 * another thread may touch (no lock). A key is pushed once, when its first
 * access in this thread finishes its init expression.
 *
 * At exit the list is taken whole ("a round") and run head first, that is
 * in reverse order of registration. A destructor that first-initialises a
 * key pushes it on the now empty tcb->dtors: it runs in the next round,
 * after every key of the current one. Rust's list pops one entry at a time
 * from a Vec, so a key registered by a destructor runs right after it; here
 * the older keys go first, so they may still use the newcomer. Every key
 * moves to RUNNING_OR_HAS_RUN before its destructor runs and can never
 * register again, so the rounds end.
 */

void weft_local_register_dtor(struct weft_dtor *node)
{
	struct weft_tcb *tcb = weft_tcb();

	node->next = tcb->dtors;
	tcb->dtors = node;
}

void weft_local_access_error(const char *name)
{
	weft_panic("cannot access a Thread Local Storage value during or after destruction: "
		   "LocalKey '%s' (AccessError)", name);
}

/**
 * weft_local_run_dtors() - run the calling thread's LocalKey destructors, round after round
 *
 * Called by weft_thread_exit_work() (lib/exit.c) in the exiting thread,
 * first and again after each OS-key round, so a LocalKey first touched
 * by an OS-key destructor is destroyed too. Returns when the list is empty.
 */
void weft_local_run_dtors(void)
{
	struct weft_tcb *tcb = weft_tcb();
	struct weft_dtor *round;

	while ((round = tcb->dtors)) {
		tcb->dtors = NULL;
		while (round) {
			struct weft_dtor *node = round;

			/* Unlink before the call: the node's slot is dead once run() starts. */
			round = node->next;
			node->next = NULL;
			node->run();
		}
	}
}
