// SPDX-License-Identifier: MIT
/* Tour chapter 4: a panic caught at join, catch_panic, scoped threads, a stack overflow. */
#include <stdbool.h>

#include <linux/errno.h>
#include <linux/fcntl.h>

#include "kernel-abi/sys.h"
#include "tour.h"

/* The tour's own panic hook: the report goes to stdout, with the rest of the tour. */
static void tour_hook(const struct weft_panic_info *info)
{
	tour_say("  [hook] thread '%s' panicked at %s:%d:\n  [hook] %s\n", info->thread_name,
		 info->file, info->line, info->message);
}

static void *read_config(void *arg)
{
	const char *text = arg;

	if (text[0] != '{')
		weft_panic("config must start with '{', not '%c'", text[0]);
	return NULL;
}

static void *divide(void *arg)
{
	long d = (long)arg;

	if (d == 0)
		weft_panic("attempt to divide by zero");
	return (void *)(100 / d);
}

/* ---- scoped threads: four threads sum parts of an array on main's stack ---- */

struct part {
	const int *from;
	int len;
	long sum;
};

static void *sum_part(struct weft_scope *scope, void *arg)
{
	struct part *p = arg;

	for (int i = 0; i < p->len; i++)
		p->sum += p->from[i];
	return NULL;
}

/* Returns 0, or the -errno of a spawn that failed (the threads already spawned run on). */
static void *split_and_sum(struct weft_scope *scope, void *arg)
{
	struct part *parts = arg;
	int err;

	for (int i = 0; i < 4; i++)
		if ((err = weft_scope_spawn(scope, NULL, sum_part, &parts[i])))
			return (void *)(long)err;
	return NULL;	/* no joins: weft_scope() waits for all four */
}

/* ---- a stack overflow, in a child process so that the tour goes on ---- */

static __attribute__((noinline)) long dive(long depth)
{
	volatile char frame[256];	/* written, so the stack is really used */

	frame[0] = (char)depth;
	if (depth < 0)
		return 0;
	return dive(depth + 1) + frame[0];	/* not a tail call: the frame is read after */
}

static void *diver(void *arg)
{
	return (void *)dive(0);
}

static void overflow_in_child(void)
{
	const struct weft_builder b = { .name = "deep-diver", .stack_size = 64 * 1024 };
	struct weft_join_handle h;
	char err[1024], rest[256], *line, *nl;
	int fds[2], status = 0;
	long pid, n, len = 0;

	if ((n = sys_pipe2(fds, O_CLOEXEC))) {
		tour_failed("pipe2()", n);
		return;
	}
	pid = weft_fork();
	if (pid < 0) {
		tour_failed("weft_fork()", pid);
		sys_close(fds[0]);
		sys_close(fds[1]);
		return;
	}
	if (pid == 0) {
		weft_trace_set_fd(-1);	/* only the report in the pipe, no WEFT_TRACE=1 */
		/* The child's stderr goes into the pipe; if it cannot, it says so there. */
		if ((n = sys_dup3(fds[1], 2, 0)) < 0) {
			weft_dprintf(fds[1], "dup3() failed: %s%s\n", weft_errno_name((int)n),
				     weft_fault_fired() ? " (injected)" : "");
			sys_exit_group(1);
		}
		if ((n = weft_builder_spawn(&b, &h, diver, NULL)) == 0)
			weft_join(&h, NULL);
		else
			weft_dprintf(2, "weft_builder_spawn() failed: %s%s\n",
				     weft_errno_name((int)n), weft_fault_fired() ? " (injected)" : "");
		sys_exit_group(1);	/* the overflow should have ended this process */
	}
	/*
	 * Until our copy of the write end is closed, the pipe never reports
	 * end-of-file. If close() fails (on Linux the descriptor is gone even
	 * after EINTR; an injected failure leaves it open), do not read: the
	 * report fits in the pipe, so the child cannot block on it.
	 */
	if ((n = sys_close(fds[1]))) {
		tour_failed("close() of the pipe's write end", n);
		sys_close(fds[0]);
		while (sys_wait4((int)pid, &status, 0, NULL) == -EINTR)
			;
		return;
	}
	/* Read to the end (what does not fit is dropped), so the child never blocks. */
	for (;;) {
		if ((size_t)len < sizeof(err) - 1)
			n = sys_read(fds[0], err + len, sizeof(err) - 1 - (size_t)len);
		else
			n = sys_read(fds[0], rest, sizeof(rest));
		if (n == 0 || (n < 0 && n != -EINTR))
			break;
		if (n > 0 && (size_t)len < sizeof(err) - 1)
			len += n;
	}
	err[len] = 0;
	sys_close(fds[0]);
	if (n < 0)
		tour_failed("read() of the child's stderr", n);
	while ((n = sys_wait4((int)pid, &status, 0, NULL)) == -EINTR)
		;
	if (n < 0) {
		tour_failed("wait4()", n);
		return;
	}
	tour_say("  the child's stderr (a thread with a 64 KiB stack, recursing forever):\n");
	for (line = err; *line; line = *nl ? nl + 1 : nl) {
		nl = weft_strchr(line, '\n');
		if (!nl)
			nl = line + weft_strlen(line);
		tour_say("  |%s%.*s\n", nl > line ? " " : "", (int)(nl - line), line);
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT &&
	    weft_strstr(err, "has overflowed its stack"))
		tour_say("  the child was killed by signal %d (SIGABRT: reported, then aborted)\n",
			 SIGABRT);
	else if (WIFSIGNALED(status))
		tour_wrong("the child was killed by another signal, or without the report");
	else
		tour_wrong("the child exited instead of overflowing");
}

/*
 * A panic's message is formatted into memory of its own; without that memory
 * the payload says so instead. Return: whether @payload holds @expected.
 */
static bool check_payload(void *payload, const char *expected)
{
	if (!weft_strcmp(weft_panic_message(payload), expected))
		return true;
	tour_wrong("the panic's message is \"%s\"", weft_panic_message(payload));
	weft_panic_free(payload);
	return false;
}

void tour_panics(void)
{
	const struct weft_builder reader = { .name = "config-reader" };
	struct part parts[4];
	int numbers[1000];
	struct weft_join_handle h;
	weft_panic_hook_t old;
	void *payload = NULL;
	long total = 0;
	int ret;

	tour_heading("4. Panics, scoped threads, stack overflow");
	old = weft_set_panic_hook(tour_hook);

	tour_say("A thread panics: the hook reports it, the thread's entry catches it.\n");
	if ((ret = weft_builder_spawn(&reader, &h, read_config, "x = 1"))) {
		tour_failed("weft_builder_spawn()", ret);
	} else if ((ret = weft_join(&h, &payload)) != WEFT_PANICKED) {
		if (ret)
			tour_failed("weft_join()", ret);
		else
			tour_wrong("the thread returned instead of panicking");
	} else if (check_payload(payload, "config must start with '{', not 'x'")) {
		tour_say("  weft_join() = %d (WEFT_PANICKED), payload \"%s\": ours to free\n", ret,
			 weft_panic_message(payload));
		weft_panic_free(payload);
	}

	tour_say("weft_catch_panic() in main (Rust's catch_unwind):\n");
	ret = weft_catch_panic(divide, (void *)0L, &payload);
	if (check_payload(payload, "attempt to divide by zero")) {
		tour_say("  returned %d with \"%s\"; weft_panicking() is %d again\n", ret,
			 weft_panic_message(payload), weft_panicking());
		weft_panic_free(payload);
	}
	weft_set_panic_hook(old);

	tour_say("Scoped threads: 4 threads sum an array that lives on this function's stack.\n");
	for (int i = 0; i < 1000; i++)
		numbers[i] = i + 1;
	for (int i = 0; i < 4; i++)
		parts[i] = (struct part){ .from = numbers + 250 * i, .len = 250 };
	if ((ret = (int)(long)weft_scope(split_and_sum, parts))) {
		tour_failed("weft_scope_spawn()", ret);
		goto overflow;
	}
	for (int i = 0; i < 4; i++)
		total += parts[i].sum;
	tour_say("  %ld + %ld + %ld + %ld = %ld (1000 * 1001 / 2 = %d): weft_scope() returned\n"
		 "  only after all four had finished, so borrowing `parts` was safe\n",
		 parts[0].sum, parts[1].sum, parts[2].sum, parts[3].sum, total, 1000 * 1001 / 2);

overflow:
	tour_say("A stack overflow: the guard page faults, the SIGSEGV handler runs on the\n"
		 "thread's alternate signal stack, reports, and aborts the process.\n");
	overflow_in_child();
}
