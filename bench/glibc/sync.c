/* SPDX-License-Identifier: MIT */
/* The pthread twin of bench/weft/sync.c: mutex, condvar, rwlock, once, barrier and a channel. */
#define _GNU_SOURCE	/* sched_setaffinity, cpu_set_t */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
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

static long guarded;

static void mutex_store_batch(long n)
{
	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&m);
		guarded++;
		bench_keep(&guarded);
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

/*
 * The rows with a second thread at work: the partner runs partner_loop(partner_ops) while
 * the caller runs its own loop, then is joined; spawn and join are inside the timed batch.
 * partner_cpu >= 0 puts the partner on that CPU and the caller on CPU 0.
 */
static void (*partner_loop)(long);
static long partner_ops;
static int partner_cpu = -1;

static int pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? errno : 0;
}

static void *partner_main(void *arg)
{
	(void)arg;
	partner_loop(partner_ops);
	return NULL;
}

static void two_threads(void (*partner)(long), long partner_n, void (*own)(long), long own_n)
{
	pthread_t t;

	partner_loop = partner;
	partner_ops = partner_n;
	/* The partner inherits the CPU from its creator, so it starts on its own CPU at once. */
	if (partner_cpu >= 0 && pin_self(partner_cpu))
		bench_die("sched_setaffinity", errno);
	if (pthread_create(&t, NULL, partner_main, NULL))
		bench_die("pthread_create", 1);
	if (partner_cpu >= 0 && pin_self(0))
		bench_die("sched_setaffinity", errno);
	own(own_n);
	pthread_join(t, NULL);
}

/* Two threads take turns at one counter: ns per lock+unlock, both threads counted. */
static void contend(long n)
{
	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&m);
		shared_counter++;
		pthread_mutex_unlock(&m);
	}
}

static void contended_batch(long n)
{
	two_threads(contend, n / 2, contend, n / 2);
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

static void barrier_loop(long n)
{
	for (long i = 0; i < n; i++)
		pthread_barrier_wait(&barrier);
}

static void barrier_batch(long n)
{
	two_threads(barrier_loop, n, barrier_loop, n);
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

static void produce(long n)
{
	for (long i = 0; i < n; i++)
		chan_send(&to_partner, i);
}

static void consume(long n)
{
	for (long i = 0; i < n; i++)
		chan_recv(&to_partner);
}

static void chan_throughput_batch(long n)
{
	two_threads(produce, n, consume, n);
}

/* The same with this thread on CPU 0 and the partner on CPU 1, whatever BENCH_PIN says. */
static void contended_across(void)
{
	cpu_set_t saved;

	if (sched_getaffinity(0, sizeof(saved), &saved))
		bench_die("sched_getaffinity", errno);
	if (pin_self(1) || pin_self(0)) {
		printf("# mutex_contended_across: no CPU 1 to run on (%s)\n", strerror(errno));
	} else {
		partner_cpu = 1;
		bench_result("mutex_contended_across",
			     bench_median_ns_per_op(contended_batch, bench_scaled(400000)), "ns");
		partner_cpu = -1;
	}
	if (sched_setaffinity(0, sizeof(saved), &saved))
		bench_die("sched_setaffinity", errno);
}

int main(void)
{
	pthread_t idle, t;

	if (pthread_create(&idle, NULL, idler, NULL))
		bench_die("pthread_create", 1);
	bench_result("mutex_uncontended", bench_median_ns_per_op(mutex_batch, bench_scaled(2000000)),
		     "ns");
	bench_result("mutex_store", bench_median_ns_per_op(mutex_store_batch, bench_scaled(2000000)),
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
	contended_across();

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
