/* SPDX-License-Identifier: MIT */
/* The aarch64 side of green threads: the switch, and the first frame of a fresh stack. */
#ifndef WEFT_ARCH_GREEN_H
#define WEFT_ARCH_GREEN_H

#include <stdint.h>

/* Both are in arch/aarch64/green.S, which draws the suspended frame. */
int weft_arch_green_switch(void **save_sp, void *next_sp);
void weft_arch_green_trampoline(void);

/* Words in a suspended frame: x19-x30 (12) and d8-d15 (8): 160 bytes. */
#define WEFT_ARCH_GREEN_FRAME_WORDS 20

/**
 * weft_arch_green_prepare() - make a fresh stack look like a suspended context
 * @top: the stack's highest address, exclusive; 16-byte aligned
 * @fn: what the new context runs first
 * @arg: its argument
 * @on_return: called as on_return(@arg, @fn(@arg)); must never return
 *
 * Builds, just below @top, the frame weft_arch_green_switch() would have
 * left: x19 = @fn, x20 = @arg, x21 = @on_return, x29 = 0 (where unwinders
 * stop) and x30 = weft_arch_green_trampoline; everything else 0. The first
 * switch to it leaves sp = @top, 16-aligned.
 *
 * Return: the stack pointer to pass to weft_arch_green_switch().
 */
static inline void *weft_arch_green_prepare(void *top, void *(*fn)(void *), void *arg,
					    void (*on_return)(void *arg, void *result))
{
	uintptr_t *sp = (uintptr_t *)top - WEFT_ARCH_GREEN_FRAME_WORDS;

	for (int i = 0; i < WEFT_ARCH_GREEN_FRAME_WORDS; i++)
		sp[i] = 0;
	sp[0] = (uintptr_t)fn;				/* x19 */
	sp[1] = (uintptr_t)arg;				/* x20 */
	sp[2] = (uintptr_t)on_return;			/* x21 */
	sp[11] = (uintptr_t)weft_arch_green_trampoline;	/* x30 */
	return sp;
}

#endif
