// SPDX-License-Identifier: MIT
/* Stack-overflow detection: guard ranges, per-thread alternate signal stacks, the handler. */
#define WEFT_SYS_COLD	/* cold code: built for size, system calls out of line (sys.h) */
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/mman.h>
#include <linux/resource.h>

#include "weft/io.h"
#include "weft/signal.h"

#include "lib/hooks.h"
#include "lib/thread.h"

/* How far below the lowest address of the main stack a fault still counts as overflow. */
#define WEFT_MAIN_GUARD_SLACK (1UL << 20)

/*
 * DOC: stack-overflow detection
 *
 * A thread that runs off the bottom of its stack touches its guard page and
 * gets SIGSEGV. The handler cannot run on the stack that just overflowed, so
 * every thread has an alternate signal stack (sigaltstack(2), per thread)
 * and the handler is installed with SA_ONSTACK. If the fault address is in
 * the thread's guard range, the handler reports, after an empty line (as Rust)
 *
 *
 *	thread '<name>' has overflowed its stack
 *	fatal runtime error: stack overflow, aborting
 *
 * and aborts. Any other fault is not ours: the handler restores the default
 * action and returns, the instruction faults again and the kernel kills the
 * process with the original signal. See Documentation/stack-guard.rst.
 */

/*
 * DOC: the size of the altstack
 *
 * A spawned thread's altstack is the top of its read-write mapping, right
 * above its TLS area, with no guard page of its own (a guard would cost a
 * VMA per thread: Documentation/threads.rst). So its overflow must be
 * impossible, and is detected if it comes close:
 *
 * - The kernel's signal frame is at most AT_MINSIGSTKSZ bytes (the auxv
 *   entry the kernel computes from the CPU's xsave size on x86_64 and from
 *   the SVE/SME vector length on arm64; arch/x86/kernel/signal.c,
 *   arch/arm64/kernel/signal.c). qemu-user gives none; then MINSIGSTKSZ from
 *   <asm/signal.h> (2 KiB on x86_64 and riscv64, 5 KiB on arm64, whose frames
 *   exceed 4 KiB) bounds qemu's own smaller frames.
 * - The handler's own use is bounded: -fstack-usage puts its deepest chain
 *   (dispatch, on_fault, weft_abort) under 2 KiB, and HANDLER_ROOM reserves
 *   twice that; on_fault() checks, on entry, that the room is there, and
 *   aborts with a fixed message if not.
 * - Then slack for user handlers installed with SA_ONSTACK, which share it:
 *   16 KiB in all above the kernel's frame, rounded up to pages.
 */
#define HANDLER_ROOM 4096

size_t weft_altstack_size(void)
{
	size_t min = weft_start.minsigstksz;	/* AT_MINSIGSTKSZ; qemu gives none */

	if (min < MINSIGSTKSZ)
		min = MINSIGSTKSZ;
	return ROUND_UP(min + 16384, weft_start.page_size);
}

/*
 * pthread_attr_setguardsize(3)'s rounding: whole pages. 0 asks for the
 * default, which is never "no guard": without one an overflow is not
 * detected at all.
 */
int weft_guard_size(const struct weft_builder *b, size_t *guard)
{
	size_t page = weft_start.page_size, g = b && b->guard_size ? b->guard_size
								   : WEFT_GUARD_DEFAULT;

	if (__builtin_add_overflow(g, page - 1, &g))
		return -EINVAL;
	*guard = g & ~(page - 1);
	return 0;
}

static long altstack_on(struct weft_tcb *tcb)
{
	struct kernel_stack ss = { .sp = tcb->altstack, .flags = 0, .size = tcb->altstack_len };

	if (!tcb->altstack)
		return 0;
	sys_why("alternate signal stack for the overflow handler");
	return sys_sigaltstack(&ss, NULL);
}

int weft_stack_guard_thread_start(struct weft_tcb *tcb)
{
	return (int)altstack_on(tcb);
}

/*
 * Copies @s to @p, stopping at @end; returns where it stopped. The report below
 * is three strings: pasting them spares every program weft_snprintf(), which
 * nothing else in a program that only spawns threads calls.
 */
static char *append(char *p, const char *end, const char *s)
{
	while (*s && p < end)
		*p++ = *s++;
	return p;
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
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0), alt = (uintptr_t)tcb->altstack;

	/* Below the altstack is the TLS area: refuse to run where we could reach it. */
	if (alt && sp >= alt && sp < alt + tcb->altstack_len && sp - alt < HANDLER_ROOM) {
		static const char m[] = "\nfatal runtime error: no room left on the alternate "
					"signal stack, aborting\n";

		weft_write_all(2, m, sizeof(m) - 1);
		weft_abort();
	}

	if (info->si_code > 0 && addr >= tcb->guard_lo && addr < tcb->guard_hi) {
		static const char tail[] = "' has overflowed its stack\n"
					   "fatal runtime error: stack overflow, aborting\n";
		struct weft_thread *t = tcb->current;
		char msg[512], *p = msg;	/* a name longer than ~420 bytes is cut */

		p = append(p, msg + 32, tcb->green_current ? "\ngreen thread '" : "\nthread '");
		p = append(p, msg + sizeof(msg) - sizeof(tail),
			   t && t->name ? t->name : "<unknown>");
		p = append(p, msg + sizeof(msg), tail);
		weft_write_all(2, msg, (size_t)(p - msg));
		weft_abort();
	}
	/* Not a stack overflow: let the default action happen. */
	weft_signal(sig, WEFT_SIG_DFL, 0, NULL);
	if (info->si_code <= 0)	/* sent by kill(2): it will not fault again by itself */
		sys_tgkill((int)sys_getpid(), tcb->tid, sig);
}

static uintptr_t parse_hex(const char **p)
{
	uintptr_t v = 0;

	for (;; (*p)++) {
		char c = **p;

		if (c >= '0' && c <= '9')
			v = v * 16 + (uintptr_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (uintptr_t)(c - 'a' + 10);
		else
			return v;
	}
}

/*
 * Find the line "lo-hi perms ..." of /proc/self/maps that holds @addr.
 * Lines are parsed only once complete; a partial line at the end of the
 * buffer is kept for the next read. Return: 0, or -ENOENT / -errno.
 */
static int find_mapping(uintptr_t addr, uintptr_t *lo, uintptr_t *hi)
{
	static char buf[4096];	/* start-up only, one thread: a static is fine */
	size_t len = 0;
	long fd, n;
	int ret = -ENOENT;

	sys_why("find the main thread's stack mapping");
	fd = sys_openat(AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return (int)fd;
	while (ret && (n = sys_read((int)fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
		const char *line = buf, *nl;

		len += (size_t)n;
		buf[len] = 0;
		while (ret && (nl = weft_strchr(line, '\n'))) {
			const char *p = line;
			uintptr_t a = parse_hex(&p), b;

			p++;	/* the '-' */
			b = parse_hex(&p);
			if (addr >= a && addr < b) {
				*lo = a;
				*hi = b;
				ret = 0;
			}
			line = nl + 1;
		}
		len -= (size_t)(line - buf);
		memmove(buf, line, len);
		if (len == sizeof(buf) - 1)
			break;	/* a line longer than the buffer: not the format we know */
	}
	sys_close((int)fd);
	return ret;
}

/*
 * DOC: the main thread's guard range
 *
 * The main thread's stack is the kernel's: a VMA that grows on demand up to
 * RLIMIT_STACK, with stack_guard_gap (256 pages) kept free below it
 * (expand_downwards() and acct_stack_growth() in mm/). The kernel
 * already guards it, so weft maps no guard page of its own there (Rust
 * #43052: the kernel would then keep its gap below *our* guard). Running
 * off the end faults with SEGV_MAPERR at the first address the kernel
 * refuses to grow to, just below top - RLIMIT_STACK, where "top" is the end
 * of the [stack] VMA.
 *
 * qemu-user instead pre-maps a fixed region (8 MiB, or the host's limit if
 * larger) with one PROT_NONE page below, and never grows it: the fault is
 * SEGV_ACCERR on that page, just below the start of the region.
 *
 * Both land just below lowest = min(start of the region, top - limit); the
 * guard range is the 1 MiB below that (a frame bigger than a page may skip
 * a little). With an unlimited RLIMIT_STACK the kernel grows the stack
 * until memory runs out (no fault to report), but qemu still has its fixed
 * region: lowest is then the start of the region.
 */
static void main_guard_range(struct weft_tcb *tcb)
{
	uintptr_t lo = 0, hi = 0, lowest;
	struct rlimit64 lim;

	if (find_mapping((uintptr_t)weft_start.initial_sp, &lo, &hi))
		return;	/* no /proc: no report, overflows die by plain SIGSEGV */
	tcb->stack_hi = hi;	/* the top of the [stack] mapping, for weft_stack_info() */
	lowest = lo;
	sys_why("RLIMIT_STACK: how far the kernel lets the main stack grow");
	if (sys_prlimit64(0, RLIMIT_STACK, NULL, &lim) == 0 && lim.rlim_cur < hi &&
	    hi - lim.rlim_cur < lowest)
		lowest = hi - lim.rlim_cur;
	lowest &= ~(uintptr_t)(weft_start.page_size - 1);
	tcb->guard_hi = lowest;
	tcb->guard_lo = lowest > WEFT_MAIN_GUARD_SLACK ? lowest - WEFT_MAIN_GUARD_SLACK : 0;
}

static void install_if_default(int sig)
{
	struct kernel_sigaction old;

	/*
	 * This runs before constructors and main(), so the only disposition we
	 * can find is one inherited across execve(2): SIG_IGN (handlers are
	 * reset by exec, "ignore" is kept). Like Rust, leave it alone. A
	 * handler the program installs later simply replaces ours.
	 */
	if (sys_rt_sigaction(sig, NULL, &old) == 0 && old.handler == 0)
		weft_signal(sig, on_fault, SA_ONSTACK, NULL);
}

/**
 * weft_stack_guard_init() - overflow detection for the process and its main thread
 *
 * Called once at start-up, on the main thread, before constructors: the
 * main thread's guard range, its altstack (with a guard page below, as for
 * every other thread), then the SIGSEGV and SIGBUS handlers. A failure
 * leaves the main thread without a report (a plain SIGSEGV); the handlers
 * are still installed for the threads to come.
 */
void weft_stack_guard_init(void)
{
	struct weft_tcb *tcb = weft_tcb();
	size_t page = weft_start.page_size, alt = weft_altstack_size();
	long p;

	main_guard_range(tcb);
	sys_why("main thread altstack + guard page");
	p = sys_mmap(NULL, alt + page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (!sys_is_error(p)) {
		sys_why("main thread altstack above its guard page");
		if (sys_mprotect((char *)p + page, alt, PROT_READ | PROT_WRITE) == 0) {
			tcb->altstack = (char *)p + page;
			tcb->altstack_len = alt;
			altstack_on(tcb);
		} else {
			sys_munmap((void *)p, alt + page);
		}
	}
	install_if_default(SIGSEGV);
	install_if_default(SIGBUS);
}

/* The running stack: a green thread's while one runs (lib/green.c knows its top). */
void weft_stack_info(struct weft_stack_info *info)
{
	struct weft_tcb *tcb = weft_tcb();

	info->stack_lo = (void *)tcb->guard_hi;
	info->stack_hi = (void *)(tcb->green_current ? weft_green_stack_top(tcb->green_current)
						      : tcb->stack_hi);
	info->guard_lo = (void *)tcb->guard_lo;
	info->guard_hi = (void *)tcb->guard_hi;
	info->tp = weft_tcb_tp(tcb);
	info->tls_block = weft_tls_block(tcb);
}
