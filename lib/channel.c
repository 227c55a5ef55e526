// SPDX-License-Identifier: MIT
/* Channels of fixed-size messages: bounded, rendezvous and unbounded, with disconnection. */
#include <linux/errno.h>

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
 *  - rendezvous (capacity 0): one slot, and a send waits until a receiver
 *    has taken its message. Each message gets a ticket (sent); a receive
 *    advances taken; the sender returns once taken has reached its ticket.
 *    A sender whose deadline passes first takes its message back out of
 *    the slot (it is still there: no one else can queue behind it), so it
 *    was delivered exactly when the send returns 0.
 *
 * Disconnection: the last sender gone, receives drain the queue and then
 * fail with -EPIPE; the last receiver gone, queued messages are dropped
 * and sends fail with -EPIPE, leaving the message with the caller (Rust's
 * SendError gives it back). The channel is freed by whoever drops the last
 * handle of either kind.
 */

struct weft_channel {
	struct weft_mutex m;
	struct weft_condvar not_empty;	/* receivers sleep here */
	struct weft_condvar not_full;	/* senders sleep here */
	size_t msg_size;
	size_t capacity;		/* 0: rendezvous; WEFT_CHANNEL_UNBOUNDED */
	char *ring;
	size_t slots, head, len;
	long senders, receivers;
	uint64_t sent, taken;		/* rendezvous tickets */
	size_t receivers_waiting;	/* for a rendezvous try_send */
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
	if (--c->senders == 0)
		weft_condvar_notify_all(&c->not_empty);
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

static bool has_room(struct weft_channel *c)
{
	if (c->capacity == 0)
		return c->len == 0;
	return c->capacity == WEFT_CHANNEL_UNBOUNDED || c->len < c->capacity;
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
		if (has_room(c) && (!try || c->capacity != 0 || c->receivers_waiting > c->len))
			break;
		if (try || timed_out) {
			weft_mutex_unlock(&c->m);
			return try ? -EAGAIN : -ETIMEDOUT;
		}
		timed_out = weft_condvar_wait_until(&c->not_full, &c->m, deadline) == -ETIMEDOUT;
	}
	if (c->len == c->slots && grow(c)) {
		weft_mutex_unlock(&c->m);
		return -ENOMEM;
	}
	memcpy(slot(c, c->len), msg, c->msg_size);
	c->len++;
	ticket = ++c->sent;
	if (c->capacity != 0 || try) {
		/*
		 * Notify after unlocking, or the receiver wakes only to sleep
		 * again on the mutex we still hold. Our handle keeps @c alive.
		 */
		weft_mutex_unlock(&c->m);
		weft_condvar_notify_one(&c->not_empty);
		return 0;
	}
	weft_condvar_notify_one(&c->not_empty);
	/* Rendezvous: wait for a receiver to take it (or take it back). */
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
		timed_out = weft_condvar_wait_until(&c->not_full, &c->m, deadline) == -ETIMEDOUT;
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
		c->receivers_waiting++;
		timed_out = weft_condvar_wait_until(&c->not_empty, &c->m, deadline) == -ETIMEDOUT;
		c->receivers_waiting--;
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
