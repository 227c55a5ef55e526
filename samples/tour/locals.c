// SPDX-License-Identifier: MIT
/* Tour chapter 3: thread-locals whose destructors run at thread exit, and keys with for_each. */
#include <stdatomic.h>
#include <stdbool.h>

#include <linux/errno.h>

#include "tour.h"

/*
 * Two LocalKeys (Rust's thread_local!): a journal made on first use and
 * closed by its destructor, and a depth counter that has a destructor too.
 * Documentation/local-keys.rst shows the bytes and the instructions.
 */
struct journal {
	int entries;
};

static struct journal *open_journal(void)
{
	struct journal *j = weft_calloc(1, sizeof(*j));

	if (j)
		tour_say("    '%s': first use of `journal` runs its init: opened\n",
			 weft_thread_name(weft_current()));
	else
		tour_failed("weft_calloc() of the journal", -ENOMEM);
	return j;
}

static void close_journal(struct journal **j)
{
	tour_say("    '%s': destructor closes the journal (%d entries), after the function "
		 "returned\n", weft_thread_name(weft_current()), *j ? (*j)->entries : 0);
	weft_free(*j);
}

static void forget_depth(int *depth)
{
	tour_say("    '%s': destructor of `depth` (registered last, so first to go)\n",
		 weft_thread_name(weft_current()));
}

WEFT_THREAD_LOCAL(struct journal *, journal, open_journal(), close_journal);
WEFT_THREAD_LOCAL(int, depth, 0, forget_depth);

static void *weaver(void *arg)
{
	struct journal *j = weft_local_get(journal);

	if (!j)
		return (void *)-1L;	/* open_journal() said why */
	for (int i = 0; i < 3; i++)
		j->entries++;
	weft_local_set(depth, 1);
	tour_say("    '%s': returns\n", weft_thread_name(weft_current()));
	return NULL;
}

/* Keys: one per-thread counter each; for_each sums them while their threads live. */
static weft_key_t counter_key;
static _Atomic long exited_total;
static _Atomic int counted, summed;
static struct weft_thread *tour_main;

static void fold(void *value)
{
	atomic_fetch_add(&exited_total, (long)value);
}

static void add(void *value, void *arg)
{
	*(long *)arg += value ? (long)value : atomic_load(&exited_total);
}

static void *counter(void *arg)
{
	/* This thread's count: 100, 200, 300. Setting may allocate, and so fail. */
	long err = weft_key_set(counter_key, arg);

	atomic_fetch_add(&counted, 1);
	weft_unpark(tour_main);
	while (!atomic_load(&summed))
		weft_park();		/* until main has summed */
	return (void *)err;
}

void tour_locals(void)
{
	struct weft_builder b = { .name = "weaver" };
	struct weft_join_handle h, c[3];
	long live_sum = 0, final_sum = 0;
	int live, after, err;
	void *result = NULL;
	bool ok = true;

	tour_heading("3. Thread-locals and their destructors");
	tour_say("WEFT_THREAD_LOCAL(struct journal *, journal, open_journal(), close_journal):\n"
		 "a __thread slot {state, value, list node} at a fixed offset from the thread pointer.\n");
	if ((err = weft_builder_spawn(&b, &h, weaver, NULL))) {
		tour_failed("weft_builder_spawn()", err);
		return;
	}
	if (!tour_joined(weft_join(&h, &result), &result))
		return;
	if (result)
		return;		/* the weaver had no journal, and open_journal() said so */
	tour_say("  main: join() returned only after both destructors ran, in reverse order\n"
		 "  of first use. main's own run when main returns or calls weft_exit().\n");

	tour_main = weft_current();
	if ((err = weft_key_create(&counter_key, fold))) {
		tour_failed("weft_key_create()", err);
		return;
	}
	for (long i = 0; i < 3; i++) {
		if ((err = weft_spawn(&c[i], counter, (void *)(100 * (i + 1))))) {
			/* Nobody would ever count to 3: undo and stop here. */
			tour_failed("weft_spawn() of a counting thread", err);
			atomic_store(&summed, 1);
			while (i-- > 0) {
				weft_unpark(weft_join_handle_thread(&c[i]));
				weft_join(&c[i], NULL);
			}
			weft_key_delete(counter_key);
			return;
		}
	}
	if (!tour_wait_for(&counted, 3, c, 3)) {
		atomic_store(&summed, 1);
		for (int i = 0; i < 3; i++) {
			weft_unpark(weft_join_handle_thread(&c[i]));
			result = NULL;
			tour_joined(weft_join(&c[i], &result), &result);
		}
		weft_key_delete(counter_key);
		return;
	}
	live = weft_key_for_each(counter_key, add, &live_sum);
	atomic_store(&summed, 1);
	for (int i = 0; i < 3; i++) {
		weft_unpark(weft_join_handle_thread(&c[i]));
		result = NULL;
		if (!tour_joined(weft_join(&c[i], &result), &result)) {
			ok = false;
		} else if (result) {
			tour_failed("weft_key_set()", (long)result);
			ok = false;
		}
	}
	after = weft_key_for_each(counter_key, add, &final_sum);
	if (live < 0 || after < 0)
		tour_failed("weft_key_for_each()", live < 0 ? live : after);
	if (!ok || live < 0 || after < 0) {
		weft_key_delete(counter_key);
		return;
	}
	tour_say("\nOS-style keys (pthread_key, on folly's per-thread arrays): 3 threads set one\n"
		 "key to 100, 200, 300. weft_key_for_each() visits every live thread's value:\n"
		 "  while they live: %d values, sum %ld; after they exited: %d values, sum %ld,\n"
		 "  because each key destructor folded its value into a total that for_each's\n"
		 "  last callback reads while no destructor of the key may start. See\n"
		 "  Documentation/keys.rst.\n",
		 live, live_sum, after, final_sum);
	weft_key_delete(counter_key);
}
