// SPDX-License-Identifier: MIT
/* weft_fork(): a new process from raw clone(SIGCHLD). */
#define WEFT_SYS_COLD	/* cold code: built for size, system calls out of line (sys.h) */
#include "lib/thread.h"

/* lib/key.c, linked only by programs that use OS keys. */
void weft_key_fork_prepare(void) __attribute__((weak));
void weft_key_fork_parent(void) __attribute__((weak));
void weft_key_after_fork(void) __attribute__((weak));

unsigned long weft_forks;

long weft_fork(void)
{
	/*
	 * No CLONE_VM: the child gets a copy-on-write copy of the whole address
	 * space, this thread's TLS block and thread pointer included, so it keeps
	 * running the same C code. Only the calling thread is copied; a lock
	 * another thread held at this instant would stay held in the child
	 * forever. So, as glibc does for malloc (its atfork handlers), we hold
	 * weft's own global locks across the fork: nobody is inside the key
	 * tables, the allocator or the stack cache when the copy is made, and
	 * the child may allocate and spawn threads. Order: key_lock first,
	 * since key.c allocates while holding it.
	 */
	if (weft_key_fork_prepare)
		weft_key_fork_prepare();
	weft_alloc_fork_prepare();
	weft_thread_fork_prepare();
	sys_why("fork");
	long pid = sys_clone(SIGCHLD, NULL, NULL, NULL, 0);

	weft_thread_fork_done();
	weft_alloc_fork_done();
	if (pid == 0) {
		struct weft_tcb *tcb = weft_tcb();

		weft_forks++;	/* the parent's threads are not ours: lib/thread.c */
		tcb->tid = (int)sys_gettid();
		if (tcb->current)
			__atomic_store_n(&tcb->current->tid, tcb->tid, __ATOMIC_RELAXED);
		if (weft_key_after_fork)
			weft_key_after_fork();	/* the other threads' key values are gone */
	} else if (weft_key_fork_parent) {
		weft_key_fork_parent();
	}
	return pid;
}
