// SPDX-License-Identifier: MIT
/* rt_sigaction with weft's restorer and a stack-realigning dispatcher. */
#define WEFT_SYS_COLD	/* cold code: built for size, system calls out of line (sys.h) */
#include "weft/signal.h"

#include <linux/errno.h>

#include "lib/internal.h"

void weft_arch_sigreturn(void);

/*
 * The handlers the program asked for, by signal number. The kernel is given
 * dispatch() instead, for one reason: the x86-64 psABI says a function is
 * entered with %rsp = 16n + 8, and Linux enters handlers that way
 * (get_sigframe() in arch/x86/kernel/signal.c), but qemu-user 7.2 enters them
 * with %rsp = 16n (tests/test-signal.c measures it). gcc then uses movaps on
 * stack slots it believes aligned, and a handler faults under qemu only.
 * force_align_arg_pointer makes dispatch() realign before calling on.
 */
static _Atomic weft_sighandler_t handlers[WEFT_NSIG + 1];

__attribute__((force_align_arg_pointer)) static void dispatch(int sig, siginfo_t *info, void *uc)
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
		act.flags = flags | SA_SIGINFO | SA_RESTORER;
		act.restorer = weft_arch_sigreturn;
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
