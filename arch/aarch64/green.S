/* SPDX-License-Identifier: MIT */
/* Green threads on aarch64: the context switch and the trampoline that starts a new one. */

/*
 * int weft_arch_green_switch(void **save_sp, void *next_sp)
 *
 *   Suspends the calling context and resumes the one whose stack pointer is
 *   @next_sp. AAPCS64 makes x19-x28, the frame pointer x29, the link
 *   register x30 (our return address) and the low halves d8-d15 of v8-v15
 *   callee-saved; they go into a 160-byte frame on the suspended stack and
 *   the resulting sp is stored in *@save_sp:
 *
 *	higher addresses
 *	+--------------------+
 *	| d14 d15            |  sp + 144
 *	| d12 d13            |  sp + 128
 *	| d10 d11            |  sp + 112
 *	| d8  d9             |  sp + 96
 *	| x29 x30            |  sp + 80   x30: where the context continues
 *	| x27 x28            |  sp + 64
 *	| x25 x26            |  sp + 48
 *	| x23 x24            |  sp + 32
 *	| x21 x22            |  sp + 16
 *	| x19 x20            |  <- saved sp (16-aligned, as sp always is)
 *	+--------------------+
 *	lower addresses
 *
 *   To the resumed context the switch looks like a call that returned 0.
 *   x18, the platform register, is left alone. TPIDR_EL0 is not touched:
 *   every green thread shares its OS thread's TLS and TCB. FPCR, which
 *   AAPCS64 also treats as preserved, is shared the same way
 *   (Documentation/green-threads.rst).
 */
	.text
	.globl	weft_arch_green_switch
	.type	weft_arch_green_switch, %function
weft_arch_green_switch:
	sub	sp, sp, #160
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mov	x9, sp
	str	x9, [x0]		/* *save_sp = the suspended frame */
	mov	sp, x1			/* now standing on the other context's stack */
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	add	sp, sp, #160
	mov	w0, #0			/* its weft_arch_green_switch() call returns 0 */
	ret				/* through its x30 */
	.size	weft_arch_green_switch, . - weft_arch_green_switch

/*
 * weft_arch_green_trampoline: where a new green thread first runs.
 *
 *   Never called: weft_arch_green_prepare() (green_arch.h) builds a frame
 *   that looks like a suspended switch whose x30 is this label, with the
 *   function in x19, its argument in x20 and the runtime's exit function in
 *   x21. It runs
 *
 *	x21(x20, x19(x20))  i.e.  on_return(arg, fn(arg))
 *
 *   and on_return switches away for good.
 */
	.globl	weft_arch_green_trampoline
	.type	weft_arch_green_trampoline, %function
weft_arch_green_trampoline:
	mov	x29, #0			/* outermost frame: debuggers stop unwinding here */
	mov	x0, x20			/* arg */
	blr	x19			/* x0 = fn(arg); x19-x28 survive the call */
	mov	x1, x0			/* on_return's second argument: what fn returned */
	mov	x0, x20			/* its first: arg again */
	blr	x21			/* hand control back to the runtime: no return */
	brk	#0
	.size	weft_arch_green_trampoline, . - weft_arch_green_trampoline

	.section .note.GNU-stack, "", %progbits
