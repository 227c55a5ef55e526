/* SPDX-License-Identifier: MIT */
/* The thread-creating clone(2) on riscv64: the child must not return into its parent's C frame. */
#include <asm/unistd.h>

/*
 * long weft_arch_clone(unsigned long flags, void *stack, int *parent_tid,
 *                      int *child_tid, void *tls, int (*fn)(void *), void *arg)
 *
 * The C arguments arrive in a0-a6. riscv selects CONFIG_CLONE_BACKWARDS
 * (arch/riscv/Kconfig), so the system call is clone(flags, stack,
 * parent_tid, tls, child_tid): tls 4th, child_tid 5th, the reverse of
 * x86_64. weft's C interface keeps one order and the swap happens here.
 *
 * The child starts after `ecall` with a0 = 0, sp = stack and tp = tls
 * (copy_thread() in arch/riscv/kernel/process.c); gp and the rest are
 * copies of ours. fn and arg travel on the new stack.
 */
	.text
	.globl	weft_arch_clone
	.type	weft_arch_clone, @function
weft_arch_clone:
	andi	a1, a1, -16		/* the child's stack, 16-byte aligned ... */
	addi	a1, a1, -16		/* ... with room for two words */
	sd	a5, 0(a1)		/* [stack+0] = fn */
	sd	a6, 8(a1)		/* [stack+8] = arg */
	mv	t0, a3			/* CLONE_BACKWARDS: ... */
	mv	a3, a4			/* ... 4th syscall argument: tls */
	mv	a4, t0			/* ... 5th: child_tid */
	li	a7, __NR_clone
	ecall
	bnez	a0, 1f			/* parent: the child's tid, or -errno */

	/* Child: a fresh stack, shared memory, our own tp. */
	li	s0, 0			/* outermost frame for unwinders */
	li	ra, 0
	ld	t0, 0(sp)		/* fn */
	ld	a0, 8(sp)		/* arg, the first C argument */
	addi	sp, sp, 16
	jalr	t0
	li	a7, __NR_exit		/* fn's return value (a0) is the status; this thread only */
	ecall
	unimp				/* exit does not return */
1:
	ret
	.size	weft_arch_clone, . - weft_arch_clone

/*
 * void weft_arch_unmap_and_exit(void *base, size_t len)
 *
 * The last steps of a detached thread, which frees the very stack it runs
 * on: after munmap nothing may touch memory, so everything lives in
 * registers the kernel does not write (only a0 comes back changed). Signals
 * are blocked first, because a handler would need a frame on the unmapped
 * stack; the clear-tid address is dropped so the kernel writes no zero into
 * memory that may belong to someone else by then (mm_release() in
 * kernel/fork.c).
 */
	.globl	weft_arch_unmap_and_exit
	.type	weft_arch_unmap_and_exit, @function
weft_arch_unmap_and_exit:
	mv	t1, a0			/* base */
	mv	t2, a1			/* len */
	addi	sp, sp, -16
	li	t0, -1			/* a signal mask with every bit set ... */
	sd	t0, 0(sp)		/* ... on the stack while it still exists */
	li	a0, 0			/* SIG_BLOCK */
	mv	a1, sp			/* &mask */
	li	a2, 0			/* no old mask */
	li	a3, 8			/* sizeof the kernel's sigset */
	li	a7, __NR_rt_sigprocmask
	ecall
	li	a0, 0			/* NULL: no clear-tid write at exit */
	li	a7, __NR_set_tid_address
	ecall
	mv	a0, t1
	mv	a1, t2
	li	a7, __NR_munmap
	ecall				/* from here on, no stack */
	li	a0, 0
	li	a7, __NR_exit
	ecall
	unimp
	.size	weft_arch_unmap_and_exit, . - weft_arch_unmap_and_exit

	.section .note.GNU-stack, "", @progbits
