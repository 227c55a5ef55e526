// SPDX-License-Identifier: MIT
/* The floors under spawn+join and park/unpark: raw clone on a reused stack, raw futex ping-pong. */
#include <stdatomic.h>
#include <stdbool.h>

#include <linux/futex.h>
#include <linux/sched.h>

#include "bench.h"
#include "lib/tcb.h"

/*
 * What weft_spawn() + weft_join() cannot go below: the same clone(2), with the same flags
 * (lib/thread.c), of a thread that does nothing, on one stack reused every time; then a
 * shared FUTEX_WAIT on the clear-tid word until the kernel zeroes it. No allocation, no
 * mapping, no thread-local image copied, no sigaltstack, no name, no destructors: the
 * difference between this and spawn_join.weft is what weft's own bookkeeping costs.
 * Two more floors below add, one at a time, the sigaltstack calls that stack-overflow
 * detection needs, and one more measures a single system call, the unit of the rest.
 */
#define RAW_CLONE_FLAGS                                                                  \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | \
	 CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

/* arch/x86_64/clone.S; lib/thread.c declares it the same way. */
long weft_arch_clone(unsigned long flags, void *stack, _Atomic uint32_t *parent_tid,
		     _Atomic uint32_t *child_tid, void *tls, int (*fn)(void *), void *arg);

#define RAW_STACK_SIZE (64 * 1024)

static char raw_stack[RAW_STACK_SIZE] __attribute__((aligned(16)));

/*
 * CLONE_SETTLS needs a thread pointer, and the least it may point at is a control block
 * whose first word is itself (compilers read %fs:0 to address a thread-local) and whose
 * canary is the process's (a stack-protected function compares against %fs:0x28). The
 * empty thread below touches neither, but the flags must be the same as weft's.
 */
static struct weft_tcb raw_tcb;

/* Written by the kernel: the tid at clone (PARENT_SETTID), 0 at exit (CHILD_CLEARTID). */
static _Atomic uint32_t raw_tid_word;

static int empty_thread(void *unused)
{
	return 0;
}

/*
 * The least a thread that can report its own stack overflow must do: install an
 * alternate signal stack (issue 5 gives every thread one). clone() with CLONE_VM
 * starts the child with none (sas_ss_reset() in copy_process(), kernel/fork.c), and no
 * clone flag or clone3 field passes one on, so this one system call is part of the
 * floor of any runtime with overflow detection: Rust's std makes it too.
 */
static char raw_altstack[32 * 1024] __attribute__((aligned(16)));

static int altstack_thread(void *unused)
{
	const struct kernel_stack on = { .sp = raw_altstack, .size = sizeof(raw_altstack) };

	sys_sigaltstack(&on, NULL);
	return 0;
}

/*
 * Issue 5 also has the altstack disabled at thread exit, before its memory can be
 * reused, as lib/stack-guard.c does: the floor of weft's own contract.
 */
static int altstack_on_off_thread(void *unused)
{
	const struct kernel_stack on = { .sp = raw_altstack, .size = sizeof(raw_altstack) };
	const struct kernel_stack off = { .flags = SS_DISABLE };

	sys_sigaltstack(&on, NULL);
	sys_sigaltstack(&off, NULL);
	return 0;
}

static void raw_spawn_join(int (*child)(void *), long threads)
{
	for (long i = 0; i < threads; i++) {
		long tid = weft_arch_clone(RAW_CLONE_FLAGS, raw_stack + RAW_STACK_SIZE,
					   &raw_tid_word, &raw_tid_word, &raw_tcb, child, NULL);
		uint32_t seen;

		if (tid < 0)
			bench_die("clone", tid);
		/* Shared, not private: the kernel's exit wake uses a shared key (abi-notes.rst §4). */
		while ((seen = atomic_load_explicit(&raw_tid_word, memory_order_acquire)) != 0)
			sys_futex((uint32_t *)&raw_tid_word, FUTEX_WAIT, seen, NULL, NULL, 0);
	}
}

static void raw_spawn_join_batch(long threads)
{
	raw_spawn_join(empty_thread, threads);
}

static void raw_spawn_join_altstack_batch(long threads)
{
	raw_spawn_join(altstack_thread, threads);
}

static void raw_spawn_join_altstack_on_off_batch(long threads)
{
	raw_spawn_join(altstack_on_off_thread, threads);
}

/*
 * What one system call costs on this machine, to read the rows above by: the
 * cheapest there is, getppid(2), with the `syscall` instruction inline in the loop.
 * Page-table isolation and the hypervisor make it 116 ns on one machine and about
 * 1,000 ns on another; a runtime that makes one more call per operation than a floor
 * is that much above it, whatever it does in user space.
 */
static void raw_syscall_batch(long calls)
{
	for (long i = 0; i < calls; i++)
		sys_getpid();
}

/*
 * The floor under park/unpark: one futex word per side, owned by the side that waits on
 * it. The owner marks its word SLEEPING before FUTEX_WAIT so that the other side issues
 * FUTEX_WAKE only when someone sleeps: an unconditional wake costs one system call too
 * many per round trip whenever the woken side answers before the waker has gone to
 * sleep, which on one CPU is every time. That is all a futex hand-off needs; weft's
 * Parker adds the function calls, the token and the "whose turn" check of the caller.
 */
enum { IDLE, POSTED, SLEEPING };

static _Atomic uint32_t main_word, partner_word;
static atomic_bool stopping;

static void raw_post(_Atomic uint32_t *word)
{
	if (atomic_exchange_explicit(word, POSTED, memory_order_release) == SLEEPING)
		sys_futex((uint32_t *)word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
}

static void raw_wait(_Atomic uint32_t *word)
{
	uint32_t seen;

	while ((seen = atomic_load_explicit(word, memory_order_acquire)) != POSTED) {
		/* IDLE -> SLEEPING; a post that lands first makes the exchange fail. */
		if (seen == SLEEPING ||
		    atomic_compare_exchange_strong_explicit(word, &seen, SLEEPING,
							    memory_order_acquire,
							    memory_order_acquire))
			sys_futex((uint32_t *)word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, SLEEPING,
				  NULL, NULL, 0);
	}
	/* Only the other side posts again, and only after we answer: no post is lost. */
	atomic_store_explicit(word, IDLE, memory_order_relaxed);
}

static void *raw_partner(void *unused)
{
	for (;;) {
		raw_wait(&partner_word);
		if (atomic_load_explicit(&stopping, memory_order_relaxed))
			return NULL;
		raw_post(&main_word);
	}
}

/* One round trip: main wakes the partner, the partner wakes main. */
static void raw_round_trip_batch(long round_trips)
{
	for (long i = 0; i < round_trips; i++) {
		raw_post(&partner_word);
		raw_wait(&main_word);
	}
}

int main(void)
{
	struct weft_join_handle partner;
	double ns;
	int error;

	raw_tcb.self = &raw_tcb;
	raw_tcb.canary = weft_tcb()->canary;
	bench_result_variant("spawn_join", "raw_floor",
			     bench_median_ns_per_op(raw_spawn_join_batch, bench_scaled(2000)),
			     "ns");
	bench_result_variant("spawn_join", "raw_floor_altstack",
			     bench_median_ns_per_op(raw_spawn_join_altstack_batch,
						    bench_scaled(2000)),
			     "ns");
	bench_result_variant("spawn_join", "raw_floor_altstack_on_off",
			     bench_median_ns_per_op(raw_spawn_join_altstack_on_off_batch,
						    bench_scaled(2000)),
			     "ns");
	bench_result_variant("syscall", "raw_getpid",
			     bench_median_ns_per_op(raw_syscall_batch, bench_scaled(100000)),
			     "ns");

	error = weft_spawn(&partner, raw_partner, NULL);
	if (error)
		bench_die("weft_spawn", error);
	ns = bench_median_ns_per_op(raw_round_trip_batch, bench_scaled(5000));
	atomic_store_explicit(&stopping, true, memory_order_relaxed);
	raw_post(&partner_word);
	error = weft_join(&partner, NULL);
	if (error)
		bench_die("weft_join", error);
	bench_result_variant("pingpong", "raw_futex", ns, "ns");
	return 0;
}
