// SPDX-License-Identifier: MIT
/* From _start to main(): read what the kernel passed, build the main thread's TLS, run main. */
#define WEFT_SYS_COLD	/* cold code: built for size, system calls out of line (sys.h) */
#include <linux/auxvec.h>
#include <linux/elf.h>
#include <linux/mman.h>

#include "weft/io.h"

#include "lib/hooks.h"
#include "lib/internal.h"

/*
 * Built with -fno-stack-protector: on x86_64 the canary is read from the TCB
 * through the thread pointer, which is 0 until weft_tls_install() has run, so
 * a protected function's canary load would fault.
 */

struct weft_startup weft_start;

/*
 * The tracer's entry points (lib/trace.h): weft_trace_start() replaces these
 * if the program linked it. Until then, and without it, they do nothing, so
 * that a caller needs no test.
 */
static long no_pre(long nr)
{
	return 0;
}

static void no_post(long nr, const long args[6], long ret, bool injected)
{
}

static void no_ahead(long nr, long a1, long a2, long a3, long a4)
{
}

static void __attribute__((format(printf, 1, 2))) no_why(const char *fmt, ...)
{
}

struct weft_tracer weft_tracer = {
	.pre = no_pre, .post = no_post, .ahead = no_ahead, .why = no_why,
};

#ifndef WEFT_ARCH_CANARY_OFFSET
/*
 * aarch64 and riscv64: gcc and clang compare against this global instead of
 * a per-thread TCB slot (Documentation/porting.rst, "The canary"). It is set
 * in weft_start_c() before any protected function runs, so no frame ever saw
 * another value.
 */
uintptr_t __stack_chk_guard;
#endif

int main(int argc, char **argv, char **envp);

/* Provided by the linker's default script for static executables. */
extern void (*__preinit_array_start[])(int, char **, char **) __attribute__((weak));
extern void (*__preinit_array_end[])(int, char **, char **) __attribute__((weak));
extern void (*__init_array_start[])(int, char **, char **) __attribute__((weak));
extern void (*__init_array_end[])(int, char **, char **) __attribute__((weak));

const struct weft_startup *weft_startup_info(void)
{
	return &weft_start;
}

unsigned long weft_getauxval(unsigned long type)
{
	for (unsigned long *a = weft_start.auxv; a && a[0] != AT_NULL; a += 2)
		if (a[0] == type)
			return a[1];
	return 0;
}

const char *weft_getenv(const char *name)
{
	size_t n = weft_strlen(name);

	for (char **e = weft_start.envp; e && *e; e++)
		if (weft_strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/*
 * Find PT_TLS among the program headers the kernel mapped (AT_PHDR). For a
 * static non-PIE executable the load bias is 0, but compute it from PT_PHDR
 * anyway so that the same code would work for a static-PIE.
 */
static void find_tls(void)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)weft_getauxval(AT_PHDR);
	unsigned long phnum = weft_getauxval(AT_PHNUM);
	unsigned long phent = weft_getauxval(AT_PHENT);
	const Elf64_Phdr *tls = NULL;
	uintptr_t bias = 0;

	for (unsigned long i = 0; ph && i < phnum; i++) {
		const Elf64_Phdr *p = (const void *)((const char *)ph + i * phent);

		if (p->p_type == PT_PHDR)
			bias = (uintptr_t)ph - p->p_vaddr;
		else if (p->p_type == PT_TLS)
			tls = p;
	}
	weft_start.tls_align = 1;
	if (!tls)
		return;
	weft_start.tls_image = (const void *)(bias + tls->p_vaddr);
	weft_start.tls_filesz = tls->p_filesz;
	weft_start.tls_memsz = tls->p_memsz;
	weft_start.tls_align = tls->p_align ? tls->p_align : 1;
}

/* The canary: 8 of the kernel's AT_RANDOM bytes, copied bytewise (may be unaligned). */
static uintptr_t make_canary(void)
{
	const unsigned char *r = weft_start.random;
	uintptr_t c = 0;

	if (!r)
		return 0xff0a0dbadc0de000ULL;	/* no AT_RANDOM: fixed, low byte 0 as below */
	for (int i = 0; i < 8; i++)
		c |= (uintptr_t)r[i] << (8 * i);
	/*
	 * Zero the lowest byte, as glibc does: on little-endian it is the first
	 * byte in memory, so a string overflow (strcpy and friends stop at NUL)
	 * cannot both reproduce the canary and run past it.
	 */
	return c & ~(uintptr_t)0xff;
}

static const char *errno_name(long err)
{
	const char *name = weft_errno_name((int)err);

	return name ? name : "error";
}

static void setup_main_tls(void)
{
	size_t len = ROUND_UP(weft_tls_area_size(), weft_start.page_size);
	struct weft_tcb *tcb;
	long area, err;

	sys_why("main thread TLS block + TCB");
	area = sys_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sys_is_error(area)) {
		/* weft_dprintf() formats on the stack: it needs no TLS. */
		weft_dprintf(2, "weft: cannot map the main thread's TLS block: %s\n",
			     errno_name(area));
		sys_exit_group(127);
	}
	tcb = weft_tls_install((void *)area, len);
	if (WEFT_SET_TP_IS_SYSCALL)
		sys_why("install the main thread's thread pointer");
	err = sys_set_thread_pointer(weft_tcb_tp(tcb));
	if (err) {
		weft_dprintf(2, "weft: cannot set the main thread's thread pointer: %s\n",
			     errno_name(err));
		sys_exit_group(127);
	}
	weft_start.main_tp = weft_tcb_tp(tcb);
}

/*
 * WEFT_TRACE and WEFT_FAULT are read by the tracer, which a program links only
 * if it asks (lib/trace.h). Without it, a variable set to ask for it is not
 * ignored in silence: one line says what to link, and the program runs on.
 */
static void tracer_not_linked(const char *name)
{
	const char *value = weft_getenv(name);

	if (value && *value && !(value[0] == '0' && !value[1]))
		weft_dprintf(2, "weft: %s is set but this program was linked without the tracer; "
			     "link with `pkg-config --libs weft-trace` (or -Wl,-u,weft_trace_start) "
			     "to use it\n", name);
}

/* Kept out of line so that its stack frame, protected or not, starts after TLS is live. */
static __attribute__((noinline, noreturn)) void run_main(void)
{
	int argc = weft_start.argc;
	char **argv = weft_start.argv, **envp = weft_start.envp;

	weft_runtime_init();
	for (void (**f)(int, char **, char **) = __preinit_array_start;
	     f && f < __preinit_array_end; f++)
		(*f)(argc, argv, envp);
	for (void (**f)(int, char **, char **) = __init_array_start; f && f < __init_array_end; f++)
		(*f)(argc, argv, envp);
	weft_exit(main(argc, argv, envp));
}

/**
 * weft_start_c() - the C half of _start
 * @sp: the initial stack pointer, pointing at argc
 *
 * The initial stack, as fs/binfmt_elf.c create_elf_tables() writes it:
 *
 *     sp -> argc
 *           argv[0] ... argv[argc-1], NULL
 *           envp[0] ... NULL
 *           auxv: (AT_PHDR, addr) (AT_PAGESZ, 4096) ... (AT_NULL, 0)
 *           ... padding, AT_RANDOM bytes, the strings, the program name
 */
__attribute__((noreturn, used)) void weft_start_c(long *sp)
{
	char **p;

	weft_start.initial_sp = sp;
	weft_start.argc = (int)sp[0];
	weft_start.argv = (char **)(sp + 1);
	weft_start.envp = weft_start.argv + weft_start.argc + 1;
	for (p = weft_start.envp; *p; p++)
		;
	weft_start.auxv = (unsigned long *)(p + 1);

	weft_start.page_size = weft_getauxval(AT_PAGESZ);
	if (!weft_start.page_size)
		weft_start.page_size = 4096;
	weft_start.minsigstksz = weft_getauxval(AT_MINSIGSTKSZ);
	weft_start.secure = weft_getauxval(AT_SECURE) != 0;
	weft_start.random = (const unsigned char *)weft_getauxval(AT_RANDOM);
	weft_start.canary = make_canary();
#ifndef WEFT_ARCH_CANARY_OFFSET
	__stack_chk_guard = weft_start.canary;
#endif

	if (weft_trace_start) {
		weft_trace_start();
	} else {
		tracer_not_linked("WEFT_TRACE");
		tracer_not_linked("WEFT_FAULT");
	}
	find_tls();
	setup_main_tls();
	run_main();
}
