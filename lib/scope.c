// SPDX-License-Identifier: MIT
/* Scoped threads: a running-threads counter, park/unpark, and a scope that joins what is left. */
#include <linux/errno.h>

#include "weft/panic.h"
#include "weft/scope.h"

#include "lib/thread.h"

/*
 * DOC: how a scope waits
 *
 * Rust's ScopeData, in C (library/std/src/thread/scoped.rs):
 *
 *   owner (weft_scope)                     scoped thread
 *   ------------------                     -------------
 *   running = 0
 *   fn(scope, arg):
 *     running++   ------ clone ------>     fn(scope, arg)
 *     ...                                  TLS destructors
 *   while (running != 0)                   exit hook:
 *       park()                                 owner = get(scope->owner)
 *                                              if (--running == 0)
 *                                                  unpark(owner)  <- our own reference
 *   join what nobody joined                    put(owner)
 *   return                                 exit
 *
 * The increment happens in the spawner before clone(2), and the spawner is
 * inside the scope: @fn, a scoped thread (it still counts), or a thread of
 * a scope nested in one of those (whose owner still counts). So the counter
 * cannot reach zero while a spawn is under way.
 *
 * The decrement is the last thing a scoped thread does with the scope. In
 * Rust, whose scope waits for nothing else, the scope (in the owner's stack
 * frame) may be gone the moment the counter reads zero: issue #98498 was the
 * last thread reading it after its decrement to unpark the owner. So the
 * thread takes its own reference on the owner's struct weft_thread before
 * decrementing and unparks through it. That unpark may arrive after the
 * owner has returned: it leaves a token, and the owner's next park returns
 * once, spuriously, which park() allows. (weft's scope also joins every
 * thread before returning, so here the scope in fact outlives its threads;
 * the rule keeps the counter protocol correct on its own. The counter is
 * still needed: the owner must not take a thread off the list to reap it
 * while a scoped thread may still join it. Documentation/scope.rst.)
 *
 * The release decrement and the owner's acquire load of zero make every
 * write of every scoped thread visible to the owner once the wait ends.
 */

/*
 * A scope. The lock protects @unjoined; @running is atomic; the rest is
 * written once by weft_scope_at() before @fn runs.
 */
struct weft_scope {
	_Atomic long running;		/* spawned threads not yet past their exit hook */
	struct weft_thread *owner;	/* the thread in weft_scope_at() */
	uint64_t id;			/* unique: see struct weft_scoped_join_handle */
	struct weft_scope *outer;	/* the owner's enclosing scope, if any */
	struct weft_lock lock;
	struct scoped_thread *unjoined;	/* spawned, not yet joined */
};

/* One spawned thread: its start arguments, and its place on the scope's list. */
struct scoped_thread {
	struct weft_scope *scope;
	weft_scope_fn fn;
	void *arg;
	struct weft_join_handle h;		/* set by the spawner once clone returned */
	struct scoped_thread *next;		/* scope->unjoined, under scope->lock */
	bool no_handle;				/* spawned with a NULL handle: never joined */
};

static _Atomic uint64_t next_scope_id = 1;

/*
 * DOC: who is inside a scope
 *
 * Each thread keeps, in its struct weft_thread, the innermost scope it runs
 * in: weft_scope_at() pushes its scope there (the previous one becomes
 * scope->outer), and a scoped thread starts with the scope it was spawned
 * in. Following ->outer gives every scope the calling thread is inside.
 * Each of them is alive: a scope outlives its @fn and its threads, and the
 * outer scope of a scope outlives it. So walking the chain touches only
 * live memory, and the pointer a caller passes in is compared, never read,
 * until it is found on the chain.
 */
static bool inside(const struct weft_scope *scope)
{
	for (const struct weft_scope *s = weft_current()->scope; s; s = s->outer)
		if (s == scope)
			return true;
	return false;
}

/*
 * The thread's last word to its scope. Runs in the scoped thread, after its
 * thread-local destructors (struct weft_native's exit_hook, lib/thread.c).
 */
static void scoped_thread_exit(struct weft_native *n)
{
	struct scoped_thread *st = weft_native_run(n)->hook_data;
	struct weft_scope *scope = st->scope;
	struct weft_thread *owner = weft_thread_get(scope->owner);

	/* After this decrement, @scope and @st may be gone: use only @owner. */
	if (atomic_fetch_sub_explicit(&scope->running, 1, memory_order_release) == 1)
		weft_unpark(owner);
	weft_thread_put(owner);
}

/* The function every scoped thread starts in. */
static void *scoped_thread_main(void *arg)
{
	struct scoped_thread *st = arg;
	struct weft_tcb *tcb = weft_tcb();

	/* The exit hook was installed at spawn: it runs even if fn never does. */
	tcb->current->scope = st->scope;
	/*
	 * Rust's rule (test_scoped_threads_drop_result_before_join): a result
	 * nobody can join is destroyed by its thread (thread_main(), as soon as
	 * the function returns or exits), before the thread stops counting as
	 * running, so the scope waits for the destructor and for any scoped
	 * thread it spawns.
	 */
	weft_native_run(tcb->native)->result_unwanted = st->no_handle;
	return st->fn(st->scope, st->arg);
}

int weft_builder_spawn_scoped(const struct weft_builder *builder, struct weft_scope *scope,
			      struct weft_scoped_join_handle *handle, weft_scope_fn fn, void *arg)
{
	struct weft_join_handle h;
	struct scoped_thread *st;
	int err;

	if (handle)
		handle->native = NULL;
	if (!scope || !fn)
		return -EINVAL;
	if (!inside(scope))
		return -ESRCH;
	st = weft_malloc(sizeof(*st));
	if (!st)
		return -EAGAIN;	/* as weft_builder_spawn() says it */
	st->scope = scope;
	st->fn = fn;
	st->arg = arg;
	st->no_handle = !handle;
	atomic_fetch_add_explicit(&scope->running, 1, memory_order_relaxed);
	err = weft_builder_spawn_hooked(builder, &h, scoped_thread_main, st, scoped_thread_exit, st);
	if (err) {
		/* We are inside the scope, so this never drops the count to zero. */
		atomic_fetch_sub_explicit(&scope->running, 1, memory_order_relaxed);
		weft_free(st);
		return err;
	}
	st->h = h;
	weft_lock(&scope->lock);
	st->next = scope->unjoined;
	scope->unjoined = st;
	weft_unlock(&scope->lock);
	if (handle) {
		handle->native = h.native;
		handle->gen = h.gen;
		handle->scope = scope;
		handle->scope_id = scope->id;
	}
	return 0;
}

int weft_scope_spawn(struct weft_scope *scope, struct weft_scoped_join_handle *handle,
		     weft_scope_fn fn, void *arg)
{
	return weft_builder_spawn_scoped(NULL, scope, handle, fn, arg);
}

/*
 * Check a handle and find its thread on the scope's list, with the scope
 * locked. Return: the list link pointing at it, or NULL with *err set.
 */
static struct scoped_thread **find_locked(const struct weft_scoped_join_handle *handle, int *err)
{
	struct scoped_thread **link;

	*err = -EINVAL;
	if (!handle || !handle->native)
		return NULL;
	/* Only now is handle->scope known to be alive and safe to read. */
	*err = -ESRCH;
	if (!inside(handle->scope) || handle->scope->id != handle->scope_id)
		return NULL;
	weft_lock(&handle->scope->lock);
	for (link = &handle->scope->unjoined; *link; link = &(*link)->next)
		if ((*link)->h.native == handle->native && (*link)->h.gen == handle->gen)
			return link;
	weft_unlock(&handle->scope->lock);
	*err = -EINVAL;	/* joined already, through a copy of this handle */
	return NULL;
}

int weft_scoped_join(struct weft_scoped_join_handle *handle, void **result)
{
	struct scoped_thread **link, *st;
	int err;

	link = find_locked(handle, &err);
	if (!link)
		return err;
	st = *link;
	if (weft_join_handle_thread(&st->h) == weft_current()) {
		weft_unlock(&handle->scope->lock);
		return -EDEADLK;
	}
	*link = st->next;	/* ours now: no other join can find it */
	weft_unlock(&handle->scope->lock);
	err = weft_join(&st->h, result);
	weft_free(st);
	handle->native = NULL;
	return err;
}

int weft_scoped_is_finished(const struct weft_scoped_join_handle *handle)
{
	struct scoped_thread **link;
	int err;

	link = find_locked(handle, &err);
	if (!link)
		return err;
	err = weft_is_finished(&(*link)->h);
	weft_unlock(&handle->scope->lock);
	return err;
}

struct weft_thread *weft_scoped_join_handle_thread(const struct weft_scoped_join_handle *handle)
{
	struct scoped_thread **link;
	struct weft_thread *t;
	int err;

	link = find_locked(handle, &err);
	if (!link)
		return NULL;
	t = weft_join_handle_thread(&(*link)->h);
	weft_unlock(&handle->scope->lock);
	return t;
}

struct scope_call {
	weft_scope_fn fn;
	struct weft_scope *scope;
	void *arg;
};

static void *call_scope_fn(void *arg)
{
	struct scope_call *c = arg;

	return c->fn(c->scope, c->arg);
}

/*
 * Wait for every scoped thread, then join every thread nobody joined. A
 * NULL result destroys what nobody collected: a panic payload, or a result
 * with the builder's result destructor. That destructor runs here, in the
 * owner, which is still inside the scope, and may spawn scoped threads:
 * so the wait starts again after each join, and ends only when the count
 * is zero and the list empty. Return: true if one of them panicked.
 */
static bool wait_and_reap(struct weft_scope *scope)
{
	bool panicked = false;
	struct scoped_thread *st;

	for (;;) {
		while (atomic_load_explicit(&scope->running, memory_order_acquire) != 0)
			weft_park();
		/* Locked: a thread a destructor spawned may be joining or spawning. */
		weft_lock(&scope->lock);
		st = scope->unjoined;
		if (st)
			scope->unjoined = st->next;
		weft_unlock(&scope->lock);
		if (!st)
			return panicked;
		if (weft_join(&st->h, NULL) == WEFT_PANICKED)
			panicked = true;
		weft_free(st);
	}
}

void *weft_scope_at(const char *file, int line, weft_scope_fn fn, void *arg)
{
	struct weft_thread *self = weft_current();
	struct weft_scope scope = {
		.owner = self,
		.id = atomic_fetch_add_explicit(&next_scope_id, 1, memory_order_relaxed),
		.outer = self->scope,
		.lock = WEFT_LOCK_INIT,
	};
	struct scope_call call = { .fn = fn, .scope = &scope, .arg = arg };
	bool thread_panicked;
	void *result = NULL;
	int fn_unwound;

	if (!fn)
		weft_panic_at(file, line, "weft_scope() called with a NULL function");
	atomic_init(&scope.running, 0);
	self->scope = &scope;
	/* Catch a panic or a weft_thread_exit() in fn: its threads are waited for first. */
	fn_unwound = weft_catch_unwind(call_scope_fn, &call, &result);
	thread_panicked = wait_and_reap(&scope);
	self->scope = scope.outer;
	if (fn_unwound == WEFT_PANICKED)
		weft_resume_panic(result);
	if (fn_unwound == WEFT_EXITED)
		weft_thread_exit(result);	/* the thread ends anyway: no scope panic */
	if (thread_panicked)
		weft_panic_at(file, line, "a scoped thread panicked");
	return result;
}
