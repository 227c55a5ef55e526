// SPDX-License-Identifier: MIT
/* weft_fork(): a new process from raw clone(SIGCHLD). */
#include "thread.h"

/* lib/key.c, linked only by programs that use OS keys. */
void weft_key_after_fork(void) __attribute__((weak));

long weft_fork(void)
{
	/*
	 * No CLONE_VM: the child gets a copy-on-write copy of the whole address
	 * space, this thread's TLS block and %fs base included, so it keeps
	 * running the same C code. Only the calling thread is copied; locks
	 * other threads held at this instant stay held in the child.
	 */
	sys_why("fork");
	long pid = sys_clone(SIGCHLD, NULL, NULL, NULL, 0);

	if (pid == 0) {
		struct weft_tcb *tcb = weft_tcb();

		tcb->tid = (int)sys_gettid();
		if (tcb->current)
			__atomic_store_n(&tcb->current->tid, tcb->tid, __ATOMIC_RELAXED);
		if (weft_key_after_fork)
			weft_key_after_fork();	/* the other threads' key values are gone */
	}
	return pid;
}
