// SPDX-License-Identifier: MIT
/* The harness's runner: fork each test, time it out, print TAP as kselftest does. */
#include <stdarg.h>

#include <asm/unistd.h>
#include <linux/auxvec.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/mman.h>
#include <linux/time.h>
#include <linux/wait.h>

#include "weft/process.h"
#include "weft/signal.h"
#include "weft/time.h"

#include "harness.h"
#include "kernel-abi/sys.h"
#include "lib/thread.h"

/* kselftest's exit statuses; KSFT_PASS_EXIT is parse_args()' "exit 0 now". */
#define KSFT_FAIL 1
#define KSFT_SKIP 4
#define KSFT_PASS_EXIT 256

static struct __test_metadata *tests_head, **tests_tail = &tests_head;
static struct __test_metadata *current_test;
static _Atomic int current_failed;
void (*__test_teardown)(void);

/* Shared with the child: it survives the fork in both directions. */
struct shared {
	char skip_reason[256];
};
static struct shared *shared;

static volatile int child_pid;
static volatile int timed_out;

/* argv[0] of this run, for test_exec_self(). */
static const char *self_argv0 = "/proc/self/exe";

void __register_test(struct __test_metadata *t)
{
	*tests_tail = t;
	tests_tail = &t->next;
}

const char *__test_name(void)
{
	return current_test ? current_test->name : "?";
}

void __test_fail(void)
{
	current_failed = 1;
}

void __test_abort(void)
{
	if (__test_teardown)
		__test_teardown();
	weft_dprintf(1, "# %s: Test terminated by assertion\n", __test_name());
	sys_exit_group(1);	/* all threads of this test's child */
}

void __test_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	weft_vsnprintf(shared->skip_reason, sizeof(shared->skip_reason), fmt, ap);
	va_end(ap);
	if (__test_teardown)
		__test_teardown();
	sys_exit_group(KSFT_SKIP);
}

/*
 * SIGALRM in the parent: the running test is over its time. Each test runs in a
 * process group of its own, so the kill also reaches processes the test forked
 * (a hung grandchild would otherwise outlive the run).
 */
static void on_alarm(int sig, void *info, void *uc)
{
	timed_out = 1;
	if (child_pid > 0)
		sys_kill(-child_pid, SIGKILL);
}

enum result { PASS, FAIL, SKIPPED };

/* alarm(2) without alarm, which asm-generic arches lack: a one-shot ITIMER_REAL. */
static void set_alarm(unsigned int seconds)
{
	struct __kernel_old_itimerval t = { .it_value = { .tv_sec = seconds } };

	sys_setitimer(ITIMER_REAL, &t, NULL);
}

/*
 * dup2(2) without dup2, which asm-generic arches lack. dup3 refuses
 * from == to with -EINVAL where dup2 returns the fd unchanged, O_CLOEXEC
 * and all; skipping the call does exactly what dup2 would.
 */
static void redirect_fd(int from, int to)
{
	if (from != to)
		sys_dup3(from, to, 0);
}

static enum result run_one(struct __test_metadata *t)
{
	int status = 0;
	long pid, r;

	weft_dprintf(1, "#  RUN           %s.%s ...\n", t->fixture, t->name);
	shared->skip_reason[0] = 0;
	timed_out = 0;
	pid = weft_fork();
	if (pid < 0) {
		weft_dprintf(1, "# %s: fork failed: %ld\n", t->name, pid);
		return FAIL;
	}
	if (pid == 0) {
		sys_setpgid(0, 0);
		current_test = t;
		t->fn(t);
		sys_exit_group(current_failed ? 1 : 0);
	}
	/* Also here, so the group exists even if the alarm beats the child's own call. */
	sys_setpgid((int)pid, (int)pid);
	child_pid = (int)pid;
	set_alarm(t->timeout);
	do
		r = sys_wait4((int)pid, &status, 0, NULL);
	while (r == -EINTR);
	set_alarm(0);
	child_pid = 0;

	if (timed_out) {
		weft_dprintf(1, "# %s: Test terminated by timeout\n", t->name);
		return FAIL;
	}
	if (WIFSIGNALED(status)) {
		if (WTERMSIG(status) == t->termsig)
			return PASS;
		weft_dprintf(1, "# %s: Test terminated unexpectedly by signal %d\n", t->name,
			     WTERMSIG(status));
		return FAIL;
	}
	if (t->termsig) {
		weft_dprintf(1, "# %s: Test exited normally instead of by signal %d\n", t->name,
			     t->termsig);
		return FAIL;
	}
	switch (WEXITSTATUS(status)) {
	case 0:
		return PASS;
	case KSFT_SKIP:
		return SKIPPED;
	default:
		return FAIL;
	}
}

/* ---- the command line ------------------------------------------------- */

/*
 * The options of the kernel's harness that make sense without variants:
 * -l lists the tests, -t NAME and -f FIXTURE pick tests (each may be given
 * several times; a test runs if any of them names it). One word without a
 * dash keeps the tests whose name contains it, as before. Anything else is
 * an error: a mistyped option must not run nothing and report success.
 */
#define MAX_PICKS 32

static const char *pick_tests[MAX_PICKS], *pick_fixtures[MAX_PICKS];
static unsigned int nr_pick_tests, nr_pick_fixtures;
static const char *filter;

static void usage(int fd, const char *argv0)
{
	weft_dprintf(fd, "usage: %s [-h] [-l] [-t NAME]... [-f FIXTURE]... [SUBSTRING]\n"
		     "  -l          list the tests, one FIXTURE.NAME per line, and exit\n"
		     "  -t NAME     run the test NAME (or FIXTURE.NAME); may be repeated\n"
		     "  -f FIXTURE  run the tests of FIXTURE (\"global\" for TEST()); may be repeated\n"
		     "  SUBSTRING   run the tests whose name contains SUBSTRING\n", argv0);
}

/* @arg is @t's name, or its fixture, a dot and its name. */
static bool names(const struct __test_metadata *t, const char *arg)
{
	size_t flen = weft_strlen(t->fixture);

	if (!weft_strcmp(arg, t->name))
		return true;
	return !weft_strncmp(arg, t->fixture, flen) && arg[flen] == '.' &&
	       !weft_strcmp(arg + flen + 1, t->name);
}

static bool selected(const struct __test_metadata *t)
{
	bool picked = !nr_pick_tests && !nr_pick_fixtures;

	for (unsigned int i = 0; i < nr_pick_tests && !picked; i++)
		picked = names(t, pick_tests[i]);
	for (unsigned int i = 0; i < nr_pick_fixtures && !picked; i++)
		picked = !weft_strcmp(t->fixture, pick_fixtures[i]);
	return picked && (!filter || weft_strstr(t->name, filter));
}

/* Return: 0 to run the selected tests, or the exit status (-l, -h, an error). */
static int parse_args(int argc, char **argv)
{
	const char *argv0 = argc > 0 ? argv[0] : "test";
	bool list = false;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (arg[0] != '-') {
			if (filter) {
				weft_dprintf(2, "%s: one SUBSTRING only, '%s' is a second\n", argv0,
					     arg);
				usage(2, argv0);
				return KSFT_FAIL;
			}
			filter = arg;
		} else if (!weft_strcmp(arg, "-l")) {
			list = true;
		} else if (!weft_strcmp(arg, "-h")) {
			usage(1, argv0);
			return KSFT_PASS_EXIT;
		} else if ((!weft_strcmp(arg, "-t") || !weft_strcmp(arg, "-f")) && i + 1 < argc) {
			bool test = arg[1] == 't';
			unsigned int *nr = test ? &nr_pick_tests : &nr_pick_fixtures;

			if (*nr == MAX_PICKS) {
				weft_dprintf(2, "%s: more than %d %s options\n", argv0, MAX_PICKS,
					     arg);
				return KSFT_FAIL;
			}
			(test ? pick_tests : pick_fixtures)[(*nr)++] = argv[++i];
		} else {
			weft_dprintf(2, "%s: unknown option or missing argument: '%s'\n", argv0,
				     arg);
			usage(2, argv0);
			return KSFT_FAIL;
		}
	}
	/* A -t or -f that names nothing is a typo, not an empty run. */
	for (unsigned int i = 0; i < nr_pick_tests + nr_pick_fixtures; i++) {
		bool test = i < nr_pick_tests;
		const char *arg = test ? pick_tests[i] : pick_fixtures[i - nr_pick_tests];
		bool found = false;

		for (struct __test_metadata *t = tests_head; t && !found; t = t->next)
			found = test ? names(t, arg) : !weft_strcmp(t->fixture, arg);
		if (!found) {
			weft_dprintf(2, "%s: no %s named '%s' (-l lists them)\n", argv0,
				     test ? "test" : "fixture", arg);
			return KSFT_FAIL;
		}
	}
	if (list) {
		for (struct __test_metadata *t = tests_head; t; t = t->next)
			if (selected(t))
				weft_dprintf(1, "%s.%s\n", t->fixture, t->name);
		return KSFT_PASS_EXIT;
	}
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	unsigned int n = 0, cases = 0, num = 0, pass = 0, fail = 0, skip = 0;
	const char *last_fixture = NULL;
	long p;
	int status;

	if (argc > 0)
		self_argv0 = argv[0];
	status = parse_args(argc, argv);
	if (status)
		return status == KSFT_PASS_EXIT ? 0 : status;
	p = sys_mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	if (p < 0 && p > -4096)
		return 1;
	shared = (struct shared *)p;
	weft_signal(SIGALRM, on_alarm, 0, NULL);	/* no SA_RESTART: wait4 sees EINTR */

	for (struct __test_metadata *t = tests_head; t; t = t->next) {
		if (!selected(t))
			continue;
		n++;
		if (!last_fixture || weft_strcmp(last_fixture, t->fixture)) {
			cases++;
			last_fixture = t->fixture;
		}
	}
	weft_dprintf(1, "TAP version 13\n1..%u\n", n);
	weft_dprintf(1, "# Starting %u tests from %u test cases.\n", n, cases);
	for (struct __test_metadata *t = tests_head; t; t = t->next) {
		if (!selected(t))
			continue;
		num++;
		switch (run_one(t)) {
		case PASS:
			pass++;
			weft_dprintf(1, "#            OK  %s.%s\nok %u %s.%s\n", t->fixture, t->name,
				     num, t->fixture, t->name);
			break;
		case SKIPPED:
			skip++;
			weft_dprintf(1, "#      SKIP      %s\n#            OK  %s.%s\n"
				     "ok %u %s.%s # SKIP %s\n", shared->skip_reason, t->fixture,
				     t->name, num, t->fixture, t->name, shared->skip_reason);
			break;
		case FAIL:
			fail++;
			weft_dprintf(1, "#          FAIL  %s.%s\nnot ok %u %s.%s\n", t->fixture,
				     t->name, num, t->fixture, t->name);
			break;
		}
	}
	weft_dprintf(1, "# %s: %u / %u tests passed.\n", fail ? "FAILED" : "PASSED", pass + skip,
		     n);
	weft_dprintf(1, "# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:%u error:0\n", pass, fail,
		     skip);
	if (fail)
		return 1;
	return (n && skip == n) ? KSFT_SKIP : 0;
}

/* ---- helpers ---------------------------------------------------------- */

long test_read_file(const char *path, char *buf, size_t size)
{
	long fd = sys_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0), n, len = 0;

	if (fd < 0)
		return fd;
	while ((size_t)len + 1 < size && (n = sys_read((int)fd, buf + len, size - 1 - (size_t)len)) > 0)
		len += n;
	sys_close((int)fd);
	buf[len] = 0;
	return len;
}

int test_count_maps(void)
{
	static char buf[1 << 20];
	long n = test_read_file("/proc/self/maps", buf, sizeof(buf));
	int lines = 0;

	for (long i = 0; i < n; i++)
		lines += buf[i] == '\n';
	return lines;
}

/*
 * Entries of the directory at @path, less "." and "..": one getdents64(2) buffer
 * at a time. Return: the count, or -errno.
 */
static int count_dir_entries(const char *path)
{
	long fd = sys_openat(AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	char buf[4096];
	int count = 0;
	long n;

	if (fd < 0)
		return (int)fd;
	while ((n = weft_syscall3(__NR_getdents64, fd, (long)buf, sizeof(buf))) > 0) {
		/* struct linux_dirent64: d_reclen at offset 16, d_name at 19. */
		for (long off = 0; off < n;) {
			unsigned short reclen = *(unsigned short *)(void *)(buf + off + 16);
			const char *name = buf + off + 19;

			if (name[0] != '.')
				count++;
			off += reclen;
		}
	}
	sys_close((int)fd);
	return n < 0 ? (int)n : count;
}

int test_count_fds(void)
{
	int count = count_dir_entries("/proc/self/fd");

	return count < 0 ? count : count - 1;	/* not the directory we read it with */
}

int test_count_tasks(void)
{
	return count_dir_entries("/proc/self/task");
}

int test_run_child(void (*fn)(void *), void *arg, char *err, size_t errsize)
{
	int fds[2], status = 0;
	long pid, n, len = 0;

	if (sys_pipe2(fds, O_CLOEXEC))
		return -1;
	pid = weft_fork();
	if (pid == 0) {
		redirect_fd(fds[1], 2);
		sys_close(fds[0]);
		fn(arg);
		sys_exit_group(0);
	}
	sys_close(fds[1]);
	while ((n = sys_read(fds[0], err + len, errsize - 1 - (size_t)len)) > 0 ||
	       n == -EINTR)
		if (n > 0)
			len += n;
	err[len] = 0;
	sys_close(fds[0]);
	while (sys_wait4((int)pid, &status, 0, NULL) == -EINTR)
		;
	return status;
}

bool test_under_qemu(void)
{
	/* The kernel always maps a vDSO; qemu-user 7.2 provides none. */
	return weft_getauxval(AT_SYSINFO_EHDR) == 0;
}

void test_child_exit(int status)
{
	if (status == 0 && test_under_qemu())
		sys_kill((int)sys_getpid(), SIGKILL);
	sys_exit_group(status);
	__builtin_trap();
}

bool test_child_exited(int status, int code)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status) == code;
	return code == 0 && test_under_qemu() && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

long test_exec_self(char *const envp[], int fd, char *out, size_t size, int *status)
{
	char *const argv[] = { (char *)self_argv0, "no-test-has-this-name", NULL };
	char drop[512];
	int fds[2];
	long pid, n, len = 0;

	*status = -1;
	out[0] = 0;
	n = sys_pipe2(fds, O_CLOEXEC);
	if (n)
		return n;
	pid = weft_fork();
	if (pid < 0) {
		sys_close(fds[0]);
		sys_close(fds[1]);
		return pid;
	}
	if (pid == 0) {
		/*
		 * Under qemu-user a guest's execve runs the new program natively
		 * (qemu hands it to the host kernel). In the qemu pass the runner
		 * names qemu in WEFT_TEST_QEMU, so the new run is emulated too.
		 */
		const char *qemu = weft_getenv("WEFT_TEST_QEMU");
		char *const qemu_argv[] = { (char *)qemu, (char *)self_argv0,
					    "no-test-has-this-name", NULL };

		redirect_fd(fds[1], fd);	/* the copy has no O_CLOEXEC */
		if (qemu && *qemu && test_under_qemu())
			sys_execve(qemu, qemu_argv, envp);
		else
			sys_execve("/proc/self/exe", argv, envp);
		sys_exit_group(99);
	}
	sys_close(fds[1]);
	for (;;) {
		bool full = (size_t)len + 1 >= size;

		n = full ? sys_read(fds[0], drop, sizeof(drop))
			 : sys_read(fds[0], out + len, size - 1 - (size_t)len);
		if (n == -EINTR)
			continue;
		if (n <= 0)
			break;
		if (!full)
			len += n;
	}
	out[len] = 0;
	sys_close(fds[0]);
	while (sys_wait4((int)pid, status, 0, NULL) == -EINTR)
		;
	return len;
}

void *test_run_in_thread(weft_thread_fn fn, void *arg, const char *name)
{
	struct weft_builder b = { .name = name };
	struct weft_join_handle h;
	void *result = NULL;
	int err = weft_builder_spawn(&b, &h, fn, arg);

	if (err) {
		weft_dprintf(1, "# %s: spawning thread '%s' failed: %d\n", __test_name(),
			     name ? name : "", err);
		__test_abort();
	}
	err = weft_join(&h, &result);
	if (err) {
		weft_dprintf(1, "# %s: joining thread '%s' failed: %d\n", __test_name(),
			     name ? name : "", err);
		__test_abort();
	}
	return result;
}

void test_leak_baseline_take(struct test_leak_baseline *b)
{
	weft_thread_cache_trim();
	b->maps = test_count_maps();
	b->fds = test_count_fds();
	weft_alloc_stats(&b->alloc);
}

void test_wait_for_baseline(const struct test_leak_baseline *b)
{
	uint64_t deadline = weft_deadline_in(20ULL * 1000 * 1000 * 1000);
	struct test_leak_baseline now;

	for (;;) {
		test_leak_baseline_take(&now);
		if ((now.maps <= b->maps && now.alloc.blocks <= b->alloc.blocks) ||
		    weft_now() >= deadline)
			return;
		weft_yield();
	}
}
