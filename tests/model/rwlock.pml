// SPDX-License-Identifier: MIT
// A Promela model of weft_rwlock (lib/rwlock.c, Rust's futex rwlock), checked by check-sync.sh.

/*
 * The state word with the reader count shrunk to 3 bits (the real one has 30):
 *
 *	bits 0-2  readers; 7 = write locked      bit 3  READERS_WAITING   bit 4  WRITERS_WAITING
 *
 * Readers sleep on the state word, writers on writer_notify. The code follows
 * lib/rwlock.c step by step (each atomic instruction one d_step; each plain load its
 * own step), without the spinning, which only delays. Writers may use the timed form
 * and give up, which is what makes the fallback in wake_writer_or_readers() matter:
 * the writer bit is set, FUTEX_WAKE finds no writer asleep, and the readers must be
 * woken instead.
 *
 * Properties: readers and a writer, or two writers, never hold the lock together
 * (assertions); every thread ends (no missed wake-up, no deadlock, no writer left
 * asleep: invalid end state otherwise). Writer preference itself holds by
 * construction (a reader's compare-exchange succeeds only from a state with neither
 * waiting bit); tests/test-rwlock.c checks its effect.
 * BROKEN=1 drops the fallback (treats "writer bit set" as "a writer was woken"): the
 * readers behind a writer that timed out sleep forever, the missed wake-up of glibc
 * bugs 23844/23861. BROKEN=2 moves writer_notify before the state changes, which
 * lets a second writer read the new count, then the old state, and sleep for good.
 */

#include "futex.pml"

#ifndef NREADERS
#define NREADERS 2
#endif
#ifndef NWRITERS
#define NWRITERS 1
#endif
#ifndef BROKEN
#define BROKEN 0
#endif

#define MASK		7
#define WRITE_LOCKED	7
#define MAX_READERS	6
#define RW		8	/* READERS_WAITING */
#define WW		16	/* WRITERS_WAITING */

#define is_unlocked(s)		(((s) & MASK) == 0)
#define is_write_locked(s)	(((s) & MASK) == WRITE_LOCKED)
#define is_read_lockable(s)	(((s) & MASK) < MAX_READERS && ((s) & (RW | WW)) == 0)

byte state = 0;
byte writer_notify = 0;
chan rq = [NREADERS] of { byte };	/* readers asleep on state */
chan wq = [NWRITERS] of { byte };	/* writers asleep on writer_notify */
byte spurious_left = 1;
byte timeouts_left = 1;
byte readers_in = 0, writers_in = 0;	/* ghosts */

/* The lock is free (s has no holder) and someone sleeps: a writer first. */
inline wake_writer_or_readers(s)
{
	if
	:: s == WW ->
#if BROKEN == 2
		writer_notify++;
#endif
		d_step {
			if
			:: state == s -> state = 0; ok = true
			:: else -> s = state; ok = false
			fi
		};
		if
		:: ok ->
#if BROKEN != 2
			writer_notify++;
#endif
			futex_wake_one(wq); goto woken
		:: else -> skip
		fi
	:: else -> skip
	fi;
	if
	:: s == (RW | WW) ->
		d_step {
			if
			:: state == s -> state = RW; ok = true
			:: else -> ok = false
			fi
		};
		if
		:: !ok -> goto woken
		:: else -> skip
		fi;
		writer_notify++;
		futex_wake_one(wq);
#if BROKEN == 1
		goto woken;
#endif
		if
		:: woke -> goto woken
		:: else -> s = RW
		fi
	:: else -> skip
	fi;
	if
	:: s == RW ->
		d_step {
			if
			:: state == RW -> state = 0; ok = true
			:: else -> ok = false
			fi
		};
		if
		:: ok -> futex_wake_all(rq)
		:: else -> skip
		fi
	:: else -> skip
	fi;
woken:	skip
}

active [NREADERS] proctype Reader()
{
	byte s;
	bool ok, timed = false, timed_out, woke;

	s = state;
again:	if
	:: is_read_lockable(s) ->
		d_step {
			if
			:: state == s -> state = s + 1; ok = true; readers_in++;
				assert(writers_in == 0)
			:: else -> s = state; ok = false
			fi
		};
		if
		:: ok -> goto locked
		:: else -> goto again
		fi
	:: else -> skip
	fi;
	if
	:: (s & RW) == 0 ->
		d_step {
			if
			:: state == s -> state = s | RW; ok = true
			:: else -> s = state; ok = false
			fi
		};
		if
		:: !ok -> goto again
		:: else -> skip
		fi
	:: else -> skip
	fi;
	futex_wait(state, s | RW, rq, timed);
	s = state;
	goto again;
locked:
	readers_in--;
	d_step { state = state - 1; s = state };
	if
	:: is_unlocked(s) && (s & WW) != 0 -> wake_writer_or_readers(s)
	:: else -> skip
	fi
}

active [NWRITERS] proctype Writer()
{
	byte s, other = 0, seq;
	bool ok, timed, timed_out, woke;

	if
	:: timed = true
	:: timed = false
	fi;
	s = state;
again:	if
	:: is_unlocked(s) ->
		d_step {
			if
			:: state == s -> state = s | WRITE_LOCKED | other; ok = true; writers_in++;
				assert(writers_in == 1 && readers_in == 0)
			:: else -> s = state; ok = false
			fi
		};
		if
		:: ok -> goto locked
		:: else -> goto again
		fi
	:: else -> skip
	fi;
	if
	:: (s & WW) == 0 ->
		d_step {
			if
			:: state == s -> state = s | WW; ok = true
			:: else -> s = state; ok = false
			fi
		};
		if
		:: !ok -> goto again
		:: else -> skip
		fi
	:: else -> skip
	fi;
	other = WW;
	seq = writer_notify;
	s = state;
	if
	:: is_unlocked(s) || (s & WW) == 0 -> goto again
	:: else -> skip
	fi;
	futex_wait(writer_notify, seq, wq, timed);
	if
	:: timed_out ->
		/* Give up, passing on a wake-up that may have been ours. */
		s = state;
		if
		:: is_unlocked(s) && (s & (RW | WW)) != 0 -> wake_writer_or_readers(s)
		:: else -> skip
		fi;
		goto done
	:: else -> skip
	fi;
	s = state;
	goto again;
locked:
	writers_in--;
	d_step { state = state - WRITE_LOCKED; s = state };
	if
	:: (s & (RW | WW)) != 0 -> wake_writer_or_readers(s)
	:: else -> skip
	fi;
done:	skip
}
