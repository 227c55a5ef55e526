/* SPDX-License-Identifier: MIT */
/* Round trip between two threads that park and unpark each other with a mutex and a condvar. */
#include <pthread.h>
#include <stdbool.h>

#include "bench.h"

/*
 * The generic park/unpark of Rust's std (and of any runtime without futexes) built from
 * pthread primitives: a token guarded by a mutex, and a condvar to sleep on until it is set.
 */
struct parker {
	pthread_mutex_t lock;
	pthread_cond_t token_set;
	bool token; /* protected by lock */
};

static struct parker main_parker = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false
};
static struct parker partner_parker = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false
};
static bool stopping; /* written by main before its last unpark; the unpark orders it */

static void park(struct parker *parker)
{
	pthread_mutex_lock(&parker->lock);
	while (!parker->token)
		pthread_cond_wait(&parker->token_set, &parker->lock);
	parker->token = false;
	pthread_mutex_unlock(&parker->lock);
}

/*
 * Signal after unlocking, as Rust's pthread parker does: a waiter woken while we still held
 * the lock would only go back to sleep on the mutex.
 */
static void unpark(struct parker *parker)
{
	pthread_mutex_lock(&parker->lock);
	parker->token = true;
	pthread_mutex_unlock(&parker->lock);
	pthread_cond_signal(&parker->token_set);
}

static void *partner(void *unused)
{
	(void)unused;
	for (;;) {
		park(&partner_parker);
		if (stopping)
			return NULL;
		unpark(&main_parker);
	}
}

/* One round trip: main wakes the partner, the partner wakes main. */
static void round_trip_batch(long round_trips)
{
	for (long i = 0; i < round_trips; i++) {
		unpark(&partner_parker);
		park(&main_parker);
	}
}

int main(void)
{
	pthread_t thread;
	int error = pthread_create(&thread, NULL, partner, NULL);
	double ns;

	if (error)
		bench_die("pthread_create", error);
	ns = bench_median_ns_per_op(round_trip_batch, bench_scaled(5000));
	stopping = true;
	unpark(&partner_parker);
	error = pthread_join(thread, NULL);
	if (error)
		bench_die("pthread_join", error);
	bench_result("pingpong", ns, "ns");
	return 0;
}
