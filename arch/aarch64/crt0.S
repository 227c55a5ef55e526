/* SPDX-License-Identifier: MIT */
/* _start: the first instruction of a weft program on aarch64; hands the initial stack to C. */

/*
 * The kernel enters here (start_thread() in arch/arm64/include/asm/processor.h)
 * with sp pointing at argc, followed by argv[], NULL, envp[], NULL and the
 * auxv pairs (create_elf_tables() in fs/binfmt_elf.c), sp 16-byte aligned and
 * TPIDR_EL0 = 0. x0 would be a dynamic loader's fini function; we ignore it.
 */
#include "lib/start-file.h"

	.text
	.globl	_start
	.type	_start, %function
_start:
	mov	x29, #0			/* outermost frame: backtraces stop here */
	mov	x30, #0			/* and no return address */
	mov	x0, sp			/* weft_start_c(initial stack pointer) */
	and	sp, x0, #-16		/* AAPCS64: sp is always 16-byte aligned */
	bl	weft_start_c		/* never returns */
	brk	#0			/* unreachable: trap loudly if it does */
	.size	_start, . - _start

	/* libweft.a refers to it: forgetting this file fails the link (lib/start-file.h). */
	WEFT_START_FILE_DEFINE

	.section .note.GNU-stack, "", %progbits	/* non-executable stack */
