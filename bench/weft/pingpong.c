// SPDX-License-Identifier: MIT
/* Round trip between two weft threads that park and unpark each other. */
#include <stdatomic.h>
#include <stdbool.h>

#include "bench.h"

/*
 * Whose turn it is. weft_park() may return spuriously by contract (Rust's), so each side
 * parks in a loop until the ball is on its side, the way every user of park/unpark must;
 * the loads cost nanoseconds next to the futex calls. The glibc program loops on its
 * token under the mutex in the same way.
 */
enum { MAIN_SIDE, PARTNER_SIDE, STOP };

static _Atomic int ball = MAIN_SIDE;
static struct weft_thread *main_thread, *partner_thread;

/* Release: unpark()'s own exchange is a release too; the store is ordered before it. */
static void throw_ball(int side, struct weft_thread *to)
{
	atomic_store_explicit(&ball, side, memory_order_release);
	weft_unpark(to);
}

static int catch_ball(int side)
{
	int seen;

	while ((seen = atomic_load_explicit(&ball, memory_order_acquire)) != side && seen != STOP)
		weft_park();
	return seen;
}

static void *partner(void *unused)
{
	while (catch_ball(PARTNER_SIDE) != STOP)
		throw_ball(MAIN_SIDE, main_thread);
	return NULL;
}

/* One round trip: main wakes the partner, the partner wakes main. */
static void round_trip_batch(long round_trips)
{
	for (long i = 0; i < round_trips; i++) {
		throw_ball(PARTNER_SIDE, partner_thread);
		catch_ball(MAIN_SIDE);
	}
}

int main(void)
{
	struct weft_join_handle handle;
	double ns;
	int error;

	main_thread = weft_current();
	error = weft_spawn(&handle, partner, NULL);
	if (error)
		bench_die("weft_spawn", error);
	partner_thread = weft_join_handle_thread(&handle);
	ns = bench_median_ns_per_op(round_trip_batch, bench_scaled(5000));
	throw_ball(STOP, partner_thread);
	error = weft_join(&handle, NULL);
	if (error)
		bench_die("weft_join", error);
	bench_result("pingpong", ns, "ns");
	return 0;
}
