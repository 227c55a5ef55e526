/* SPDX-License-Identifier: MIT */
/* The aarch64 thread pointer: TPIDR_EL0, and the TLS variant it implies. */
#ifndef WEFT_ARCH_TP_H
#define WEFT_ARCH_TP_H

/*
 * aarch64 uses TLS "variant I" (Drepper, "ELF Handling For Thread-Local
 * Storage", section 3.4.1; the AArch64 ELF ABI): the thread pointer points at
 * a 16-byte thread control block reserved by the ABI, and the static TLS
 * block starts above it, at tp + round_up(16, p_align). Compilers read
 * TPIDR_EL0 with `mrs` and add a link-time offset: there is no self pointer
 * at tp + 0, and weft keeps its own TCB *below* tp, as musl keeps its
 * struct pthread. Documentation/porting.rst draws the three layouts.
 */
#define WEFT_ARCH_TLS_ABOVE_TP 1
/* Bytes the ABI reserves between tp and the TLS block (musl's GAP_ABOVE_TP). */
#define WEFT_ARCH_TLS_GAP 16

/*
 * No WEFT_ARCH_CANARY_OFFSET: gcc and clang read the stack-protector canary
 * from the global __stack_chk_guard here (lib/start.c fills it).
 */

/** weft_arch_tp() - the calling thread's thread pointer, read from TPIDR_EL0. */
static inline __attribute__((always_inline)) void *weft_arch_tp(void)
{
	void *tp;

	/* volatile: the value changes under the compiler's feet when tp is set. */
	__asm__ volatile("mrs %0, tpidr_el0" : "=r"(tp));
	return tp;
}

/*
 * Set the calling thread's thread pointer: EL0 may write TPIDR_EL0 itself,
 * and the kernel saves and restores it on every switch (tls_thread_switch()
 * in arch/arm64/kernel/process.c). New threads get theirs from CLONE_SETTLS.
 * A function that calls this must touch no TLS itself: clang may hoist the
 * `mrs` of a TLS access above this `msr` (Documentation/abi-notes.rst).
 * Returns 0: there is nothing to fail.
 */
static inline long weft_arch_set_tp_raw(void *tp)
{
	__asm__ volatile("msr tpidr_el0, %0" : : "r"(tp) : "memory");
	return 0;
}

#endif
