/* SPDX-License-Identifier: MIT */
/* How the x86_64 kernel enters and leaves a signal handler, as far as lib/signal.c cares. */
#ifndef WEFT_ARCH_SIGNAL_H
#define WEFT_ARCH_SIGNAL_H

/*
 * A restorer is mandatory: the kernel pushes sa_restorer as the handler's
 * return address and refuses a handler without SA_RESTORER, since 64-bit
 * tasks have no vDSO trampoline (setup_rt_frame() in
 * arch/x86/kernel/signal_64.c). arch/x86_64/restore.S.
 */
#define WEFT_ARCH_SA_RESTORER 1
void weft_arch_sigreturn(void);

/*
 * The psABI enters a function with %rsp = 16n + 8, and Linux enters handlers
 * that way (get_sigframe() in arch/x86/kernel/signal.c), but qemu-user 7.2
 * enters them with %rsp = 16n (tests/test-signal.c measures it). gcc then
 * uses movaps on stack slots it believes aligned, and a handler faults under
 * qemu only. force_align_arg_pointer makes the dispatcher realign first.
 */
#define WEFT_ARCH_HANDLER_ENTRY __attribute__((force_align_arg_pointer))

#endif
