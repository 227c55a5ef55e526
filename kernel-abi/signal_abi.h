/* SPDX-License-Identifier: MIT */
/* Signal structures as the kernel reads them, which UAPI does not give user space cleanly. */
#ifndef WEFT_KERNEL_ABI_SIGNAL_H
#define WEFT_KERNEL_ABI_SIGNAL_H

/*
 * <asm/signal.h> is written "to cater to libcs": its NSIG is 32 and its
 * struct sigaction layout depends on __KERNEL__ and __i386__. What
 * rt_sigaction(2) really reads on x86_64 is kernel/signal.c's struct
 * sigaction for a 64-bit task: handler, flags, restorer, then the mask, with
 * _NSIG = 64 signals, so sigsetsize must be 8 (not glibc's 128).
 */
#include <asm/signal.h>
#include <asm/siginfo.h>
#include <linux/signal.h>

typedef unsigned long kernel_sigset_t;

struct kernel_sigaction {
	void (*handler)(int, siginfo_t *, void *);	/* also SIG_DFL (0), SIG_IGN (1) */
	unsigned long flags;				/* SA_* */
	void (*restorer)(void);				/* required on x86_64, see SA_RESTORER */
	kernel_sigset_t mask;				/* blocked while the handler runs */
};

/* stack_t for sigaltstack(2), 24 bytes on 64-bit. */
struct kernel_stack {
	void *sp;
	int flags;
	unsigned long size;
};

#define WEFT_SIGBIT(sig) (1UL << ((sig) - 1))
#define WEFT_NSIG 64

#endif
