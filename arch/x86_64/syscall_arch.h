/* SPDX-License-Identifier: MIT */
/* The x86_64 system call instruction, bound to registers, for 0 to 6 arguments. */
#ifndef WEFT_ARCH_SYSCALL_H
#define WEFT_ARCH_SYSCALL_H

/*
 * The x86_64 Linux system call ABI (arch/x86/entry/entry_64.S, "64-bit SYSCALL
 * instruction entry"):
 *
 *   - the system call number goes in %rax;
 *   - arguments 1..6 go in %rdi, %rsi, %rdx, %r10, %r8, %r9 (note %r10, not
 *     %rcx as in a C call: the syscall instruction itself overwrites %rcx);
 *   - `syscall` saves the return address in %rcx and %rflags in %r11, so both
 *     are clobbered; every other register is preserved by the kernel;
 *   - the result comes back in %rax: a value in [-4095, -1] is -errno, anything
 *     else is success (mmap returns addresses above that range);
 *   - the kernel may read and write user memory through the pointer
 *     arguments, hence the "memory" clobber.
 *
 * These functions are always inlined: a `ret` right after the kernel entry
 * mispredicts (Documentation/abi-notes.rst §13), and the compiler can
 * keep arguments in the right registers from the start.
 */

static inline __attribute__((always_inline)) long weft_syscall0(long nr)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
	return ret;
}

static inline __attribute__((always_inline)) long weft_syscall1(long nr, long a1)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1) : "rcx", "r11", "memory");
	return ret;
}

static inline __attribute__((always_inline)) long weft_syscall2(long nr, long a1, long a2)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline __attribute__((always_inline)) long weft_syscall3(long nr, long a1, long a2, long a3)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline __attribute__((always_inline)) long weft_syscall4(long nr, long a1, long a2, long a3,
								 long a4)
{
	register long r10 __asm__("r10") = a4;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline __attribute__((always_inline)) long weft_syscall5(long nr, long a1, long a2, long a3,
								 long a4, long a5)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline __attribute__((always_inline)) long weft_syscall6(long nr, long a1, long a2, long a3,
								 long a4, long a5, long a6)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/*
 * The vDSO's clock_gettime, by the name the kernel exports it under on x86_64
 * (arch/x86/entry/vdso/vdso.lds.S); aarch64's is "__kernel_clock_gettime",
 * riscv64's "__vdso_clock_gettime". lib/time.c looks it up; without this
 * definition weft_now() always makes the system call.
 */
#define WEFT_ARCH_VDSO_CLOCK_GETTIME "__vdso_clock_gettime"

#endif
