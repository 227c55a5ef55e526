/* SPDX-License-Identifier: MIT */
/* The thread-creating clone(2): the child must not return into its parent's C frame. */
#include <asm/unistd.h>

/*
 * long weft_arch_clone(unsigned long flags, void *stack, int *parent_tid,
 *                      int *child_tid, void *tls, int (*fn)(void *), void *arg)
 *
 * C arguments arrive in rdi, rsi, rdx, rcx, r8, r9 and, for the 7th, at
 * 8(%rsp). The syscall wants flags, stack, parent_tid, child_tid, tls in
 * rdi, rsi, rdx, r10, r8 (x86_64 order; aarch64 and riscv64 swap the last
 * two, see man 2 clone).
 *
 * The child starts at the instruction after `syscall`, with %rax = 0, its
 * %rsp = stack and its %fs base = tls (copy_thread() in
 * arch/x86/kernel/process.c). Everything it needs must therefore be in
 * registers or on its new stack: the parent's stack frame is not its own.
 * We leave fn and arg on the new stack, as musl does.
 */
	.text
	.globl	weft_arch_clone
	.type	weft_arch_clone, @function
weft_arch_clone:
	mov	8(%rsp), %rax		/* arg, the 7th C argument */
	and	$-16, %rsi		/* the child's stack, 16-byte aligned ... */
	sub	$16, %rsi		/* ... with room for two words */
	mov	%r9, 0(%rsi)		/* [stack+0] = fn */
	mov	%rax, 8(%rsi)		/* [stack+8] = arg */
	mov	%rcx, %r10		/* 4th syscall argument: child_tid */
	mov	$__NR_clone, %eax
	syscall
	test	%eax, %eax
	jnz	1f			/* parent: the child's tid, or -errno */

	/* Child: a fresh stack, shared memory, our own %fs. */
	xor	%ebp, %ebp		/* outermost frame for unwinders */
	pop	%rax			/* fn */
	pop	%rdi			/* arg, the first C argument */
	call	*%rax			/* %rsp is 16-aligned again: psABI holds */
	mov	%eax, %edi		/* fn's return value is the exit status */
	mov	$__NR_exit, %eax	/* this thread only */
	syscall
	hlt				/* exit does not return */
1:
	ret
	.size	weft_arch_clone, . - weft_arch_clone

/*
 * void weft_arch_unmap_and_exit(void *base, size_t len)
 *
 * The last steps of a detached thread, which frees the very stack it runs
 * on. After munmap there is no stack, so nothing may touch memory: no call,
 * no push, only registers. Signals are blocked first, because a handler
 * would need a frame on the unmapped stack (and qemu-user restarts `exit`
 * to deliver pending signals). The clear-tid address is dropped so the
 * kernel does not write a zero into memory that may belong to someone else
 * by the time the thread dies (mm_release() in kernel/fork.c).
 */
	.globl	weft_arch_unmap_and_exit
	.type	weft_arch_unmap_and_exit, @function
weft_arch_unmap_and_exit:
	mov	%rdi, %r8		/* base: syscalls preserve r8, r9 */
	mov	%rsi, %r9		/* len */
	push	$-1			/* a signal mask with every bit set */
	mov	$__NR_rt_sigprocmask, %eax
	xor	%edi, %edi		/* SIG_BLOCK */
	mov	%rsp, %rsi		/* &mask, on the stack while it still exists */
	xor	%edx, %edx		/* no old mask */
	mov	$8, %r10d		/* sizeof the kernel's sigset */
	syscall
	mov	$__NR_set_tid_address, %eax
	xor	%edi, %edi		/* NULL: no clear-tid write at exit */
	syscall
	mov	$__NR_munmap, %eax
	mov	%r8, %rdi
	mov	%r9, %rsi
	syscall				/* from here on, no stack */
	mov	$__NR_exit, %eax
	xor	%edi, %edi
	syscall
	hlt
	.size	weft_arch_unmap_and_exit, . - weft_arch_unmap_and_exit

	.section .note.GNU-stack, "", @progbits
