/* SPDX-License-Identifier: MIT */
/* The thread control block: what %fs points at, one per thread. */
#ifndef WEFT_LIB_TCB_H
#define WEFT_LIB_TCB_H

#include <stddef.h>
#include <stdint.h>

#include "tp_arch.h"

struct weft_thread;
struct weft_native;
struct weft_catch;
struct weft_dtor;
struct weft_green_runtime;
struct weft_green;

/*
 * DOC: struct weft_tcb
 *
 * On x86_64 (TLS variant II) the thread pointer points here, and the
 * thread's static TLS block ends right below:
 *
 *     lower addresses                                      higher addresses
 *     +--------------------------------------+-----------------------------+
 *     | TLS block: .tdata copy | .tbss zeros | struct weft_tcb             |
 *     +--------------------------------------+-----------------------------+
 *     ^ tp - tls_size                        ^ tp = %fs base = tcb->self
 *
 * The first words are ABI, read by compiled code at fixed offsets:
 *   0x00 self:   compilers load %fs:0 to form the address of a TLS variable;
 *   0x28 canary: -fstack-protector code compares against %fs:0x28.
 * Everything after that is weft's own, grouped by who may touch it.
 */
struct weft_tcb {
	/* ABI: fixed offsets. */
	struct weft_tcb *self;		/* 0x00: the thread pointer itself */
	void *dtv;			/* 0x08: no dynamic TLS: always NULL */
	void *abi_reserved[3];		/* 0x10: glibc's slots, unused */
	uintptr_t canary;		/* 0x28: stack-protector canary */
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
	 * Thread-local destructors (lib/local.c, lib/key.c): only this thread.
	 * key_values and key_capacity are read inline by include/weft/key.h at
	 * a fixed offset from tp (__WEFT_TCB_KEYS_OFFSET, checked in lib/key.c).
	 */
	struct weft_dtor *dtors;	/* LIFO list of LocalKey destructors */
	void **key_values;		/* OS-key element array, indexed by key id */
	size_t key_capacity;		/* grown under the key lock */
	struct weft_tcb *key_next, *key_prev;	/* all threads' arrays, key lock */

	/* Green threads (lib/green.c): only this thread. */
	struct weft_green_runtime *green;
	struct weft_green *green_current;

	/* Tracing: the reason for this thread's next traced system call. */
	char why[96];

	/* Top of this thread's stack (its bottom is guard_hi); for weft_stack_info(). */
	uintptr_t stack_hi;
} __attribute__((aligned(64)));

_Static_assert(offsetof(struct weft_tcb, canary) == WEFT_ARCH_CANARY_OFFSET,
	       "the stack protector reads the canary at a fixed offset");

/** weft_tcb() - the calling thread's control block. */
static inline struct weft_tcb *weft_tcb(void)
{
	return (struct weft_tcb *)weft_arch_tp();
}

#endif
