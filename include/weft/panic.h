/* SPDX-License-Identifier: MIT */
/* Panics: Rust's panic!, catch_unwind and resume_unwind for C, caught at thread boundaries. */
#ifndef WEFT_PANIC_H
#define WEFT_PANIC_H

#include <stdbool.h>

#include "weft/thread.h"	/* WEFT_PANICKED */

/*
 * DOC: panics
 *
 * weft_panic("bad %d", x) prints, through the panic hook,
 *
 *	thread '<name>' panicked at file.c:42:
 *	bad 7
 *
 * on stderr ("<unnamed>" for a thread without a name, "main" for the main
 * thread), then "unwinds" to the nearest catch boundary:
 *
 *  - the entry of every spawned thread: weft_join() then returns
 *    WEFT_PANICKED and hands over the payload;
 *  - a weft_catch_panic() call: it returns WEFT_PANICKED and the payload.
 *
 * C has no destructors, so the unwinding is a jump (arch/x86_64/catch.S):
 * every frame between the panic and the boundary is abandoned. Nothing runs
 * on the way: locks those frames held stay held, memory they allocated is
 * not freed, files they opened stay open. What still runs: the thread's
 * thread-local destructors when it exits (with weft_panicking() true if the
 * panic ended the thread), and the scope's waiting in weft_scope().
 *
 * A panic that reaches no boundary in main runs main's thread-local
 * destructors (weft_panicking() true) and exits the process with status
 * 101, as Rust does; other threads end with it. A panic while a panic is in
 * flight in the same thread (in the hook, or in a destructor run by a
 * thread that is ending because of a panic) aborts (SIGABRT) with
 *
 *	thread '<name>' panicked while processing a panic. aborting.
 *
 * A panic in a thread-local destructor of a thread that did not panic has
 * no boundary left to reach either; it aborts with
 *
 *	fatal runtime error: thread-local destructor panicked, aborting
 *
 * Payloads: a box owned by whoever caught it, holding a value and its type
 * (Rust's Box<dyn Any + Send>). weft_panic() boxes its formatted message as
 * a weft_panic_string; weft_panic_any() boxes any value with a type of the
 * program's own, and the catcher asks weft_panic_is() and takes the value
 * with weft_panic_downcast() (Rust's downcast). A box is freed with
 * weft_panic_free(), which runs its type's destructor on a value nobody
 * took (or passed on with weft_resume_panic()). A payload nobody collects
 * is freed, exactly once: by weft_join() with a NULL result, by a detached
 * thread, by weft_catch_panic() with a NULL result, by a scope for its
 * unjoined threads. See Documentation/panic.rst.
 */

/* The payload: what a boundary receives. Owned by whoever catches it. */
struct weft_panic;

/**
 * struct weft_panic_type - the type of a panic payload's value (Rust's TypeId + Drop)
 * @name: what the type is called, for messages and debugging
 * @destroy: frees a value of this type that nobody took; NULL if there is
 *           nothing to free
 *
 * Define one per type, usually const and with static storage: its address
 * is the type's identity, compared by weft_panic_is().
 *
 *	static void juju_free(void *v) { weft_free(v); }
 *	static const struct weft_panic_type juju_type = { "struct juju", juju_free };
 */
struct weft_panic_type {
	const char *name;
	void (*destroy)(void *value);
};

/*
 * The built-in types. weft_panic_string: a weft_malloc()ed, NUL-terminated
 * message (Rust's String), what weft_panic() makes. weft_panic_static_str: a
 * string that lives forever (Rust's &'static str), not freed.
 * weft_panic_boxed: a struct weft_panic * inside the payload (Rust's
 * Box<dyn Any + Send> passed to panic_any), freed with weft_panic_free().
 */
extern const struct weft_panic_type weft_panic_string;
extern const struct weft_panic_type weft_panic_static_str;
extern const struct weft_panic_type weft_panic_boxed;

/**
 * struct weft_panic_info - what a panic hook is told
 * @thread_name: the panicking thread's name, "<unnamed>" if it has none
 * @file: source file of the weft_panic() call
 * @line: its line
 * @message: the message: the payload's text for the two string types,
 *           "Box<dyn Any>" for any other type (as Rust's default hook prints)
 * @green: true if the panicking thread is a green thread
 * @payload: the payload itself (Rust's PanicHookInfo::payload), borrowed
 */
struct weft_panic_info {
	const char *thread_name;
	const char *file;
	int line;
	const char *message;
	bool green;
	const struct weft_panic *payload;
};

typedef void (*weft_panic_hook_t)(const struct weft_panic_info *info);

#define weft_panic(...) weft_panic_at(__FILE__, __LINE__, __VA_ARGS__)

/**
 * weft_panic_at() - panic: report through the hook, then unwind
 * @file: where (weft_panic() passes __FILE__)
 * @line: where (__LINE__)
 * @fmt: printf-style message format (see weft_vsnprintf())
 *
 * Formats the payload first (a message that cannot be allocated becomes a
 * fixed "out of memory" payload), sets weft_panicking(), calls the hook,
 * then jumps to the nearest boundary. Never returns.
 */
__attribute__((noreturn, format(printf, 3, 4))) void weft_panic_at(const char *file, int line,
								    const char *fmt, ...);

#define weft_panic_any(type, value) weft_panic_any_at(__FILE__, __LINE__, type, value)

/**
 * weft_panic_any_at() - panic with a typed payload (Rust's std::panic::panic_any)
 * @file: where (weft_panic_any() passes __FILE__)
 * @line: where (__LINE__)
 * @type: the value's type; NULL is a panic with a message saying so
 * @value: the value; ownership passes to the payload
 *
 * As weft_panic_at(), with @value boxed as the payload instead of a
 * message; the hook's message is "Box<dyn Any>" unless @type is one of the
 * two string types. If the box cannot be allocated, @value is destroyed
 * with @type->destroy and the payload is a fixed "out of memory" string.
 * Never returns.
 */
__attribute__((noreturn)) void weft_panic_any_at(const char *file, int line,
						 const struct weft_panic_type *type, void *value);

/**
 * weft_panic_new() - box a value as a payload without panicking
 * @type: the value's type
 * @value: the value; owned by the box on success
 *
 * For weft_resume_panic() (Rust's resume_unwind(Box::new(value))) and for
 * a payload inside a payload (weft_panic_boxed).
 *
 * Return: the payload, or NULL (no memory, or a NULL @type): then @value
 * is still the caller's.
 */
struct weft_panic *weft_panic_new(const struct weft_panic_type *type, void *value);

/**
 * weft_panic_is() - is the payload's value of type @type? (Rust's Any::is)
 * @p: a payload, or NULL
 * @type: the type's descriptor
 *
 * Return: true if @p was made with exactly this descriptor.
 */
bool weft_panic_is(const struct weft_panic *p, const struct weft_panic_type *type);

/**
 * weft_panic_type_of() - the payload's type
 * @p: a payload, or NULL
 *
 * Return: its descriptor (print ->name), or NULL for NULL.
 */
const struct weft_panic_type *weft_panic_type_of(const struct weft_panic *p);

/**
 * weft_panic_value() - borrow the payload's value (Rust's downcast_ref)
 * @p: a payload, or NULL
 *
 * Return: the value, still owned by @p; NULL for NULL.
 */
void *weft_panic_value(const struct weft_panic *p);

/**
 * weft_panic_downcast() - take the value out of a payload of type @type (Rust's downcast)
 * @p: a payload the caller owns
 * @type: the type the caller expects
 * @value: if non-NULL, receives the value
 *
 * On success the box is freed without destroying the value, which now
 * belongs to the caller (free a weft_panic_string with weft_free()). On a
 * mismatch nothing changes: the caller still owns @p (Rust's Err(self)).
 *
 * Return: 0, or -EINVAL if @p is NULL or its type is not @type.
 */
int weft_panic_downcast(struct weft_panic *p, const struct weft_panic_type *type, void **value);

/**
 * weft_catch_panic() - call @fn(@arg), catching a panic (Rust's catch_unwind)
 * @fn: the function
 * @arg: its argument
 * @result: if non-NULL, receives @fn's return value, or the struct
 *          weft_panic * payload if it panicked; if NULL, a payload is freed
 *
 * Boundaries nest: a panic goes to the innermost one. Once caught, the
 * panic is no longer in flight (weft_panicking() is false again).
 *
 * Return: 0 if @fn returned, WEFT_PANICKED (1) if it panicked; then the
 * caller owns the payload (weft_panic_free() or weft_resume_panic()).
 */
int weft_catch_panic(void *(*fn)(void *), void *arg, void **result);

/**
 * weft_resume_panic() - continue unwinding with a caught payload (resume_unwind)
 * @payload: from weft_catch_panic() or weft_join(); ownership passes on
 *
 * Does not call the panic hook again: the panic was reported once. With no
 * boundary left it exits 101 (main) as weft_panic() does; called while a
 * panic is in flight it aborts. Never returns.
 */
__attribute__((noreturn)) void weft_resume_panic(struct weft_panic *payload);

/**
 * weft_panicking() - is a panic in flight in the calling thread?
 *
 * True from the moment weft_panic() is called (so inside the hook) until a
 * weft_catch_panic() catches it; stays true in a thread that a panic ended,
 * while its thread-local destructors run. Rust's std::thread::panicking().
 *
 * Return: true if so.
 */
bool weft_panicking(void);

/**
 * weft_panic_message() - the text of a string payload
 * @p: the payload, or NULL
 *
 * Return: the message of a weft_panic_string or weft_panic_static_str
 * payload (weft_panic() makes the former), valid until the payload is
 * freed; NULL for NULL or for a payload of any other type.
 */
const char *weft_panic_message(const struct weft_panic *p);

/**
 * weft_panic_free() - drop a payload: destroy its value, free the box
 * @p: the payload, or NULL (ignored)
 *
 * Runs @p's type's destructor on the value (if the type has one), then
 * frees the box. Rust's drop of a Box<dyn Any + Send>.
 */
void weft_panic_free(struct weft_panic *p);

/**
 * weft_set_panic_hook() - replace the function that reports panics (Rust's set_hook)
 * @hook: the new hook, or NULL for the default one
 *
 * The hook runs in the panicking thread, before unwinding, with
 * weft_panicking() true: a panic inside it aborts. It is process-wide and
 * may be replaced at any time from any thread.
 *
 * Return: the previous hook (never NULL).
 */
weft_panic_hook_t weft_set_panic_hook(weft_panic_hook_t hook);

/**
 * weft_default_panic_hook() - the default hook: the two-line report on stderr
 * @info: what panicked, where
 */
void weft_default_panic_hook(const struct weft_panic_info *info);

#endif
