// SPDX-License-Identifier: MIT
// The futex as the sync models use it: included by mutex.pml, condvar.pml, rwlock.pml, once.pml.

/*
 * One FIFO queue (a chan) per futex word; a thread is asleep exactly while its id is in
 * the word's queue. As in parker.pml: FUTEX_WAIT compares the word and enqueues in one
 * step (the kernel does both under the hash bucket lock, futex_wait_setup() in
 * kernel/futex/waitwake.c), then sleeps until a wake removes it, or it leaves on its
 * own: a spurious wake-up (EINTR, a stray FUTEX_WAKE) or a timeout, each from a small
 * budget so that runs where the kernel stops being kind are explored too. weft's green
 * waiter table (lib/wait.c) keeps the same contract: check under the bucket lock, then
 * link the node.
 *
 * A user must declare: byte spurious_left, timeouts_left; and locals bool timed_out,
 * bool woke. It may define FUTEX_TOUCH, a statement run where FUTEX_WAIT reads the word
 * (rwlock.pml asserts there that the memory has not been freed).
 */

#ifndef FUTEX_TOUCH
#define FUTEX_TOUCH	skip
#endif

inline futex_wait(word, expected, q, timed)
{
	timed_out = false;
	d_step {
		FUTEX_TOUCH;
		if
		:: (word) == (expected) -> q!_pid
		:: else -> skip		/* -EAGAIN */
		fi
	};
	if
	:: !q??[eval(_pid)] -> skip
	:: atomic { q??[eval(_pid)] && spurious_left > 0 -> q??eval(_pid); spurious_left-- }
	:: atomic { timed && q??[eval(_pid)] && timeouts_left > 0 ->
		q??eval(_pid); timeouts_left--; timed_out = true }
	fi
}

/* FUTEX_WAKE(1): woke tells whether someone was asleep. */
inline futex_wake_one(q)
{
	d_step {
		if
		:: len(q) > 0 -> q?_; woke = true
		:: else -> woke = false
		fi
	}
}

inline futex_wake_all(q)
{
	d_step {
		do
		:: len(q) > 0 -> q?_
		:: else -> break
		od
	}
}
