// SPDX-License-Identifier: MIT
/* The system-call hook's pointer, and the out-of-line call that cold code makes. */
#define WEFT_SYS_COLD	/* cold code: built for size, system calls out of line (sys.h) */
#include "kernel-abi/sys.h"

/*
 * Built with -fno-stack-protector: start-up makes its first calls through
 * weft_sys_call() before the main thread's TLS (and so its canary) exists.
 */

weft_sys_hook_fn *weft_sys_hook;

/**
 * weft_sys_call() - make a system call out of line, through the hook if one is set
 * @nr: the system call number
 * @a1: first argument (unused ones are 0)
 * @a2: second argument
 * @a3: third argument
 * @a4: fourth argument
 * @a5: fifth argument
 * @a6: sixth argument
 *
 * What every wrapper does inline, for code built with WEFT_SYS_COLD.
 *
 * Return: what the kernel (or the hook) returned: a result or -errno.
 */
long weft_sys_call(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	weft_sys_hook_fn *hook = weft_sys_hook_now();

	if (hook)
		return hook(nr, a1, a2, a3, a4, a5, a6);
	return weft_syscall6(nr, a1, a2, a3, a4, a5, a6);
}
