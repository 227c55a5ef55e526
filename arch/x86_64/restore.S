/* SPDX-License-Identifier: MIT */
/* The signal restorer: where a handler's `ret` lands, to call rt_sigreturn. */
#include <asm/unistd.h>

/*
 * On x86_64 the kernel pushes sa_restorer as the handler's return address
 * (setup_rt_frame() in arch/x86/kernel/signal_64.c) and refuses to deliver a
 * signal to a handler installed without SA_RESTORER: there is no vDSO
 * trampoline for 64-bit tasks. rt_sigreturn restores the registers and
 * signal mask saved in the ucontext the kernel wrote on the stack; %rsp
 * points right at it when we get here, so nothing may be pushed first.
 */
	.text
	.globl	weft_arch_sigreturn
	.type	weft_arch_sigreturn, @function
	nop				/* unwinders look one byte before the return address */
weft_arch_sigreturn:
	mov	$__NR_rt_sigreturn, %eax
	syscall
	hlt				/* rt_sigreturn does not return here */
	.size	weft_arch_sigreturn, . - weft_arch_sigreturn

	.section .note.GNU-stack, "", @progbits
