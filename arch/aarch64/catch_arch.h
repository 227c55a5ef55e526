/* SPDX-License-Identifier: MIT */
/* The aarch64 side of panic boundaries: what catch.S saves, and its two entry points. */
#ifndef WEFT_ARCH_CATCH_H
#define WEFT_ARCH_CATCH_H

/*
 * What a boundary must restore to resume in its own frame: the registers
 * AAPCS64 says a callee preserves (x19-x28, x29, x30 as the return address,
 * sp, and the low 64 bits of v8-v15), in the order catch.S stores them.
 */
struct weft_arch_jmp {
	unsigned long x19_x28[10], x29, x30, sp;
	unsigned long d8_d15[8];
};

_Static_assert(sizeof(struct weft_arch_jmp) == 21 * 8, "catch.S stores 21 words at offsets 0-160");

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
