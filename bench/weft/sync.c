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

/* The same, around one store to shared data, as a mutex is used: see the row's note. */
static long guarded;

static void mutex_store_batch(long n)
{
	for (long i = 0; i < n; i++) {
		weft_mutex_lock(&m);
		guarded++;
		bench_keep(&guarded);
		weft_mutex_unlock(&m);
	}
}

static void plain_lock_store_batch(long n)
{
	for (long i = 0; i < n; i++) {
		weft_lock(&plain);
		guarded++;
		bench_keep(&guarded);
		weft_unlock(&plain);
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

/*
 * What the held-lock record pays for, without the record: the same locked pair around one
 * load, a chain of three, or one store, of thread-local data such as the record's
 * (Documentation/sync.rst, "Poisoning": a locked instruction waits for earlier stores).
 */
static __thread long tls_word;

static void plain_lock_tls_load_batch(long n)
{
	for (long i = 0; i < n; i++) {
		weft_lock(&plain);
		bench_keep(tls_word);
		weft_unlock(&plain);
	}
}

/* Three dependent loads, as the inline unlock's look at the record: pointer, count, entry. */
static struct {
	long n;
	long e[3];
} chain_target = { 1, { 0, 0, 0 } };
static __thread typeof(chain_target) *tls_chain;

static void plain_lock_tls_chain_batch(long n)
{
	for (long i = 0; i < n; i++) {
		weft_lock(&plain);
		bench_keep(tls_chain->e[tls_chain->n]);
		weft_unlock(&plain);
	}
}

static void plain_lock_tls_store_batch(long n)
{
	for (long i = 0; i < n; i++) {
		weft_lock(&plain);
		tls_word = i;
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

/*
 * The rows with a second thread at work: the partner runs partner_loop(partner_ops) while
 * the caller runs its own loop, then is joined; spawn and join are inside the timed batch.
 * partner_cpu >= 0 puts the partner on that CPU and the caller on CPU 0.
 */
static void (*partner_loop)(long);
static long partner_ops;
static int partner_cpu = -1;

/* A mask of 1024 CPUs, the kernel's default NR_CPUS bound, as weft_available_parallelism(). */
struct cpu_mask {
	unsigned long bits[16];
};

static long set_affinity(const struct cpu_mask *mask)
{
	return weft_sys3(__NR_sched_setaffinity, 0, sizeof(*mask), (long)mask);
}

static long pin_self(int cpu)
{
	struct cpu_mask mask = { 0 };

	mask.bits[cpu / 64] = 1ul << (cpu % 64);
	return set_affinity(&mask);
}

static void *partner_main(void *arg)
{
	partner_loop(partner_ops);
	return NULL;
}

static void two_threads(void (*partner)(long), long partner_n, void (*own)(long), long own_n)
{
	struct weft_join_handle h;
	long error;

	partner_loop = partner;
	partner_ops = partner_n;
	/* The partner inherits the CPU from its creator, so it starts on its own CPU at once. */
	if (partner_cpu >= 0 && (error = pin_self(partner_cpu)))
		bench_die("sched_setaffinity", error);
	if ((error = weft_spawn(&h, partner_main, NULL)))
		bench_die("weft_spawn", error);
	if (partner_cpu >= 0 && (error = pin_self(0)))
		bench_die("sched_setaffinity", error);
	own(own_n);
	weft_join(&h, NULL);
}

/* Two threads take turns at one counter: ns per lock+unlock, both threads counted. */
static void contend(long n)
{
	for (long i = 0; i < n; i++) {
		weft_mutex_lock(&m);
		shared_counter++;
		weft_mutex_unlock(&m);
	}
}

static void contended_batch(long n)
{
	two_threads(contend, n / 2, contend, n / 2);
}

/* The same with this thread on CPU 0 and the partner on CPU 1, whatever BENCH_PIN says. */
static void contended_across(void)
{
	struct cpu_mask saved = { 0 };
	long error;

	if ((error = sys_sched_getaffinity(0, sizeof(saved), &saved)) < 0)
		bench_die("sched_getaffinity", error);
	if ((error = pin_self(1)) || (error = pin_self(0))) {
		weft_dprintf(1, "# mutex_contended_across: no CPU 1 to run on (error %ld)\n", error);
	} else {
		partner_cpu = 1;
		bench_result("mutex_contended_across",
			     bench_median_ns_per_op(contended_batch, bench_scaled(400000)), "ns");
		partner_cpu = -1;
	}
	if ((error = set_affinity(&saved)))
		bench_die("sched_setaffinity", error);
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

static void barrier_loop(long n)
{
	for (long i = 0; i < n; i++)
		weft_barrier_wait(&barrier);
}

static void barrier_batch(long n)
{
	two_threads(barrier_loop, n, barrier_loop, n);
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

static void produce(long n)
{
	for (long i = 0; i < n; i++)
		weft_send(&to_partner, &i);
}

static void consume(long n)
{
	long v;

	for (long i = 0; i < n; i++)
		weft_recv(&at_partner, &v);
}

static void chan_throughput_batch(long n)
{
	two_threads(produce, n, consume, n);
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
	bench_result("mutex_tls_load_no_record",
		     bench_median_ns_per_op(plain_lock_tls_load_batch, bench_scaled(2000000)), "ns");
	tls_chain = &chain_target;
	bench_result("mutex_tls_chain_no_record",
		     bench_median_ns_per_op(plain_lock_tls_chain_batch, bench_scaled(2000000)), "ns");
	bench_result("mutex_tls_store_no_record",
		     bench_median_ns_per_op(plain_lock_tls_store_batch, bench_scaled(2000000)), "ns");
	bench_result("mutex_store", bench_median_ns_per_op(mutex_store_batch, bench_scaled(2000000)),
		     "ns");
	bench_result("mutex_store_no_record",
		     bench_median_ns_per_op(plain_lock_store_batch, bench_scaled(2000000)), "ns");
	bench_result("rwlock_read", bench_median_ns_per_op(rwlock_read_batch, bench_scaled(2000000)),
		     "ns");
	bench_result("once_fast", bench_median_ns_per_op(once_batch, bench_scaled(10000000)), "ns");
	atomic_store(&stop_idler, 1);
	weft_unpark(weft_join_handle_thread(&idle));
	weft_join(&idle, NULL);

	bench_result("mutex_contended", bench_median_ns_per_op(contended_batch, bench_scaled(400000)),
		     "ns");
	contended_across();

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
