/* SPDX-License-Identifier: MIT */
/* Green threads on riscv64: the context switch and the trampoline that starts a new one. */

/*
 * int weft_arch_green_switch(void **save_sp, void *next_sp)
 *
 *   Suspends the calling context and resumes the one whose stack pointer is
 *   @next_sp. The RISC-V psABI (lp64d, Debian's) makes ra, s0-s11 and
 *   fs0-fs11 callee-saved; they go into a 208-byte frame (25 words, padded
 *   to keep sp 16-aligned) on the suspended stack and the resulting sp is
 *   stored in *@save_sp:
 *
 *	higher addresses
 *	+--------------------+
 *	| (padding)          |  sp + 200
 *	| fs0 ... fs11       |  sp + 104 ... sp + 192
 *	| s0  ... s11        |  sp + 8   ... sp + 96
 *	| ra                 |  <- saved sp: where the context continues
 *	+--------------------+
 *	lower addresses
 *
 *   To the resumed context the switch looks like a call that returned 0.
 *   gp and tp are not touched: every green thread shares its OS thread's
 *   (one global pointer per program; one TLS block and TCB per OS thread).
 *   fcsr (rounding mode) is shared the same way
 *   (Documentation/green-threads.rst).
 */
	.text
	.globl	weft_arch_green_switch
	.type	weft_arch_green_switch, @function
weft_arch_green_switch:
	addi	sp, sp, -208
	sd	ra, 0(sp)
	sd	s0, 8(sp)
	sd	s1, 16(sp)
	sd	s2, 24(sp)
	sd	s3, 32(sp)
	sd	s4, 40(sp)
	sd	s5, 48(sp)
	sd	s6, 56(sp)
	sd	s7, 64(sp)
	sd	s8, 72(sp)
	sd	s9, 80(sp)
	sd	s10, 88(sp)
	sd	s11, 96(sp)
	fsd	fs0, 104(sp)
	fsd	fs1, 112(sp)
	fsd	fs2, 120(sp)
	fsd	fs3, 128(sp)
	fsd	fs4, 136(sp)
	fsd	fs5, 144(sp)
	fsd	fs6, 152(sp)
	fsd	fs7, 160(sp)
	fsd	fs8, 168(sp)
	fsd	fs9, 176(sp)
	fsd	fs10, 184(sp)
	fsd	fs11, 192(sp)
	sd	sp, 0(a0)		/* *save_sp = the suspended frame */
	mv	sp, a1			/* now standing on the other context's stack */
	ld	ra, 0(sp)
	ld	s0, 8(sp)
	ld	s1, 16(sp)
	ld	s2, 24(sp)
	ld	s3, 32(sp)
	ld	s4, 40(sp)
	ld	s5, 48(sp)
	ld	s6, 56(sp)
	ld	s7, 64(sp)
	ld	s8, 72(sp)
	ld	s9, 80(sp)
	ld	s10, 88(sp)
	ld	s11, 96(sp)
	fld	fs0, 104(sp)
	fld	fs1, 112(sp)
	fld	fs2, 120(sp)
	fld	fs3, 128(sp)
	fld	fs4, 136(sp)
	fld	fs5, 144(sp)
	fld	fs6, 152(sp)
	fld	fs7, 160(sp)
	fld	fs8, 168(sp)
	fld	fs9, 176(sp)
	fld	fs10, 184(sp)
	fld	fs11, 192(sp)
	addi	sp, sp, 208
	li	a0, 0			/* its weft_arch_green_switch() call returns 0 */
	ret				/* through its ra */
	.size	weft_arch_green_switch, . - weft_arch_green_switch

/*
 * weft_arch_green_trampoline: where a new green thread first runs.
 *
 *   Never called: weft_arch_green_prepare() (green_arch.h) builds a frame
 *   that looks like a suspended switch whose ra is this label, with the
 *   function in s1, its argument in s2 and the runtime's exit function in
 *   s3. It runs
 *
 *	s3(s2, s1(s2))  i.e.  on_return(arg, fn(arg))
 *
 *   and on_return switches away for good.
 */
	.globl	weft_arch_green_trampoline
	.type	weft_arch_green_trampoline, @function
weft_arch_green_trampoline:
	li	s0, 0			/* outermost frame: debuggers stop unwinding here */
	mv	a0, s2			/* arg */
	jalr	s1			/* a0 = fn(arg); s1-s11 survive the call */
	mv	a1, a0			/* on_return's second argument: what fn returned */
	mv	a0, s2			/* its first: arg again */
	jalr	s3			/* hand control back to the runtime: no return */
	unimp
	.size	weft_arch_green_trampoline, . - weft_arch_green_trampoline

	.section .note.GNU-stack, "", @progbits
