// SPDX-License-Identifier: MIT
/* rt_sigaction through one dispatcher, with the arch's restorer and handler-entry fix. */
#define WEFT_SYS_COLD	/* cold code: built for size, system calls out of line (sys.h) */
#include "weft/signal.h"

#include <linux/errno.h>

#include "lib/internal.h"
#include "signal_arch.h"

/*
 * The handlers the program asked for, by signal number. The kernel is given
 * dispatch() instead, so that an architecture can fix up the handler entry
 * in one place (WEFT_ARCH_HANDLER_ENTRY, arch/<arch>/signal_arch.h: on
 * x86_64, qemu-user enters handlers with the stack misaligned for the psABI).
 */
static _Atomic weft_sighandler_t handlers[WEFT_NSIG + 1];

WEFT_ARCH_HANDLER_ENTRY static void dispatch(int sig, siginfo_t *info, void *uc)
{
	weft_sighandler_t h = atomic_load_explicit(&handlers[sig], memory_order_relaxed);

	if (h != WEFT_SIG_DFL && h != WEFT_SIG_IGN)
		h(sig, info, uc);
}

int weft_signal(int sig, weft_sighandler_t handler, unsigned long flags, weft_sighandler_t *old)
{
	struct kernel_sigaction act = { 0 }, prev;
	weft_sighandler_t prev_handler;
	long err;

	if (sig < 1 || sig > WEFT_NSIG)
		return -EINVAL;
	act.handler = (void (*)(int, siginfo_t *, void *))handler;
	if (handler != WEFT_SIG_DFL && handler != WEFT_SIG_IGN) {
		act.handler = dispatch;
		act.flags = flags | SA_SIGINFO;
#ifdef WEFT_ARCH_SA_RESTORER
		act.flags |= SA_RESTORER;
		act.restorer = weft_arch_sigreturn;
#endif
	}
	/* Publish before the kernel can call dispatch() for this signal. */
	prev_handler = atomic_exchange(&handlers[sig], handler);
	sys_why("handler for signal %d", sig);
	err = sys_rt_sigaction(sig, &act, &prev);
	if (err) {
		atomic_store(&handlers[sig], prev_handler);
		return (int)err;
	}
	if (old)
		*old = prev.handler == dispatch ? prev_handler : (weft_sighandler_t)prev.handler;
	return 0;
}
