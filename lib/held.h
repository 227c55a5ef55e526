/* SPDX-License-Identifier: MIT */
/* The held-lock record's header: what catch boundaries, panics and the green switch keep up. */
#ifndef WEFT_LIB_HELD_H
#define WEFT_LIB_HELD_H

#include <stdint.h>

#include "weft/held.h"

/*
 * DOC: the held-lock record, from below
 *
 * lib/held.c keeps, for each running context (a native thread, or a green
 * thread), the weft/sync.h locks it holds, so that a panic can release
 * what the frames it abandons hold (Documentation/sync.rst). The record
 * itself belongs to layer 7; three things below it must keep its marks
 * right, and this header gives them just that:
 *
 *  - a catch boundary (lib/panic.c) remembers how many entries were held
 *    when it was set up: the entries above that mark were taken inside it,
 *    and are the ones a panic jumping to it releases;
 *  - a panic marks the depth at which it began: entries taken from there
 *    on were taken while panicking, and do not poison;
 *  - the green switch (lib/green.c) points weft_held_cur at the record of
 *    the context it switches to.
 *
 * Until its first lock, a native thread's weft_held_cur points at
 * weft_held_none, a shared record with no room (cap 0) that is never
 * written: the first push finds it full and moves the thread to its own.
 */

/* struct weft_held and weft_held_cur: weft/held.h, for the inline mutex fast path. */

/* An empty record, for a green thread (the entries need no zeroing). */
static inline void weft_held_init(struct weft_held *h)
{
	h->n = h->low = h->mark = h->floor = h->untracked = 0;
	h->cap = WEFT_HELD_MAX;
}

/* lib/panic.c defines weft_held_cur (weft/held.h) and this. */
extern struct weft_held weft_held_none;

static inline uint32_t weft_held_max(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/*
 * A catch boundary is being set up. Return: the mark to give back to
 * weft_held_leave(). Writes nothing when the mark does not move, so
 * weft_held_none is never written.
 */
static inline uint32_t weft_held_enter(void)
{
	struct weft_held *h = weft_held_cur;
	uint32_t saved = h->mark;

	/* n >= low >= floor, so the new low is n. */
	if (h->n != saved)
		h->mark = h->low = h->n;
	return saved;
}

/* The boundary that weft_held_enter() returned @saved for is gone (returned, or jumped to). */
static inline void weft_held_leave(uint32_t saved)
{
	struct weft_held *h = weft_held_cur;

	if (h->mark != saved) {
		h->mark = saved;
		h->low = weft_held_max(saved, h->floor);
	}
}

/* A panic begins: whatever is taken from now on is taken while panicking. */
static inline void weft_held_panic_begin(void)
{
	struct weft_held *h = weft_held_cur;

	if (h->floor != h->n || h->low != h->n)
		h->floor = h->low = h->n;
}

/* The panic was caught: no longer in flight. */
static inline void weft_held_panic_end(void)
{
	struct weft_held *h = weft_held_cur;

	if (h->floor) {
		h->floor = 0;
		h->low = h->mark;
	}
}

#endif
