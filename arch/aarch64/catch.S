/* SPDX-License-Identifier: MIT */
/* Panic boundaries on aarch64: call a function with a way back out of it (setjmp/longjmp, reduced). */

/*
 * struct weft_arch_jmp { x19-x28, x29, x30, sp, d8-d15 }  (catch_arch.h)
 *
 * long weft_arch_try(struct weft_arch_jmp *jmp, void *(*fn)(void *), void *arg,
 *                    void **result)
 *   Saves the AAPCS64 callee-saved registers, sp and the return address
 *   (x30) of *this call*, then calls fn(arg). If fn returns, stores its
 *   value in *result and returns 0.
 *
 * void weft_arch_unwind(struct weft_arch_jmp *jmp)
 *   Makes the weft_arch_try() call that filled jmp return 1, from anywhere
 *   deeper on the same stack: restores the saved registers, sp and x30 and
 *   returns through x30. The frames in between are abandoned (see the
 *   x86_64 twin).
 */
	.text
	.globl	weft_arch_try
	.type	weft_arch_try, %function
weft_arch_try:
	stp	x19, x20, [x0, #0]
	stp	x21, x22, [x0, #16]
	stp	x23, x24, [x0, #32]
	stp	x25, x26, [x0, #48]
	stp	x27, x28, [x0, #64]
	stp	x29, x30, [x0, #80]	/* x30: our return address */
	mov	x9, sp
	str	x9, [x0, #96]
	stp	d8, d9, [x0, #104]
	stp	d10, d11, [x0, #120]
	stp	d12, d13, [x0, #136]
	stp	d14, d15, [x0, #152]
	stp	x29, x30, [sp, #-32]!	/* a frame record, and room for ... */
	str	x19, [sp, #16]		/* ... the caller's x19 */
	mov	x29, sp
	mov	x19, x3			/* the result pointer survives the call in x19 */
	mov	x9, x1			/* fn */
	mov	x0, x2			/* arg */
	blr	x9
	str	x0, [x19]		/* *result = fn(arg) */
	ldr	x19, [sp, #16]
	ldp	x29, x30, [sp], #32
	mov	x0, #0			/* 0: returned normally */
	ret
	.size	weft_arch_try, . - weft_arch_try

	.globl	weft_arch_unwind
	.type	weft_arch_unwind, %function
weft_arch_unwind:
	ldp	x19, x20, [x0, #0]
	ldp	x21, x22, [x0, #16]
	ldp	x23, x24, [x0, #32]
	ldp	x25, x26, [x0, #48]
	ldp	x27, x28, [x0, #64]
	ldp	x29, x30, [x0, #80]
	ldr	x9, [x0, #96]
	mov	sp, x9			/* back onto the boundary's frame */
	ldp	d8, d9, [x0, #104]
	ldp	d10, d11, [x0, #120]
	ldp	d12, d13, [x0, #136]
	ldp	d14, d15, [x0, #152]
	mov	x0, #1			/* weft_arch_try() "returns" 1 */
	ret				/* to weft_arch_try()'s caller */
	.size	weft_arch_unwind, . - weft_arch_unwind

	.section .note.GNU-stack, "", %progbits
