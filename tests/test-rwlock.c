// SPDX-License-Identifier: MIT
/* weft_rwlock: shared and exclusive holds, writer preference, timeouts, no missed wake-up. */
#include <linux/errno.h>

#include "weft/green.h"
#include "weft/panic.h"
#include "weft/sync.h"
#include "weft/thread.h"
#include "weft/time.h"

#include "harness.h"

#define MS (1000ULL * 1000)

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
	/* Wait until it has announced itself (bit 31: a writer waits). */
	while (!(atomic_load(&door.state) & (1u << 31)))
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
	while (!(atomic_load(&handed.state) & (1u << 31)))
		weft_yield();
	weft_rwlock_read_unlock(&handed);
	/* Woken, about to sleep or inside: in every case the writer comes first. */
	ASSERT_EQ(weft_rwlock_try_read(&handed), -EBUSY);
	while (!atomic_load(&handed_in))
		weft_yield();
	ASSERT_EQ(weft_rwlock_try_read(&handed), -EBUSY);
	atomic_store(&handed_go, 1);
	ASSERT_EQ(weft_join(&h, NULL), 0);
	ASSERT_EQ(atomic_load(&handed.state), 0);	/* the kept bit went with the last writer */
	ASSERT_EQ(atomic_load(&handed.writers), 0);
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
