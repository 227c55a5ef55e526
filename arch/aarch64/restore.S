/* SPDX-License-Identifier: MIT */
/* The signal restorer on aarch64: where a handler's `ret` lands, to call rt_sigreturn. */
#include <asm/unistd.h>

/*
 * Optional on arm64: with SA_RESTORER the kernel sets the handler's x30 to
 * sa_restorer, without it to the vDSO's sigtramp (setup_return() in
 * arch/arm64/kernel/signal.c). weft keeps its own, as musl does, so that a
 * handler returns the same way with or without a vDSO (qemu-user has none
 * and maps a sigtramp page of its own). sp points at the signal frame when
 * we get here; rt_sigreturn reads it from there.
 */
	.text
	.globl	weft_arch_sigreturn
	.type	weft_arch_sigreturn, %function
	nop				/* unwinders look one instruction before the return address */
weft_arch_sigreturn:
	mov	x8, #__NR_rt_sigreturn
	svc	#0
	brk	#0			/* rt_sigreturn does not return here */
	.size	weft_arch_sigreturn, . - weft_arch_sigreturn

	.section .note.GNU-stack, "", %progbits
