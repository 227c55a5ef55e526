// SPDX-License-Identifier: MIT
/* A program of another project, built against an installed weft: spawn a thread, join it. */
#include "weft/weft.h"

/*
 * Built here with nothing but samples/outside/Makefile and `pkg-config weft`
 * (README.md, "Using weft from another project"); `make check` installs weft
 * into a scratch directory, builds this against it and compares the stripped
 * binary with the same file built in the tree (tests/check-install.sh).
 */
static void *greet(void *name)
{
	weft_dprintf(1, "hello from thread '%s'\n", weft_thread_name(weft_current()));
	return name;
}

int main(void)
{
	struct weft_builder builder = { .name = "outside" };
	struct weft_join_handle thread;
	void *result = NULL;
	int error = weft_builder_spawn(&builder, &thread, greet, "outside");

	if (!error)
		error = weft_join(&thread, &result);
	if (error) {
		weft_dprintf(2, "hello: %d\n", error);
		return 1;
	}
	weft_dprintf(1, "joined, the thread returned '%s'\n", (const char *)result);
	return 0;
}
