/* SPDX-License-Identifier: MIT */
/* The wake half of unpark on riscv64: one private FUTEX_WAKE, a plain return. */
#include <asm/unistd.h>

/* <linux/futex.h> has C in it; lib/park.c checks this value against it. */
#define WEFT_FUTEX_WAKE_PRIVATE 0x81	/* FUTEX_WAKE | FUTEX_PRIVATE_FLAG */

/*
 * long weft_arch_futex_wake_one(_Atomic uint32_t *word)
 *
 * FUTEX_WAKE | FUTEX_PRIVATE_FLAG of one waiter on @word (in a0). The x86_64
 * version's `pop; jmp` return has no known counterpart here, so this one
 * returns plainly. FUTEX_WAKE reads only uaddr, op and val. The caller has
 * checked weft_sys_hooked: traced calls go through sys_futex() in C.
 */
	.text
	.globl	weft_arch_futex_wake_one
	.type	weft_arch_futex_wake_one, @function
weft_arch_futex_wake_one:
	li	a1, WEFT_FUTEX_WAKE_PRIVATE
	li	a2, 1
	li	a7, __NR_futex
	ecall
	ret
	.size	weft_arch_futex_wake_one, . - weft_arch_futex_wake_one

	.section .note.GNU-stack, "", @progbits
