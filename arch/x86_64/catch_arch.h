/* SPDX-License-Identifier: MIT */
/* The x86_64 side of panic boundaries: what catch.S saves, and its two entry points. */
#ifndef WEFT_ARCH_CATCH_H
#define WEFT_ARCH_CATCH_H

/*
 * What a boundary must restore to resume in its own frame: the registers the
 * x86-64 psABI says a callee preserves (rbx, rbp, r12-r15), the stack pointer
 * and the return address, in that order (catch.S reads them by offset). The
 * other registers are already assumed clobbered by the call. A port saves
 * its own set (aarch64: x19-x29, sp, lr and d8-d15).
 */
struct weft_arch_jmp {
	unsigned long rbx, rbp, r12, r13, r14, r15, rsp, rip;
};

_Static_assert(sizeof(struct weft_arch_jmp) == 8 * 8, "catch.S stores 8 words at offsets 0-56");

/*
 * weft_arch_try() - call fn(arg) with a way back out. Returns 0 once fn has
 * returned (its value stored in *result), or 1 when weft_arch_unwind(jmp) is
 * called from anywhere deeper on the same stack. returns_twice, as for
 * setjmp: the compiler then keeps nothing it needs after the call in a
 * register the unwind does not restore.
 */
__attribute__((returns_twice)) long weft_arch_try(struct weft_arch_jmp *jmp,
						  void *(*fn)(void *), void *arg,
						  void **result);

/* weft_arch_unwind() - make the weft_arch_try() that filled @jmp return 1. */
__attribute__((noreturn)) void weft_arch_unwind(struct weft_arch_jmp *jmp);

#endif
