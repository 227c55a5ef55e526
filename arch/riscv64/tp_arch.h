/* SPDX-License-Identifier: MIT */
/* The riscv64 thread pointer: register tp (x4), and the TLS variant it implies. */
#ifndef WEFT_ARCH_TP_H
#define WEFT_ARCH_TP_H

/*
 * riscv64 uses TLS "variant I" with no gap (RISC-V ELF psABI, "Thread Local
 * Storage"): the static TLS block starts at tp itself, aligned to p_align.
 * Compilers use tp as a base register directly: there is no self pointer,
 * and weft keeps its own TCB *below* tp, as musl keeps its struct pthread.
 * Documentation/porting.rst draws the three layouts.
 */
#define WEFT_ARCH_TLS_ABOVE_TP 1
/* Bytes between tp and the TLS block (musl's GAP_ABOVE_TP): none. */
#define WEFT_ARCH_TLS_GAP 0

/*
 * No WEFT_ARCH_CANARY_OFFSET: gcc and clang read the stack-protector canary
 * from the global __stack_chk_guard here (lib/start.c fills it).
 */

/** weft_arch_tp() - the calling thread's thread pointer, register tp. */
static inline __attribute__((always_inline)) void *weft_arch_tp(void)
{
	void *tp;

	__asm__ volatile("mv %0, tp" : "=r"(tp));
	return tp;
}

/*
 * Set the calling thread's thread pointer. tp is an ordinary register that
 * the kernel saves with the others (struct pt_regs); no system call exists
 * or is needed. New threads get theirs from CLONE_SETTLS. A function that
 * calls this must touch no TLS itself (Documentation/abi-notes.rst).
 * Returns 0: there is nothing to fail.
 */
static inline long weft_arch_set_tp_raw(void *tp)
{
	__asm__ volatile("mv tp, %0" : : "r"(tp) : "memory");
	return 0;
}

#endif
