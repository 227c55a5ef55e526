/* SPDX-License-Identifier: MIT */
/* The riscv64 side of panic boundaries: what catch.S saves, and its two entry points. */
#ifndef WEFT_ARCH_CATCH_H
#define WEFT_ARCH_CATCH_H

/*
 * What a boundary must restore to resume in its own frame: the registers the
 * RISC-V psABI says a callee preserves (s0-s11, fs0-fs11), ra as the return
 * address and sp, in the order catch.S stores them.
 */
struct weft_arch_jmp {
	unsigned long s0_s11[12], ra, sp;
	unsigned long fs0_fs11[12];
};

_Static_assert(sizeof(struct weft_arch_jmp) == 26 * 8, "catch.S stores 26 words at offsets 0-200");

/*
 * weft_arch_try() - call fn(arg) with a way back out. Returns 0 once fn has
 * returned (its value stored in *result), or 1 when weft_arch_unwind(jmp) is
 * called from anywhere deeper on the same stack. returns_twice, as for
 * setjmp.
 */
__attribute__((returns_twice)) long weft_arch_try(struct weft_arch_jmp *jmp,
						  void *(*fn)(void *), void *arg,
						  void **result);

/* weft_arch_unwind() - make the weft_arch_try() that filled @jmp return 1. */
__attribute__((noreturn)) void weft_arch_unwind(struct weft_arch_jmp *jmp);

#endif
