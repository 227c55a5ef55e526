// SPDX-License-Identifier: MIT
/* The floor under a green-thread switch: two contexts swapping registers and nothing else. */
#include "bench.h"

/*
 * floor_switch(save_sp, next_sp) is arch/x86_64/green.S's weft_arch_green_switch,
 * instruction for instruction, copied here so that this program measures only the
 * register swap: no run queue, no TCB fields, no library call in between. It is the
 * least a switch between two stacks can do under the psABI (six callee-saved registers
 * and the stack pointer), so green_switch.weft is compared with it.
 *
 * floor_switch_ret() is the same switch ending in `ret` instead of `pop; jmp`, to show
 * what Documentation/abi-notes.rst §13 reports: the `ret` is predicted from the
 * return-stack buffer, which holds this context's call site, never the other one's, so it
 * mispredicts every time.
 */
__asm__(".text\n"
	".type floor_switch, @function\n"
	"floor_switch:\n"
	"	push %rbp\n"
	"	push %rbx\n"
	"	push %r12\n"
	"	push %r13\n"
	"	push %r14\n"
	"	push %r15\n"
	"	mov %rsp, (%rdi)\n"
	"	mov %rsi, %rsp\n"
	"	pop %r15\n"
	"	pop %r14\n"
	"	pop %r13\n"
	"	pop %r12\n"
	"	pop %rbx\n"
	"	pop %rbp\n"
	"	pop %rcx\n"
	"	jmp *%rcx\n"
	".size floor_switch, . - floor_switch\n"
	".type floor_switch_ret, @function\n"
	"floor_switch_ret:\n"
	"	push %rbp\n"
	"	push %rbx\n"
	"	push %r12\n"
	"	push %r13\n"
	"	push %r14\n"
	"	push %r15\n"
	"	mov %rsp, (%rdi)\n"
	"	mov %rsi, %rsp\n"
	"	pop %r15\n"
	"	pop %r14\n"
	"	pop %r13\n"
	"	pop %r12\n"
	"	pop %rbx\n"
	"	pop %rbp\n"
	"	ret\n"
	".size floor_switch_ret, . - floor_switch_ret\n");

void floor_switch(void **save_sp, void *next_sp);
void floor_switch_ret(void **save_sp, void *next_sp);

static void (*volatile switch_fn)(void **, void *);
static void *main_sp, *partner_sp;
static char partner_stack[16 * 1024] __attribute__((aligned(16)));

/* The partner: switch straight back, forever. Entered by the first switch's final jump. */
static __attribute__((noreturn)) void partner(void)
{
	void (*sw)(void **, void *) = switch_fn;

	for (;;)
		sw(&partner_sp, main_sp);
}

/*
 * The partner's first frame, as the switch pops it: six zero registers and the
 * address to continue at. %rsp is then stack top - 8, as right after a call.
 */
static void prepare_partner(void)
{
	uintptr_t *sp = (uintptr_t *)(partner_stack + sizeof(partner_stack)) - 1;

	*--sp = (uintptr_t)partner;	/* popped last: the "return address" */
	for (int i = 0; i < 6; i++)
		*--sp = 0;		/* rbp, rbx, r12-r15 */
	partner_sp = sp;
}

/* Each round trip is two switches: into the partner and back. */
static void round_trip_batch(long round_trips)
{
	void (*sw)(void **, void *) = switch_fn;

	for (long i = 0; i < round_trips; i++)
		sw(&main_sp, partner_sp);
}

static double measure(void (*sw)(void **, void *))
{
	switch_fn = sw;
	prepare_partner();
	return bench_median_ns_per_op(round_trip_batch, bench_scaled(5000000)) / 2;
}

int main(void)
{
	bench_result("switch_floor", measure(floor_switch), "ns");
	bench_result("switch_floor_ret", measure(floor_switch_ret), "ns");
	return 0;
}
