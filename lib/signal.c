// SPDX-License-Identifier: MIT
/* rt_sigaction with weft's restorer: the only way weft installs handlers. */
#include <weft/signal.h>

#include "internal.h"

void weft_arch_sigreturn(void);

int weft_signal(int sig, weft_sighandler_t handler, unsigned long flags, weft_sighandler_t *old)
{
	struct kernel_sigaction act = { 0 }, prev;
	long err;

	act.handler = (void (*)(int, siginfo_t *, void *))handler;
	if (handler != WEFT_SIG_DFL && handler != WEFT_SIG_IGN) {
		act.flags = flags | SA_SIGINFO | SA_RESTORER;
		act.restorer = weft_arch_sigreturn;
	}
	sys_why("handler for signal %d", sig);
	err = sys_rt_sigaction(sig, &act, &prev);
	if (!err && old)
		*old = (weft_sighandler_t)prev.handler;
	return (int)err;
}
