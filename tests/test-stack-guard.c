// SPDX-License-Identifier: MIT
/* Stack-overflow detection: the report and SIGABRT for overflows, every other fault untouched. */
#include <linux/errno.h>
#include <linux/mman.h>
#include <linux/resource.h>

#include "weft/fault.h"
#include "weft/green.h"
#include "weft/panic.h"
#include "weft/signal.h"
#include "weft/thread.h"

#include "harness.h"
#include "kernel-abi/sys.h"
#include "lib/internal.h"
#include "lib/thread.h"
#include "signal_arch.h"

#define OVERFLOW_TAIL "fatal runtime error: stack overflow, aborting\n"

/*
 * Infinite recursion that the compiler can neither turn into a loop (the
 * call is not in tail position: the frame is read after it returns) nor
 * inline away (noinline), with 512 bytes of stack per frame that really are
 * written (volatile). The `depth < 0` branch never runs; it only stops gcc
 * from refusing to compile an obviously infinite recursion.
 */
static __attribute__((noinline)) long recurse(long depth)
{
	volatile char frame[512];

	frame[0] = (char)depth;
	frame[sizeof(frame) - 1] = (char)depth;
	if (depth < 0)
		return 0;
	return recurse(depth + 1) + frame[0] + frame[sizeof(frame) - 1];
}

static void *recurse_forever(void *arg)
{
	return (void *)recurse(0);
}

static void overflow_in_thread(void *arg)
{
	const struct weft_builder *b = arg;
	struct weft_join_handle h;

	if (weft_builder_spawn(b, &h, recurse_forever, NULL) == 0)
		weft_join(&h, NULL);
	weft_dprintf(2, "joined: the overflow was not caught\n");
}

/* Run @fn(@arg) in a child, expect SIGABRT and the two lines for thread @name. */
static void expect_overflow_report(struct __test_metadata *_metadata, void (*fn)(void *),
				   void *arg, const char *name)
{
	char err[1024], want[128];
	int status = test_run_child(fn, arg, err, sizeof(err));

	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGABRT);
	/* Exactly these lines; qemu-user adds its own "uncaught target signal" line after. */
	weft_snprintf(want, sizeof(want), "\nthread '%s' has overflowed its stack\n" OVERFLOW_TAIL,
		      name);
	ASSERT_EQ(weft_strncmp(err, want, weft_strlen(want)), 0);
	if (!test_under_qemu())
		ASSERT_STREQ(err, want);
}

TEST(overflow_in_an_unnamed_thread_reports_unknown_as_rust_does)
{
	expect_overflow_report(_metadata, overflow_in_thread, NULL, "<unknown>");
}

TEST(overflow_in_a_named_thread_names_it)
{
	struct weft_builder b = { .name = "deep-diver" };

	expect_overflow_report(_metadata, overflow_in_thread, &b, "deep-diver");
}

TEST(overflow_of_a_small_stack_is_caught_too)
{
	struct weft_builder b = { .name = "tiny", .stack_size = WEFT_STACK_MIN };

	expect_overflow_report(_metadata, overflow_in_thread, &b, "tiny");
}

static void overflow_in_main(void *arg)
{
	recurse(0);
}

TEST_TIMEOUT(overflow_in_main_aborts_with_the_report, 60)
{
	/* The kernel's own guard (natively) or qemu's guard page below [stack]. */
	expect_overflow_report(_metadata, overflow_in_main, NULL, "main");
}

static void *return_null(void *arg)
{
	return NULL;
}

static void overflow_in_a_cached_stack(void *arg)
{
	struct weft_join_handle h;

	/* The second thread gets the first one's mapping from the stack cache. */
	weft_spawn(&h, return_null, NULL);
	weft_join(&h, NULL);
	overflow_in_thread(NULL);
}

TEST(overflow_on_a_reused_stack_is_still_reported)
{
	expect_overflow_report(_metadata, overflow_in_a_cached_stack, NULL, "<unknown>");
}

/* ---- frames bigger than the guard (stack clash) --------------------------- */

/*
 * Recursion whose every frame is @bytes big, written from its lowest address
 * up, as a memset() of a local array would be. The array escapes (the empty
 * asm), so no compiler can shrink it to the two bytes it reads back: clang 14
 * did that to a volatile array, which made these tests pass without one big
 * frame. Built without stack probes, the first write of a frame lands @bytes
 * below the previous one, past a one-page guard and into whatever is mapped
 * below (the altstack, another thread's stack). With them, the prologue
 * touches each page on the way down and the first touch below the stack is
 * the guard.
 */
#define BIG_FRAMES(fn, bytes)                                                       \
	static __attribute__((noinline)) long fn(long depth)                       \
	{                                                                           \
		char frame[bytes];                                                  \
									    \
		__asm__ volatile("" : : "r"(frame) : "memory");                     \
		for (size_t i = 0; i < sizeof(frame); i += 256)                     \
			((volatile char *)frame)[i] = (char)depth;                  \
		frame[sizeof(frame) - 1] = (char)depth;                             \
		__asm__ volatile("" : : "r"(frame) : "memory");                     \
		if (depth < 0)                                                      \
			return 0;                                                   \
		return fn(depth + 1) + frame[0] + frame[sizeof(frame) - 1];         \
	}
BIG_FRAMES(frames_of_64k, 64 << 10)
BIG_FRAMES(frames_of_1m, 1 << 20)

static long (*const big_frames[])(long) = { frames_of_64k, frames_of_1m };

/* Which frames (an index into big_frames[]), under how big a guard (0: the default page). */
struct big_frames_case {
	long which;
	size_t guard_size;
	uintptr_t keep[2][2];	/* the spawning thread's stack (guard included), TLS and TCB */
	uint32_t spawner;	/* a spawning OS thread's state: SPAWNING, ASLEEP, WOKEN */
};

enum { SPAWNING, ASLEEP, WOKEN };

/*
 * Whatever else is mapped in the 1.25 MiB under the guard (weft's heap, another
 * thread's stack, or nothing) is made read-only first, page by page (a page
 * with nothing mapped stays so): a frame that stepped over the guard would
 * then fault there, outside the guard (a plain SIGSEGV, no report), instead of
 * writing into it, and the test would fail. Natively an unprobed 64 KiB frame's
 * first write lands in the heap chunk right under a fresh thread's guard; under
 * qemu-user, which maps bottom-up, main's altstack, heap and stack are under it.
 * Kept writable: the spawning thread's stack, TLS and TCB, and this OS thread's
 * altstack (the report is written there). A spawning OS thread first goes to
 * sleep on a futex, where it touches no memory at all (big_frames_in_thread()).
 */
#define BELOW_THE_GUARD ((1UL << 20) + (256UL << 10))

static bool overlaps(uintptr_t p, size_t len, const uintptr_t range[2])
{
	return p + len > range[0] && p < range[1];
}

static void freeze_below(const struct big_frames_case *c, uintptr_t guard_lo)
{
	size_t page = weft_startup_info()->page_size;
	uintptr_t alt = (uintptr_t)weft_tcb()->altstack, alt_len = weft_tcb()->altstack_len;

	if (guard_lo < BELOW_THE_GUARD)
		return;
	for (uintptr_t p = guard_lo - page; p >= guard_lo - BELOW_THE_GUARD; p -= page)
		if (!overlaps(p, page, c->keep[0]) && !overlaps(p, page, c->keep[1]) &&
		    !overlaps(p, page, (uintptr_t[2]){ alt - page, alt + alt_len }))
			sys_mprotect((void *)p, page, PROT_READ);
}

static void *big_frames_forever(void *arg)
{
	struct big_frames_case *c = arg;
	struct weft_stack_info si;
	long depth;

	weft_stack_info(&si);
	if (!weft_tcb()->green_current)
		while (__atomic_load_n(&c->spawner, __ATOMIC_ACQUIRE) == SPAWNING)
			sys_sched_yield();
	freeze_below(c, (uintptr_t)si.guard_lo);
	depth = big_frames[c->which](0);
	/* Not reported (the test fails): let the spawner join. */
	__atomic_store_n(&c->spawner, WOKEN, __ATOMIC_RELEASE);
	sys_futex(&c->spawner, FUTEX_WAKE, 1, NULL, NULL, 0);
	return (void *)depth;
}

/* Records the spawning thread's stack, TLS and TCB in @c, to keep them writable. */
static void keep_my_stack(struct big_frames_case *c)
{
	struct weft_stack_info si;
	uintptr_t tls, tp;

	weft_stack_info(&si);
	tls = (uintptr_t)si.tls_block, tp = (uintptr_t)si.tp;
	c->keep[0][0] = (uintptr_t)si.guard_lo;
	c->keep[0][1] = (uintptr_t)si.stack_hi;
	c->keep[1][0] = (tls < tp ? tls : tp) - sizeof(struct weft_tcb);
	c->keep[1][1] = (tls > tp ? tls : tp) + sizeof(struct weft_tcb) + weft_tls_area_size();
}

static void big_frames_in_thread(void *arg)
{
	struct big_frames_case *c = arg;
	struct weft_builder b = { .name = "big", .guard_size = c->guard_size };
	struct weft_join_handle h;

	keep_my_stack(c);
	if (weft_builder_spawn(&b, &h, big_frames_forever, arg) == 0) {
		/* Asleep before the thread freezes what may be this thread's heap. */
		__atomic_store_n(&c->spawner, ASLEEP, __ATOMIC_RELEASE);
		while (__atomic_load_n(&c->spawner, __ATOMIC_ACQUIRE) == ASLEEP)
			sys_futex(&c->spawner, FUTEX_WAIT, ASLEEP, NULL, NULL, 0);
		weft_join(&h, NULL);
	}
	weft_dprintf(2, "joined: the overflow was not caught\n");
}

/* Main's guard is the kernel's gap below [stack] (see the main-thread tests above). */
static void big_frames_in_main(void *arg)
{
	const struct big_frames_case *c = arg;

	big_frames[c->which](0);
}

static void big_frames_in_green(void *arg)
{
	struct big_frames_case *c = arg;
	struct weft_builder b = { .name = "big", .guard_size = c->guard_size };
	struct weft_green_handle h;

	keep_my_stack(c);
	if (weft_green_spawn(&h, big_frames_forever, arg, &b) == 0)
		weft_green_join(&h, NULL);
	weft_dprintf(2, "joined: the overflow was not caught\n");
}

static void expect_green_overflow_report(struct __test_metadata *_metadata, void *arg)
{
	char err[1024];
	int status = test_run_child(big_frames_in_green, arg, err, sizeof(err));

	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGABRT);
	ASSERT_NE_NULL(weft_strstr(err, "\ngreen thread 'big' has overflowed its stack\n"
					OVERFLOW_TAIL));
}

/*
 * Whether this build's compiler probes big frames (the Makefile's STACK_PROBES,
 * Documentation/stack-guard.rst): clang 14 does not for aarch64 and riscv64, and
 * there a frame bigger than the guard can step over it; only a guard at least
 * as big as the frame (the test after these) keeps the promise.
 */
#ifdef TEST_NO_STACK_PROBES
#define SKIP_WITHOUT_PROBES()                                                       \
	SKIP("this compiler emits no stack probes for this architecture (clang 14 on " \
	     "aarch64 and riscv64): a frame bigger than the guard steps over it; "    \
	     "build with gcc (Documentation/stack-guard.rst)")
#else
#define SKIP_WITHOUT_PROBES() do { } while (0)
#endif

TEST(a_64k_or_1m_frame_in_a_spawned_thread_is_reported)
{
	SKIP_WITHOUT_PROBES();
	for (long i = 0; i < (long)ARRAY_SIZE(big_frames); i++)
		expect_overflow_report(_metadata, big_frames_in_thread,
				       &(struct big_frames_case){ .which = i }, "big");
}

TEST_TIMEOUT(a_64k_or_1m_frame_in_main_is_reported, 60)
{
	for (long i = 0; i < (long)ARRAY_SIZE(big_frames); i++)
		expect_overflow_report(_metadata, big_frames_in_main,
				       &(struct big_frames_case){ .which = i }, "main");
}

TEST(a_64k_or_1m_frame_in_a_green_thread_is_reported)
{
	SKIP_WITHOUT_PROBES();
	for (long i = 0; i < (long)ARRAY_SIZE(big_frames); i++)
		expect_green_overflow_report(_metadata, &(struct big_frames_case){ .which = i });
}

/* A guard bigger than the frame catches it with or without probes: the first write lands in it. */
TEST(a_64k_frame_under_a_256k_guard_is_reported_even_without_probes)
{
	struct big_frames_case c = { .which = 0, .guard_size = 256 << 10 };

	expect_overflow_report(_metadata, big_frames_in_thread, &c, "big");
	expect_green_overflow_report(_metadata, &c);
}

static void *stack_info_of(void *arg)
{
	weft_stack_info(arg);
	return NULL;
}

TEST(the_guard_size_is_rounded_up_to_whole_pages)
{
	size_t page = weft_startup_info()->page_size;
	const size_t asked[][2] = { { 0, page }, { 1, page }, { page, page },
				    { 3 * page + 1, 4 * page }, { 1 << 20, 1 << 20 } };

	for (size_t i = 0; i < ARRAY_SIZE(asked); i++) {
		struct weft_builder b = { .guard_size = asked[i][0] };
		struct weft_join_handle h;
		struct weft_green_handle gh;
		struct weft_stack_info si, gsi;

		ASSERT_EQ(weft_builder_spawn(&b, &h, stack_info_of, &si), 0);
		ASSERT_EQ(weft_join(&h, NULL), 0);
		ASSERT_EQ((uintptr_t)si.guard_hi - (uintptr_t)si.guard_lo, asked[i][1]);
		ASSERT_EQ(si.guard_hi, si.stack_lo);
		ASSERT_EQ(weft_green_spawn(&gh, stack_info_of, &gsi, &b), 0);
		ASSERT_EQ(weft_green_join(&gh, NULL), 0);
		ASSERT_EQ((uintptr_t)gsi.guard_hi - (uintptr_t)gsi.guard_lo, asked[i][1]);
	}
}

TEST(a_guard_size_whose_rounding_overflows_is_einval)
{
	struct weft_builder b = { .guard_size = SIZE_MAX };
	struct weft_join_handle h;
	struct weft_green_handle gh;

	ASSERT_EQ(weft_builder_spawn(&b, &h, stack_info_of, NULL), -EINVAL);
	ASSERT_NULL(h.native);
	ASSERT_EQ(weft_green_spawn(&gh, stack_info_of, NULL, &b), -EINVAL);
}

static void *touch_guard_bottom(void *arg)
{
	struct weft_stack_info si;

	weft_stack_info(&si);
	return (void *)(long)*(volatile char *)si.guard_lo;
}

static void touch_bottom_of_a_big_guard(void *arg)
{
	struct weft_builder b = { .name = "wide", .guard_size = 256 << 10 };
	struct weft_join_handle h;

	if (weft_builder_spawn(&b, &h, touch_guard_bottom, NULL) == 0)
		weft_join(&h, NULL);
}

TEST(a_fault_anywhere_in_a_big_guard_is_reported)
{
	expect_overflow_report(_metadata, touch_bottom_of_a_big_guard, NULL, "wide");
}

/* ---- faults that are not overflows keep their signal ------------------------ */

/* Faults on purpose: a UBSan build (make check's) must let it, not trap first. */
static __attribute__((no_sanitize("undefined"))) void *null_deref(void *arg)
{
	return (void *)(long)*(volatile int *)arg;
}

static void null_deref_in_thread(void *arg)
{
	struct weft_join_handle h;

	if (weft_spawn(&h, null_deref, NULL) == 0)
		weft_join(&h, NULL);
}

static void null_deref_in_main(void *arg)
{
	null_deref(NULL);
}

static void expect_plain_signal(struct __test_metadata *_metadata, void (*fn)(void *), void *arg,
				int sig)
{
	char err[1024];
	int status = test_run_child(fn, arg, err, sizeof(err));

	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), sig);
	ASSERT_NULL(weft_strstr(err, "overflowed"));
}

TEST(a_null_dereference_still_dies_by_sigsegv)
{
	expect_plain_signal(_metadata, null_deref_in_thread, NULL, SIGSEGV);
	expect_plain_signal(_metadata, null_deref_in_main, NULL, SIGSEGV);
}

static void *touch_below_altstack(void *arg)
{
	/* The page under main's altstack is a guard too, but not the *stack's* guard. */
	return (void *)(long)*((volatile char *)weft_tcb()->altstack - 1);
}

static void touch_below_altstack_in_main(void *arg)
{
	touch_below_altstack(NULL);
}

TEST(the_main_altstack_guard_page_faults_as_a_plain_sigsegv)
{
	expect_plain_signal(_metadata, touch_below_altstack_in_main, NULL, SIGSEGV);
}

static void *where_is_my_altstack(void *arg)
{
	struct weft_stack_info si;
	uintptr_t *r = arg;

	weft_stack_info(&si);
	r[0] = (uintptr_t)weft_tcb()->altstack;
	r[1] = weft_tcb()->altstack_len;
	r[2] = (uintptr_t)si.tp;
	r[3] = (uintptr_t)si.stack_hi;
	return NULL;
}

TEST(a_thread_altstack_is_the_top_of_its_mapping_above_the_tls_area)
{
	struct weft_join_handle h;
	struct weft_native *n;
	uintptr_t r[4], end;

	ASSERT_EQ(weft_spawn(&h, where_is_my_altstack, r), 0);
	n = h.native;
	end = (uintptr_t)weft_native_run(n)->map + weft_native_run(n)->map_len;
	ASSERT_EQ(weft_join(&h, NULL), 0);
	ASSERT_EQ(r[0] + r[1], end);
	ASSERT_EQ(r[1], weft_altstack_size());
	/*
	 * The TLS area (whichever TLS variant: tp at its top or inside it) lies
	 * between the stack's top and the altstack.
	 */
	ASSERT_LE(r[3] + weft_tls_area_size(), r[0]);
	ASSERT_LT(r[3], r[2]);
	ASSERT_LE(r[2], r[0]);
	ASSERT_GE(r[1], (weft_startup_info()->minsigstksz > MINSIGSTKSZ
				 ? weft_startup_info()->minsigstksz : MINSIGSTKSZ) + 16384);
}

/*
 * The altstack has no guard page of its own: instead the handler checks on entry that
 * the kernel's frame left it room. Squeeze the room by installing a smaller altstack
 * (its top part), then overflow: the handler must refuse, not write below it.
 */
static volatile uintptr_t handler_sp;

static void note_handler_sp(int sig, void *info, void *uc)
{
	handler_sp = (uintptr_t)__builtin_frame_address(0);
}

static void *overflow_with_little_room(void *arg)
{
	struct weft_tcb *tcb = weft_tcb();
	uintptr_t top = (uintptr_t)tcb->altstack + tcb->altstack_len;
	size_t len;
	struct kernel_stack ss;

	/* How much the kernel's frame (and the dispatcher) really take, on this machine. */
	weft_signal(SIGUSR1, note_handler_sp, SA_ONSTACK, NULL);
	sys_tgkill((int)sys_getpid(), tcb->tid, SIGUSR1);
	len = ROUND_UP(top - handler_sp + 1024, 16);	/* ~1 KiB left: under HANDLER_ROOM */
	if (len < MINSIGSTKSZ)
		len = MINSIGSTKSZ;
	ss = (struct kernel_stack){ .sp = (void *)(top - len), .size = len };

	if (sys_sigaltstack(&ss, NULL))
		return NULL;
	tcb->altstack = ss.sp;
	tcb->altstack_len = len;
	return recurse_forever(NULL);
}

static void little_room_in_thread(void *arg)
{
	struct weft_join_handle h;

	if (weft_spawn(&h, overflow_with_little_room, NULL) == 0)
		weft_join(&h, NULL);
}

TEST(a_handler_without_room_on_the_altstack_aborts_with_a_message)
{
	char err[512];
	int status = test_run_child(little_room_in_thread, NULL, err, sizeof(err));

	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGABRT);
	ASSERT_NE_NULL(weft_strstr(err, "no room left on the alternate signal stack"));
}

static void kill_myself(void *arg)
{
	int sig = (int)(long)arg;

	/* si_code SI_USER: nothing faulted, so returning would not repeat it. */
	sys_kill((int)sys_getpid(), sig);
	weft_dprintf(2, "survived\n");
}

TEST(sigsegv_and_sigbus_sent_by_kill_are_re_raised)
{
	expect_plain_signal(_metadata, kill_myself, (void *)(long)SIGSEGV, SIGSEGV);
	expect_plain_signal(_metadata, kill_myself, (void *)(long)SIGBUS, SIGBUS);
}

static __attribute__((noreturn)) void *tgkill_main(void *arg)
{
	sys_tgkill((int)sys_getpid(), (int)(long)arg, SIGSEGV);
	for (;;)
		weft_park();
}

static void sigsegv_from_another_thread(void *arg)
{
	struct weft_join_handle h;

	if (weft_spawn(&h, tgkill_main, (void *)sys_gettid()) == 0)
		weft_join(&h, NULL);
}

TEST(sigsegv_sent_by_another_thread_is_re_raised)
{
	expect_plain_signal(_metadata, sigsegv_from_another_thread, NULL, SIGSEGV);
}

/* ---- the program's own handler wins ---------------------------------------- */

static void my_handler(int sig, void *info, void *uc)
{
	struct weft_tcb *tcb = weft_tcb();
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	uintptr_t alt = (uintptr_t)tcb->altstack;

	weft_dprintf(2, "my handler: signal %d\n", sig);
	/* 42: it ran on this thread's altstack, as SA_ONSTACK asks. */
	sys_exit_group(here >= alt && here < alt + tcb->altstack_len ? 42 : 43);
}

static void own_handler(void *arg)
{
	struct weft_join_handle h;

	weft_signal(SIGSEGV, my_handler, SA_ONSTACK, NULL);
	if (arg) {
		recurse(0);	/* overflow in main: the program's handler, on its altstack */
		return;
	}
	if (weft_spawn(&h, null_deref, NULL) == 0)
		weft_join(&h, NULL);
}

TEST(a_program_that_installs_its_own_sigsegv_handler_keeps_it)
{
	char err[256];
	int status;

	status = test_run_child(own_handler, NULL, err, sizeof(err));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 42);
	ASSERT_STREQ(err, "my handler: signal 11\n");

	status = test_run_child(own_handler, (void *)1, err, sizeof(err));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 42);
	ASSERT_STREQ(err, "my handler: signal 11\n");
}

/* The restorer is the arch's (arch/<arch>/signal_arch.h); riscv64 has none. */
TEST(weft_installed_its_handler_with_sa_onstack_and_the_arch_restorer)
{
	static const int sigs[] = { SIGSEGV, SIGBUS };
	struct kernel_sigaction act = { 0 };

	for (unsigned int i = 0; i < ARRAY_SIZE(sigs); i++) {
		ASSERT_EQ(sys_rt_sigaction(sigs[i], NULL, &act), 0);
		ASSERT_NE(act.handler, NULL);
#ifdef WEFT_ARCH_SA_RESTORER
		ASSERT_EQ(act.flags & (SA_SIGINFO | SA_ONSTACK | SA_RESTORER),
			  SA_SIGINFO | SA_ONSTACK | SA_RESTORER);
		ASSERT_EQ((void *)act.restorer, (void *)weft_arch_sigreturn);
#else
		ASSERT_EQ(act.flags & (SA_SIGINFO | SA_ONSTACK), SA_SIGINFO | SA_ONSTACK);
		ASSERT_EQ(act.mask, act.mask_qemu);
#endif
	}
}

/* ---- every thread's alternate stack ---------------------------------------- */

struct altstack_seen {
	struct kernel_stack ss;
	void *expected;
	size_t expected_len;
	long err;
};

static void read_altstack(struct altstack_seen *s)
{
	s->err = sys_sigaltstack(NULL, &s->ss);
	s->expected = weft_tcb()->altstack;
	s->expected_len = weft_tcb()->altstack_len;
}

static void *read_altstack_thread(void *arg)
{
	read_altstack(arg);
	return NULL;
}

static void expect_good_altstack(struct __test_metadata *_metadata, const struct altstack_seen *s)
{
	size_t min = weft_startup_info()->minsigstksz;

	ASSERT_EQ(s->err, 0);
	ASSERT_NE_NULL(s->expected);
	ASSERT_EQ(s->ss.sp, s->expected);
	ASSERT_EQ(s->ss.size, s->expected_len);
	ASSERT_EQ(s->ss.flags, 0);	/* enabled, and we are not running on it */
	/* AT_MINSIGSTKSZ (when the kernel gives it) plus room for the handler. */
	ASSERT_GE(s->ss.size, (min > MINSIGSTKSZ ? min : MINSIGSTKSZ) + 8192);
	ASSERT_EQ(s->ss.size % weft_startup_info()->page_size, 0);
}

TEST(every_thread_main_included_has_its_own_altstack)
{
	struct altstack_seen main_seen, a, b;
	struct weft_join_handle ha, hb;

	read_altstack(&main_seen);
	expect_good_altstack(_metadata, &main_seen);
	ASSERT_EQ(weft_spawn(&ha, read_altstack_thread, &a), 0);
	ASSERT_EQ(weft_spawn(&hb, read_altstack_thread, &b), 0);
	ASSERT_EQ(weft_join(&ha, NULL), 0);
	ASSERT_EQ(weft_join(&hb, NULL), 0);
	expect_good_altstack(_metadata, &a);
	expect_good_altstack(_metadata, &b);
	ASSERT_NE(a.ss.sp, b.ss.sp);
	ASSERT_NE(a.ss.sp, main_seen.ss.sp);
}

static void sizes_from_auxv(void *arg)
{
	if (weft_getauxval(51 /* AT_MINSIGSTKSZ */) != weft_startup_info()->minsigstksz)
		sys_exit_group(1);
	sys_exit_group(weft_altstack_size() >= weft_startup_info()->minsigstksz + 8192 ? 0 : 2);
}

TEST(altstack_size_follows_at_minsigstksz_when_present)
{
	char err[64];
	int status = test_run_child(sizes_from_auxv, NULL, err, sizeof(err));

	ASSERT_EQ(WEXITSTATUS(status), 0);
	if (test_under_qemu())
		ASSERT_EQ(weft_startup_info()->minsigstksz, 0);	/* qemu 7.2 gives none */
}

static struct kernel_stack altstack_at_exit = { .flags = -1 };
static void *altstack_installed;

static void record_altstack_at_exit(struct weft_native *n)
{
	/* The bare call: the fault rule set below must see only weft's own calls. */
	weft_syscall2(__NR_sigaltstack, 0, (long)&altstack_at_exit);
}

static void *hook_my_exit(void *arg)
{
	altstack_installed = weft_tcb()->altstack;
	weft_native_run(weft_tcb()->native)->exit_hook = record_altstack_at_exit;
	/* From here to the exit, any sigaltstack(2) weft makes fails, and is counted. */
	weft_fault_inject(__NR_sigaltstack, WEFT_FAULT_EVERY, EPERM);
	return NULL;
}

/*
 * The rule is that the kernel drops a thread's altstack with the thread (the
 * altstack is per task, and a task's memory of it ends with it), and weft gives the
 * memory back only after the clear-tid word clears: so no sigaltstack(SS_DISABLE) at
 * exit (an earlier rule, withdrawn). The altstack is still installed when the thread
 * has finished everything it runs, and weft made no sigaltstack call on the way out.
 */
TEST(a_thread_exits_with_its_altstack_installed_and_no_sigaltstack_call)
{
	struct weft_join_handle h;

	ASSERT_EQ(weft_spawn(&h, hook_my_exit, NULL), 0);
	ASSERT_EQ(weft_join(&h, NULL), 0);
	ASSERT_EQ(weft_fault_fired(), 0);
	weft_fault_clear();
	ASSERT_EQ(altstack_at_exit.flags, 0);
	ASSERT_EQ(altstack_at_exit.sp, altstack_installed);
}

/* ---- the guard ranges -------------------------------------------------------- */

static void *guard_of_thread(void *arg)
{
	uintptr_t *r = arg;

	r[0] = weft_tcb()->guard_lo;
	r[1] = weft_tcb()->guard_hi;
	r[2] = (uintptr_t)__builtin_frame_address(0);
	return NULL;
}

TEST(a_thread_guard_is_the_page_below_its_stack)
{
	struct weft_builder b = { .stack_size = 64 << 10 };
	struct weft_join_handle h;
	uintptr_t r[3];

	ASSERT_EQ(weft_builder_spawn(&b, &h, guard_of_thread, r), 0);
	ASSERT_EQ(weft_join(&h, NULL), 0);
	ASSERT_EQ(r[1] - r[0], weft_startup_info()->page_size);
	ASSERT_GT(r[2], r[1]);
	/* The stack shares its last page with the TLS block: up to a page more than asked. */
	ASSERT_LE(r[2] - r[1], (64 << 10) + weft_startup_info()->page_size);
}

TEST(the_main_guard_lies_below_the_main_stack)
{
	struct weft_tcb *tcb = weft_tcb();
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	struct rlimit64 lim;

	ASSERT_EQ(sys_prlimit64(0, RLIMIT_STACK, NULL, &lim), 0);
	ASSERT_LT(tcb->guard_lo, tcb->guard_hi);
	ASSERT_LT(tcb->guard_hi, sp);
	ASSERT_EQ(tcb->guard_hi - tcb->guard_lo, 1 << 20);
	/* Within RLIMIT_STACK of the initial stack pointer (qemu: within its fixed region). */
	ASSERT_LE((uintptr_t)weft_startup_info()->initial_sp - tcb->guard_hi,
		  lim.rlim_cur < (64ULL << 20) ? lim.rlim_cur : (64ULL << 20));
}

/* ---- what degrades when the altstack cannot be installed ------------------- */

static void overflow_without_altstack(void *arg)
{
	struct weft_join_handle h;

	/* The thread's own sigaltstack(2) fails: it must not run on undetected. */
	weft_fault_inject(__NR_sigaltstack, 1, ENOMEM);
	if (weft_spawn(&h, recurse_forever, NULL) == 0 && weft_join(&h, NULL) == WEFT_PANICKED)
		sys_exit_group(0);
	sys_exit_group(1);
}

TEST(a_thread_whose_altstack_fails_panics_instead_of_overflowing_unreported)
{
	char err[1024];
	int status = test_run_child(overflow_without_altstack, NULL, err, sizeof(err));

	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT_NE_NULL(weft_strstr(err, "failed to set up stack overflow detection"));
	ASSERT_NULL(weft_strstr(err, "overflowed"));
}

/* ---- failures at start-up, replayed: weft_stack_guard_init() again, with a fault ---- */

void weft_stack_guard_init(void);

struct init_fault {
	long nr;
	int err;
};

/*
 * In a child: forget the main thread's altstack and guard range, make one
 * system call fail, run the start-up code again, and report what it left
 * through the exit status: bit 0 a guard range, bit 1 an altstack
 * installed in the kernel, bit 2 a SIGSEGV handler, bit 3 the fault fired.
 */
static void replay_init(void *arg)
{
	const struct init_fault *f = arg;
	struct kernel_stack off = { .sp = NULL, .flags = SS_DISABLE, .size = 0 }, now;
	struct weft_tcb *tcb = weft_tcb();
	struct kernel_sigaction act;
	int status = 0, maps;

	sys_sigaltstack(&off, NULL);
	tcb->altstack = NULL;
	tcb->altstack_len = 0;
	tcb->guard_lo = tcb->guard_hi = 0;
	weft_signal(SIGSEGV, WEFT_SIG_DFL, 0, NULL);
	maps = test_count_maps();
	weft_fault_inject(f->nr, 1, f->err);
	weft_stack_guard_init();
	if (weft_fault_fired())
		status |= 8;
	weft_fault_clear();
	if (tcb->guard_hi > tcb->guard_lo)
		status |= 1;
	if (sys_sigaltstack(NULL, &now) == 0 && now.flags == 0 && now.sp == tcb->altstack)
		status |= 2;
	if (sys_rt_sigaction(SIGSEGV, NULL, &act) == 0 && act.handler)
		status |= 4;
	/* A mapping half made (mmap done, mprotect failed) must have been unmapped. */
	if (!tcb->altstack && test_count_maps() != maps)
		status |= 16;
	sys_exit_group(status);
}

TEST(start_up_failures_degrade_to_a_plain_sigsegv_and_leak_nothing)
{
	static const struct {
		struct init_fault f;
		int expect;
	} cases[] = {
		/* No /proc/self/maps: no guard range for main; the rest works. */
		{ { __NR_openat, ENOENT }, 8 | 2 | 4 },
		{ { __NR_read, EIO }, 8 | 2 | 4 },
		/* No RLIMIT_STACK: the guard sits below [stack] itself (qemu's case). */
		{ { __NR_prlimit64, EPERM }, 8 | 1 | 2 | 4 },
		/* No altstack for main, but the handlers, for the threads to come. */
		{ { __NR_mmap, ENOMEM }, 8 | 1 | 4 },
		{ { __NR_mprotect, ENOMEM }, 8 | 1 | 4 },
		{ { __NR_sigaltstack, ENOMEM }, 8 | 1 | 4 },
		/* Cannot read the disposition: leave it alone. */
		{ { __NR_rt_sigaction, EINVAL }, 8 | 1 | 2 },
	};
	char err[256];

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		int status = test_run_child(replay_init, (void *)&cases[i].f, err, sizeof(err));

		ASSERT_TRUE(WIFEXITED(status));
		EXPECT_EQ(WEXITSTATUS(status), cases[i].expect);
	}
}

static void replay_init_without_altstack_then_overflow(void *arg)
{
	static const struct init_fault f = { __NR_mmap, ENOMEM };
	struct kernel_stack off = { .sp = NULL, .flags = SS_DISABLE, .size = 0 };

	sys_sigaltstack(&off, NULL);
	weft_tcb()->altstack = NULL;
	weft_fault_inject(f.nr, 1, f.err);
	weft_stack_guard_init();
	weft_fault_clear();
	recurse(0);
}

TEST(main_without_an_altstack_overflows_into_a_plain_sigsegv)
{
	expect_plain_signal(_metadata, replay_init_without_altstack_then_overflow, NULL, SIGSEGV);
}
