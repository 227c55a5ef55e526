/* SPDX-License-Identifier: MIT */
/* Fault injection and tracing of weft's system calls, for tests and for teaching. */
#ifndef WEFT_FAULT_H
#define WEFT_FAULT_H

/*
 * DOC: fault injection
 *
 * In the spirit of the kernel's fail_function: a test arms a rule "the Nth
 * call of system call NR from now fails with ERRNO" and runs the code under
 * test; weft's syscall layer returns -ERRNO instead of entering the kernel.
 * System call numbers are the __NR_* constants of <asm/unistd.h>.
 *
 *	weft_fault_inject(__NR_mmap, 2, ENOMEM);	// the 2nd mmap fails
 *	err = weft_spawn(&h, fn, NULL);			// must return -ENOMEM
 *	weft_fault_clear();
 *
 * Rules count every call made by any thread of the process, in the order they
 * were armed; a call that one rule fails is not counted by the rules after
 * it, so three rules with @nth 1 fail the next three calls.
 *
 * These functions are the tracer (lib/trace.c), a link-time option: a program
 * that calls one links it, and with it WEFT_TRACE and WEFT_FAULT; another asks
 * for it with `pkg-config --libs weft-trace` (Documentation/syscalls.rst).
 */

/* Match every system call number. */
#define WEFT_FAULT_ANY_SYSCALL (-1L)
/* @nth for "every call". */
#define WEFT_FAULT_EVERY 0UL
#define WEFT_FAULT_RULES 8

/**
 * weft_fault_inject() - make a future system call fail
 * @nr: the __NR_* number, or WEFT_FAULT_ANY_SYSCALL
 * @nth: 1 for the next matching call, 2 for the one after, ...;
 *       WEFT_FAULT_EVERY for every matching call until weft_fault_clear()
 * @err: the positive errno to return (as -@err)
 *
 * Return: 0, -EINVAL for a bad @err, or -ENOSPC when WEFT_FAULT_RULES rules
 * are already armed.
 */
int weft_fault_inject(long nr, unsigned long nth, int err);

/**
 * weft_fault_clear() - disarm every rule and reset the counters
 */
void weft_fault_clear(void);

/**
 * weft_fault_fired() - how many calls failed by injection since the last clear
 *
 * A test loops "fail the 1st, 2nd, ... call" until a run completes with no
 * injected failure: then every failure path has been visited.
 *
 * Return: the count.
 */
unsigned long weft_fault_fired(void);

/**
 * weft_trace_set_fd() - send the system call trace to a file descriptor
 * @fd: where the lines go, or -1 to stop tracing
 *
 * The same as starting the program with WEFT_TRACE=1 (fd 2), WEFT_TRACE=fd:N,
 * or WEFT_TRACE=file:NAME (or a path with a '/'). Each traced call is one line:
 *
 *	[weft 1234] mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0)
 *	  = 0x7f3a2c1d5000 (why: main thread TLS block + TCB)
 *
 * (one line, shown folded here). Failed calls show the errno name; injected
 * ones say "(injected)".
 *
 * Return: the previous descriptor, or -1 if tracing was off.
 */
int weft_trace_set_fd(int fd);

#endif
