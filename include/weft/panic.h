/* SPDX-License-Identifier: MIT */
/* Panics: Rust's panic!, catch_unwind and resume_unwind for C, caught at thread boundaries. */
#ifndef WEFT_PANIC_H
#define WEFT_PANIC_H

#include <stdbool.h>

/*
 * DOC: panics
 *
 * weft_panic("bad %d", x) prints
 *
 *	thread '<name>' panicked at file.c:42:
 *	bad 7
 *
 * (through the panic hook) and "unwinds" to the nearest catch boundary: the
 * thread's entry (then weft_join() returns WEFT_PANICKED with the payload),
 * or a weft_catch_panic() call. C has no destructors, so the unwinding is a
 * jump: frames in between are abandoned, locks they held stay held, memory
 * they allocated is not freed. Thread-local destructors still run at thread
 * exit, with weft_panicking() true. A panic with no boundary (in main) exits
 * the process with status 101; a panic while panicking aborts.
 */

/* The payload: what a boundary receives. Owned by whoever catches it. */
struct weft_panic;

/**
 * struct weft_panic_info - what a panic hook is told
 * @thread_name: the panicking thread's name, "<unnamed>" if it has none
 * @file: source file of the weft_panic() call
 * @line: its line
 * @message: the formatted message
 * @green: true if the panicking thread is a green thread
 */
struct weft_panic_info {
	const char *thread_name;
	const char *file;
	int line;
	const char *message;
	bool green;
};

typedef void (*weft_panic_hook_t)(const struct weft_panic_info *info);

#define weft_panic(...) weft_panic_at(__FILE__, __LINE__, __VA_ARGS__)

/**
 * weft_panic_at() - panic: report through the hook, then unwind
 * @file: where (weft_panic() passes __FILE__)
 * @line: where (__LINE__)
 * @fmt: printf-style message format
 *
 * Never returns.
 */
__attribute__((noreturn, format(printf, 3, 4))) void weft_panic_at(const char *file, int line,
								    const char *fmt, ...);

/**
 * weft_catch_panic() - call @fn(@arg), catching a panic (Rust's catch_unwind)
 * @fn: the function
 * @arg: its argument
 * @result: receives @fn's return value, or the struct weft_panic * payload
 *
 * Return: 0 if @fn returned, WEFT_PANICKED (1) if it panicked; then the
 * caller owns the payload (weft_panic_free() or weft_resume_panic()).
 */
int weft_catch_panic(void *(*fn)(void *), void *arg, void **result);

/**
 * weft_resume_panic() - continue unwinding with a caught payload (resume_unwind)
 * @payload: from weft_catch_panic() or weft_join(); ownership passes on
 *
 * Does not call the panic hook again. Never returns.
 */
__attribute__((noreturn)) void weft_resume_panic(struct weft_panic *payload);

/** weft_panicking() - is a panic in flight in the calling thread? Return: true if so. */
bool weft_panicking(void);

/** weft_panic_message() - the formatted message of a payload. @p: the payload. */
const char *weft_panic_message(const struct weft_panic *p);

/** weft_panic_free() - free a payload; NULL is ignored. @p: the payload. */
void weft_panic_free(struct weft_panic *p);

/**
 * weft_set_panic_hook() - replace the function that reports panics (Rust's set_hook)
 * @hook: the new hook, or NULL for the default one
 *
 * The hook runs in the panicking thread, before unwinding.
 *
 * Return: the previous hook (never NULL).
 */
weft_panic_hook_t weft_set_panic_hook(weft_panic_hook_t hook);

/**
 * weft_default_panic_hook() - the default hook: the two-line report on stderr
 * @info: what panicked, where
 */
void weft_default_panic_hook(const struct weft_panic_info *info);

#endif
