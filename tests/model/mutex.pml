// SPDX-License-Identifier: MIT
// A Promela model of weft_mutex (lib/mutex.c), checked by tests/model/check-sync.sh with spin.

/*
 * Drepper's mutex 3: the word is 0 (free), 1 (held) or 2 (held, maybe sleepers).
 *
 *	lock:    if (cas(&state, 0, 1)) return;
 *	         for (;;) {
 *	                 if (state != 2 && swap(&state, 2) == 0) return;	(two steps)
 *	                 futex_wait(&state, 2);		(timed: may give up)
 *	         }
 *	unlock:  if (swap(&state, 0) == 2) futex_wake(&state, 1);
 *
 * and a fourth value, 3, that only the holder writes: a condvar notify made under the
 * lock marks it with a compare-exchange 1 -> 3 (its FUTEX_WAKE waits for the unlock,
 * lib/condvar.c); a locker treats 3 as held, and the unlock wakes the mutex only for 2.
 *
 * NTHREADS threads each lock and unlock ROUNDS times; each lock is timed or not (spin
 * tries both). Properties: mutual exclusion (assertion in the critical section), and no
 * lost wake-up (every thread ends: an invalid end state otherwise). Three threads are
 * needed to show why a woken waiter must relock with 2: BROKEN=1 relocks with a
 * compare-exchange 0 -> 1 (Drepper's mutex 2), and the third thread sleeps forever.
 * BROKEN=2 replaces the compare-exchange by a load and a store, and two threads meet in
 * the critical section. BROKEN=3 marks a notify with a plain store of 3, which can
 * overwrite a sleeper's 2: the unlock then wakes nobody.
 */

#include "futex.pml"

#ifndef NTHREADS
#define NTHREADS 3
#endif
#ifndef ROUNDS
#define ROUNDS 1	/* 2 with 3 threads: ~10 million states, 15 s */
#endif
#ifndef BROKEN
#define BROKEN 0
#endif

byte state = 0;
chan mq = [NTHREADS] of { byte };
byte spurious_left = 1;
byte timeouts_left = 1;
byte in_cs = 0;		/* ghost: threads in the critical section */

active [NTHREADS] proctype Locker()
{
	byte old, r = 0;
	bool acquired, slept, timed, timed_out, woke;

	do
	:: r == ROUNDS -> break
	:: else ->
		if
		:: timed = true
		:: timed = false
		fi;
		acquired = false;
		slept = false;
		timed_out = false;
#if BROKEN == 2
		if
		:: state == 0 -> state = 1; acquired = true
		:: else -> skip
		fi;
#else
		d_step {
			if
			:: state == 0 -> state = 1; acquired = true
			:: else -> skip
			fi
		};
#endif
		do
		:: acquired || timed_out -> break
		:: else ->
			old = state;
#if BROKEN == 1
			/* Drepper's mutex 2: after a sleep, compare-exchange 0 -> 1. */
			if
			:: slept -> d_step {
					old = state;
					if
					:: state == 0 -> state = 1
					:: else -> skip
					fi
				}
			:: else -> skip
			fi;
#endif
			if
			:: old != 2 && !(BROKEN == 1 && slept) -> d_step { old = state; state = 2 }
			:: else -> skip
			fi;
			if
			:: old == 0 -> acquired = true
			:: else -> futex_wait(state, 2, mq, timed); slept = true
			fi
		od;
		if
		:: acquired ->
			d_step { in_cs++; assert(in_cs == 1) };
			/* Maybe a condvar notify, owed at the unlock. */
			if
#if BROKEN == 3
			:: state = 3
#else
			:: d_step { if :: state == 1 -> state = 3 :: else -> skip fi }
#endif
			:: skip
			fi;
			in_cs--;
			d_step { old = state; state = 0 };
			if
			:: old == 2 -> futex_wake_one(mq)
			:: else -> skip
			fi
		:: else -> skip
		fi;
		r++
	od
}
