// SPDX-License-Identifier: MIT
/* Ending the process: weft_exit(), weft_abort(), fatal errors and the stack protector's report. */
#define WEFT_SYS_COLD	/* cold code: built for size, system calls out of line (sys.h) */
#include <stdarg.h>

#include <linux/errno.h>

#include "weft/io.h"

#include "lib/hooks.h"
#include "lib/internal.h"

/*
 * DOC: the end of the process
 *
 * weft_exit(status), and so a return from main() (lib/start.c calls
 * weft_exit(main(...))) and weft_thread_exit() in main, does, in this order:
 *
 *   1. the results of finished threads nobody joined (a hook into
 *      lib/thread.c, lib/hooks.h), then the calling thread's thread-local
 *      destructors: LocalKeys, then OS keys (weft_thread_exit_work(),
 *      lib/exit.c);
 *   2. the weft_atexit() functions, newest first; one registered while
 *      they run runs too, before the older ones;
 *   3. exit_group(status): the kernel ends every other thread where it
 *      stands, without their destructors.
 *
 * That is glibc's order (exit() calls __call_tls_dtors(), which runs main's
 * thread_local destructors, before the atexit list in __run_exit_handlers())
 * and so Rust's, whose std registers its thread-local destructors through
 * __cxa_thread_atexit_impl and returns from main into libc's exit(). Nothing
 * runs on weft_abort(), on a fatal signal, or on a raw exit_group(2), as
 * with abort(3), _exit(2) and a signal under libc.
 */

struct atexit_block {
	struct atexit_block *older;
	int count;
	void (*fn[ATEXIT_PER_BLOCK])(void);
};

static struct atexit_block atexit_first;
static struct atexit_block *atexit_newest = &atexit_first;
static struct weft_lock atexit_lock = WEFT_LOCK_INIT;

int weft_atexit(void (*fn)(void))
{
	if (!fn)
		return -EINVAL;
	weft_lock(&atexit_lock);
	if (atexit_newest->count == ATEXIT_PER_BLOCK) {
		struct atexit_block *b = weft_malloc(sizeof(*b));

		if (!b) {
			weft_unlock(&atexit_lock);
			return -ENOMEM;
		}
		b->older = atexit_newest;
		b->count = 0;
		atexit_newest = b;
	}
	atexit_newest->fn[atexit_newest->count++] = fn;
	weft_unlock(&atexit_lock);
	return 0;
}

/*
 * weft_fork() holds the lock across the fork (lib/hooks.h), or a fork that
 * lands while another thread registers leaves it held in the child, whose
 * weft_atexit() and weft_exit() would then wait for ever. Before the
 * allocator's lock: weft_atexit() allocates while it holds this one.
 */
void weft_atexit_fork_prepare(void)
{
	weft_lock(&atexit_lock);
}

void weft_atexit_fork_parent(void)
{
	weft_unlock(&atexit_lock);
}

void weft_atexit_fork_child(void)
{
	weft_unlock(&atexit_lock);
}

/* Newest first, one at a time, unlocked while it runs: it may register more. */
static void run_atexit(void)
{
	for (;;) {
		struct atexit_block *empty = NULL;
		void (*fn)(void) = NULL;

		weft_lock(&atexit_lock);
		if (atexit_newest->count)
			fn = atexit_newest->fn[--atexit_newest->count];
		else if (atexit_newest->older)
			empty = atexit_newest, atexit_newest = empty->older;
		weft_unlock(&atexit_lock);
		if (fn)
			fn();
		else if (empty)
			weft_free(empty);
		else
			return;
	}
}

void weft_exit(int status)
{
	if (weft_thread_drop_unjoined_results)
		weft_thread_drop_unjoined_results();
	weft_thread_exit_work();
	run_atexit();
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
