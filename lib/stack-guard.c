// SPDX-License-Identifier: MIT
/* Stack-overflow detection: guard ranges, per-thread alternate signal stacks, the handler. */
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/mman.h>
#include <linux/resource.h>

#include <weft/io.h>
#include <weft/signal.h>

#include "thread.h"

/*
 * DOC: stack-overflow detection
 *
 * A thread that runs off the bottom of its stack touches its guard page and
 * gets SIGSEGV. The handler cannot run on the stack that just overflowed, so
 * every thread has an alternate signal stack (sigaltstack(2), per thread)
 * and the handler is installed with SA_ONSTACK. If the fault address is in
 * the thread's guard range, the handler reports
 *
 *	thread '<name>' has overflowed its stack
 *	fatal runtime error: stack overflow, aborting
 *
 * and aborts. Any other fault is not ours: the handler restores the default
 * action and returns, the instruction faults again and the kernel kills the
 * process with the original signal. See Documentation/stack-guard.rst.
 */

size_t weft_altstack_size(void)
{
	size_t min = weft_start.minsigstksz;	/* AT_MINSIGSTKSZ; qemu gives none */

	if (min < MINSIGSTKSZ)
		min = MINSIGSTKSZ;
	/* The kernel's frame, plus our handler's formatting (about 1 KiB) and slack. */
	return ROUND_UP(min + 16384, weft_start.page_size);
}

static void altstack_on(struct weft_tcb *tcb)
{
	struct kernel_stack ss = { .sp = tcb->altstack, .flags = 0, .size = tcb->altstack_len };

	if (!tcb->altstack)
		return;
	sys_why("alternate signal stack for the overflow handler");
	sys_sigaltstack(&ss, NULL);
}

void weft_stack_guard_thread_start(struct weft_tcb *tcb)
{
	altstack_on(tcb);
}

void weft_stack_guard_thread_exit(struct weft_tcb *tcb)
{
	struct kernel_stack ss = { .sp = NULL, .flags = SS_DISABLE, .size = 0 };

	/* Disable before the memory goes back to the stack cache or is unmapped. */
	if (!tcb->altstack)
		return;
	sys_why("thread exit: the altstack is about to be freed");
	sys_sigaltstack(&ss, NULL);
}

static void write_str(const char *s)
{
	weft_write_all(2, s, weft_strlen(s));
}

/*
 * Async-signal-safe: no lock, no allocation; formats into this (alternate)
 * stack. It is entered through weft_signal()'s dispatcher, which realigns
 * the stack (qemu-user enters handlers misaligned: see lib/signal.c).
 */
static void on_fault(int sig, void *info_, void *uc)
{
	siginfo_t *info = info_;
	struct weft_tcb *tcb = weft_tcb();
	uintptr_t addr = (uintptr_t)info->si_addr;

	if (info->si_code > 0 && addr >= tcb->guard_lo && addr < tcb->guard_hi) {
		struct weft_thread *t = tcb->current;
		char msg[256];

		weft_snprintf(msg, sizeof(msg),
			      "\n%sthread '%s' has overflowed its stack\n"
			      "fatal runtime error: stack overflow, aborting\n",
			      tcb->green_current ? "green " : "",
			      t && t->name ? t->name : "<unnamed>");
		write_str(msg);
		weft_abort();
	}
	/* Not a stack overflow: let the default action happen. */
	weft_signal(sig, WEFT_SIG_DFL, 0, NULL);
	if (info->si_code <= 0)	/* sent by kill(2): it will not fault again by itself */
		sys_tgkill((int)sys_getpid(), tcb->tid, sig);
}

/*
 * The main thread's stack is the kernel's: it grows on demand up to
 * RLIMIT_STACK and the kernel keeps a gap below it (stack_guard_gap, 256
 * pages), so we map no guard of our own (Rust #43052). Its lowest possible
 * address is the top of the [stack] mapping minus the limit. Under qemu-user
 * the stack is a fixed region with one PROT_NONE page below, and the
 * [stack] line starts at its lowest address. Faults from running off either
 * land below min(lowest, start of [stack]); we claim the 1 MiB below that.
 */
static void main_guard_range(struct weft_tcb *tcb)
{
	static char buf[8192];
	uintptr_t sp = (uintptr_t)weft_start.initial_sp, lo = 0, hi = 0, lowest;
	struct rlimit64 lim;
	long fd, n, len = 0;

	if (sys_prlimit64(0, RLIMIT_STACK, NULL, &lim) || lim.rlim_cur == ~0ULL)
		return;	/* unlimited: no way to tell an overflow from a wild pointer */
	sys_why("find the main thread's stack mapping");
	fd = sys_openat(AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return;
	/* Keep reading until the line holding the initial sp is in the buffer. */
	for (;;) {
		n = sys_read((int)fd, buf + len, sizeof(buf) - 1 - (size_t)len);
		if (n <= 0)
			break;
		len += n;
		buf[len] = 0;
		char *line = buf, *nl;

		while ((nl = weft_strchr(line, '\n'))) {
			uintptr_t a = 0, b = 0;
			char *p = line;

			for (; *p != '-'; p++)
				a = a * 16 + (uintptr_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
			for (p++; *p != ' '; p++)
				b = b * 16 + (uintptr_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
			if (sp >= a && sp < b) {
				lo = a;
				hi = b;
			}
			line = nl + 1;
		}
		if (hi)
			break;
		/* Drop the complete lines, keep a partial one. */
		len -= line - buf;
		memmove(buf, line, (size_t)len);
	}
	sys_close((int)fd);
	if (!hi)
		return;
	lowest = hi - lim.rlim_cur > hi ? 0 : hi - lim.rlim_cur;
	if (lo < lowest)
		lowest = lo;
	tcb->guard_hi = lowest;
	tcb->guard_lo = lowest > (1UL << 20) ? lowest - (1UL << 20) : 0;
}

static void install_if_default(int sig)
{
	struct kernel_sigaction old;

	/* The program's own handler (installed before us, e.g. by a constructor) wins. */
	if (sys_rt_sigaction(sig, NULL, &old) == 0 && old.handler == 0)
		weft_signal(sig, on_fault, SA_ONSTACK, NULL);
}

/* Called at start-up from the main thread. */
void weft_stack_guard_init(void)
{
	struct weft_tcb *tcb = weft_tcb();
	size_t page = weft_start.page_size, alt = weft_altstack_size();
	long p;

	main_guard_range(tcb);
	sys_why("main thread altstack + guard page");
	p = sys_mmap(NULL, alt + page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (p < 0 && p > -4096)
		return;	/* no altstack: overflows in main die by plain SIGSEGV */
	sys_why("main thread altstack above its guard page");
	if (sys_mprotect((char *)p + page, alt, PROT_READ | PROT_WRITE)) {
		sys_munmap((void *)p, alt + page);
		return;
	}
	tcb->altstack = (char *)p + page;
	tcb->altstack_len = alt;
	altstack_on(tcb);
	install_if_default(SIGSEGV);
	install_if_default(SIGBUS);
}
