/* SPDX-License-Identifier: MIT */
/* Installing signal handlers without libc: rt_sigaction through weft's dispatcher. */
#ifndef WEFT_SIGNAL_H
#define WEFT_SIGNAL_H

/**
 * typedef weft_sighandler_t - a signal handler, as the kernel calls an SA_SIGINFO one
 * @sig: the signal number
 * @info: the kernel's siginfo_t
 * @ucontext: the kernel's ucontext (the interrupted registers)
 */
typedef void (*weft_sighandler_t)(int sig, void *info, void *ucontext);

#define WEFT_SIG_DFL ((weft_sighandler_t)0)
#define WEFT_SIG_IGN ((weft_sighandler_t)1)

/**
 * weft_signal() - install a signal handler
 * @sig: the signal number
 * @handler: a function, WEFT_SIG_DFL or WEFT_SIG_IGN
 * @flags: extra SA_* flags (SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND);
 *         SA_SIGINFO is always added for a function, and SA_RESTORER with
 *         weft's restorer where the architecture has one (x86_64, aarch64)
 * @old: if non-NULL, receives the previous handler
 *
 * The handler runs with no other signal blocked beyond @sig itself.
 *
 * Return: 0, or -errno from rt_sigaction(2) (-EINVAL for SIGKILL, SIGSTOP or
 * a bad number).
 */
int weft_signal(int sig, weft_sighandler_t handler, unsigned long flags, weft_sighandler_t *old);

#endif
