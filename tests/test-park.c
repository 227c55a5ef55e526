// SPDX-License-Identifier: MIT
/* The Parker under stress, park_timeout/until, sleep(_until) across signals, the clock. */
#include <linux/auxvec.h>
#include <linux/elf.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/time.h>

#include "weft/fault.h"
#include "weft/panic.h"
#include "weft/signal.h"
#include "weft/thread.h"

#include "harness.h"
#include "lib/thread.h"
#include "syscall_arch.h"

TEST(token_given_before_park_makes_park_return_at_once)
{
	weft_unpark(weft_current());
	weft_park();	/* would hang without the token */
	/* Only one token is kept: two unparks, one park consumes it, the state is EMPTY. */
	weft_unpark(weft_current());
	weft_unpark(weft_current());
	weft_park();
	ASSERT_EQ(atomic_load(&weft_current()->parker), PARKER_EMPTY);
	weft_unpark(NULL);	/* a no-op, not a crash */
}

static _Atomic int parked_returned;

static void *park_once(void *arg)
{
	weft_park();
	atomic_store(&parked_returned, 1);
	return NULL;
}

/*
 * A FUTEX_WAKE that no unpark() sent (futex(2): "spurious wake-ups") must not
 * end a park(). A wake that returns 1 found the thread asleep on its word; the
 * next one that returns 1 proves it went back to sleep without returning.
 */
TEST(park_absorbs_spurious_futex_wake_ups)
{
	struct weft_join_handle h;
	struct weft_thread *t;

	ASSERT_EQ(weft_spawn(&h, park_once, NULL), 0);
	t = weft_thread_get(weft_join_handle_thread(&h));	/* read after the join */
	for (int woken = 0; woken < 100;) {
		int returned;

		if (weft_futex_wake(&t->parker, 1, false) == 1)
			woken++;
		else
			weft_yield();	/* not asleep yet, or between two waits */
		returned = atomic_load(&parked_returned);
		ASSERT_FALSE(returned);
	}
	ASSERT_EQ(atomic_load(&t->parker), PARKER_PARKED);
	weft_unpark(t);
	ASSERT_EQ(weft_join(&h, NULL), 0);
	ASSERT_TRUE(atomic_load(&parked_returned));
	ASSERT_EQ(atomic_load(&t->parker), PARKER_EMPTY);	/* the token was consumed */
	weft_thread_put(t);
}

static _Atomic int timed_park_done;

static void *park_timeout_50ms(void *arg)
{
	uint64_t start = weft_now();

	weft_park_timeout(50000000);
	*(uint64_t *)arg = weft_now() - start;
	atomic_store(&timed_park_done, 1);
	return NULL;
}

TEST(park_timeout_waits_out_spurious_wake_ups)
{
	struct weft_join_handle h;
	struct weft_thread *t;
	uint64_t took = 0;

	ASSERT_EQ(weft_spawn(&h, park_timeout_50ms, &took), 0);
	t = weft_join_handle_thread(&h);
	/* Wake its futex word over and over: each wake must send it back to sleep. */
	while (!atomic_load(&timed_park_done)) {
		weft_futex_wake(&t->parker, 1, false);
		weft_yield();
	}
	ASSERT_EQ(weft_join(&h, NULL), 0);
	ASSERT_GE(took, 50000000);
}

/*
 * Two threads hand a baton back and forth: each hand-off writes the counter
 * (release through unpark) and the other side must see it (acquire through
 * park). A lost wake-up hangs the test; a missing ordering breaks the count.
 */
struct pingpong {
	struct weft_thread *peer[2];
	volatile long turn_value[2];
	_Atomic int turn;
	long rounds;
};

static struct pingpong pp;

static void *player(void *arg)
{
	int me = (int)(long)arg;

	for (long i = 0; i < pp.rounds; i++) {
		while (atomic_load_explicit(&pp.turn, memory_order_acquire) != me)
			weft_park();
		/*
		 * A plain read of what the peer wrote before it unparked us: player 0
		 * sees 2i (player 1's last value; 0 before the first), player 1 sees
		 * 2i + 1. Any other value is a missing happens-before edge.
		 */
		if (pp.turn_value[!me] != 2 * i + me)
			weft_panic("hand-off %ld: saw %ld", i, pp.turn_value[!me]);
		pp.turn_value[me] = 2 * i + me + 1;
		atomic_store_explicit(&pp.turn, !me, memory_order_release);
		weft_unpark(pp.peer[!me]);
	}
	return NULL;
}

TEST_TIMEOUT(a_million_hand_offs_between_two_threads, 300)
{
	struct weft_join_handle a, b;

	/* 500,000 round trips: a million hand-offs. */
	pp.rounds = 500000;
	atomic_store(&pp.turn, -1);	/* nobody's turn until both peers are known */
	ASSERT_EQ(weft_spawn(&a, player, (void *)0L), 0);
	ASSERT_EQ(weft_spawn(&b, player, (void *)1L), 0);
	pp.peer[0] = weft_join_handle_thread(&a);
	pp.peer[1] = weft_join_handle_thread(&b);
	atomic_store(&pp.turn, 0);
	weft_unpark(pp.peer[0]);
	ASSERT_EQ(weft_join(&a, NULL), 0);
	ASSERT_EQ(weft_join(&b, NULL), 0);
	ASSERT_EQ(pp.turn_value[0], 2 * pp.rounds - 1);
	ASSERT_EQ(pp.turn_value[1], 2 * pp.rounds);
}

#define RING 16

struct ring {
	struct weft_thread *member[RING];
	_Atomic int holder;
	_Atomic int ready;
	long laps;
	long passes;	/* written only by the token's holder */
};

static void *ring_member(void *arg)
{
	struct ring *r = arg;
	int me = -1;

	while (!atomic_load(&r->ready))
		weft_park();
	for (int i = 0; i < RING; i++)
		if (r->member[i] == weft_current())
			me = i;
	for (long lap = 0; lap < r->laps; lap++) {
		while (atomic_load_explicit(&r->holder, memory_order_relaxed) != me)
			weft_park();
		r->passes++;	/* ordered by the park/unpark hand-off */
		atomic_store_explicit(&r->holder, (me + 1) % RING, memory_order_relaxed);
		weft_unpark(r->member[(me + 1) % RING]);
	}
	return NULL;
}

TEST_TIMEOUT(a_token_passed_around_a_ring_of_threads, 300)
{
	static struct ring r;
	struct weft_join_handle h[RING];

	r.laps = test_under_qemu() ? 2000 : 10000;
	for (int i = 0; i < RING; i++) {
		ASSERT_EQ(weft_spawn(&h[i], ring_member, &r), 0);
		r.member[i] = weft_join_handle_thread(&h[i]);
	}
	atomic_store(&r.ready, 1);
	for (int i = 0; i < RING; i++)
		weft_unpark(r.member[i]);
	for (int i = 0; i < RING; i++)
		ASSERT_EQ(weft_join(&h[i], NULL), 0);
	ASSERT_EQ(r.passes, RING * r.laps);
}

TEST(park_timeout_waits_at_least_its_timeout)
{
	static const uint64_t waits[] = { 1, 1000, 1000000, 20000000 };

	for (unsigned int i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		uint64_t start = weft_now();

		weft_park_timeout(waits[i]);
		ASSERT_GE(weft_now() - start, waits[i]);
	}
}

static void *unpark_later(void *arg)
{
	weft_sleep(5000000);
	weft_unpark(arg);
	return NULL;
}

TEST(park_timeout_returns_on_unpark_and_huge_timeouts_do_not_overflow)
{
	struct weft_join_handle h;

	/* With the token already there, even "forever" returns at once. */
	weft_unpark(weft_current());
	weft_park_timeout(UINT64_MAX);
	weft_unpark(weft_current());
	weft_park_timeout((1ULL << 62) + 12345);
	/* Without it, a huge timeout waits for the unpark, not for a wrapped-around deadline. */
	ASSERT_EQ(weft_spawn(&h, unpark_later, weft_current()), 0);
	weft_park_timeout(UINT64_MAX - 1000);
	ASSERT_EQ(weft_join(&h, NULL), 0);
}

TEST(sleep_lasts_at_least_its_duration)
{
	static const uint64_t durations[] = { 0, 1, 100000, 2000000, 30000000 };

	for (unsigned int i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		uint64_t start = weft_now();

		ASSERT_EQ(weft_sleep(durations[i]), 0);
		uint64_t took = weft_now() - start;

		ASSERT_GE(took, durations[i]);
		/* A generous tolerance: this checks for gross errors, not timing. */
		ASSERT_LT(took, durations[i] + 2000000000ULL);
	}
}

static volatile int signals_seen;
static _Atomic int sleeper_done;

static void count_signal(int sig, void *info, void *uc)
{
	signals_seen++;
}

static void *interrupt_sleeper(void *arg)
{
	struct weft_thread *sleeper = arg;

	/* Every 2 ms until the sleeper is awake: some of these land inside its sleep. */
	while (!atomic_load(&sleeper_done)) {
		weft_sleep(2000000);
		sys_tgkill((int)sys_getpid(), weft_thread_tid(sleeper), SIGUSR1);
	}
	return NULL;
}

/* How many lines of @trace show thread @tid's clock_nanosleep cut short by a handler. */
static int count_interrupted_sleeps(const char *trace, long tid)
{
	char prefix[64], line[512];
	int n = 0;

	weft_snprintf(prefix, sizeof(prefix),
		      "[weft %ld] clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, ", tid);
	while (*trace) {
		const char *end = weft_strchr(trace, '\n');
		size_t len = end ? (size_t)(end - trace) : weft_strlen(trace);
		size_t keep = len < sizeof(line) - 1 ? len : sizeof(line) - 1;

		memcpy(line, trace, keep);
		line[keep] = 0;
		if (weft_strncmp(line, prefix, weft_strlen(prefix)) == 0 &&
		    weft_strstr(line, ") = -1 EINTR"))
			n++;
		trace = end ? end + 1 : trace + len;
	}
	return n;
}

TEST(sleep_across_signals_keeps_its_deadline)
{
	static char trace[65536];
	long tid = sys_gettid();
	int interrupted = 0;

	ASSERT_EQ(weft_signal(SIGUSR1, count_signal, 0, NULL), 0);
	/*
	 * The trace shows what the kernel did: clock_nanosleep returned EINTR
	 * (a handler ran) and weft called it again. Tried until a signal has
	 * landed inside the sleep, which on an idle machine is the first time.
	 */
	for (int attempt = 0; attempt < 20 && !interrupted; attempt++) {
		struct weft_join_handle h;
		int fds[2], old;
		uint64_t start;
		long n, len = 0;

		ASSERT_EQ(sys_pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
		atomic_store(&sleeper_done, 0);
		old = weft_trace_set_fd(fds[1]);
		ASSERT_EQ(weft_spawn(&h, interrupt_sleeper, weft_current()), 0);
		start = weft_now();
		ASSERT_EQ(weft_sleep(50000000), 0);
		ASSERT_GE(weft_now() - start, 50000000);
		atomic_store(&sleeper_done, 1);
		ASSERT_EQ(weft_join(&h, NULL), 0);
		weft_trace_set_fd(old);
		while ((n = sys_read(fds[0], trace + len, sizeof(trace) - 1 - (size_t)len)) > 0)
			len += n;
		trace[len] = 0;
		sys_close(fds[0]);
		sys_close(fds[1]);
		interrupted = count_interrupted_sleeps(trace, tid);
	}
	ASSERT_GE(interrupted, 1);
	ASSERT_GE(signals_seen, interrupted);
}

TEST(yield_returns_and_parallelism_matches_the_affinity_mask)
{
	unsigned long mask[16];
	long n;
	int count = 0;

	weft_yield();
	n = sys_sched_getaffinity(0, sizeof(mask), mask);
	ASSERT_GT(n, 0);
	for (long i = 0; i < n * 8; i++)
		count += (mask[i / 64] >> (i % 64)) & 1;
	ASSERT_EQ(weft_available_parallelism(), count);
	ASSERT_GE(weft_available_parallelism(), 1);
	weft_fault_inject(__NR_sched_getaffinity, 1, EPERM);
	ASSERT_EQ(weft_available_parallelism(), -EPERM);
	weft_fault_clear();
}

TEST(sleep_reports_a_failing_clock_and_retries_eintr)
{
	/*
	 * EINTR is what a signal gives: retried towards the same deadline; the
	 * retry's EFAULT ends the sleep. A second is long enough that the
	 * deadline cannot pass before the first call: both calls are made.
	 */
	ASSERT_EQ(weft_fault_inject(__NR_clock_nanosleep, 1, EINTR), 0);
	ASSERT_EQ(weft_fault_inject(__NR_clock_nanosleep, 1, EFAULT), 0);
	ASSERT_EQ(weft_sleep(1000ULL * 1000 * 1000), -EFAULT);
	ASSERT_EQ(weft_fault_fired(), 2);
	weft_fault_clear();
	/* An EINTR alone is retried and the sleep ends normally. */
	ASSERT_EQ(weft_fault_inject(__NR_clock_nanosleep, 1, EINTR), 0);
	ASSERT_EQ(weft_sleep_until(weft_deadline_in(1000ULL * 1000)), 0);
	weft_fault_clear();
}

/* ---- deadlines: sleep_until, park_until, the clock ------------------------------- */

TEST(sleep_until_in_the_past_returns_at_once)
{
	/* "At once": without a system call; any clock_nanosleep would fail here. */
	ASSERT_EQ(weft_fault_inject(__NR_clock_nanosleep, WEFT_FAULT_EVERY, EFAULT), 0);
	ASSERT_EQ(weft_sleep_until(0), 0);
	ASSERT_EQ(weft_sleep_until(weft_now()), 0);
	ASSERT_EQ(weft_sleep(0), 0);
	ASSERT_EQ(weft_fault_fired(), 0);
	weft_fault_clear();
}

TEST(sleep_until_returns_at_or_after_its_deadline)
{
	uint64_t deadline = weft_deadline_in(2 * 1000 * 1000);

	ASSERT_EQ(weft_sleep_until(deadline), 0);
	ASSERT_GE(weft_now(), deadline);
}

TEST(park_until_ends_at_its_deadline_or_with_the_token)
{
	uint64_t deadline = weft_deadline_in(2 * 1000 * 1000);

	weft_park_until(deadline);	/* no token: the deadline ends it */
	ASSERT_GE(weft_now(), deadline);
	/* A passed deadline still takes a token that is there, and returns. */
	weft_unpark(weft_current());
	weft_park_until(0);
	ASSERT_EQ(atomic_load(&weft_current()->parker), PARKER_EMPTY);
	/* And without one it returns at once, leaving the word EMPTY. */
	weft_park_until(0);
	ASSERT_EQ(atomic_load(&weft_current()->parker), PARKER_EMPTY);
	/* WEFT_FOREVER is untimed: only the token ends it. */
	weft_unpark(weft_current());
	weft_park_until(WEFT_FOREVER);
	ASSERT_EQ(atomic_load(&weft_current()->parker), PARKER_EMPTY);
}

TEST(the_clock_reads_the_vdso_when_the_kernel_maps_one)
{
	const void *vdso = (const void *)weft_getauxval(AT_SYSINFO_EHDR);
	struct __kernel_timespec a, c;
	uint64_t b, a_ns, c_ns;
	Elf64_Ehdr fake = { 0 };

	/* qemu-user (7.2) maps none: then weft_now() is the system call. */
	ASSERT_EQ(weft_clock_uses_vdso(), vdso != NULL);
	if (vdso) {
		ASSERT_NE_NULL(weft_vdso_sym(vdso, WEFT_ARCH_VDSO_CLOCK_GETTIME));
		ASSERT_NULL(weft_vdso_sym(vdso, "__vdso_no_such_function"));
	}
	ASSERT_NULL(weft_vdso_sym(NULL, WEFT_ARCH_VDSO_CLOCK_GETTIME));
	/* Not ELF; then ELF64 with no program header, so no dynamic section: none. */
	ASSERT_NULL(weft_vdso_sym(&fake, WEFT_ARCH_VDSO_CLOCK_GETTIME));
	memcpy(fake.e_ident, ELFMAG, SELFMAG);
	fake.e_ident[EI_CLASS] = ELFCLASS64;
	fake.e_phentsize = sizeof(Elf64_Phdr);
	ASSERT_NULL(weft_vdso_sym(&fake, WEFT_ARCH_VDSO_CLOCK_GETTIME));
	/* The same clock either way: a syscall reading, weft_now(), a syscall reading. */
	ASSERT_EQ(sys_clock_gettime(CLOCK_MONOTONIC, &a), 0);
	b = weft_now();
	ASSERT_EQ(sys_clock_gettime(CLOCK_MONOTONIC, &c), 0);
	a_ns = (uint64_t)a.tv_sec * 1000000000ULL + (uint64_t)a.tv_nsec;
	c_ns = (uint64_t)c.tv_sec * 1000000000ULL + (uint64_t)c.tv_nsec;
	ASSERT_LE(a_ns, b);
	ASSERT_LE(b, c_ns);
}

static void clock_fails(void *arg)
{
	(void)arg;
	weft_clock_force_syscall(true);
	weft_fault_inject(__NR_clock_gettime, 1, EINVAL);
	weft_now();
	weft_dprintf(2, "weft_now() returned\n");
}

TEST(a_failing_clock_is_a_fatal_runtime_error)
{
	char err[512];
	int status = test_run_child(clock_fails, NULL, err, sizeof(err));

	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGABRT);
	ASSERT_NE_NULL(weft_strstr(err, "fatal runtime error: clock_gettime(CLOCK_MONOTONIC) "
				   "failed: EINVAL\n"));
	ASSERT_NULL(weft_strstr(err, "returned"));
}

TEST(the_system_call_clock_and_the_vdso_clock_agree)
{
	uint64_t a, b, c;

	a = weft_now();
	weft_clock_force_syscall(true);
	ASSERT_FALSE(weft_clock_uses_vdso());
	b = weft_now();
	weft_clock_force_syscall(false);
	c = weft_now();
	ASSERT_LE(a, b);
	ASSERT_LE(b, c);
	ASSERT_EQ(weft_clock_uses_vdso(), weft_getauxval(AT_SYSINFO_EHDR) != 0);
}

/* Whether thread @tid is asleep in the kernel: the state letter of its /proc stat line. */
static bool asleep(int tid)
{
	char path[64], buf[256];
	const char *p;
	long fd, n;

	weft_snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = sys_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return false;
	n = sys_read((int)fd, buf, sizeof(buf) - 1);
	sys_close((int)fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	p = weft_strchr(buf, ')');	/* "tid (comm) S ..." */
	return p && p[1] == ' ' && p[2] == 'S';
}

/*
 * An unpark whose FUTEX_WAKE fails (injected) used to lose the wake-up: the
 * parked thread slept on and the join hung. Now the wake is retried, through
 * the hook and then with the bare instruction, whichever rule is set.
 */
TEST(an_unpark_whose_futex_wake_fails_still_wakes_the_thread)
{
	static const unsigned long nths[] = { 1, WEFT_FAULT_EVERY };
	static const int errs[] = { EINTR, ENOMEM, EFAULT };

	for (unsigned int i = 0; i < ARRAY_SIZE(nths); i++) {
		for (unsigned int e = 0; e < ARRAY_SIZE(errs); e++) {
			struct weft_join_handle h;
			struct weft_thread *t;

			atomic_store(&parked_returned, 0);
			ASSERT_EQ(weft_spawn(&h, park_once, NULL), 0);
			t = weft_join_handle_thread(&h);
			/* Parked and asleep in FUTEX_WAIT: only a wake can end it now. */
			while (atomic_load(&t->parker) != PARKER_PARKED || !asleep(weft_thread_tid(t)))
				weft_yield();
			ASSERT_EQ(weft_fault_inject(__NR_futex, nths[i], errs[e]), 0);
			weft_unpark(t);
			ASSERT_GE(weft_fault_fired(), 1);
			weft_fault_clear();
			ASSERT_EQ(weft_join(&h, NULL), 0);	/* hung before */
			ASSERT_TRUE(atomic_load(&parked_returned));
		}
	}
}
