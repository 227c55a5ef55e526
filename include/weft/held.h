/* SPDX-License-Identifier: MIT */
/* The held-lock record's layout: not API, shared by lib/ and the inline mutex fast path. */
#ifndef WEFT_HELD_H
#define WEFT_HELD_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Nothing here is for programs to use. It is in include/ only because
 * weft_mutex_lock() and weft_mutex_unlock() are inline (weft/sync.h), as
 * Rust's Mutex::lock is: their fast path writes the running context's
 * held-lock record itself. lib/held.h and lib/held.c own the record
 * (Documentation/sync.rst, "the held-lock record"); the layout may change
 * from one weft version to the next, as every program is linked statically
 * against the weft it was compiled with.
 */

#define WEFT_HELD_MAX 32

struct weft_held {
	uint32_t n;		/* entries in use, e[0..n) */
	uint32_t low;		/* max(mark, floor): a pop below it takes the slow path */
	uint32_t cap;		/* WEFT_HELD_MAX; 0 in weft_held_none */
	uint32_t mark;		/* n when the innermost catch boundary was set up */
	uint32_t floor;		/* n when the current panic began; 0 when none is in flight */
	uint32_t untracked;	/* locks taken while the record was full */
	uintptr_t e[WEFT_HELD_MAX];	/* lock | kind; 0: released out of order (a hole) */
} __attribute__((aligned(16)));	/* a green stack's top: its first frame goes below */

/* The running context's record. Local-exec: weft programs are static executables. */
extern __thread struct weft_held *weft_held_cur __attribute__((tls_model("local-exec")));

/*
 * Is @entry (a lock's address | its kind) the newest of @h's @n entries, and
 * at or above @low? The one test behind every "is this the lock I took
 * last?": the inline unlock's, and lib/sync-internal.h's.
 */
static inline bool weft_held_on_top(const struct weft_held *h, uint32_t n, uint32_t low,
				    uintptr_t entry)
{
	return n > low && h->e[n - 1] == entry;
}

#endif
