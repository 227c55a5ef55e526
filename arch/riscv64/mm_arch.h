/* SPDX-License-Identifier: MIT */
/* The riscv64 user address space, as far as a sanity bound on mapping sizes needs it. */
#ifndef WEFT_ARCH_MM_H
#define WEFT_ARCH_MM_H

/*
 * Sv48 gives user space 2^47 bytes; an Sv57 kernel hands out addresses above
 * that only to an mmap that asks with a hint, and an Sv39 one has 2^38 in
 * all (arch/riscv/include/asm/processor.h, DEFAULT_MAP_WINDOW; qemu-user
 * models none of this and maps the stack at 0x4000800000). A mapping of this
 * size or more can never be made: weft refuses it with -ENOMEM before asking;
 * smaller impossible ones get the kernel's ENOMEM.
 */
#define WEFT_ARCH_USER_ADDR_LIMIT (1UL << 47)

#endif
