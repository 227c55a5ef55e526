/* SPDX-License-Identifier: MIT */
/* _start: the first instruction of a weft program on riscv64; sets gp, hands the stack to C. */

/*
 * The kernel enters here (start_thread() in arch/riscv/kernel/process.c)
 * with sp pointing at argc, followed by argv[], NULL, envp[], NULL and the
 * auxv pairs (create_elf_tables() in fs/binfmt_elf.c), sp 16-byte aligned
 * and tp = 0.
 *
 * gp first, before any C: GNU ld relaxes loads and stores of globals within
 * 2 KiB of __global_pointer$ into gp-relative ones, and gp is 0 on entry.
 * The `lla` itself must not be relaxed into a gp-relative form, hence
 * norelax (tools/include/nolibc/arch-riscv.h does the same).
 */
#include "lib/start-file.h"

	.text
	.globl	_start
	.type	_start, @function
_start:
	.option	push
	.option	norelax
	lla	gp, __global_pointer$
	.option	pop
	li	s0, 0			/* outermost frame: backtraces stop here */
	li	ra, 0			/* and no return address */
	mv	a0, sp			/* weft_start_c(initial stack pointer) */
	andi	sp, sp, -16		/* psABI: sp is always 16-byte aligned */
	call	weft_start_c		/* never returns */
	unimp				/* unreachable: trap loudly if it does */
	.size	_start, . - _start

	/* libweft.a refers to it: forgetting this file fails the link (lib/start-file.h). */
	WEFT_START_FILE_DEFINE

	.section .note.GNU-stack, "", @progbits	/* non-executable stack */
