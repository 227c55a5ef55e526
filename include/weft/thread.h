/* SPDX-License-Identifier: MIT */
/* Native threads: Rust's std::thread (spawn, join, Thread, ThreadId, park) on raw clone(2). */
#ifndef WEFT_THREAD_H
#define WEFT_THREAD_H

#include <stddef.h>
#include <stdint.h>

#include "weft/time.h"	/* deadlines: weft_now(), WEFT_FOREVER */

/* A thread's unique, never reused, non-zero 64-bit id (Rust's ThreadId). */
typedef uint64_t weft_thread_id_t;

/* A thread (Rust's Thread): id, name, parker. Reference-counted, opaque. */
struct weft_thread;

/* The joining side of a spawned thread (Rust's Packet + native handle), opaque. */
struct weft_native;

/**
 * struct weft_join_handle - owns the right to join or detach one thread
 * @native: the thread's join state; NULL once joined or detached
 * @gen: the generation of @native this handle was made for
 *
 * A value the caller owns, like Rust's JoinHandle: weft_join() and
 * weft_detach() consume it (set @native to NULL). Unlike a JoinHandle it
 * can be copied; only the first join or detach of any copy is served, and
 * every other gets -EINVAL, even when the join state has since been reused
 * for another thread (@gen tells them apart). Documentation/threads.rst,
 * "Handles".
 */
struct weft_join_handle {
	struct weft_native *native;
	uint64_t gen;
};

/**
 * struct weft_builder - thread configuration (Rust's Builder)
 * @name: the thread's name, copied; NULL or "" for an unnamed thread. weft
 *        keeps it whole; the kernel (/proc/self/task/TID/comm) sees the
 *        first 15 bytes
 * @stack_size: bytes of stack; 0 means the default: $WEFT_MIN_STACK if it is a size,
 *              else 2 MiB. Rounded up to pages, raised to WEFT_STACK_MIN
 * @guard_size: bytes of PROT_NONE guard below the stack, as
 *              pthread_attr_setguardsize(3): rounded up to whole pages; 0 means
 *              the default, WEFT_GUARD_DEFAULT (one page, as glibc and Rust).
 *              weft and what it builds probe every page of a big frame
 *              (-fstack-clash-protection), so one page stops them; code built
 *              without probes may need a guard as big as its biggest frame.
 *              Unlike pthreads, 0 cannot ask for no guard (overflow detection
 *              needs one). Green threads take it too
 * @result_dtor: if non-NULL, the destructor of the thread's result (the
 *               value its function returns), for a result that may own
 *               resources: it runs exactly once on a result nobody collects
 *               (weft_join() with a NULL @result, weft_detach(), a scope
 *               ending with the thread unjoined, the end of the process with
 *               the thread finished and unjoined), never on one a join hands
 *               over, never when the thread panicked (there is no result).
 *               Rust drops a JoinHandle's unclaimed Packet result the same way
 */
struct weft_builder {
	const char *name;
	size_t stack_size;
	size_t guard_size;
	void (*result_dtor)(void *result);
};

#define WEFT_STACK_DEFAULT (2UL << 20)
#define WEFT_STACK_MIN (16UL << 10)
/* The default guard, in bytes: one page on every architecture weft supports. */
#define WEFT_GUARD_DEFAULT 4096UL

/* weft_join() result for a thread that panicked (see "weft/panic.h"). */
#define WEFT_PANICKED 1

typedef void *(*weft_thread_fn)(void *arg);

/**
 * weft_spawn() - start a thread with the default builder
 * @handle: receives the join handle
 * @fn: what the thread runs; its return value is what weft_join() gives
 * @arg: passed to @fn
 *
 * Return: 0, or -errno, as pthread_create(3): -EAGAIN when the system
 * lacked the resources for another thread (memory or address space: a failed
 * allocation, mmap or mprotect, vm.max_map_count, RLIMIT_AS; or clone
 * refused: RLIMIT_NPROC, pid_max, threads-max), -EINVAL (bad arguments).
 * Documentation/threads.rst ("Errors") maps each system call to its error.
 * On error nothing is left behind and @handle->native is NULL.
 */
int weft_spawn(struct weft_join_handle *handle, weft_thread_fn fn, void *arg);

/**
 * weft_builder_spawn() - start a thread with a name and a stack size
 * @builder: the configuration; NULL means defaults
 * @handle: receives the join handle
 * @fn: the thread's function
 * @arg: passed to @fn
 *
 * Return: as weft_spawn(); -EINVAL also for a stack or guard size whose
 * rounding overflows, -EAGAIN for one larger than the address space allows.
 */
int weft_builder_spawn(const struct weft_builder *builder, struct weft_join_handle *handle,
		       weft_thread_fn fn, void *arg);

/**
 * weft_join() - wait for a thread to finish and collect its result
 * @handle: from a spawn; consumed on success
 * @result: if non-NULL, receives @fn's return value, or the panic payload
 *          (a struct weft_panic *, see "weft/panic.h") when the thread panicked
 *
 * Waits until the kernel has cleared the thread's clear-tid word: by then the
 * thread has run its thread-local destructors and exited, and its stack can
 * be reused.
 *
 * With a NULL @result, a result nobody will see is destroyed here with the
 * builder's @result_dtor, and a panic payload with weft_panic_free().
 *
 * Return: 0; WEFT_PANICKED if the thread panicked (the caller owns the
 * payload and frees it with weft_panic_free()); -EINVAL if @handle (or a
 * copy of it) was already joined or detached, or is being joined by another
 * thread right now; -EDEADLK if the caller is that thread; -ESRCH in a child
 * of weft_fork() for a thread of the parent (only the forking thread is
 * copied: the handle is left as it was, its memory is the parent's).
 */
int weft_join(struct weft_join_handle *handle, void **result);

/**
 * weft_thread_exit() - end the calling thread as if its function returned @result
 * @result: what weft_join() (or weft_green_join()) will give
 *
 * pthread_exit() for weft, callable from any depth. The frames between the
 * call and the thread's entry are abandoned, as a panic abandons them (C
 * has no destructors), but every boundary on the way does its cleanup: a
 * weft_scope() waits for and reaps its threads, weft_catch_panic() lets it
 * through. Then the thread ends normally: its thread-local destructors run
 * and weft_join() returns 0 with @result (a green thread ends the same
 * way). In main it waits for no other thread: it is weft_exit(0), main's
 * thread-local destructors, then the weft_atexit() functions, then
 * exit_group(0) (glibc and musl also end with status 0, but only once the
 * last other thread has ended). Called from a thread-local destructor or
 * while panicking it is a fatal runtime error (abort). Never returns.
 */
__attribute__((noreturn)) void weft_thread_exit(void *result);

/**
 * weft_detach() - let a thread run on with no one to join it
 * @handle: from a spawn; consumed
 *
 * Whichever of the thread and this call comes second frees the thread. A
 * detached thread that finishes unmaps its own stack (see Documentation/
 * threads.rst). A panic payload of a detached thread is freed, and its
 * result destroyed with the builder's @result_dtor, exactly once: by this
 * call if the thread has finished, else by the thread itself when it does
 * (after its thread-local destructors).
 *
 * Return: 0, or -EINVAL if @handle (or a copy) was already joined or
 * detached or is being joined, -ESRCH for a thread of the parent in a child
 * of weft_fork().
 */
int weft_detach(struct weft_join_handle *handle);

/**
 * weft_is_finished() - has the thread exited? Never blocks.
 * @handle: a live handle
 *
 * Return: 1 if the kernel has reported the thread's exit (a join would not
 * block), 0 if not, -EINVAL for a consumed handle (or a copy of one),
 * -ESRCH for a thread of the parent in a child of weft_fork().
 */
int weft_is_finished(const struct weft_join_handle *handle);

/**
 * weft_join_handle_thread() - the thread behind a handle
 * @handle: a live handle
 *
 * Return: the thread, borrowed while the handle lives (take a reference with
 * weft_thread_get() to keep it longer), or NULL for a consumed handle (or a
 * copy of one).
 */
struct weft_thread *weft_join_handle_thread(const struct weft_join_handle *handle);

/**
 * weft_current() - the calling thread (Rust's thread::current())
 *
 * Works in every thread, main included (named "main"), and in green threads.
 * Valid for as long as the calling thread runs, thread-local destructors
 * included: it lives in the thread control block, not in a destructible
 * thread-local.
 *
 * Return: the thread, borrowed.
 */
struct weft_thread *weft_current(void);

/**
 * weft_thread_get() - take a reference on @t
 * @t: a thread the caller holds a reference on, or borrows
 *
 * A count about to pass a billion references, which only a leak reaches, is
 * a fatal runtime error (abort), as in Rust's Arc: wrapping would free a
 * thread still in use.
 *
 * Return: @t.
 */
struct weft_thread *weft_thread_get(struct weft_thread *t);

/**
 * weft_thread_put() - drop a reference to a thread; the last one frees it
 * @t: the thread, or NULL
 */
void weft_thread_put(struct weft_thread *t);

/**
 * weft_thread_id() - the thread's ThreadId
 * @t: the thread
 *
 * Return: a non-zero id, unique for the life of the process.
 */
weft_thread_id_t weft_thread_id(const struct weft_thread *t);

/**
 * weft_thread_tid() - the kernel's thread id of @t (as in /proc/self/task/TID)
 * @t: the thread
 *
 * Return: the tid, known from the moment weft_spawn() returns; 0 for a
 * green thread (it has none of its own).
 */
int weft_thread_tid(const struct weft_thread *t);

/**
 * weft_thread_name() - the thread's full name
 * @t: the thread
 *
 * Return: the name, or NULL if the thread is unnamed.
 */
const char *weft_thread_name(const struct weft_thread *t);

/**
 * struct weft_stack_info - where the calling thread's stack and TLS are
 * @stack_lo: lowest usable stack address (just above the guard)
 * @stack_hi: one past the highest (where the stack started); 0 if unknown
 * @guard_lo: start of the range a fault in which is reported as an overflow
 * @guard_hi: its end; @guard_lo == @guard_hi if there is none
 * @tls_block: start of the thread's static TLS block
 * @tp: the thread pointer (the TCB; the TLS block ends here on x86_64)
 *
 * For a spawned thread the guard is its PROT_NONE page. For main it is the
 * region below the kernel's growable stack (see Documentation/stack-guard.rst).
 * A green thread reports its own stack and guard page, and its OS thread's TLS.
 */
struct weft_stack_info {
	void *stack_lo;
	void *stack_hi;
	void *guard_lo;
	void *guard_hi;
	void *tls_block;
	void *tp;
};

/**
 * weft_stack_info() - describe the calling thread's stack, guard and TLS
 * @info: filled in
 */
void weft_stack_info(struct weft_stack_info *info);

/**
 * weft_park() - block until this thread's token is available, then consume it
 *
 * Rust's thread::park(): a weft_unpark() made before the park makes it return
 * at once; at most one token is kept. May also return spuriously: call it in
 * a loop that checks a condition.
 */
void weft_park(void);

/**
 * weft_park_timeout() - weft_park() that gives up after @ns nanoseconds
 * @ns: the longest to wait; huge values mean "forever" rather than overflow
 *
 * Returns after at least @ns unless the token came first. The same as
 * weft_park_until(weft_deadline_in(@ns)).
 */
void weft_park_timeout(uint64_t ns);

/**
 * weft_park_until() - weft_park() that gives up at an absolute deadline
 * @deadline: a weft_now() instant (see "weft/time.h"); WEFT_FOREVER, or
 *            anything from 2^62 ns on, waits untimed
 *
 * Returns when the token is consumed, or once weft_now() >= @deadline (a
 * deadline already passed returns at once, with a token consumed if one
 * was there), or spuriously. Spurious futex wake-ups and signals before
 * the deadline are waited out with the same deadline, so retries in a loop
 * do not drift. Works in native and green threads (a green thread leaves
 * its run ring and its runtime's timer list wakes it).
 */
void weft_park_until(uint64_t deadline);

/**
 * weft_unpark() - make @t's token available, waking @t if it is parked
 * @t: any thread, possibly one that has exited (then it is a no-op)
 */
void weft_unpark(struct weft_thread *t);

/**
 * weft_yield() - offer the CPU to another thread: sched_yield(2)
 */
void weft_yield(void);

/**
 * weft_sleep() - sleep for at least @ns nanoseconds
 * @ns: the duration
 *
 * Uses clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) on a deadline fixed at
 * the start, so a signal handler that interrupts the sleep does not make it
 * drift: it resumes towards the same deadline.
 *
 * Return: 0 once the deadline has passed, or -errno if clock_nanosleep(2)
 * fails for another reason than a signal (never in practice).
 */
int weft_sleep(uint64_t ns);

/**
 * weft_sleep_until() - sleep until weft_now() reaches @deadline (Rust's sleep_until)
 * @deadline: a weft_now() instant; WEFT_FOREVER sleeps "forever" (2^62 ns of
 *            uptime, ~146 years)
 *
 * A deadline that has already passed returns at once, without a system
 * call. Otherwise clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME), called
 * again with the same deadline after each signal handler. In a green thread
 * it blocks the whole OS thread, as weft_sleep() does.
 *
 * Return: 0 once the deadline has passed, or -errno if clock_nanosleep(2)
 * fails for another reason than a signal (never in practice).
 */
int weft_sleep_until(uint64_t deadline);

/**
 * weft_available_parallelism() - CPUs this thread may run on
 *
 * Return: the count from sched_getaffinity(2), at least 1, or -errno.
 */
int weft_available_parallelism(void);

#endif
