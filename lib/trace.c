// SPDX-License-Identifier: MIT
/* The system-call hook: fault injection, then the call, then a trace line (WEFT_TRACE). */
#define WEFT_SYS_COLD	/* cold code: built for size, system calls out of line (sys.h) */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <linux/mman.h>
#include <linux/prctl.h>
#include <linux/resource.h>
#include <linux/sched.h>
#include <linux/time.h>

#include "weft/fault.h"
#include "weft/io.h"

#include "lib/internal.h"

/*
 * Built with -fno-stack-protector: tracing is switched on before the main
 * thread's TLS exists, so that the trace shows how TLS was set up.
 *
 * While tracing or a fault rule is on, hooked_call() below sits in
 * kernel-abi's weft_sys_hook, and every sys_*() wrapper calls it instead of
 * making the system call (the DOC comment in kernel-abi/sys.h).
 *
 * A link-time option (the DOC block of lib/trace.h): a program has this file
 * only if it asks for it, and then weft_trace_start(), at the end, is how
 * the rest of weft reaches it.
 */

static int trace_fd = -1;
static bool tls_ready;		/* per-thread "why" lives in the TCB from then on */
static char early_why[WEFT_WHY_MAX];

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

static long hooked_call(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

static void update_hooked(void)
{
	bool on = trace_fd >= 0 || atomic_load(&rules_armed) > 0;

	__atomic_store_n(&weft_sys_hook, on ? hooked_call : NULL, __ATOMIC_RELAXED);
}

int weft_fault_inject(long nr, unsigned long nth, int err)
{
	if (err <= 0 || err > WEFT_MAX_ERRNO)
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

static void __attribute__((format(printf, 1, 2))) set_why(const char *fmt, ...)
{
	va_list ap;

	if (!weft_sys_hook_now())
		return;
	va_start(ap, fmt);
	weft_vsnprintf(why_slot(), sizeof(early_why), fmt, ap);
	va_end(ap);
}

/*
 * A complaint about an environment variable, made at start-up: formatted on
 * the stack and written raw, so that it is not itself traced or failed.
 */
static void __attribute__((format(printf, 1, 2))) init_complain(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = weft_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(msg))
		n = sizeof(msg) - 1;
	weft_syscall3(__NR_write, 2, (long)msg, n);
}

/*
 * WEFT_TRACE: unset, empty or 0: off; 1: stderr; fd:N: descriptor N, which
 * the caller opened (WEFT_TRACE=fd:3 3>trace.txt); a path: a value with a
 * '/' in it (./trace.txt, /tmp/t), or file:NAME for any name, opened for
 * appending. Anything else (yes, true, 2, trace.txt) is refused with one
 * message: the old reading of "anything but 1 is a file name" turned
 * WEFT_TRACE=yes into a file called yes. Set-user-ID programs (AT_SECURE)
 * trace to a descriptor they were given, never to a file named by the caller.
 */
static void trace_init(const char *value, bool secure)
{
	static const char forms[] = "expected 1 (stderr), fd:N, file:NAME or a path with a '/'";
	const char *path = NULL;
	unsigned long long fd;

	if (!value || !*value || (value[0] == '0' && !value[1]))
		return;
	if (value[0] == '1' && !value[1]) {
		trace_fd = 2;
	} else if (!weft_strncmp(value, "fd:", 3)) {
		if (weft_parse_u64(value + 3, &fd) || fd > INT32_MAX) {
			init_complain("weft: WEFT_TRACE=%.100s: not a descriptor number; "
				      "not tracing\n", value);
			return;
		}
		trace_fd = (int)fd;
	} else {
		if (!weft_strncmp(value, "file:", 5) && value[5])
			path = value + 5;
		else if (weft_strchr(value, '/'))
			path = value;
		if (!path) {
			init_complain("weft: WEFT_TRACE=%.100s: %s; not tracing\n", value, forms);
			return;
		}
		if (secure)
			return;
		/* Not through sys_openat(): opening the trace file is not traced. */
		long ret = weft_syscall4(__NR_openat, AT_FDCWD, (long)path,
					 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (ret < 0) {
			const char *name = weft_errno_name((int)ret);

			init_complain("weft: WEFT_TRACE: cannot open %.100s: %s; not tracing\n",
				      path, name ? name : "error");
			return;
		}
		trace_fd = (int)ret;
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

/*
 * The decoder's tables, laid out for size: the trace is the slow path, and
 * these are in every program that links the tracer. Names are one string of
 * NUL-separated names, walked in order, and what each name stands for is a
 * byte in an array kept parallel to it by an X-macro list. An array of
 * pointers would cost 8 bytes per name; this costs 1 or 2. (The errno names
 * are lib/errno-name.c's, laid out the same way.)
 */
enum arg_kind {
	A_NONE, A_INT, A_UINT, A_HEX, A_PTR, A_FD, A_STR, A_CLONEF, A_OFLAGS, A_FUTEXOP,
	/* Kinds whose numbers are printed when they have no name. */
	A_SIG, A_PRCTL, A_MEMBARRIER,
	/* Kinds that print "?" when they have no name (A_TIMERF: "0"). */
	A_PROT, A_MAPF, A_SIGHOW, A_CLOCK, A_ARCHPRCTL, A_WAITOPT, A_TIMERF, A_RLIMIT,
};

/*
 * Calls that only the older system call tables have (x86_64), absent from
 * asm-generic ones (aarch64, riscv64): their entries exist where the number
 * does. weft itself uses dup3 and setitimer; tests call these on x86_64.
 */
#ifdef __NR_dup2
#define SYSCALLS_DUP2(X) X(dup2, A_FD, A_FD)
#else
#define SYSCALLS_DUP2(X)
#endif
#ifdef __NR_alarm
#define SYSCALLS_ALARM(X) X(alarm, A_UINT)
#else
#define SYSCALLS_ALARM(X)
#endif
#ifdef __NR_arch_prctl
#define SYSCALLS_ARCH_PRCTL(X) X(arch_prctl, A_ARCHPRCTL, A_PTR)
#define NAMED_ARCH_PRCTL(X) X(A_ARCHPRCTL, ARCH, ARCH_SET_FS) X(A_ARCHPRCTL, ARCH, ARCH_GET_FS)
#else
#define SYSCALLS_ARCH_PRCTL(X)
#define NAMED_ARCH_PRCTL(X)
#endif

/*
 * One entry per system call weft makes, with the kinds of its arguments,
 * searched linearly: a table indexed by number would be mostly holes.
 * mmap's result is shown as an address, every other one as a number.
 */
#define SYSCALLS(X)                                                                   \
	X(read, A_FD, A_PTR, A_UINT)                                                  \
	X(write, A_FD, A_PTR, A_UINT)                                                 \
	X(openat, A_FD, A_STR, A_OFLAGS, A_HEX)                                       \
	X(close, A_FD)                                                                \
	X(pipe2, A_PTR, A_OFLAGS)                                                     \
	X(dup3, A_FD, A_FD, A_OFLAGS)                                                 \
	SYSCALLS_DUP2(X)                                                              \
	X(getpid, A_NONE)                                                             \
	X(gettid, A_NONE)                                                             \
	X(exit, A_INT)                                                                \
	X(exit_group, A_INT)                                                          \
	X(execve, A_STR, A_PTR, A_PTR)                                                \
	X(wait4, A_INT, A_PTR, A_WAITOPT, A_PTR)                                      \
	X(kill, A_INT, A_SIG)                                                         \
	X(setpgid, A_INT, A_INT)                                                      \
	X(tgkill, A_INT, A_INT, A_SIG)                                                \
	X(clone, A_CLONEF, A_PTR, A_PTR, A_PTR, A_PTR)                                \
	X(prlimit64, A_INT, A_RLIMIT, A_PTR, A_PTR)                                   \
	X(prctl, A_PRCTL, A_HEX, A_HEX, A_HEX, A_HEX)                                 \
	X(setitimer, A_INT, A_PTR, A_PTR)                                             \
	SYSCALLS_ALARM(X)                                                             \
	X(mmap, A_PTR, A_UINT, A_PROT, A_MAPF, A_FD, A_HEX)                           \
	X(munmap, A_PTR, A_UINT)                                                      \
	X(mprotect, A_PTR, A_UINT, A_PROT)                                            \
	X(madvise, A_PTR, A_UINT, A_INT)                                              \
	SYSCALLS_ARCH_PRCTL(X)                                                        \
	X(rt_sigaction, A_SIG, A_PTR, A_PTR, A_UINT)                                  \
	X(rt_sigprocmask, A_SIGHOW, A_PTR, A_PTR, A_UINT)                             \
	X(sigaltstack, A_PTR, A_PTR)                                                  \
	X(clock_gettime, A_CLOCK, A_PTR)                                              \
	X(clock_nanosleep, A_CLOCK, A_TIMERF, A_PTR, A_PTR)                           \
	X(sched_yield, A_NONE)                                                        \
	X(sched_getaffinity, A_INT, A_UINT, A_PTR)                                    \
	X(futex, A_PTR, A_FUTEXOP, A_UINT, A_PTR, A_PTR, A_HEX)                       \
	X(set_tid_address, A_PTR)                                                     \
	X(membarrier, A_MEMBARRIER, A_HEX, A_INT)

#define SYSCALL_NAME(name, ...) #name "\0"
#define SYSCALL_NR(name, ...) __NR_##name,
#define SYSCALL_ARGS(name, ...) { __VA_ARGS__ },
static const char syscall_names[] = SYSCALLS(SYSCALL_NAME);
static const unsigned short syscall_nrs[] = { SYSCALLS(SYSCALL_NR) };
static const unsigned char syscall_args[][6] = { SYSCALLS(SYSCALL_ARGS) };

/*
 * Named values: the kind of argument, how the value is stored in a byte,
 * the name. Flags (BIT) are single bits, stored as the bit's number and
 * printed in this order; x86_64's thread-pointer codes (0x1001 ...) lose their
 * 0x1000 bit.
 */
#define VAL(x) (x)
#define BIT(x) __builtin_ctzl(x)
#define ARCH(x) ((x) ^ 0x1000)
#define NAMED(X)                                                                      \
	X(A_PROT, BIT, PROT_READ) X(A_PROT, BIT, PROT_WRITE) X(A_PROT, BIT, PROT_EXEC)  \
	X(A_MAPF, BIT, MAP_SHARED) X(A_MAPF, BIT, MAP_PRIVATE) X(A_MAPF, BIT, MAP_FIXED) \
	X(A_MAPF, BIT, MAP_ANONYMOUS) X(A_MAPF, BIT, MAP_GROWSDOWN)                     \
	X(A_MAPF, BIT, MAP_NORESERVE) X(A_MAPF, BIT, MAP_POPULATE)                      \
	X(A_MAPF, BIT, MAP_STACK) X(A_MAPF, BIT, MAP_FIXED_NOREPLACE)                   \
	X(A_CLONEF, BIT, CLONE_VM) X(A_CLONEF, BIT, CLONE_FS) X(A_CLONEF, BIT, CLONE_FILES) \
	X(A_CLONEF, BIT, CLONE_SIGHAND) X(A_CLONEF, BIT, CLONE_THREAD)                  \
	X(A_CLONEF, BIT, CLONE_SYSVSEM) X(A_CLONEF, BIT, CLONE_SETTLS)                  \
	X(A_CLONEF, BIT, CLONE_PARENT_SETTID) X(A_CLONEF, BIT, CLONE_CHILD_CLEARTID)    \
	X(A_CLONEF, BIT, CLONE_CHILD_SETTID) X(A_CLONEF, BIT, CLONE_VFORK)              \
	X(A_CLONEF, BIT, CLONE_PARENT) X(A_CLONEF, BIT, CLONE_DETACHED)                 \
	X(A_OFLAGS, BIT, O_WRONLY) X(A_OFLAGS, BIT, O_RDWR) X(A_OFLAGS, BIT, O_CREAT)   \
	X(A_OFLAGS, BIT, O_EXCL) X(A_OFLAGS, BIT, O_TRUNC) X(A_OFLAGS, BIT, O_APPEND)   \
	X(A_OFLAGS, BIT, O_NONBLOCK) X(A_OFLAGS, BIT, O_DIRECTORY)                      \
	X(A_OFLAGS, BIT, O_CLOEXEC)                                                     \
	X(A_FUTEXOP, VAL, FUTEX_WAIT) X(A_FUTEXOP, VAL, FUTEX_WAKE)                      \
	X(A_FUTEXOP, VAL, FUTEX_WAIT_BITSET) X(A_FUTEXOP, VAL, FUTEX_WAKE_BITSET)        \
	X(A_SIGHOW, VAL, SIG_BLOCK) X(A_SIGHOW, VAL, SIG_UNBLOCK)                        \
	X(A_SIGHOW, VAL, SIG_SETMASK)                                                   \
	X(A_PRCTL, VAL, PR_SET_NAME) X(A_PRCTL, VAL, PR_GET_NAME)                        \
	X(A_MEMBARRIER, VAL, MEMBARRIER_CMD_PRIVATE_EXPEDITED)                          \
	X(A_MEMBARRIER, VAL, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)                 \
	X(A_CLOCK, VAL, CLOCK_MONOTONIC) X(A_CLOCK, VAL, CLOCK_REALTIME)                 \
	X(A_TIMERF, VAL, TIMER_ABSTIME)                                                 \
	NAMED_ARCH_PRCTL(X)                                                             \
	X(A_WAITOPT, VAL, WNOHANG)                                                      \
	X(A_RLIMIT, VAL, RLIMIT_STACK) X(A_RLIMIT, VAL, RLIMIT_NPROC)                    \
	X(A_SIG, VAL, SIGHUP) X(A_SIG, VAL, SIGINT) X(A_SIG, VAL, SIGQUIT)               \
	X(A_SIG, VAL, SIGILL) X(A_SIG, VAL, SIGTRAP) X(A_SIG, VAL, SIGABRT)              \
	X(A_SIG, VAL, SIGBUS) X(A_SIG, VAL, SIGFPE) X(A_SIG, VAL, SIGKILL)               \
	X(A_SIG, VAL, SIGUSR1) X(A_SIG, VAL, SIGSEGV) X(A_SIG, VAL, SIGUSR2)             \
	X(A_SIG, VAL, SIGPIPE) X(A_SIG, VAL, SIGALRM) X(A_SIG, VAL, SIGTERM)             \
	X(A_SIG, VAL, SIGCHLD) X(A_SIG, VAL, SIGCONT) X(A_SIG, VAL, SIGSTOP)

#define NAMED_NAME(kind, how, name) #name "\0"
#define NAMED_KIND(kind, how, name) kind,
#define NAMED_VALUE(kind, how, name) how(name),
static const char names[] = NAMED(NAMED_NAME);
static const unsigned char name_kinds[] = { NAMED(NAMED_KIND) };
static const unsigned char name_values[] = { NAMED(NAMED_VALUE) };

static const char *next_name(const char *name)
{
	return name + weft_strlen(name) + 1;
}

/* The name of @v among the names of @kind, or NULL. */
static const char *value_name(unsigned char kind, unsigned long v)
{
	const char *name = names;

	for (size_t i = 0; i < sizeof(name_kinds); i++, name = next_name(name))
		if (name_kinds[i] == kind && name_values[i] == v)
			return name;
	return NULL;
}

struct line {
	char buf[WEFT_TRACE_LINE_MAX];
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

static void add_flags(struct line *l, unsigned long v, unsigned char kind, const char *zero)
{
	const char *sep = "", *name = names;

	if (!v) {
		add(l, "%s", zero);
		return;
	}
	for (size_t i = 0; i < sizeof(name_kinds); i++, name = next_name(name)) {
		unsigned long bit;

		/*
		 * Only a flag kind's values are bit numbers (below 64). Others are
		 * plain values, up to 255: shifting by them is undefined, so the
		 * shift waits until the kind is known to be this flag kind.
		 */
		if (name_kinds[i] != kind)
			continue;
		bit = 1UL << name_values[i];
		if (v & bit) {
			add(l, "%s%s", sep, name);
			v &= ~bit;
			sep = "|";
		}
	}
	if (v)
		add(l, "%s0x%lx", sep, v);
}

static void add_arg(struct line *l, unsigned char kind, long v)
{
	const char *name;

	switch (kind) {
	case A_INT:
		add(l, "%d", (int)v);
		return;
	case A_UINT:
		add(l, "%lu", (unsigned long)v);
		return;
	case A_HEX:
		add(l, "0x%lx", (unsigned long)v);
		return;
	case A_PTR:
		if (v)
			add(l, "%p", (void *)v);
		else
			add(l, "NULL");
		return;
	case A_FD:
		if ((int)v == AT_FDCWD)
			add(l, "AT_FDCWD");
		else
			add(l, "%d", (int)v);
		return;
	case A_STR:
		add(l, "\"%.64s\"", v ? (const char *)v : "(null)");
		return;
	case A_PROT:
		add_flags(l, (unsigned long)v, kind, "PROT_NONE");
		return;
	case A_MAPF:
		add_flags(l, (unsigned long)v, kind, "0");
		return;
	case A_OFLAGS:
		/* O_RDONLY is 0: name it whenever no access-mode bit is set. */
		if (!(v & (O_WRONLY | O_RDWR)) && v)
			add(l, "O_RDONLY|");
		add_flags(l, (unsigned long)v, kind, "O_RDONLY");
		return;
	case A_CLONEF:
		/* The low byte is the signal sent to the parent at exit (SIGCHLD for a fork). */
		if (((unsigned long)v & ~0xffUL) || !(v & 0xff))
			add_flags(l, (unsigned long)v & ~0xffUL, kind, "0");
		if (v & 0xff) {
			if ((unsigned long)v & ~0xffUL)
				add(l, "|");
			add_arg(l, A_SIG, v & 0xff);
		}
		return;
	case A_FUTEXOP: {
		int op = (int)v & FUTEX_CMD_MASK;

		if ((name = value_name(kind, (unsigned long)op)))
			add(l, "%s", name);
		else
			add(l, "%d", op);
		if (v & FUTEX_PRIVATE_FLAG)
			add(l, "_PRIVATE");
		if (v & FUTEX_CLOCK_REALTIME)
			add(l, "|FUTEX_CLOCK_REALTIME");
		return;
	}
	case A_ARCHPRCTL:
		v ^= 0x1000;	/* as stored, see ARCH() */
		break;
	}
	if ((name = value_name(kind, (unsigned long)v)))
		add(l, "%s", name);
	else if (kind <= A_MEMBARRIER)
		add(l, "%ld", v);
	else
		add(l, "%s", (kind == A_TIMERF || (kind == A_WAITOPT && !v)) ? "0" : "?");
}

/* How a traced call ended: with @ret, failed by injection, or not yet (" = ?"). */
enum outcome { DONE, INJECTED, PENDING };

static void trace(long nr, const long args[6], long ret, enum outcome how)
{
	const char *name = syscall_names, *err;
	char *why = why_slot();
	struct line l = { .len = 0 };
	size_t i = 0;

	add(&l, "[weft %ld] ", weft_syscall0(__NR_gettid));
	while (i < ARRAY_SIZE(syscall_nrs) && syscall_nrs[i] != nr) {
		i++;
		name = next_name(name);
	}
	if (i < ARRAY_SIZE(syscall_nrs)) {
		const unsigned char *kinds = syscall_args[i];

		add(&l, "%s(", name);
		for (int a = 0; a < 6 && kinds[a] != A_NONE; a++) {
			if (a)
				add(&l, ", ");
			add_arg(&l, kinds[a], args[a]);
		}
		add(&l, ")");
	} else {
		add(&l, "syscall_%ld(0x%lx, 0x%lx, 0x%lx)", nr, args[0], args[1], args[2]);
	}
	if (how == PENDING) {
		add(&l, " = ?");
	} else if (sys_is_error(ret)) {
		if ((err = weft_errno_name((int)ret)))
			add(&l, " = -1 %s", err);
		else
			add(&l, " = -1 errno %ld", -ret);
		if (how == INJECTED)
			add(&l, " (injected)");
	} else if (nr == __NR_mmap) {
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

static long sys_pre(long nr)
{
	if (!weft_sys_hook_now())
		return 0;
	if (!tls_ready && weft_start.main_tp)
		tls_ready = true;
	return fault_check(nr);
}

static void sys_post(long nr, const long args[6], long ret, bool injected)
{
	if (unlikely(trace_fd >= 0))
		trace(nr, args, ret, injected ? INJECTED : DONE);
}

/*
 * For the calls an assembly sequence makes where C can no longer run after
 * them (a detached thread unmapping its own stack): log them beforehand,
 * with " = ?" for the result. They cannot be failed on purpose.
 */
static void trace_ahead(long nr, long a1, long a2, long a3, long a4)
{
	const long args[6] = { a1, a2, a3, a4, 0, 0 };

	if (trace_fd >= 0)
		trace(nr, args, 0, PENDING);
}

static long hooked_call(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	const long args[6] = { a1, a2, a3, a4, a5, a6 };
	long ret = sys_pre(nr);

	if (ret) {
		if (trace_fd >= 0)
			trace(nr, args, ret, INJECTED);
		return ret;
	}
	/* Log calls that never return before making them. */
	if ((nr == __NR_exit || nr == __NR_exit_group) && trace_fd >= 0)
		trace(nr, args, 0, PENDING);
	ret = weft_syscall6(nr, a1, a2, a3, a4, a5, a6);
	sys_post(nr, args, ret, false);
	return ret;
}

/*
 * WEFT_FAULT=name:nth:ERRNO[,name:nth:ERRNO...], e.g. WEFT_FAULT=mmap:1:ENOMEM,
 * arms rules before anything else runs, so that start-up's own failure paths
 * (the main thread's TLS mapping, setting its thread pointer, the altstack) can be tested
 * and watched: what does weft do if the first mmap fails? nth 0 is "every
 * call". Ignored for set-user-ID programs (AT_SECURE). Bad text is reported
 * and ignored.
 */
static bool name_is(const char *name, const char *s, size_t n)
{
	return weft_strncmp(name, s, n) == 0 && !name[n];
}

/* The number of the system call whose name is the @n bytes at @s, or -1. */
static long lookup_syscall(const char *s, size_t n)
{
	const char *name = syscall_names;

	for (size_t i = 0; i < ARRAY_SIZE(syscall_nrs); i++, name = next_name(name))
		if (name_is(name, s, n))
			return syscall_nrs[i];
	return -1;
}

static const char too_many_rules[] = "too many rules";

/* Arms the rule in the @len bytes at @s. Return: NULL, or what is wrong with it. */
static const char *parse_rule(const char *s, size_t len)
{
	const char *c1 = s, *c2, *end = s + len;
	unsigned long long nth = 0;
	long nr, err;
	char num[24];

	while (c1 < end && *c1 != ':')
		c1++;
	for (c2 = c1 + 1; c2 < end && *c2 != ':'; c2++)
		;
	if (c1 >= end || c2 >= end)
		return "expected name:nth:ERRNO";
	if ((nr = lookup_syscall(s, (size_t)(c1 - s))) < 0)
		return "no system call weft makes has that name";
	if ((size_t)(c2 - c1 - 1) >= sizeof(num))
		return "nth is not a number";
	memcpy(num, c1 + 1, (size_t)(c2 - c1 - 1));
	num[c2 - c1 - 1] = 0;
	if (weft_parse_u64(num, &nth))
		return "nth is not a number";
	if ((err = weft_errno_by_name(c2 + 1, (size_t)(end - c2 - 1))) <= 0)
		return "not an errno name weft knows (EAGAIN, ENOMEM, ...)";
	if (weft_fault_inject(nr, (unsigned long)nth, (int)err) == -ENOSPC)
		return too_many_rules;
	return NULL;
}

static void fault_init(const char *value, bool secure)
{
	if (!value || !*value || secure)
		return;
	for (const char *p = value; *p;) {
		const char *q = p, *why;

		while (*q && *q != ',')
			q++;
		if ((why = parse_rule(p, (size_t)(q - p))) == too_many_rules)
			init_complain("weft: WEFT_FAULT: \"%.*s\": %s, at most %d; rule ignored\n",
				      (int)(q - p < 100 ? q - p : 100), p, why, WEFT_FAULT_RULES);
		else if (why)
			init_complain("weft: WEFT_FAULT: \"%.*s\": %s; rule ignored\n",
				      (int)(q - p < 100 ? q - p : 100), p, why);
		p = *q ? q + 1 : q;
	}
}

/*
 * The tracer's one entry from start-up (lib/hooks.h): weft_start_c() calls it,
 * if the program linked it, before the main thread's TLS exists.
 */
void weft_trace_start(void)
{
	weft_tracer = (struct weft_tracer){
		.pre = sys_pre, .post = sys_post, .ahead = trace_ahead, .why = set_why,
	};
	trace_init(weft_getenv("WEFT_TRACE"), weft_start.secure);
	fault_init(weft_getenv("WEFT_FAULT"), weft_start.secure);
}
