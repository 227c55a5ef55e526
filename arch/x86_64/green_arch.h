/* SPDX-License-Identifier: MIT */
/* The x86_64 side of green threads: the switch, and the first frame of a fresh stack. */
#ifndef WEFT_ARCH_GREEN_H
#define WEFT_ARCH_GREEN_H

#include <stdint.h>

/*
 * Both are in arch/x86_64/green.S, which describes the frame a suspended
 * context leaves on its stack. lib/green.c uses only these two names and
 * weft_arch_green_prepare(); a port provides the same three.
 */
int weft_arch_green_switch(void **save_sp, void *next_sp);
void weft_arch_green_trampoline(void);

/* Words in a suspended frame: r15, r14, r13, r12, rbx, rbp, return address. */
#define WEFT_ARCH_GREEN_FRAME_WORDS 7

/**
 * weft_arch_green_prepare() - make a fresh stack look like a suspended context
 * @top: the stack's highest address, exclusive; 16-byte aligned
 * @fn: what the new context runs first
 * @arg: its argument
 * @on_return: called as on_return(@arg, @fn(@arg)); must never return
 *
 * Builds, just below @top, the frame that weft_arch_green_switch() would
 * have left, with weft_arch_green_trampoline as its return address and
 * @fn, @arg and @on_return in the registers the trampoline reads:
 *
 *	top -  8   0                  two zero words: a null return address
 *	top - 16   0                  and frame, where unwinders stop
 *	top - 24   trampoline         popped last, jumped to (%rsp = top - 16)
 *	top - 32   rbp = 0
 *	top - 40   rbx = 0
 *	top - 48   r12 = fn
 *	top - 56   r13 = arg
 *	top - 64   r14 = on_return
 *	top - 72   r15 = 0            <- returned stack pointer
 *
 * Return: the stack pointer to pass to weft_arch_green_switch().
 */
static inline void *weft_arch_green_prepare(void *top, void *(*fn)(void *), void *arg,
					    void (*on_return)(void *arg, void *result))
{
	uintptr_t *sp = (uintptr_t *)top - 2;

	sp[0] = 0;
	sp[1] = 0;
	sp -= WEFT_ARCH_GREEN_FRAME_WORDS;
	sp[0] = 0;					/* r15 */
	sp[1] = (uintptr_t)on_return;			/* r14 */
	sp[2] = (uintptr_t)arg;				/* r13 */
	sp[3] = (uintptr_t)fn;				/* r12 */
	sp[4] = 0;					/* rbx */
	sp[5] = 0;					/* rbp */
	sp[6] = (uintptr_t)weft_arch_green_trampoline;	/* the return address */
	return sp;
}

#endif
