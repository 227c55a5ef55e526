// SPDX-License-Identifier: MIT
/* Native threads: spawn, join, detach, names, ids, current(), stack sizes, TLS, failures. */
#include <limits.h>

#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/mman.h>
#include <linux/resource.h>
#include <linux/sched.h>

#include "weft/alloc.h"
#include "weft/fault.h"
#include "weft/green.h"
#include "weft/local.h"
#include "weft/panic.h"
#include "weft/scope.h"
#include "weft/thread.h"

#include "harness.h"
#include "kernel-abi/sys.h"
#include "lib/thread.h"

static void *return_arg_plus_one(void *arg)
{
	return (void *)((uintptr_t)arg + 1);	/* not NULL + 1: UB that clang traps */
}

TEST(result_passes_through_join)
{
	struct weft_join_handle h;
	void *r = NULL;

	ASSERT_EQ(weft_spawn(&h, return_arg_plus_one, (void *)41), 0);
	ASSERT_NE_NULL(h.native);
	ASSERT_EQ(weft_join(&h, &r), 0);
	ASSERT_EQ(r, (void *)42);
	ASSERT_NULL(h.native);
}

TEST(join_twice_is_einval_and_detach_after_join_too)
{
	struct weft_join_handle h;

	ASSERT_EQ(weft_spawn(&h, return_arg_plus_one, NULL), 0);
	ASSERT_EQ(weft_join(&h, NULL), 0);
	ASSERT_EQ(weft_join(&h, NULL), -EINVAL);
	ASSERT_EQ(weft_detach(&h), -EINVAL);
	ASSERT_EQ(weft_is_finished(&h), -EINVAL);
	ASSERT_NULL(weft_join_handle_thread(&h));
	ASSERT_EQ(weft_join(NULL, NULL), -EINVAL);
	ASSERT_EQ(weft_spawn(NULL, return_arg_plus_one, NULL), -EINVAL);
	ASSERT_EQ(weft_spawn(&h, NULL, NULL), -EINVAL);
	ASSERT_NULL(h.native);
}

static struct weft_join_handle self_handle;
static _Atomic int self_handle_ready;

static void *join_myself(void *arg)
{
	while (!atomic_load(&self_handle_ready))
		weft_park();
	return (void *)(long)weft_join(&self_handle, NULL);
}

TEST(joining_yourself_is_edeadlk)
{
	struct weft_join_handle h;
	void *r;

	ASSERT_EQ(weft_spawn(&self_handle, join_myself, NULL), 0);
	h = self_handle;
	atomic_store(&self_handle_ready, 1);
	weft_unpark(weft_join_handle_thread(&h));
	ASSERT_EQ(weft_join(&h, &r), 0);
	ASSERT_EQ((long)r, -EDEADLK);
}

TEST(clone_flags_are_exactly_the_thread_set)
{
	int fds[2];
	char buf[4096];
	struct weft_join_handle h;
	long n;

	/* The trace shows the flags the trampoline passed to the kernel. */
	ASSERT_EQ(sys_pipe2(fds, O_CLOEXEC), 0);
	weft_trace_set_fd(fds[1]);
	ASSERT_EQ(weft_spawn(&h, return_arg_plus_one, NULL), 0);
	weft_trace_set_fd(-1);
	ASSERT_EQ(weft_join(&h, NULL), 0);
	n = sys_read(fds[0], buf, sizeof(buf) - 1);
	ASSERT_GT(n, 0);
	buf[n] = 0;
	ASSERT_NE_NULL(weft_strstr(buf, "] clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|"
				  "CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|"
				  "CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, 0x"));
}

#define MANY 1000

TEST_TIMEOUT(thousand_threads_spawned_then_joined, 120)
{
	static struct weft_join_handle h[MANY];
	void *r;

	for (long i = 0; i < MANY; i++)
		ASSERT_EQ(weft_spawn(&h[i], return_arg_plus_one, (void *)i), 0);
	for (long i = 0; i < MANY; i++) {
		ASSERT_EQ(weft_join(&h[i], &r), 0);
		ASSERT_EQ(r, (void *)(i + 1));
	}
}

/* A binary tree of threads: each spawns two children and sums their results. */
static void *tree(void *arg)
{
	long depth = (long)arg, sum = 1;
	struct weft_join_handle a, b;
	void *ra, *rb;

	if (depth == 0)
		return (void *)1;
	if (weft_spawn(&a, tree, (void *)(depth - 1)) || weft_spawn(&b, tree, (void *)(depth - 1)))
		return (void *)-1000000L;
	if (weft_join(&a, &ra) || weft_join(&b, &rb))
		return (void *)-1000000L;
	sum += (long)ra + (long)rb;
	return (void *)sum;
}

TEST_TIMEOUT(threads_spawning_threads, 120)
{
	struct weft_join_handle h;
	void *r;

	ASSERT_EQ(weft_spawn(&h, tree, (void *)7), 0);
	ASSERT_EQ(weft_join(&h, &r), 0);
	ASSERT_EQ((long)r, 255);	/* 2^8 - 1 threads, each counted once */
}

static _Atomic int detached_done;

static void *detached_worker(void *arg)
{
	struct weft_thread *waiter = arg;

	atomic_fetch_add(&detached_done, 1);
	weft_unpark(waiter);
	weft_thread_put(waiter);
	return NULL;
}

static void *spawn_detached_then_return(void *arg)
{
	struct weft_join_handle h;

	for (int i = 0; i < 8; i++) {
		if (weft_spawn(&h, detached_worker, weft_thread_get(arg)))
			return (void *)1;
		weft_detach(&h);
	}
	return NULL;	/* the spawner ends before (some of) its detached threads */
}

TEST(detached_threads_outlive_spawner_and_free_their_mappings)
{
	struct test_leak_baseline before;
	struct weft_join_handle h;

	/* Warm up: allocator chunks, stack cache. */
	ASSERT_EQ(weft_spawn(&h, return_arg_plus_one, NULL), 0);
	ASSERT_EQ(weft_join(&h, NULL), 0);
	test_leak_baseline_take(&before);	/* trims the cache: cached stacks are not leaks */

	ASSERT_EQ(weft_spawn(&h, spawn_detached_then_return, weft_current()), 0);
	ASSERT_EQ(weft_join(&h, NULL), 0);
	while (atomic_load(&detached_done) < 8)
		weft_park();
	/*
	 * Each detached thread then unmaps its own stack and exits; a thread that
	 * finished before its detach was reaped by the detacher, into the cache.
	 */
	test_wait_for_baseline(&before);
	ASSERT_NO_LEAK(&before);
}

TEST(detach_after_the_thread_finished_frees_it)
{
	struct weft_join_handle h;
	struct weft_alloc_stats before, after;

	ASSERT_EQ(weft_spawn(&h, return_arg_plus_one, NULL), 0);
	ASSERT_EQ(weft_join(&h, NULL), 0);
	weft_alloc_stats(&before);
	ASSERT_EQ(weft_spawn(&h, return_arg_plus_one, NULL), 0);
	while (weft_is_finished(&h) == 0)
		weft_yield();
	ASSERT_EQ(weft_detach(&h), 0);
	ASSERT_EQ(weft_detach(&h), -EINVAL);
	weft_alloc_stats(&after);
	ASSERT_EQ(after.blocks, before.blocks);
	ASSERT_EQ(after.bytes, before.bytes);
}

static void *report_tid_and_wait(void *arg)
{
	weft_park();
	return NULL;
}

static void read_comm(int tid, char *buf, size_t size)
{
	char path[64];
	long n;

	weft_snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
	n = test_read_file(path, buf, size);
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = 0;
}

TEST(names_are_copied_kept_whole_and_truncated_for_the_kernel)
{
	char name[64] = "abcdefghijklmnopqrstu";	/* 21 bytes */
	struct weft_builder b = { .name = name };
	struct weft_join_handle h, u, e;
	struct weft_thread *t;
	char comm[64];

	ASSERT_EQ(weft_builder_spawn(&b, &h, report_tid_and_wait, NULL), 0);
	memset(name, 'X', sizeof(name) - 1);	/* the caller's buffer may die */
	t = weft_join_handle_thread(&h);
	ASSERT_STREQ(weft_thread_name(t), "abcdefghijklmnopqrstu");
	ASSERT_GT(weft_thread_tid(t), 0);
	/* PR_SET_NAME happens in the new thread: wait until the kernel shows it. */
	do {
		read_comm(weft_thread_tid(t), comm, sizeof(comm));
	} while (weft_strcmp(comm, "abcdefghijklmno") && (weft_yield(), 1));
	ASSERT_STREQ(comm, "abcdefghijklmno");
	weft_unpark(t);
	ASSERT_EQ(weft_join(&h, NULL), 0);

	ASSERT_EQ(weft_spawn(&u, return_arg_plus_one, NULL), 0);
	ASSERT_NULL(weft_thread_name(weft_join_handle_thread(&u)));
	b.name = "";
	ASSERT_EQ(weft_builder_spawn(&b, &e, return_arg_plus_one, NULL), 0);
	ASSERT_NULL(weft_thread_name(weft_join_handle_thread(&e)));
	ASSERT_EQ(weft_join(&u, NULL), 0);
	ASSERT_EQ(weft_join(&e, NULL), 0);
	ASSERT_STREQ(weft_thread_name(weft_current()), "main");
}

static void *current_info(void *arg)
{
	struct weft_thread *me = weft_current();

	*(weft_thread_id_t *)arg = weft_thread_id(me);
	return me;
}

TEST(ids_are_unique_increasing_and_current_works)
{
	weft_thread_id_t prev = weft_thread_id(weft_current()), id;
	struct weft_join_handle h;
	void *r;

	ASSERT_EQ(prev, 1);	/* main */
	ASSERT_EQ(weft_thread_tid(weft_current()), sys_gettid());
	for (int i = 0; i < 50; i++) {
		ASSERT_EQ(weft_spawn(&h, current_info, &id), 0);
		struct weft_thread *t = weft_thread_get(weft_join_handle_thread(&h));

		ASSERT_EQ(weft_join(&h, &r), 0);
		ASSERT_EQ(r, (void *)t);	/* current() there is the handle's thread */
		ASSERT_EQ(weft_thread_id(t), id);
		ASSERT_GT(id, prev);
		ASSERT_NE(id, 0);
		prev = id;
		weft_thread_put(t);	/* ours outlived the thread */
	}
}

void weft_thread_id_set_next(weft_thread_id_t next);

static void exhaust_ids(void *arg)
{
	struct weft_join_handle h;

	weft_thread_id_set_next(UINT64_MAX);
	weft_spawn(&h, return_arg_plus_one, NULL);
}

TEST(id_exhaustion_panics)
{
	char err[1024];
	int status = test_run_child(exhaust_ids, NULL, err, sizeof(err));

	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 101);
	ASSERT_NE_NULL(weft_strstr(err, "thread 'main' panicked at "));
	ASSERT_NE_NULL(weft_strstr(err,
				   "failed to generate unique thread ID: bitspace exhausted"));
}

static _Atomic uint32_t gate;

static void *block_on_gate(void *arg)
{
	while (!atomic_load(&gate))
		weft_futex_wait(&gate, 0, false, NULL);
	return NULL;
}

TEST(is_finished_false_while_blocked_true_after)
{
	struct weft_join_handle h;

	ASSERT_EQ(weft_spawn(&h, block_on_gate, NULL), 0);
	ASSERT_EQ(weft_is_finished(&h), 0);
	atomic_store(&gate, 1);
	weft_futex_wake(&gate, 1, false);
	while (!weft_is_finished(&h))
		weft_yield();
	ASSERT_EQ(weft_is_finished(&h), 1);
	ASSERT_EQ(weft_join(&h, NULL), 0);
}

/*
 * Neither the join state nor the word the kernel clears at exit is in the thread's
 * mapping, since the mapping may be gone (a detached thread unmaps its own) or reused
 * (the stack cache) by the time the kernel writes the word or a stale handle reads
 * the state. What only the thread and its joiner read (struct weft_native_run) is in
 * the mapping, right under the TLS area: it costs no heap.
 */
TEST(the_clear_tid_word_lives_outside_the_mapping)
{
	struct weft_join_handle h;
	struct weft_native *n;
	uintptr_t word, map, end;

	ASSERT_EQ(weft_spawn(&h, block_on_gate, NULL), 0);
	n = h.native;
	map = (uintptr_t)weft_native_run(n)->map;
	end = map + weft_native_run(n)->map_len;
	word = (uintptr_t)&weft_join_handle_thread(&h)->tid_word;
	/* The join state is outside too: it must outlive the mapping (threads.rst, "Handles"). */
	ASSERT_TRUE((uintptr_t)(n + 1) <= map || (uintptr_t)n >= end);
	ASSERT_TRUE(word + sizeof(uint32_t) <= map || word >= end);
	ASSERT_TRUE((uintptr_t)weft_native_run(n) > map);
	ASSERT_TRUE((uintptr_t)(weft_native_run(n) + 1) <= end - weft_altstack_size() -
		    weft_tls_area_size());
	/* Until the thread is gone the word holds its tid, as CLONE_PARENT_SETTID wrote it. */
	ASSERT_EQ((int)atomic_load(&weft_join_handle_thread(&h)->tid_word),
		  weft_thread_tid(weft_join_handle_thread(&h)));
	atomic_store(&gate, 1);
	weft_futex_wake(&gate, 1, false);
	ASSERT_EQ(weft_join(&h, NULL), 0);
}

/*
 * weft_fork() holds the allocator's and the stack cache's locks across the fork, so a
 * child of a busy multi-threaded process can allocate and spawn. Without that, a fork
 * that lands while another thread holds one of them leaves it held in the child, whose
 * next weft_malloc() or weft_spawn() then waits forever (the harness's timeout).
 */
static atomic_int busy_stop;

static void *busy_allocating(void *arg)
{
	while (!atomic_load_explicit(&busy_stop, memory_order_relaxed))
		weft_free(weft_malloc(16));
	return NULL;
}

static void *busy_spawning(void *arg)
{
	while (!atomic_load_explicit(&busy_stop, memory_order_relaxed)) {
		struct weft_join_handle h;

		if (weft_spawn(&h, return_arg_plus_one, NULL) == 0)
			weft_join(&h, NULL);
	}
	return NULL;
}

TEST(a_child_forked_from_busy_threads_can_allocate_and_spawn)
{
	struct weft_join_handle allocator, spawner;
	bool qemu = test_under_qemu();
	int forks = qemu ? 30 : 200;

	/*
	 * Not the spawning thread under qemu-user (7.2): with it, a child hung
	 * before its SIGKILL once in a CI run on qemu-riscv64. The likely cause: a
	 * guest thread being created runs qemu's own allocations on its host
	 * thread, a fork landing in one leaves glib's lock held in the child, and
	 * the child's first translation of new code needs it
	 * (Documentation/abi-notes.rst, §12). The stack cache's half runs natively.
	 */
	ASSERT_EQ(weft_spawn(&allocator, busy_allocating, NULL), 0);
	if (!qemu)
		ASSERT_EQ(weft_spawn(&spawner, busy_spawning, NULL), 0);
	for (int i = 0; i < forks; i++) {
		int status, pid = (int)weft_fork();

		if (pid == 0) {
			struct weft_join_handle h;
			void *result = NULL;
			void *p = weft_malloc(16);

			weft_free(p);
			if (!p)
				test_child_exit(1);
			/*
			 * qemu-user 7.2 aborts a forked child of a multi-threaded guest
			 * as soon as it creates a thread: an assertion in
			 * qemu_plugin_vcpu_init_hook() (plugins/core.c), because the
			 * parent's other vCPUs are still registered in the child (later
			 * qemu releases clean them up after fork with
			 * qemu_plugin_user_postfork()). Natively the child spawns too.
			 */
			if (test_under_qemu())
				test_child_exit(0);
			if (weft_spawn(&h, return_arg_plus_one, NULL) || weft_join(&h, &result) ||
			    result != (void *)1)
				test_child_exit(1);
			test_child_exit(0);
		}
		ASSERT_GT(pid, 0);
		ASSERT_EQ(sys_wait4(pid, &status, 0, NULL), pid);
		ASSERT_TRUE(test_child_exited(status, 0));
	}
	atomic_store(&busy_stop, 1);
	ASSERT_EQ(weft_join(&allocator, NULL), 0);
	if (!qemu)
		ASSERT_EQ(weft_join(&spawner, NULL), 0);
}

/*
 * A reference count near wrapping is a leak of a billion references: weft_thread_get()
 * aborts rather than let it wrap and free a thread still in use, as Rust's Arc does.
 */
TEST_SIGNAL(thread_reference_count_overflow_aborts, SIGABRT)
{
	struct weft_thread *t = weft_thread_alloc("counted");

	atomic_store(&t->refs, INT_MAX / 2 + 1);
	weft_thread_get(t);
}

/* A fork that fails must give back the locks it took, or the next allocation hangs. */
TEST(a_failed_fork_releases_the_locks_it_took)
{
	struct weft_join_handle h;
	void *result = NULL;
	int status, pid;

	ASSERT_EQ(weft_fault_inject(__NR_clone, 1, EAGAIN), 0);
	ASSERT_EQ(weft_fork(), -EAGAIN);
	weft_fault_clear();
	weft_free(weft_malloc(16));
	ASSERT_EQ(weft_spawn(&h, return_arg_plus_one, NULL), 0);
	ASSERT_EQ(weft_join(&h, &result), 0);
	ASSERT_EQ(result, (void *)1);
	pid = (int)weft_fork();
	if (pid == 0)
		sys_exit_group(weft_malloc(16) ? 0 : 1);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(sys_wait4(pid, &status, 0, NULL), pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
}

static __thread int tls_counter = 100;
static __thread char tls_big[8192] __attribute__((aligned(64))) = "image";

static void *tls_check(void *arg)
{
	long ok = tls_counter == 100 && weft_strcmp(tls_big, "image") == 0 &&
		  ((uintptr_t)tls_big & 63) == 0;

	tls_counter += (int)(long)arg;
	tls_big[0] = 'X';
	weft_park();	/* hold until every thread has written its own copy */
	return (void *)(long)(ok && tls_counter == 100 + (int)(long)arg && tls_big[0] == 'X');
}

TEST(tls_in_new_threads_starts_from_the_image_and_is_independent)
{
	struct weft_join_handle h[8];
	void *r;

	tls_counter = 5;	/* main's copy: not what new threads start from */
	tls_big[0] = 'M';
	for (long i = 0; i < 8; i++)
		ASSERT_EQ(weft_spawn(&h[i], tls_check, (void *)(i + 1)), 0);
	for (int i = 0; i < 8; i++) {
		weft_unpark(weft_join_handle_thread(&h[i]));
		ASSERT_EQ(weft_join(&h[i], &r), 0);
		ASSERT_EQ(r, (void *)1);
	}
	ASSERT_EQ(tls_counter, 5);
	ASSERT_EQ(tls_big[0], 'M');
}

static void *canary_and_tp(void *arg)
{
	struct weft_tcb *tcb = weft_tcb();

	return (void *)(long)(tcb->self == tcb && tcb->canary == weft_startup_info()->canary &&
			      tcb != weft_startup_info()->main_tp);
}

TEST(new_threads_have_their_own_tcb_and_the_same_canary)
{
	struct weft_join_handle h;
	void *r;

	ASSERT_EQ(weft_spawn(&h, canary_and_tp, NULL), 0);
	ASSERT_EQ(weft_join(&h, &r), 0);
	ASSERT_EQ(r, (void *)1);
}

/* Touch the whole stack we were given, from the top down to just above the guard. */
static void *stack_extent(void *arg)
{
	struct weft_tcb *tcb = weft_tcb();
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);

	*(size_t *)arg = (size_t)(tcb->stack_hi - tcb->guard_hi);
	for (uintptr_t p = tcb->guard_hi; p < sp - 256; p += 4096)
		*(volatile char *)p = 1;
	return NULL;
}

TEST(stack_sizes_are_rounded_and_raised_to_the_minimum)
{
	static const struct {
		size_t ask, get;
	} cases[] = {
		{ 4096, WEFT_STACK_MIN },
		{ 1, WEFT_STACK_MIN },
		{ 100000, 102400 },
		{ 65537, 69632 },
		{ 64UL << 20, 64UL << 20 },
		{ 0, WEFT_STACK_DEFAULT },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		struct weft_builder b = { .stack_size = cases[i].ask };
		struct weft_join_handle h;
		size_t got = 0;

		ASSERT_EQ(weft_builder_spawn(&b, &h, stack_extent, &got), 0);
		ASSERT_EQ(weft_join(&h, NULL), 0);
		/* The TLS block shares the top page: the stack gets up to a page more. */
		EXPECT_GE(got, cases[i].get);
		EXPECT_LT(got, cases[i].get + 4096);
	}
}

static void warm_up(void);

TEST(absurd_stack_sizes_are_refused)
{
	struct weft_builder b = { .stack_size = ~(size_t)0 };
	struct weft_join_handle h;
	int maps;

	warm_up();
	maps = test_count_maps();

	ASSERT_EQ(weft_builder_spawn(&b, &h, return_arg_plus_one, NULL), -EINVAL);
	ASSERT_NULL(h.native);
	b.stack_size = ~(size_t)0 - 1000;	/* rounding up to a page overflows */
	ASSERT_EQ(weft_builder_spawn(&b, &h, return_arg_plus_one, NULL), -EINVAL);
	b.stack_size = ~(size_t)0 - (1UL << 20);	/* rounds fine, cannot exist */
	ASSERT_EQ(weft_builder_spawn(&b, &h, return_arg_plus_one, NULL), -EAGAIN);
	b.stack_size = 1UL << 50;	/* fits in size_t, not in the address space */
	ASSERT_EQ(weft_builder_spawn(&b, &h, return_arg_plus_one, NULL), -EAGAIN);
	ASSERT_EQ(test_count_maps(), maps);
	/* qemu-user keeps per-page flags for a PROT_NONE reservation: 64 TiB takes forever. */
	if (test_under_qemu())
		return;
	b.stack_size = (1UL << 46) + 4096;	/* maybe mappable, then refused or not by mmap */
	int err = weft_builder_spawn(&b, &h, return_arg_plus_one, NULL);

	if (err == 0)
		ASSERT_EQ(weft_join(&h, NULL), 0);
	else
		ASSERT_EQ(err, -EAGAIN);
	ASSERT_EQ(test_count_maps(), maps);
}

/* WEFT_MIN_STACK: run this binary again with it set and report a thread's stack size. */
__attribute__((constructor)) static void maybe_report_stack(void)
{
	if (weft_getenv("WEFT_TEST_REPORT_STACK")) {
		struct weft_join_handle h;
		size_t got = 0;

		weft_spawn(&h, stack_extent, &got);
		weft_join(&h, NULL);
		weft_dprintf(2, "%zu\n", got);
		sys_exit_group(0);
	}
}

/*
 * The stack size a thread gets with WEFT_MIN_STACK=@value; what weft wrote to
 * stderr before it, in @err. The number is the last line of that stream.
 */
static size_t stack_with_env(const char *value, char *err, size_t errsize)
{
	char env[64];
	char *envp[] = { "WEFT_TEST_REPORT_STACK=1", env, NULL };
	int status;
	size_t v = 0;
	char *last;

	weft_snprintf(env, sizeof(env), "WEFT_MIN_STACK=%s", value);
	if (test_exec_self(envp, 2, err, errsize, &status) <= 0)
		return 0;
	err[weft_strlen(err) - 1] = 0;		/* the number's newline */
	last = err + weft_strlen(err);
	while (last > err && last[-1] != '\n')
		last--;
	for (char *p = last; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (size_t)(*p - '0');
	*last = 0;
	return v;
}

TEST(weft_min_stack_sets_the_default)
{
	char err[256];

	/* Each within the page the TLS block shares with the stack's top. */
	ASSERT_EQ(stack_with_env("1048576", err, sizeof(err)) >> 12, (1UL << 20) >> 12);
	ASSERT_STREQ(err, "");
	ASSERT_EQ(stack_with_env("256k", err, sizeof(err)) >> 12, (256UL << 10) >> 12);
	ASSERT_EQ(stack_with_env("0x40000", err, sizeof(err)) >> 12, (256UL << 10) >> 12);
	ASSERT_EQ(stack_with_env("3", err, sizeof(err)) >> 12, WEFT_STACK_MIN >> 12);
	ASSERT_EQ(stack_with_env("0", err, sizeof(err)) >> 12, WEFT_STACK_MIN >> 12);
	ASSERT_STREQ(err, "");
	ASSERT_EQ(stack_with_env("", err, sizeof(err)) >> 12, WEFT_STACK_DEFAULT >> 12);
	ASSERT_STREQ(err, "");		/* set but empty is unset */
}

/* A value that is not a size is named in one message, and the default is used. */
TEST(weft_min_stack_malformed_is_rejected_with_a_message)
{
	static const char *const bad[] = { "abc", "-1", "1T", "64 k", "0x", "12kb" };
	char err[256], want[256];

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(stack_with_env(bad[i], err, sizeof(err)) >> 12, WEFT_STACK_DEFAULT >> 12);
		weft_snprintf(want, sizeof(want), "weft: WEFT_MIN_STACK=%s: not a size (bytes, "
			      "0x..., suffix K, M or G); using the default, 2048 KiB\n", bad[i]);
		ASSERT_STREQ(err, want);
	}
	ASSERT_EQ(stack_with_env("1024g", err, sizeof(err)) >> 12, WEFT_STACK_DEFAULT >> 12);
	ASSERT_STREQ(err, "weft: WEFT_MIN_STACK=1024g: too large (1 TiB or more); using the "
		     "default, 2048 KiB\n");
}

/* ---- failures: every syscall of spawn, failed on purpose --------------- */

/* A size the stack cache has never seen, so spawn must map afresh. */
static const struct weft_builder fresh = { .name = "faulty", .stack_size = 3UL << 20 };

/*
 * Named and unnamed spawns, so that the join states have a slab, the allocator
 * has a chunk of every size class a spawn uses (the name's block, as long as
 * fresh's and longer) and the stack cache holds a mapping: later mapping
 * counts and traces then show only what the code under test did.
 */
static void warm_up(void)
{
	struct weft_join_handle h;
	struct weft_builder b = { .name = "warm-up-thread-with-a-long-name" };

	weft_builder_spawn(&b, &h, return_arg_plus_one, NULL);
	weft_join(&h, NULL);
	b.name = fresh.name;
	weft_builder_spawn(&b, &h, return_arg_plus_one, NULL);
	weft_join(&h, NULL);
	weft_spawn(&h, return_arg_plus_one, NULL);
	weft_join(&h, NULL);
}

TEST(spawn_survives_each_syscall_failing)
{
	/* Resources lacking, whichever call says so, are -EAGAIN, as pthread_create(). */
	static const struct {
		long nr;
		int err, got;
	} faults[] = {
		{ __NR_mmap, ENOMEM, EAGAIN },
		{ __NR_mprotect, ENOMEM, EAGAIN },
		{ __NR_clone, EAGAIN, EAGAIN },
		{ __NR_clone, ENOMEM, EAGAIN },
		{ __NR_mmap, EPERM, EPERM },
	};
	struct test_leak_baseline base;

	warm_up();
	test_leak_baseline_take(&base);
	for (unsigned int f = 0; f < ARRAY_SIZE(faults); f++) {
		/* Fail the 1st, 2nd, ... matching call until spawn gets through. */
		for (unsigned long nth = 1;; nth++) {
			struct weft_join_handle h;
			int err;

			ASSERT_EQ(weft_fault_inject(faults[f].nr, nth, faults[f].err), 0);
			err = weft_builder_spawn(&fresh, &h, return_arg_plus_one, NULL);
			unsigned long fired = weft_fault_fired();

			weft_fault_clear();
			if (!fired) {
				ASSERT_EQ(err, 0);
				ASSERT_EQ(weft_join(&h, NULL), 0);
				break;
			}
			ASSERT_EQ(err, -faults[f].got);
			ASSERT_NULL(h.native);
			ASSERT_NO_LEAK(&base);
			ASSERT_LT(nth, 10);
		}
	}
}

TEST(spawn_survives_allocation_failure)
{
	struct test_leak_baseline base;

	warm_up();
	test_leak_baseline_take(&base);
	/* Every mmap fails: the allocator cannot grow if it needs to. */
	for (int i = 0; i < 200; i++) {
		struct weft_join_handle h;
		int err;

		weft_fault_inject(__NR_mmap, WEFT_FAULT_EVERY, ENOMEM);
		err = weft_builder_spawn(&fresh, &h, return_arg_plus_one, NULL);
		weft_fault_clear();
		ASSERT_EQ(err, -EAGAIN);	/* as musl's pthread_create-oom test wants */
		ASSERT_NULL(h.native);
	}
	ASSERT_NO_LEAK(&base);
}

TEST(mapping_cache_reuses_stacks_and_keeps_guards)
{
	struct weft_join_handle h;
	int fds[2];
	char buf[8192];
	long n;

	warm_up();
	ASSERT_EQ(sys_pipe2(fds, O_CLOEXEC), 0);
	weft_trace_set_fd(fds[1]);
	for (int i = 0; i < 5; i++) {
		ASSERT_EQ(weft_spawn(&h, return_arg_plus_one, NULL), 0);
		ASSERT_EQ(weft_join(&h, NULL), 0);
	}
	weft_trace_set_fd(-1);
	n = sys_read(fds[0], buf, sizeof(buf) - 1);
	ASSERT_GT(n, 0);
	buf[n] = 0;
	/* Five spawns and joins, and not one mmap or munmap among them. */
	ASSERT_NULL(weft_strstr(buf, "mmap("));
	ASSERT_NULL(weft_strstr(buf, "munmap("));
	ASSERT_NE_NULL(weft_strstr(buf, "clone("));
}

static void *touch_guard(void *arg)
{
	volatile char *guard = (char *)weft_tcb()->guard_lo;

	*guard = 1;	/* must fault */
	return NULL;
}

static void run_touch_guard(void *arg)
{
	struct weft_join_handle h;

	/* Two spawns of the default size: a fresh mapping, then the same one from the cache. */
	for (int i = 0; i < 2; i++) {
		if (weft_spawn(&h, i ? touch_guard : return_arg_plus_one, NULL))
			sys_exit_group(3);
		weft_join(&h, NULL);
	}
}

TEST(a_cached_stack_still_has_its_guard_page)
{
	char err[2048];
	int status = test_run_child(run_touch_guard, NULL, err, sizeof(err));

	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGABRT);	/* reported as an overflow */
	ASSERT_NE_NULL(weft_strstr(err, "has overflowed its stack"));
}

static void *park_until_released(void *arg)
{
	while (!atomic_load((_Atomic int *)arg))
		weft_park();
	return NULL;
}

TEST(each_live_thread_costs_two_mappings)
{
	struct weft_join_handle h[10];
	static _Atomic int release;
	int before;

	warm_up();
	weft_thread_cache_trim();
	before = test_count_maps();
	for (int i = 0; i < 10; i++)
		ASSERT_EQ(weft_spawn(&h[i], park_until_released, &release), 0);
	/* The guard, and stack + TLS area + altstack: see the layout in lib/thread.c. */
	ASSERT_EQ(test_count_maps() - before, 2 * 10);
	atomic_store(&release, 1);
	for (int i = 0; i < 10; i++) {
		weft_unpark(weft_join_handle_thread(&h[i]));
		ASSERT_EQ(weft_join(&h[i], NULL), 0);
	}
}

TEST(a_thread_runs_even_if_naming_it_fails)
{
	struct weft_builder b = { .name = "best-effort" };
	struct weft_join_handle h;
	void *r = NULL;

	/* Best effort, as in Rust: a name the kernel could not take stops nothing. */
	ASSERT_EQ(weft_fault_inject(__NR_prctl, WEFT_FAULT_EVERY, EFAULT), 0);
	ASSERT_EQ(weft_builder_spawn(&b, &h, return_arg_plus_one, (void *)1), 0);
	ASSERT_EQ(weft_join(&h, &r), 0);
	ASSERT_GE(weft_fault_fired(), 1);
	weft_fault_clear();
	ASSERT_EQ(r, (void *)2);
}

static _Atomic int ran_anyway;

static void *note_that_it_ran(void *arg)
{
	atomic_store(&ran_anyway, 1);
	return NULL;
}

TEST(a_thread_without_its_altstack_panics_before_running_its_function)
{
	struct weft_join_handle h;
	void *payload = NULL;

	/*
	 * Without an altstack its overflow would die unreported; as in Rust, the
	 * thread panics instead of running without detection, and the joiner sees it.
	 */
	ASSERT_EQ(weft_fault_inject(__NR_sigaltstack, 1, ENOMEM), 0);
	ASSERT_EQ(weft_spawn(&h, note_that_it_ran, NULL), 0);
	ASSERT_EQ(weft_join(&h, &payload), WEFT_PANICKED);
	ASSERT_EQ(weft_fault_fired(), 1);
	weft_fault_clear();
	ASSERT_EQ(atomic_load(&ran_anyway), 0);
	ASSERT_NE_NULL(weft_strstr(weft_panic_message(payload),
				   "failed to set up stack overflow detection"));
	weft_panic_free(payload);
}

/*
 * Returns only once the joiner's three futex waits have failed by injection:
 * so they are certain to have happened while this thread was still running.
 * It waits with sched_yield, not a futex, so the failures hit the joiner only.
 */
static void *outlive_three_failed_waits(void *arg)
{
	while (weft_fault_fired() < 3)
		weft_yield();
	return (void *)7;
}

TEST(join_retries_its_futex_wait_after_eintr_and_eagain)
{
	static const int errs[] = { EINTR, EAGAIN };

	for (unsigned int i = 0; i < ARRAY_SIZE(errs); i++) {
		struct weft_join_handle h;
		void *r = NULL;

		ASSERT_EQ(weft_spawn(&h, outlive_three_failed_waits, NULL), 0);
		/*
		 * The joiner's first three futex waits fail as a signal or a racing
		 * exit would make them; join must keep waiting, not return early
		 * and free a mapping the thread still runs on.
		 */
		/* A call one rule fails is not counted by later rules: 3 x "next" = 3 in a row. */
		for (int k = 0; k < 3; k++)
			ASSERT_EQ(weft_fault_inject(__NR_futex, 1, errs[i]), 0);
		ASSERT_EQ(weft_join(&h, &r), 0);
		ASSERT_EQ(weft_fault_fired(), 3);
		weft_fault_clear();
		ASSERT_EQ(r, (void *)7);
	}
}

/* ---- handles that cannot join the wrong thread ------------------------------ */

TEST(a_copy_joined_after_the_original_is_einval_even_when_its_state_was_reused)
{
	struct weft_join_handle h, copy, next;
	void *r = NULL;

	ASSERT_EQ(weft_spawn(&h, return_arg_plus_one, (void *)1), 0);
	copy = h;
	ASSERT_EQ(weft_join(&h, &r), 0);
	ASSERT_EQ(r, (void *)2);
	/* The next spawn gets the same join state (and, from the cache, the same stack). */
	ASSERT_EQ(weft_spawn(&next, block_on_gate, NULL), 0);
	ASSERT_EQ(next.native, copy.native);
	ASSERT_EQ(weft_join(&copy, &r), -EINVAL);
	ASSERT_EQ(weft_detach(&copy), -EINVAL);
	ASSERT_EQ(weft_is_finished(&copy), -EINVAL);
	ASSERT_NULL(weft_join_handle_thread(&copy));
	ASSERT_EQ(weft_is_finished(&next), 0);	/* the copy did not touch it */
	atomic_store(&gate, 1);
	weft_futex_wake(&gate, 1, false);
	r = (void *)1;
	ASSERT_EQ(weft_join(&next, &r), 0);
	ASSERT_NULL(r);
	atomic_store(&gate, 0);
}

/*
 * A native thread's record (struct weft_thread) lives inside its join state, so a
 * reference taken with weft_thread_get() keeps that join state from reuse until it is
 * dropped: the record stays whole (name, id) and a stale copy of the handle stays
 * -EINVAL. The last put recycles the join state, and frees the name's block.
 */
TEST(a_thread_record_held_past_the_join_keeps_its_join_state_until_put)
{
	struct weft_builder b = { .name = "held past its join" };
	struct weft_join_handle h, copy, other, next;
	struct weft_alloc_stats before, after;
	struct weft_thread *t;
	weft_thread_id_t id;
	void *r = NULL;

	weft_alloc_stats(&before);
	ASSERT_EQ(weft_builder_spawn(&b, &h, return_arg_plus_one, (void *)1), 0);
	copy = h;
	t = weft_thread_get(weft_join_handle_thread(&h));
	id = weft_thread_id(t);
	ASSERT_EQ(weft_join(&h, &r), 0);
	ASSERT_EQ(r, (void *)2);
	/* Still referenced: the next spawn gets another join state. */
	ASSERT_EQ(weft_spawn(&other, return_arg_plus_one, (void *)3), 0);
	ASSERT_NE(other.native, copy.native);
	ASSERT_EQ(weft_join(&other, &r), 0);
	ASSERT_EQ(r, (void *)4);
	ASSERT_STREQ(weft_thread_name(t), "held past its join");
	ASSERT_EQ(weft_thread_id(t), id);
	ASSERT_EQ(weft_join(&copy, &r), -EINVAL);
	weft_thread_put(t);
	/* Now it is free again, and the most recently freed: the next spawn takes it. */
	ASSERT_EQ(weft_spawn(&next, return_arg_plus_one, (void *)5), 0);
	ASSERT_EQ(next.native, copy.native);
	ASSERT_EQ(weft_join(&copy, &r), -EINVAL);
	ASSERT_NE(weft_thread_id(weft_join_handle_thread(&next)), id);
	ASSERT_EQ(weft_join(&next, &r), 0);
	ASSERT_EQ(r, (void *)6);
	weft_alloc_stats(&after);
	ASSERT_EQ(after.blocks, before.blocks);	/* the name's block went with the record */
}

TEST(a_copy_of_a_detached_handle_is_einval_before_and_after_the_thread_ends)
{
	struct weft_join_handle h, copy;

	ASSERT_EQ(weft_spawn(&h, block_on_gate, NULL), 0);
	copy = h;
	ASSERT_EQ(weft_detach(&h), 0);
	ASSERT_EQ(weft_join(&copy, NULL), -EINVAL);	/* still running */
	ASSERT_EQ(weft_detach(&copy), -EINVAL);
	atomic_store(&gate, 1);
	weft_futex_wake(&gate, 1, false);
	/* Once it has freed itself, its join state goes to the next spawn. */
	ASSERT_EQ(weft_spawn(&h, return_arg_plus_one, NULL), 0);
	ASSERT_EQ(weft_join(&copy, NULL), -EINVAL);
	ASSERT_EQ(weft_join(&h, NULL), 0);
	atomic_store(&gate, 0);
}

struct racing_join {
	struct weft_join_handle copy;
	int ret;
	void *result;
};

static void *join_a_copy(void *arg)
{
	struct racing_join *j = arg;

	j->ret = weft_join(&j->copy, &j->result);
	return NULL;
}

TEST(two_threads_joining_one_handle_at_once_one_wins_one_gets_einval)
{
	int rounds = test_under_qemu() ? 20 : 100;

	for (int i = 0; i < rounds; i++) {
		struct racing_join j[2];
		struct weft_join_handle target, joiner[2];

		ASSERT_EQ(weft_spawn(&target, return_arg_plus_one, (void *)(long)i), 0);
		for (int k = 0; k < 2; k++) {
			j[k].copy = target;
			j[k].ret = 99;
			ASSERT_EQ(weft_spawn(&joiner[k], join_a_copy, &j[k]), 0);
		}
		for (int k = 0; k < 2; k++)
			ASSERT_EQ(weft_join(&joiner[k], NULL), 0);
		/* Exactly one joined and got the result; the other was refused, never hung. */
		ASSERT_EQ(j[0].ret + j[1].ret, -EINVAL);
		ASSERT_TRUE(j[0].ret == 0 || j[1].ret == 0);
		ASSERT_EQ(j[j[0].ret == 0 ? 0 : 1].result, (void *)(long)(i + 1));
		ASSERT_EQ(weft_join(&target, NULL), -EINVAL);
	}
}

static void join_a_parent_thread(void *arg)
{
	struct weft_join_handle *h = arg, copy = *h;

	/* Only the forking thread was copied: the handle's thread is not in this process. */
	if (weft_join(h, NULL) != -ESRCH || weft_is_finished(h) != -ESRCH ||
	    weft_detach(&copy) != -ESRCH || !h->native)
		sys_exit_group(1);
	sys_exit_group(0);
}

TEST(joining_in_a_forked_child_a_thread_of_the_parent_is_esrch)
{
	struct weft_join_handle h;
	char err[128];
	int status;

	ASSERT_EQ(weft_spawn(&h, block_on_gate, NULL), 0);
	status = test_run_child(join_a_parent_thread, &h, err, sizeof(err));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	atomic_store(&gate, 1);
	weft_futex_wake(&gate, 1, false);
	ASSERT_EQ(weft_join(&h, NULL), 0);	/* the parent's handle is unharmed */
	atomic_store(&gate, 0);
}

/* ---- results nobody collects: the builder's result destructor -------------------- */

static _Atomic int results_destroyed;
static struct weft_thread *result_waiter;

static void destroy_result(void *result)
{
	weft_free(result);
	atomic_fetch_add(&results_destroyed, 1);
	weft_unpark(result_waiter);
}

static void *return_owned(void *arg)
{
	long *v = weft_malloc(sizeof(*v));

	*v = 7;
	return v;
}

static void *return_owned_when_told(void *arg)
{
	_Atomic int *go = arg;

	while (!atomic_load(go))
		weft_park();
	return return_owned(NULL);
}

static void *panic_instead_of_returning(void *arg)
{
	weft_panic("no result");
}

static void silent(const struct weft_panic_info *info)
{
}

TEST(a_result_nobody_collects_is_destroyed_exactly_once)
{
	struct weft_builder b = { .result_dtor = destroy_result };
	struct test_leak_baseline before;
	struct weft_join_handle h;
	_Atomic int go = 0;
	void *r = NULL;

	result_waiter = weft_current();
	results_destroyed = 0;
	weft_set_panic_hook(silent);
	ASSERT_EQ(weft_builder_spawn(&b, &h, return_owned, NULL), 0);	/* warm up */
	ASSERT_EQ(weft_join(&h, NULL), 0);
	results_destroyed = 0;
	test_leak_baseline_take(&before);
	/* A join that takes the result: handed over, not destroyed. */
	ASSERT_EQ(weft_builder_spawn(&b, &h, return_owned, NULL), 0);
	ASSERT_EQ(weft_join(&h, &r), 0);
	ASSERT_EQ(*(long *)r, 7);
	ASSERT_EQ(results_destroyed, 0);
	weft_free(r);
	/* A join with a NULL result. */
	ASSERT_EQ(weft_builder_spawn(&b, &h, return_owned, NULL), 0);
	ASSERT_EQ(weft_join(&h, NULL), 0);
	ASSERT_EQ(results_destroyed, 1);
	/* Detached after it finished: the detacher destroys it. */
	ASSERT_EQ(weft_builder_spawn(&b, &h, return_owned, NULL), 0);
	while (weft_is_finished(&h) == 0)
		weft_yield();
	ASSERT_EQ(weft_detach(&h), 0);
	ASSERT_EQ(results_destroyed, 2);
	/* Detached while it runs: the thread destroys its own result, and tells us. */
	ASSERT_EQ(weft_builder_spawn(&b, &h, return_owned_when_told, &go), 0);
	struct weft_thread *t = weft_thread_get(weft_join_handle_thread(&h));

	ASSERT_EQ(weft_detach(&h), 0);
	atomic_store(&go, 1);
	weft_unpark(t);
	weft_thread_put(t);
	while (atomic_load(&results_destroyed) < 3)
		weft_park();
	test_wait_for_baseline(&before);	/* it unmaps its own stack after that */
	/* A thread that panicked has no result: only its payload is freed. */
	ASSERT_EQ(weft_builder_spawn(&b, &h, panic_instead_of_returning, NULL), 0);
	ASSERT_EQ(weft_join(&h, NULL), WEFT_PANICKED);
	ASSERT_EQ(results_destroyed, 3);
	ASSERT_NO_LEAK(&before);
	weft_set_panic_hook(NULL);
}

/* ---- weft_thread_exit(): pthread_exit from any depth ------------------------------ */

static char exit_log[64];
static int exit_log_len;

static void exit_note(const char *s)
{
	while (*s && exit_log_len < (int)sizeof(exit_log) - 1)
		exit_log[exit_log_len++] = *s++;
	exit_log[exit_log_len] = 0;
}

static void exit_dtor(long *v)
{
	exit_note(*v == 1 ? "dtor1 " : "dtor? ");
}
WEFT_THREAD_LOCAL(long, exit_local, 0, exit_dtor);

static __attribute__((noinline)) void *exit_at_depth(int depth)
{
	if (depth == 0)
		weft_thread_exit((void *)42);
	if (depth > 100)	/* never: keeps gcc from calling this an infinite recursion */
		return NULL;
	exit_at_depth(depth - 1);
	exit_note("after ");	/* abandoned, as a panic abandons it */
	return NULL;
}

static void *exit_through_a_catch(void *arg)
{
	return exit_at_depth(5);
}

static void *set_local_then_exit_deep(void *arg)
{
	weft_local_set(exit_local, 1);
	/* weft_catch_panic() catches panics only: the exit goes through it. */
	weft_catch_panic(exit_through_a_catch, NULL, NULL);
	exit_note("after-catch ");
	return NULL;
}

TEST(thread_exit_from_a_nested_call_runs_destructors_and_join_sees_the_result)
{
	struct weft_join_handle h;
	void *r = NULL;

	exit_log_len = 0;
	exit_log[0] = 0;
	ASSERT_EQ(weft_spawn(&h, set_local_then_exit_deep, NULL), 0);
	ASSERT_EQ(weft_join(&h, &r), 0);
	ASSERT_EQ(r, (void *)42);
	ASSERT_STREQ(exit_log, "dtor1 ");
	ASSERT_FALSE(weft_panicking());
}

static void *green_exit_deep(void *arg)
{
	return exit_at_depth(3);
}

TEST(thread_exit_in_a_green_thread_ends_that_green_thread)
{
	void *r = NULL;

	ASSERT_EQ(weft_green_sync(green_exit_deep, NULL, &r), 0);
	ASSERT_EQ(r, (void *)42);
}

static void *late_scoped(struct weft_scope *s, void *arg)
{
	for (int i = 0; i < 100; i++)
		weft_yield();
	atomic_store((_Atomic int *)arg, 1);
	return NULL;
}

static void *scoped_exits(struct weft_scope *s, void *arg)
{
	exit_at_depth(2);
	return NULL;
}

static void *scope_fn_exits(struct weft_scope *s, void *arg)
{
	struct weft_scoped_join_handle h;
	void *r = NULL;

	/* A scoped thread that exits: its join sees the result. */
	if (weft_scope_spawn(s, &h, scoped_exits, NULL) || weft_scoped_join(&h, &r) ||
	    r != (void *)42)
		return (void *)1;
	weft_scope_spawn(s, NULL, late_scoped, arg);
	weft_thread_exit((void *)9);	/* the scope still waits for late_scoped */
}

static void *thread_with_a_scope(void *arg)
{
	weft_scope(scope_fn_exits, arg);
	return (void *)2;	/* not reached */
}

TEST(thread_exit_inside_a_scope_waits_for_the_scoped_threads_first)
{
	struct weft_join_handle h;
	_Atomic int finished = 0;
	void *r = NULL;

	ASSERT_EQ(weft_spawn(&h, thread_with_a_scope, &finished), 0);
	ASSERT_EQ(weft_join(&h, &r), 0);
	ASSERT_EQ(r, (void *)9);
	ASSERT_EQ(atomic_load(&finished), 1);
}

static void exit_in_dtor(long *v)
{
	weft_thread_exit(NULL);
}
WEFT_THREAD_LOCAL(long, exiting_local, 0, exit_in_dtor);

static void *set_exiting_local(void *arg)
{
	weft_local_set(exiting_local, 1);
	return NULL;
}

static void spawn_exit_in_dtor(void *arg)
{
	struct weft_join_handle h;

	if (weft_spawn(&h, set_exiting_local, NULL) == 0)
		weft_join(&h, NULL);
	weft_dprintf(2, "joined\n");
}

TEST(thread_exit_in_a_thread_local_destructor_aborts)
{
	char err[512];
	int status = test_run_child(spawn_exit_in_dtor, NULL, err, sizeof(err));

	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGABRT);
	ASSERT_NE_NULL(weft_strstr(err, "fatal runtime error: weft_thread_exit() in a "
				   "thread-local destructor, aborting\n"));
	ASSERT_NULL(weft_strstr(err, "joined"));
}

/* ---- spawning past a limit: an error, and the process keeps working --------- */

#define LIMIT_THREADS 64

/* The number after @key in the text file @path (e.g. "VmSize:" in status); -1 if none. */
static long read_number(const char *path, const char *key)
{
	static char buf[8192];
	long n = test_read_file(path, buf, sizeof(buf) - 1);
	const char *p = buf;
	unsigned long long v;
	char digits[24];
	int len = 0;

	if (n <= 0)
		return -1;
	buf[n] = 0;
	if (*key && !(p = weft_strstr(buf, key)))
		return -1;
	for (p += weft_strlen(key); *p == ' ' || *p == '\t'; p++)
		;
	while (*p >= '0' && *p <= '9' && len < (int)sizeof(digits) - 1)
		digits[len++] = *p++;
	digits[len] = 0;
	return weft_parse_u64(digits, &v) ? -1 : (long)v;
}

/* Bytes of address space the process has mapped (VmSize). */
static unsigned long test_address_space(void)
{
	long kib = read_number("/proc/self/status", "VmSize:");

	return kib > 0 ? (unsigned long)kib << 10 : 0;
}

static _Atomic uint32_t limit_gate;

static void *sleep_at_limit_gate(void *arg)
{
	while (!atomic_load(&limit_gate))
		weft_futex_wait(&limit_gate, 0, false, NULL);
	return NULL;
}

/* Spawn sleepers until refused or @max; Return: the first error (0 if none). */
static int spawn_until_refused(struct weft_join_handle *h, int max, int *live)
{
	struct weft_builder b = { .stack_size = 1 << 20 };
	int err = 0;

	for (*live = 0; *live < max; (*live)++) {
		err = weft_builder_spawn(&b, &h[*live], sleep_at_limit_gate, NULL);
		if (err)
			break;
	}
	return err;
}

/* Wake and join every sleeper, then show the process still works: one more thread. */
static bool recover(struct weft_join_handle *h, int live)
{
	struct weft_join_handle again;

	atomic_store(&limit_gate, 1);
	weft_futex_wake(&limit_gate, INT_MAX, false);
	for (int i = 0; i < live; i++)
		if (weft_join(&h[i], NULL))
			return false;
	return weft_spawn(&again, return_arg_plus_one, NULL) == 0 && weft_join(&again, NULL) == 0;
}

/* Run @fn in a child; Return: its exit status (the step that failed), or -1 if killed. */
static int exit_status_of(void (*fn)(void *))
{
	char err[256];
	int status = test_run_child(fn, NULL, err, sizeof(err));

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void past_rlimit_as(void *arg)
{
	struct weft_join_handle h[LIMIT_THREADS];
	struct rlimit64 lim;
	int live, err;

	/* A process address space ~40 MiB bigger than today's: room for a few 1 MiB threads. */
	weft_thread_cache_trim();
	if (sys_prlimit64(0, RLIMIT_AS, NULL, &lim))
		sys_exit_group(10);
	lim.rlim_cur = test_address_space() + (40 << 20);
	if (sys_prlimit64(0, RLIMIT_AS, &lim, NULL))
		sys_exit_group(11);
	err = spawn_until_refused(h, LIMIT_THREADS, &live);
	/*
	 * qemu-user accepts RLIMIT_AS and ignores it (it would limit qemu itself:
	 * do_prlimit64() in linux-user/syscall.c): there, all the threads fit.
	 */
	if (test_under_qemu() ? err != 0 && err != -EAGAIN : err != -EAGAIN || live == 0)
		sys_exit_group(12);
	lim.rlim_cur = lim.rlim_max;
	if (sys_prlimit64(0, RLIMIT_AS, &lim, NULL) || !recover(h, live))
		sys_exit_group(13);
	sys_exit_group(0);
}

TEST(spawning_past_rlimit_as_is_eagain_and_the_process_goes_on)
{
	ASSERT_EQ(exit_status_of(past_rlimit_as), 0);
}

static void past_rlimit_nproc(void *arg)
{
	struct weft_join_handle h;
	struct rlimit64 lim, one;

	/*
	 * The kernel never applies RLIMIT_NPROC to root (copy_process() in
	 * kernel/fork.c exempts INIT_USER and CAP_SYS_RESOURCE/CAP_SYS_ADMIN):
	 * become nobody, whose only process this is, and allow one.
	 */
	if (weft_syscall3(__NR_setresuid, 65534, 65534, 65534))
		sys_exit_group(10);
	if (sys_prlimit64(0, RLIMIT_NPROC, NULL, &lim))
		sys_exit_group(11);
	one = lim;
	one.rlim_cur = 1;
	if (sys_prlimit64(0, RLIMIT_NPROC, &one, NULL))
		sys_exit_group(12);
	if (weft_spawn(&h, return_arg_plus_one, NULL) != -EAGAIN || h.native)
		sys_exit_group(13);
	if (weft_spawn(&h, return_arg_plus_one, NULL) != -EAGAIN)
		sys_exit_group(14);
	/* Raising the soft limit back, up to the hard one, needs no privilege. */
	if (sys_prlimit64(0, RLIMIT_NPROC, &lim, NULL) || !recover(&h, 0))
		sys_exit_group(15);
	sys_exit_group(0);
}

TEST(spawning_past_rlimit_nproc_is_eagain_and_the_process_goes_on)
{
	ASSERT_EQ(exit_status_of(past_rlimit_nproc), 0);
}

static void past_max_map_count(void *arg)
{
	size_t page = weft_startup_info()->page_size, pages;
	struct weft_join_handle h;
	long max = read_number("/proc/sys/vm/max_map_count", ""), region, i;

	/*
	 * vm.max_map_count cannot be changed by a test, but it can be reached: a
	 * PROT_NONE region with every other page made writable is one VMA per page.
	 * Then the next mmap or split fails with ENOMEM, which weft_spawn reports
	 * as -EAGAIN. The stack cache is emptied first: a cached mapping needs no VMA.
	 */
	if (max <= 0)
		sys_exit_group(10);
	weft_thread_cache_trim();
	pages = 2 * (size_t)max + 2;
	region = sys_mmap(NULL, pages * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			  -1, 0);
	if (sys_is_error(region))
		sys_exit_group(11);
	for (i = 1; i < max; i++) {
		long r = sys_mprotect((char *)region + 2 * i * page, page, PROT_READ);

		if (r == -ENOMEM)
			break;
		if (r)
			sys_exit_group(12);
	}
	if (i == max)
		sys_exit_group(13);	/* never reached the limit */
	if (weft_spawn(&h, return_arg_plus_one, NULL) != -EAGAIN || h.native)
		sys_exit_group(14);
	sys_munmap((void *)region, pages * page);
	if (!recover(&h, 0))
		sys_exit_group(15);
	sys_exit_group(0);
}

TEST_TIMEOUT(spawning_past_max_map_count_is_eagain_and_the_process_goes_on, 120)
{
	ASSERT_EQ(exit_status_of(past_max_map_count), 0);
}
