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
 * released the mutex; BROKEN=2 notifies without changing seq. Both lose a wake-up.
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
		futex_wake_one(cq)
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
		futex_wake_all(cq)
	fi
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

active proctype Notifier()
{
	byte i = 0;
	bool woke;

	do
	:: i == NWAITERS -> break
	:: else ->
		lock();
		tokens++;
		if
		:: true -> notify_one(); unlock()
		:: true -> notify_all(); unlock()
		:: true -> unlock(); notify_one()
		:: true -> unlock(); notify_all()
		fi;
		i++
	od
}
