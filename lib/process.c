// SPDX-License-Identifier: MIT
/* Ending the process: weft_exit(), weft_abort(), fatal errors and the stack protector's report. */
#define WEFT_SYS_COLD	/* cold code: built for size, system calls out of line (sys.h) */
#include <stdarg.h>

#include "weft/io.h"

#include "lib/internal.h"

void weft_exit(int status)
{
	weft_runtime_exit_work();
	sys_exit_group(status);
}

void weft_abort(void)
{
	struct kernel_sigaction dfl = { .handler = 0 /* SIG_DFL */ };
	kernel_sigset_t abrt = WEFT_SIGBIT(SIGABRT);

	/*
	 * A handler the program installed, or a blocked SIGABRT, must not stop
	 * the abort: reset, unblock, then send it to this very thread so that
	 * it is delivered before tgkill returns.
	 */
	sys_rt_sigaction(SIGABRT, &dfl, NULL);
	sys_rt_sigprocmask(SIG_UNBLOCK, &abrt, NULL);
	sys_tgkill((int)sys_getpid(), (int)sys_gettid(), SIGABRT);
	sys_exit_group(127);
}

void weft_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	weft_vdprintf(2, fmt, ap);
	va_end(ap);
	weft_abort();
}

/*
 * Called by code built with -fstack-protector when the canary (per thread
 * in the TCB on x86_64, __stack_chk_guard elsewhere: arch/<arch>/tp_arch.h)
 * no longer matches the copy on a function's stack. The stack is not to be
 * trusted any more: report with a fixed string and abort.
 */
__attribute__((noreturn, used)) void __stack_chk_fail(void)
{
	static const char msg[] = "*** stack smashing detected ***: terminated\n";

	weft_write_all(2, msg, sizeof(msg) - 1);
	weft_abort();
}
