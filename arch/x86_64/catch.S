/* SPDX-License-Identifier: MIT */
/* Panic boundaries: call a function with a way back out of it (setjmp/longjmp, reduced). */

/*
 * struct weft_arch_jmp { rbx, rbp, r12, r13, r14, r15, rsp, rip }  (catch_arch.h)
 *
 * long weft_arch_try(struct weft_arch_jmp *jmp, void *(*fn)(void *), void *arg,
 *                    void **result)
 *   Saves the callee-saved registers, the stack pointer and the return
 *   address of *this call*, then calls fn(arg). If fn returns, stores its
 *   value in *result and returns 0.
 *
 * void weft_arch_unwind(struct weft_arch_jmp *jmp)
 *   Makes the weft_arch_try() call that filled jmp return 1, from anywhere
 *   deeper on the same stack: restores the saved registers and jumps to the
 *   saved return address with the saved stack pointer. Every frame in
 *   between is simply abandoned: nothing runs on the way (C has no
 *   destructors), so locks they held stay held and memory they allocated
 *   is not freed.
 *
 * Only the registers the psABI says a callee must preserve are saved; the
 * caller already assumes the others are clobbered by the call. No signal
 * mask is saved: a panic does not change it.
 */
	.text
	.globl	weft_arch_try
	.type	weft_arch_try, @function
weft_arch_try:
	mov	%rbx, 0(%rdi)
	mov	%rbp, 8(%rdi)
	mov	%r12, 16(%rdi)
	mov	%r13, 24(%rdi)
	mov	%r14, 32(%rdi)
	mov	%r15, 40(%rdi)
	lea	8(%rsp), %rax		/* %rsp as it will be after our `ret` */
	mov	%rax, 48(%rdi)
	mov	(%rsp), %rax		/* our return address */
	mov	%rax, 56(%rdi)
	push	%rbx			/* keep the caller's rbx; also 16-aligns %rsp */
	mov	%rcx, %rbx		/* result pointer survives the call in rbx */
	mov	%rsi, %rax		/* fn */
	mov	%rdx, %rdi		/* arg */
	call	*%rax
	mov	%rax, (%rbx)		/* *result = fn(arg) */
	pop	%rbx
	xor	%eax, %eax		/* 0: returned normally */
	ret
	.size	weft_arch_try, . - weft_arch_try

	.globl	weft_arch_unwind
	.type	weft_arch_unwind, @function
weft_arch_unwind:
	mov	0(%rdi), %rbx
	mov	8(%rdi), %rbp
	mov	16(%rdi), %r12
	mov	24(%rdi), %r13
	mov	32(%rdi), %r14
	mov	40(%rdi), %r15
	mov	48(%rdi), %rsp		/* back onto the boundary's frame */
	mov	$1, %eax		/* weft_arch_try() "returns" 1 */
	jmp	*56(%rdi)
	.size	weft_arch_unwind, . - weft_arch_unwind

	.section .note.GNU-stack, "", @progbits
