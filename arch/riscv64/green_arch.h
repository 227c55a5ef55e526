/* SPDX-License-Identifier: MIT */
/* The riscv64 side of green threads: the switch, and the first frame of a fresh stack. */
#ifndef WEFT_ARCH_GREEN_H
#define WEFT_ARCH_GREEN_H

#include <stdint.h>

/* Both are in arch/riscv64/green.S, which draws the suspended frame. */
int weft_arch_green_switch(void **save_sp, void *next_sp);
void weft_arch_green_trampoline(void);

/* Words in a suspended frame: ra, s0-s11, fs0-fs11 and one of padding: 208 bytes. */
#define WEFT_ARCH_GREEN_FRAME_WORDS 26

/**
 * weft_arch_green_prepare() - make a fresh stack look like a suspended context
 * @top: the stack's highest address, exclusive; 16-byte aligned
 * @fn: what the new context runs first
 * @arg: its argument
 * @on_return: called as on_return(@arg, @fn(@arg)); must never return
 *
 * Builds, just below @top, the frame weft_arch_green_switch() would have
 * left: ra = weft_arch_green_trampoline, s0 = 0 (where unwinders stop),
 * s1 = @fn, s2 = @arg, s3 = @on_return; everything else 0. The first switch
 * to it leaves sp = @top, 16-aligned.
 *
 * Return: the stack pointer to pass to weft_arch_green_switch().
 */
static inline void *weft_arch_green_prepare(void *top, void *(*fn)(void *), void *arg,
					    void (*on_return)(void *arg, void *result))
{
	uintptr_t *sp = (uintptr_t *)top - WEFT_ARCH_GREEN_FRAME_WORDS;

	for (int i = 0; i < WEFT_ARCH_GREEN_FRAME_WORDS; i++)
		sp[i] = 0;
	sp[0] = (uintptr_t)weft_arch_green_trampoline;	/* ra */
	sp[2] = (uintptr_t)fn;				/* s1 */
	sp[3] = (uintptr_t)arg;				/* s2 */
	sp[4] = (uintptr_t)on_return;			/* s3 */
	return sp;
}

#endif
