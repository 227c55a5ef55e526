// SPDX-License-Identifier: MIT
/* Spawn one thread that prints, join it: the stripped static size is weft's price for threads. */
#include "weft/weft.h"

static void *say_hello(void *unused)
{
	weft_dprintf(1, "hello from a thread\n");
	return NULL;
}

int main(void)
{
	struct weft_join_handle thread;
	int error = weft_spawn(&thread, say_hello, NULL);

	if (!error)
		error = weft_join(&thread, NULL);
	if (error) {
		weft_dprintf(2, "hello_thread: error %d\n", error);
		return 1;
	}
	return 0;
}
