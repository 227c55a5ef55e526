/* SPDX-License-Identifier: MIT */
/* Green threads: cooperative user-space threads, one runtime per OS thread. */
#ifndef WEFT_GREEN_H
#define WEFT_GREEN_H

#include <stddef.h>

#include "weft/thread.h"

/*
 * DOC: green threads
 *
 * A green thread is a function running on a stack of its own that weft
 * switches to and from in user space, without the kernel: a switch saves six
 * registers and the stack pointer and restores another set (arch/x86_64/
 * green.S). Green threads belong to a *runtime*, and every OS thread (main
 * included) has at most one, created by its first weft_green_spawn(). The
 * green threads of a runtime run only on that OS thread, one at a time, and
 * only while the OS thread is inside weft_green_run(), weft_green_join() or
 * weft_green_sync(): those are the runtime's scheduler loops.
 *
 * Scheduling is cooperative and round-robin. The runtime keeps a FIFO run
 * queue; a green thread runs until it yields (weft_green_yield(): to the back
 * of the queue, the front one runs), parks (weft_park(): off the queue until
 * weft_unpark()), joins an unfinished thread (a park) or returns. Nothing
 * preempts it: a green thread that loops without yielding starves every other
 * green thread of its runtime, and one that blocks in a system call (read(2)
 * on a pipe, weft_sleep(), weft_join() of a native thread, a futex) blocks its
 * whole OS thread and so its whole runtime, as Rust's libgreen did. Green
 * threads on *different* OS threads are independent, and native threads run
 * alongside as usual.
 *
 * What a green thread shares with its OS thread: the thread control block,
 * so __thread variables and weft's thread-locals are per OS thread, not per
 * green thread (their destructors run when the OS thread exits); the signal
 * mask, the alternate signal stack and the floating-point control state.
 * What it has of its own: its stack (guard-paged, 64 KiB by default), its
 * struct weft_thread (weft_current() returns it: id, name, Parker), its panic
 * boundary and whether it is panicking.
 *
 * Panics: a panic in a green thread stops at the thread's boundary; the
 * joiner gets the payload (WEFT_PANICKED) and the other green threads run on.
 * Stack overflow hits the guard page and is reported like a native one,
 * "green thread '<name>' has overflowed its stack", and aborts.
 *
 * See Documentation/green-threads.rst for the switch frame, the trampoline
 * and the stack strategies weft did not choose.
 */

/* Default and smallest stack of a green thread (the guard page comes on top). */
#define WEFT_GREEN_STACK_DEFAULT (64UL << 10)
#define WEFT_GREEN_STACK_MIN (8UL << 10)

/* The green thread's join state; opaque. */
struct weft_green;

/**
 * struct weft_green_handle - owns the right to join one green thread
 * @green: the thread's join state; NULL once joined
 * @gen: @green's generation when the handle was made: a copy joined after
 *       the original, or racing it, gets -EINVAL (as struct weft_join_handle)
 */
struct weft_green_handle {
	struct weft_green *green;
	uint64_t gen;
};

/**
 * weft_green_spawn() - create a green thread in the calling OS thread's runtime
 * @handle: receives the join handle
 * @fn: what the thread runs; its return value is what weft_green_join() gives
 * @arg: passed to @fn
 * @builder: name and stack size; NULL for none and the default. @builder->name
 *           is copied; @builder->stack_size 0 means WEFT_GREEN_STACK_DEFAULT,
 *           anything else is rounded up to whole pages and raised to
 *           WEFT_GREEN_STACK_MIN. A guard page is added below the stack.
 *
 * The thread is queued, not run: it first runs when this OS thread enters a
 * scheduler loop (weft_green_run(), weft_green_join(), weft_green_sync()) or,
 * if the caller is itself a green thread, when the caller yields or parks.
 * The runtime is created by the first spawn on an OS thread and freed when
 * that OS thread exits with no unfinished green thread. Stacks of finished
 * threads are kept on a free list for later spawns of the same size.
 *
 * Return: 0, or -errno with nothing left behind and @handle->green NULL:
 * -ENOMEM (allocation or mmap(2) failed, or the size is beyond the address
 * space), -EINVAL (NULL @handle or @fn, or a size whose rounding overflows),
 * or what mprotect(2) returned for the guard page.
 */
int weft_green_spawn(struct weft_green_handle *handle, weft_thread_fn fn, void *arg,
		     const struct weft_builder *builder);

/**
 * weft_green_yield() - let the next runnable green thread run
 *
 * Puts the caller at the back of its runtime's run queue and switches to the
 * thread at the front; returns when the caller's turn comes round again. If
 * no other green thread is runnable, returns at once.
 *
 * Return: 0, or -EPERM if the caller is not a green thread (an OS thread
 * has no runtime queue to go to the back of: use weft_yield() there).
 */
int weft_green_yield(void);

/**
 * weft_green_join() - wait for a green thread to finish and collect its result
 * @handle: from weft_green_spawn(); consumed unless the return is -errno
 * @result: if non-NULL, receives @fn's return value, or the panic payload
 *          (a struct weft_panic *, see "weft/panic.h") if the thread panicked
 *
 * Works from anywhere. On the OS thread that owns the thread's runtime,
 * outside green threads, it runs the scheduler loop until the thread has
 * finished (other green threads run meanwhile and may stay unfinished). From
 * a green thread it parks the caller, so its runtime runs others. From any
 * other thread it parks that thread until the owner's scheduler has run the
 * thread to its end: the owning OS thread must be in a scheduler loop.
 * If that OS thread exits first, leaving the green thread unfinished, the
 * green thread is abandoned (it never runs again): a join waiting for it
 * returns -ESRCH, and so does every later one. Finish a runtime's work
 * (weft_green_run()) before its OS thread ends.
 *
 * Return: 0; WEFT_PANICKED if the thread panicked (the caller owns the
 * payload); -EINVAL for a consumed handle, a copy of one, or a copy that
 * another thread is joining; -EDEADLK if the caller is that green thread;
 * -ESRCH if its runtime's OS thread ended first (the handle is consumed).
 */
int weft_green_join(struct weft_green_handle *handle, void **result);

/**
 * weft_green_is_finished() - has the green thread returned? Never blocks.
 * @handle: a live handle
 *
 * Return: 1 if so (a join would not wait), 0 if not, -EINVAL for a consumed
 * handle, -ESRCH if it never will (its runtime's OS thread has ended).
 */
int weft_green_is_finished(const struct weft_green_handle *handle);

/**
 * weft_green_handle_thread() - the green thread behind a handle
 * @handle: a live handle
 *
 * Return: the thread (borrowed while the handle lives: weft_thread_get() to
 * keep it, e.g. to weft_unpark() it from another thread), or NULL.
 */
struct weft_thread *weft_green_handle_thread(const struct weft_green_handle *handle);

/**
 * weft_green_current() - the running green thread
 *
 * Return: the calling green thread (the same as weft_current()), or NULL if
 * the caller is an OS thread running its own code.
 */
struct weft_thread *weft_green_current(void);

/**
 * weft_green_run() - run this OS thread's green threads until all have finished
 *
 * The main scheduler loop: runs the run queue round-robin; when nothing is
 * runnable but green threads are parked, sleeps on a futex until a park
 * timeout expires or another OS thread unparks one of them. Returns when
 * every green thread spawned on this OS thread has returned (joined or not).
 * Green threads parked forever make it wait forever, as a native join would.
 *
 * Return: 0 (also when this OS thread never spawned a green thread), or
 * -EDEADLK if called from a green thread, which could never see itself finish.
 */
int weft_green_run(void);

/**
 * weft_green_sync() - run @fn(@arg) as a green thread and wait for it
 * @fn: the function
 * @arg: its argument
 * @result: as weft_green_join()
 *
 * The seed paper's sync(): the caller writes straight-line code and never
 * yields explicitly; @fn runs on a green stack, interleaved with the other
 * green threads of this OS thread, and the call returns when @fn has. Called
 * from a green thread, the caller parks meanwhile.
 *
 * Return: as weft_green_join(), or as weft_green_spawn() if it failed.
 */
int weft_green_sync(weft_thread_fn fn, void *arg, void **result);

#endif
