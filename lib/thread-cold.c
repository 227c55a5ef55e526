// SPDX-License-Identifier: MIT
/* The rare paths of native threads, built for size: the default stack, a fresh mapping, names. */
#define WEFT_SYS_COLD
#include <linux/errno.h>
#include <linux/mman.h>
#include <linux/prctl.h>
#include <linux/sched.h>

#include "weft/io.h"
#include "weft/panic.h"

#include "lib/thread.h"

/*
 * Each of these runs once per process, once per thread that is named or
 * whose stack the cache could not serve, or never: lib/thread.c keeps the
 * path every spawn and join takes, at -O2 with inline system calls, and
 * calls these out of line (Makefile, "Code that runs once").
 */

static _Atomic size_t default_stack_cached;

size_t weft_default_stack_size(void)
{
	size_t s = atomic_load_explicit(&default_stack_cached, memory_order_relaxed);

	if (!s) {
		/*
		 * Like RUST_MIN_STACK, except that a value that is not a size is
		 * said to be one, once, rather than silently ignored as Rust does.
		 */
		/* An int, not a bool: gcc 12 makes a byte exchange a libatomic call on riscv64. */
		static _Atomic int warned;
		const char *env = weft_getenv("WEFT_MIN_STACK");
		unsigned long long v = 0;
		int err;

		if (env && !*env)
			env = NULL;	/* set but empty: unset, as for WEFT_TRACE */
		err = env ? weft_parse_u64(env, &v) : 0;
		s = WEFT_STACK_DEFAULT;
		if (env && !err && v < (1ULL << 40))
			s = v < WEFT_STACK_MIN ? WEFT_STACK_MIN : (size_t)v;
		else if (env && !atomic_exchange(&warned, 1))
			weft_dprintf(2, "weft: WEFT_MIN_STACK=%s: %s; using the default, %lu KiB\n",
				     env, err == -EINVAL ? "not a size (bytes, 0x..., suffix K, M "
				     "or G)" : "too large (1 TiB or more)", WEFT_STACK_DEFAULT >> 10);
		atomic_store_explicit(&default_stack_cached, s, memory_order_relaxed);
	}
	return s;
}

long weft_map_thread(size_t total, size_t guard, size_t rw, const char *name)
{
	char *map;
	long p, err;

	sys_why("thread '%s' guard+stack+TLS+altstack", weft_name_or_unnamed(name));
	p = sys_mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (sys_is_error(p))
		return p;
	map = (char *)p;
	sys_why("thread '%s' stack + TLS + altstack above the guard", weft_name_or_unnamed(name));
	err = sys_mprotect(map + guard, rw, PROT_READ | PROT_WRITE);
	if (err) {
		sys_why("undo a half-made thread mapping");
		sys_munmap(map, total);
		return err;
	}
	return p;
}

void weft_thread_set_comm(const char *name)
{
	/* qemu-user reads 16 bytes whatever the length (abi-notes.rst §10). */
	char comm[16] = { 0 };

	weft_strlcpy(comm, name, sizeof(comm));
	/* Best effort: weft keeps the whole name whatever the kernel says. */
	sys_why("thread name, as the kernel shows it in comm");
	sys_prctl(PR_SET_NAME, (unsigned long)comm, 0, 0, 0);
}

/*
 * Without its altstack a thread's overflow would die by plain SIGSEGV, with
 * no report. Rust panics when it cannot set up its handler's stack
 * ("failed to allocate an alternative stack"); so does weft, before running
 * the thread's function: the joiner sees WEFT_PANICKED, a detached thread's
 * panic message is printed. sigaltstack(2) fails only for a size under
 * MINSIGSTKSZ or while on the altstack, neither possible here: in practice
 * this is a fault injected by a test.
 */
void *weft_no_overflow_detection(void *arg)
{
	const char *name = weft_errno_name((int)(long)arg);

	weft_panic("failed to set up stack overflow detection: sigaltstack failed: %s",
		   name ? name : "error");
}

void weft_trace_clone(long ret, bool injected, uintptr_t stack, _Atomic uint32_t *tid_word,
		      void *tp)
{
	/* tls and child_tid in the kernel's order (kernel-abi/sys.h, sys_clone()). */
	const long args[6] = { WEFT_CLONE_FLAGS, (long)stack, (long)tid_word,
			       WEFT_CLONE_ARG4((long)tid_word, (long)tp),
			       WEFT_CLONE_ARG5((long)tid_word, (long)tp), 0 };

	weft_tracer.post(__NR_clone, args, ret, injected);
}

void weft_trace_unmap_and_exit(void *map, size_t len)
{
	static const unsigned long all = ~0UL;

	sys_why("detached thread: free my own stack, registers only from here");
	weft_tracer.ahead(__NR_rt_sigprocmask, SIG_BLOCK, (long)&all, 0, WEFT_SIGSET_SIZE);
	weft_tracer.ahead(__NR_set_tid_address, 0, 0, 0, 0);
	weft_tracer.ahead(__NR_munmap, (long)map, (long)len, 0, 0);
	weft_tracer.ahead(__NR_exit, 0, 0, 0, 0);
}
