/* SPDX-License-Identifier: MIT */
/* The x86_64 thread pointer: the %fs segment base, and the TLS variant it implies. */
#ifndef WEFT_ARCH_TP_H
#define WEFT_ARCH_TP_H

#include <asm/prctl.h>
#include <asm/unistd.h>

#include "syscall_arch.h"

/*
 * x86_64 uses TLS "variant II" (Drepper, "ELF Handling For Thread-Local
 * Storage", section 3.4.2): the thread pointer (the %fs base) points at the
 * thread control block, and the static TLS block sits immediately *below* it.
 * The word at %fs:0 must hold the thread pointer itself, because compilers
 * read it to turn a TLS variable into an ordinary address
 * (`mov %fs:0,%rax; lea x@tpoff(%rax),%rax`): there is no instruction that
 * reads the %fs base directly without FSGSBASE.
 */
#define WEFT_ARCH_TLS_ABOVE_TP 0
/* Bytes between tp and the TLS block on variant I arches; unused here. */
#define WEFT_ARCH_TLS_GAP 0

/*
 * Offset of the stack-protector canary gcc and clang read: %fs:0x28, one copy
 * per thread in its TCB. (aarch64 and riscv64 read a global instead.)
 */
#define WEFT_ARCH_CANARY_OFFSET 0x28

/** weft_arch_tp() - the calling thread's thread pointer, read from %fs:0. */
static inline __attribute__((always_inline)) void *weft_arch_tp(void)
{
	void *tp;

	__asm__("mov %%fs:0, %0" : "=r"(tp));
	return tp;
}

/*
 * Set the %fs base of the calling thread, untraced. lib/ uses
 * sys_set_thread_pointer() (kernel-abi/sys.h), which makes the same
 * arch_prctl(ARCH_SET_FS) visible to WEFT_TRACE and WEFT_FAULT. The kernel
 * side is do_arch_prctl_64() in arch/x86/kernel/process_64.c. New threads get
 * theirs from CLONE_SETTLS instead. Returns 0 or -errno.
 */
static inline long weft_arch_set_tp_raw(void *tp)
{
	return weft_syscall2(__NR_arch_prctl, ARCH_SET_FS, (long)tp);
}

#endif
