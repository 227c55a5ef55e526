// SPDX-License-Identifier: MIT
/* Process start: argv, envp and auxv as the kernel passed them; TLS and the canary in main. */
#include <linux/auxvec.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/wait.h>

#include "weft/fault.h"
#include "weft/process.h"
#include "weft/signal.h"

#include "harness.h"
#include "kernel-abi/sys.h"
#include "lib/tcb.h"
#include "tp_arch.h"
#include "weft/thread.h"

TEST(argv_matches_proc_cmdline)
{
	const struct weft_startup *st = weft_startup_info();
	static char buf[8192];
	long n = test_read_file("/proc/self/cmdline", buf, sizeof(buf)), off = 0;

	ASSERT_GT(n, 0);
	ASSERT_GE(st->argc, 1);
	for (int i = 0; i < st->argc; i++) {
		ASSERT_STREQ(st->argv[i], buf + off);
		off += (long)weft_strlen(buf + off) + 1;
	}
	ASSERT_EQ(off, n);
	ASSERT_NULL(st->argv[st->argc]);
	/* argv sits right above argc on the initial stack. */
	ASSERT_EQ(*(long *)st->initial_sp, st->argc);
	ASSERT_EQ((void *)st->argv, (char *)st->initial_sp + 8);
}

TEST(envp_matches_proc_environ)
{
	const struct weft_startup *st = weft_startup_info();
	static char buf[65536];
	long n = test_read_file("/proc/self/environ", buf, sizeof(buf)), off = 0;
	int i = 0;

	ASSERT_GE(n, 0);
	if (test_under_qemu()) {
		/*
		 * qemu-user does not emulate /proc/self/environ: it shows qemu's
		 * own environment, which the guest's was made from (qemu sets "_").
		 */
		for (; st->envp[i]; i++) {
			bool found = false;

			for (off = 0; off < n && !found; off += (long)weft_strlen(buf + off) + 1)
				found = weft_strcmp(st->envp[i], buf + off) == 0;
			if (weft_strncmp(st->envp[i], "_=", 2))
				ASSERT_TRUE(found);
		}
		return;
	}
	for (; st->envp[i]; i++) {
		ASSERT_STREQ(st->envp[i], buf + off);
		off += (long)weft_strlen(buf + off) + 1;
	}
	ASSERT_EQ(off, n);
	/* envp starts right after argv's NULL. */
	ASSERT_EQ((void *)st->envp, (void *)(st->argv + st->argc + 1));
}

TEST(auxv_matches_proc_auxv)
{
	static unsigned long buf[512];
	long fd = sys_openat(AT_FDCWD, "/proc/self/auxv", O_RDONLY, 0), n, len = 0;
	const unsigned long *a = weft_startup_info()->auxv;
	int i = 0;

	ASSERT_GE(fd, 0);
	while ((n = sys_read((int)fd, (char *)buf + len, sizeof(buf) - (size_t)len)) > 0)
		len += n;
	sys_close((int)fd);
	ASSERT_GT(len, 0);
	for (; a[2 * i] != AT_NULL; i++) {
		ASSERT_EQ(a[2 * i], buf[2 * i]);
		ASSERT_EQ(a[2 * i + 1], buf[2 * i + 1]);
	}
	ASSERT_EQ(buf[2 * i], AT_NULL);
	ASSERT_EQ(weft_getauxval(AT_PAGESZ), 4096);
	ASSERT_EQ(weft_startup_info()->page_size, 4096);
	ASSERT_NE(weft_getauxval(AT_RANDOM), 0);
	ASSERT_NE(weft_getauxval(AT_PHDR), 0);
	ASSERT_EQ(weft_getauxval(AT_PHENT), 56);	/* sizeof(Elf64_Phdr) */
	ASSERT_EQ(weft_getauxval(0x7fff), 0);		/* absent type */
}

TEST(getenv_finds_only_whole_names)
{
	const struct weft_startup *st = weft_startup_info();
	const char *first = st->envp[0];

	if (!first)
		SKIP("empty environment");
	char name[128];
	size_t n = 0;

	while (first[n] && first[n] != '=' && n < sizeof(name) - 1) {
		name[n] = first[n];
		n++;
	}
	name[n] = 0;
	ASSERT_STREQ(weft_getenv(name), first + n + 1);
	ASSERT_NULL(weft_getenv("WEFT_SURELY_NOT_SET_ANYWHERE"));
	if (n > 1) {
		name[n - 1] = 0;	/* a prefix of a name is not that name */
		if (weft_getenv(name))
			ASSERT_NE(weft_getenv(name), first + n + 1);
	}
}

static __thread int tls_init = 42;
static __thread long tls_zero;
static __thread char tls_bytes[13] = "hello, tls!";
static __thread long tls_al8 __attribute__((aligned(8))) = 8;
static __thread char tls_al64[64] __attribute__((aligned(64))) = { 64 };
static __thread char tls_al4096[100] __attribute__((aligned(4096))) = { 1, 2, 3 };
static __thread int tls_zero_after_big[10];

TEST(tls_initialised_zeroed_and_aligned)
{
	ASSERT_EQ(tls_init, 42);
	ASSERT_EQ(tls_zero, 0);
	ASSERT_STREQ(tls_bytes, "hello, tls!");
	ASSERT_EQ(tls_al8, 8);
	ASSERT_EQ(tls_al64[0], 64);
	ASSERT_EQ(tls_al4096[2], 3);
	ASSERT_EQ(tls_zero_after_big[9], 0);
	ASSERT_EQ((uintptr_t)&tls_al8 % 8, 0);
	ASSERT_EQ((uintptr_t)&tls_al64 % 64, 0);
	ASSERT_EQ((uintptr_t)&tls_al4096 % 4096, 0);
	tls_init = 7;
	tls_zero = -1;
	tls_al4096[99] = 9;
	ASSERT_EQ(tls_init, 7);
	ASSERT_EQ(tls_zero, -1);
	ASSERT_EQ(tls_al4096[99], 9);
	ASSERT_GE(weft_startup_info()->tls_align, 4096);
}

/*
 * Where the block is depends on the TLS variant (arch/<arch>/tp_arch.h):
 * below tp on x86_64, above it (after a 16-byte gap on aarch64, none on
 * riscv64) with weft's TCB below tp on the others.
 */
TEST(tls_block_sits_where_the_arch_puts_it)
{
	const struct weft_startup *st = weft_startup_info();
	char *tp = weft_arch_tp();
	struct weft_stack_info info;

	weft_stack_info(&info);
	ASSERT_EQ((void *)tp, st->main_tp);
	ASSERT_EQ(info.tp, st->main_tp);
	ASSERT_EQ((uintptr_t)tp % st->tls_align, 0);
	ASSERT_GE(st->tls_size, st->tls_memsz);
	ASSERT_LT(st->tls_size, st->tls_memsz + st->tls_align + WEFT_ARCH_TLS_GAP);
	/* Every TLS variable lies in [tls_block, tls_block + p_memsz). */
	ASSERT_GE((char *)&tls_init, (char *)info.tls_block);
	ASSERT_GE((char *)&tls_al4096, (char *)info.tls_block);
	ASSERT_LT((char *)&tls_zero_after_big[9], (char *)info.tls_block + st->tls_memsz);
	if (WEFT_ARCH_TLS_ABOVE_TP) {
		/* Variant I: the block starts at or after tp + gap; the TCB ends at tp. */
		ASSERT_GE((char *)info.tls_block, tp + WEFT_ARCH_TLS_GAP);
		ASSERT_EQ((char *)info.tls_block + st->tls_memsz, tp + st->tls_size);
		ASSERT_EQ((char *)weft_tcb() + sizeof(struct weft_tcb), tp);
	} else {
		/* Variant II: every TLS variable is in [tp - tls_size, tp); the TCB at tp. */
		ASSERT_EQ((char *)info.tls_block, tp - st->tls_size);
		ASSERT_LT((char *)&tls_zero_after_big[9], tp);
		ASSERT_EQ((char *)weft_tcb(), tp);
	}
}

/*
 * The compiler forms &tls_init from the thread pointer and a link-time
 * offset; weft must have put the .tdata copy exactly there.
 */
TEST(compiler_tls_addresses_match_the_image)
{
	const struct weft_startup *st = weft_startup_info();
	struct weft_stack_info info;
	size_t off;

	weft_stack_info(&info);
	off = (size_t)((char *)&tls_init - (char *)info.tls_block);
	ASSERT_LT(off, st->tls_filesz);
	ASSERT_EQ(memcmp((const char *)st->tls_image + off, &tls_init, sizeof(tls_init)), 0);
	ASSERT_EQ(tls_init, 42);
	ASSERT_EQ(weft_arch_tp(), st->main_tp);
#ifdef __x86_64__
	{
		void *self, *via_tls;

		/* x86_64 only: compilers load the self pointer at %fs:0, add the offset. */
		__asm__("mov %%fs:0, %0" : "=r"(self));
		__asm__("mov %%fs:0, %0; lea tls_init@tpoff(%0), %0" : "=r"(via_tls));
		ASSERT_EQ(self, st->main_tp);
		ASSERT_EQ(via_tls, (void *)&tls_init);
	}
#endif
}

#ifndef WEFT_ARCH_CANARY_OFFSET
extern uintptr_t __stack_chk_guard;
#endif

/* Per thread in the TCB on x86_64; the global __stack_chk_guard on aarch64 and riscv64. */
TEST(canary_is_where_the_compiler_reads_it)
{
	unsigned long c;

#ifdef WEFT_ARCH_CANARY_OFFSET
	c = *(const unsigned long *)((char *)weft_arch_tp() + WEFT_ARCH_CANARY_OFFSET);
#else
	c = __stack_chk_guard;
#endif
	ASSERT_NE(c, 0);
	ASSERT_EQ(c, weft_startup_info()->canary);
	ASSERT_EQ(c & 0xff, 0);		/* terminator byte, as glibc */
}

/* A second run of this very binary prints its canary: it must differ. */
__attribute__((constructor)) static void maybe_print_canary(void)
{
	if (weft_getenv("WEFT_TEST_PRINT_CANARY")) {
		weft_dprintf(1, "%lx\n", (unsigned long)weft_startup_info()->canary);
		sys_exit_group(0);
	}
}

static unsigned long canary_of_new_run(void)
{
	static char *envp[] = { "WEFT_TEST_PRINT_CANARY=1", NULL };
	char out[64];
	int status;
	unsigned long v = 0;

	test_exec_self(envp, 1, out, sizeof(out), &status);
	for (char *p = out; *p && *p != '\n'; p++)
		v = v * 16 + (unsigned long)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
	return v;
}

TEST(canary_differs_between_runs)
{
	unsigned long a = canary_of_new_run(), b = canary_of_new_run();

	ASSERT_NE(a, 0);
	ASSERT_NE(b, 0);
	ASSERT_NE(a, b);
	ASSERT_NE(a, weft_startup_info()->canary);
}

TEST(main_return_value_is_exit_status)
{
	/* The harness itself is a main(); check a child's exit status path. */
	long pid = weft_fork();
	int status;

	if (pid == 0)
		weft_exit(37);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(sys_wait4((int)pid, &status, 0, NULL), pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 37);
}

void __stack_chk_fail(void);

static void call_stack_chk_fail(void *arg)
{
	__stack_chk_fail();
}

TEST(stack_chk_fail_reports_then_aborts)
{
	char err[256];
	int status = test_run_child(call_stack_chk_fail, NULL, err, sizeof(err));

	/* What a protected function calls when its canary was overwritten. */
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGABRT);
	/* The first line; qemu-user adds one of its own about the signal. */
	ASSERT_EQ(weft_strstr(err, "*** stack smashing detected ***: terminated\n"), err);
}

TEST_SIGNAL(abort_raises_sigabrt_even_if_blocked_and_handled, SIGABRT)
{
	kernel_sigset_t set = WEFT_SIGBIT(SIGABRT);

	weft_signal(SIGABRT, (weft_sighandler_t)0x1234 /* never called */, 0,
		    NULL);
	sys_rt_sigprocmask(SIG_BLOCK, &set, NULL);
	weft_abort();
}

static void exit_group_fails(void *arg)
{
	weft_fault_inject(__NR_exit_group, (unsigned long)arg, EINTR);
	weft_exit(7);
}

/*
 * exit_group cannot fail in the kernel, only by injection; running on past it
 * used to fall into __builtin_unreachable() and crash. Now it retries, then
 * makes the bare call: the process still ends, with its own status.
 */
TEST(an_injected_exit_group_failure_still_ends_the_process_with_its_status)
{
	static const unsigned long nths[] = { 1, 2, WEFT_FAULT_EVERY };

	for (unsigned int i = 0; i < sizeof(nths) / sizeof(nths[0]); i++) {
		char err[64];
		int status = test_run_child(exit_group_fails, (void *)nths[i], err, sizeof(err));

		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(WEXITSTATUS(status), 7);
	}
}

static void *return_five(void *arg)
{
	return (void *)5L;
}

TEST(an_injected_exit_failure_still_ends_the_thread)
{
	static const unsigned long nths[] = { 1, WEFT_FAULT_EVERY };

	for (unsigned int i = 0; i < sizeof(nths) / sizeof(nths[0]); i++) {
		struct weft_join_handle h;
		void *r = NULL;

		ASSERT_EQ(weft_fault_inject(__NR_exit, nths[i], EINTR), 0);
		ASSERT_EQ(weft_spawn(&h, return_five, NULL), 0);
		ASSERT_EQ(weft_join(&h, &r), 0);	/* the clear-tid word was cleared */
		ASSERT_GE(weft_fault_fired(), 1);
		weft_fault_clear();
		ASSERT_EQ(r, (void *)5L);
	}
}
