/* SPDX-License-Identifier: MIT */
/* The pthread twin of bench/weft/sync.c: mutex, condvar, rwlock, once, barrier and a channel. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "bench.h"

/*
 * Operation for operation the weft program. pthreads has no channel: the one here is
 * the design weft's is (a mutex, two condvars and a ring of fixed-size messages), so
 * the row compares the primitives under it. There are no green threads on this side.
 */

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static atomic_int stop_idler;
static long shared_counter;
static pthread_mutex_t idle_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cv = PTHREAD_COND_INITIALIZER;

/* Alive during the uncontended rows: glibc skips its atomics while single-threaded. */
static void *idler(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&idle_m);
	while (!atomic_load(&stop_idler))
		pthread_cond_wait(&idle_cv, &idle_m);
	pthread_mutex_unlock(&idle_m);
	return NULL;
}

static void mutex_batch(long n)
{
	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&m);
		bench_keep(&m);
		pthread_mutex_unlock(&m);
	}
}

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;

static void rwlock_read_batch(long n)
{
	for (long i = 0; i < n; i++) {
		pthread_rwlock_rdlock(&rw);
		bench_keep(&rw);
		pthread_rwlock_unlock(&rw);
	}
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_value;

static void once_init(void)
{
	once_value = 1;
}

static void once_batch(long n)
{
	for (long i = 0; i < n; i++) {
		pthread_once(&once, once_init);
		bench_keep(once_value);
	}
}

static long contended_ops;

static void *contender(void *arg)
{
	(void)arg;
	for (long i = 0; i < contended_ops; i++) {
		pthread_mutex_lock(&m);
		shared_counter++;
		pthread_mutex_unlock(&m);
	}
	return NULL;
}

static void contended_batch(long n)
{
	pthread_t t;

	contended_ops = n / 2;
	if (pthread_create(&t, NULL, contender, NULL))
		bench_die("pthread_create", 1);
	contender(NULL);
	pthread_join(t, NULL);
}

static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn;

static void *cv_partner(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	for (;;) {
		while (turn == 0)
			pthread_cond_wait(&cv, &m);
		if (turn == 2)
			break;
		turn = 0;
		pthread_cond_signal(&cv);
	}
	pthread_mutex_unlock(&m);
	return NULL;
}

static void cv_batch(long n)
{
	pthread_mutex_lock(&m);
	for (long i = 0; i < n; i++) {
		turn = 1;
		pthread_cond_signal(&cv);
		while (turn == 1)
			pthread_cond_wait(&cv, &m);
	}
	pthread_mutex_unlock(&m);
}

static void cv_stop(void)
{
	pthread_mutex_lock(&m);
	turn = 2;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&m);
}

static pthread_barrier_t barrier;
static long barrier_rounds;

static void *barrier_partner(void *arg)
{
	(void)arg;
	for (long i = 0; i < barrier_rounds; i++)
		pthread_barrier_wait(&barrier);
	return NULL;
}

static void barrier_batch(long n)
{
	pthread_t t;

	barrier_rounds = n;
	if (pthread_create(&t, NULL, barrier_partner, NULL))
		bench_die("pthread_create", 1);
	for (long i = 0; i < n; i++)
		pthread_barrier_wait(&barrier);
	pthread_join(t, NULL);
}

/* weft's channel design on pthreads: a ring of longs, capacity cap. */
struct channel {
	pthread_mutex_t m;
	pthread_cond_t not_empty, not_full;
	long ring[64];
	int cap, head, len;
};

static void chan_init(struct channel *c, int cap)
{
	pthread_mutex_init(&c->m, NULL);
	pthread_cond_init(&c->not_empty, NULL);
	pthread_cond_init(&c->not_full, NULL);
	c->cap = cap;
	c->head = c->len = 0;
}

static void chan_send(struct channel *c, long v)
{
	pthread_mutex_lock(&c->m);
	while (c->len == c->cap)
		pthread_cond_wait(&c->not_full, &c->m);
	c->ring[(c->head + c->len++) % c->cap] = v;
	pthread_cond_signal(&c->not_empty);
	pthread_mutex_unlock(&c->m);
}

static long chan_recv(struct channel *c)
{
	long v;

	pthread_mutex_lock(&c->m);
	while (c->len == 0)
		pthread_cond_wait(&c->not_empty, &c->m);
	v = c->ring[c->head];
	c->head = (c->head + 1) % c->cap;
	c->len--;
	pthread_cond_signal(&c->not_full);
	pthread_mutex_unlock(&c->m);
	return v;
}

static struct channel to_partner, to_main;

static void *chan_partner(void *arg)
{
	long v;

	(void)arg;
	while ((v = chan_recv(&to_partner)) >= 0)
		chan_send(&to_main, v);
	return NULL;
}

static void chan_pingpong_batch(long n)
{
	for (long i = 0; i < n; i++) {
		chan_send(&to_partner, i);
		chan_recv(&to_main);
	}
}

static long produce_count;

static void *producer(void *arg)
{
	(void)arg;
	for (long i = 0; i < produce_count; i++)
		chan_send(&to_partner, i);
	return NULL;
}

static void chan_throughput_batch(long n)
{
	pthread_t t;

	produce_count = n;
	if (pthread_create(&t, NULL, producer, NULL))
		bench_die("pthread_create", 1);
	for (long i = 0; i < n; i++)
		chan_recv(&to_partner);
	pthread_join(t, NULL);
}

int main(void)
{
	pthread_t idle, t;

	if (pthread_create(&idle, NULL, idler, NULL))
		bench_die("pthread_create", 1);
	bench_result("mutex_uncontended", bench_median_ns_per_op(mutex_batch, bench_scaled(2000000)),
		     "ns");
	bench_result("rwlock_read", bench_median_ns_per_op(rwlock_read_batch, bench_scaled(2000000)),
		     "ns");
	bench_result("once_fast", bench_median_ns_per_op(once_batch, bench_scaled(10000000)), "ns");
	pthread_mutex_lock(&idle_m);
	atomic_store(&stop_idler, 1);
	pthread_cond_signal(&idle_cv);
	pthread_mutex_unlock(&idle_m);
	pthread_join(idle, NULL);

	bench_result("mutex_contended", bench_median_ns_per_op(contended_batch, bench_scaled(400000)),
		     "ns");

	if (pthread_create(&t, NULL, cv_partner, NULL))
		bench_die("pthread_create", 1);
	bench_result("condvar_pingpong", bench_median_ns_per_op(cv_batch, bench_scaled(5000)), "ns");
	cv_stop();
	pthread_join(t, NULL);

	pthread_barrier_init(&barrier, NULL, 2);
	bench_result("barrier_round", bench_median_ns_per_op(barrier_batch, bench_scaled(5000)), "ns");

	chan_init(&to_partner, 1);
	chan_init(&to_main, 1);
	if (pthread_create(&t, NULL, chan_partner, NULL))
		bench_die("pthread_create", 1);
	bench_result("channel_pingpong", bench_median_ns_per_op(chan_pingpong_batch, bench_scaled(5000)),
		     "ns");
	chan_send(&to_partner, -1);
	pthread_join(t, NULL);
	chan_init(&to_partner, 64);
	bench_result("channel_1p1c", bench_median_ns_per_op(chan_throughput_batch, bench_scaled(200000)),
		     "ns");
	return 0;
}
