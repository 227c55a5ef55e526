// SPDX-License-Identifier: MIT
/* weft_rwlock: shared and exclusive holds, writer preference, timeouts, no missed wake-up. */
#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/mman.h>

#include "weft/fault.h"
#include "weft/green.h"
#include "weft/panic.h"
#include "weft/sync.h"
#include "weft/thread.h"
#include "weft/time.h"

#include "harness.h"
#include "kernel-abi/sys.h"

#define MS (1000ULL * 1000)

/* The writers waiting, counted in the high half of the state (lib/rwlock.c). */
#define WRITERS_WAITING(l) (atomic_load(&(l)->state) >> 32)

static void quiet_hook(const struct weft_panic_info *info)
{
}

TEST(rwlock_try_forms_on_free_and_held_locks)
{
	struct weft_rwlock l = WEFT_RWLOCK_INIT;

	ASSERT_EQ(weft_rwlock_try_read(&l), 0);
	ASSERT_EQ(weft_rwlock_try_read(&l), 0);	/* readers share */
	ASSERT_EQ(weft_rwlock_try_write(&l), -EBUSY);
	ASSERT_EQ(weft_rwlock_write_until(&l, weft_deadline_in(2 * MS)), -ETIMEDOUT);
	weft_rwlock_read_unlock(&l);
	weft_rwlock_read_unlock(&l);
	ASSERT_EQ(weft_rwlock_try_write(&l), 0);
	ASSERT_EQ(weft_rwlock_try_read(&l), -EBUSY);
	ASSERT_EQ(weft_rwlock_try_write(&l), -EBUSY);
	ASSERT_EQ(weft_rwlock_read_until(&l, weft_deadline_in(2 * MS)), -ETIMEDOUT);
	weft_rwlock_write_unlock(&l);
	ASSERT_EQ(weft_rwlock_write_until(&l, 0), 0);
	weft_rwlock_write_unlock(&l);
	ASSERT_EQ(atomic_load(&l.state), 0);	/* the timed-out waiters left nothing behind */
	ASSERT_EQ(weft_rwlock_read(NULL), -EINVAL);
	ASSERT_EQ(weft_rwlock_write(NULL), -EINVAL);
	ASSERT_EQ(weft_rwlock_try_read(NULL), -EINVAL);
	ASSERT_EQ(weft_rwlock_try_write(NULL), -EINVAL);
}

/* Writers change 8 words one at a time; a reader must see them all equal. */
static struct weft_rwlock data_lock;
static long data[8];
static _Atomic int torn, writers_done;

static void *data_writer(void *arg)
{
	int rounds = (int)(long)arg;

	for (int i = 1; i <= rounds; i++) {
		weft_rwlock_write(&data_lock);
		for (int k = 0; k < 8; k++) {
			data[k] = i;
			if (k == 3)
				weft_yield();	/* halfway: the worst moment for a reader */
		}
		weft_rwlock_write_unlock(&data_lock);
	}
	atomic_fetch_add(&writers_done, 1);
	return NULL;
}

static void *data_reader(void *arg)
{
	while (atomic_load(&writers_done) < 2) {
		weft_rwlock_read(&data_lock);
		for (int k = 1; k < 8; k++)
			if (data[k] != data[0])
				atomic_store(&torn, 1);
		weft_rwlock_read_unlock(&data_lock);
	}
	return NULL;
}

TEST(rwlock_reader_never_sees_a_writers_intermediate_state)
{
	struct weft_join_handle h[6];
	long rounds = test_under_qemu() ? 100 : 500;

	for (int i = 0; i < 2; i++)
		ASSERT_EQ(weft_spawn(&h[i], data_writer, (void *)rounds), 0);
	for (int i = 2; i < 6; i++)
		ASSERT_EQ(weft_spawn(&h[i], data_reader, NULL), 0);
	for (int i = 0; i < 6; i++)
		ASSERT_EQ(weft_join(&h[i], NULL), 0);
	ASSERT_FALSE(atomic_load(&torn));
	ASSERT_EQ(atomic_load(&data_lock.state), 0);
}

/* A writer asleep behind a reader closes the door to new readers. */
static struct weft_rwlock door;
static _Atomic int writer_in;

static void *writer_behind_reader(void *arg)
{
	weft_rwlock_write(&door);
	atomic_store(&writer_in, 1);
	weft_rwlock_write_unlock(&door);
	return NULL;
}

TEST(rwlock_waiting_writer_blocks_new_try_read)
{
	struct weft_join_handle h;

	ASSERT_EQ(weft_rwlock_read(&door), 0);
	ASSERT_EQ(weft_spawn(&h, writer_behind_reader, NULL), 0);
	/* Wait until it has announced itself (counted as a writer that waits). */
	while (!WRITERS_WAITING(&door))
		weft_yield();
	ASSERT_EQ(weft_rwlock_try_read(&door), -EBUSY);
	ASSERT_EQ(weft_rwlock_read_until(&door, weft_deadline_in(1 * MS)), -ETIMEDOUT);
	ASSERT_FALSE(atomic_load(&writer_in));
	weft_rwlock_read_unlock(&door);
	ASSERT_EQ(weft_join(&h, NULL), 0);
	ASSERT_TRUE(atomic_load(&writer_in));
	ASSERT_EQ(weft_rwlock_try_read(&door), 0);
	weft_rwlock_read_unlock(&door);
}

/* Readers that overlap forever would starve a reader-preferring lock's writer. */
/*
 * The hand-off: the unlock that wakes a writer leaves the door closed until that
 * writer has been in, so a reader arriving first cannot take the lock from it.
 */
static struct weft_rwlock handed;
static _Atomic int handed_in, handed_go;

static void *writer_handed_the_lock(void *arg)
{
	weft_rwlock_write(&handed);
	atomic_store(&handed_in, 1);
	while (!atomic_load(&handed_go))
		weft_yield();
	weft_rwlock_write_unlock(&handed);
	return NULL;
}

TEST(rwlock_woken_writer_enters_before_a_new_reader)
{
	struct weft_join_handle h;

	ASSERT_EQ(weft_rwlock_read(&handed), 0);
	ASSERT_EQ(weft_spawn(&h, writer_handed_the_lock, NULL), 0);
	while (!WRITERS_WAITING(&handed))
		weft_yield();
	weft_rwlock_read_unlock(&handed);
	/* Woken, about to sleep or inside: in every case the writer comes first. */
	ASSERT_EQ(weft_rwlock_try_read(&handed), -EBUSY);
	while (!atomic_load(&handed_in))
		weft_yield();
	ASSERT_EQ(weft_rwlock_try_read(&handed), -EBUSY);
	atomic_store(&handed_go, 1);
	ASSERT_EQ(weft_join(&h, NULL), 0);
	ASSERT_EQ(atomic_load(&handed.state), 0);	/* the writer counted itself out as it entered */
	ASSERT_EQ(weft_rwlock_try_read(&handed), 0);
	weft_rwlock_read_unlock(&handed);
}

static struct weft_rwlock busy;
static _Atomic int writer_got_in;

static void *overlapping_reader(void *arg)
{
	while (!atomic_load(&writer_got_in)) {
		weft_rwlock_read(&busy);
		weft_yield();	/* hold it across a reschedule: the readers overlap */
		weft_rwlock_read_unlock(&busy);
	}
	return NULL;
}

TEST(rwlock_writer_is_not_starved_by_overlapping_readers)
{
	struct weft_join_handle h[4];

	for (int i = 0; i < 4; i++)
		ASSERT_EQ(weft_spawn(&h[i], overlapping_reader, NULL), 0);
	for (int i = 0; i < 20; i++) {
		weft_rwlock_write(&busy);
		weft_rwlock_write_unlock(&busy);
	}
	atomic_store(&writer_got_in, 1);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(weft_join(&h[i], NULL), 0);
}

/*
 * The scenario of glibc bugs 23844/23861: readers asleep behind a writer,
 * and the writer's wake-up handled by someone who only looks at writers.
 * Here writers time out while readers sleep behind them; every reader must
 * still be woken when the lock is released.
 */
static struct weft_rwlock mixed;
static _Atomic long reads, writes;

static void *mixed_reader(void *arg)
{
	for (int i = 0; i < 300; i++) {
		weft_rwlock_read(&mixed);
		atomic_fetch_add(&reads, 1);
		weft_rwlock_read_unlock(&mixed);
	}
	return NULL;
}

static void *mixed_writer(void *arg)
{
	for (int i = 0; i < 300; i++) {
		/* Some give up at once: a writer that leaves must pass the wake-up on. */
		if (weft_rwlock_write_until(&mixed, (i & 3) ? WEFT_FOREVER : 0) == 0) {
			atomic_fetch_add(&writes, 1);
			weft_rwlock_write_unlock(&mixed);
		}
	}
	return NULL;
}

TEST(rwlock_no_missed_wake_up_with_timed_out_writers)
{
	struct weft_join_handle h[6];

	for (int i = 0; i < 6; i++)
		ASSERT_EQ(weft_spawn(&h[i], i & 1 ? mixed_writer : mixed_reader, NULL), 0);
	for (int i = 0; i < 6; i++)
		ASSERT_EQ(weft_join(&h[i], NULL), 0);
	ASSERT_EQ(atomic_load(&reads), 900);
	ASSERT_GE(atomic_load(&writes), 3 * 225);
	ASSERT_EQ(atomic_load(&mixed.state) & ((1u << 30) - 1), 0);
}

static void *write_again(void *arg)
{
	weft_rwlock_write(arg);
	return NULL;
}

static void *read_while_writing(void *arg)
{
	weft_rwlock_read(arg);
	return NULL;
}

TEST(rwlock_relocking_panics_instead_of_hanging)
{
	struct weft_rwlock l = WEFT_RWLOCK_INIT;
	struct weft_panic *p;

	weft_set_panic_hook(quiet_hook);
	ASSERT_EQ(weft_rwlock_write(&l), 0);
	ASSERT_EQ(weft_catch_panic(write_again, &l, (void **)&p), WEFT_PANICKED);
	ASSERT_NE_NULL(weft_strstr(weft_panic_message(p), "deadlock"));
	weft_panic_free(p);
	ASSERT_EQ(weft_catch_panic(read_while_writing, &l, (void **)&p), WEFT_PANICKED);
	ASSERT_NE_NULL(weft_strstr(weft_panic_message(p), "deadlock"));
	weft_panic_free(p);
	weft_rwlock_write_unlock(&l);
}

/*
 * An unlock of the wrong kind is an unlock of a lock the thread does not hold
 * that way: a read unlock of a write-held lock must not release the writer's
 * hold (the record matches the kind, not only the address).
 */
static void *write_then_read_unlock(void *arg)
{
	struct weft_rwlock *l = arg;

	weft_rwlock_write(l);
	weft_rwlock_read_unlock(l);
	return NULL;
}

static void *read_then_write_unlock(void *arg)
{
	struct weft_rwlock *l = arg;

	weft_rwlock_read(l);
	weft_rwlock_write_unlock(l);
	return NULL;
}

TEST(rwlock_unlock_of_the_other_kind_panics_and_leaves_the_hold)
{
	struct weft_rwlock l = WEFT_RWLOCK_INIT;
	struct weft_panic *p;

	weft_set_panic_hook(quiet_hook);
	ASSERT_EQ(weft_catch_panic(write_then_read_unlock, &l, (void **)&p), WEFT_PANICKED);
	ASSERT_NE_NULL(weft_strstr(weft_panic_message(p), "for reading: it holds it for writing"));
	weft_panic_free(p);
	/* The write lock was still held when the panic released it: poisoned. */
	ASSERT_EQ(weft_rwlock_try_write(&l), WEFT_POISONED);
	weft_rwlock_write_unlock(&l);
	weft_rwlock_clear_poison(&l);
	ASSERT_EQ(weft_catch_panic(read_then_write_unlock, &l, (void **)&p), WEFT_PANICKED);
	ASSERT_NE_NULL(weft_strstr(weft_panic_message(p), "for writing: it holds it for reading"));
	weft_panic_free(p);
	/* A read lock is only released by a panic, never poisoned. */
	ASSERT_EQ(weft_rwlock_try_write(&l), 0);
	weft_rwlock_write_unlock(&l);
}

/* Green readers and writers share the lock with native ones. */
static void *green_rw(void *arg)
{
	for (int i = 0; i < 100; i++) {
		if (i % 10 == 0) {
			weft_rwlock_write(&data_lock);
			for (int k = 0; k < 8; k++) {
				data[k] = -i;
				if (k == 3)
					weft_green_yield();
			}
			weft_rwlock_write_unlock(&data_lock);
		} else {
			weft_rwlock_read(&data_lock);
			weft_green_yield();
			for (int k = 1; k < 8; k++)
				if (data[k] != data[0])
					atomic_store(&torn, 1);
			weft_rwlock_read_unlock(&data_lock);
		}
	}
	return NULL;
}

static void *native_runs_greens(void *arg)
{
	struct weft_green_handle g[3];

	for (int i = 0; i < 3; i++)
		if (weft_green_spawn(&g[i], green_rw, NULL, NULL))
			return (void *)1;
	for (int i = 0; i < 3; i++)
		weft_green_join(&g[i], NULL);
	return NULL;
}

TEST(rwlock_green_and_native_threads)
{
	struct weft_join_handle h[2];
	void *r;

	for (int i = 0; i < 2; i++)
		ASSERT_EQ(weft_spawn(&h[i], native_runs_greens, NULL), 0);
	green_rw(NULL);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(weft_join(&h[i], &r), 0);
		ASSERT_NULL(r);
	}
	ASSERT_FALSE(atomic_load(&torn));
}

/*
 * The destruction rule (Documentation/sync.rst): a thread may free the lock
 * the moment its last unlock returns. Here each round's lock lives alone in a
 * page; four threads read, write and time out on it, so that unlocks hand the
 * lock to writers that are asleep, about to sleep or still spinning; each
 * thread's last act is a write lock, under which it counts itself out, and
 * the one that counts the last user out makes the page inaccessible right
 * after its unlock returns. An unlock (or a writer giving up) that touched the
 * lock after its releasing atomic, as the old one did when its FUTEX_WAKE
 * found no writer asleep, would fault; the FUTEX_WAKE itself names the address
 * without reading it.
 */
struct doomed {
	struct weft_rwlock l;
	int users;		/* under the write lock */
	long data;
};

static void *doomed_user(void *arg)
{
	struct doomed *d = arg;
	int ops = test_under_qemu() ? 12 : 40;
	bool last;

	for (int i = 0; i < ops; i++) {
		switch (i & 3) {
		case 0:
		case 2:
			weft_rwlock_write(&d->l);
			d->data++;
			weft_rwlock_write_unlock(&d->l);
			break;
		case 1:
			weft_rwlock_read(&d->l);
			(void)*(volatile long *)&d->data;
			weft_rwlock_read_unlock(&d->l);
			break;
		case 3:	/* some give up: their leaving must not touch it later either */
			if (weft_rwlock_write_until(&d->l, weft_deadline_in(i & 4 ? 0 : 20000)) ==
			    0) {
				d->data++;
				weft_rwlock_write_unlock(&d->l);
			}
			break;
		}
	}
	weft_rwlock_write(&d->l);
	last = --d->users == 0;
	weft_rwlock_write_unlock(&d->l);
	if (last)	/* freed: from here any access to the page faults */
		return sys_mprotect(d, 4096, PROT_NONE) == 0 ? (void *)1 : (void *)2;
	return NULL;
}

TEST(rwlock_freed_right_after_the_last_unlock)
{
	int rounds = test_under_qemu() ? 40 : 400;
	struct weft_join_handle h[4];

	for (int round = 0; round < rounds; round++) {
		long p = sys_mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				  -1, 0);
		struct doomed *d = (struct doomed *)p;
		long freed = 0;
		void *r;

		ASSERT_FALSE(sys_is_error(p));
		d->users = 4;
		for (int i = 0; i < 4; i++)
			ASSERT_EQ(weft_spawn(&h[i], doomed_user, d), 0);
		for (int i = 0; i < 4; i++) {
			ASSERT_EQ(weft_join(&h[i], &r), 0);
			ASSERT_TRUE(r == NULL || r == (void *)1);
			freed += r != NULL;
		}
		ASSERT_EQ(freed, 1);	/* exactly one last user, and its mprotect worked */
		ASSERT_EQ(sys_mprotect(d, 4096, PROT_READ), 0);
		ASSERT_EQ(d->users, 0);
		ASSERT_EQ(atomic_load(&d->l.state), 0);	/* nothing left counted or set */
		ASSERT_EQ(sys_munmap(d, 4096), 0);
	}
}

/* Whether thread @tid sleeps in the kernel: the state letter of its /proc stat line. */
static bool asleep(int tid)
{
	char path[64], buf[256];
	const char *p;

	weft_snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	if (test_read_file(path, buf, sizeof(buf)) <= 0)
		return false;
	p = weft_strchr(buf, ')');	/* "tid (comm) S ..." */
	return p && p[1] == ' ' && p[2] == 'S';
}

static void *write_once(void *arg)
{
	weft_rwlock_write(arg);
	weft_rwlock_write_unlock(arg);
	return NULL;
}

static void *read_once(void *arg)
{
	weft_rwlock_read(arg);
	weft_rwlock_read_unlock(arg);
	return NULL;
}

/*
 * The unlocks wake by bitset (FUTEX_WAKE_BITSET): one writer, or all the
 * readers. A wake that fails (injected) is retried with the same bitset, so
 * the sleeper still wakes and the join does not hang.
 */
TEST(rwlock_wake_ups_survive_a_failing_futex_wake)
{
	static struct weft_rwlock l;
	static const int errs[] = { EINTR, ENOMEM, EFAULT };
	struct weft_join_handle h;
	int tid;

	for (unsigned int e = 0; e < sizeof(errs) / sizeof(errs[0]); e++) {
		/* A writer asleep behind our read lock, handed the lock by our unlock. */
		ASSERT_EQ(weft_rwlock_read(&l), 0);
		ASSERT_EQ(weft_spawn(&h, write_once, &l), 0);
		tid = weft_thread_tid(weft_join_handle_thread(&h));
		while (WRITERS_WAITING(&l) != 1 || !asleep(tid))
			weft_yield();
		ASSERT_EQ(weft_fault_inject(__NR_futex, 1, errs[e]), 0);
		weft_rwlock_read_unlock(&l);
		ASSERT_EQ(weft_fault_fired(), 1);
		weft_fault_clear();
		ASSERT_EQ(weft_join(&h, NULL), 0);

		/* A reader asleep behind our write lock, woken with the others by our unlock. */
		ASSERT_EQ(weft_rwlock_write(&l), 0);
		ASSERT_EQ(weft_spawn(&h, read_once, &l), 0);
		tid = weft_thread_tid(weft_join_handle_thread(&h));
		while (!(atomic_load(&l.state) & (1u << 30)) || !asleep(tid))
			weft_yield();
		ASSERT_EQ(weft_fault_inject(__NR_futex, 1, errs[e]), 0);
		weft_rwlock_write_unlock(&l);
		ASSERT_EQ(weft_fault_fired(), 1);
		weft_fault_clear();
		ASSERT_EQ(weft_join(&h, NULL), 0);
		ASSERT_EQ(atomic_load(&l.state), 0);
	}
}

/*
 * A writer whose deadline has passed, but to whom an unlock has handed the
 * lock, takes it and returns 0: the lock was its at the deadline. Driven in a
 * fixed order with green threads of one OS thread (see test-channel.c): the
 * writer blocks behind our read lock, we let its deadline pass without
 * yielding, then unlock, which hands it the lock.
 */
struct late_writer {
	struct weft_rwlock l;
	uint64_t deadline;
	int ret;
};

static void *late_write(void *arg)
{
	struct late_writer *w = arg;

	w->ret = weft_rwlock_write_until(&w->l, w->deadline);
	if (w->ret == 0)
		weft_rwlock_write_unlock(&w->l);
	return NULL;
}

/* A reader asleep behind the writer below; it must get in once the writer gives up. */
static void *blocked_reader(void *arg)
{
	struct late_writer *w = arg;

	weft_rwlock_read(&w->l);
	weft_rwlock_read_unlock(&w->l);
	return NULL;
}

/* The steps run as a green thread, as the others do; the first that fails is noted. */
static int deadline_bad;

#define STEP(n, cond)                                                                       \
	do {                                                                                \
		if (!(cond) && !deadline_bad)                                               \
			deadline_bad = (n);                                                 \
	} while (0)

static void *writer_at_its_deadline(void *arg)
{
	static struct late_writer w;
	struct weft_green_handle g, r;

	/* Handed the lock after its deadline: it takes it. */
	w.ret = 1;
	STEP(1, weft_rwlock_read(&w.l) == 0);
	w.deadline = weft_deadline_in(MS);
	STEP(2, weft_green_spawn(&g, late_write, &w, NULL) == 0);
	weft_green_yield();	/* it runs until it sleeps, counted */
	STEP(3, WRITERS_WAITING(&w.l) == 1);
	while (weft_now() < w.deadline)
		;	/* no yield: it cannot time out before the unlock */
	weft_rwlock_read_unlock(&w.l);	/* the last reader: hands the lock to it */
	STEP(4, weft_rwlock_try_read(&w.l) == -EBUSY);	/* handed: no reader passes it */
	STEP(5, weft_green_join(&g, NULL) == 0);
	STEP(6, w.ret == 0);
	STEP(7, atomic_load(&w.l.state) == 0);

	/*
	 * Gives up while readers hold the lock: it was the last writer, so the
	 * reader asleep behind it must come in now, not when our read lock goes.
	 */
	w.ret = 1;
	STEP(8, weft_rwlock_read(&w.l) == 0);
	w.deadline = weft_deadline_in(MS);
	STEP(9, weft_green_spawn(&g, late_write, &w, NULL) == 0);
	weft_green_yield();
	STEP(10, weft_green_spawn(&r, blocked_reader, &w, NULL) == 0);
	weft_green_yield();	/* the reader sleeps behind the counted writer */
	STEP(11, atomic_load(&w.l.state) & (1u << 30));
	while (weft_now() < w.deadline)
		;
	STEP(12, weft_green_join(&g, NULL) == 0);
	STEP(13, w.ret == -ETIMEDOUT);
	STEP(14, weft_green_join(&r, NULL) == 0);	/* in and out, past our read lock */
	STEP(15, atomic_load(&w.l.state) == 1);		/* ours alone, nothing waiting */
	weft_rwlock_read_unlock(&w.l);
	return NULL;
}

TEST(rwlock_writer_at_its_deadline_takes_a_handed_lock_or_lets_readers_in)
{
	ASSERT_EQ(weft_green_sync(writer_at_its_deadline, NULL, NULL), 0);
	ASSERT_EQ(deadline_bad, 0);
}

/*
 * Green sleepers keep their bitset in the waiter table as the kernel does:
 * with a reader queued first and a writer behind it on the same word, the
 * unlock's wake-up of one writer must reach the writer, not the first node.
 */
static struct weft_rwlock kinds;
static int kinds_order[2], kinds_n;

static void *kinds_reader(void *arg)
{
	weft_rwlock_read(&kinds);
	kinds_order[kinds_n++] = 'r';
	weft_rwlock_read_unlock(&kinds);
	return NULL;
}

static void *kinds_writer(void *arg)
{
	weft_rwlock_write(&kinds);
	kinds_order[kinds_n++] = 'w';
	weft_rwlock_write_unlock(&kinds);
	return NULL;
}

static void *green_wake_by_kind(void *arg)
{
	struct weft_green_handle r, w;

	STEP(21, weft_rwlock_write(&kinds) == 0);
	STEP(22, weft_green_spawn(&r, kinds_reader, NULL, NULL) == 0);
	weft_green_yield();	/* queued first, as a reader */
	STEP(23, weft_green_spawn(&w, kinds_writer, NULL, NULL) == 0);
	weft_green_yield();	/* queued second, as a writer, counted */
	STEP(24, WRITERS_WAITING(&kinds) == 1 && kinds_n == 0);
	weft_rwlock_write_unlock(&kinds);	/* hands the lock to the writer */
	STEP(25, weft_green_join(&w, NULL) == 0);
	STEP(26, weft_green_join(&r, NULL) == 0);
	STEP(27, kinds_n == 2 && kinds_order[0] == 'w' && kinds_order[1] == 'r');
	STEP(28, atomic_load(&kinds.state) == 0);
	return NULL;
}

TEST(rwlock_green_wake_up_reaches_only_its_kind)
{
	ASSERT_EQ(weft_green_sync(green_wake_by_kind, NULL, NULL), 0);
	ASSERT_EQ(deadline_bad, 0);
}
