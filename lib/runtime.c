// SPDX-License-Identifier: MIT
/* What runs around main(): runtime set-up after TLS, and the work done when the process ends. */
#define WEFT_SYS_COLD	/* cold code: built for size, system calls out of line (sys.h) */
#include "lib/thread.h"

void weft_stack_guard_init(void);

/*
 * Called once TLS is live, before constructors and main(): the main thread
 * becomes a weft thread ("main", ThreadId 1) and gets its overflow guard.
 */
void weft_runtime_init(void)
{
	struct weft_tcb *tcb = weft_tcb();

	tcb->tid = (int)sys_gettid();
	weft_main_thread.tid = tcb->tid;
	tcb->current = &weft_main_thread;
	weft_stack_guard_init();
}

/* Called by weft_exit() (and so by returning from main) before exit_group. */
void weft_runtime_exit_work(void)
{
	weft_thread_exit_work();
}
