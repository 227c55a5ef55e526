/* SPDX-License-Identifier: MIT */
/* The arm64 user address space, as far as a sanity bound on mapping sizes needs it. */
#ifndef WEFT_ARCH_MM_H
#define WEFT_ARCH_MM_H

/*
 * arm64 kernels give user space 48 bits of virtual address (CONFIG_ARM64_VA_BITS
 * 48, DEFAULT_MAP_WINDOW in arch/arm64/include/asm/processor.h); 52-bit kernels
 * go above it only for an mmap that asks with a hint. 39-bit kernels have less,
 * which the kernel's own ENOMEM reports. A mapping of this size or more can
 * never be made: weft refuses it with -ENOMEM before asking.
 */
#define WEFT_ARCH_USER_ADDR_LIMIT (1UL << 48)

#endif
