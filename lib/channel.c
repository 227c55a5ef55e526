// SPDX-License-Identifier: MIT
/* Channels of fixed-size messages: bounded, rendezvous and unbounded, with disconnection. */
#include <linux/errno.h>

#include "lib/hooks.h"
#include "lib/sync-internal.h"

/*
 * DOC: channels
 *
 * Rust's std::sync::mpsc / mpmc semantics, built from the primitives of
 * this file's neighbours: one weft_mutex, two condvars, and a ring of
 * msg_size-byte slots.
 *
 *	  ring (slots of msg_size bytes)          senders wait on not_full
 *	  +-----+-----+-----+-----+-----+         receivers wait on not_empty
 *	  |     | m0  | m1  | m2  |     |
 *	  +-----+-----+-----+-----+-----+
 *	        ^head  len = 3
 *
 *  - bounded (capacity n >= 1): a send waits while n messages are queued;
 *  - unbounded: the ring doubles when full (a send can then fail with
 *    -ENOMEM, where Rust would abort);
 *  - rendezvous (capacity 0): a message passes from hand to hand, and a
 *    send or try_send returns 0 only once a receiver has it. A receiver
 *    that must wait queues a note on its own stack (struct rx_waiter:
 *    where to copy, a done flag, and a condvar of its own) and sleeps on
 *    it. A sender that finds a note copies the message straight into that
 *    receiver's buffer, sets done, unlinks the note and notifies that
 *    receiver alone: under the mutex, so the hand-off is one step, and the
 *    note is alive (its receiver cannot return before it has the mutex
 *    again; the wake itself waits for our unlock, lib/condvar.c). try_send
 *    does only that, and fails with -EAGAIN when no receiver waits (Rust's
 *    sync_channel(0)).
 *    A send that finds no receiver waiting puts its message in the one
 *    slot, with a ticket (sent), and waits: a receive takes it from the
 *    slot and advances taken, and the sender returns once taken has
 *    reached its ticket. A sender whose deadline passes first takes its
 *    message back out of the slot (it is still there: no one else can
 *    queue behind it).
 *
 *	 receiver R (recv_until)          sender S (try_send)
 *	 lock; nothing in the slot
 *	 queue note {buf, done = 0}
 *	 wait (unlocks) ....... deadline  lock; a note: copy into buf,
 *	                          passes  done = 1, unlink; unlock; wake
 *	 relock; done is set: return 0    return 0
 *
 *    The timeout boundary: a receiver whose wait ends (woken, timed out,
 *    or spuriously) looks at done before at the clock, so a message
 *    handed to it is received, deadline or not; one that gives up
 *    unlinks its note under the mutex, so no sender can hand it anything
 *    after. Either the hand-off or the unlink comes first, never both:
 *    each message is received exactly once, and exactly when its send
 *    returned 0.
 *
 * Disconnection: the last sender gone, receives drain the queue and then
 * fail with -EPIPE; the last receiver gone, queued messages are dropped
 * and sends fail with -EPIPE, leaving the message with the caller (Rust's
 * SendError gives it back). The channel is freed by whoever drops the last
 * handle of either kind.
 */

struct weft_channel {
	struct weft_mutex m;
	struct weft_condvar not_empty;	/* receivers sleep here (rendezvous: on their notes) */
	struct weft_condvar not_full;	/* senders sleep here */
	size_t msg_size;
	size_t capacity;		/* 0: rendezvous; WEFT_CHANNEL_UNBOUNDED */
	char *ring;
	size_t slots, head, len;
	long senders, receivers;
	uint64_t sent, taken;		/* rendezvous tickets */
	struct rx_waiter *rx_first;	/* rendezvous receivers waiting, oldest first */
	struct rx_waiter **rx_last;	/* &next of the newest one, or &rx_first */
};

/* A receiver waiting on a rendezvous channel; lives on its stack. */
struct rx_waiter {
	struct rx_waiter *next;
	void *msg;			/* where a sender copies the message */
	bool done;			/* set with the copy, under the mutex */
	struct weft_condvar cv;		/* this receiver sleeps here */
	struct weft_abandon abandon;	/* a green receiver's: unlinks the note */
	struct weft_channel *chan;
};

#define UNBOUNDED_FIRST_SLOTS 16

int weft_channel(struct weft_sender *tx, struct weft_receiver *rx, size_t msg_size,
		 size_t capacity)
{
	struct weft_channel *c;
	size_t slots;

	if (!tx || !rx)
		return -EINVAL;
	tx->chan = NULL;
	rx->chan = NULL;
	if (!msg_size)
		return -EINVAL;
	slots = capacity == WEFT_CHANNEL_UNBOUNDED ? UNBOUNDED_FIRST_SLOTS
		: capacity == 0			   ? 1
						   : capacity;
	if (slots > SIZE_MAX / msg_size)
		return -ENOMEM;
	c = weft_calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ring = weft_malloc(slots * msg_size);
	if (!c->ring) {
		weft_free(c);
		return -ENOMEM;
	}
	c->msg_size = msg_size;
	c->capacity = capacity;
	c->slots = slots;
	c->senders = 1;
	c->receivers = 1;
	c->rx_last = &c->rx_first;
	tx->chan = c;
	rx->chan = c;
	return 0;
}

/* Called with the mutex held; unlocks it, and frees @c if no handle is left. */
static void unlock_maybe_free(struct weft_channel *c)
{
	bool last = c->senders == 0 && c->receivers == 0;

	weft_mutex_unlock(&c->m);
	if (last) {
		weft_free(c->ring);
		weft_free(c);
	}
}

/* One more handle on @c, of the kind @count counts (senders or receivers). */
static int clone_handle(struct weft_channel *c, long *count, struct weft_channel **out)
{
	if (!c || !out)
		return -EINVAL;
	weft_mutex_lock(&c->m);
	(*count)++;
	weft_mutex_unlock(&c->m);
	*out = c;
	return 0;
}

int weft_sender_clone(const struct weft_sender *tx, struct weft_sender *out)
{
	struct weft_channel *c = tx ? tx->chan : NULL;

	return clone_handle(c, c ? &c->senders : NULL, out ? &out->chan : NULL);
}

int weft_receiver_clone(const struct weft_receiver *rx, struct weft_receiver *out)
{
	struct weft_channel *c = rx ? rx->chan : NULL;

	return clone_handle(c, c ? &c->receivers : NULL, out ? &out->chan : NULL);
}

void weft_sender_drop(struct weft_sender *tx)
{
	struct weft_channel *c = tx ? tx->chan : NULL;

	if (!c)
		return;
	tx->chan = NULL;
	weft_mutex_lock(&c->m);
	if (--c->senders == 0) {
		weft_condvar_notify_all(&c->not_empty);
		/* Rendezvous receivers wait on their notes: each sees senders == 0. */
		for (struct rx_waiter *w = c->rx_first; w; w = w->next)
			weft_condvar_notify_one(&w->cv);
	}
	unlock_maybe_free(c);
}

void weft_receiver_drop(struct weft_receiver *rx)
{
	struct weft_channel *c = rx ? rx->chan : NULL;

	if (!c)
		return;
	rx->chan = NULL;
	weft_mutex_lock(&c->m);
	if (--c->receivers == 0) {
		c->len = 0;	/* queued messages are dropped */
		weft_condvar_notify_all(&c->not_full);
	}
	unlock_maybe_free(c);
}

static void *slot(struct weft_channel *c, size_t i)
{
	return c->ring + ((c->head + i) % c->slots) * c->msg_size;
}

/* Make room for one more message in an unbounded channel: double the ring. */
static int grow(struct weft_channel *c)
{
	size_t slots = c->slots * 2;
	char *ring;

	if (slots > SIZE_MAX / 2 / c->msg_size)
		return -ENOMEM;
	ring = weft_malloc(slots * c->msg_size);
	if (!ring)
		return -ENOMEM;
	for (size_t i = 0; i < c->len; i++)
		memcpy(ring + i * c->msg_size, slot(c, i), c->msg_size);
	weft_free(c->ring);
	c->ring = ring;
	c->slots = slots;
	c->head = 0;
	return 0;
}

/*
 * Wait on @cv; true once @deadline has passed. The clock decides, not what
 * woke us: a waiter that notifies keep waking (for others) must still time
 * out. The caller looks at its condition first, so what arrived in time wins.
 */
static bool wait_expired(struct weft_condvar *cv, struct weft_mutex *m, uint64_t deadline)
{
	return weft_condvar_wait_until(cv, m, deadline) == -ETIMEDOUT ||
	       (deadline != WEFT_FOREVER && weft_now() >= deadline);
}

static bool has_room(struct weft_channel *c)
{
	if (c->capacity == 0)
		return c->len == 0;
	return c->capacity == WEFT_CHANNEL_UNBOUNDED || c->len < c->capacity;
}

/*
 * Rendezvous: hand @msg to the receiver that has waited longest. Called with
 * the mutex held and a receiver waiting; unlocks.
 */
static int hand_off(struct weft_channel *c, const void *msg)
{
	struct rx_waiter *w = c->rx_first;

	c->rx_first = w->next;
	if (!c->rx_first)
		c->rx_last = &c->rx_first;
	memcpy(w->msg, msg, c->msg_size);
	w->done = true;
	/* Before the unlock: @w may be gone after it. Only the receiver served wakes. */
	weft_condvar_notify_one(&w->cv);
	weft_mutex_unlock(&c->m);
	return 0;
}

/* @deadline 0 with @try: no waiting at all. */
static int send(struct weft_sender *tx, const void *msg, uint64_t deadline, bool try)
{
	struct weft_channel *c = tx ? tx->chan : NULL;
	bool timed_out = false;
	uint64_t ticket;

	if (!c || !msg)
		return -EINVAL;
	weft_mutex_lock(&c->m);
	for (;;) {
		if (c->receivers == 0) {
			weft_mutex_unlock(&c->m);
			return -EPIPE;
		}
		if (c->capacity == 0 && c->rx_first)
			return hand_off(c, msg);
		if (has_room(c) && !(try && c->capacity == 0))
			break;
		if (try || timed_out) {
			weft_mutex_unlock(&c->m);
			return try ? -EAGAIN : -ETIMEDOUT;
		}
		timed_out = wait_expired(&c->not_full, &c->m, deadline);
	}
	if (c->len == c->slots && grow(c)) {
		weft_mutex_unlock(&c->m);
		return -ENOMEM;
	}
	memcpy(slot(c, c->len), msg, c->msg_size);
	c->len++;
	ticket = ++c->sent;
	if (c->capacity != 0) {
		/*
		 * Notify after unlocking, or the receiver wakes only to sleep
		 * again on the mutex we still hold. Our handle keeps @c alive.
		 */
		weft_mutex_unlock(&c->m);
		weft_condvar_notify_one(&c->not_empty);
		return 0;
	}
	/*
	 * Rendezvous, and no receiver waits (it would have been handed the
	 * message, above): wait for one to come and take it, or take it back.
	 */
	timed_out = false;
	while (c->taken < ticket) {
		if (c->receivers == 0 || timed_out) {
			if (c->receivers != 0) {
				/* Ours is the one message in the slot: take it back. */
				c->len = 0;
				c->sent--;
				weft_condvar_notify_one(&c->not_full);
			}
			weft_mutex_unlock(&c->m);
			return c->receivers == 0 ? -EPIPE : -ETIMEDOUT;
		}
		timed_out = wait_expired(&c->not_full, &c->m, deadline);
	}
	weft_mutex_unlock(&c->m);
	return 0;
}

int weft_send_until(struct weft_sender *tx, const void *msg, uint64_t deadline)
{
	return send(tx, msg, deadline, false);
}

int weft_send(struct weft_sender *tx, const void *msg)
{
	return send(tx, msg, WEFT_FOREVER, false);
}

int weft_try_send(struct weft_sender *tx, const void *msg)
{
	return send(tx, msg, 0, true);
}

static void rx_unlink(struct weft_channel *c, struct rx_waiter *w)
{
	struct rx_waiter **p = &c->rx_first;

	while (*p != w)
		p = &(*p)->next;
	*p = w->next;
	if (!*p)
		c->rx_last = p;
}

/*
 * A green receiver whose OS thread ended while it waited (lib/green.c,
 * orphan_all()): its note, and the buffer it names, are on a stack that a
 * join of it unmaps. Take the note out, so that no sender copies into it.
 * A message already handed over (done) stays the orphan's: its sender was
 * told it was received (Documentation/green-threads.rst).
 */
static void abandon_note(struct weft_abandon *a)
{
	struct rx_waiter *w = (struct rx_waiter *)(void *)((char *)a -
							    offsetof(struct rx_waiter, abandon));
	struct weft_channel *c = w->chan;

	weft_mutex_lock(&c->m);
	if (!w->done)
		rx_unlink(c, w);
	weft_mutex_unlock(&c->m);
}

/*
 * Rendezvous: nothing in the slot, so wait to be handed a message. Called
 * with the mutex held; unlocks.
 */
static int recv_handed(struct weft_channel *c, void *msg, uint64_t deadline)
{
	struct rx_waiter w = {
		.next = NULL, .msg = msg, .done = false,
		.abandon = { .undo = abandon_note }, .chan = c
	};
	bool green = weft_tcb()->green_current != NULL;
	int r = 0;

	*c->rx_last = &w;
	c->rx_last = &w.next;
	if (green)
		weft_green_abandon_push(&w.abandon);
	for (;;) {
		bool timed_out = wait_expired(&w.cv, &c->m, deadline);

		/* done first: a message handed to us is ours, deadline or not. */
		if (w.done)
			break;
		if (c->senders == 0 || timed_out) {
			rx_unlink(c, &w);
			r = c->senders == 0 ? -EPIPE : -ETIMEDOUT;
			break;
		}
	}
	if (green)
		weft_green_abandon_pop(&w.abandon);
	/* No ticket to count: taken counts what receivers take out of the slot. */
	weft_mutex_unlock(&c->m);
	return r;
}

static int recv(struct weft_receiver *rx, void *msg, uint64_t deadline, bool try)
{
	struct weft_channel *c = rx ? rx->chan : NULL;
	bool timed_out = false;

	if (!c || !msg)
		return -EINVAL;
	weft_mutex_lock(&c->m);
	while (c->len == 0) {
		if (c->senders == 0 || try || timed_out) {
			weft_mutex_unlock(&c->m);
			return c->senders == 0 ? -EPIPE : try ? -EAGAIN : -ETIMEDOUT;
		}
		if (c->capacity == 0)
			return recv_handed(c, msg, deadline);
		timed_out = wait_expired(&c->not_empty, &c->m, deadline);
	}
	memcpy(msg, slot(c, 0), c->msg_size);
	c->head = (c->head + 1) % c->slots;
	c->len--;
	if (c->capacity == 0)
		c->taken++;
	weft_mutex_unlock(&c->m);
	/* The rendezvous sender waits for its ticket, other senders for the slot. */
	if (c->capacity == 0)
		weft_condvar_notify_all(&c->not_full);
	else
		weft_condvar_notify_one(&c->not_full);
	return 0;
}

int weft_recv_until(struct weft_receiver *rx, void *msg, uint64_t deadline)
{
	return recv(rx, msg, deadline, false);
}

int weft_recv(struct weft_receiver *rx, void *msg)
{
	return recv(rx, msg, WEFT_FOREVER, false);
}

int weft_try_recv(struct weft_receiver *rx, void *msg)
{
	return recv(rx, msg, 0, true);
}
