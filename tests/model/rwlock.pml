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
 * Safety (the default): readers and a writer, or two writers, never hold the lock
 * together (assertions); every thread ends (no missed wake-up, no deadlock, no writer
 * left asleep: invalid end state otherwise).
 *
 * LIVENESS=1, no writer starvation: two readers take and release the lock for ever,
 * one writer wants it once, and the ltl property writer_woken says that a writer
 * asleep is always woken again, under weak fairness (every thread that can run
 * eventually does). A stream of overlapping readers could otherwise keep the count
 * above zero for ever: that is what writer preference prevents, and BROKEN=3, a
 * reader-preferring lock (readers ignore the waiting bits, like glibc's default
 * PTHREAD_RWLOCK_PREFER_READER_NP), fails it with an acceptance cycle.
 * LIVENESS=2 asks more, that a waiting writer eventually holds the lock: the hand-off
 * (the unlock leaves the writer bit set while it wakes a writer, and clears it only when
 * no writer is asleep or counted in writers) makes it true. BROKEN=4, Rust's
 * clear-then-wake, fails it: a reader that arrives before the woken writer runs takes
 * the lock first, and a schedule that repeats this for ever is fair. BROKEN=5, the
 * hand-off without the count, fails it too: a writer between its check and its sleep
 * is not asleep, the bit goes, and a reader slips in again.
 *
 * BROKEN=1 drops the fallback (treats "writer bit set" as "a writer was woken"): the
 * readers behind a writer that timed out sleep forever, the missed wake-up of glibc
 * bugs 23844/23861. BROKEN=2 (on the clear-then-wake version) moves writer_notify
 * before the state changes, which lets a second writer read the new count, then the
 * old state, and sleep for good.
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
#ifndef SPURIOUS
#define SPURIOUS 1
#endif
#ifndef LIVENESS
#define LIVENESS 0
#endif

#define MASK		7
#define WRITE_LOCKED	7
#define MAX_READERS	6
#define RW		8	/* READERS_WAITING */
#define WW		16	/* WRITERS_WAITING */

#define is_unlocked(s)		(((s) & MASK) == 0)
#define is_write_locked(s)	(((s) & MASK) == WRITE_LOCKED)
#if BROKEN == 3
/* Reader-preferring (glibc's default kind): a reader enters whenever no writer holds it. */
#define is_read_lockable(s)	(((s) & MASK) < MAX_READERS)
#else
#define is_read_lockable(s)	(((s) & MASK) < MAX_READERS && ((s) & (RW | WW)) == 0)
#endif

byte state = 0;
byte writer_notify = 0;
chan rq = [NREADERS] of { byte };	/* readers asleep on state */
chan wq = [NWRITERS] of { byte };	/* writers asleep on writer_notify */
byte spurious_left = SPURIOUS;
byte timeouts_left = 1;
byte readers_in = 0, writers_in = 0;	/* ghosts */
byte writers = 0;			/* writers in the slow path (the real one's count) */
#if LIVENESS == 2
bool writer_waits = false;		/* ghost: the writer is between "must wait" and "locked" */
#define set_writer_waits(v)	writer_waits = v
#else
#define set_writer_waits(v)	skip
#endif

#if LIVENESS == 1
/* The starvation property: readers that keep coming never keep a sleeping writer asleep. */
ltl writer_woken { [] (len(wq) > 0 -> <> (len(wq) == 0)) }
#elif LIVENESS == 2
/* Stronger, true with the hand-off (false in Rust): a waiting writer eventually holds it. */
ltl writer_enters { [] (writer_waits -> <> (writers_in > 0)) }
#endif

/*
 * With readers looping for ever, an unbounded count would make the state space infinite;
 * modulo 4 loses nothing with one writer, which can see at most one increment between its
 * read of writer_notify and its FUTEX_WAIT (only it sets the bit an unlock clears).
 */
#if LIVENESS
#define notify_writers()	writer_notify = (writer_notify + 1) % 4
#else
#define notify_writers()	writer_notify++
#endif

/*
 * The lock is free (s has no holder) and someone sleeps: a writer first, handed the lock.
 * The writer bit stays set while the woken writer is on its way, so that no reader can
 * enter before it (LIVENESS=2). Only when FUTEX_WAKE finds no writer asleep is the bit
 * cleared and the readers woken. BROKEN=4 is the clear-then-wake of Rust (and of weft
 * before the hand-off): the bit goes first, and a reader can overtake the woken writer.
 */
inline wake_writer_or_readers(s)
{
#if BROKEN == 4 || BROKEN == 2
	if
	:: s == WW ->
#if BROKEN == 2
		notify_writers();
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
			notify_writers();
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
		notify_writers();
		futex_wake_one(wq);
		if
		:: woke -> goto woken
		:: else -> s = RW
		fi
	:: else -> skip
	fi;
#else
	if
	:: (s & WW) != 0 ->
		notify_writers();
		futex_wake_one(wq);
#if BROKEN == 1
		goto woken;
#endif
		if
		:: woke -> goto woken
		:: else -> skip
		fi;
		/*
		 * No writer asleep. One still in the slow path (between its FUTEX_WAIT's
		 * check and its sleep, or running) takes the lock with the bit set, or
		 * gives up and does this for itself; with none left, take the bit back,
		 * unless a holder or an unlock took over.
		 */
		do
#if BROKEN != 5
		:: writers > 0 -> goto woken
#endif
		:: else -> d_step {
			if
			:: state == s -> state = s & ~WW; s = state; ok = true
			:: else -> s = state; ok = false
			fi
		   };
		   if
		   :: ok -> break
		   :: !ok && is_unlocked(s) && (s & WW) != 0 -> skip
		   :: else -> goto woken
		   fi
		od
	:: else -> skip
	fi;
#endif
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

start:	skip;
	d_step { ok = false; woke = false; timed_out = false };
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
	fi;
#if LIVENESS
	goto start;	/* readers keep coming */
#endif
	skip
}

active [NWRITERS] proctype Writer()
{
	byte s, other = 0, seq;
	bool ok, timed, timed_out, woke;

#if LIVENESS
	timed = false;
#else
	if
	:: timed = true
	:: timed = false
	fi;
#endif
	writers++;
	s = state;
again:	if
	:: is_unlocked(s) ->
		d_step {
			if
			:: state == s -> state = s | WRITE_LOCKED | other; ok = true; writers_in++;
				writers--;
				set_writer_waits(false); assert(writers_in == 1 && readers_in == 0)
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
	set_writer_waits(true);
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
		writers--;
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
