/* SPDX-License-Identifier: MIT */
/* The riscv64 system call instruction, bound to registers, for 0 to 6 arguments. */
#ifndef WEFT_ARCH_SYSCALL_H
#define WEFT_ARCH_SYSCALL_H

/*
 * The RISC-V Linux system call ABI (do_trap_ecall_u() in
 * arch/riscv/kernel/traps.c; tools/include/nolibc/arch-riscv.h):
 *
 *   - the system call number goes in a7;
 *   - arguments 1..6 go in a0..a5, as for a C call;
 *   - `ecall` enters the kernel; the result comes back in a0, the only
 *     register the kernel writes: no clobbers beyond memory;
 *   - a value in [-4095, -1] is -errno.
 *
 * The table is asm-generic's (include/uapi/asm-generic/unistd.h), shared
 * with aarch64, which lacks some calls of the older x86_64 table
 * (Documentation/abi-notes.rst).
 */

/*
 * clone(2) takes (flags, stack, parent_tid, tls, child_tid) here: arch/riscv/Kconfig
 * selects CLONE_BACKWARDS (kernel/fork.c, SYSCALL_DEFINE5(clone)).
 */
#define WEFT_ARCH_CLONE_BACKWARDS 1

static inline __attribute__((always_inline)) long weft_syscall0(long nr)
{
	register long a7 __asm__("a7") = nr;
	register long a0_ __asm__("a0");

	__asm__ volatile("ecall" : "=r"(a0_) : "r"(a7) : "memory");
	return a0_;
}

static inline __attribute__((always_inline)) long weft_syscall1(long nr, long a1)
{
	register long a7 __asm__("a7") = nr;
	register long a0_ __asm__("a0") = a1;

	__asm__ volatile("ecall" : "+r"(a0_) : "r"(a7) : "memory");
	return a0_;
}

static inline __attribute__((always_inline)) long weft_syscall2(long nr, long a1, long a2)
{
	register long a7 __asm__("a7") = nr;
	register long a0_ __asm__("a0") = a1;
	register long a1_ __asm__("a1") = a2;

	__asm__ volatile("ecall" : "+r"(a0_) : "r"(a7), "r"(a1_) : "memory");
	return a0_;
}

static inline __attribute__((always_inline)) long weft_syscall3(long nr, long a1, long a2, long a3)
{
	register long a7 __asm__("a7") = nr;
	register long a0_ __asm__("a0") = a1;
	register long a1_ __asm__("a1") = a2;
	register long a2_ __asm__("a2") = a3;

	__asm__ volatile("ecall" : "+r"(a0_) : "r"(a7), "r"(a1_), "r"(a2_) : "memory");
	return a0_;
}

static inline __attribute__((always_inline)) long weft_syscall4(long nr, long a1, long a2, long a3,
								 long a4)
{
	register long a7 __asm__("a7") = nr;
	register long a0_ __asm__("a0") = a1;
	register long a1_ __asm__("a1") = a2;
	register long a2_ __asm__("a2") = a3;
	register long a3_ __asm__("a3") = a4;

	__asm__ volatile("ecall" : "+r"(a0_) : "r"(a7), "r"(a1_), "r"(a2_), "r"(a3_) : "memory");
	return a0_;
}

static inline __attribute__((always_inline)) long weft_syscall5(long nr, long a1, long a2, long a3,
								 long a4, long a5)
{
	register long a7 __asm__("a7") = nr;
	register long a0_ __asm__("a0") = a1;
	register long a1_ __asm__("a1") = a2;
	register long a2_ __asm__("a2") = a3;
	register long a3_ __asm__("a3") = a4;
	register long a4_ __asm__("a4") = a5;

	__asm__ volatile("ecall"
			 : "+r"(a0_)
			 : "r"(a7), "r"(a1_), "r"(a2_), "r"(a3_), "r"(a4_)
			 : "memory");
	return a0_;
}

static inline __attribute__((always_inline)) long weft_syscall6(long nr, long a1, long a2, long a3,
								 long a4, long a5, long a6)
{
	register long a7 __asm__("a7") = nr;
	register long a0_ __asm__("a0") = a1;
	register long a1_ __asm__("a1") = a2;
	register long a2_ __asm__("a2") = a3;
	register long a3_ __asm__("a3") = a4;
	register long a4_ __asm__("a4") = a5;
	register long a5_ __asm__("a5") = a6;

	__asm__ volatile("ecall"
			 : "+r"(a0_)
			 : "r"(a7), "r"(a1_), "r"(a2_), "r"(a3_), "r"(a4_), "r"(a5_)
			 : "memory");
	return a0_;
}

/* The vDSO's clock_gettime on riscv64 (arch/riscv/kernel/vdso/vdso.lds.S); lib/time.c looks it up. */
#define WEFT_ARCH_VDSO_CLOCK_GETTIME "__vdso_clock_gettime"

#endif
