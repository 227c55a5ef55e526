/* SPDX-License-Identifier: MIT */
/* Signal structures as the kernel reads them, which UAPI does not give user space cleanly. */
#ifndef WEFT_KERNEL_ABI_SIGNAL_H
#define WEFT_KERNEL_ABI_SIGNAL_H

/*
 * <asm/signal.h> is written "to cater to libcs": its NSIG is 32 and its
 * struct sigaction layout depends on __KERNEL__ and __i386__. What
 * rt_sigaction(2) really reads is kernel/signal.c's struct sigaction, with
 * _NSIG = 64 signals, so sigsetsize must be 8 (not glibc's 128).
 */
#include <asm/signal.h>
#include <asm/siginfo.h>
#include <linux/signal.h>

typedef unsigned long kernel_sigset_t;

/* The sigsetsize argument of rt_sigaction(2) and rt_sigprocmask(2): _NSIG / 8. */
#define WEFT_SIGSET_SIZE sizeof(kernel_sigset_t)

#ifdef SA_RESTORER
/*
 * x86_64 and aarch64 (the UAPI header defines SA_RESTORER): handler, flags,
 * restorer, mask. x86_64 requires the restorer; aarch64 allows it.
 */
struct kernel_sigaction {
	void (*handler)(int, siginfo_t *, void *);	/* also SIG_DFL (0), SIG_IGN (1) */
	unsigned long flags;				/* SA_* */
	void (*restorer)(void);				/* with SA_RESTORER */
	kernel_sigset_t mask;				/* blocked while the handler runs */
};
#else
/*
 * asm-generic arches without SA_RESTORER (riscv64): the kernel reads three
 * words, handler, flags, mask. qemu-user before 10.0 wrongly gives these
 * arches an sa_restorer slot and reads four: handler, flags, restorer, mask
 * (linux-user/generic/signal.h defined TARGET_SA_RESTORER). Writing the mask
 * into both the third and the fourth word, and never setting SA_RESTORER,
 * gives the same action under both readers: the kernel reads mask from word
 * 3 and ignores word 4; qemu takes word 3 as a restorer it never uses
 * without SA_RESTORER and reads the mask from word 4. An old action comes
 * back as 4 words from qemu, so this struct is 32 bytes, and the kernel's
 * copy fills only the first 24. tests/test-signal.c pins both halves.
 * Use kernel_sigaction_set_mask(), never .mask alone.
 */
struct kernel_sigaction {
	void (*handler)(int, siginfo_t *, void *);	/* also SIG_DFL (0), SIG_IGN (1) */
	unsigned long flags;				/* SA_*; never SA_RESTORER */
	kernel_sigset_t mask;				/* what the kernel reads */
	kernel_sigset_t mask_qemu;			/* what qemu-user < 10.0 reads */
};
#endif

_Static_assert(sizeof(struct kernel_sigaction) == 32, "old actions: a 32-byte buffer");

/* kernel_sigaction_set_mask() - the signals blocked while the handler runs. */
static inline void kernel_sigaction_set_mask(struct kernel_sigaction *act, kernel_sigset_t mask)
{
	act->mask = mask;
#ifndef SA_RESTORER
	act->mask_qemu = mask;
#endif
}

/* stack_t for sigaltstack(2), 24 bytes on 64-bit. */
struct kernel_stack {
	void *sp;
	int flags;
	unsigned long size;
};

#define WEFT_SIGBIT(sig) (1UL << ((sig) - 1))
#define WEFT_NSIG 64

#endif
