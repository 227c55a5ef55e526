// SPDX-License-Identifier: MIT
/* The tour of weft, run by `make run`: what a thread is, from execve to green threads. */
#include "tour.h"

#pragma weak tour_process_start
#pragma weak tour_threads
#pragma weak tour_locals
#pragma weak tour_keys
#pragma weak tour_panics
#pragma weak tour_green
#pragma weak tour_sync

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
	return 0;
}
