/* SPDX-License-Identifier: MIT */
/* The x86_64 user address space, as far as a sanity bound on mapping sizes needs it. */
#ifndef WEFT_ARCH_MM_H
#define WEFT_ARCH_MM_H

/*
 * With 4-level page tables user space ends at 2^47 (TASK_SIZE_MAX in
 * arch/x86/include/asm/page_64_types.h); 5-level paging hands out addresses
 * above it only to an mmap that asks with a hint (Documentation/arch/x86/
 * x86_64/5level-paging.rst in the kernel). A mapping of this size or more can
 * never be made: weft refuses it with -ENOMEM before asking.
 */
#define WEFT_ARCH_USER_ADDR_LIMIT (1UL << 47)

#endif
