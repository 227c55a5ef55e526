// SPDX-License-Identifier: MIT
/* The slow path of every system call: fault injection, then the call, then a trace line. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <asm/prctl.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/futex.h>
#include <linux/mman.h>
#include <linux/prctl.h>
#include <linux/resource.h>
#include <linux/sched.h>
#include <linux/time.h>

#include "weft/fault.h"
#include "weft/io.h"

#include "internal.h"

/*
 * Built with -fno-stack-protector: tracing is switched on before the main
 * thread's TLS exists, so that the trace shows how TLS was set up.
 */

int weft_sys_hooked;

static int trace_fd = -1;
static bool tls_ready;		/* per-thread "why" lives in the TCB from then on */
static char early_why[96];

struct fault_rule {
	_Atomic long nr;	/* 0 (free) is read as "not armed" via armed */
	_Atomic int armed;
	unsigned long nth;
	int err;
	_Atomic unsigned long calls;
};

static struct fault_rule rules[WEFT_FAULT_RULES];
static _Atomic int rules_armed;
static _Atomic unsigned long fired;

static void update_hooked(void)
{
	__atomic_store_n(&weft_sys_hooked, trace_fd >= 0 || atomic_load(&rules_armed) > 0,
			 __ATOMIC_RELAXED);
}

int weft_fault_inject(long nr, unsigned long nth, int err)
{
	if (err <= 0 || err >= 4096)
		return -EINVAL;
	for (int i = 0; i < WEFT_FAULT_RULES; i++) {
		struct fault_rule *r = &rules[i];

		if (atomic_load(&r->armed))
			continue;
		r->nr = nr;
		r->nth = nth;
		r->err = err;
		r->calls = 0;
		atomic_store(&r->armed, 1);
		atomic_fetch_add(&rules_armed, 1);
		update_hooked();
		return 0;
	}
	return -ENOSPC;
}

void weft_fault_clear(void)
{
	for (int i = 0; i < WEFT_FAULT_RULES; i++)
		atomic_store(&rules[i].armed, 0);
	atomic_store(&rules_armed, 0);
	atomic_store(&fired, 0);
	update_hooked();
}

unsigned long weft_fault_fired(void)
{
	return atomic_load(&fired);
}

/* Returns -errno if a rule makes this call fail, 0 otherwise. */
static long fault_check(long nr)
{
	if (!atomic_load_explicit(&rules_armed, memory_order_relaxed))
		return 0;
	for (int i = 0; i < WEFT_FAULT_RULES; i++) {
		struct fault_rule *r = &rules[i];
		unsigned long n;

		if (!atomic_load(&r->armed) || (r->nr != nr && r->nr != WEFT_FAULT_ANY_SYSCALL))
			continue;
		n = atomic_fetch_add(&r->calls, 1) + 1;
		if (r->nth == WEFT_FAULT_EVERY || n == r->nth) {
			atomic_fetch_add(&fired, 1);
			return -r->err;
		}
	}
	return 0;
}

/* ---- tracing ---------------------------------------------------------- */

static char *why_slot(void)
{
	return tls_ready ? weft_tcb()->why : early_why;
}

void weft_sys_set_why(const char *fmt, ...)
{
	va_list ap;

	if (!weft_sys_hooked)
		return;
	va_start(ap, fmt);
	weft_vsnprintf(why_slot(), sizeof(early_why), fmt, ap);
	va_end(ap);
}

void weft_trace_init(const char *value, bool secure)
{
	if (!value || !*value || (value[0] == '0' && !value[1]))
		return;
	if (value[0] == '1' && !value[1]) {
		trace_fd = 2;
	} else if (!secure) {
		/* Not through sys_openat(): opening the trace file is not traced. */
		long fd = weft_syscall4(__NR_openat, AT_FDCWD, (long)value,
					O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0) {
			static const char msg[] = "weft: WEFT_TRACE: cannot open the file; "
						  "not tracing\n";

			weft_syscall3(__NR_write, 2, (long)msg, sizeof(msg) - 1);
			return;
		}
		trace_fd = (int)fd;
	}
	update_hooked();
}

int weft_trace_set_fd(int fd)
{
	int old = trace_fd;

	tls_ready = true;	/* called from C after start-up */
	trace_fd = fd;
	update_hooked();
	return old;
}

enum arg_kind {
	A_NONE, A_INT, A_UINT, A_HEX, A_PTR, A_FD, A_STR, A_PROT, A_MAPF, A_SIG, A_CLONEF,
	A_FUTEXOP, A_SIGHOW, A_PRCTL, A_CLOCK, A_ARCHPRCTL, A_OFLAGS, A_WAITOPT, A_TIMERF,
	A_RLIMIT,
};

enum ret_kind { R_INT, R_PTR, R_NORETURN };

/*
 * One entry per system call weft makes, searched linearly: the trace is the
 * slow path, and a table indexed by number would be mostly holes (4.8 KB of
 * them in every binary).
 */
struct syscall_desc {
	const char *name;
	unsigned short nr;
	unsigned char args[6];
	unsigned char ret;
};

#define D(n, r, ...) { #n, __NR_##n, { __VA_ARGS__ }, r }
static const struct syscall_desc descs[] = {
	D(read, R_INT, A_FD, A_PTR, A_UINT),
	D(write, R_INT, A_FD, A_PTR, A_UINT),
	D(openat, R_INT, A_FD, A_STR, A_OFLAGS, A_HEX),
	D(close, R_INT, A_FD),
	D(pipe2, R_INT, A_PTR, A_OFLAGS),
	D(dup2, R_INT, A_FD, A_FD),
	D(getpid, R_INT),
	D(gettid, R_INT),
	D(exit, R_NORETURN, A_INT),
	D(exit_group, R_NORETURN, A_INT),
	D(execve, R_INT, A_STR, A_PTR, A_PTR),
	D(wait4, R_INT, A_INT, A_PTR, A_WAITOPT, A_PTR),
	D(kill, R_INT, A_INT, A_SIG),
	D(tgkill, R_INT, A_INT, A_INT, A_SIG),
	D(clone, R_INT, A_CLONEF, A_PTR, A_PTR, A_PTR, A_PTR),
	D(prlimit64, R_INT, A_INT, A_RLIMIT, A_PTR, A_PTR),
	D(prctl, R_INT, A_PRCTL, A_HEX, A_HEX, A_HEX, A_HEX),
	D(alarm, R_INT, A_UINT),
	D(mmap, R_PTR, A_PTR, A_UINT, A_PROT, A_MAPF, A_FD, A_HEX),
	D(munmap, R_INT, A_PTR, A_UINT),
	D(mprotect, R_INT, A_PTR, A_UINT, A_PROT),
	D(madvise, R_INT, A_PTR, A_UINT, A_INT),
	D(arch_prctl, R_INT, A_ARCHPRCTL, A_PTR),
	D(rt_sigaction, R_INT, A_SIG, A_PTR, A_PTR, A_UINT),
	D(rt_sigprocmask, R_INT, A_SIGHOW, A_PTR, A_PTR, A_UINT),
	D(sigaltstack, R_INT, A_PTR, A_PTR),
	D(clock_gettime, R_INT, A_CLOCK, A_PTR),
	D(clock_nanosleep, R_INT, A_CLOCK, A_TIMERF, A_PTR, A_PTR),
	D(sched_yield, R_INT),
	D(sched_getaffinity, R_INT, A_INT, A_UINT, A_PTR),
	D(futex, R_INT, A_PTR, A_FUTEXOP, A_UINT, A_PTR, A_PTR, A_HEX),
	D(set_tid_address, R_INT, A_PTR),
};
#undef D

struct flag_name {
	unsigned long bit;
	const char *name;
};

#define F(x) { x, #x }
static const struct flag_name prot_flags[] = {
	F(PROT_READ), F(PROT_WRITE), F(PROT_EXEC), { 0, NULL },
};
static const struct flag_name map_flags[] = {
	F(MAP_SHARED), F(MAP_PRIVATE), F(MAP_FIXED), F(MAP_ANONYMOUS), F(MAP_GROWSDOWN),
	F(MAP_NORESERVE), F(MAP_POPULATE), F(MAP_STACK), F(MAP_FIXED_NOREPLACE), { 0, NULL },
};
static const struct flag_name clone_flags[] = {
	F(CLONE_VM), F(CLONE_FS), F(CLONE_FILES), F(CLONE_SIGHAND), F(CLONE_THREAD),
	F(CLONE_SYSVSEM), F(CLONE_SETTLS), F(CLONE_PARENT_SETTID), F(CLONE_CHILD_CLEARTID),
	F(CLONE_CHILD_SETTID), F(CLONE_VFORK), F(CLONE_PARENT), F(CLONE_DETACHED), { 0, NULL },
};
static const struct flag_name open_flags[] = {
	F(O_WRONLY), F(O_RDWR), F(O_CREAT), F(O_EXCL), F(O_TRUNC), F(O_APPEND), F(O_NONBLOCK),
	F(O_DIRECTORY), F(O_CLOEXEC), { 0, NULL },
};
#undef F

static const char *const signal_names[] = {
	[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT", [SIGILL] = "SIGILL",
	[SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT", [SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE",
	[SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV",
	[SIGUSR2] = "SIGUSR2", [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM",
	[SIGTERM] = "SIGTERM", [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",
	[SIGSTOP] = "SIGSTOP",
};

static const struct errno_name {
	int err;
	const char *name;
} errno_names[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" }, { EINTR, "EINTR" },
	{ EIO, "EIO" }, { ENXIO, "ENXIO" }, { E2BIG, "E2BIG" }, { ENOEXEC, "ENOEXEC" },
	{ EBADF, "EBADF" }, { ECHILD, "ECHILD" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
	{ EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" },
	{ ENODEV, "ENODEV" }, { ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" },
	{ EINVAL, "EINVAL" }, { ENFILE, "ENFILE" }, { EMFILE, "EMFILE" }, { ENOSPC, "ENOSPC" },
	{ ESPIPE, "ESPIPE" }, { EROFS, "EROFS" }, { EPIPE, "EPIPE" }, { ERANGE, "ERANGE" },
	{ EDEADLK, "EDEADLK" }, { ENAMETOOLONG, "ENAMETOOLONG" }, { ENOSYS, "ENOSYS" },
	{ ETIMEDOUT, "ETIMEDOUT" }, { EOVERFLOW, "EOVERFLOW" }, { EOWNERDEAD, "EOWNERDEAD" },
};

static const struct syscall_desc *find_desc(long nr)
{
	for (size_t i = 0; i < ARRAY_SIZE(descs); i++)
		if (descs[i].nr == nr)
			return &descs[i];
	return NULL;
}

static const char *errno_name(long err)
{
	for (size_t i = 0; i < ARRAY_SIZE(errno_names); i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	return NULL;
}

struct line {
	char buf[512];
	size_t len;
};

static void add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;

	if (l->len >= sizeof(l->buf))
		return;
	va_start(ap, fmt);
	int n = weft_vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	l->len += (size_t)n;
	if (l->len > sizeof(l->buf) - 1)
		l->len = sizeof(l->buf) - 1;
}

static void add_flags(struct line *l, unsigned long v, const struct flag_name *names,
		      const char *zero)
{
	bool first = true;

	if (!v) {
		add(l, "%s", zero);
		return;
	}
	for (; names->name; names++) {
		if ((v & names->bit) == names->bit && names->bit) {
			add(l, "%s%s", first ? "" : "|", names->name);
			v &= ~names->bit;
			first = false;
		}
	}
	if (v)
		add(l, "%s0x%lx", first ? "" : "|", v);
}

static void add_signal(struct line *l, long sig)
{
	if (sig > 0 && (unsigned long)sig < ARRAY_SIZE(signal_names) && signal_names[sig])
		add(l, "%s", signal_names[sig]);
	else
		add(l, "%ld", sig);
}

static void add_arg(struct line *l, unsigned char kind, long v)
{
	static const char *const futex_ops[] = {
		[FUTEX_WAIT] = "FUTEX_WAIT", [FUTEX_WAKE] = "FUTEX_WAKE",
		[FUTEX_WAIT_BITSET] = "FUTEX_WAIT_BITSET", [FUTEX_WAKE_BITSET] = "FUTEX_WAKE_BITSET",
	};

	switch (kind) {
	case A_INT:
		add(l, "%d", (int)v);
		break;
	case A_UINT:
		add(l, "%lu", (unsigned long)v);
		break;
	case A_HEX:
		add(l, "0x%lx", (unsigned long)v);
		break;
	case A_PTR:
		if (v)
			add(l, "%p", (void *)v);
		else
			add(l, "NULL");
		break;
	case A_FD:
		if ((int)v == AT_FDCWD)
			add(l, "AT_FDCWD");
		else
			add(l, "%d", (int)v);
		break;
	case A_STR:
		add(l, "\"%.64s\"", v ? (const char *)v : "(null)");
		break;
	case A_PROT:
		add_flags(l, (unsigned long)v, prot_flags, "PROT_NONE");
		break;
	case A_MAPF:
		add_flags(l, (unsigned long)v, map_flags, "0");
		break;
	case A_OFLAGS:
		/* O_RDONLY is 0: name it whenever no access-mode bit is set. */
		if (!(v & (O_WRONLY | O_RDWR)) && v)
			add(l, "O_RDONLY|");
		add_flags(l, (unsigned long)v, open_flags, "O_RDONLY");
		break;
	case A_RLIMIT:
		add(l, "%s", v == RLIMIT_STACK ? "RLIMIT_STACK" : v == RLIMIT_NPROC ? "RLIMIT_NPROC"
			    : "?");
		break;
	case A_SIG:
		add_signal(l, v);
		break;
	case A_CLONEF:
		/* The low byte is the signal sent to the parent at exit (SIGCHLD for a fork). */
		if (((unsigned long)v & ~0xffUL) || !(v & 0xff))
			add_flags(l, (unsigned long)v & ~0xffUL, clone_flags, "0");
		if (v & 0xff) {
			if ((unsigned long)v & ~0xffUL)
				add(l, "|");
			add_signal(l, v & 0xff);
		}
		break;
	case A_FUTEXOP: {
		int op = (int)v & FUTEX_CMD_MASK;

		if (op < (int)ARRAY_SIZE(futex_ops) && futex_ops[op])
			add(l, "%s", futex_ops[op]);
		else
			add(l, "%d", op);
		if (v & FUTEX_PRIVATE_FLAG)
			add(l, "_PRIVATE");
		if (v & FUTEX_CLOCK_REALTIME)
			add(l, "|FUTEX_CLOCK_REALTIME");
		break;
	}
	case A_SIGHOW:
		add(l, "%s", v == SIG_BLOCK ? "SIG_BLOCK" : v == SIG_UNBLOCK ? "SIG_UNBLOCK"
			    : v == SIG_SETMASK ? "SIG_SETMASK" : "?");
		break;
	case A_PRCTL:
		if (v == PR_SET_NAME)
			add(l, "PR_SET_NAME");
		else if (v == PR_GET_NAME)
			add(l, "PR_GET_NAME");
		else
			add(l, "%ld", v);
		break;
	case A_CLOCK:
		add(l, "%s", v == CLOCK_MONOTONIC ? "CLOCK_MONOTONIC"
			    : v == CLOCK_REALTIME ? "CLOCK_REALTIME" : "?");
		break;
	case A_TIMERF:
		add(l, "%s", v == TIMER_ABSTIME ? "TIMER_ABSTIME" : "0");
		break;
	case A_ARCHPRCTL:
		add(l, "%s", v == ARCH_SET_FS ? "ARCH_SET_FS" : v == ARCH_GET_FS ? "ARCH_GET_FS"
			    : "?");
		break;
	case A_WAITOPT:
		add(l, "%s", v == 0 ? "0" : v == 1 ? "WNOHANG" : "?");
		break;
	}
}

/* How a traced call ended: with @ret, failed by injection, or not yet (" = ?"). */
enum outcome { DONE, INJECTED, PENDING };

static void trace(long nr, const long args[6], long ret, enum outcome how)
{
	const struct syscall_desc *d;
	char *why = why_slot();
	struct line l = { .len = 0 };

	d = find_desc(nr);
	add(&l, "[weft %ld] ", weft_syscall0(__NR_gettid));
	if (d) {
		add(&l, "%s(", d->name);
		for (int i = 0; i < 6 && d->args[i] != A_NONE; i++) {
			if (i)
				add(&l, ", ");
			add_arg(&l, d->args[i], args[i]);
		}
		add(&l, ")");
	} else {
		add(&l, "syscall_%ld(0x%lx, 0x%lx, 0x%lx)", nr, args[0], args[1], args[2]);
	}
	if (how == PENDING) {
		add(&l, " = ?");
	} else if (ret < 0 && ret > -4096) {
		long e = -ret;

		if (errno_name(e))
			add(&l, " = -1 %s", errno_name(e));
		else
			add(&l, " = -1 errno %ld", e);
		if (how == INJECTED)
			add(&l, " (injected)");
	} else if (d && d->ret == R_PTR) {
		add(&l, " = %p", (void *)ret);
	} else {
		add(&l, " = %ld", ret);
	}
	if (why[0]) {
		add(&l, " (why: %s)", why);
		why[0] = 0;
	}
	add(&l, "\n");
	/* Raw, so that writing the trace is not itself traced. */
	for (size_t off = 0; off < l.len;) {
		long n = weft_syscall3(__NR_write, trace_fd, (long)(l.buf + off),
				       (long)(l.len - off));

		if (n == -EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
}

long weft_sys_pre(long nr)
{
	if (likely(!weft_sys_hooked))
		return 0;
	if (!tls_ready && weft_start.main_tp)
		tls_ready = true;
	return fault_check(nr);
}

void weft_sys_post(long nr, const long args[6], long ret)
{
	if (unlikely(trace_fd >= 0))
		trace(nr, args, ret, DONE);
}

/*
 * For the calls an assembly sequence makes where C can no longer run after
 * them (a detached thread unmapping its own stack): log them beforehand,
 * with " = ?" for the result. They cannot be failed on purpose.
 */
void weft_sys_trace_ahead(long nr, long a1, long a2, long a3, long a4)
{
	const long args[6] = { a1, a2, a3, a4, 0, 0 };

	if (trace_fd >= 0)
		trace(nr, args, 0, PENDING);
}

long weft_sys_hooked_call(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	const long args[6] = { a1, a2, a3, a4, a5, a6 };
	long ret = weft_sys_pre(nr);

	if (ret) {
		if (trace_fd >= 0)
			trace(nr, args, ret, INJECTED);
		return ret;
	}
	/* Log calls that never return before making them. */
	if ((nr == __NR_exit || nr == __NR_exit_group) && trace_fd >= 0)
		trace(nr, args, 0, PENDING);
	ret = weft_syscall6(nr, a1, a2, a3, a4, a5, a6);
	weft_sys_post(nr, args, ret);
	return ret;
}

/*
 * WEFT_FAULT=name:nth:ERRNO[,name:nth:ERRNO...], e.g. WEFT_FAULT=mmap:1:ENOMEM,
 * arms rules before anything else runs, so that start-up's own failure paths
 * (the main thread's TLS mapping, ARCH_SET_FS, the altstack) can be tested
 * and watched: what does weft do if the first mmap fails? nth 0 is "every
 * call". Ignored for set-user-ID programs (AT_SECURE). Bad text is reported
 * and ignored.
 */
/* The number of the system call or errno whose name is the @n bytes at @s, or -1. */
static long lookup_syscall(const char *s, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(descs); i++)
		if (weft_strncmp(descs[i].name, s, n) == 0 && !descs[i].name[n])
			return descs[i].nr;
	return -1;
}

static long lookup_errno(const char *s, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(errno_names); i++)
		if (weft_strncmp(errno_names[i].name, s, n) == 0 && !errno_names[i].name[n])
			return errno_names[i].err;
	return -1;
}

static int parse_rule(const char *s, size_t len)
{
	const char *c1 = s, *c2, *end = s + len;
	unsigned long long nth = 0;
	long nr, err;
	char num[24];

	while (c1 < end && *c1 != ':')
		c1++;
	for (c2 = c1 + 1; c2 < end && *c2 != ':'; c2++)
		;
	if (c1 >= end || c2 >= end || (size_t)(c2 - c1 - 1) >= sizeof(num))
		return -EINVAL;
	nr = lookup_syscall(s, (size_t)(c1 - s));
	err = lookup_errno(c2 + 1, (size_t)(end - c2 - 1));
	memcpy(num, c1 + 1, (size_t)(c2 - c1 - 1));
	num[c2 - c1 - 1] = 0;
	if (nr < 0 || err <= 0 || weft_parse_u64(num, &nth))
		return -EINVAL;
	return weft_fault_inject(nr, (unsigned long)nth, (int)err);
}

void weft_fault_init(const char *value, bool secure)
{
	static const char bad[] = "weft: WEFT_FAULT: expected name:nth:ERRNO[,...]; ignored\n";

	if (!value || !*value || secure)
		return;
	for (const char *p = value; *p;) {
		const char *q = p;

		while (*q && *q != ',')
			q++;
		if (parse_rule(p, (size_t)(q - p)))
			weft_syscall3(__NR_write, 2, (long)bad, sizeof(bad) - 1);
		p = *q ? q + 1 : q;
	}
}
