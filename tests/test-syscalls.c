// SPDX-License-Identifier: MIT
/* The syscall layer: each sys_*() wrapper's success and -errno paths, tracing, fault injection. */

/*
 * The wrappers in kernel-abi/sys.h promise to return exactly what the kernel
 * returned. Each test below makes the kernel fail a call on purpose (one bad
 * argument at a time, the errno the man page documents for it) and then makes
 * it succeed. A wrapper that passed its arguments in the wrong register or
 * order, or turned -errno into -1, fails here first.
 */
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/futex.h>
#include <linux/mman.h>
#include <linux/prctl.h>
#include <linux/resource.h>
#include <linux/sched.h>
#include <linux/signal.h>
#include <linux/time.h>

#include "weft/fault.h"
#include "weft/process.h"

#include "harness.h"
#include "lib/trace.h"

#define PAGE 4096

static bool is_err(long r)
{
	return r < 0 && r > -4096;
}

/* ---- files and processes ------------------------------------------------ */

TEST(read_and_write)
{
	int fds[2];
	char buf[8];

	ASSERT_EQ(sys_read(-1, buf, sizeof(buf)), -EBADF);
	ASSERT_EQ(sys_write(-1, "x", 1), -EBADF);
	ASSERT_EQ(sys_pipe2(fds, O_CLOEXEC), 0);
	/* Each end of a pipe is open for one direction only. */
	EXPECT_EQ(sys_read(fds[1], buf, sizeof(buf)), -EBADF);
	EXPECT_EQ(sys_write(fds[0], "x", 1), -EBADF);
	ASSERT_EQ(sys_write(fds[1], "abc", 3), 3);
	ASSERT_EQ(sys_read(fds[0], buf, sizeof(buf)), 3);
	ASSERT_EQ(memcmp(buf, "abc", 3), 0);
	ASSERT_EQ(sys_close(fds[1]), 0);
	ASSERT_EQ(sys_read(fds[0], buf, sizeof(buf)), 0);	/* EOF: no writer left */
	ASSERT_EQ(sys_close(fds[0]), 0);
}

TEST(openat_and_close)
{
	char c;
	long fd;

	ASSERT_EQ(sys_openat(AT_FDCWD, "/nonexistent/weft", O_RDONLY, 0), -ENOENT);
	ASSERT_EQ(sys_openat(AT_FDCWD, "/dev/null", O_RDONLY | O_DIRECTORY, 0), -ENOTDIR);
	ASSERT_EQ(sys_openat(-1, "relative", O_RDONLY, 0), -EBADF);
	fd = sys_openat(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(sys_read((int)fd, &c, 1), 0);
	ASSERT_EQ(sys_close((int)fd), 0);
	ASSERT_EQ(sys_close((int)fd), -EBADF);	/* already closed */
	ASSERT_EQ(sys_close(-1), -EBADF);
}

TEST(pipe2_and_dup3)
{
	int fds[2];
	char c;

	/* pipe2 takes only O_CLOEXEC, O_NONBLOCK, O_DIRECT (and O_EXCL for watch queues). */
	ASSERT_EQ(sys_pipe2(fds, O_APPEND), -EINVAL);
	ASSERT_EQ(sys_pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
	ASSERT_NE(fds[0], fds[1]);
	ASSERT_EQ(sys_read(fds[0], &c, 1), -EAGAIN);	/* O_NONBLOCK took effect */
	ASSERT_EQ(sys_dup3(-1, 100, 0), -EBADF);
	/* Unlike dup2, where it is a no-op that checks the fd. */
	ASSERT_EQ(sys_dup3(fds[1], fds[1], 0), -EINVAL);
	ASSERT_EQ(sys_dup3(fds[1], 100, O_NONBLOCK), -EINVAL);	/* only O_CLOEXEC */
	ASSERT_EQ(sys_dup3(fds[1], 100, 0), 100);
	ASSERT_EQ(sys_write(100, "z", 1), 1);
	ASSERT_EQ(sys_read(fds[0], &c, 1), 1);
	ASSERT_EQ(c, 'z');
	ASSERT_EQ(sys_close(100), 0);
	sys_close(fds[0]);
	sys_close(fds[1]);
}

TEST(getpid_gettid_set_tid_address)
{
	static int clear_tid;
	long pid = sys_getpid(), tid = sys_gettid();

	ASSERT_GT(pid, 0);
	ASSERT_GT(tid, 0);
	ASSERT_EQ(pid, tid);	/* each test runs single-threaded in its own process */
	/* set_tid_address(2) "always returns the caller's thread ID". */
	ASSERT_EQ(sys_set_tid_address(&clear_tid), tid);
	ASSERT_EQ(sys_set_tid_address(NULL), tid);
}

static int wait_status(long pid)
{
	int status = -1;
	long r;

	while ((r = sys_wait4((int)pid, &status, 0, NULL)) == -EINTR)
		;
	return r == pid ? status : -1;
}

TEST(exit_exit_group_and_wait4)
{
	int status;
	long pid;

	ASSERT_EQ(sys_wait4(-1, &status, 0, NULL), -ECHILD);	/* no children yet */
	ASSERT_EQ(sys_wait4(-1, &status, WNOHANG, NULL), -ECHILD);
	ASSERT_EQ(sys_wait4(-1, &status, 0x100 /* no such option */, NULL), -EINVAL);

	pid = weft_fork();
	if (pid == 0)
		sys_exit(7);	/* the only thread: the process ends with it */
	ASSERT_GT(pid, 0);
	status = wait_status(pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 7);

	pid = weft_fork();
	if (pid == 0)
		sys_exit_group(300);	/* only the low 8 bits reach the parent */
	status = wait_status(pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 300 & 0xff);
}

TEST(execve_missing_file)
{
	static char *argv[] = { "nonexistent", NULL }, *envp[] = { NULL };

	ASSERT_EQ(sys_execve("/nonexistent/weft", argv, envp), -ENOENT);
	ASSERT_EQ(sys_execve("/dev/null", argv, envp), -EACCES);	/* not executable */
}

TEST(kill_and_tgkill)
{
	int pid = (int)sys_getpid(), tid = (int)sys_gettid();
	kernel_sigset_t usr1 = WEFT_SIGBIT(SIGUSR1);

	ASSERT_EQ(sys_kill(pid, 65), -EINVAL);	/* _NSIG is 64 */
	ASSERT_EQ(sys_kill(pid, -1), -EINVAL);
	ASSERT_EQ(sys_tgkill(pid, tid, 65), -EINVAL);
	ASSERT_EQ(sys_tgkill(pid, 0, SIGUSR1), -EINVAL);	/* tid must be positive */
	ASSERT_EQ(sys_tgkill(0, tid, SIGUSR1), -EINVAL);
	ASSERT_EQ(sys_setpgid(0, -1), -EINVAL);	/* the harness made us a group leader */
	ASSERT_EQ(sys_setpgid(0, 0), 0);
	/* Signal 0 only checks that the target exists and may be signalled. */
	ASSERT_EQ(sys_kill(pid, 0), 0);
	ASSERT_EQ(sys_tgkill(pid, tid, 0), 0);
	/* A real, blocked one: it stays pending, and the test's process exits normally. */
	ASSERT_EQ(sys_rt_sigprocmask(SIG_BLOCK, &usr1, NULL), 0);
	ASSERT_EQ(sys_tgkill(pid, tid, SIGUSR1), 0);
	ASSERT_EQ(sys_kill(pid, SIGUSR1), 0);
}

TEST(clone_flags)
{
	long pid;

	/* A thread shares its signal handlers (kernel/fork.c copy_process). */
	ASSERT_EQ(sys_clone(CLONE_THREAD | SIGCHLD, NULL, NULL, NULL, 0), -EINVAL);
	/* Shared handlers need a shared address space. */
	ASSERT_EQ(sys_clone(CLONE_SIGHAND | SIGCHLD, NULL, NULL, NULL, 0), -EINVAL);

	pid = sys_clone(SIGCHLD, NULL, NULL, NULL, 0);	/* fork */
	if (pid == 0)
		sys_exit_group(3);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(WEXITSTATUS(wait_status(pid)), 3);
}

TEST(prlimit64)
{
	struct rlimit64 lim, same;

	ASSERT_EQ(sys_prlimit64(0, RLIM_NLIMITS + 100, NULL, &lim), -EINVAL);
	ASSERT_EQ(sys_prlimit64(0, RLIMIT_NOFILE, NULL, &lim), 0);
	ASSERT_GT(lim.rlim_cur, 3);
	ASSERT_LE(lim.rlim_cur, lim.rlim_max);
	/* Setting what is already there; old and new in one call. */
	ASSERT_EQ(sys_prlimit64(0, RLIMIT_NOFILE, &lim, &same), 0);
	ASSERT_EQ(same.rlim_cur, lim.rlim_cur);
	ASSERT_EQ(same.rlim_max, lim.rlim_max);
	/* A soft limit above the hard one is refused. */
	if (lim.rlim_max != RLIM_INFINITY) {
		same.rlim_cur = lim.rlim_max + 1;
		ASSERT_EQ(sys_prlimit64(0, RLIMIT_NOFILE, &same, NULL), -EINVAL);
	}
}

TEST(prctl_name)
{
	char name[16];

	ASSERT_EQ(sys_prctl(0x7fffffff, 0, 0, 0, 0), -EINVAL);
	ASSERT_EQ(sys_prctl(PR_SET_NAME, (unsigned long)"weft-syscalls", 0, 0, 0), 0);
	/* qemu-user reads and writes 16 bytes here (abi-notes.rst §10): a full buffer. */
	ASSERT_EQ(sys_prctl(PR_GET_NAME, (unsigned long)name, 0, 0, 0), 0);
	ASSERT_STREQ(name, "weft-syscalls");
}

TEST(setitimer_real)
{
	struct __kernel_old_itimerval set = { .it_value = { .tv_sec = 1000 } }, off = { 0 }, old;

	/* The harness's timer belongs to its parent process; a fork inherits none. */
	ASSERT_EQ(sys_setitimer(ITIMER_REAL, &set, &old), 0);
	ASSERT_EQ(old.it_value.tv_sec, 0);
	ASSERT_EQ(old.it_value.tv_usec, 0);
	/* Cancelling returns what was left, in seconds and microseconds. */
	ASSERT_EQ(sys_setitimer(ITIMER_REAL, &off, &old), 0);
	ASSERT_GE(old.it_value.tv_sec, 998);
	ASSERT_LE(old.it_value.tv_sec, 1000);
	ASSERT_LT(old.it_value.tv_usec, 1000000);
	ASSERT_EQ(sys_setitimer(3 /* no such timer */, &set, NULL), -EINVAL);
}

/* ---- memory ------------------------------------------------------------- */

TEST(mmap_munmap_mprotect_madvise)
{
	long p;
	char *mem;

	ASSERT_EQ(sys_mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), -EINVAL);
	/* Exactly one of MAP_PRIVATE and MAP_SHARED. */
	ASSERT_EQ(sys_mmap(NULL, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0), -EINVAL);
	ASSERT_EQ(sys_mmap((void *)(0x10000000 + 1), PAGE, PROT_READ,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), -EINVAL);
	ASSERT_EQ(sys_mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, -1, 0), -EBADF);

	p = sys_mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_FALSE(is_err(p));
	mem = (char *)p;
	ASSERT_EQ(p % PAGE, 0);
	ASSERT_EQ(mem[0], 0);	/* anonymous memory starts zeroed */
	mem[0] = 1;
	mem[2 * PAGE - 1] = 2;

	ASSERT_EQ(sys_munmap(mem + 1, PAGE), -EINVAL);
	ASSERT_EQ(sys_mprotect(mem + 1, PAGE, PROT_READ), -EINVAL);
	ASSERT_EQ(sys_mprotect(mem, PAGE, 0x100 /* no such PROT_ bit */), -EINVAL);
	ASSERT_EQ(sys_madvise(mem + 1, PAGE, MADV_DONTNEED), -EINVAL);
	ASSERT_EQ(sys_mprotect(mem, PAGE, PROT_READ), 0);
	ASSERT_EQ(mem[0], 1);
	ASSERT_EQ(sys_madvise(mem, 2 * PAGE, MADV_DONTNEED), 0);
	ASSERT_EQ(sys_munmap(mem, 2 * PAGE), 0);
	/* Unmapping nothing is not an error. */
	ASSERT_EQ(sys_munmap(mem, 2 * PAGE), 0);
}

/* Setting the thread pointer to what it is changes nothing, on every arch. */
TEST(thread_pointer_round_trips)
{
	void *tp = weft_arch_tp();

	ASSERT_EQ(tp, weft_startup_info()->main_tp);
	ASSERT_EQ(sys_set_thread_pointer(tp), 0);
	ASSERT_EQ(weft_arch_tp(), tp);
#ifdef __NR_arch_prctl
	{
		unsigned long fs = 0;

		/* x86_64: arch_prctl reads it back, and refuses unknown codes. */
		ASSERT_EQ(sys_arch_prctl(0x9999, 0), -EINVAL);
		ASSERT_EQ(sys_arch_prctl(ARCH_GET_FS, (unsigned long)&fs), 0);
		ASSERT_EQ(fs, (unsigned long)tp);
	}
#endif
}

/* ---- signals ------------------------------------------------------------ */

TEST(rt_sigaction)
{
	struct kernel_sigaction ign = { .handler = (void *)1 /* SIG_IGN */ }, old;

	/* SIGKILL and SIGSTOP cannot be caught or ignored; reading them is fine. */
	ASSERT_EQ(sys_rt_sigaction(SIGKILL, &ign, NULL), -EINVAL);
	ASSERT_EQ(sys_rt_sigaction(SIGSTOP, &ign, NULL), -EINVAL);
	ASSERT_EQ(sys_rt_sigaction(0, &ign, NULL), -EINVAL);
	ASSERT_EQ(sys_rt_sigaction(65, &ign, NULL), -EINVAL);
	ASSERT_EQ(sys_rt_sigaction(SIGKILL, NULL, &old), 0);
	ASSERT_NULL(old.handler);

	ASSERT_EQ(sys_rt_sigaction(SIGUSR2, &ign, &old), 0);
	ASSERT_NULL(old.handler);	/* SIG_DFL */
	ASSERT_EQ(sys_rt_sigaction(SIGUSR2, NULL, &old), 0);
	ASSERT_EQ((long)old.handler, 1);
}

TEST(rt_sigprocmask)
{
	kernel_sigset_t set = WEFT_SIGBIT(SIGUSR1) | WEFT_SIGBIT(SIGKILL), old;

	ASSERT_EQ(sys_rt_sigprocmask(99, &set, NULL), -EINVAL);
	ASSERT_EQ(sys_rt_sigprocmask(SIG_SETMASK, NULL, &old), 0);
	ASSERT_EQ(sys_rt_sigprocmask(SIG_BLOCK, &set, NULL), 0);
	ASSERT_EQ(sys_rt_sigprocmask(SIG_BLOCK, NULL, &set), 0);
	ASSERT_TRUE(set & WEFT_SIGBIT(SIGUSR1));
	ASSERT_FALSE(set & WEFT_SIGBIT(SIGKILL));	/* silently never blocked */
	ASSERT_EQ(sys_rt_sigprocmask(SIG_SETMASK, &old, NULL), 0);
	ASSERT_EQ(sys_rt_sigprocmask(SIG_BLOCK, NULL, &set), 0);
	ASSERT_EQ(set, old);
}

TEST(sigaltstack)
{
	static char stack[64 * 1024];
	struct kernel_stack small = { .sp = stack, .size = 1024 };
	struct kernel_stack bad_flags = { .sp = stack, .flags = 0x1234, .size = sizeof(stack) };
	struct kernel_stack ss = { .sp = stack, .size = sizeof(stack) }, old, now;

	ASSERT_EQ(sys_sigaltstack(&small, NULL), -ENOMEM);	/* under MINSIGSTKSZ */
	ASSERT_EQ(sys_sigaltstack(&bad_flags, NULL), -EINVAL);
	/* weft may give the main thread an alternate stack already: keep it. */
	ASSERT_EQ(sys_sigaltstack(NULL, &old), 0);
	ASSERT_EQ(sys_sigaltstack(&ss, NULL), 0);
	ASSERT_EQ(sys_sigaltstack(NULL, &now), 0);
	ASSERT_EQ(now.sp, (void *)stack);
	ASSERT_EQ(now.size, sizeof(stack));
	ASSERT_EQ(now.flags, 0);	/* not SS_DISABLE, and not running on it */
	ASSERT_EQ(sys_sigaltstack(&old, NULL), 0);
}

/* ---- time and scheduling ------------------------------------------------ */

TEST(clock_gettime)
{
	struct __kernel_timespec a, b;

	ASSERT_EQ(sys_clock_gettime(1000, &a), -EINVAL);
	ASSERT_EQ(sys_clock_gettime(CLOCK_MONOTONIC, &a), 0);
	ASSERT_EQ(sys_clock_gettime(CLOCK_MONOTONIC, &b), 0);
	ASSERT_GE(a.tv_nsec, 0);
	ASSERT_LT(a.tv_nsec, 1000000000);
	ASSERT_TRUE(b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec));
	ASSERT_EQ(sys_clock_gettime(CLOCK_REALTIME, &a), 0);
	ASSERT_GT(a.tv_sec, 1500000000);	/* after 2017 */
}

TEST(clock_nanosleep_without_sleeping)
{
	struct __kernel_timespec zero = { 0, 0 }, bad = { 0, 1000000000 }, now;

	ASSERT_EQ(sys_clock_nanosleep(1000, 0, &zero, NULL), -EINVAL);
	ASSERT_EQ(sys_clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL), -EINVAL);
	ASSERT_EQ(sys_clock_nanosleep(CLOCK_MONOTONIC, 0, &zero, NULL), 0);
	/* An absolute deadline already past returns at once. */
	ASSERT_EQ(sys_clock_gettime(CLOCK_MONOTONIC, &now), 0);
	ASSERT_EQ(sys_clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, NULL), 0);
}

TEST(sched_yield_and_getaffinity)
{
	unsigned long mask[16] = { 0 };
	long len;
	int cpus = 0;

	ASSERT_EQ(sys_sched_yield(), 0);
	/* The length must be a multiple of sizeof(long) (qemu checks this as well). */
	ASSERT_EQ(sys_sched_getaffinity(0, 4, mask), -EINVAL);
	len = sys_sched_getaffinity(0, sizeof(mask), mask);
	ASSERT_GT(len, 0);	/* bytes written: the kernel's cpumask size */
	ASSERT_EQ(len % 8, 0);
	ASSERT_LE(len, (long)sizeof(mask));
	/* Bit by bit: __builtin_popcount would need libgcc, which weft does not link. */
	for (int i = 0; i < 16 * 64; i++)
		cpus += (mask[i / 64] >> (i % 64)) & 1;
	ASSERT_GE(cpus, 1);	/* we are running on one */
}

TEST(futex)
{
	static uint32_t words[2];
	struct __kernel_timespec zero = { 0, 0 };
	uint32_t *misaligned = (uint32_t *)(void *)((char *)words + 1);

	words[0] = 5;
	ASSERT_EQ(sys_futex(misaligned, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), -EINVAL);
	ASSERT_EQ(sys_futex(words, 99, 0, NULL, NULL, 0), -ENOSYS);	/* no such op */
	/* The value check is what makes futex waits race-free: 5 != 4, return at once. */
	ASSERT_EQ(sys_futex(words, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0), -EAGAIN);
	ASSERT_EQ(sys_futex(words, FUTEX_WAIT_PRIVATE, 5, &zero, NULL, 0), -ETIMEDOUT);
	ASSERT_EQ(sys_futex(words, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);	/* none woken */
}

/* ---- tracing ------------------------------------------------------------ */

/* What the trace wrote into a pipe since tracing was switched on; tracing is off again. */
static long read_trace(int fds[2], int old_fd, char *buf, size_t size)
{
	long n;

	weft_trace_set_fd(old_fd);
	sys_close(fds[1]);
	n = sys_read(fds[0], buf, size - 1);
	sys_close(fds[0]);
	if (n < 0)
		return n;
	buf[n] = 0;
	return n;
}

TEST(trace_line_with_why)
{
	char got[256], want[256];
	long tid = sys_gettid();
	int fds[2], old;

	ASSERT_EQ(sys_pipe2(fds, O_CLOEXEC), 0);
	old = weft_trace_set_fd(fds[1]);
	ASSERT_EQ(old, -1);	/* tracing was off */
	sys_why("testing %s", "why");
	ASSERT_EQ(sys_close(-1), -EBADF);
	ASSERT_GT(read_trace(fds, old, got, sizeof(got)), 0);
	weft_snprintf(want, sizeof(want), "[weft %ld] close(-1) = -1 EBADF (why: testing why)\n",
		      tid);
	ASSERT_STREQ(got, want);
}

TEST(trace_decodes_arguments)
{
	char got[512], want[512];
	long tid = sys_gettid(), p;
	int fds[2], old;

	ASSERT_EQ(sys_pipe2(fds, O_CLOEXEC), 0);
	old = weft_trace_set_fd(fds[1]);
	p = sys_mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	sys_openat(AT_FDCWD, "/nonexistent/weft", O_RDONLY | O_CLOEXEC, 0);
	ASSERT_GT(read_trace(fds, old, got, sizeof(got)), 0);
	ASSERT_FALSE(is_err(p));
	sys_munmap((void *)p, PAGE);
	/* Flags by name, the offset in hex, the result as a pointer; errors by errno name. */
	weft_snprintf(want, sizeof(want),
		      "[weft %ld] mmap(NULL, 4096, PROT_READ|PROT_WRITE, "
		      "MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0) = %p\n"
		      "[weft %ld] openat(AT_FDCWD, \"/nonexistent/weft\", O_RDONLY|O_CLOEXEC, 0x0) "
		      "= -1 ENOENT\n",
		      tid, (void *)p, tid);
	ASSERT_STREQ(got, want);
}

TEST(trace_says_injected)
{
	char got[256], want[256];
	long tid = sys_gettid();
	int fds[2], old;

	ASSERT_EQ(sys_pipe2(fds, O_CLOEXEC), 0);
	ASSERT_EQ(weft_fault_inject(__NR_close, 1, EIO), 0);
	old = weft_trace_set_fd(fds[1]);
	ASSERT_EQ(sys_close(-1), -EIO);
	ASSERT_EQ(sys_close(-1), -EBADF);
	ASSERT_GT(read_trace(fds, old, got, sizeof(got)), 0);
	weft_fault_clear();
	weft_snprintf(want, sizeof(want),
		      "[weft %ld] close(-1) = -1 EIO (injected)\n"
		      "[weft %ld] close(-1) = -1 EBADF\n", tid, tid);
	ASSERT_STREQ(got, want);
}

/* The trace's names, for messages: either sign, NULL for what the table does not name. */
TEST(errno_name_is_the_trace_name)
{
	ASSERT_STREQ(weft_errno_name(EAGAIN), "EAGAIN");
	ASSERT_STREQ(weft_errno_name(-EAGAIN), "EAGAIN");
	ASSERT_STREQ(weft_errno_name(-ENOMEM), "ENOMEM");
	ASSERT_STREQ(weft_errno_name(EOWNERDEAD), "EOWNERDEAD");
	ASSERT_NULL(weft_errno_name(0));
	ASSERT_NULL(weft_errno_name(4095));
	ASSERT_NULL(weft_errno_name(-2147483647 - 1));	/* INT_MIN: no overflow */
	ASSERT_NULL(weft_errno_name(256 + EAGAIN));	/* no truncation to a byte */
}

/*
 * Start-up tracing is tested on a fresh run of this binary: only then do the
 * calls made before main() (the TLS block, the thread pointer) happen. This
 * constructor ends that run before any test runs.
 */
__attribute__((constructor)) static void exit_early_when_asked(void)
{
	if (weft_getenv("WEFT_TEST_SYSCALLS_EXIT_EARLY"))
		sys_exit_group(0);
}

/* The line of @text containing @needle, copied into @line. Return: found. */
static bool find_line(const char *text, const char *needle, char *line, size_t size)
{
	const char *hit = weft_strstr(text, needle), *start, *end;
	size_t len;

	if (!hit)
		return false;
	for (start = hit; start > text && start[-1] != '\n'; start--)
		;
	end = weft_strchr(hit, '\n');
	len = (size_t)((end ? end : hit + weft_strlen(hit)) - start);
	if (len >= size)
		len = size - 1;
	memcpy(line, start, len);
	line[len] = 0;
	return true;
}

/*
 * Whether @s has exactly the shape of @pattern, in which "%d" stands for a
 * decimal number and "%x" for a hex one; their values go to @values in order.
 */
static bool has_shape(const char *s, const char *pattern, unsigned long *values)
{
	while (*pattern) {
		if (pattern[0] == '%' && (pattern[1] == 'd' || pattern[1] == 'x')) {
			unsigned int base = pattern[1] == 'd' ? 10 : 16;
			const char *digits = s;
			unsigned long v = 0;

			for (;; s++) {
				if (*s >= '0' && *s <= '9')
					v = v * base + (unsigned long)(*s - '0');
				else if (base == 16 && *s >= 'a' && *s <= 'f')
					v = v * base + (unsigned long)(*s - 'a' + 10);
				else
					break;
			}
			if (s == digits)
				return false;
			*values++ = v;
			pattern += 2;
		} else if (*s++ != *pattern++) {
			return false;
		}
	}
	return *s == 0;
}

#define ASSERT_SHAPE(line, pattern, values)                                             \
	do {                                                                            \
		if (!has_shape(line, pattern, values))                                  \
			weft_dprintf(1, "# got:  %s\n# want: %s\n", line, pattern);     \
		ASSERT_TRUE(has_shape(line, pattern, values));                          \
	} while (0)

/* Checks the trace of a start-up: the TLS block is mapped, then becomes the thread pointer. */
static void check_startup_trace(struct __test_metadata *_metadata, const char *trace)
{
	unsigned long map[3], set_fs[2];	/* pid, length, address; pid, thread pointer */
	char line[256];

	ASSERT_TRUE(find_line(trace, "(why: main thread TLS block + TCB)", line, sizeof(line)));
	ASSERT_SHAPE(line, "[weft %d] mmap(NULL, %d, PROT_READ|PROT_WRITE, "
			   "MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0) = 0x%x "
			   "(why: main thread TLS block + TCB)", map);
	ASSERT_EQ(map[1] % PAGE, 0);
#ifdef __NR_arch_prctl
	ASSERT_TRUE(find_line(trace, "] arch_prctl(", line, sizeof(line)));
	ASSERT_SHAPE(line, "[weft %d] arch_prctl(ARCH_SET_FS, 0x%x) = 0 "
			   "(why: install the main thread's thread pointer)", set_fs);
	ASSERT_EQ(map[0], set_fs[0]);
	/* Variant II: the TCB, which the thread pointer points at, is inside the block. */
	ASSERT_GE(set_fs[1], map[2]);
	ASSERT_LT(set_fs[1], map[2] + map[1]);
	ASSERT_LT(weft_strstr(trace, "] mmap("), weft_strstr(trace, "] arch_prctl("));
#else
	/* aarch64, riscv64: one instruction, no call to show (and no reason left over). */
	(void)set_fs;
	ASSERT_NULL(weft_strstr(trace, "thread pointer"));
#endif
}

TEST(trace_at_startup_to_stderr)
{
	static char *envp[] = { "WEFT_TRACE=1", "WEFT_TEST_SYSCALLS_EXIT_EARLY=1", NULL };
	static char err[16384];
	int status;

	test_exec_self(envp, 2, err, sizeof(err), &status);

	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	check_startup_trace(_metadata, err);
	ASSERT_NE_NULL(weft_strstr(err, "] exit_group(0) = ?\n"));
}

TEST(trace_at_startup_to_a_file)
{
	static char path[64], var[80], err[4096], trace[16384];
	static char *envp[] = { var, "WEFT_TEST_SYSCALLS_EXIT_EARLY=1", NULL };
	int status;

	weft_snprintf(path, sizeof(path), "/tmp/weft-test-syscalls-%ld.trace", sys_getpid());
	weft_snprintf(var, sizeof(var), "WEFT_TRACE=%s", path);
	weft_syscall3(__NR_unlinkat, AT_FDCWD, (long)path, 0);	/* the file is appended to */
	test_exec_self(envp, 2, err, sizeof(err), &status);
	ASSERT_GT(test_read_file(path, trace, sizeof(trace)), 0);
	ASSERT_EQ(weft_syscall3(__NR_unlinkat, AT_FDCWD, (long)path, 0), 0);
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT_NULL(weft_strstr(err, "[weft "));	/* nothing on stderr */
	check_startup_trace(_metadata, trace);
}

static void *return_tid(void *arg)
{
	return (void *)sys_gettid();
}

/*
 * The trace of one spawn, line by line, as syscalls.rst and threads.rst show
 * it: one PROT_NONE mapping with its reason, the one mprotect that opens the
 * stack, TLS area and altstack above the guard, the clone with the thread
 * flags, and the new thread naming itself.
 */
TEST(trace_explains_a_thread_mapping)
{
	static char trace[8192];
	struct weft_builder b = { .name = "worker" };
	struct weft_join_handle h;
	unsigned long map[3], rw[3], clone[6], name[2];
	char line[512];
	int fds[2], old;
	void *tid;

	ASSERT_EQ(sys_pipe2(fds, O_CLOEXEC), 0);
	old = weft_trace_set_fd(fds[1]);
	ASSERT_EQ(weft_builder_spawn(&b, &h, return_tid, NULL), 0);
	ASSERT_EQ(weft_join(&h, &tid), 0);
	ASSERT_GT(read_trace(fds, old, trace, sizeof(trace)), 0);

	ASSERT_TRUE(find_line(trace, "(why: thread 'worker' guard+stack+TLS+altstack)", line,
			      sizeof(line)));
	ASSERT_SHAPE(line, "[weft %d] mmap(NULL, %d, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|"
			   "MAP_STACK, -1, 0x0) = 0x%x "
			   "(why: thread 'worker' guard+stack+TLS+altstack)", map);
	ASSERT_TRUE(find_line(trace, "(why: thread 'worker' stack + TLS", line, sizeof(line)));
	ASSERT_SHAPE(line, "[weft %d] mprotect(0x%x, %d, PROT_READ|PROT_WRITE) = 0 "
			   "(why: thread 'worker' stack + TLS + altstack above the guard)", rw);
	ASSERT_TRUE(find_line(trace, "] clone(", line, sizeof(line)));
	ASSERT_SHAPE(line, "[weft %d] clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|"
			   "CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|"
			   "CLONE_CHILD_CLEARTID, 0x%x, 0x%x, 0x%x, 0x%x) = %d "
			   "(why: start thread 'worker')", clone);
	ASSERT_TRUE(find_line(trace, "] prctl(PR_SET_NAME", line, sizeof(line)));
	ASSERT_SHAPE(line, "[weft %d] prctl(PR_SET_NAME, 0x%x, 0x0, 0x0, 0x0) = 0 "
			   "(why: thread name, as the kernel shows it in comm)", name);

	/* All from the spawner but the name, which the new thread sets itself. */
	ASSERT_EQ(map[0], (unsigned long)sys_gettid());
	ASSERT_EQ(rw[0], map[0]);
	ASSERT_EQ(clone[0], map[0]);
	ASSERT_EQ(clone[5], (unsigned long)tid);
	ASSERT_EQ(name[0], (unsigned long)tid);
	/* From low to high: the guard page, then stack, TLS and altstack to the mapping's end. */
	ASSERT_EQ(rw[1], map[2] + PAGE);
	ASSERT_EQ(rw[1] + rw[2], map[2] + map[1]);
	/*
	 * The trace shows the kernel's argument order: tls 5th and child_tid 4th
	 * on x86_64, the other way round where CLONE_BACKWARDS (kernel-abi/sys.h).
	 */
#ifdef WEFT_ARCH_CLONE_BACKWARDS
	unsigned long tls = clone[3], ctid = clone[4];
#else
	unsigned long tls = clone[4], ctid = clone[3];
#endif
	/* The child's stack and thread pointer are in it; the clear-tid word is not. */
	ASSERT_GT(clone[1], rw[1]);
	ASSERT_LE(tls, map[2] + map[1]);	/* riscv64: tp is the block, which may be empty */
	ASSERT_LT(clone[1], tls);
	ASSERT_EQ(clone[2], ctid);
	ASSERT_TRUE(clone[2] < map[2] || clone[2] >= map[2] + map[1]);
}

/* A thread's clone that a rule fails is marked "(injected)", as every other call is. */
TEST(trace_marks_an_injected_thread_clone)
{
	static char trace[8192];
	struct weft_builder b = { .name = "never" };
	struct weft_join_handle h;
	char line[512];
	unsigned long v[6];
	int fds[2], old;

	ASSERT_EQ(sys_pipe2(fds, O_CLOEXEC), 0);
	ASSERT_EQ(weft_fault_inject(__NR_clone, 1, EAGAIN), 0);
	old = weft_trace_set_fd(fds[1]);
	ASSERT_EQ(weft_builder_spawn(&b, &h, return_tid, NULL), -EAGAIN);
	ASSERT_GT(read_trace(fds, old, trace, sizeof(trace)), 0);
	weft_fault_clear();
	ASSERT_TRUE(find_line(trace, "] clone(", line, sizeof(line)));
	ASSERT_SHAPE(line, "[weft %d] clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|"
			   "CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|"
			   "CLONE_CHILD_CLEARTID, 0x%x, 0x%x, 0x%x, 0x%x) = -1 EAGAIN (injected) "
			   "(why: start thread 'never')", v);
}

/* ---- fault injection ---------------------------------------------------- */

TEST(fault_nth_call_only)
{
	ASSERT_EQ(weft_fault_inject(__NR_getpid, 2, EPERM), 0);
	ASSERT_GT(sys_getpid(), 0);
	ASSERT_EQ(sys_getpid(), -EPERM);
	ASSERT_GT(sys_getpid(), 0);
	ASSERT_GT(sys_getpid(), 0);
	ASSERT_EQ(weft_fault_fired(), 1);
	weft_fault_clear();
}

TEST(fault_every_call_until_clear)
{
	ASSERT_EQ(weft_fault_inject(__NR_sched_yield, WEFT_FAULT_EVERY, EAGAIN), 0);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(sys_sched_yield(), -EAGAIN);
	ASSERT_EQ(weft_fault_fired(), 3);
	weft_fault_clear();
	ASSERT_EQ(weft_fault_fired(), 0);
	ASSERT_EQ(sys_sched_yield(), 0);
}

TEST(fault_any_syscall)
{
	ASSERT_EQ(weft_fault_inject(WEFT_FAULT_ANY_SYSCALL, 2, EIO), 0);
	ASSERT_GT(sys_gettid(), 0);
	ASSERT_EQ(sys_sched_yield(), -EIO);	/* the second call, whatever it is */
	ASSERT_GT(sys_getpid(), 0);
	ASSERT_EQ(weft_fault_fired(), 1);
	weft_fault_clear();
}

TEST(fault_rule_matches_its_syscall_only)
{
	ASSERT_EQ(weft_fault_inject(__NR_getpid, WEFT_FAULT_EVERY, EPERM), 0);
	ASSERT_GT(sys_gettid(), 0);
	ASSERT_EQ(sys_sched_yield(), 0);
	ASSERT_EQ(sys_getpid(), -EPERM);
	ASSERT_EQ(weft_fault_fired(), 1);
	weft_fault_clear();
	ASSERT_GT(sys_getpid(), 0);
}

TEST(fault_inject_rejects_bad_errno)
{
	ASSERT_EQ(weft_fault_inject(__NR_getpid, 1, 0), -EINVAL);
	ASSERT_EQ(weft_fault_inject(__NR_getpid, 1, -EPERM), -EINVAL);
	ASSERT_EQ(weft_fault_inject(__NR_getpid, 1, 4096), -EINVAL);
	ASSERT_GT(sys_getpid(), 0);	/* nothing was armed */
	ASSERT_EQ(weft_fault_inject(__NR_getpid, 1, 4095), 0);
	ASSERT_EQ(sys_getpid(), -4095);
	weft_fault_clear();
}

TEST(fault_rules_run_out)
{
	for (int i = 0; i < WEFT_FAULT_RULES; i++)
		ASSERT_EQ(weft_fault_inject(__NR_madvise, 1000, EIO), 0);
	ASSERT_EQ(weft_fault_inject(__NR_getpid, 1, EPERM), -ENOSPC);
	ASSERT_GT(sys_getpid(), 0);
	weft_fault_clear();
	ASSERT_EQ(weft_fault_inject(__NR_getpid, 1, EPERM), 0);
	ASSERT_EQ(sys_getpid(), -EPERM);
	weft_fault_clear();
}
