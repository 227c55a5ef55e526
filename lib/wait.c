// SPDX-License-Identifier: MIT
/* Wait on an address: FUTEX_WAIT for native threads, a waiter table and park for green ones. */
#include <linux/errno.h>
#include <linux/time.h>

#include "lib/hooks.h"
#include "lib/sync-internal.h"

/*
 * DOC: the wait-on-address layer
 *
 * Every primitive of "weft/sync.h" sleeps through two calls, weft_wait()
 * and weft_wake(), with the contract of FUTEX_WAIT and FUTEX_WAKE: sleep
 * while a 32-bit word still holds a value, and wake sleepers by address.
 * Under them there are two kinds of sleeper, so no primitive needs a green
 * and a native copy:
 *
 *  - a native thread calls FUTEX_WAIT_BITSET on the word, with the absolute
 *    deadline (kernel/futex/waitwake.c: futex_wait() checks the value and
 *    queues the thread atomically, under the hash bucket's lock);
 *  - a green thread must not block its OS thread, so the kernel cannot
 *    queue it. It does in user space what the kernel does: a table of 64
 *    buckets hashed by address, each a weft_lock and a list
 *    of waiter nodes that live on the sleepers' own stacks. Under the
 *    bucket's lock it checks the value and links its node, then parks in
 *    its runtime (weft_park() makes a green thread leave the run ring).
 *
 *	  table[hash(word)]            green thread A's stack   B's stack
 *	  +----------------------+      +-----------------+      +-----------------+
 *	  | lock | count = 2     |      | word, thread A  |      | word', thread B |
 *	  | head ---------------------> | next -------------->   | next = NULL     |
 *	  +----------------------+      +-----------------+      +-----------------+
 *
 * weft_wake() wakes both kinds: the green ones it finds in the bucket
 * (unlinking the node, then weft_unpark(), which works from any thread),
 * and the native ones with FUTEX_WAKE. Reading the bucket costs a waker a
 * fence and one load of the bucket's count when no green thread waits.
 * That count is what keeps a wake-up from being lost between the two:
 *
 *	waiter (green)                      waker
 *	count++           (seq_cst)         *word = new      (the primitive's RMW)
 *	fence                               fence            (seq_cst)
 *	read *word: == expected? sleep      read count: > 0? look in the bucket
 *
 * With both fences, at least one side sees the other's write (the store
 * buffer litmus test): either the waiter sees the new value and does not
 * sleep, or the waker sees the count and, taking the bucket lock the
 * waiter linked its node under, finds the node.
 *
 * A waker touches the table and the kernel only, never the primitive's
 * memory, which its caller may already have released (see sync.h).
 *
 * weft_wait_bitset() and weft_wake_bitset() are FUTEX_WAIT_BITSET and
 * FUTEX_WAKE_BITSET: a sleeper gives a bitset, a wake-up reaches only the
 * sleepers whose bitset shares a bit with its own, so two kinds of sleeper
 * can share one word and be woken apart (the rwlock's readers and writers,
 * both on its state word). A green node keeps its bitset, and the green
 * wake-up matches it as the kernel does. weft_wait() and weft_wake() are
 * the same with FUTEX_BITSET_MATCH_ANY, which matches every sleeper.
 */

#define WAIT_BUCKETS 64

struct green_waiter {
	_Atomic uint32_t *word;
	uint32_t bitset;		/* as FUTEX_WAIT_BITSET's: which wakes reach it */
	struct weft_thread *thread;
	struct green_waiter *next, **pprev;
	bool queued;			/* under the bucket lock; cleared by the waker */
	struct weft_abandon abandon;	/* unlinks the node if the thread is abandoned */
};

struct wait_bucket {
	struct weft_lock lock;
	_Atomic uint32_t count;		/* nodes in the list */
	struct green_waiter *head;
	struct green_waiter **tail;	/* &last->next, or &head */
} __attribute__((aligned(64)));

static struct wait_bucket wait_table[WAIT_BUCKETS];

static struct wait_bucket *bucket_of(const void *word)
{
	/* Fibonacci hashing; the low bits of a word's address are always 0. */
	uint64_t h = ((uintptr_t)word >> 2) * 0x9e3779b97f4a7c15ULL;

	return &wait_table[h >> 58];
}

static void node_unlink(struct wait_bucket *b, struct green_waiter *w)
{
	*w->pprev = w->next;
	if (w->next)
		w->next->pprev = w->pprev;
	else
		b->tail = w->pprev;
	w->queued = false;
	atomic_fetch_sub_explicit(&b->count, 1, memory_order_relaxed);
}

/*
 * The waiter's OS thread ended with the waiter blocked here (lib/green.c,
 * orphan_all()): its node is on a stack that a join of it unmaps. Unlink
 * it, so that no wake-up walks into that stack.
 */
static void abandon_node(struct weft_abandon *a)
{
	struct green_waiter *w = (struct green_waiter *)(void *)((char *)a -
								  offsetof(struct green_waiter,
									   abandon));
	struct wait_bucket *b = bucket_of(w->word);

	weft_lock(&b->lock);
	if (w->queued)
		node_unlink(b, w);
	weft_unlock(&b->lock);
}

static int green_wait(_Atomic uint32_t *word, uint32_t expected, uint64_t deadline,
		      uint32_t bitset)
{
	struct wait_bucket *b = bucket_of(word);
	struct green_waiter w = {
		.word = word, .bitset = bitset, .thread = weft_current(), .queued = true,
		.abandon = { .undo = abandon_node, .next = NULL }
	};
	int ret;

	weft_lock(&b->lock);
	atomic_fetch_add_explicit(&b->count, 1, memory_order_seq_cst);
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(word, memory_order_relaxed) != expected) {
		atomic_fetch_sub_explicit(&b->count, 1, memory_order_relaxed);
		weft_unlock(&b->lock);
		return -EAGAIN;
	}
	if (!b->tail)
		b->tail = &b->head;
	w.pprev = b->tail;
	*b->tail = &w;
	b->tail = &w.next;
	weft_green_abandon_push(&w.abandon);
	weft_unlock(&b->lock);

	for (;;) {
		/* A park may return spuriously: the node says whether we were woken. */
		weft_park_until(deadline);
		weft_lock(&b->lock);
		if (!w.queued) {
			ret = 0;
			break;
		}
		if (deadline != WEFT_FOREVER && weft_now() >= deadline) {
			node_unlink(b, &w);
			ret = -ETIMEDOUT;
			break;
		}
		weft_unlock(&b->lock);
	}
	weft_unlock(&b->lock);
	weft_green_abandon_pop(&w.abandon);
	return ret;
}

static inline __attribute__((always_inline)) int
wait_bitset(_Atomic uint32_t *word, uint32_t expected, uint64_t deadline, uint32_t bitset)
{
	struct __kernel_timespec ts;

	if (weft_tcb()->green_current)
		return green_wait(word, expected, deadline, bitset);
	return (int)weft_futex_wait_bitset(word, expected, false,
					   weft_deadline_timespec(deadline, &ts), bitset);
}

int weft_wait(_Atomic uint32_t *word, uint32_t expected, uint64_t deadline)
{
	return wait_bitset(word, expected, deadline, FUTEX_BITSET_MATCH_ANY);
}

int weft_wait_bitset(_Atomic uint32_t *word, uint32_t expected, uint64_t deadline,
		     uint32_t bitset)
{
	return wait_bitset(word, expected, deadline, bitset);
}

/* Wake up to @count green sleepers on @word that share a bit with @bitset; returns how many. */
static int green_wake(struct wait_bucket *b, _Atomic uint32_t *word, int count, uint32_t bitset)
{
	struct green_waiter *w, *next;
	int woken = 0;

	weft_lock(&b->lock);
	for (w = b->head; w && woken < count; w = next) {
		next = w->next;
		if (w->word != word || !(w->bitset & bitset))
			continue;
		node_unlink(b, w);
		/*
		 * Under the bucket lock: the sleeper cannot see !queued, return
		 * and let its thread end before we are done with it.
		 */
		weft_unpark(w->thread);
		woken++;
	}
	weft_unlock(&b->lock);
	return woken;
}

static inline __attribute__((always_inline)) int
wake_bitset(_Atomic uint32_t *word, int count, uint32_t bitset)
{
	struct wait_bucket *b = bucket_of(word);
	int woken = 0;
	long r;

	atomic_thread_fence(memory_order_seq_cst);
	if (unlikely(atomic_load_explicit(&b->count, memory_order_relaxed) != 0)) {
		woken = green_wake(b, word, count, bitset);
		if (woken >= count)
			return woken;
	}
	r = weft_futex_wake_bitset(word, count - woken, false, bitset);
	return r > 0 ? woken + (int)r : woken;
}

int weft_wake(_Atomic uint32_t *word, int count)
{
	return wake_bitset(word, count, FUTEX_BITSET_MATCH_ANY);
}

int weft_wake_bitset(_Atomic uint32_t *word, int count, uint32_t bitset)
{
	return wake_bitset(word, count, bitset);
}
