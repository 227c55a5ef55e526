/* SPDX-License-Identifier: MIT */
/* How the riscv64 kernel enters and leaves a signal handler, as far as lib/signal.c cares. */
#ifndef WEFT_ARCH_SIGNAL_H
#define WEFT_ARCH_SIGNAL_H

/*
 * No restorer: riscv has no SA_RESTORER and the kernel always returns through
 * the vDSO's rt_sigreturn (setup_rt_frame() in arch/riscv/kernel/signal.c);
 * qemu-user maps a sigtramp page of its own. The struct the kernel reads has
 * no restorer slot either (kernel-abi/signal_abi.h).
 */

/* Handlers are entered with sp 16-byte aligned, natively and under qemu: nothing to fix. */
#define WEFT_ARCH_HANDLER_ENTRY

#endif
