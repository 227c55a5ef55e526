// SPDX-License-Identifier: MIT
/* Channels: bounded, rendezvous and unbounded; exactly-once delivery, timeouts, disconnection. */
#include <stdatomic.h>

#include <linux/errno.h>
#include <asm/unistd.h>

#include "weft/alloc.h"
#include "weft/fault.h"
#include "weft/green.h"
#include "weft/sync.h"
#include "weft/thread.h"
#include "weft/time.h"

#include "harness.h"
#include "lib/thread.h"

#define MS (1000ULL * 1000)

struct msg {
	uint32_t producer;
	uint32_t seq;
};

struct producer_arg {
	struct weft_sender tx;
	uint32_t id, count;
};

static void *producer(void *arg)
{
	struct producer_arg *p = arg;

	for (uint32_t i = 0; i < p->count; i++) {
		struct msg m = { p->id, i };

		if (weft_send(&p->tx, &m))
			return (void *)1;
	}
	weft_sender_drop(&p->tx);
	return NULL;
}

/* 8 producers; the receiver gets each message once, in order per producer, then -EPIPE. */
static void exactly_once(struct __test_metadata *_metadata, size_t capacity, uint32_t count)
{
	struct producer_arg args[8];
	struct weft_join_handle h[8];
	struct weft_sender tx;
	struct weft_receiver rx;
	uint32_t next[8] = { 0 };
	struct msg m;
	uint64_t total = 0;
	int r;

	ASSERT_EQ(weft_channel(&tx, &rx, sizeof(struct msg), capacity), 0);
	for (uint32_t i = 0; i < 8; i++) {
		args[i].id = i;
		args[i].count = count;
		ASSERT_EQ(weft_sender_clone(&tx, &args[i].tx), 0);
		ASSERT_EQ(weft_spawn(&h[i], producer, &args[i]), 0);
	}
	weft_sender_drop(&tx);	/* only the producers' senders are left */
	while ((r = weft_recv(&rx, &m)) == 0) {
		ASSERT_LT(m.producer, 8);
		ASSERT_EQ(m.seq, next[m.producer]);	/* no loss, no duplicate, in order */
		next[m.producer]++;
		total++;
	}
	ASSERT_EQ(r, -EPIPE);
	for (int i = 0; i < 8; i++) {
		ASSERT_EQ(weft_join(&h[i], NULL), 0);
		ASSERT_EQ(next[i], count);
	}
	ASSERT_EQ(total, 8ULL * count);
	weft_receiver_drop(&rx);
}

TEST(channel_bounded_8_producers_x_10000_exactly_once_in_order)
{
	exactly_once(_metadata, 16, test_under_qemu() ? 2000 : 10000);
}

TEST(channel_unbounded_8_producers_exactly_once_in_order)
{
	exactly_once(_metadata, WEFT_CHANNEL_UNBOUNDED, test_under_qemu() ? 1000 : 5000);
}

TEST(channel_rendezvous_8_producers_exactly_once_in_order)
{
	exactly_once(_metadata, 0, test_under_qemu() ? 200 : 1000);
}

/* Rust's mpsc test: empty, a message, empty, disconnected. */
TEST(channel_disconnect_sequence)
{
	struct weft_sender tx;
	struct weft_receiver rx;
	int v = 7, out = 0;

	ASSERT_EQ(weft_channel(&tx, &rx, sizeof(int), 4), 0);
	ASSERT_EQ(weft_try_recv(&rx, &out), -EAGAIN);
	ASSERT_EQ(weft_send(&tx, &v), 0);
	ASSERT_EQ(weft_try_recv(&rx, &out), 0);
	ASSERT_EQ(out, 7);
	ASSERT_EQ(weft_try_recv(&rx, &out), -EAGAIN);
	/* Queued messages outlive the sender: drained first, then -EPIPE. */
	v = 8;
	ASSERT_EQ(weft_send(&tx, &v), 0);
	weft_sender_drop(&tx);
	weft_sender_drop(&tx);	/* a second drop is a no-op */
	ASSERT_EQ(weft_recv(&rx, &out), 0);
	ASSERT_EQ(out, 8);
	ASSERT_EQ(weft_try_recv(&rx, &out), -EPIPE);
	ASSERT_EQ(weft_recv(&rx, &out), -EPIPE);
	ASSERT_EQ(weft_recv_until(&rx, &out, weft_deadline_in(MS)), -EPIPE);
	weft_receiver_drop(&rx);
}

TEST(channel_send_after_receiver_is_gone_fails_and_keeps_the_message)
{
	struct weft_sender tx;
	struct weft_receiver rx, rx2;
	int v = 1;

	ASSERT_EQ(weft_channel(&tx, &rx, sizeof(int), 2), 0);
	ASSERT_EQ(weft_receiver_clone(&rx, &rx2), 0);
	ASSERT_EQ(weft_send(&tx, &v), 0);
	weft_receiver_drop(&rx);
	ASSERT_EQ(weft_send(&tx, &v), 0);	/* one receiver is left */
	weft_receiver_drop(&rx2);
	ASSERT_EQ(weft_send(&tx, &v), -EPIPE);
	ASSERT_EQ(weft_try_send(&tx, &v), -EPIPE);
	ASSERT_EQ(v, 1);
	weft_sender_drop(&tx);
}

TEST(channel_bad_arguments)
{
	struct weft_sender tx = { 0 };
	struct weft_receiver rx = { 0 };
	int v = 0;

	ASSERT_EQ(weft_channel(NULL, &rx, 4, 1), -EINVAL);
	ASSERT_EQ(weft_channel(&tx, &rx, 0, 1), -EINVAL);
	ASSERT_EQ(weft_channel(&tx, &rx, SIZE_MAX / 2, 4), -ENOMEM);
	ASSERT_EQ(weft_send(&tx, &v), -EINVAL);
	ASSERT_EQ(weft_recv(&rx, &v), -EINVAL);
	ASSERT_EQ(weft_sender_clone(&tx, &tx), -EINVAL);
	ASSERT_EQ(weft_receiver_clone(&rx, &rx), -EINVAL);
	weft_sender_drop(&tx);
	weft_receiver_drop(NULL);
}

TEST(channel_timeouts_lose_and_duplicate_nothing)
{
	struct weft_sender tx;
	struct weft_receiver rx;
	uint64_t deadline;
	int v = 5, out = 0;

	/* Bounded: full, the timed send gives up; empty, the timed receive does. */
	ASSERT_EQ(weft_channel(&tx, &rx, sizeof(int), 1), 0);
	ASSERT_EQ(weft_send(&tx, &v), 0);
	ASSERT_EQ(weft_try_send(&tx, &v), -EAGAIN);
	deadline = weft_deadline_in(2 * MS);
	ASSERT_EQ(weft_send_until(&tx, &v, deadline), -ETIMEDOUT);
	ASSERT_GE(weft_now(), deadline);
	ASSERT_EQ(weft_recv(&rx, &out), 0);
	ASSERT_EQ(weft_recv_until(&rx, &out, weft_deadline_in(2 * MS)), -ETIMEDOUT);
	weft_sender_drop(&tx);
	weft_receiver_drop(&rx);

	/* Rendezvous: nobody receives, the send takes its message back. */
	ASSERT_EQ(weft_channel(&tx, &rx, sizeof(int), 0), 0);
	ASSERT_EQ(weft_try_send(&tx, &v), -EAGAIN);	/* no receiver waiting */
	ASSERT_EQ(weft_send_until(&tx, &v, weft_deadline_in(2 * MS)), -ETIMEDOUT);
	ASSERT_EQ(weft_try_recv(&rx, &out), -EAGAIN);	/* not delivered */
	weft_sender_drop(&tx);
	weft_receiver_drop(&rx);
}

/* Timed sends and receives racing: every message sent (return 0) is received once. */
struct race {
	struct weft_sender tx;
	uint32_t sent;
};

static void *timed_sender(void *arg)
{
	struct race *r = arg;

	for (uint32_t i = 0; i < 2000; i++) {
		struct msg m = { 0, r->sent };

		if (weft_send_until(&r->tx, &m, weft_deadline_in(20 * 1000)) == 0)
			r->sent++;
	}
	weft_sender_drop(&r->tx);
	return NULL;
}

/*
 * @sender on a thread of its own, timed receives here: every message it
 * counted as sent is received once, in order. With @faults, FUTEX_WAIT
 * returns spuriously now and then (EINTR, EAGAIN).
 */
static void race_at_timeouts(struct __test_metadata *_metadata, size_t capacity,
			     weft_thread_fn sender, bool faults)
{
	struct weft_receiver rx;
	struct weft_join_handle h;
	struct race r = { .sent = 0 };
	uint32_t got = 0;
	struct msg m;
	int ret;

	ASSERT_EQ(weft_channel(&r.tx, &rx, sizeof(m), capacity), 0);
	if (faults) {
		ASSERT_EQ(weft_fault_inject(__NR_futex, 7, EINTR), 0);
		ASSERT_EQ(weft_fault_inject(__NR_futex, 11, EAGAIN), 0);
	}
	ASSERT_EQ(weft_spawn(&h, sender, &r), 0);
	while ((ret = weft_recv_until(&rx, &m, weft_deadline_in(15 * 1000))) != -EPIPE) {
		if (ret == -ETIMEDOUT)
			continue;
		ASSERT_EQ(ret, 0);
		ASSERT_EQ(m.seq, got);	/* the next one: none lost or repeated */
		got++;
	}
	ASSERT_EQ(weft_join(&h, NULL), 0);
	weft_fault_clear();
	ASSERT_EQ(got, r.sent);
	weft_receiver_drop(&rx);
}

TEST(channel_rendezvous_timeouts_race_without_loss_or_duplication)
{
	race_at_timeouts(_metadata, 0, timed_sender, false);
}

TEST(channel_bounded_timeouts_race_without_loss_or_duplication)
{
	race_at_timeouts(_metadata, 1, timed_sender, false);
}

TEST(channel_rendezvous_send_returns_after_the_receive)
{
	struct weft_sender tx;
	struct weft_receiver rx;
	struct race r;
	struct weft_join_handle h;
	struct msg m;

	ASSERT_EQ(weft_channel(&tx, &rx, sizeof(m), 0), 0);
	r.tx = tx;
	r.sent = 0;
	ASSERT_EQ(weft_spawn(&h, timed_sender, &r), 0);
	for (uint32_t i = 0; weft_recv(&rx, &m) == 0; i++)
		ASSERT_EQ(m.seq, i);
	ASSERT_EQ(weft_join(&h, NULL), 0);
	weft_receiver_drop(&rx);
}

TEST(channel_unbounded_growth_out_of_memory)
{
	struct weft_sender tx;
	struct weft_receiver rx;
	static char big[64 << 10];
	int r = 0, sent = 0;

	ASSERT_EQ(weft_channel(&tx, &rx, sizeof(big), WEFT_CHANNEL_UNBOUNDED), 0);
	ASSERT_EQ(weft_fault_inject(__NR_mmap, WEFT_FAULT_EVERY, ENOMEM), 0);
	while (sent < 64 && (r = weft_send(&tx, big)) == 0)
		sent++;
	weft_fault_clear();
	ASSERT_EQ(r, -ENOMEM);	/* doubling a ring of 64 KiB messages needs fresh memory */
	for (int i = 0; i < sent; i++)
		ASSERT_EQ(weft_try_recv(&rx, big), 0);
	ASSERT_EQ(weft_try_recv(&rx, big), -EAGAIN);
	weft_sender_drop(&tx);
	weft_receiver_drop(&rx);
}

/*
 * ---- the timeout boundary, in a fixed order ---------------------------------
 *
 * Green threads of one OS thread run one at a time and switch only where
 * they block or yield, so the orders below are the only ones possible: a
 * green receiver (or sender) blocks with a deadline, the test thread lets
 * that deadline pass without yielding (the blocked one cannot run, so it
 * cannot time out yet), then acts; the blocked one then finds both the
 * clock past its deadline and the other side's action.
 */
struct boundary {
	struct weft_sender tx;
	struct weft_receiver rx;
	uint64_t deadline;
	int ret, value;
};

static void *timed_recv(void *arg)
{
	struct boundary *b = arg;

	b->value = -1;
	b->ret = weft_recv_until(&b->rx, &b->value, b->deadline);
	return NULL;
}

static void *timed_send(void *arg)
{
	struct boundary *b = arg;

	b->ret = weft_send_until(&b->tx, &b->value, b->deadline);
	return NULL;
}

/* Run @fn as a green thread until it blocks, then let its deadline pass. */
static int start_and_outlive(struct boundary *b, weft_thread_fn fn, struct weft_green_handle *g)
{
	int r;

	b->ret = 1;	/* "still blocked" */
	b->deadline = weft_deadline_in(MS);
	r = weft_green_spawn(g, fn, b, NULL);
	if (r)
		return r;
	weft_green_yield();	/* it runs until it blocks */
	while (weft_now() < b->deadline)
		;	/* no yield: it must not run before we act */
	return 0;
}

struct boundary_case {
	size_t capacity;
	bool late_send;		/* weft_send_until() past its deadline, not weft_try_send() */
	int bad;		/* the number of the first failed step, 0 if none */
};

#define CHECK(step, cond)                                                                   \
	do {                                                                                \
		if (!(cond) && !bc->bad)                                                    \
			bc->bad = (step);                                                   \
	} while (0)

/*
 * A receiver's deadline passes, then a try_send (or a send whose own deadline
 * has passed too: a hand-off needs no wait) gives it a message: it receives it.
 */
static void *recv_past_deadline_then_send(void *arg)
{
	struct boundary_case *bc = arg;
	struct boundary b;
	struct weft_receiver rx2;
	struct weft_green_handle g;
	int v = 42, out = 0;

	CHECK(1, weft_channel(&b.tx, &b.rx, sizeof(int), bc->capacity) == 0);
	CHECK(2, weft_receiver_clone(&b.rx, &rx2) == 0);
	CHECK(3, start_and_outlive(&b, timed_recv, &g) == 0);
	CHECK(4, b.ret == 1);					/* it is blocked */
	if (bc->late_send)
		CHECK(5, weft_send_until(&b.tx, &v, b.deadline) == 0);
	else
		CHECK(5, weft_try_send(&b.tx, &v) == 0);	/* a receiver waits */
	/* Rendezvous: handed to the waiting receiver, not left for whoever comes first. */
	if (bc->capacity == 0)
		CHECK(6, weft_try_recv(&rx2, &out) == -EAGAIN);
	CHECK(7, weft_green_join(&g, NULL) == 0);
	CHECK(8, b.ret == 0 && b.value == 42);			/* received, not timed out */
	CHECK(9, weft_try_recv(&rx2, &out) == -EAGAIN);	/* and only once */
	if (bc->capacity == 0)
		CHECK(10, weft_try_send(&b.tx, &v) == -EAGAIN);	/* nobody waits now */
	weft_receiver_drop(&rx2);
	weft_receiver_drop(&b.rx);
	weft_sender_drop(&b.tx);
	return NULL;
}

/* A sender's deadline passes, then a receive takes its message: the send returns 0. */
static void *send_past_deadline_then_recv(void *arg)
{
	struct boundary_case *bc = arg;
	struct boundary b;
	struct weft_green_handle g;
	int out = 0, queued = 0;

	CHECK(1, weft_channel(&b.tx, &b.rx, sizeof(int), bc->capacity) == 0);
	/* Bounded: fill it, so that the timed send must wait for room. */
	if (bc->capacity == 1)
		CHECK(2, weft_send(&b.tx, &(int){ 7 }) == 0 && ++queued);
	b.value = 44;
	CHECK(3, start_and_outlive(&b, timed_send, &g) == 0);
	CHECK(4, b.ret == 1);
	if (queued) {
		CHECK(5, weft_recv(&b.rx, &out) == 0 && out == 7);
		CHECK(6, weft_green_join(&g, NULL) == 0);
		CHECK(7, b.ret == 0);		/* room came before it looked at the clock */
		CHECK(8, weft_try_recv(&b.rx, &out) == 0 && out == 44);
	} else {
		CHECK(9, weft_try_recv(&b.rx, &out) == 0 && out == 44);	/* a sender waits */
		CHECK(10, weft_green_join(&g, NULL) == 0);
		CHECK(11, b.ret == 0);		/* taken: delivered, deadline or not */
	}
	CHECK(12, weft_try_recv(&b.rx, &out) == -EAGAIN);
	weft_receiver_drop(&b.rx);
	weft_sender_drop(&b.tx);
	return NULL;
}

static void boundary(struct __test_metadata *_metadata, weft_thread_fn fn, size_t capacity,
		     bool late_send)
{
	struct boundary_case bc = { .capacity = capacity, .late_send = late_send, .bad = 0 };

	ASSERT_EQ(weft_green_sync(fn, &bc, NULL), 0);
	EXPECT_EQ(bc.bad, 0);
}

TEST(channel_rendezvous_try_send_to_a_receiver_past_its_deadline_is_received)
{
	boundary(_metadata, recv_past_deadline_then_send, 0, false);
}

TEST(channel_rendezvous_late_send_to_a_receiver_past_its_deadline_is_received)
{
	boundary(_metadata, recv_past_deadline_then_send, 0, true);
}

TEST(channel_rendezvous_send_past_its_deadline_then_taken_returns_0)
{
	boundary(_metadata, send_past_deadline_then_recv, 0, false);
}

TEST(channel_bounded_and_unbounded_at_the_deadline_boundary)
{
	for (int late = 0; late < 2; late++) {
		boundary(_metadata, recv_past_deadline_then_send, 1, late);
		boundary(_metadata, recv_past_deadline_then_send, WEFT_CHANNEL_UNBOUNDED, late);
	}
	boundary(_metadata, send_past_deadline_then_recv, 1, false);
}

/*
 * A receiver that gave up leaves nothing behind that a sender could hand a
 * message to: a deadline already past, and spurious FUTEX_WAIT returns
 * (EINTR, EAGAIN) injected into a wait that must still end at its deadline.
 */
TEST(channel_rendezvous_receiver_that_gave_up_is_handed_nothing)
{
	static const int errs[] = { 0, EINTR, EAGAIN };
	struct weft_sender tx;
	struct weft_receiver rx;
	uint64_t deadline;
	int v = 1, out = 0;

	ASSERT_EQ(weft_channel(&tx, &rx, sizeof(int), 0), 0);
	ASSERT_EQ(weft_recv_until(&rx, &out, weft_now()), -ETIMEDOUT);
	ASSERT_EQ(weft_try_send(&tx, &v), -EAGAIN);
	for (unsigned i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		weft_fault_clear();
		if (errs[i])
			ASSERT_EQ(weft_fault_inject(__NR_futex, WEFT_FAULT_EVERY, errs[i]), 0);
		deadline = weft_deadline_in(3 * MS);
		ASSERT_EQ(weft_recv_until(&rx, &out, deadline), -ETIMEDOUT);
		ASSERT_GE(weft_now(), deadline);
		if (errs[i])
			ASSERT_GE(weft_fault_fired(), 1);
		weft_fault_clear();
		ASSERT_EQ(weft_try_send(&tx, &v), -EAGAIN);
		ASSERT_EQ(weft_send_until(&tx, &v, weft_now()), -ETIMEDOUT);
		ASSERT_EQ(weft_try_recv(&rx, &out), -EAGAIN);
	}
	weft_sender_drop(&tx);
	weft_receiver_drop(&rx);
}

/* A rendezvous try_send that returns 0 has handed its message over: it counts it. */
static void *try_sender(void *arg)
{
	struct race *r = arg;
	uint32_t tries = test_under_qemu() ? 3000 : 20000;

	for (uint32_t i = 0; i < tries; i++) {
		struct msg m = { 0, r->sent };

		if (weft_try_send(&r->tx, &m) == 0)
			r->sent++;
		else
			weft_yield();
	}
	weft_sender_drop(&r->tx);
	return NULL;
}

TEST(channel_rendezvous_try_send_races_timed_receives_exactly_once)
{
	race_at_timeouts(_metadata, 0, try_sender, true);
}

/* A pipeline of green and native threads. */
struct stage {
	struct weft_receiver in;
	struct weft_sender out;
};

static void *add_one(void *arg)
{
	struct stage *s = arg;
	int v;

	while (weft_recv(&s->in, &v) == 0)
		if (weft_send(&s->out, &(int){ v + 1 }))
			break;
	weft_receiver_drop(&s->in);
	weft_sender_drop(&s->out);
	return NULL;
}

static void *green_stage_runtime(void *arg)
{
	struct weft_green_handle g;

	if (weft_green_spawn(&g, add_one, arg, NULL))
		return (void *)1;
	return (void *)(long)weft_green_join(&g, NULL);
}

struct driver {
	struct weft_sender first;
	struct weft_receiver last;
	int bad;
};

/* A green thread: feeds the pipeline and checks what comes out, one at a time. */
static void *drive(void *arg)
{
	struct driver *d = arg;
	int v;

	for (int i = 0; i < 200; i++) {
		if (weft_send(&d->first, &i) || weft_recv(&d->last, &v) || v != i + 3)
			d->bad++;
	}
	weft_sender_drop(&d->first);
	if (weft_recv(&d->last, &v) != -EPIPE)
		d->bad++;
	weft_receiver_drop(&d->last);
	return NULL;
}

TEST(channel_pipeline_of_green_and_native_stages)
{
	struct driver d = { .bad = 0 };
	struct stage s[3];
	struct weft_green_handle g, gd;
	struct weft_join_handle n1, n2;
	void *r;

	/* drive -> s0 (native) -> s1 (green, another OS thread) -> s2 (green, here) -> drive */
	ASSERT_EQ(weft_channel(&d.first, &s[0].in, sizeof(int), 0), 0);
	ASSERT_EQ(weft_channel(&s[0].out, &s[1].in, sizeof(int), 2), 0);
	ASSERT_EQ(weft_channel(&s[1].out, &s[2].in, sizeof(int), WEFT_CHANNEL_UNBOUNDED), 0);
	ASSERT_EQ(weft_channel(&s[2].out, &d.last, sizeof(int), 1), 0);
	ASSERT_EQ(weft_spawn(&n1, add_one, &s[0]), 0);
	ASSERT_EQ(weft_spawn(&n2, green_stage_runtime, &s[1]), 0);
	ASSERT_EQ(weft_green_spawn(&g, add_one, &s[2], NULL), 0);
	ASSERT_EQ(weft_green_spawn(&gd, drive, &d, NULL), 0);
	ASSERT_EQ(weft_green_join(&gd, NULL), 0);
	ASSERT_EQ(weft_green_join(&g, NULL), 0);
	ASSERT_EQ(d.bad, 0);
	ASSERT_EQ(weft_join(&n1, NULL), 0);
	ASSERT_EQ(weft_join(&n2, &r), 0);
	ASSERT_NULL(r);
}

/*
 * Rendezvous receivers sleep on their own notes (lib/channel.c): the hand-off
 * wakes the one it served, and the last sender's drop wakes every one of them.
 * Green threads of one OS thread make the order exact: the three receivers
 * run first and block, then the fourth thread hands one message over (to the
 * oldest receiver) and drops the sender.
 */
struct rendezvous_rx {
	struct weft_receiver *rx;
	int got, ret;
};

static void *receive_one(void *arg)
{
	struct rendezvous_rx *r = arg;

	r->ret = weft_recv(r->rx, &r->got);
	return NULL;
}

static void *hand_one_then_drop(void *arg)
{
	struct weft_sender *tx = arg;
	int v = 42;

	if (weft_send(tx, &v))
		return (void *)1;
	weft_sender_drop(tx);
	return NULL;
}

TEST(channel_rendezvous_drop_wakes_every_receiver_waiting_on_its_note)
{
	struct weft_sender tx;
	struct weft_receiver rx;
	struct rendezvous_rx r[3];
	struct weft_green_handle g[3], s;
	void *ret;

	ASSERT_EQ(weft_channel(&tx, &rx, sizeof(int), 0), 0);
	for (int i = 0; i < 3; i++) {
		r[i] = (struct rendezvous_rx){ .rx = &rx, .got = 0, .ret = 1 };
		ASSERT_EQ(weft_green_spawn(&g[i], receive_one, &r[i], NULL), 0);
	}
	ASSERT_EQ(weft_green_spawn(&s, hand_one_then_drop, &tx, NULL), 0);
	ASSERT_EQ(weft_green_join(&s, &ret), 0);
	ASSERT_NULL(ret);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(weft_green_join(&g[i], NULL), 0);
	/* The oldest was handed the message; the others learned the sender is gone. */
	ASSERT_EQ(r[0].ret, 0);
	ASSERT_EQ(r[0].got, 42);
	ASSERT_EQ(r[1].ret, -EPIPE);
	ASSERT_EQ(r[2].ret, -EPIPE);
	weft_receiver_drop(&rx);
}

/*
 * The hand-off wakes only the receiver it served: the others stay asleep on
 * their notes. A green thread asleep in a primitive is parked, its Parker
 * word PARKED until a wake-up moves it to NOTIFIED (weft_green_unpark()); a
 * spurious wake-up leaves no other trace, as the woken one finds its note
 * empty and sleeps again. While no green thread of this OS thread runs,
 * nothing but the wake-ups moves those words, so reading them right after a
 * send counts exactly whom it woke. The sender is the test thread (native:
 * the wake waits for its unlock of the channel, lib/mutex.c) or a green
 * thread (it wakes at once); either way no receiver runs until it has looked.
 */
#define HANDOFF_RX 4

struct handoff {
	struct weft_sender tx;
	struct weft_green_handle g[HANDOFF_RX];
	uint32_t parker[HANDOFF_RX];	/* the receivers' Parker words right after the send */
	int v, ret;
};

static void send_and_look(struct handoff *h)
{
	h->ret = weft_try_send(&h->tx, &h->v);
	for (int i = 0; i < HANDOFF_RX; i++) {
		struct weft_thread *t = weft_green_handle_thread(&h->g[i]);

		h->parker[i] = t ? atomic_load(&t->parker) : PARKER_EMPTY;
	}
}

static void *green_send_and_look(void *arg)
{
	send_and_look(arg);
	return NULL;
}

static void *nothing(void *arg)
{
	return arg;
}

/* Receivers @first.. are asleep; only @first was woken (by the send just made). */
static bool woke_only(const struct handoff *h, int first)
{
	if (h->ret != 0 || h->parker[first] != PARKER_NOTIFIED)
		return false;
	for (int i = first + 1; i < HANDOFF_RX; i++) {
		if (h->parker[i] != PARKER_PARKED)
			return false;
	}
	return true;
}

static void handoff_wakes_one(struct __test_metadata *_metadata, bool green_sender)
{
	struct rendezvous_rx r[HANDOFF_RX];
	struct weft_receiver rx;
	struct weft_green_handle s;
	struct handoff h;

	ASSERT_EQ(weft_channel(&h.tx, &rx, sizeof(int), 0), 0);
	for (int i = 0; i < HANDOFF_RX; i++) {
		r[i] = (struct rendezvous_rx){ .rx = &rx, .got = 0, .ret = 1 };
		ASSERT_EQ(weft_green_spawn(&h.g[i], receive_one, &r[i], NULL), 0);
	}
	/* The run queue is first in, first out: the receivers block before s runs. */
	h.v = 1;
	ASSERT_EQ(weft_green_spawn(&s, green_sender ? green_send_and_look : nothing, &h, NULL),
		  0);
	ASSERT_EQ(weft_green_join(&s, NULL), 0);
	if (!green_sender)
		send_and_look(&h);
	ASSERT_TRUE(woke_only(&h, 0));
	ASSERT_EQ(weft_green_join(&h.g[0], NULL), 0);
	ASSERT_EQ(r[0].ret, 0);
	ASSERT_EQ(r[0].got, 1);
	/* The others never ran: still on their notes, the next send goes to the oldest. */
	h.v = 2;
	send_and_look(&h);
	ASSERT_TRUE(woke_only(&h, 1));
	ASSERT_EQ(weft_green_join(&h.g[1], NULL), 0);
	ASSERT_EQ(r[1].ret, 0);
	ASSERT_EQ(r[1].got, 2);
	weft_sender_drop(&h.tx);
	for (int i = 2; i < HANDOFF_RX; i++) {
		ASSERT_EQ(weft_green_join(&h.g[i], NULL), 0);
		ASSERT_EQ(r[i].ret, -EPIPE);
	}
	weft_receiver_drop(&rx);
}

TEST(channel_rendezvous_hand_off_from_a_native_thread_wakes_only_the_receiver_served)
{
	handoff_wakes_one(_metadata, false);
}

TEST(channel_rendezvous_hand_off_from_a_green_thread_wakes_only_the_receiver_served)
{
	handoff_wakes_one(_metadata, true);
}
