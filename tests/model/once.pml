// SPDX-License-Identifier: MIT
// A Promela model of weft_once (lib/once.c, Rust's futex Once), checked by check-sync.sh.

/*
 *	INCOMPLETE 0, POISONED 1, RUNNING 2, QUEUED 3, COMPLETE 4
 *
 *	call(force): s = state;
 *	  POISONED, !force  -> panic
 *	  INCOMPLETE / POISONED -> cas(s, RUNNING): run fn, which may panic;
 *	                       finish: swap(state, COMPLETE or POISONED) == QUEUED -> wake all
 *	  RUNNING           -> cas(RUNNING, QUEUED), then as QUEUED
 *	  QUEUED            -> futex_wait(state, QUEUED); s = state
 *	  COMPLETE          -> return
 *
 * NTHREADS callers, each plain or force (spin tries both); one run of fn may panic
 * (PANICS). Properties: fn completes at most once, and a caller returns normally only
 * after it has (assertions); a panic poisons, and plain callers then panic while a
 * force caller runs fn again; every caller ends: no waiter is left asleep (invalid end
 * state otherwise). BROKEN=1 finishes with a plain store and no wake: the waiters
 * sleep forever.
 */

#include "futex.pml"

#ifndef NTHREADS
#define NTHREADS 3
#endif
#ifndef PANICS
#define PANICS 1
#endif
#ifndef BROKEN
#define BROKEN 0
#endif

#define INCOMPLETE	0
#define POISONED	1
#define RUNNING		2
#define QUEUED		3
#define COMPLETE	4

byte state = INCOMPLETE;
chan oq = [NTHREADS] of { byte };
byte spurious_left = 1;
byte timeouts_left = 0;
byte completed = 0;	/* ghost: runs of fn that returned */
byte panics_left = PANICS;

inline finish(to)
{
#if BROKEN == 1
	state = to
#else
	d_step { old = state; state = to };
	if
	:: old == QUEUED -> futex_wake_all(oq)
	:: else -> skip
	fi
#endif
}

active [NTHREADS] proctype Caller()
{
	byte s, old;
	bool force, panicked = false, timed = false, timed_out, woke;

	if
	:: force = true
	:: force = false
	fi;
	s = state;
	do
	:: s == COMPLETE -> break
	:: s == POISONED && !force -> panicked = true; break	/* "previously poisoned" */
	:: s == INCOMPLETE || (s == POISONED && force) ->
		d_step {
			if
			:: state == s -> state = RUNNING; s = RUNNING; old = 1
			:: else -> s = state; old = 0
			fi
		};
		if
		:: old == 1 ->
			/* We run fn. */
			if
			:: panics_left > 0 -> panics_left--; finish(POISONED); panicked = true
			:: true -> d_step { completed++; assert(completed == 1) }; finish(COMPLETE)
			fi;
			break
		:: else -> skip
		fi
	:: s == RUNNING ->
		d_step {
			if
			:: state == RUNNING -> state = QUEUED; s = QUEUED
			:: else -> s = state
			fi
		}
	:: s == QUEUED ->
		futex_wait(state, QUEUED, oq, timed);
		s = state
	od;
	assert(panicked || completed == 1)
}
