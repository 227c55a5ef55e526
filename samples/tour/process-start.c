// SPDX-License-Identifier: MIT
/* Tour chapter 1: what the kernel handed this process, and the TLS weft built before main. */
#include <stdint.h>

#include <linux/auxvec.h>

#include "tour.h"

/*
 * Two thread-locals of this chapter: one with an initial value, which the
 * linker puts in .tdata (copied into every thread's block), one without,
 * in .tbss (zeroed). Both are addressed relative to the thread pointer with
 * offsets fixed at link time. Documentation/process-start.rst explains each
 * line this chapter prints.
 */
static __thread unsigned long chapter_visits = 1;
static __thread unsigned long chapter_scratch;

#ifdef __x86_64__
/*
 * The x86_64 ABI puts the stack-protector canary at %fs:0x28, that is at
 * tp + 0x28, one per thread; gcc and clang emit `mov %fs:0x28, %reg` in
 * every protected function.
 */
#define CANARY_WHERE "per thread, at tp + 0x28 (%%fs:0x28)"
static const uintptr_t *canary_slot(const struct weft_startup *st)
{
	return (const uintptr_t *)((char *)st->main_tp + 0x28);
}
#else
/* aarch64 and riscv64: protected functions compare against one global. */
extern uintptr_t __stack_chk_guard;
#define CANARY_WHERE "in the global __stack_chk_guard"
static const uintptr_t *canary_slot(const struct weft_startup *st)
{
	return &__stack_chk_guard;
}
#endif

static void say_aux(const char *name, unsigned long type, const char *why)
{
	unsigned long value = weft_getauxval(type);

	tour_say("  %-16s 0x%lx  %s\n", name, value, why);
}

static void show_initial_stack(const struct weft_startup *st)
{
	const char *sp = st->initial_sp;
	int i;

	tour_say("The kernel put argc, argv, envp and auxv on the stack; _start passed sp to C:\n"
		 "  initial sp       %p  (argc = %d)\n"
		 "  argv             sp + %ld, envp sp + %ld, auxv sp + %ld\n",
		 st->initial_sp, st->argc, (long)((const char *)st->argv - sp),
		 (long)((const char *)st->envp - sp), (long)((const char *)st->auxv - sp));
	for (i = 0; i < st->argc && i < 3; i++)
		tour_say("  argv[%d]          \"%.50s\"\n", i, st->argv[i]);
	if (st->argc > 3)
		tour_say("  ...              (%d more)\n", st->argc - 3);
}

static void show_auxv(const struct weft_startup *st)
{
	unsigned long vdso = weft_getauxval(AT_SYSINFO_EHDR);

	tour_say("The auxiliary vector, the kernel's (type, value) notes after envp:\n");
	tour_say("  %-16s %lu\n", "AT_PAGESZ", weft_getauxval(AT_PAGESZ));
	say_aux("AT_PHDR", AT_PHDR, "program headers: where PT_TLS is found");
	say_aux("AT_RANDOM", AT_RANDOM, "address of 16 random bytes: the canary's seed");
	if (st->minsigstksz)
		tour_say("  %-16s %zu  bytes a signal frame needs on this CPU\n",
			 "AT_MINSIGSTKSZ", st->minsigstksz);
	else
		tour_say("  %-16s not given (qemu-user gives none)\n", "AT_MINSIGSTKSZ");
	tour_say("  %-16s %lu  (1 would mean set-user-ID: WEFT_TRACE=path is ignored)\n",
		 "AT_SECURE", weft_getauxval(AT_SECURE));
	if (vdso)
		tour_say("  %-16s 0x%lx  the vDSO is mapped\n", "AT_SYSINFO_EHDR", vdso);
	else
		tour_say("  %-16s not given: no vDSO (qemu-user maps none)\n", "AT_SYSINFO_EHDR");
}

static void show_tls(const struct weft_startup *st)
{
	char *tp = st->main_tp;
	struct weft_stack_info info;
	char *block;

	weft_stack_info(&info);
	block = info.tls_block;
	tour_say("PT_TLS, the image every thread's TLS block is copied from:\n"
		 "  filesz %zu (.tdata), memsz %zu (+ .tbss), align %zu -> tls_size %zu\n",
		 st->tls_filesz, st->tls_memsz, st->tls_align, st->tls_size);
	if (block < tp)
		tour_say("The main thread's block and control block (variant II, x86_64: "
			 "the block ends at tp, the TCB starts there):\n"
			 "  TLS block        %p  = tp - %zu\n",
			 (void *)block, (size_t)(tp - block));
	else
		tour_say("The main thread's block and control block (variant I: the block "
			 "starts above tp, weft's TCB ends at tp):\n"
			 "  TLS block        %p  = tp + %zu\n",
			 (void *)block, (size_t)(block - tp));
	tour_say("  tp               %p  (the thread pointer register; tp %% align = %lu)\n",
		 (void *)tp, (unsigned long)((uintptr_t)tp % st->tls_align));
	/*
	 * Taking the address of a thread-local makes the compiler read the
	 * thread pointer (on x86_64 through the TCB's first word, its pointer
	 * to itself) and add a link-time offset: these two addresses come out
	 * right only because weft put the block where the linker assumed.
	 */
	tour_say("  &chapter_visits  %p  offset %ld from tp  (.tdata, value %lu)\n"
		 "  &chapter_scratch %p  offset %ld from tp  (.tbss, value %lu)\n",
		 (void *)&chapter_visits, (long)((char *)&chapter_visits - tp), chapter_visits,
		 (void *)&chapter_scratch, (long)((char *)&chapter_scratch - tp), chapter_scratch);
}

static void show_canary(const struct weft_startup *st)
{
	const uintptr_t *slot = canary_slot(st);
	uintptr_t canary = *slot;
	int from_random = st->random != NULL;

	/* Bytes 1..7 are AT_RANDOM's bytes 1..7 (little-endian); byte 0 is zeroed. */
	for (int i = 1; i < 8 && st->random; i++)
		from_random &= ((canary >> (8 * i)) & 0xff) == st->random[i];
	tour_say("The stack-protector canary, " CANARY_WHERE " (%p); its value stays secret:\n"
		 "  non-zero: %s, low byte 0x00: %s, bytes 1-7 from AT_RANDOM: %s\n",
		 (const void *)slot, canary ? "yes" : "NO",
		 (canary & 0xff) == 0 ? "yes" : "NO", from_random ? "yes" : "NO");
}

void tour_process_start(void)
{
	const struct weft_startup *st = weft_startup_info();

	tour_heading("1. From execve to main");
	show_initial_stack(st);
	show_auxv(st);
	show_tls(st);
	show_canary(st);
}
