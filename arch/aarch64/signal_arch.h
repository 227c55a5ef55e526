/* SPDX-License-Identifier: MIT */
/* How the arm64 kernel enters and leaves a signal handler, as far as lib/signal.c cares. */
#ifndef WEFT_ARCH_SIGNAL_H
#define WEFT_ARCH_SIGNAL_H

/*
 * A restorer is optional here: without SA_RESTORER the kernel returns through
 * the vDSO's sigtramp (setup_return() in arch/arm64/kernel/signal.c). weft
 * keeps its own, as musl does, so handlers return the same way with or
 * without a vDSO (qemu-user 7.2 has none). arch/aarch64/restore.S.
 */
#define WEFT_ARCH_SA_RESTORER 1
void weft_arch_sigreturn(void);

/* Handlers are entered with sp 16-byte aligned, natively and under qemu: nothing to fix. */
#define WEFT_ARCH_HANDLER_ENTRY

#endif
