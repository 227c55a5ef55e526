/* SPDX-License-Identifier: MIT */
/* The aarch64 system call instruction, bound to registers, for 0 to 6 arguments. */
#ifndef WEFT_ARCH_SYSCALL_H
#define WEFT_ARCH_SYSCALL_H

/*
 * The arm64 Linux system call ABI (el0_svc() and invoke_syscall() in
 * arch/arm64/kernel/syscall.c; tools/include/nolibc/arch-aarch64.h):
 *
 *   - the system call number goes in x8;
 *   - arguments 1..6 go in x0..x5, as for a C call;
 *   - `svc #0` enters the kernel; the result comes back in x0, which is the
 *     only register the kernel writes: no clobbers beyond memory;
 *   - a value in [-4095, -1] is -errno.
 *
 * The table is asm-generic's (include/uapi/asm-generic/unistd.h), shared
 * with riscv64, which lacks some calls of the older x86_64 table
 * (Documentation/abi-notes.rst).
 */

/*
 * clone(2) takes (flags, stack, parent_tid, tls, child_tid) here: arch/arm64/Kconfig
 * selects CLONE_BACKWARDS (kernel/fork.c, SYSCALL_DEFINE5(clone)).
 */
#define WEFT_ARCH_CLONE_BACKWARDS 1

static inline __attribute__((always_inline)) long weft_syscall0(long nr)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0");

	__asm__ volatile("svc #0" : "=r"(x0) : "r"(x8) : "memory");
	return x0;
}

static inline __attribute__((always_inline)) long weft_syscall1(long nr, long a1)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a1;

	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8) : "memory");
	return x0;
}

static inline __attribute__((always_inline)) long weft_syscall2(long nr, long a1, long a2)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a1;
	register long x1 __asm__("x1") = a2;

	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1) : "memory");
	return x0;
}

static inline __attribute__((always_inline)) long weft_syscall3(long nr, long a1, long a2, long a3)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a1;
	register long x1 __asm__("x1") = a2;
	register long x2 __asm__("x2") = a3;

	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	return x0;
}

static inline __attribute__((always_inline)) long weft_syscall4(long nr, long a1, long a2, long a3,
								 long a4)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a1;
	register long x1 __asm__("x1") = a2;
	register long x2 __asm__("x2") = a3;
	register long x3 __asm__("x3") = a4;

	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
	return x0;
}

static inline __attribute__((always_inline)) long weft_syscall5(long nr, long a1, long a2, long a3,
								 long a4, long a5)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a1;
	register long x1 __asm__("x1") = a2;
	register long x2 __asm__("x2") = a3;
	register long x3 __asm__("x3") = a4;
	register long x4 __asm__("x4") = a5;

	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4)
			 : "memory");
	return x0;
}

static inline __attribute__((always_inline)) long weft_syscall6(long nr, long a1, long a2, long a3,
								 long a4, long a5, long a6)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a1;
	register long x1 __asm__("x1") = a2;
	register long x2 __asm__("x2") = a3;
	register long x3 __asm__("x3") = a4;
	register long x4 __asm__("x4") = a5;
	register long x5 __asm__("x5") = a6;

	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}

/* The vDSO's clock_gettime on aarch64 (arch/arm64/kernel/vdso/vdso.lds.S); lib/time.c looks it up. */
#define WEFT_ARCH_VDSO_CLOCK_GETTIME "__kernel_clock_gettime"

#endif
