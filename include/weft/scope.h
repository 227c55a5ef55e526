/* SPDX-License-Identifier: MIT */
/* Scoped threads (Rust's thread::scope, RFC 3151): threads that may borrow the caller's locals. */
#ifndef WEFT_SCOPE_H
#define WEFT_SCOPE_H

#include <stdint.h>

#include "weft/thread.h"

/*
 * DOC: scoped threads
 *
 *	static void *sum(struct weft_scope *s, void *arg)
 *	{
 *		struct part *p = arg;		// points into body()'s frame
 *		...
 *	}
 *
 *	static void *body(struct weft_scope *s, void *arg)
 *	{
 *		struct part parts[8];		// locals of the scope's caller
 *
 *		for (int i = 0; i < 8; i++)
 *			weft_scope_spawn(s, NULL, sum, &parts[i]);
 *		return NULL;			// the scope joins them
 *	}
 *
 *	weft_scope(body, &data);
 *
 * weft_scope() returns only after every thread spawned in the scope has
 * finished, threads spawned by scoped threads included, whether they were
 * joined or not. So a scoped thread may use pointers to anything that lives
 * at least as long as the weft_scope() call: its caller's locals, the
 * locals of @fn. Documentation/scope.rst explains the counting, and why the
 * last thread must touch nothing of the scope after its decrement.
 *
 * Who may use a scope: code running inside it. That is @fn (and whatever it
 * calls), threads spawned in the scope, and threads spawned in scopes nested
 * inside those. weft checks it: a scope pointer used from anywhere else
 * (after weft_scope() returned, or from an unrelated thread) gives -ESRCH,
 * never a touch of the scope's (possibly gone) memory. The same goes for a
 * join handle used outside its scope.
 *
 * Panics, as in Rust: a panic in @fn is caught, every thread is waited for,
 * then the panic is resumed. A scoped thread that panicked and was never
 * joined makes weft_scope() panic with "a scoped thread panicked" once all
 * threads have finished (its payload is freed). A panicked thread that was
 * joined hands its payload to the joiner and does not make the scope panic.
 * Other threads are not interrupted by a panic: they all run to completion.
 */

/* A scope: lives in weft_scope()'s frame; code inside the scope holds a pointer to it. */
struct weft_scope;

/* What a scope and a scoped thread run: @scope for nested spawns, @arg as given. */
typedef void *(*weft_scope_fn)(struct weft_scope *scope, void *arg);

/**
 * struct weft_scoped_join_handle - the right to join one scoped thread (ScopedJoinHandle)
 * @native: the thread; NULL once joined
 * @gen: @native's generation (struct weft_join_handle): a copy made before a
 *       join never matches a later thread that reuses the same join state
 * @scope: the scope the thread was spawned in
 * @scope_id: that scope's unique id: a handle outliving its scope is detected
 *            even when a new scope reuses the same stack address
 *
 * A handle need not be joined: the scope joins what is left when it ends.
 * It can't be detached. Copying it is allowed; only one copy can be joined.
 */
struct weft_scoped_join_handle {
	struct weft_native *native;
	uint64_t gen;
	struct weft_scope *scope;
	uint64_t scope_id;
};

/**
 * weft_scope() - run @fn with a scope; return when it and all its threads are done
 * @fn: runs as @fn(scope, @arg) in the calling thread; must not be NULL
 * @arg: passed to @fn
 *
 * A macro, so that "a scoped thread panicked" names the line of the call
 * (Rust's scope() is #[track_caller]).
 *
 * Return: @fn's return value. Does not return if @fn panicked (that panic
 * is resumed) or if a thread that was never joined panicked (then it
 * panics). Cannot fail otherwise: the scope lives in this call's frame.
 */
#define weft_scope(fn, arg) weft_scope_at(__FILE__, __LINE__, fn, arg)

/**
 * weft_scope_at() - weft_scope(), with the location to blame in its panic
 * @file: the caller's file
 * @line: the caller's line
 * @fn: see weft_scope()
 * @arg: see weft_scope()
 *
 * Return: see weft_scope().
 */
void *weft_scope_at(const char *file, int line, weft_scope_fn fn, void *arg);

/**
 * weft_scope_spawn() - start a thread in @scope, with the default builder
 * @scope: the scope, as given to the code running inside it
 * @handle: receives the join handle, or NULL to let the scope join it
 * @fn: the thread runs @fn(@scope, @arg)
 * @arg: passed to @fn; may point at anything the scope's caller owns
 *
 * Return: 0, or -errno: -EINVAL (NULL @scope or @fn), -ESRCH (the caller
 * does not run inside @scope: it has ended, or this thread is not part of
 * it), or what weft_spawn() returns (-EAGAIN, -EINVAL). On error no thread
 * was started and @handle->native is NULL.
 */
int weft_scope_spawn(struct weft_scope *scope, struct weft_scoped_join_handle *handle,
		     weft_scope_fn fn, void *arg);

/**
 * weft_builder_spawn_scoped() - start a named or sized thread in @scope (Builder::spawn_scoped)
 * @builder: name and stack size, as for weft_builder_spawn(); NULL for defaults
 * @scope: see weft_scope_spawn()
 * @handle: see weft_scope_spawn()
 * @fn: see weft_scope_spawn()
 * @arg: see weft_scope_spawn()
 *
 * Return: as weft_scope_spawn(), and as weft_builder_spawn() for the builder.
 */
int weft_builder_spawn_scoped(const struct weft_builder *builder, struct weft_scope *scope,
			      struct weft_scoped_join_handle *handle, weft_scope_fn fn, void *arg);

/**
 * weft_scoped_join() - wait for a scoped thread and collect its result
 * @handle: from a scoped spawn; consumed on success
 * @result: if non-NULL, receives @fn's return value, or the panic payload
 *          when the thread panicked (free it with weft_panic_free())
 *
 * Return: 0; WEFT_PANICKED if the thread panicked (the payload is the
 * joiner's; the scope will not panic for it); -EINVAL for a NULL or
 * already-joined handle (a copy of it was joined); -ESRCH if the caller is
 * not inside the handle's scope, or that scope has ended; -EDEADLK if the
 * caller is that thread.
 */
int weft_scoped_join(struct weft_scoped_join_handle *handle, void **result);

/**
 * weft_scoped_is_finished() - has the scoped thread exited? Never blocks.
 * @handle: a live handle
 *
 * Return: 1 or 0; -EINVAL or -ESRCH as weft_scoped_join().
 */
int weft_scoped_is_finished(const struct weft_scoped_join_handle *handle);

/**
 * weft_scoped_join_handle_thread() - the thread behind a scoped handle
 * @handle: a live handle
 *
 * Return: the thread, borrowed while the handle is unjoined and the scope
 * lives (weft_thread_get() to keep it longer), or NULL where
 * weft_scoped_join() would fail with -EINVAL or -ESRCH.
 */
struct weft_thread *weft_scoped_join_handle_thread(const struct weft_scoped_join_handle *handle);

#endif
