// SPDX-License-Identifier: MIT
/* Tour chapter 6: a pipeline of named threads on bounded channels; a stage panics, a lock is recovered. */
#include <stdatomic.h>

#include "tour.h"

/*
 * reader --ch1--> squarer --ch2--> tally
 *
 * Each stage is a named native thread; each channel holds at most 2 messages, so a fast
 * stage waits for a slow one (backpressure). tally adds into a total behind a mutex and
 * panics half-way through an update: the panic jumps out with the mutex held, and weft's
 * held-lock record releases it, poisoned. The stages before it then find their sends
 * failing with -EPIPE and stop.
 */
struct totals {
	struct weft_mutex lock;
	long sum;
	int count;
};

struct stage {
	struct weft_receiver in;
	struct weft_sender out;
	struct totals *totals;
	_Atomic int started;	/* its function ran: from then on it drops its own ends */
};

static _Atomic int stages_started;

/* Every stage says so first: one that never runs (see tour_sync()) cannot. */
static void stage_started(struct stage *s)
{
	atomic_store(&s->started, 1);
	atomic_fetch_add(&stages_started, 1);
}

/* Returns whether it stopped because the next stage was gone (-EPIPE). */
static void *reader(void *arg)
{
	struct stage *s = arg;
	int err = 0;

	stage_started(s);
	for (long i = 1; i <= 100 && !err; i++)
		err = weft_send(&s->out, &i);	/* -EPIPE: nobody listens any more */
	weft_sender_drop(&s->out);	/* the last sender: the next stage sees the end */
	return (void *)(long)(err == -EPIPE);
}

static void *squarer(void *arg)
{
	struct stage *s = arg;
	int err = 0;
	long v;

	stage_started(s);
	while (!err && weft_recv(&s->in, &v) == 0) {
		v *= v;
		err = weft_send(&s->out, &v);	/* on -EPIPE the message is still ours */
	}
	weft_receiver_drop(&s->in);
	weft_sender_drop(&s->out);
	return (void *)(long)(err == -EPIPE);
}

static void *tally_loop(void *arg)
{
	struct stage *s = arg;
	long v;

	while (weft_recv(&s->in, &v) == 0) {
		weft_mutex_lock(&s->totals->lock);
		s->totals->sum += v;	/* the sum is updated ... */
		if (v == 16)
			weft_panic("tally cannot take %ld", v);
		s->totals->count++;	/* ... and the count is not, when 16 comes */
		weft_mutex_unlock(&s->totals->lock);
	}
	return NULL;
}

/*
 * C has no destructors, so a stage that panics would keep its receiver, and the
 * stage before it would fill the channel and wait for ever. What Rust's Drop does
 * on the way out, done by hand: catch, drop the receiver, resume the panic.
 */
static void *tally(void *arg)
{
	struct stage *s = arg;
	void *payload;

	stage_started(s);
	if (weft_catch_panic(tally_loop, s, &payload) == WEFT_PANICKED) {
		weft_receiver_drop(&s->in);
		weft_resume_panic(payload);
	}
	weft_receiver_drop(&s->in);
	return NULL;
}

/* Stage @j's channel ends, dropped for it when it never ran. */
static void drop_ends(struct stage *s, int j)
{
	if (j > 0)
		weft_receiver_drop(&s->in);
	if (j < 2)
		weft_sender_drop(&s->out);
}

void tour_sync(void)
{
	static struct totals totals;
	struct stage a = { .totals = &totals }, b = { .totals = &totals }, c = { .totals = &totals };
	struct weft_join_handle h[3];
	weft_thread_fn fns[3] = { reader, squarer, tally };
	struct stage *args[3] = { &a, &b, &c };
	const char *names[3] = { "reader", "squarer", "tally" };
	void *epipe[3] = { NULL, NULL, NULL };
	int r[3];

	int err;

	tour_heading("6. Locks and channels");
	if ((err = weft_channel(&a.out, &b.in, sizeof(long), 2))) {
		tour_failed("weft_channel()", err);
		return;
	}
	if ((err = weft_channel(&b.out, &c.in, sizeof(long), 2))) {
		tour_failed("weft_channel()", err);
		weft_sender_drop(&a.out);
		weft_receiver_drop(&b.in);
		return;
	}
	tour_say("A pipeline of three named threads on bounded channels of 2 longs:\n"
		 "  reader (1, 2, 3 ...) -> squarer (x*x) -> tally (sum and count, behind a mutex)\n");
	for (int i = 0; i < 3; i++) {
		struct weft_builder builder = { .name = names[i] };

		if ((err = weft_builder_spawn(&builder, &h[i], fns[i], args[i]))) {
			tour_failed("weft_builder_spawn()", err);
			/* The stages not started drop their ends here, so the others stop. */
			for (int j = i; j < 3; j++)
				drop_ends(args[j], j);
			while (i-- > 0)
				tour_joined(weft_join(&h[i], &epipe[i]), &epipe[i]);
			return;
		}
	}
	if (!tour_wait_for(&stages_started, 3, h, 3)) {
		/* A stage ended before its function ran (it panicked): drop its ends for it. */
		for (int j = 0; j < 3; j++)
			if (!atomic_load(&args[j]->started) && weft_is_finished(&h[j]) == 1)
				drop_ends(args[j], j);
		for (int j = 0; j < 3; j++)
			tour_joined(weft_join(&h[j], &epipe[j]), &epipe[j]);
		return;
	}
	r[2] = weft_join(&h[2], NULL);
	r[1] = weft_join(&h[1], &epipe[1]);
	r[0] = weft_join(&h[0], &epipe[0]);
	if (r[2] != WEFT_PANICKED || r[1] || r[0] || !epipe[1] || !epipe[0]) {
		tour_wrong("the pipeline did not stop as it should: tally %d, squarer %d/%d, "
			   "reader %d/%d", r[2], r[1], epipe[1] != NULL, r[0], epipe[0] != NULL);
		return;
	}
	tour_say("join: tally %s; squarer %d and reader %d, each stopped by -EPIPE from\n"
		 "a send (%s): the channel after them had lost its receiver\n",
		 r[2] == WEFT_PANICKED ? "WEFT_PANICKED" : "returned", r[1], r[0],
		 epipe[1] && epipe[0] ? "yes, both" : "not both");

	r[0] = weft_mutex_lock(&totals.lock);
	tour_say("The panic jumped out of tally with the mutex held. The held-lock record\n"
		 "released it, poisoned; the next lock says %s, with the lock held:\n"
		 "  sum %ld over count %d: 1+4+9+16, but the 16 was never counted\n",
		 r[0] == WEFT_POISONED ? "WEFT_POISONED" : "0", totals.sum, totals.count);
	totals.sum -= 16;	/* repair what the panic left half-done */
	weft_mutex_clear_poison(&totals.lock);
	weft_mutex_unlock(&totals.lock);
	r[0] = weft_mutex_lock(&totals.lock);
	tour_say("Repaired (sum %ld, count %d) and weft_mutex_clear_poison(): the next lock\n"
		 "returns %d. Documentation/sync.rst has the mutex, the condvar, the models.\n",
		 totals.sum, totals.count, r[0]);
	weft_mutex_unlock(&totals.lock);
}
