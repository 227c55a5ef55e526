/* SPDX-License-Identifier: MIT */
/* The thread control block: weft's per-thread record, next to the thread pointer. */
#ifndef WEFT_LIB_TCB_H
#define WEFT_LIB_TCB_H

#include <stddef.h>
#include <stdint.h>

#include "tp_arch.h"

#include "lib/param.h"

struct weft_thread;
struct weft_native;
struct weft_catch;
struct weft_dtor;
struct weft_green_runtime;
struct weft_green;

/*
 * DOC: struct weft_tcb
 *
 * Where it sits depends on the architecture's TLS variant
 * (arch/<arch>/tp_arch.h; Documentation/porting.rst draws all three):
 *
 * x86_64, variant II: the thread pointer points here, and the thread's
 * static TLS block ends right below:
 *
 *     lower addresses                                      higher addresses
 *     +--------------------------------------+-----------------------------+
 *     | TLS block: .tdata copy | .tbss zeros | struct weft_tcb             |
 *     +--------------------------------------+-----------------------------+
 *     ^ tp - tls_size                        ^ tp = tcb = tcb->self
 *
 * aarch64 and riscv64, variant I: the TLS block is above tp, so weft's TCB
 * goes right below it, as musl puts its struct pthread:
 *
 *     +-----------------------------+-----+--------------------------------+
 *     | struct weft_tcb             | gap | TLS block: .tdata | .tbss      |
 *     +-----------------------------+-----+--------------------------------+
 *     ^ tcb = tp - sizeof(*tcb)     ^ tp  ^ tp + 16 (aarch64) or tp (riscv64)
 *
 * The first words are ABI on x86_64, read by compiled code at fixed offsets
 * from the thread pointer (arch/x86_64/tp_arch.h):
 *   0x00 self:   compilers load it to form the address of a TLS variable;
 *   0x28 canary: -fstack-protector code compares against it.
 * The other arches read neither (the canary is the global __stack_chk_guard),
 * but keep the same layout so that every offset is the same everywhere.
 * Everything after that is weft's own, grouped by who may touch it.
 */
struct weft_tcb {
	/* ABI: fixed offsets. */
	struct weft_tcb *self;		/* 0x00: this TCB (the thread pointer on x86_64) */
	void *dtv;			/* 0x08: no dynamic TLS: always NULL */
	void *abi_reserved[3];		/* 0x10: glibc's slots, unused */
	uintptr_t canary;		/* 0x28: stack-protector canary (x86_64 reads it) */
	uintptr_t pointer_guard;	/* 0x30: glibc's, unused */

	/* Set once when the thread starts; read by other code in this thread. */
	struct weft_thread *current;	/* weft_current() */
	struct weft_native *native;	/* spawn control block; NULL in main */
	int tid;			/* kernel thread id */
	int err;			/* errno-like slot for C callers */
	uintptr_t guard_lo, guard_hi;	/* stack-overflow guard range [lo, hi) */
	void *altstack;			/* sigaltstack area (its guard page is below) */
	size_t altstack_len;

	/* Panics (lib/panic.c): only this thread. */
	struct weft_catch *catch_top;	/* innermost catch boundary */
	int panicking;			/* a panic is in flight */
	int exiting;			/* thread-exit work has begun */

	/*
	 * LocalKey destructors (lib/local.c): only this thread. OS keys keep
	 * their per-thread state in __thread variables of lib/key.c instead.
	 */
	struct weft_dtor *dtors;	/* LIFO list of LocalKey destructors */

	/* Green threads (lib/green.c): only this thread. */
	struct weft_green_runtime *green;
	struct weft_green *green_current;

	/* Tracing: the reason for this thread's next traced system call. */
	char why[WEFT_WHY_MAX];

	/* Top of this thread's stack (its bottom is guard_hi); for weft_stack_info(). */
	uintptr_t stack_hi;
} __attribute__((aligned(64)));

#ifdef WEFT_ARCH_CANARY_OFFSET
_Static_assert(offsetof(struct weft_tcb, canary) == WEFT_ARCH_CANARY_OFFSET,
	       "the stack protector reads the canary at a fixed offset");
#endif

/** weft_tcb_tp() - the thread pointer that makes @tcb the current thread's TCB. */
static inline void *weft_tcb_tp(struct weft_tcb *tcb)
{
	return WEFT_ARCH_TLS_ABOVE_TP ? (void *)(tcb + 1) : (void *)tcb;
}

/** weft_tp_tcb() - the TCB that belongs with the thread pointer @tp. */
static inline struct weft_tcb *weft_tp_tcb(void *tp)
{
	return WEFT_ARCH_TLS_ABOVE_TP ? (struct weft_tcb *)tp - 1 : (struct weft_tcb *)tp;
}

/** weft_tcb() - the calling thread's control block. */
static inline struct weft_tcb *weft_tcb(void)
{
	return weft_tp_tcb(weft_arch_tp());
}

#endif
