// SPDX-License-Identifier: MIT
/* What runs around main(): runtime set-up after TLS, and the work done when the process ends. */
#include "internal.h"

/*
 * Called once TLS is live, before constructors and main(). Later parts of
 * weft hook in here, in dependency order.
 */
void weft_runtime_init(void)
{
	struct weft_tcb *tcb = weft_tcb();

	tcb->tid = (int)sys_gettid();
}

/* Called by weft_exit() (and so by returning from main) before exit_group. */
void weft_runtime_exit_work(void)
{
}
