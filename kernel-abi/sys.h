/* SPDX-License-Identifier: MIT */
/* The kernel interface: one typed sys_<name>() per system call weft makes. */
#ifndef WEFT_KERNEL_ABI_SYS_H
#define WEFT_KERNEL_ABI_SYS_H

/*
 * Two layers, as in the kernel's tools/include/nolibc:
 *
 *   1. arch/<arch>/syscall_arch.h binds registers: weft_syscallN(nr, ...).
 *   2. This file gives every system call a typed wrapper, sys_<name>(), that
 *      returns exactly what the kernel returned: a result, or -errno. Nothing
 *      here sets an errno or retries; the callers in lib/ decide.
 *
 * DOC: the system-call hook
 *
 * kernel-abi/ calls nothing above it. Tracing (WEFT_TRACE) and fault
 * injection live in lib/trace.c; while either is on, it installs a function
 * in weft_sys_hook, and each wrapper below calls that function instead of
 * making the call itself. With both off the pointer is NULL, and the test is
 * one load and one never-taken branch in front of the `syscall` instruction.
 * The hook is the one registration point between kernel-abi/ and lib/
 * (Documentation/layers.rst).
 */

#include <stddef.h>
#include <stdint.h>

#include <asm/unistd.h>
#include <linux/types.h>
#include <linux/time_types.h>

#include "syscall_arch.h"
#include "tp_arch.h"
#include "kernel-abi/signal_abi.h"
#include "kernel-abi/wait_abi.h"

typedef long weft_sys_hook_fn(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

/* Set by lib/trace.c while tracing or fault injection is on; NULL otherwise. */
extern weft_sys_hook_fn *weft_sys_hook;

#define weft_sys_unlikely(x) __builtin_expect(!!(x), 0)

/*
 * The hook may be switched off (to NULL) by another thread at any time;
 * calling one that was just switched off is harmless (it then makes the
 * plain call). What must not happen is a test that sees it set and a second
 * load, for the call, that sees NULL: so it is read once, atomically. (A plain
 * read would let the compiler share one load among several tests, 128 bytes
 * less in a small program, but also load it twice.)
 */
static inline __attribute__((always_inline)) weft_sys_hook_fn *weft_sys_hook_now(void)
{
	return __atomic_load_n(&weft_sys_hook, __ATOMIC_RELAXED);
}

/* The largest errno the kernel returns (MAX_ERRNO in include/linux/err.h). */
#define WEFT_MAX_ERRNO 4095

/**
 * sys_is_error() - whether a raw system call result is an error
 * @ret: what the kernel returned
 *
 * The kernel returns -errno in [-4095, -1] (MAX_ERRNO in include/linux/err.h);
 * anything else is a result, even a negative one (a high mmap address).
 *
 * Return: true for -4095 ... -1.
 */
static inline __attribute__((always_inline)) int sys_is_error(long ret)
{
	return (unsigned long)ret >= -(unsigned long)WEFT_MAX_ERRNO;
}

/*
 * Cold code: a file that runs once or only on error paths (start-up, exit,
 * the overflow handler) says so with `#define WEFT_SYS_COLD` before its
 * includes; the Makefile finds that line and builds the file for size. There
 * every wrapper is one call to weft_sys_call() (kernel-abi/sys.c), which tests
 * the hook itself, instead of the test, the `syscall` and a hooked call inlined
 * side by side (about 30 bytes each); the return after the kernel costs these
 * calls a few ns they can spare. Hot code keeps the inline instruction.
 */
#ifdef WEFT_SYS_COLD
#define WEFT_SYS_OUT_OF_LINE 1
#else
#define WEFT_SYS_OUT_OF_LINE 0
#endif

long weft_sys_call(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

static inline __attribute__((always_inline)) long weft_sys0(long nr)
{
	weft_sys_hook_fn *hook;

	if (WEFT_SYS_OUT_OF_LINE)
		return weft_sys_call(nr, 0, 0, 0, 0, 0, 0);
	hook = weft_sys_hook_now();
	if (weft_sys_unlikely(hook))
		return hook(nr, 0, 0, 0, 0, 0, 0);
	return weft_syscall0(nr);
}

static inline __attribute__((always_inline)) long weft_sys1(long nr, long a1)
{
	weft_sys_hook_fn *hook;

	if (WEFT_SYS_OUT_OF_LINE)
		return weft_sys_call(nr, a1, 0, 0, 0, 0, 0);
	hook = weft_sys_hook_now();
	if (weft_sys_unlikely(hook))
		return hook(nr, a1, 0, 0, 0, 0, 0);
	return weft_syscall1(nr, a1);
}

static inline __attribute__((always_inline)) long weft_sys2(long nr, long a1, long a2)
{
	weft_sys_hook_fn *hook;

	if (WEFT_SYS_OUT_OF_LINE)
		return weft_sys_call(nr, a1, a2, 0, 0, 0, 0);
	hook = weft_sys_hook_now();
	if (weft_sys_unlikely(hook))
		return hook(nr, a1, a2, 0, 0, 0, 0);
	return weft_syscall2(nr, a1, a2);
}

static inline __attribute__((always_inline)) long weft_sys3(long nr, long a1, long a2, long a3)
{
	weft_sys_hook_fn *hook;

	if (WEFT_SYS_OUT_OF_LINE)
		return weft_sys_call(nr, a1, a2, a3, 0, 0, 0);
	hook = weft_sys_hook_now();
	if (weft_sys_unlikely(hook))
		return hook(nr, a1, a2, a3, 0, 0, 0);
	return weft_syscall3(nr, a1, a2, a3);
}

static inline __attribute__((always_inline)) long weft_sys4(long nr, long a1, long a2, long a3,
							     long a4)
{
	weft_sys_hook_fn *hook;

	if (WEFT_SYS_OUT_OF_LINE)
		return weft_sys_call(nr, a1, a2, a3, a4, 0, 0);
	hook = weft_sys_hook_now();
	if (weft_sys_unlikely(hook))
		return hook(nr, a1, a2, a3, a4, 0, 0);
	return weft_syscall4(nr, a1, a2, a3, a4);
}

static inline __attribute__((always_inline)) long weft_sys5(long nr, long a1, long a2, long a3,
							     long a4, long a5)
{
	weft_sys_hook_fn *hook;

	if (WEFT_SYS_OUT_OF_LINE)
		return weft_sys_call(nr, a1, a2, a3, a4, a5, 0);
	hook = weft_sys_hook_now();
	if (weft_sys_unlikely(hook))
		return hook(nr, a1, a2, a3, a4, a5, 0);
	return weft_syscall5(nr, a1, a2, a3, a4, a5);
}

static inline __attribute__((always_inline)) long weft_sys6(long nr, long a1, long a2, long a3,
							     long a4, long a5, long a6)
{
	weft_sys_hook_fn *hook;

	if (WEFT_SYS_OUT_OF_LINE)
		return weft_sys_call(nr, a1, a2, a3, a4, a5, a6);
	hook = weft_sys_hook_now();
	if (weft_sys_unlikely(hook))
		return hook(nr, a1, a2, a3, a4, a5, a6);
	return weft_syscall6(nr, a1, a2, a3, a4, a5, a6);
}

/* Files and processes. */

static inline long sys_read(int fd, void *buf, size_t count)
{
	return weft_sys3(__NR_read, fd, (long)buf, (long)count);
}

static inline long sys_write(int fd, const void *buf, size_t count)
{
	return weft_sys3(__NR_write, fd, (long)buf, (long)count);
}

static inline long sys_openat(int dirfd, const char *path, int flags, unsigned int mode)
{
	return weft_sys4(__NR_openat, dirfd, (long)path, flags, mode);
}

static inline long sys_close(int fd)
{
	return weft_sys1(__NR_close, fd);
}

static inline long sys_pipe2(int fds[2], int flags)
{
	return weft_sys2(__NR_pipe2, (long)fds, flags);
}

/*
 * dup3 exists everywhere; dup2 only on the older tables (x86_64), not on
 * asm-generic ones (aarch64, riscv64). Unlike dup2, dup3(fd, fd, 0) is
 * -EINVAL rather than a no-op: weft never asks for that.
 */
static inline long sys_dup3(int oldfd, int newfd, int flags)
{
	return weft_sys3(__NR_dup3, oldfd, newfd, flags);
}

#ifdef __NR_dup2
static inline long sys_dup2(int oldfd, int newfd)
{
	return weft_sys2(__NR_dup2, oldfd, newfd);
}
#endif

static inline long sys_getpid(void)
{
	return weft_sys0(__NR_getpid);
}

static inline long sys_gettid(void)
{
	return weft_sys0(__NR_gettid);
}

/*
 * exit ends the calling thread only; exit_group ends every thread of the
 * process. Neither can fail in the kernel (do_exit() does not return), so
 * only an injected fault (WEFT_FAULT) makes the hooked call return, and
 * running on past it would be undefined behaviour, a SIGSEGV at best. So:
 * once more through the hook (a rule that fires once lets that through),
 * then the bare instruction, which no rule intercepts, with the same status.
 */
static inline __attribute__((noreturn)) void sys_exit(int status)
{
	if (weft_sys1(__NR_exit, status))
		weft_sys1(__NR_exit, status);
	for (;;)
		weft_syscall1(__NR_exit, status);
}

static inline __attribute__((noreturn)) void sys_exit_group(int status)
{
	if (weft_sys1(__NR_exit_group, status))
		weft_sys1(__NR_exit_group, status);
	for (;;)
		weft_syscall1(__NR_exit_group, status);
}

static inline long sys_execve(const char *path, char *const argv[], char *const envp[])
{
	return weft_sys3(__NR_execve, (long)path, (long)argv, (long)envp);
}

static inline long sys_wait4(int pid, int *status, int options, void *rusage)
{
	return weft_sys4(__NR_wait4, pid, (long)status, options, (long)rusage);
}

static inline long sys_kill(int pid, int sig)
{
	return weft_sys2(__NR_kill, pid, sig);
}

static inline long sys_setpgid(int pid, int pgid)
{
	return weft_sys2(__NR_setpgid, pid, pgid);
}

static inline long sys_tgkill(int tgid, int tid, int sig)
{
	return weft_sys3(__NR_tgkill, tgid, tid, sig);
}

/*
 * The kernel's order of clone's last two arguments: x86_64 takes
 * (flags, stack, parent_tid, child_tid, tls); arches whose Kconfig selects
 * CLONE_BACKWARDS (aarch64, riscv64; WEFT_ARCH_CLONE_BACKWARDS) take tls 4th
 * and child_tid 5th (man 2 clone, NOTES; kernel/fork.c). weft's C functions
 * keep the x86_64 order; these pick the kernel's.
 */
#ifdef WEFT_ARCH_CLONE_BACKWARDS
#define WEFT_CLONE_ARG4(child_tid, tls) (tls)
#define WEFT_CLONE_ARG5(child_tid, tls) (child_tid)
#else
#define WEFT_CLONE_ARG4(child_tid, tls) (child_tid)
#define WEFT_CLONE_ARG5(child_tid, tls) (tls)
#endif

/*
 * Fork-style clone: a new process, not a thread. With a NULL stack the child
 * continues on a copy of the caller's stack, so it is safe to call from C;
 * the thread-creating clone needs assembly and lives in arch/<arch>/clone.S.
 */
static inline long sys_clone(unsigned long flags, void *stack, int *parent_tid, int *child_tid,
			     unsigned long tls)
{
	return weft_sys5(__NR_clone, (long)flags, (long)stack, (long)parent_tid,
			 WEFT_CLONE_ARG4((long)child_tid, (long)tls),
			 WEFT_CLONE_ARG5((long)child_tid, (long)tls));
}

static inline long sys_prlimit64(int pid, unsigned int resource, const void *new_limit,
				 void *old_limit)
{
	return weft_sys4(__NR_prlimit64, pid, resource, (long)new_limit, (long)old_limit);
}

static inline long sys_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4,
			     unsigned long a5)
{
	return weft_sys5(__NR_prctl, option, (long)a2, (long)a3, (long)a4, (long)a5);
}

/* setitimer exists everywhere; alarm only on the older tables (x86_64). */
static inline long sys_setitimer(int which, const struct __kernel_old_itimerval *new_value,
				 struct __kernel_old_itimerval *old_value)
{
	return weft_sys3(__NR_setitimer, which, (long)new_value, (long)old_value);
}

#ifdef __NR_alarm
static inline long sys_alarm(unsigned int seconds)
{
	return weft_sys1(__NR_alarm, seconds);
}
#endif

/* Memory. */

static inline long sys_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
	return weft_sys6(__NR_mmap, (long)addr, (long)len, prot, flags, fd, off);
}

static inline long sys_munmap(void *addr, size_t len)
{
	return weft_sys2(__NR_munmap, (long)addr, (long)len);
}

static inline long sys_mprotect(void *addr, size_t len, int prot)
{
	return weft_sys3(__NR_mprotect, (long)addr, (long)len, prot);
}

static inline long sys_madvise(void *addr, size_t len, int advice)
{
	return weft_sys3(__NR_madvise, (long)addr, (long)len, advice);
}

#ifdef __NR_arch_prctl
static inline long sys_arch_prctl(int code, unsigned long addr)
{
	return weft_sys2(__NR_arch_prctl, code, (long)addr);
}
#endif

/*
 * sys_set_thread_pointer() - make @tp the calling thread's thread pointer.
 * Where that takes a system call (x86_64, the wrapper above) it goes through
 * the hooks like any other (traced, fault-injectable); aarch64 and riscv64
 * write a register (weft_arch_set_tp_raw() in arch/<arch>/tp_arch.h) and
 * cannot fail. The caller must touch no TLS in the same function.
 */
#ifdef __NR_arch_prctl
#define WEFT_SET_TP_IS_SYSCALL 1
#else
#define WEFT_SET_TP_IS_SYSCALL 0
#endif

static inline long sys_set_thread_pointer(void *tp)
{
#ifdef __NR_arch_prctl
	return sys_arch_prctl(ARCH_SET_FS, (unsigned long)tp);
#else
	return weft_arch_set_tp_raw(tp);
#endif
}

/* Signals. sigsetsize is the kernel's sigset, WEFT_SIGSET_SIZE (signal_abi.h). */

static inline long sys_rt_sigaction(int sig, const struct kernel_sigaction *act,
				    struct kernel_sigaction *old)
{
	return weft_sys4(__NR_rt_sigaction, sig, (long)act, (long)old, WEFT_SIGSET_SIZE);
}

static inline long sys_rt_sigprocmask(int how, const kernel_sigset_t *set, kernel_sigset_t *old)
{
	return weft_sys4(__NR_rt_sigprocmask, how, (long)set, (long)old, WEFT_SIGSET_SIZE);
}

static inline long sys_sigaltstack(const struct kernel_stack *ss, struct kernel_stack *old)
{
	return weft_sys2(__NR_sigaltstack, (long)ss, (long)old);
}

/* Time and scheduling. */

static inline long sys_clock_gettime(int clock, struct __kernel_timespec *ts)
{
	return weft_sys2(__NR_clock_gettime, clock, (long)ts);
}

static inline long sys_clock_nanosleep(int clock, int flags, const struct __kernel_timespec *req,
				       struct __kernel_timespec *rem)
{
	return weft_sys4(__NR_clock_nanosleep, clock, flags, (long)req, (long)rem);
}

static inline long sys_sched_yield(void)
{
	return weft_sys0(__NR_sched_yield);
}

static inline long sys_sched_getaffinity(int pid, size_t len, void *mask)
{
	return weft_sys3(__NR_sched_getaffinity, pid, (long)len, (long)mask);
}

/* Threads. */

static inline long sys_futex(uint32_t *uaddr, int op, uint32_t val,
			     const struct __kernel_timespec *timeout, uint32_t *uaddr2, uint32_t val3)
{
	return weft_sys6(__NR_futex, (long)uaddr, op, val, (long)timeout, (long)uaddr2, val3);
}

static inline long sys_set_tid_address(int *tidptr)
{
	return weft_sys1(__NR_set_tid_address, (long)tidptr);
}

/* A full barrier on every CPU running one of our threads (kernel/sched/membarrier.c). */
static inline long sys_membarrier(int cmd, unsigned int flags, int cpu_id)
{
	return weft_sys3(__NR_membarrier, cmd, flags, cpu_id);
}

#endif
