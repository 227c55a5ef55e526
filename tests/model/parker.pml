// SPDX-License-Identifier: MIT
// A Promela model of weft's thread Parker, checked by tests/model/check-parker.sh with spin.

/*
 * How to read this file if you have never seen Promela
 * ----------------------------------------------------
 *
 * Promela is the input language of the spin model checker. A model is a set of
 * processes (here: threads) that share global variables. spin does not run the model
 * once; it generates a C program, "pan", which explores *every* interleaving of the
 * processes' steps and stops at the first one that breaks a property.
 *
 *   proctype P() { ... }     the code of one kind of process (one kind of thread).
 *   active [N] proctype P()  start N copies of it at time zero. _pid is the copy's id.
 *   inline f(x) { ... }      a macro: its body is pasted in where f(x) is called.
 *                            It is how this file spells a C function.
 *   if :: g1 -> a :: g2 -> b fi
 *                            run one option whose first statement (the guard) is true;
 *                            if several are true, spin tries each of them. If none is,
 *                            the process *blocks* on this line until one becomes true.
 *   do :: ... od             the same, in a loop; "break" leaves it.
 *   else                     the guard that is true when no other guard is.
 *   d_step { ... }           the body runs as one indivisible step: no other process
 *                            runs in the middle. This is how an atomic instruction
 *                            (lock xadd, xchg, lock cmpxchg) is written.
 *   atomic { g -> ... }      also indivisible; usable as an option whose guard is g.
 *   chan q = [N] of {byte}   a FIFO queue of up to N bytes. q!x appends x. q??eval(x)
 *                            removes the first x found anywhere in the queue.
 *                            q??[eval(x)] is a test with no side effect: "x is in q".
 *   assert(e)                spin reports an error if any interleaving reaches this
 *                            line with e false.
 *
 * Every step is one statement; between two steps any other process may run. Plain reads
 * and writes of one variable are each one step, so a C sequence such as
 * "if (x == 0) x = 1;" becomes two steps with a gap in between, exactly like the real
 * race. Atomics are sequentially consistent in a model (see "What is not modelled").
 *
 * The end of a run: when no process can take a step, spin checks that every process is
 * at the end of its code (or at a label starting with "end"). If one is not, it is
 * stuck forever, and spin reports an "invalid end state". That is how a lost wake-up
 * shows up: the owner is still asleep in futex_wait() after everyone else has finished.
 *
 * What is modelled
 * ----------------
 *
 * weft's Parker uses the algorithm of Rust std's futex parker: one 32-bit word per thread.
 *
 *	EMPTY    =  0	no token, nobody asleep
 *	PARKED   = -1	the owner is in park() and may be asleep on the futex
 *	NOTIFIED =  1	a token is waiting; the next park() takes it and returns at once
 *
 *	park():          if (fetch_sub(&state, 1) == NOTIFIED) return;
 *	                 for (;;) {
 *	                         futex_wait(&state, PARKED);
 *	                         if (cas(&state, NOTIFIED, EMPTY)) return;
 *	                 }
 *	park_timeout():  the same, but futex_wait has a timeout; once the deadline has
 *	                 passed, swap(&state, EMPTY) and return (taking a token that
 *	                 arrived meanwhile).
 *	unpark():        if (swap(&state, NOTIFIED) == PARKED) futex_wake(&state, 1);
 *
 * Only the owner calls park(); any thread calls unpark().
 *
 * Processes: one Owner (the thread that owns the Parker and parks), NTHREADS - 1
 * Unparkers, and an Invariant observer that is not a thread at all.
 *
 * The handshake that gives every park() a reason to return: each Unparker posts ROUNDS
 * events ("posted++", think "push a job on a queue") and calls unpark() after each one.
 * The Owner takes the events one by one ("seen++") and, whenever it finds none new,
 * calls park(). This is the pattern every user of park()/unpark() follows (check the
 * condition, park if it is false; make the condition true, then unpark). The Owner ends
 * when it has seen all (NTHREADS - 1) * ROUNDS events. If unpark() could be lost, there
 * is an interleaving where the Owner parks with an event already posted and is never
 * woken: spin reports it as an invalid end state.
 *
 * Properties
 * ----------
 *
 *   (a) No lost wake-up and no deadlock: every run ends with every thread at the end of
 *       its code (spin's invalid-end-state check), for NTHREADS = 2 and 3.
 *   (b) park() returns only with a token, park_timeout() only with a token or after its
 *       deadline; and a token is taken only if an unpark() ran since the last one was
 *       taken (assertions in take_token() and park_end()). This is stronger than Rust's
 *       documented contract, which allows park() to return spuriously; the algorithm
 *       never does.
 *   (c) An invariant on the word, checked between every two steps (proctype Invariant).
 *
 * What is not modelled
 * --------------------
 *
 *   - Memory ordering. spin runs the steps one at a time, i.e. sequentially consistent.
 *     The wake-up logic involves a single atomic word, and every read-modify-write of
 *     one word is totally ordered in C11 whatever the memory order, so this loses
 *     nothing for (a)-(c). What acquire/release buys (that the owner sees the data an
 *     unparker wrote before unpark()) is not checked here.
 *   - Unbounded spurious wake-ups and timeouts. Each is limited to a small budget. With
 *     no limit, a thread that lost its wake-up could still always wake up "by chance",
 *     so it would never be stuck and spin's end-state check would see nothing. With a
 *     budget, the run where the kernel stops being kind is among those explored.
 *   - Which waiter FUTEX_WAKE picks. The queue is FIFO; since only the owner ever waits
 *     on its Parker's word, there is never more than one waiter to choose from.
 */

#ifndef NTHREADS
#define NTHREADS 2	/* threads in all: the owner and NTHREADS - 1 unparkers */
#endif
#ifndef ROUNDS
#define ROUNDS 2	/* events (and unpark() calls) per unparker */
#endif
#ifndef MAX_SPURIOUS
#define MAX_SPURIOUS 2	/* spurious wake-ups the kernel may deliver in one run */
#endif
#ifndef MAX_TIMEOUTS
#define MAX_TIMEOUTS 2	/* deadlines that may expire in one run */
#endif

/*
 * BROKEN selects a deliberately wrong variant, to show that the properties catch bugs:
 *   1  unpark() stores NOTIFIED with a plain write and never calls futex_wake()
 *      -> lost wake-up: invalid end state.
 *   2  futex_wait() checks the word and then enqueues in two steps (a user-space
 *      "if (state == PARKED) sleep();") -> lost wake-up: invalid end state.
 *   3  park() trusts any return from futex_wait() and returns without a token
 *      -> a spurious wake-up makes park() return: assertion violated.
 * Undefined (0) is the real algorithm.
 */
#ifndef BROKEN
#define BROKEN 0
#endif

#define UNPARKERS	(NTHREADS - 1)
#define TOTAL_EVENTS	(UNPARKERS * ROUNDS)

#define EMPTY		0
#define PARKED		(-1)
#define NOTIFIED	1

short state = EMPTY;	/* the Parker's word */

/*
 * The futex, as the kernel keeps it: a FIFO queue of the threads asleep on the word.
 * A thread is asleep exactly while its id is in the queue.
 */
chan futex_queue = [NTHREADS] of { byte };

/* Budgets that keep the number of kernel "surprises" finite, so every run can end. */
byte spurious_left = MAX_SPURIOUS;
byte timeouts_left = MAX_TIMEOUTS;

/* The handshake. */
byte posted = 0;	/* events made available by the unparkers */

/* Ghost variables: bookkeeping for the properties; the algorithm never reads them. */
byte unparks = 0;		/* unpark() calls that have swapped NOTIFIED in so far */
bool owner_in_park = false;	/* the Owner is between the start and end of park() */

/*
 * futex_wait(&state, expected), with or without a timeout.
 *
 * In the kernel, FUTEX_WAIT takes the hash-bucket lock, reads the word, and enqueues
 * the caller only if the word still equals the expected value; FUTEX_WAKE takes the
 * same lock. So "check and enqueue" is one indivisible step as far as any waker is
 * concerned: a waker that changed the word first makes the wait return -EAGAIN, and a
 * waker that changes it afterwards finds the waiter in the queue. That is the first
 * d_step below.
 *
 * Then the caller sleeps: it blocks until its id has left the queue. It leaves when
 *   - futex_wake() removes it (a real wake-up), or
 *   - it removes itself with no wake-up at all (a spurious wake-up: a signal, EINTR, or
 *     a wake meant for another user of the word), at most MAX_SPURIOUS times a run, or
 *   - its timeout expires (only for a timed wait), at most MAX_TIMEOUTS times a run;
 *     this also records that the deadline has passed.
 * If none of these can happen, the process stays blocked on the "if" forever.
 */
inline futex_wait(expected, timed)
{
#if BROKEN == 2
	/* BROKEN: check, then (in a separate step) go to sleep. An unpark() can swap in
	 * NOTIFIED and call futex_wake() on an empty queue in between. */
	if
	:: state == expected -> futex_queue!_pid
	:: else -> skip
	fi;
#else
	d_step {
		if
		:: state == expected -> futex_queue!_pid
		:: else -> skip		/* -EAGAIN: return at once */
		fi
	};
#endif
	if
	:: !futex_queue??[eval(_pid)] -> skip
	:: atomic { futex_queue??[eval(_pid)] && spurious_left > 0 ->
		futex_queue??eval(_pid); spurious_left-- }
	:: atomic { timed && futex_queue??[eval(_pid)] && timeouts_left > 0 ->
		futex_queue??eval(_pid); timeouts_left--; deadline_passed = true }
	fi
}

/* futex_wake(&state, 1): wake the first waiter in the queue, if there is one. */
inline futex_wake()
{
	d_step {
		if
		:: len(futex_queue) > 0 -> futex_queue?woken
		:: else -> skip
		fi;
		woken = 0	/* forget the id: no need for states that differ only in it */
	}
}

/*
 * The Owner has just taken the token (its atomic operation read NOTIFIED).
 * Property (b): some unpark() has run since the previous token was taken. A token cannot
 * be taken twice, and cannot appear from nowhere.
 */
inline take_token()
{
	assert(unparks > unparks_at_last_token);
	unparks_at_last_token = unparks;
	got_token = true
}

/* if (fetch_sub(&state, 1, acquire) == NOTIFIED) return; */
inline park_begin()
{
	got_token = false;
	deadline_passed = false;
	d_step {
		owner_in_park = true;
		old = state;
		state = state - 1;
		if
		:: old == NOTIFIED -> take_token()
		:: else -> skip
		fi
	}
}

/* if (cas(&state, NOTIFIED, EMPTY, acquire)) return; (the caller's loop tests got_token) */
inline cas_notified_to_empty()
{
	d_step {
		if
		:: state == NOTIFIED -> state = EMPTY; take_token()
		:: else -> skip
		fi
	}
}

/*
 * Property (b): park() returns only with a token, and park_timeout() returns only with
 * a token or after its deadline. A spurious wake-up must never make park() return.
 */
inline park_end()
{
	assert(got_token || deadline_passed);
	owner_in_park = false
}

inline park()
{
	park_begin();
	do
	:: got_token -> break
	:: else ->
		futex_wait(PARKED, false);
#if BROKEN == 3
		/* BROKEN: "futex_wait returned, so someone woke me". */
		d_step {
			old = state;
			state = EMPTY;
			if
			:: old == NOTIFIED -> take_token()
			:: else -> skip
			fi
		};
		break
#else
		cas_notified_to_empty()
#endif
	od;
	park_end()
}

inline park_timeout()
{
	park_begin();
	do
	:: got_token -> break
	:: else ->
		futex_wait(PARKED, true);
		cas_notified_to_empty();
		if
		:: !got_token && deadline_passed ->
			/* swap(&state, EMPTY): leave PARKED; a token that came meanwhile
			 * is taken, so the caller must re-check its condition anyway. */
			d_step {
				old = state;
				state = EMPTY;
				if
				:: old == NOTIFIED -> take_token()
				:: else -> skip
				fi
			};
			break
		:: else -> skip
		fi
	od;
	park_end()
}

/* if (swap(&state, NOTIFIED, release) == PARKED) futex_wake(&state, 1); */
inline unpark()
{
#if BROKEN == 1
	/* BROKEN: a plain store and no wake. The owner may already be asleep. */
	d_step { state = NOTIFIED; unparks++ }
#else
	d_step { old = state; state = NOTIFIED; unparks++ };
	if
	:: old == PARKED -> futex_wake()
	:: else -> skip
	fi
#endif
}

/*
 * The thread that owns the Parker. It takes TOTAL_EVENTS events, and parks whenever it
 * finds no new one. Each time it parks, it picks park() or park_timeout(), so spin
 * checks both and their mixtures.
 */
active proctype Owner()
{
	byte seen = 0;
	short old;
	bool got_token;
	bool deadline_passed;
	byte unparks_at_last_token = 0;

	do
	:: seen == TOTAL_EVENTS -> break
	:: else ->
		if
		:: posted > seen -> seen++
		:: else ->
			if
			:: park()
			:: park_timeout()
			fi
		fi
	od
}

/* A thread that makes ROUNDS events available to the Owner and unparks it after each. */
active [UNPARKERS] proctype Unparker()
{
	byte round = 0;
	short old;
	byte woken;

	do
	:: round < ROUNDS ->
		posted++;	/* one step, so an atomic fetch_add */
		unpark();
		round++
	:: else -> break
	od
}

/*
 * Not a thread: an observer that spin lets run between any two steps of the others.
 * It blocks until its guard is true, i.e. until the invariant is broken; the "end"
 * label tells spin that being blocked here forever is a correct way to finish.
 *
 * Invariant: the word only holds EMPTY, PARKED or NOTIFIED, and it is PARKED only while
 * the Owner is inside park() (park never returns leaving PARKED behind, which would
 * make the next fetch_sub produce -2), and nobody is asleep on the futex unless the
 * Owner is inside park().
 */
#define PARKER_INVARIANT					\
	(state >= PARKED && state <= NOTIFIED &&		\
	 (state != PARKED || owner_in_park) &&			\
	 (len(futex_queue) == 0 || owner_in_park))

active proctype Invariant()
{
end:	atomic { !PARKER_INVARIANT -> assert(PARKER_INVARIANT) }
}
