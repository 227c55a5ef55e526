/* SPDX-License-Identifier: MIT */
/* Green threads on x86_64: the context switch and the trampoline that starts a new one. */

/*
 * int weft_arch_green_switch(void **save_sp, void *next_sp)
 *
 *   Suspends the calling context and resumes the one whose stack pointer is
 *   @next_sp. The suspended context is the calling function's own stack:
 *   the six registers the psABI makes callee-saved (rbx, rbp, r12-r15) are
 *   pushed on it, above the return address our caller's `call` pushed, and
 *   the resulting %rsp is stored in *@save_sp. Resuming pops the same seven
 *   words off the other stack, so a suspended stack always ends in
 *
 *	higher addresses
 *	+--------------------+
 *	| return address     |  where the suspended context continues
 *	| rbp                |
 *	| rbx                |
 *	| r12                |
 *	| r13                |
 *	| r14                |
 *	| r15                |  <- saved sp (8 mod 16: the call site was 16-aligned)
 *	+--------------------+
 *	lower addresses
 *
 *   To the resumed context the switch looks like a call that returned 0.
 *   Nothing else is saved. The caller-saved registers (rax, rcx, rdx, rsi,
 *   rdi, r8-r11, the vector registers) are dead across any call, so the
 *   compiler has already saved what it still needs. The signal mask is not
 *   touched: that is the system call that makes glibc's swapcontext cost a
 *   microsecond here. %fs is not touched either: every green thread of a
 *   runtime shares its OS thread's TLS and thread control block. MXCSR and
 *   the x87 control word, which the psABI also calls callee-saved, are left
 *   shared too: a green thread that changes the rounding mode changes it for
 *   its whole OS thread (Documentation/green-threads.rst).
 *
 *   The switch ends in `pop; jmp` rather than `ret`. A `ret` is predicted
 *   from the return-stack buffer, whose top entry is the *suspended*
 *   context's call site; it is right only when both contexts happened to
 *   call from the same place. An indirect `jmp` is predicted from the
 *   branch target buffer by its own address and recent branch history, and
 *   learns a recurring pattern of switches (bench/weft/switch_floor.c
 *   measures both endings: 3.4 against 9.2 ns per switch).
 */
	.text
	.globl	weft_arch_green_switch
	.type	weft_arch_green_switch, @function
weft_arch_green_switch:
	push	%rbp			/* callee-saved: the frame pointer */
	push	%rbx			/* callee-saved */
	push	%r12			/* callee-saved */
	push	%r13			/* callee-saved */
	push	%r14			/* callee-saved */
	push	%r15			/* callee-saved; the frame is complete */
	mov	%rsp, (%rdi)		/* *save_sp = top of the suspended frame */
	mov	%rsi, %rsp		/* now standing on the other context's stack */
	pop	%r15			/* its registers, in reverse order of the pushes */
	pop	%r14			/* its r14 */
	pop	%r13			/* its r13 */
	pop	%r12			/* its r12 */
	pop	%rbx			/* its rbx */
	pop	%rbp			/* its frame pointer; only the return address is left */
	xor	%eax, %eax		/* its weft_arch_green_switch() call returns 0 */
	pop	%rcx			/* its return address (caller-saved: free to use) */
	jmp	*%rcx			/* resume it: a `ret` that the BTB predicts */
	.size	weft_arch_green_switch, . - weft_arch_green_switch

/*
 * weft_arch_green_trampoline: where a new green thread first runs.
 *
 *   Never called: weft_arch_green_prepare() (green_arch.h) builds a frame
 *   on the fresh stack that looks like a suspended switch whose return
 *   address is this label, with the function in r12, its argument in r13
 *   and the runtime's exit function in r14. The first switch to the thread
 *   pops that frame and jumps here, with %rsp 16-byte aligned (the frame
 *   was placed so), as the psABI requires before a `call`.
 *
 *	r14(r13, r12(r13))  i.e.  on_return(arg, fn(arg))
 *
 *   on_return switches away for good and never returns: the stack this
 *   code stands on is recycled once the runtime is off it.
 */
	.globl	weft_arch_green_trampoline
	.type	weft_arch_green_trampoline, @function
weft_arch_green_trampoline:
	xor	%ebp, %ebp		/* outermost frame: debuggers stop unwinding here */
	mov	%r13, %rdi		/* first C argument: arg */
	call	*%r12			/* rax = fn(arg); r12-r15 survive the call */
	mov	%r13, %rdi		/* on_return's first argument: arg again */
	mov	%rax, %rsi		/* its second: what fn returned */
	call	*%r14			/* hand control back to the runtime: no return */
	ud2				/* trap if it ever did */
	.size	weft_arch_green_trampoline, . - weft_arch_green_trampoline

	.section .note.GNU-stack, "", @progbits
