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
 * destructor during unwinding; weft has no destructors, so every running
 * context (a native thread, or each green thread) keeps a small record of
 * the locks it holds, and weft_held_cur points at the running one's:
 *
 *	struct weft_held (lib/held.h)
 *	+---+-----+-----+------+-------+-----------+
 *	| n | low | cap | mark | floor | untracked |      24 bytes
 *	+---+-----+-----+------+-------+-----------+----------------------+
 *	| e[0] = lock | kind     e[1] ...      e[n-1]: newest     e[31]  |
 *	+-----------------------------------------------------------------+
 *	  kind in the lock address's two low bits: 0 mutex, 1 read, 2 write
 *
 * Lock pushes an entry (two stores: e[n], n), unlock pops the newest (a
 * compare and a store). A catch boundary remembers n as its mark when it is
 * set up; a panic that jumps to it releases e[mark..n), newest first: a
 * mutex or write lock is marked poisoned, unless it was taken while already
 * panicking (at or above floor, the depth at which the panic began), then
 * unlocked; a read lock is only unlocked. Marks are counts, not addresses:
 * what matters is whether a lock was taken after the boundary was set up,
 * and the stack address of a locking call says nothing about that once it
 * has returned (a helper with a big frame may lock and return holding).
 *
 * An unlock out of order below low (mark or floor) leaves a hole (0) in
 * its slot instead of closing the gap, so that every mark stays true; holes
 * above low are closed by the next slow-path call. A native thread's record
 * is a __thread of this file; a green thread's sits at the top of its stack
 * (lib/green.c), and the green switch moves weft_held_cur.
 *
 * Locks taken while 32 entries are in use are not recorded (untracked
 * counts them): a panic leaves them locked, and their unlock is not checked.
 */

static __thread struct weft_held native __attribute__((tls_model("local-exec")));

/* Close the holes of e[low..n): their slots belong to no boundary's mark. */
static void compact(struct weft_held *h)
{
	uint32_t to = h->low;

	for (uint32_t i = h->low; i < h->n; i++)
		if (h->e[i])
			h->e[to++] = h->e[i];
	h->n = to;
}

void weft_held_push_slow(void *lock, enum weft_held_kind kind)
{
	struct weft_held *h = weft_held_cur;

	if (h == &weft_held_none) {
		/* The first lock of this native thread: none's marks are all 0, as ours. */
		h = &native;
		h->cap = WEFT_HELD_MAX;
		weft_held_cur = h;
	}
	if (h->n == h->cap)
		compact(h);
	if (h->n == h->cap) {
		h->untracked++;
		return;
	}
	h->e[h->n++] = (uintptr_t)lock | kind;
}

void weft_held_pop_slow(void *lock, enum weft_held_kind kind)
{
	struct weft_held *h = weft_held_cur;
	bool other_kind = false;

	/* The kind too: a read unlock of a write-held rwlock would release the writer's hold. */
	for (uint32_t i = h->n; i-- > 0;) {
		if (HELD_LOCK(h->e[i]) != lock)
			continue;
		if (HELD_KIND(h->e[i]) != kind) {
			other_kind = true;
			continue;
		}
		h->e[i] = 0;
		compact(h);
		return;
	}
	if (h->untracked && !other_kind) {
		h->untracked--;
		return;
	}
	weft_panic("%s of a lock this thread does not hold%s (%p)",
		   kind == HELD_MUTEX  ? "weft_mutex_unlock()"
		   : kind == HELD_READ ? "weft_rwlock_read_unlock()"
				       : "weft_rwlock_write_unlock()",
		   other_kind ? (kind == HELD_READ ? " for reading: it holds it for writing"
						   : " for writing: it holds it for reading")
			      : "",
		   lock);
}

bool weft_held_by_me(const void *lock)
{
	struct weft_held *h = weft_held_cur;

	for (uint32_t i = 0; i < h->n; i++)
		if (HELD_LOCK(h->e[i]) == lock)
			return true;
	return false;
}

void weft_held_deadlock(const char *what, const void *lock)
{
	weft_panic("deadlock: %s %p, which this thread already holds", what, lock);
}

/* Release one recorded lock as its abandoned holder would have, poisoning if @poison. */
static void release_abandoned(uintptr_t e, bool poison)
{
	switch (HELD_KIND(e)) {
	case HELD_MUTEX: {
		struct weft_mutex *m = HELD_LOCK(e);

		if (poison)
			atomic_store_explicit(&m->poisoned, WEFT_POISONED, memory_order_relaxed);
		weft_mutex_release(m);
		break;
	}
	case HELD_WRITE: {
		struct weft_rwlock *l = HELD_LOCK(e);

		if (poison)
			atomic_store_explicit(&l->poisoned, WEFT_POISONED, memory_order_relaxed);
		weft_rwlock_write_release(l);
		break;
	}
	case HELD_READ:
		weft_rwlock_read_release(HELD_LOCK(e));	/* a reader changed nothing */
		break;
	}
}

/*
 * Called by lib/panic.c (a weak reference: linked only in programs that use
 * these locks) just before a panic jumps to the innermost boundary, in the
 * panicking context: the locks taken since that boundary was set up, the
 * newest first, as destructors would run.
 */
void weft_held_unwind(void)
{
	struct weft_held *h = weft_held_cur;

	while (h->n > h->mark) {
		uint32_t i = --h->n;

		if (h->e[i])
			release_abandoned(h->e[i], i < h->floor);
	}
	/* Still panicking, with nothing taken since: the boundary's leave lowers low. */
	h->floor = h->low = h->mark;
}

/* Release, poisoned, the locks left in @h by @name's thread, saying so on stderr. */
static void release_left_over(struct weft_held *h, const char *name, const char *kind_of_thread,
			      const char *how)
{
	if (!h->n)
		return;	/* which also leaves weft_held_none unwritten */
	while (h->n) {
		uintptr_t e = h->e[--h->n];

		if (!e)
			continue;
		weft_dprintf(2, "%sthread '%s' %s holding %s %p: released%s\n", kind_of_thread,
			     weft_name_or_unnamed(name), how,
			     HELD_KIND(e) == HELD_MUTEX ? "weft_mutex" : "weft_rwlock", HELD_LOCK(e),
			     HELD_KIND(e) == HELD_READ ? "" : " and poisoned");
		release_abandoned(e, true);
	}
	h->mark = h->low = h->floor = 0;
}

static const char *running_name(void)
{
	struct weft_thread *me = weft_tcb()->current;

	return me ? me->name : NULL;
}

/*
 * Called by lib/exit.c (a hook) when a spawned native thread ends: a lock still
 * held now would never be released. glibc's robust mutexes are the peer: the
 * next locker gets EOWNERDEAD with the lock. Here the lock is released and
 * poisoned, so the next locker gets WEFT_POISONED with it, and the thread
 * says so on stderr. (Its unfinished green threads' locks went the same way
 * just before, through weft_held_orphan().)
 */
void weft_held_thread_exit(void)
{
	release_left_over(weft_held_cur, running_name(), "", "exited");
}

/* Called by lib/green.c (a hook) when a green thread returns: the same for its locks. */
void weft_held_green_exit(void)
{
	release_left_over(weft_held_cur, running_name(), "green ", "exited");
}

/* Called by lib/green.c (a hook) for a green thread that can never run again. */
void weft_held_orphan(struct weft_held *h, struct weft_thread *t)
{
	release_left_over(h, t->name, "green ", "was abandoned");
}
