/* SPDX-License-Identifier: MIT */
/* _start: the first instruction of a weft program; hands the initial stack to C. */

/*
 * The kernel enters here (start_thread() in arch/x86/kernel/process_64.c) with
 * %rsp pointing at argc, followed by argv[], NULL, envp[], NULL, auxv pairs
 * (laid out by create_elf_tables() in fs/binfmt_elf.c). Every other register
 * is zero except %rdx, which a dynamic loader would use for its fini function
 * and we ignore. %rsp is 16-byte aligned here.
 */
#include "lib/start-file.h"

	.text
	.globl	_start
	.type	_start, @function
_start:
	xor	%ebp, %ebp		/* outermost frame: backtraces stop here */
	mov	%rsp, %rdi		/* weft_start_c(initial stack pointer) */
	and	$-16, %rsp		/* psABI: 16-byte aligned before the call */
	call	weft_start_c		/* never returns */
	hlt				/* unreachable: fault loudly if it does */
	.size	_start, . - _start

	/* libweft.a refers to it: forgetting this file fails the link (lib/start-file.h). */
	WEFT_START_FILE_DEFINE

	.section .note.GNU-stack, "", @progbits	/* non-executable stack */
