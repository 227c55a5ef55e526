// SPDX-License-Identifier: MIT
// A Promela model of weft_rwlock (lib/rwlock.c), checked by check-sync.sh.

/*
 * The state with the reader count shrunk to 3 bits (the real one has 30) and the count of
 * waiting writers to 3 (the real one has 32):
 *
 *	bits 0-2  readers; 7 = write locked    bit 3  READERS_WAITING    bits 4-6  writers
 *	<----------- the futex word: bits 0-3 ----------->               (not compared)
 *
 * Everyone sleeps on the futex word, readers in rq and writers in wq: the two bitsets of
 * FUTEX_WAIT_BITSET, so that an unlock wakes one writer or all the readers. The code
 * follows lib/rwlock.c step by step (each atomic instruction one d_step, each plain load
 * its own step), without the spinning, which only delays. Readers and writers may use
 * the timed forms and give up.
 *
 * Safety (the default): readers and a writer, or two writers, never hold the lock
 * together (assertions); every thread ends (no missed wake-up, no writer or reader left
 * asleep behind a hand-off nobody takes: invalid end state otherwise); and the
 * destruction rule: once an unlock's releasing compare-exchange (or a giving-up writer's
 * leaving one) has run, that thread touches no word of the lock, only the futex queues
 * (TOUCH asserts it at every access, with post set by the thread itself), and the lock
 * may be freed: every thread counts itself in finished inside its last critical section
 * (or after its last call returns, if that call timed out), and a writer that finds
 * every thread counted frees the lock as soon as its unlock returns; TOUCH asserts
 * !freed too, so a late access by anyone is caught.
 *
 * LIVENESS=1, no writer starvation: two readers take and release the lock for ever, one
 * writer wants it once, and the ltl property writer_woken says that a writer asleep is
 * always woken again, under weak fairness. LIVENESS=2 asks more, that a waiting writer
 * eventually holds the lock: the hand-off (the unlock leaves the writers counted, so the
 * free lock admits writers only, and wakes one) makes it true.
 *
 * Broken variants, each of which must fail:
 *  BROKEN=1  the post-release fallback of weft's lock before this one: the unlock
 *            releases first and only then looks at the state again to decide whom to wake
 *            (and clears READERS_WAITING with a second compare-exchange): a use after
 *            free (assertion violated).
 *  BROKEN=2  Rust's clear-then-wake: the unlock forgets the waiting writer (clears the
 *            bit) before it wakes it, so a reader that comes first takes the lock, for
 *            ever in a fair schedule (LIVENESS=2: acceptance cycle).
 *  BROKEN=3  a writer that gives up just counts itself out: a hand-off it was woken for
 *            stays with nobody to take it, or the readers asleep behind it stay asleep
 *            (glibc bugs 23844/23861; invalid end state).
 *  BROKEN=4  reader-preferring (glibc's default PTHREAD_RWLOCK_PREFER_READER_NP): readers
 *            ignore waiting writers, and overlapping readers starve one (LIVENESS=1).
 *  BROKEN=5  the count in a word of its own (the state keeps a writer bit): an unlock reads
 *            it before its releasing compare-exchange, a writer that gives up counts itself
 *            out, then reads the state and takes a hand-off it finds there. The unlock reads
 *            the count (1), the writer counts out, finds the lock still held and leaves,
 *            then the unlock hands the lock to nobody: readers asleep for ever (invalid end
 *            state), on this sequentially consistent model, so no fence would help.
 */

#ifndef BROKEN
#define BROKEN 0
#endif
#ifndef POST_CHECK
#define POST_CHECK 1	/* 0: leave the use after free to be caught by freed alone */
#endif

/* Every access to the lock's memory; futex.pml's FUTEX_WAIT compares the word too. */
#define TOUCH		assert(!freed && !(post && POST_CHECK))
#define FUTEX_TOUCH	TOUCH

#include "futex.pml"

#ifndef NREADERS
#define NREADERS 2
#endif
#ifndef NWRITERS
#define NWRITERS 1
#endif
#ifndef SPURIOUS
#define SPURIOUS 1
#endif
#ifndef TIMEOUTS
#define TIMEOUTS 1
#endif
#ifndef LIVENESS
#define LIVENESS 0
#endif

#define MASK		7
#define WRITE_LOCKED	7
#define MAX_READERS	6
#define RW		8	/* READERS_WAITING */
#define WRITER		16	/* one waiting writer */

#define LOW(s)			((s) & 15)
#define is_unlocked(s)		(((s) & MASK) == 0)
#define is_write_locked(s)	(((s) & MASK) == WRITE_LOCKED)
#define has_writers(s)		((s) >= WRITER)
#if BROKEN == 4
#define is_read_lockable(s)	(((s) & MASK) < MAX_READERS)
#else
#define is_read_lockable(s)	((s) < MAX_READERS)
#endif

byte state = 0;
chan rq = [NREADERS] of { byte };	/* readers asleep on the word (bitset WAKE_READERS) */
chan wq = [NWRITERS] of { byte };	/* writers asleep on the word (bitset WAKE_WRITERS) */
byte spurious_left = SPURIOUS;
byte timeouts_left = TIMEOUTS;
byte readers_in = 0, writers_in = 0;	/* ghosts */
byte finished = 0;			/* ghost: threads done with the lock */
byte writers = 0;			/* BROKEN=5 only: the count in a word of its own */
bool freed = false;			/* ghost: the lock's memory is gone */
#if LIVENESS == 2
bool writer_waits = false;		/* ghost: the writer is counted, not yet in */
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

#if LIVENESS
#define count_finished()	skip
#else
#define count_finished()	finished++
#endif

/* A compare-exchange of the whole state: on failure s gets the current value. */
inline cas(s, nv)
{
	d_step {
		TOUCH;
		if
		:: state == s -> state = nv; ok = true
		:: else -> s = state; ok = false
		fi
	}
}

/* The releasing compare-exchange: from here on the thread may only wake. */
inline cas_release(s, nv)
{
	d_step {
		TOUCH;
		if
		:: state == s -> state = nv; ok = true; post = true
		:: else -> s = state; ok = false
		fi
	}
}

/*
 * What a release from s (holder gone) does, decided from the value it replaces
 * (release_to() in lib/rwlock.c): writers counted, the hand-off (the count stays, wake one
 * writer); none, clear READERS_WAITING and wake the readers. BROKEN=2, Rust: the count goes
 * (with one writer, as LIVENESS runs it, the count is Rust's bit) before the writer wakes.
 */
#if BROKEN == 2
/* Rust's bit: set by a writer before it sleeps if clear, cleared by whoever takes the lock. */
#define must_count(s)	(!has_writers(s))
#define taken(s)	(((s) & 15) + WRITE_LOCKED)
#elif BROKEN == 5
/* The count in a word of its own; the state's writer field is a bit that stays when taken. */
#define taken(s)	((s) + WRITE_LOCKED)
#else
#define must_count(s)	(counted == 0)
#define taken(s)	((s) - counted + WRITE_LOCKED)
#endif

inline release_to(s, nv)
{
	if
	:: has_writers(s) ->
#if BROKEN == 2
		nv = s & 15;
#else
		nv = s;
#endif
		who = 2
	:: else -> nv = s & ~RW; who = (s & RW) / RW
	fi
}

/* futex_wake_all() as an atomic, not a d_step: spin 6.5 emits a dangling label for its break. */
inline wake(who)
{
	if
	:: who == 2 -> futex_wake_one(wq)
	:: who == 1 -> atomic {
			do
			:: len(rq) > 0 -> rq?_
			:: else -> break
			od
		}
	:: else -> skip
	fi
}

active [NREADERS] proctype Reader()
{
	byte s, nv, w, who;
	bool ok, timed = false, timed_out, woke, post = false;

#if !LIVENESS
	if
	:: timed = true
	:: timed = false
	fi;
#endif
start:	skip;
	d_step { TOUCH; s = state };
again:	if
	:: is_read_lockable(s) ->
		d_step {
			TOUCH;
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
		cas(s, s | RW);
		if
		:: !ok -> goto again
		:: else -> s = s | RW
		fi
	:: else -> skip
	fi;
	futex_wait(LOW(state), LOW(s), rq, timed);
	if
	:: timed_out -> count_finished(); goto done	/* the bit stays: an unlock clears it */
	:: else -> skip
	fi;
	d_step { TOUCH; s = state };
	goto again;
locked:
	count_finished();
	readers_in--;
#if BROKEN == 5
	/* The count read before the releasing compare-exchange, in a word of its own. */
	d_step { TOUCH; s = state };
	do
	:: d_step { TOUCH; w = writers };
		nv = s - 1;
		who = 0;
		if
		:: is_unlocked(nv) && w > 0 -> nv = nv | WRITER; who = 2
		:: is_unlocked(nv) && w == 0 -> nv = nv & ~WRITER;
			if
			:: (nv & RW) -> nv = nv & ~RW; who = 1
			:: else -> skip
			fi
		:: else -> skip
		fi;
		cas_release(s, nv);
		if
		:: ok -> break
		:: else -> skip
		fi
	od;
	wake(who);
#else
	/* The last reader out, writers counted: the lock is theirs now, wake one. */
	d_step {
		TOUCH; state = state - 1; s = state; post = true;
#if BROKEN == 2
		if
		:: is_unlocked(s) && has_writers(s) -> state = s & 15	/* Rust: forget them */
		:: else -> skip
		fi
#endif
	};
	if
	:: is_unlocked(s) && has_writers(s) -> futex_wake_one(wq)
	:: else -> skip
	fi;
#endif
	post = false;
#if LIVENESS
	goto start;	/* readers keep coming */
#endif
done:	skip
}

active [NWRITERS] proctype Writer()
{
	byte s, nv, w, who, counted = 0;
	bool ok, timed = false, timed_out, woke, post = false, frees = false;

#if !LIVENESS
	if
	:: timed = true
	:: timed = false
	fi;
#endif
	d_step { TOUCH; s = state };
again:	if
	:: is_unlocked(s) ->
		d_step {
			TOUCH;
			if
			:: state == s -> state = taken(s); ok = true;
				writers_in++; set_writer_waits(false);
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
#if BROKEN == 5
	if
	:: counted == 0 -> d_step { TOUCH; writers++ }; counted = 1; set_writer_waits(true)
	:: else -> skip
	fi;
	if
	:: (s & WRITER) == 0 ->
		cas(s, s | WRITER);
		if
		:: !ok -> goto again
		:: else -> s = s | WRITER
		fi
	:: else -> skip
	fi;
#else
	if
	:: must_count(s) ->
		/* Counted in the value we sleep on. */
		cas(s, s + WRITER);
		if
		:: !ok -> goto again
		:: else -> s = s + WRITER; counted = WRITER; set_writer_waits(true)
		fi
	:: else -> skip
	fi;
#endif
	futex_wait(LOW(state), LOW(s), wq, timed);
	if
	:: timed_out -> goto give_up
	:: else -> skip
	fi;
	d_step { TOUCH; s = state };
	goto again;

give_up:	skip;
	/* write_give_up(): one compare-exchange takes a free (handed) lock, or leaves. */
	d_step { TOUCH; s = state };
#if BROKEN == 3
	d_step { TOUCH; state = state - WRITER; post = true };
	post = false;
	count_finished();
	goto done;
#elif BROKEN == 5
	/* Count out, then look at the state: take a hand-off found there, else leave. */
	d_step { TOUCH; writers-- };
	counted = 0;
	d_step { TOUCH; s = state };
	if
	:: is_unlocked(s) && (s & WRITER) ->
		d_step {
			TOUCH;
			if
			:: state == s -> state = s + WRITE_LOCKED; ok = true; writers_in++;
				assert(writers_in == 1 && readers_in == 0)
			:: else -> ok = false
			fi
		};
		if
		:: ok -> goto locked
		:: else -> skip
		fi
	:: else -> skip
	fi;
	count_finished();
	goto done;
#endif
	do
	:: is_unlocked(s) ->
		d_step {
			TOUCH;
			if
			:: state == s -> state = s - WRITER + WRITE_LOCKED; ok = true;
				writers_in++; set_writer_waits(false);
				assert(writers_in == 1 && readers_in == 0)
			:: else -> s = state; ok = false
			fi
		};
		if
		:: ok -> goto locked
		:: else -> skip
		fi
	:: else ->
		nv = s - WRITER;
		if
		:: !has_writers(nv) && !is_write_locked(nv) && (nv & RW) -> nv = nv & ~RW; who = 1
		:: else -> who = 0
		fi;
		cas_release(s, nv);
		if
		:: ok -> wake(who); post = false; count_finished(); goto done
		:: else -> skip
		fi
	od;

locked:
#if BROKEN == 5
	if
	:: counted -> d_step { TOUCH; writers-- }; counted = 0
	:: else -> skip
	fi;
#endif
	count_finished();
	if
	:: finished == NREADERS + NWRITERS -> frees = true	/* the last user */
	:: else -> skip
	fi;
	writers_in--;
#if BROKEN == 1
	/* The old unlock: release, then look at the state again to clear the bit. */
	d_step { TOUCH; state = state - WRITE_LOCKED; s = state; post = true };
	if
	:: has_writers(s) -> futex_wake_one(wq)
	:: !has_writers(s) && (s & RW) ->
		cas(s, s & ~RW);
		if
		:: ok -> who = 1; wake(who)
		:: else -> skip
		fi
	:: else -> skip
	fi;
#elif BROKEN == 5
	d_step { TOUCH; s = state };
	do
	:: d_step { TOUCH; w = writers };
		nv = s - WRITE_LOCKED;
		if
		:: w > 0 -> nv = nv | WRITER; who = 2
		:: else -> nv = nv & ~WRITER;
			if
			:: (nv & RW) -> nv = nv & ~RW; who = 1
			:: else -> who = 0
			fi
		fi;
		cas_release(s, nv);
		if
		:: ok -> break
		:: else -> skip
		fi
	od;
	wake(who);
#else
	d_step { TOUCH; s = state };
	do
	:: release_to(s - WRITE_LOCKED, nv);
		cas_release(s, nv);
		if
		:: ok -> break
		:: else -> skip
		fi
	od;
	wake(who);
#endif
	post = false;
	if
	:: frees -> freed = true	/* its unlock has returned: free the lock */
	:: else -> skip
	fi;
done:	skip
}
