/* SPDX-License-Identifier: MIT */
/* The thread-creating clone(2) on aarch64: the child must not return into its parent's C frame. */
#include <asm/unistd.h>

/*
 * long weft_arch_clone(unsigned long flags, void *stack, int *parent_tid,
 *                      int *child_tid, void *tls, int (*fn)(void *), void *arg)
 *
 * The C arguments arrive in x0-x6. arm64 selects CONFIG_CLONE_BACKWARDS
 * (arch/arm64/Kconfig), so the system call is clone(flags, stack,
 * parent_tid, tls, child_tid): tls 4th, child_tid 5th, the reverse of
 * x86_64. weft's C interface keeps one order on every architecture and the
 * swap happens here (Documentation/porting.rst, "clone").
 *
 * The child starts at the instruction after `svc` with x0 = 0, sp = stack
 * and TPIDR_EL0 = tls (copy_thread() in arch/arm64/kernel/process.c); its
 * other registers are copies of ours, but the parent's stack frame is not
 * its own, so fn and arg travel on the new stack, as on x86_64.
 */
	.text
	.globl	weft_arch_clone
	.type	weft_arch_clone, %function
weft_arch_clone:
	and	x1, x1, #-16		/* the child's sp must be 16-aligned: hardware faults */
	stp	x5, x6, [x1, #-16]!	/* [stack+0] = fn, [stack+8] = arg */
	mov	x9, x3			/* CLONE_BACKWARDS: ... */
	mov	x3, x4			/* ... 4th syscall argument: tls */
	mov	x4, x9			/* ... 5th: child_tid */
	mov	x8, #__NR_clone
	svc	#0
	cbnz	x0, 1f			/* parent: the child's tid, or -errno */

	/* Child: a fresh stack, shared memory, our own TPIDR_EL0. */
	mov	x29, #0			/* outermost frame for unwinders */
	mov	x30, #0
	ldp	x9, x0, [sp], #16	/* fn, and arg as the first C argument */
	blr	x9
	mov	x8, #__NR_exit		/* fn's return value (x0) is the status; this thread only */
	svc	#0
	brk	#0			/* exit does not return */
1:
	ret
	.size	weft_arch_clone, . - weft_arch_clone

/*
 * void weft_arch_unmap_and_exit(void *base, size_t len)
 *
 * The last steps of a detached thread, which frees the very stack it runs
 * on: after munmap nothing may touch memory, so everything lives in
 * registers the kernel does not write (only x0 comes back changed). Signals
 * are blocked first, because a handler would need a frame on the unmapped
 * stack; the clear-tid address is dropped so the kernel writes no zero into
 * memory that may belong to someone else by then (mm_release() in
 * kernel/fork.c).
 */
	.globl	weft_arch_unmap_and_exit
	.type	weft_arch_unmap_and_exit, %function
weft_arch_unmap_and_exit:
	mov	x9, x0			/* base */
	mov	x10, x1			/* len */
	mov	x11, #-1		/* a signal mask with every bit set ... */
	str	x11, [sp, #-16]!	/* ... on the stack while it still exists */
	mov	x0, #0			/* SIG_BLOCK */
	mov	x1, sp			/* &mask */
	mov	x2, #0			/* no old mask */
	mov	x3, #8			/* sizeof the kernel's sigset */
	mov	x8, #__NR_rt_sigprocmask
	svc	#0
	mov	x0, #0			/* NULL: no clear-tid write at exit */
	mov	x8, #__NR_set_tid_address
	svc	#0
	mov	x0, x9
	mov	x1, x10
	mov	x8, #__NR_munmap
	svc	#0			/* from here on, no stack */
	mov	x0, #0
	mov	x8, #__NR_exit
	svc	#0
	brk	#0
	.size	weft_arch_unmap_and_exit, . - weft_arch_unmap_and_exit

	.section .note.GNU-stack, "", %progbits
