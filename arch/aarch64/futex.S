/* SPDX-License-Identifier: MIT */
/* The wake half of unpark on aarch64: one private FUTEX_WAKE, a plain return. */
#include <asm/unistd.h>

/* <linux/futex.h> has C in it; lib/park.c checks this value against it. */
#define WEFT_FUTEX_WAKE_PRIVATE 0x81	/* FUTEX_WAKE | FUTEX_PRIVATE_FLAG */

/*
 * long weft_arch_futex_wake_one(_Atomic uint32_t *word)
 *
 * FUTEX_WAKE | FUTEX_PRIVATE_FLAG of one waiter on @word (in x0). The x86_64
 * version returns with `pop; jmp` to dodge a return-stack misprediction
 * after the kernel entry; no such effect is known or measured on aarch64,
 * so this one returns plainly. FUTEX_WAKE reads only uaddr, op and val
 * (futex_wake() in kernel/futex/waitwake.c). The caller has checked
 * weft_sys_hooked: traced calls go through sys_futex() in C.
 */
	.text
	.globl	weft_arch_futex_wake_one
	.type	weft_arch_futex_wake_one, %function
weft_arch_futex_wake_one:
	mov	x1, #WEFT_FUTEX_WAKE_PRIVATE
	mov	x2, #1
	mov	x8, #__NR_futex
	svc	#0
	ret
	.size	weft_arch_futex_wake_one, . - weft_arch_futex_wake_one

	.section .note.GNU-stack, "", %progbits
