/* SPDX-License-Identifier: MIT */
/* The tour's chapters: each file of samples/tour/ defines one, main.c runs them in order. */
#ifndef WEFT_TOUR_H
#define WEFT_TOUR_H

#include "weft/weft.h"

/*
 * A chapter is a function `void tour_<name>(void)` in its own file. main.c
 * declares each one weak, so a chapter that is not built is skipped.
 * Chapters print to stdout with tour_say(); keep each one under a screen.
 */
#define tour_say(...) weft_dprintf(1, __VA_ARGS__)

void tour_heading(const char *title);

void tour_process_start(void);	/* chapter 1: from execve to main */
void tour_threads(void);	/* chapter 2: native threads, parking, guard pages */
void tour_locals(void);		/* chapter 3: thread-locals and destructors */
void tour_keys(void);		/* chapter 3b: OS-style keys, for_each */
void tour_panics(void);		/* chapter 4: panics, scoped threads, stack overflow */
void tour_green(void);		/* chapter 5: green threads */
void tour_sync(void);		/* chapter 6: locks, poisoning, channels */

#endif
