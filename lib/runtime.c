// SPDX-License-Identifier: MIT
/* The main thread becomes a weft thread: run once TLS is live, before constructors and main(). */
#define WEFT_SYS_COLD	/* cold code: built for size, system calls out of line (sys.h) */
#include "lib/thread.h"

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
