/* SPDX-License-Identifier: MIT */
/* Decoding the wait4(2) status word, which UAPI leaves to libc. */
#ifndef WEFT_KERNEL_ABI_WAIT_H
#define WEFT_KERNEL_ABI_WAIT_H

#include <linux/wait.h>

/*
 * The kernel builds the status in kernel/exit.c: (exit_code & 0xff) << 8 for
 * a normal exit, the signal number in the low 7 bits for a death by signal
 * (plus 0x80 if a core was dumped), 0x7f in the low byte for a stop.
 */
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WTERMSIG(s) ((s) & 0x7f)
#define WIFEXITED(s) (WTERMSIG(s) == 0)
#define WIFSIGNALED(s) (WTERMSIG(s) != 0 && WTERMSIG(s) != 0x7f)

#endif
