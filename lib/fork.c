// SPDX-License-Identifier: MIT
/* weft_fork(): a new process from raw clone(SIGCHLD), with every subsystem's lock held. */
#define WEFT_SYS_COLD	/* cold code: built for size, system calls out of line (sys.h) */
#include "lib/hooks.h"
#include "lib/internal.h"

/*
 * DOC: what a fork holds
 *
 * No CLONE_VM: the child gets a copy-on-write copy of the whole address
 * space, this thread's TLS block and thread pointer included, so it keeps running
 * the same C code. Only the calling thread is copied; a lock another thread
 * held at this instant would stay held in the child forever. So, as glibc
 * does for malloc (its atfork handlers), weft holds its own global locks
 * across the fork: nobody is inside the key tables, the atexit list, the
 * allocator, the join states or the stack cache when the copy is made, and
 * the child may allocate, spawn threads and register atexit functions.
 *
 * Each subsystem plugs in with three hooks of one naming scheme,
 * weft_<subsystem>_fork_{prepare,parent,child} (lib/hooks.h). The prepare
 * hooks run in the order of the table below, which is the lock order:
 * key_lock and the atexit lock before the allocator's, since lib/key.c and
 * weft_atexit() allocate while holding theirs. Parent and
 * child hooks run in the reverse order. A subsystem that is not linked has
 * no lock: its weak references read NULL.
 */
struct fork_hooks {
	void (*prepare)(void);
	void (*parent)(void);
	void (*child)(void);
};

static const struct fork_hooks hooks[] = {
	{ weft_key_fork_prepare, weft_key_fork_parent, weft_key_fork_child },
	{ weft_atexit_fork_prepare, weft_atexit_fork_parent, weft_atexit_fork_child },
	{ weft_alloc_fork_prepare, weft_alloc_fork_parent, weft_alloc_fork_child },
	{ weft_thread_fork_prepare, weft_thread_fork_parent, weft_thread_fork_child },
	{ weft_stack_cache_fork_prepare, weft_stack_cache_fork_parent,
	  weft_stack_cache_fork_child },
};

long weft_fork(void)
{
	long pid;

	for (size_t i = 0; i < ARRAY_SIZE(hooks); i++)
		if (hooks[i].prepare)
			hooks[i].prepare();
	sys_why("fork");
	pid = sys_clone(SIGCHLD, NULL, NULL, NULL, 0);
	if (pid == 0)
		weft_tcb()->tid = (int)sys_gettid();
	for (size_t i = ARRAY_SIZE(hooks); i-- > 0;) {
		void (*done)(void) = pid == 0 ? hooks[i].child : hooks[i].parent;

		if (done)
			done();
	}
	return pid;
}
