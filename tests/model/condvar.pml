// SPDX-License-Identifier: MIT
// A Promela model of weft_condvar with its mutex (lib/condvar.c), checked by check-sync.sh.

/*
 *	wait:       snap = seq | 1; seq = snap;		(one fetch_or, under the mutex)
 *	            waiters++;				(under the mutex)
 *	            unlock(m); futex_wait(&seq, snap); lock(m);
 *	notify_one: if (waiters == 0) return;
 *	            if (waiters > 0) waiters--;	(a compare-exchange loop)
 *	            seq += 2; futex_wake(&seq, 1);
 *	notify_all: if (waiters == 0) return;
 *	            waiters = 0; seq += 2; futex_wake(&seq, all);
 *
 * A notify made while holding the waiters' mutex does all but the futex_wake, which the
 * unlock of that mutex makes (lib/mutex.c, state 3): modelled as the counters under the
 * mutex, the unlock, then the wake the notify owed.
 *
 * seq's lowest bit is set by the first waiter and kept by every notify, so no value a
 * waiter sleeps on is 0, the value of a wiped condvar (lib/condvar.c says why).
 *
 * A waiter never decrements waiters: not when woken, not after a timeout (a timed wait
 * here is one that a timeout ends; the caller loops). The mutex is an atomic test-and-set
 * that blocks: mutex.pml checks the real one.
 *
 * NWAITERS waiters each wait for a token (while (tokens == 0) wait;); one notifier hands
 * out NWAITERS tokens, one at a time, notifying inside or outside the mutex with
 * notify_one or notify_all (spin tries every mixture). No lost notify: every waiter
 * ends (an invalid end state otherwise). BROKEN=1 registers the waiter after it has
 * released the mutex; BROKEN=2 notifies without changing seq; BROKEN=3 has the unlock
 * forget the wake a notify owed it. Each loses a wake-up.
 */

#include "futex.pml"

#ifndef NWAITERS
#define NWAITERS 2
#endif
#ifndef BROKEN
#define BROKEN 0
#endif

bit m = 0;
byte seq = 0;
byte waiters = 0;
byte tokens = 0;
chan cq = [NWAITERS] of { byte };
#ifndef SPURIOUS
#define SPURIOUS 1
#endif
#ifndef TIMEOUTS
#define TIMEOUTS 2
#endif
byte spurious_left = SPURIOUS;
byte timeouts_left = TIMEOUTS;

inline lock()
{
	atomic { m == 0 -> m = 1 }
}

inline unlock()
{
	m = 0
}

/* owed: 0 nothing, 1 a futex_wake of one, 2 of all; deliver() makes it. */
inline notify_one()
{
	if
	:: waiters == 0 -> skip
	:: else ->
		d_step {
			if
			:: waiters > 0 -> waiters--
			:: else -> skip
			fi
		};
#if BROKEN != 2
		seq = seq + 2;
#endif
		owed = 1
	fi
}

inline notify_all()
{
	if
	:: waiters == 0 -> skip
	:: else ->
		waiters = 0;
#if BROKEN != 2
		seq = seq + 2;
#endif
		owed = 2
	fi
}

/*
 * The wake a notify owes: made by the notify, or by the unlock after a deferred one.
 * futex_wake_all() as an atomic, not a d_step: spin 6.5 emits a dangling label for
 * that d_step's break here.
 */
inline deliver()
{
	if
	:: owed == 1 -> futex_wake_one(cq)
	:: owed == 2 -> atomic {
			do
			:: len(cq) > 0 -> cq?_
			:: else -> break
			od
		}
	:: else -> skip
	fi;
	owed = 0
}

active [NWAITERS] proctype Waiter()
{
	byte snap;
	bool timed, timed_out, woke;

	lock();
	do
	:: tokens > 0 -> tokens--; break
	:: else ->
		d_step { snap = seq | 1; seq = snap };
#if BROKEN == 1
		unlock();
		waiters++;
#else
		waiters++;
		unlock();
#endif
		if
		:: timed = true
		:: timed = false
		fi;
		futex_wait(seq, snap, cq, timed);
		lock()
	od;
	unlock()
}

/* when: 0 notifies (and wakes) inside the mutex, 1 after the unlock, 2 inside with the
 * wake deferred to the unlock. */
active proctype Notifier()
{
	byte i = 0, owed = 0, when;
	bool all, woke;

	do
	:: i == NWAITERS -> break
	:: else ->
		lock();
		tokens++;
		if
		:: all = false
		:: all = true
		fi;
		if
		:: when = 0
		:: when = 1
		:: when = 2
		fi;
		if
		:: when == 1 -> unlock()
		:: else -> skip
		fi;
		if
		:: all -> notify_all()
		:: else -> notify_one()
		fi;
		if
		:: when == 2 -> unlock();
#if BROKEN == 3
			owed = 0	/* the unlock forgets the wake it owes */
#else
			skip
#endif
		:: else -> skip
		fi;
		deliver();
		if
		:: when == 0 -> unlock()
		:: else -> skip
		fi;
		i++
	od
}
