// SPDX-License-Identifier: MIT
/* weft_once, OnceLock and LazyLock: Rust's futex Once, poisoned by a panic in the initialiser. */
#include <linux/errno.h>

#include "weft/panic.h"

#include "lib/sync-internal.h"

/*
 * DOC: the once state machine
 *
 * One futex word (Rust's library/std/src/sys/sync/once/futex.rs):
 *
 *	INCOMPLETE --CAS: this caller runs fn--> RUNNING --fn returns--> COMPLETE
 *	     ^                                     |  ^
 *	     |                  a caller waits: CAS|  |
 *	     |                                     v  |
 *	POISONED <----------fn panics------------ QUEUED --fn returns--> COMPLETE
 *	     |                                             (and FUTEX_WAKE all)
 *	     +--call_force: CAS, runs fn(poisoned = true)--> RUNNING
 *
 * RUNNING becomes QUEUED when a second caller decides to sleep; only then
 * does the runner's final exchange need a wake-up. COMPLETE is final, and
 * the fast path (inline in sync.h) is one acquire load that finds it.
 *
 * A panic in fn cannot be left to the held-lock record: the waiters must
 * learn of it. So fn runs inside weft_catch_panic(); a panic sets POISONED,
 * wakes the sleepers (who then panic too, or run fn themselves with the
 * force form) and goes on with weft_resume_panic(), which is Rust's
 * CompletionGuard dropped during unwinding.
 */

struct once_call {
	void (*fn)(void *arg, bool poisoned);
	void *arg;
	bool poisoned;
};

static void *run(void *p)
{
	struct once_call *c = p;

	c->fn(c->arg, c->poisoned);
	return NULL;
}

/* Leave RUNNING/QUEUED for @to; wake the sleepers if there are any. */
static void finish(struct weft_once *o, uint32_t to)
{
	if (atomic_exchange_explicit(&o->state, to, memory_order_release) == WEFT_ONCE_QUEUED)
		weft_wake(&o->state, INT32_MAX);
}

void weft_once_call_slow(struct weft_once *o, void (*fn)(void *arg, bool poisoned), void *arg,
			 bool force)
{
	uint32_t state = atomic_load_explicit(&o->state, memory_order_acquire);

	for (;;) {
		switch (state) {
		case WEFT_ONCE_POISONED:
			if (!force)
				weft_panic("Once instance has previously been poisoned");
			/* fall through */
		case WEFT_ONCE_INCOMPLETE: {
			struct once_call c = { fn, arg, state == WEFT_ONCE_POISONED };
			void *payload;

			if (!atomic_compare_exchange_weak_explicit(&o->state, &state,
								   WEFT_ONCE_RUNNING,
								   memory_order_acquire,
								   memory_order_acquire))
				continue;
			if (weft_catch_panic(run, &c, &payload) == WEFT_PANICKED) {
				finish(o, WEFT_ONCE_POISONED);
				weft_resume_panic(payload);
			}
			finish(o, WEFT_ONCE_COMPLETE);
			return;
		}
		case WEFT_ONCE_RUNNING:
			if (!atomic_compare_exchange_weak_explicit(&o->state, &state,
								   WEFT_ONCE_QUEUED,
								   memory_order_acquire,
								   memory_order_acquire))
				continue;
			state = WEFT_ONCE_QUEUED;
			/* fall through */
		case WEFT_ONCE_QUEUED:
			weft_wait(&o->state, WEFT_ONCE_QUEUED, WEFT_FOREVER);
			state = atomic_load_explicit(&o->state, memory_order_acquire);
			break;
		case WEFT_ONCE_COMPLETE:
			return;
		default:
			weft_panic("weft_once %p: corrupt state %u", (void *)o, state);
		}
	}
}

bool weft_once_is_poisoned(const struct weft_once *o)
{
	return atomic_load_explicit(&((struct weft_once *)o)->state, memory_order_acquire) ==
	       WEFT_ONCE_POISONED;
}

struct lock_init {
	struct weft_once_lock *l;
	void *(*init)(void *arg);
	void *arg;
	bool ran;
};

static void lock_init(void *p)
{
	struct lock_init *c = p;

	c->l->value = c->init(c->arg);
	c->ran = true;
}

void *weft_once_lock_get_or_init(struct weft_once_lock *l, void *(*init)(void *arg), void *arg)
{
	struct lock_init c = { l, init, arg, false };

	weft_once_call(&l->once, lock_init, &c);
	return l->value;
}

static void *identity(void *arg)
{
	return arg;
}

int weft_once_lock_set(struct weft_once_lock *l, void *value)
{
	struct lock_init c = { l, identity, value, false };

	weft_once_call(&l->once, lock_init, &c);
	return c.ran ? 0 : -EBUSY;
}

static void *lazy_init(void *arg)
{
	struct weft_lazy *l = arg;

	if (!l->init)
		weft_panic("weft_lazy_get() on a weft_lazy without an initialiser");
	return l->init();
}

void *weft_lazy_get(struct weft_lazy *l)
{
	return weft_once_lock_get_or_init(&l->cell, lazy_init, l);
}

static void call_plain(void *arg, bool poisoned)
{
	void **pair = arg;

	((void (*)(void *))pair[0])(pair[1]);
}

void weft_once_call_plain_slow(struct weft_once *o, void (*fn)(void *arg), void *arg)
{
	void *pair[2] = { (void *)fn, arg };

	weft_once_call_slow(o, call_plain, pair, false);
}
