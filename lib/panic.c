// SPDX-License-Identifier: MIT
/* Panics: format, report through the hook, jump to the nearest catch boundary. */
#define WEFT_SYS_COLD	/* cold code: built for size, system calls out of line (sys.h) */
#include <stdarg.h>

#include <linux/errno.h>

#include "weft/io.h"
#include "weft/panic.h"

#include "catch_arch.h"
#include "lib/held.h"
#include "lib/hooks.h"
#include "lib/thread.h"

/*
 * DOC: catch boundaries
 *
 * A boundary lives in the frame of the function that sets it up
 * (call_with_boundary()), and the thread's boundaries form a list from
 * tcb->catch_top, innermost first:
 *
 *   higher addresses    thread_main() ... call_with_boundary()  [catch A]
 *         |              user code ... weft_catch_panic()       [catch B]  <- catch_top
 *         v              user code ... weft_panic()
 *
 * weft_panic() jumps to catch_top (B) with weft_arch_unwind(): the stack
 * pointer goes back up to B's frame and every frame below it is abandoned
 * as it is, exactly as longjmp() would. B pops itself (catch_top = A) on
 * both of its ways out, so the list never names an abandoned frame.
 */
/* A catch boundary: lives in the frame of the function that set it up. */
struct weft_catch {
	struct weft_arch_jmp jmp;
	struct weft_catch *prev;	/* the enclosing boundary, NULL at the outermost */
	int kind;			/* WEFT_PANICKED or WEFT_EXITED: why the jump came */
	struct weft_panic *payload;	/* WEFT_PANICKED: set by the panic */
	void *exit_result;		/* WEFT_EXITED: weft_thread_exit()'s result */
	uint32_t held_mark;		/* the enclosing boundary's held-lock mark (lib/held.h) */
};

/*
 * The running context's held-lock record (lib/held.h): weft_held_none until
 * the thread's first weft/sync.h lock, so that a program that takes none
 * pays 8 bytes of TLS for it and nothing else.
 */
struct weft_held weft_held_none;
__thread struct weft_held *weft_held_cur __attribute__((tls_model("local-exec"))) =
	&weft_held_none;

/*
 * DOC: typed payloads
 *
 * A payload is a box: a pointer to the value and the address of its type,
 * a struct weft_panic_type with a name and a destructor. The address is the
 * type's identity, as Rust's TypeId is: two descriptors with the same name
 * are still different types. A boundary hands the box on (weft_join(),
 * weft_catch_panic()); its owner asks weft_panic_is(), then either takes the
 * value (weft_panic_downcast(): the box is freed, the value is now the
 * caller's) or drops the whole box (weft_panic_free(): the type's destructor
 * runs on the value, then the box is freed). Every path frees a box once,
 * so a value nobody takes is destroyed exactly once.
 *
 *	struct weft_panic                  const struct weft_panic_type
 *	+----------------+                 +--------------------------+
 *	| type  ---------+---------------->| name     "struct juju"   |
 *	| value ---+     |                 | destroy  juju_free       |
 *	+----------|-----+                 +--------------------------+
 *	           v
 *	        the value (owned by the box until taken)
 */
struct weft_panic {
	const struct weft_panic_type *type;
	void *value;
};

static void free_string(void *value)
{
	weft_free(value);
}

static void free_payload(void *value)
{
	weft_panic_free(value);
}

const struct weft_panic_type weft_panic_string = { .name = "String", .destroy = free_string };
const struct weft_panic_type weft_panic_static_str = { .name = "&'static str" };
const struct weft_panic_type weft_panic_boxed = { .name = "Box<dyn Any + Send>",
						  .destroy = free_payload };

static _Atomic weft_panic_hook_t panic_hook;

static struct weft_panic oom_payload = {
	.type = &weft_panic_static_str,
	.value = "(out of memory while making the panic payload)",
};

const char *weft_panic_message(const struct weft_panic *p)
{
	if (p && (p->type == &weft_panic_string || p->type == &weft_panic_static_str))
		return p->value;
	return NULL;
}

bool weft_panic_is(const struct weft_panic *p, const struct weft_panic_type *type)
{
	return p && p->type == type;
}

const struct weft_panic_type *weft_panic_type_of(const struct weft_panic *p)
{
	return p ? p->type : NULL;
}

void *weft_panic_value(const struct weft_panic *p)
{
	return p ? p->value : NULL;
}

struct weft_panic *weft_panic_new(const struct weft_panic_type *type, void *value)
{
	struct weft_panic *p;

	if (!type)
		return NULL;
	p = weft_malloc(sizeof(*p));
	if (p) {
		p->type = type;
		p->value = value;
	}
	return p;
}

int weft_panic_downcast(struct weft_panic *p, const struct weft_panic_type *type, void **value)
{
	if (!p || !type || p->type != type)
		return -EINVAL;
	if (value)
		*value = p->value;
	if (p != &oom_payload)
		weft_free(p);
	return 0;
}

void weft_panic_free(struct weft_panic *p)
{
	if (!p || p == &oom_payload)
		return;
	if (p->type->destroy)
		p->type->destroy(p->value);
	weft_free(p);
}

bool weft_panicking(void)
{
	return weft_tcb()->panicking != 0;
}

void weft_default_panic_hook(const struct weft_panic_info *info)
{
	weft_dprintf(2, "%sthread '%s' panicked at %s:%d:\n%s\n", info->green ? "green " : "",
		     info->thread_name, info->file, info->line, info->message);
}

weft_panic_hook_t weft_set_panic_hook(weft_panic_hook_t hook)
{
	weft_panic_hook_t old = atomic_exchange(&panic_hook, hook);

	return old ? old : weft_default_panic_hook;
}

static __attribute__((format(printf, 1, 0))) struct weft_panic *make_payload(const char *fmt,
									   va_list ap)
{
	struct weft_panic *p;
	char *message;
	va_list copy;
	int len;

	va_copy(copy, ap);
	len = weft_vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	message = weft_malloc((size_t)len + 1);
	if (!message)
		return &oom_payload;
	weft_vsnprintf(message, (size_t)len + 1, fmt, ap);
	p = weft_panic_new(&weft_panic_string, message);
	if (!p) {
		weft_free(message);
		return &oom_payload;
	}
	return p;
}

/*
 * Every jump to a boundary, a panic's and weft_thread_exit()'s, goes through
 * here: code that must act on the frames a jump abandons (a record of locks
 * they hold, say) has one place to hook in, whatever the kind of jump.
 * Except weft_key_unwind(): it must also run when there is no boundary, before
 * weft_exit() or the thread's end runs destructors that need the key gates, so
 * the two ways in, unwind() and weft_thread_exit(), each call it first. Two
 * paths, one call each: not a duplicate.
 */
static __attribute__((noreturn)) void jump_to(struct weft_catch *c)
{
	weft_arch_unwind(&c->jmp);
}

/* Jump to the innermost boundary with @p, or end the process if there is none. */
static __attribute__((noreturn)) void unwind(struct weft_tcb *tcb, struct weft_panic *p)
{
	struct weft_catch *c = tcb->catch_top;

	tcb->panicking = 1;
	if (weft_key_unwind)
		weft_key_unwind(c);	/* key walks and destructors cut short */
	if (!c) {
		if (tcb->exiting)
			weft_fatal("fatal runtime error: "
				   "thread-local destructor panicked, aborting\n");
		/* Rust's behaviour for a panic that reaches main: exit status 101. */
		weft_exit(101);
	}
	/* Release (and poison) the locks taken inside c: lib/held.c. */
	if (weft_held_unwind)
		weft_held_unwind();
	c->kind = WEFT_PANICKED;
	c->payload = p;
	jump_to(c);
}

/* Report @p through the hook, then unwind with it. */
static __attribute__((noreturn)) void begin_panic(const char *file, int line, struct weft_panic *p)
{
	struct weft_tcb *tcb = weft_tcb();
	struct weft_thread *self = tcb->current;
	const char *message = weft_panic_message(p);
	struct weft_panic_info info = {
		.thread_name = weft_name_or_unnamed(self ? self->name : NULL),
		.file = file,
		.line = line,
		/* What Rust's default hook prints for a payload that is not a string. */
		.message = message ? message : "Box<dyn Any>",
		.green = tcb->green_current != NULL,
		.payload = p,
	};
	weft_panic_hook_t hook = atomic_load(&panic_hook);

	if (tcb->panicking) {
		/* A second panic while the first one unwinds: there is no sane place to go. */
		weft_default_panic_hook(&info);
		weft_fatal("thread '%s' panicked while processing a panic. aborting.\n",
			   info.thread_name);
	}
	tcb->panicking = 1;	/* a panic inside the hook is a double panic */
	weft_held_panic_begin();	/* locks the hook takes do not poison */
	(hook ? hook : weft_default_panic_hook)(&info);
	unwind(tcb, p);
}

void weft_panic_at(const char *file, int line, const char *fmt, ...)
{
	struct weft_panic *p;
	va_list ap;

	va_start(ap, fmt);
	p = make_payload(fmt, ap);
	va_end(ap);
	begin_panic(file, line, p);
}

void weft_panic_any_at(const char *file, int line, const struct weft_panic_type *type,
		       void *value)
{
	struct weft_panic *p;

	if (!type)
		weft_panic_at(file, line, "weft_panic_any() called with a NULL type");
	p = weft_panic_new(type, value);
	if (!p) {
		/* The value cannot travel: destroy it here rather than leak it. */
		if (type->destroy)
			type->destroy(value);
		p = &oom_payload;
	}
	begin_panic(file, line, p);
}

void weft_resume_panic(struct weft_panic *payload)
{
	struct weft_tcb *tcb = weft_tcb();

	if (tcb->panicking)
		weft_fatal("weft_resume_panic() while panicking. aborting.\n");
	weft_held_panic_begin();
	unwind(tcb, payload ? payload : &oom_payload);
}

/*
 * DOC: weft_thread_exit()
 *
 * pthread_exit() for weft: the thread ends as if its function had returned
 * @result. It is the same jump as a panic, to the innermost boundary, with
 * another kind (WEFT_EXITED) and no hook, no weft_panicking(). Each boundary
 * passes it on after its own cleanup, so nothing that waits is skipped:
 *
 *   weft_catch_panic()      passes it on at once (it catches panics only)
 *   weft_scope()            waits for and reaps its threads, then passes it on
 *   a green thread's entry  ends the green thread with @result
 *   a native thread's entry ends the thread with @result: its thread-local
 *                           destructors run, weft_join() gets @result
 *   none left (main)        weft_exit(0): main's destructors, the atexit
 *                           functions, exit_group(0)
 *
 * Frames between the call and the boundary are abandoned, as with a panic.
 */
void weft_thread_exit(void *result)
{
	struct weft_tcb *tcb = weft_tcb();
	struct weft_catch *c = tcb->catch_top;

	if (tcb->exiting)
		weft_fatal("fatal runtime error: weft_thread_exit() in a thread-local destructor, "
			   "aborting\n");
	if (tcb->panicking)
		weft_fatal("fatal runtime error: weft_thread_exit() while panicking, aborting\n");
	if (weft_key_unwind)
		weft_key_unwind(c);	/* key walks and destructors cut short */
	if (!c)
		weft_exit(0);
	c->kind = WEFT_EXITED;
	c->exit_result = result;
	jump_to(c);
}

/*
 * Run fn(arg) inside a boundary. Returns 0 (*result is fn's value),
 * WEFT_PANICKED (*panic is the payload) or WEFT_EXITED (*result is
 * weft_thread_exit()'s result).
 */
static int call_with_boundary(void *(*fn)(void *), void *arg, void **result,
			      struct weft_panic **panic)
{
	struct weft_catch c = { .prev = weft_tcb()->catch_top, .held_mark = weft_held_enter() };

	weft_tcb()->catch_top = &c;
	/*
	 * No local but c lives across the call (gcc's -Wclobbered): the TCB is
	 * read again after it, on both ways out.
	 */
	if (weft_arch_try(&c.jmp, fn, arg, result) == 0) {
		weft_tcb()->catch_top = c.prev;
		weft_held_leave(c.held_mark);
		return 0;
	}
	/*
	 * Back from weft_arch_unwind(): c is intact because it lives in this
	 * frame, which the jump returned to. (A green thread may be resumed on
	 * another stack, but never on another OS thread.)
	 */
	weft_tcb()->catch_top = c.prev;
	weft_held_leave(c.held_mark);
	if (c.kind == WEFT_EXITED) {
		*result = c.exit_result;
		return WEFT_EXITED;
	}
	*panic = c.payload;
	return WEFT_PANICKED;
}

int weft_catch_unwind(void *(*fn)(void *), void *arg, void **result)
{
	struct weft_panic *p = NULL;
	void *r = NULL;
	int kind = call_with_boundary(fn, arg, &r, &p);

	if (kind == WEFT_PANICKED) {
		weft_tcb()->panicking = 0;	/* caught: no longer in flight */
		weft_held_panic_end();
		r = p;
	}
	*result = r;
	return kind;
}

int weft_catch_panic(void *(*fn)(void *), void *arg, void **result)
{
	void *r = NULL;
	int kind = weft_catch_unwind(fn, arg, &r);

	if (kind == WEFT_EXITED)
		weft_thread_exit(r);	/* not a panic: on to the next boundary */
	if (result)
		*result = r;
	else if (kind == WEFT_PANICKED)
		weft_panic_free(r);
	return kind;
}

/*
 * A thread's outermost boundary. Unlike weft_catch_panic(), it leaves
 * weft_panicking() true: the thread is ending because of the panic, and its
 * thread-local destructors run in that state (a panic in one of them is a
 * panic while panicking, which aborts). A weft_thread_exit() ends here as a
 * return of its result.
 */
void *weft_panic_call_boundary(weft_thread_fn fn, void *arg, struct weft_panic **panic)
{
	void *r = NULL;

	*panic = NULL;
	if (call_with_boundary(fn, arg, &r, panic) == WEFT_PANICKED)
		return NULL;
	return r;
}
