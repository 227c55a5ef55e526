/* SPDX-License-Identifier: MIT */
/* Tracing and fault injection (lib/trace.c): what the rest of lib/ asks of them. */
#ifndef WEFT_LIB_TRACE_H
#define WEFT_LIB_TRACE_H

#include <stdbool.h>

#include "kernel-abi/sys.h"

/* Read WEFT_TRACE and WEFT_FAULT at start-up, before TLS exists. */
void weft_trace_init(const char *value, bool secure);
void weft_fault_init(const char *value, bool secure);

/*
 * Fault check and trace for calls made outside sys_*() (the clone trampoline):
 * weft_sys_pre() returns the -errno to fail the call with, or 0 to make it;
 * weft_sys_post() traces it, as injected if weft_sys_pre() failed it.
 */
long weft_sys_pre(long nr);
void weft_sys_post(long nr, const long args[6], long ret, bool injected);
/* Log a call that assembly will make where C cannot follow (result shown as "?"). */
void weft_sys_trace_ahead(long nr, long a1, long a2, long a3, long a4);

/*
 * The reason shown after a traced call: "(why: thread 'worker' stack)".
 * Formatting happens only while tracing, so callers may use it on hot paths.
 * It applies to the calling thread's next traced system call only. Cold code
 * calls weft_sys_set_why() unconditionally; it tests the hook itself.
 */
void weft_sys_set_why(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define sys_why(...)                                                                  \
	do {                                                                          \
		if (WEFT_SYS_OUT_OF_LINE || weft_sys_unlikely(weft_sys_hook_now()))   \
			weft_sys_set_why(__VA_ARGS__);                                \
	} while (0)

#endif
