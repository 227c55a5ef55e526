// SPDX-License-Identifier: MIT
/* The held-lock record: which locks each thread holds, for poisoning and deadlock checks. */
#include "weft/io.h"
#include "weft/panic.h"

#include "lib/sync-internal.h"

/*
 * DOC: the held-lock record
 *
 * A weft panic is a jump (Documentation/panic.rst): the frames between the
 * panic and its catch boundary are abandoned, and no code in them runs. A
 * lock one of them held would stay locked forever, and the next locker
 * would sleep forever. Rust releases (and poisons) the lock in the guard's
 * destructor during unwinding; weft has no destructors, so every thread
 * keeps a small record of the locks it holds:
 *
 *	weft_held (a __thread)
 *	+---+-----------+------------------------------------------------+
 *	| n | untracked | e[0] { lock, owner, frame | panicking | kind }  |
 *	+---+-----------+ e[1] ...                        e[n-1]: newest  |
 *	                  ...                             e[31]           |
 *	                  +------------------------------------------------+
 *
 * Lock pushes an entry, unlock pops it (usually the newest: a compare and
 * a decrement). When a panic jumps to boundary c, every entry of the
 * running context whose frame lies below c (was taken by code that c's
 * call contains) is released: a mutex or write lock is marked poisoned,
 * unless it was taken while already panicking, then unlocked; a read lock
 * is only unlocked. The green threads of an OS thread share its record;
 * each entry's owner says whose it is.
 *
 * Locks taken while 32 are held are not recorded (untracked counts them):
 * a panic leaves them locked, and their unlock is not checked.
 */

__thread struct weft_held weft_held __attribute__((tls_model("local-exec")));

static void remove_at(struct weft_held *h, uint32_t i)
{
	for (; i + 1 < h->n; i++)
		h->e[i] = h->e[i + 1];
	h->n--;
}

void weft_held_pop_slow(void *lock, enum weft_held_kind kind)
{
	struct weft_held *h = &weft_held;
	struct weft_thread *me = weft_tcb()->current;

	for (uint32_t i = h->n; i-- > 0;) {
		if (h->e[i].lock == lock && h->e[i].owner == me) {
			remove_at(h, i);
			return;
		}
	}
	if (h->untracked) {
		h->untracked--;
		return;
	}
	weft_panic("%s of a lock this thread does not hold (%p)",
		   kind == HELD_MUTEX  ? "weft_mutex_unlock()"
		   : kind == HELD_READ ? "weft_rwlock_read_unlock()"
				       : "weft_rwlock_write_unlock()",
		   lock);
}

bool weft_held_by_me(const void *lock)
{
	struct weft_held *h = &weft_held;
	struct weft_thread *me = weft_tcb()->current;

	for (uint32_t i = 0; i < h->n; i++)
		if (h->e[i].lock == lock && h->e[i].owner == me)
			return true;
	return false;
}

void weft_held_deadlock(const char *what, const void *lock)
{
	weft_panic("deadlock: %s %p, which this thread already holds", what, lock);
}

/* Release one recorded lock as its abandoned holder would have, poisoning if due. */
static void release_abandoned(const struct weft_held_entry *e)
{
	bool poison = !(e->frame_bits & HELD_PANICKING);

	switch (HELD_KIND(e)) {
	case HELD_MUTEX: {
		struct weft_mutex *m = e->lock;

		if (poison)
			atomic_store_explicit(&m->poisoned, 1, memory_order_relaxed);
		weft_mutex_release(m);
		break;
	}
	case HELD_WRITE: {
		struct weft_rwlock *l = e->lock;

		if (poison)
			atomic_store_explicit(&l->poisoned, 1, memory_order_relaxed);
		weft_rwlock_write_release(l);
		break;
	}
	case HELD_READ:
		weft_rwlock_read_release(e->lock);	/* a reader changed nothing */
		break;
	}
}

/*
 * Called by lib/panic.c (a weak reference: linked only in programs that use
 * these locks) just before a panic jumps to @boundary, in the panicking
 * thread. The newest entries go first, as destructors would run.
 */
void weft_held_unwind(const void *boundary)
{
	struct weft_held *h = &weft_held;
	struct weft_thread *me = weft_tcb()->current;

	for (uint32_t i = h->n; i-- > 0;) {
		struct weft_held_entry e = h->e[i];

		if (e.owner != me || HELD_FRAME(&e) >= (uintptr_t)boundary)
			continue;
		remove_at(h, i);
		release_abandoned(&e);
	}
}

/*
 * Release, poisoned, the recorded locks of @only (NULL: every entry), saying so
 * on stderr. Only our own struct weft_thread is sure to be alive to name.
 */
static void release_left_over(struct weft_thread *only, const char *kind_of_thread)
{
	struct weft_held *h = &weft_held;
	struct weft_thread *me = weft_tcb()->current;

	for (uint32_t i = h->n; i-- > 0;) {
		struct weft_held_entry e = h->e[i];
		const char *name = e.owner != me ? "(a finished green thread)"
						 : weft_name_or_unnamed(me ? me->name : NULL);

		if (only && e.owner != only)
			continue;
		remove_at(h, i);
		weft_dprintf(2, "%sthread '%s' exited holding %s %p: released%s\n", kind_of_thread,
			     name, HELD_KIND(&e) == HELD_MUTEX ? "weft_mutex" : "weft_rwlock", e.lock,
			     HELD_KIND(&e) == HELD_READ ? "" : " and poisoned");
		e.frame_bits &= ~HELD_PANICKING;
		release_abandoned(&e);
	}
}

/*
 * Called by lib/exit.c (a hook) when a spawned native thread ends: a lock still
 * held now would never be released. glibc's robust mutexes are the peer: the
 * next locker gets EOWNERDEAD with the lock. Here the lock is released and
 * poisoned, so the next locker gets WEFT_POISONED with it, and the thread
 * says so on stderr. Locks of green threads of this OS thread that never
 * finished go the same way.
 */
void weft_held_thread_exit(void)
{
	release_left_over(NULL, "");
}

/* Called by lib/green.c (a hook) when a green thread returns: the same for its locks. */
void weft_held_green_exit(void)
{
	release_left_over(weft_tcb()->current, "green ");
}
