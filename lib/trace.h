/* SPDX-License-Identifier: MIT */
/* Tracing and fault injection (lib/trace.c): what the rest of lib/ asks of them. */
#ifndef WEFT_LIB_TRACE_H
#define WEFT_LIB_TRACE_H

#include <stdbool.h>
#include <stddef.h>

#include "kernel-abi/sys.h"

/*
 * DOC: the tracer, a link-time option
 *
 * lib/trace.c (WEFT_TRACE, WEFT_FAULT, weft/fault.h) is linked only into a
 * program that asks for it, as ftrace is a kernel config option: with
 * `pkg-config --libs weft-trace`, -Wl,-u,weft_trace_start, or a call to
 * weft_fault_inject() and the rest of weft/fault.h. weft's own tests,
 * samples and tour all link it. Nothing else in lib/ names it: lib/start.c
 * calls weft_trace_start() through a weak reference (lib/hooks.h), which
 * fills weft_tracer below with the tracer's entry points before anything
 * else runs, and installs the system-call hook while tracing or a fault rule
 * is on. In a program linked without it, each member stays a function that
 * does nothing (lib/start.c), the hook is never set, and start-up says so if
 * WEFT_TRACE or WEFT_FAULT asks for it. So a call needs no test of its own:
 * the `why` of cold code is one indirect call, as it was one direct call.
 */
struct weft_tracer {
	/* For calls made outside sys_*() (the clone trampoline): the -errno to fail with, or 0. */
	long (*pre)(long nr);
	/* ... and the trace line of such a call, as injected if pre() failed it. */
	void (*post)(long nr, const long args[6], long ret, bool injected);
	/* Log a call that assembly will make where C cannot follow (result shown as "?"). */
	void (*ahead)(long nr, long a1, long a2, long a3, long a4);
	/* The reason shown after the calling thread's next traced call (sys_why()). */
	void (*why)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
};

/* Filled by lib/trace.c's weft_trace_start(), at start-up; do-nothings without the tracer. */
extern struct weft_tracer weft_tracer;

/*
 * Fault check and trace for calls made outside sys_*(): see struct weft_tracer.
 * The hook is tested first, inline: spawning a thread calls this.
 */
static inline __attribute__((always_inline)) long weft_sys_pre(long nr)
{
	return weft_sys_unlikely(weft_sys_hook_now()) ? weft_tracer.pre(nr) : 0;
}

/*
 * The reason shown after a traced call: "(why: thread 'worker' stack)".
 * Formatting happens only while tracing, so callers may use it on hot paths.
 * It applies to the calling thread's next traced system call only. Hot code
 * tests the hook first; cold code calls unconditionally (fewer bytes a call
 * site), and the tracer tests the hook itself.
 */
#define sys_why(...)                                                                  \
	do {                                                                          \
		if (WEFT_SYS_OUT_OF_LINE || weft_sys_unlikely(weft_sys_hook_now()))   \
			weft_tracer.why(__VA_ARGS__);                                 \
	} while (0)

/* lib/errno-name.c: the number of the errno whose name is the @n bytes at @s, or -1. */
int weft_errno_by_name(const char *s, size_t n);

#endif
