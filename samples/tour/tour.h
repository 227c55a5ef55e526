/* SPDX-License-Identifier: MIT */
/* The tour's chapters: each file of samples/tour/ defines one, main.c runs them in order. */
#ifndef WEFT_TOUR_H
#define WEFT_TOUR_H

#include <stdbool.h>

#include "weft/weft.h"

/*
 * A chapter is a function `void tour_<name>(void)` in its own file. main.c
 * declares each one weak, so a chapter that is not built is skipped.
 * Chapters print to stdout with tour_say(); keep each one under a screen.
 *
 * The tour tells the truth: each chapter checks what it calls, and when a
 * call fails (run it with WEFT_FAULT=clone:0:EAGAIN to see one) it says so
 * with tour_failed() instead of printing what it would have shown. The tour
 * then exits with status 1. A line that could not be written counts too.
 */
void tour_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * tour_failed() - say in words that @what failed, and make the tour exit 1
 * @what: what was called, e.g. "weft_spawn()"
 * @err: its -errno
 *
 * Prints "  weft_spawn() failed: EAGAIN (injected)": the errno by name, and
 * "(injected)" when a WEFT_FAULT rule has fired (weft_fault_fired()).
 */
void tour_failed(const char *what, long err);

/* Like tour_failed(), for a failure that has no errno: the format says what went wrong. */
void tour_wrong(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * tour_joined() - check what a join returned; say why if it is not the thread's result
 * @err: what weft_join() returned
 * @result: what it stored; the payload of a panic is freed
 *
 * Return: true if the thread returned normally.
 */
bool tour_joined(int err, void **result);

/*
 * tour_wait_for() - park until *@count reaches @n, or one of @nh threads ends
 * before it has counted (weft panics a thread that cannot start properly)
 *
 * Return: true if the count was reached.
 */
bool tour_wait_for(_Atomic int *count, int n, const struct weft_join_handle *handles, int nh);

void tour_heading(const char *title);

void tour_process_start(void);	/* chapter 1: from execve to main */
void tour_threads(void);	/* chapter 2: native threads, parking, guard pages */
void tour_locals(void);		/* chapter 3: thread-locals and destructors */
void tour_keys(void);		/* chapter 3b: OS-style keys, for_each */
void tour_panics(void);		/* chapter 4: panics, scoped threads, stack overflow */
void tour_green(void);		/* chapter 5: green threads */
void tour_sync(void);		/* chapter 6: locks, poisoning, channels */

#endif
