// SPDX-License-Identifier: MIT
/* The monotonic clock (through the vDSO when there is one) and the deadline conversions. */
#include <linux/auxvec.h>
#include <linux/elf.h>
#include <linux/time.h>

#include "weft/time.h"

#include "lib/internal.h"
#include "syscall_arch.h"

/*
 * DOC: reading the clock through the vDSO
 *
 * The kernel maps a small shared object into every process, the vDSO
 * ("virtual dynamic shared object"), and passes its address in the
 * auxiliary vector as AT_SYSINFO_EHDR. Its clock_gettime reads the clock
 * from a page the kernel keeps up to date (the vvar page) plus the CPU's
 * cycle counter, with no system call: about a fifth of the system call
 * (Documentation/sleep.rst has the figures). weft has no dynamic loader, so
 * it finds the function itself, once, the way the kernel's own example does
 * (tools/testing/selftests/vDSO/parse_vdso.c):
 *
 *   AT_SYSINFO_EHDR --> ELF header --e_phoff--> program headers
 *        PT_LOAD:    load bias = base + p_offset - p_vaddr
 *        PT_DYNAMIC: the dynamic section --> DT_HASH, DT_SYMTAB, DT_STRTAB
 *   DT_HASH[1] = nchain = number of symbols; walk DT_SYMTAB for a defined
 *   STT_FUNC whose name (in DT_STRTAB) is WEFT_ARCH_VDSO_CLOCK_GETTIME
 *   ("__vdso_clock_gettime" on x86_64); its address is bias + st_value.
 *
 * Every vDSO weft supports is linked with a SysV hash table (the kernel's
 * arch/x86/entry/vdso/Makefile asks for --hash-style=both), so the symbol
 * count comes from DT_HASH; a vDSO without one, or without the function,
 * counts as no vDSO. The symbol versions are not checked: each of these
 * vDSOs exports exactly one clock_gettime. qemu-user (up to 8.0; Debian 12
 * ships 7.2) maps no vDSO: AT_SYSINFO_EHDR is absent and weft_now() makes
 * the clock_gettime system call instead. So does an architecture whose
 * syscall_arch.h names no vDSO function.
 */

typedef int (*vdso_clock_gettime_t)(int clock, struct __kernel_timespec *ts);

void *weft_vdso_sym(const void *vdso, const char *name)
{
	const Elf64_Ehdr *eh = vdso;
	const Elf64_Phdr *ph;
	const Elf64_Dyn *dyn = NULL;
	const Elf64_Sym *sym = NULL;
	const Elf32_Word *hash = NULL;
	const char *str = NULL;
	uintptr_t bias = 0;
	bool loaded = false;

	if (!eh || !name || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_phentsize != sizeof(*ph))
		return NULL;
	ph = (const Elf64_Phdr *)((const char *)vdso + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !loaded) {
			bias = (uintptr_t)vdso + ph[i].p_offset - ph[i].p_vaddr;
			loaded = true;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const Elf64_Dyn *)((const char *)vdso + ph[i].p_offset);
		}
	}
	if (!loaded || !dyn)
		return NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		if (dyn->d_tag == DT_HASH)
			hash = (const Elf32_Word *)(bias + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_SYMTAB)
			sym = (const Elf64_Sym *)(bias + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_STRTAB)
			str = (const char *)(bias + dyn->d_un.d_ptr);
	}
	if (!hash || !sym || !str)
		return NULL;
	/* A SysV hash table is { nbucket, nchain, ... }; nchain is the symbol count. */
	for (Elf32_Word i = 0; i < hash[1]; i++) {
		if (ELF64_ST_TYPE(sym[i].st_info) != STT_FUNC || sym[i].st_shndx == SHN_UNDEF)
			continue;
		if (weft_strcmp(str + sym[i].st_name, name) == 0)
			return (void *)(bias + sym[i].st_value);
	}
	return NULL;
}

/* The syscall, for a process without a vDSO: the same signature as the vDSO's function. */
static int syscall_clock_gettime(int clock, struct __kernel_timespec *ts)
{
	return (int)sys_clock_gettime(clock, ts);
}

/* Resolved on first use; a race resolves it twice to the same answer. */
static _Atomic vdso_clock_gettime_t clock_gettime_fn;

static vdso_clock_gettime_t resolve_clock_gettime(void)
{
	vdso_clock_gettime_t fn = NULL;

#ifdef WEFT_ARCH_VDSO_CLOCK_GETTIME
	fn = (vdso_clock_gettime_t)weft_vdso_sym((const void *)weft_getauxval(AT_SYSINFO_EHDR),
						 WEFT_ARCH_VDSO_CLOCK_GETTIME);
#endif
	if (!fn)
		fn = syscall_clock_gettime;
	atomic_store_explicit(&clock_gettime_fn, fn, memory_order_relaxed);
	return fn;
}

bool weft_clock_uses_vdso(void)
{
	vdso_clock_gettime_t fn = atomic_load_explicit(&clock_gettime_fn, memory_order_relaxed);

	return (fn ? fn : resolve_clock_gettime()) != syscall_clock_gettime;
}

void weft_clock_force_syscall(bool force)
{
	if (force)
		atomic_store_explicit(&clock_gettime_fn, syscall_clock_gettime,
				      memory_order_relaxed);
	else
		resolve_clock_gettime();
}

uint64_t weft_now(void)
{
	vdso_clock_gettime_t fn = atomic_load_explicit(&clock_gettime_fn, memory_order_relaxed);
	struct __kernel_timespec ts;

	if (unlikely(!fn))
		fn = resolve_clock_gettime();
	/*
	 * CLOCK_MONOTONIC cannot fail (the vDSO itself falls back to the system
	 * call). If it ever did, no time is a safe answer: Rust panics there
	 * (Timespec::now unwraps), weft's clock sits below panics, so it is a
	 * fatal runtime error.
	 */
	int err = fn(CLOCK_MONOTONIC, &ts);

	if (unlikely(err != 0)) {
		/* Both the vDSO and the system call return -errno. */
		const char *name = weft_errno_name(err);

		weft_fatal("fatal runtime error: clock_gettime(CLOCK_MONOTONIC) failed: %s\n",
			   name ? name : "error");
	}
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t weft_deadline_in(uint64_t ns)
{
	uint64_t now = weft_now();

	if (ns >= WEFT_DEADLINE_LIMIT - now || now >= WEFT_DEADLINE_LIMIT)
		return WEFT_FOREVER;
	return now + ns;
}

void weft_ns_to_timespec(uint64_t ns, struct __kernel_timespec *ts)
{
	ts->tv_sec = (long long)(ns / 1000000000ULL);
	ts->tv_nsec = (long long)(ns % 1000000000ULL);
}

const struct __kernel_timespec *weft_deadline_timespec(uint64_t deadline,
						       struct __kernel_timespec *ts)
{
	if (deadline >= WEFT_DEADLINE_LIMIT)
		return NULL;
	weft_ns_to_timespec(deadline, ts);
	return ts;
}
