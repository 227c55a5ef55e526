/* SPDX-License-Identifier: MIT */
/* weft's own limits, in one place (as xv6's param.h): what each is, and why that size. */
#ifndef WEFT_LIB_PARAM_H
#define WEFT_LIB_PARAM_H

/*
 * Limits a program may rely on are in the public headers (WEFT_KEYS_MAX,
 * WEFT_DESTRUCTOR_ITERATIONS, WEFT_FAULT_RULES...); the arch's in
 * arch/<arch>/mm_arch.h (WEFT_ARCH_USER_ADDR_LIMIT). These are the library's
 * own sizes, none of them visible to a program but through its speed or its
 * memory.
 */

/* The reason shown after a traced call (sys_why()), per thread in the TCB. */
#define WEFT_WHY_MAX 96
/* One trace line, decoded arguments and reason included (lib/trace.c). */
#define WEFT_TRACE_LINE_MAX 512

/* Joined threads' mappings kept for the next spawn (lib/stack-cache.c). */
#define STACK_CACHE_SLOTS 16
#define STACK_CACHE_BYTES (64UL << 20)
/* Free green-thread stacks kept per OS thread's runtime; more are unmapped (lib/green.c). */
#define GREEN_STACK_CACHE 64

/* POSIX asks for at least 32 (ATEXIT_MAX); more come in heap blocks of 32 (lib/process.c). */
#define ATEXIT_PER_BLOCK 32

#endif
