// SPDX-License-Identifier: MIT
/* weft/sync.h measured: mutex, condvar, rwlock, once, barrier, channels; bench/glibc/sync.c is the twin. */
#include <stdatomic.h>
#include <stdbool.h>

#include "bench.h"

#include "weft/sync.h"

#include "lib/internal.h"	/* weft_lock: the same mutex without the held-lock record */

/*
 * Each metric mirrors bench/glibc/sync.c, operation for operation; the channel there is
 * the same mutex, two condvars and a ring, built on pthreads.
 */

static struct weft_mutex m;
static struct weft_lock plain;
static _Atomic int stop_idler;
static long shared_counter;

/* Alive during the uncontended rows: glibc skips its atomics while single-threaded. */
static void *idler(void *unused)
{
	while (!atomic_load(&stop_idler))
		weft_park();
	return NULL;
}

static void mutex_batch(long n)
{
	for (long i = 0; i < n; i++) {
		weft_mutex_lock(&m);
		bench_keep(&m);
		weft_mutex_unlock(&m);
	}
}

static void plain_lock_batch(long n)
{
	for (long i = 0; i < n; i++) {
		weft_lock(&plain);
		bench_keep(&plain);
		weft_unlock(&plain);
	}
}

static struct weft_rwlock rw;

static void rwlock_read_batch(long n)
{
	for (long i = 0; i < n; i++) {
		weft_rwlock_read(&rw);
		bench_keep(&rw);
		weft_rwlock_read_unlock(&rw);
	}
}

static struct weft_once once;
static int once_value;

static void once_init(void *arg)
{
	once_value = 1;
}

static void once_batch(long n)
{
	for (long i = 0; i < n; i++) {
		weft_once_call(&once, once_init, NULL);
		bench_keep(once_value);
	}
}

/* Two threads take turns at one counter: ns per lock+unlock, both threads counted. */
static long contended_ops;

static void *contender(void *arg)
{
	for (long i = 0; i < contended_ops; i++) {
		weft_mutex_lock(&m);
		shared_counter++;
		weft_mutex_unlock(&m);
	}
	return NULL;
}

static void contended_batch(long n)
{
	struct weft_join_handle h;

	contended_ops = n / 2;
	if (weft_spawn(&h, contender, NULL))
		bench_die("weft_spawn", -1);
	contender(NULL);
	weft_join(&h, NULL);
}

/* Ping-pong through a mutex and a condvar: one round trip per operation. */
static struct weft_condvar cv;
static int turn;	/* 0: main's, 1: the partner's, 2: stop */

static void *cv_partner(void *arg)
{
	weft_mutex_lock(&m);
	for (;;) {
		while (turn == 0)
			weft_condvar_wait(&cv, &m);
		if (turn == 2)
			break;
		turn = 0;
		weft_condvar_notify_one(&cv);
	}
	weft_mutex_unlock(&m);
	return NULL;
}

static void cv_batch(long n)
{
	weft_mutex_lock(&m);
	for (long i = 0; i < n; i++) {
		turn = 1;
		weft_condvar_notify_one(&cv);
		while (turn == 1)
			weft_condvar_wait(&cv, &m);
	}
	weft_mutex_unlock(&m);
}

static void cv_stop(void)
{
	weft_mutex_lock(&m);
	turn = 2;
	weft_condvar_notify_one(&cv);
	weft_mutex_unlock(&m);
}

/* A 2-party barrier: one round per operation. */
static struct weft_barrier barrier = WEFT_BARRIER_INIT(2);
static long barrier_rounds;

static void *barrier_partner(void *arg)
{
	for (long i = 0; i < barrier_rounds; i++)
		weft_barrier_wait(&barrier);
	return NULL;
}

static void barrier_batch(long n)
{
	struct weft_join_handle h;

	barrier_rounds = n;
	if (weft_spawn(&h, barrier_partner, NULL))
		bench_die("weft_spawn", -1);
	for (long i = 0; i < n; i++)
		weft_barrier_wait(&barrier);
	weft_join(&h, NULL);
}

/* Channels: ping-pong over two capacity-1 channels, and 1 producer -> 1 consumer. */
static struct weft_sender to_partner, to_main;
static struct weft_receiver at_partner, at_main;

static void *chan_partner(void *arg)
{
	long v;

	while (weft_recv(&at_partner, &v) == 0 && v >= 0)
		weft_send(&to_main, &v);
	return NULL;
}

static void chan_pingpong_batch(long n)
{
	for (long i = 0; i < n; i++) {
		long v = i;

		weft_send(&to_partner, &v);
		weft_recv(&at_main, &v);
	}
}

static long produce_count;

static void *producer(void *arg)
{
	for (long i = 0; i < produce_count; i++)
		weft_send(&to_partner, &i);
	return NULL;
}

static void chan_throughput_batch(long n)
{
	struct weft_join_handle h;
	long v;

	produce_count = n;
	if (weft_spawn(&h, producer, NULL))
		bench_die("weft_spawn", -1);
	for (long i = 0; i < n; i++)
		weft_recv(&at_partner, &v);
	weft_join(&h, NULL);
}

/* Two green threads of one OS thread ping-ponging through a mutex and a condvar. */
static long green_rounds;

static void *green_ping(void *arg)
{
	cv_batch(green_rounds);
	cv_stop();
	return NULL;
}

static void green_batch(long n)
{
	struct weft_green_handle a, b;

	green_rounds = n;
	turn = 0;
	if (weft_green_spawn(&b, cv_partner, NULL, NULL) ||
	    weft_green_spawn(&a, green_ping, NULL, NULL))
		bench_die("weft_green_spawn", -1);
	weft_green_join(&a, NULL);
	weft_green_join(&b, NULL);
}

int main(void)
{
	struct weft_join_handle idle, h;
	long v = -1;
	int error;

	if ((error = weft_spawn(&idle, idler, NULL)))
		bench_die("weft_spawn", error);
	bench_result("mutex_uncontended", bench_median_ns_per_op(mutex_batch, bench_scaled(2000000)),
		     "ns");
	bench_result("mutex_uncontended_no_record",
		     bench_median_ns_per_op(plain_lock_batch, bench_scaled(2000000)), "ns");
	bench_result("rwlock_read", bench_median_ns_per_op(rwlock_read_batch, bench_scaled(2000000)),
		     "ns");
	bench_result("once_fast", bench_median_ns_per_op(once_batch, bench_scaled(10000000)), "ns");
	atomic_store(&stop_idler, 1);
	weft_unpark(weft_join_handle_thread(&idle));
	weft_join(&idle, NULL);

	bench_result("mutex_contended", bench_median_ns_per_op(contended_batch, bench_scaled(400000)),
		     "ns");

	if ((error = weft_spawn(&h, cv_partner, NULL)))
		bench_die("weft_spawn", error);
	bench_result("condvar_pingpong", bench_median_ns_per_op(cv_batch, bench_scaled(5000)), "ns");
	cv_stop();
	weft_join(&h, NULL);

	bench_result("barrier_round", bench_median_ns_per_op(barrier_batch, bench_scaled(5000)), "ns");

	if (weft_channel(&to_partner, &at_partner, sizeof(long), 1) ||
	    weft_channel(&to_main, &at_main, sizeof(long), 1))
		bench_die("weft_channel", -1);
	if ((error = weft_spawn(&h, chan_partner, NULL)))
		bench_die("weft_spawn", error);
	bench_result("channel_pingpong", bench_median_ns_per_op(chan_pingpong_batch, bench_scaled(5000)),
		     "ns");
	weft_send(&to_partner, &v);
	weft_join(&h, NULL);
	weft_sender_drop(&to_partner);
	weft_receiver_drop(&at_partner);
	if (weft_channel(&to_partner, &at_partner, sizeof(long), 64))
		bench_die("weft_channel", -1);
	bench_result("channel_1p1c", bench_median_ns_per_op(chan_throughput_batch, bench_scaled(200000)),
		     "ns");

	bench_result("green_condvar_pingpong", bench_median_ns_per_op(green_batch, bench_scaled(20000)),
		     "ns");
	return 0;
}
