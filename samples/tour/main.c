// SPDX-License-Identifier: MIT
/* The tour of weft, run by `make run`: what a thread is, from execve to green threads. */
#include <stdarg.h>
#include <stdatomic.h>

#include "tour.h"

#pragma weak tour_process_start
#pragma weak tour_threads
#pragma weak tour_locals
#pragma weak tour_keys
#pragma weak tour_panics
#pragma weak tour_green
#pragma weak tour_sync

static _Atomic int failures;	/* what tour_failed() and tour_wrong() counted */
static _Atomic int lost_write;	/* the first error of a write to stdout, or 0 */

void tour_say(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = weft_vdprintf(1, fmt, ap);
	va_end(ap);
	if (n < 0 && !lost_write)
		lost_write = n;
}

/* "EAGAIN (injected)" for -EAGAIN when a WEFT_FAULT rule has fired. */
static const char *injected(void)
{
	return weft_fault_fired() ? " (injected)" : "";
}

void tour_failed(const char *what, long err)
{
	const char *name = weft_errno_name((int)err);

	failures++;
	if (name)
		tour_say("  %s failed: %s%s\n", what, name, injected());
	else
		tour_say("  %s failed: error %ld%s\n", what, -err, injected());
}

void tour_wrong(const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	weft_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	failures++;
	tour_say("  %s%s\n", why, weft_fault_fired() ? " (after an injected failure)" : "");
}

bool tour_joined(int err, void **result)
{
	if (!err)
		return true;
	if (err == WEFT_PANICKED) {
		tour_wrong("the thread panicked: %s", weft_panic_message(*result));
		weft_panic_free(*result);
		*result = NULL;
	} else {
		tour_failed("weft_join()", err);
	}
	return false;
}

bool tour_wait_for(_Atomic int *count, int n, const struct weft_join_handle *handles, int nh)
{
	while (atomic_load(count) < n) {
		for (int i = 0; i < nh; i++)
			if (weft_is_finished(&handles[i]) == 1 && atomic_load(count) < n)
				return false;
		/* Counting threads unpark us; one that dies early cannot, hence the timeout. */
		weft_park_timeout(10 * 1000 * 1000);
	}
	return true;
}

void tour_heading(const char *title)
{
	tour_say("\n== %s ==\n\n", title);
}

int main(int argc, char **argv, char **envp)
{
	void (*chapters[])(void) = {
		tour_process_start, tour_threads, tour_locals, tour_keys, tour_panics, tour_green,
		tour_sync,
	};

	tour_say("weft: threads woven from raw Linux syscalls.\n"
		 "Run `WEFT_TRACE=1 make run` to see every system call behind this tour.\n");
	for (unsigned int i = 0; i < sizeof(chapters) / sizeof(chapters[0]); i++)
		if (chapters[i])
			chapters[i]();
	tour_say("\nEnd of the tour. Documentation/index.rst goes deeper.\n");
	if (lost_write) {
		const char *name = weft_errno_name(lost_write);

		weft_dprintf(2, "tour: some of the tour could not be written to stdout: %s%s\n",
			     name ? name : "error", injected());
		return 1;
	}
	if (failures) {
		weft_dprintf(2, "tour: %d thing%s could not be shown, see above%s\n", failures,
			     failures == 1 ? "" : "s", injected());
		return 1;
	}
	return 0;
}
