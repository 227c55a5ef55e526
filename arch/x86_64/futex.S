/* SPDX-License-Identifier: MIT */
/* The wake half of unpark, returning without `ret`. */

#include <asm/unistd.h>

/* <linux/futex.h> has C in it; lib/park.c checks this value against it. */
#define WEFT_FUTEX_WAKE_PRIVATE 0x81	/* FUTEX_WAKE | FUTEX_PRIVATE_FLAG */

/*
 * long weft_arch_futex_wake_one(_Atomic uint32_t *word)
 *
 * FUTEX_WAKE | FUTEX_PRIVATE_FLAG of one waiter on @word (in %rdi), then back
 * to the caller with `pop; jmp` instead of `ret`.
 *
 * Why: the CPU predicts where a `ret` goes from its return-stack buffer, and
 * the first `ret` after a system call mispredicts on these machines
 * (Documentation/abi-notes.rst §13: about 48 ns after a plain getppid; after a sleep,
 * the kernel has refilled the buffer on the task switch, FILL_RETURN_BUFFER
 * in __switch_to_asm, arch/x86/entry/entry_64.S). That is 1-2% of a
 * park/unpark round trip. An indirect `jmp` is predicted by the branch
 * target buffer instead, which the kernel leaves alone within a process,
 * and in a loop that unparks from one call site it is always right.
 *
 * weft_unpark() tail-calls this (`jmp`, not `call`), so the address popped
 * here is weft_unpark()'s own caller's. If a compiler ever made it a plain
 * call instead, the jump would land in weft_unpark() and its `ret` would do
 * the rest: slower, still correct.
 *
 * FUTEX_WAKE reads only uaddr, op and val (futex_wake() in
 * kernel/futex/waitwake.c), so %r10, %r8 and %r9 need no value. `syscall`
 * clobbers %rcx and %r11, which the psABI lets a callee clobber anyway.
 * The caller has checked weft_sys_hook: a traced or fault-injected call
 * goes through sys_futex() in C instead.
 */
	.text
	.globl	weft_arch_futex_wake_one
	.type	weft_arch_futex_wake_one, @function
weft_arch_futex_wake_one:
	mov	$__NR_futex, %eax
	mov	$WEFT_FUTEX_WAKE_PRIVATE, %esi
	mov	$1, %edx
	syscall
	pop	%rcx			/* the return address ... */
	jmp	*%rcx			/* ... reached without consulting the RSB */
	.size	weft_arch_futex_wake_one, . - weft_arch_futex_wake_one

	.section .note.GNU-stack, "", @progbits
