/* SPDX-License-Identifier: MIT */
/* Panic boundaries on riscv64: call a function with a way back out of it (setjmp/longjmp, reduced). */

/*
 * struct weft_arch_jmp { s0-s11, ra, sp, fs0-fs11 }  (catch_arch.h)
 *
 * long weft_arch_try(struct weft_arch_jmp *jmp, void *(*fn)(void *), void *arg,
 *                    void **result)
 *   Saves the psABI's callee-saved registers, sp and the return address
 *   (ra) of *this call*, then calls fn(arg). If fn returns, stores its
 *   value in *result and returns 0.
 *
 * void weft_arch_unwind(struct weft_arch_jmp *jmp)
 *   Makes the weft_arch_try() call that filled jmp return 1, from anywhere
 *   deeper on the same stack: restores the saved registers, sp and ra and
 *   returns through ra. The frames in between are abandoned (see the
 *   x86_64 twin).
 */
	.text
	.globl	weft_arch_try
	.type	weft_arch_try, @function
weft_arch_try:
	sd	s0, 0(a0)
	sd	s1, 8(a0)
	sd	s2, 16(a0)
	sd	s3, 24(a0)
	sd	s4, 32(a0)
	sd	s5, 40(a0)
	sd	s6, 48(a0)
	sd	s7, 56(a0)
	sd	s8, 64(a0)
	sd	s9, 72(a0)
	sd	s10, 80(a0)
	sd	s11, 88(a0)
	sd	ra, 96(a0)		/* our return address */
	sd	sp, 104(a0)
	fsd	fs0, 112(a0)
	fsd	fs1, 120(a0)
	fsd	fs2, 128(a0)
	fsd	fs3, 136(a0)
	fsd	fs4, 144(a0)
	fsd	fs5, 152(a0)
	fsd	fs6, 160(a0)
	fsd	fs7, 168(a0)
	fsd	fs8, 176(a0)
	fsd	fs9, 184(a0)
	fsd	fs10, 192(a0)
	fsd	fs11, 200(a0)
	addi	sp, sp, -16
	sd	ra, 8(sp)
	sd	s1, 0(sp)		/* the caller's s1 ... */
	mv	s1, a3			/* ... which holds the result pointer across the call */
	mv	t0, a1			/* fn */
	mv	a0, a2			/* arg */
	jalr	t0
	sd	a0, 0(s1)		/* *result = fn(arg) */
	ld	s1, 0(sp)
	ld	ra, 8(sp)
	addi	sp, sp, 16
	li	a0, 0			/* 0: returned normally */
	ret
	.size	weft_arch_try, . - weft_arch_try

	.globl	weft_arch_unwind
	.type	weft_arch_unwind, @function
weft_arch_unwind:
	ld	s0, 0(a0)
	ld	s1, 8(a0)
	ld	s2, 16(a0)
	ld	s3, 24(a0)
	ld	s4, 32(a0)
	ld	s5, 40(a0)
	ld	s6, 48(a0)
	ld	s7, 56(a0)
	ld	s8, 64(a0)
	ld	s9, 72(a0)
	ld	s10, 80(a0)
	ld	s11, 88(a0)
	ld	ra, 96(a0)
	ld	sp, 104(a0)		/* back onto the boundary's frame */
	fld	fs0, 112(a0)
	fld	fs1, 120(a0)
	fld	fs2, 128(a0)
	fld	fs3, 136(a0)
	fld	fs4, 144(a0)
	fld	fs5, 152(a0)
	fld	fs6, 160(a0)
	fld	fs7, 168(a0)
	fld	fs8, 176(a0)
	fld	fs9, 184(a0)
	fld	fs10, 192(a0)
	fld	fs11, 200(a0)
	li	a0, 1			/* weft_arch_try() "returns" 1 */
	ret				/* to weft_arch_try()'s caller */
	.size	weft_arch_unwind, . - weft_arch_unwind

	.section .note.GNU-stack, "", @progbits
