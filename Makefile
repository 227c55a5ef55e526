# SPDX-License-Identifier: MIT
# weft: threads woven from raw Linux syscalls. `make help` lists the targets and variables.

CROSS_COMPILE ?=
# ARCH follows CROSS_COMPILE when only that is given: make CROSS_COMPILE=aarch64-linux-gnu-
ARCH          ?= $(or $(patsubst %-linux-gnu-,%,$(filter %-linux-gnu-,$(CROSS_COMPILE))),x86_64)
V             ?= 0

# --- architectures -------------------------------------------------------------------------
# One block per architecture: ARCH_TRIPLE (the GNU triple, for clang's --target and the
# cross UAPI headers in /usr/$(ARCH_TRIPLE)/include), ARCH_CFLAGS (target flags for C and
# assembly), ARCH_QEMU (the qemu-user binary that runs its programs), ARCH_NATIVE_ON (the
# `uname -m` of the hosts that run them without qemu, where `make check` adds a native
# pass) and ARCH_GENERAL_REGS (how to keep cold code off the FP/vector registers). A new
# architecture is a directory in arch/ and a block here (Documentation/porting.rst).
ifeq ($(ARCH),x86_64)
ARCH_TRIPLE       := x86_64-linux-gnu
ARCH_CFLAGS       :=
ARCH_QEMU         := qemu-x86_64
ARCH_NATIVE_ON    := x86_64
ARCH_GENERAL_REGS := -mgeneral-regs-only
endif
ifeq ($(ARCH),aarch64)
ARCH_TRIPLE       := aarch64-linux-gnu
# Atomics inline (LL/SC, ARMv8.0): gcc and clang otherwise call libgcc's __aarch64_cas4_acq
# and friends, which pick LSE at run time; there is no libgcc here.
ARCH_CFLAGS       := -mno-outline-atomics
ARCH_QEMU         := qemu-aarch64
ARCH_NATIVE_ON    := aarch64 arm64
ARCH_GENERAL_REGS := -mgeneral-regs-only
endif
ifeq ($(ARCH),riscv64)
ARCH_TRIPLE       := riscv64-linux-gnu
# No small-data section: with one, GNU ld 2.40 can merge .srodata, .sdata and .bss into a
# single writable and executable LOAD segment (tests/check-elf.sh rejects that).
ARCH_CFLAGS       := -msmall-data-limit=0
ARCH_QEMU         := qemu-riscv64
ARCH_NATIVE_ON    := riscv64
# riscv has no such option (gcc rejects it, clang ignores it) and needs none: a variadic
# function receives floating-point arguments in integer registers.
ARCH_GENERAL_REGS :=
ARCH_GCC_STACK_PROBES := -fstack-check
endif
ifeq ($(ARCH_QEMU),)
$(error ARCH=$(ARCH) is not supported; arch/ has: $(notdir $(wildcard arch/*)))
endif
QEMU_USER ?= $(ARCH_QEMU)
HOST_ARCH := $(shell uname -m)
NATIVE    ?= $(if $(filter $(HOST_ARCH),$(ARCH_NATIVE_ON)),yes,no)

# --- tools ---------------------------------------------------------------------------------
# The compiler: $(CROSS_COMPILE)gcc when a prefix is given or the target is the host's;
# clang for another architecture without one (it needs no cross toolchain, only lld and
# the cross UAPI headers).
ifeq ($(origin CC),default)
ifeq ($(CROSS_COMPILE)$(NATIVE),no)
CC := clang
else
CC := $(CROSS_COMPILE)gcc
endif
endif
ifeq ($(origin AR),default)
AR := $(CROSS_COMPILE)ar
endif
# clang for another architecture has no $(CROSS_COMPILE) binutils: llvm-strip reads any ELF.
STRIP ?= $(strip $(if $(and $(CC_IS_CLANG),$(filter no,$(NATIVE)),$(if $(CROSS_COMPILE),,1)), \
	  llvm-strip,$(CROSS_COMPILE)strip))
CC_IS_CLANG := $(shell $(CC) --version 2>/dev/null | grep -q clang && echo 1)
# Off the host's architecture the header search is made hermetic: the compiler's own
# freestanding headers, then the target's UAPI headers from linux-libc-dev-<arch>-cross,
# never the host's /usr/include (Debian's cross gcc searches it last, and its limits.h
# then reaches the host glibc's). clang builds for any target; it must be told which and
# to link with lld.
ARCH_LDFLAGS :=
ifeq ($(NATIVE),no)
ifeq ($(CC_IS_CLANG),1)
ARCH_CFLAGS  += --target=$(ARCH_TRIPLE)
ARCH_LDFLAGS += --target=$(ARCH_TRIPLE) -fuse-ld=lld
CC_INCLUDE   := $(shell $(CC) -print-resource-dir)/include
else
CC_INCLUDE   := $(shell $(CC) -print-file-name=include)
# gcc's limits.h asks for the C library's with #include_next unless that one was read
# already (_LIBC_LIMITS_H_); weft has no C library, gcc's own has every constant.
ARCH_INCLUDES := -D_LIBC_LIMITS_H_
endif
# Only for weft's own build, not in weft.pc: pkg-config would prefix these absolute paths
# with PKG_CONFIG_SYSROOT_DIR, and weft's public headers need nothing beyond the
# compiler's own and asm-generic/, which every Linux UAPI header set has.
ARCH_INCLUDES += -nostdinc -isystem $(CC_INCLUDE) -isystem /usr/$(ARCH_TRIPLE)/include
endif

ifeq ($(V),1)
Q :=
quiet = @true
else
Q := @
quiet = @printf '  %-7s %s\n'
endif

# --- the output directory ------------------------------------------------------------------
# O=DIR puts everything the build makes (objects, libweft.a, crt0.o, tests, samples,
# bench/out, the docs) under DIR, mirroring the source tree: O=build/x86_64 gives
# build/x86_64/lib/libweft.a and build/x86_64/tests/test-thread. Without O=, a build for
# another architecture goes to build/$(ARCH); the default one stays in the source tree.
ifeq ($(O),)
ifneq ($(ARCH),x86_64)
O := build/$(ARCH)
endif
endif
B := $(if $(O),$(patsubst %/,%,$(O))/)

# --- flags ---------------------------------------------------------------------------------
# weft's own flags are WEFT_*; the user's CPPFLAGS, CFLAGS, ASFLAGS and LDFLAGS from the
# command line, and EXTRA_CFLAGS and EXTRA_LDFLAGS from anywhere, come after them, so that
# `make CFLAGS=-O0` adds -O0 and keeps -ffreestanding and the rest. CFLAGS and friends
# from the environment are for programs built on libc (dpkg-buildflags' -D_FORTIFY_SOURCE,
# -fPIE ...) and are ignored.
$(foreach v,CPPFLAGS CFLAGS ASFLAGS LDFLAGS,$(if $(filter environment,$(origin $(v))),$(eval $(v) :=)))

WEFT_CPPFLAGS := -Iinclude -Iarch/$(ARCH) -I. $(ARCH_INCLUDES)
# Flags in the spirit of tools/include/nolibc: no libc, no start files, static, no PIE.
# -fno-ident: no .comment section naming the compiler in every binary (112 bytes of a
# stripped one, header included); the code is the same.
# -Wmissing-format-attribute: gcc fails the build when a function that hands its format
# and arguments on to the printf family has no format(printf) attribute of its own, so that
# every printf-like function's callers stay checked.
# WEFT_PROGRAM_CFLAGS are what every weft program is compiled with, weft's own and another
# project's (they are the Cflags of the installed weft.pc); WEFT_CFLAGS add the warnings.
WEFT_PROGRAM_CFLAGS := -O2 -ffreestanding -fno-pie -fno-asynchronous-unwind-tables \
		       -fno-unwind-tables -fno-plt -fstack-protector-strong -ffunction-sections \
		       -fdata-sections -fno-ident $(ARCH_CFLAGS)
# Stack clash protection (Documentation/stack-guard.rst): a function whose frame is bigger
# than a page touches every page of it on the way down, so it cannot step over a thread's
# guard into the mapping below. gcc probes every 2^guard-size bytes: 4 KiB on x86_64, but
# 64 KiB by default on aarch64, hence the explicit 12. clang 14 implements the flag on
# x86_64 only (elsewhere it is an unused argument, an error under -Werror: LLVM 18 added
# aarch64's probes, LLVM 20 riscv64's), so clang gets it only where it accepts it.
cc-option = $(shell $(CC) $(ARCH_CFLAGS) $(1) -Werror -c -x c /dev/null -o /dev/null \
		2>/dev/null && echo $(1))
# gcc 12 for riscv64 accepts the flag but emits no probes (they came in gcc 14); there
# ARCH_GCC_STACK_PROBES, gcc's generic -fstack-check, probes each page of a big frame
# instead (tests/test-stack-guard.c, the 64 KiB and 1 MiB frames).
ifeq ($(CC_IS_CLANG),1)
STACK_PROBES := $(call cc-option,-fstack-clash-protection)
else ifeq ($(ARCH_GCC_STACK_PROBES),)
STACK_PROBES := $(call cc-option,-fstack-clash-protection) \
		--param=stack-clash-protection-guard-size=12
else
STACK_PROBES := $(ARCH_GCC_STACK_PROBES)
endif
WEFT_PROGRAM_CFLAGS += $(STACK_PROBES)
# A compiler that cannot probe (clang 14 for aarch64 or riscv64) builds weft, but a frame
# bigger than a thread's guard can then step over it: say so, and let the big-frame tests
# skip with that reason (a guard bigger than the frame is the remaining defence).
ifeq ($(filter -fstack-clash-protection -fstack-check,$(STACK_PROBES)),)
NO_STACK_PROBES := 1
ifneq ($(WEFT_QUIET_PROBES),1)
$(warning $(CC) emits no stack probes for $(ARCH): a frame bigger than a thread's guard \
	can step over it (Documentation/stack-guard.rst); gcc has them)
endif
endif
WEFT_CFLAGS := -std=gnu11 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	       -Wmissing-format-attribute $(WEFT_PROGRAM_CFLAGS)
WEFT_ASFLAGS := -fno-pie -Wa,--noexecstack $(ARCH_CFLAGS)
# --gc-sections drops every function and table a program does not reach.
# -z noseparate-code: no page of padding between the read-only and code segments.
# -z norelro: PT_GNU_RELRO asks a dynamic loader to mprotect the GOT read-only after
# relocating it. A static non-PIE weft binary has no loader, and lib/start.c never
# reads PT_GNU_RELRO (find_tls() looks at PT_PHDR and PT_TLS only), so nothing would
# ever protect it; the linker would only pad the file to put it on its own page.
# -z common-page-size=64: ld's DATA_SEGMENT_ALIGN starts .data on a fresh page, padding
# the file with up to 4 KiB of zeros, whenever that makes .data+.bss span one
# common page fewer. That page is mostly .bss, which costs nothing until touched; with
# a 64-byte "common page" the padding is at most 63 bytes. Segments stay congruent to
# their file offsets modulo the real page size (max-page-size, 4 KiB).
WEFT_LDFLAGS := -nostdlib -static -Wl,-z,noexecstack -Wl,--build-id=none -Wl,--gc-sections \
		-Wl,-z,noseparate-code -Wl,-z,norelro -Wl,-z,common-page-size=64 $(ARCH_LDFLAGS)
# gcc needs -no-pie to link a position-dependent executable; clang 14 links one
# anyway after -fno-pie and warns that -no-pie is unused, so it only gets it from gcc.
ifneq ($(CC_IS_CLANG),1)
WEFT_LDFLAGS += -no-pie
endif

# What the rules below run. OBJ_CFLAGS are an object's own must-haves (set per target
# below), last so that no user flag undoes them.
c_flags  = $(WEFT_CPPFLAGS) $(CPPFLAGS) $(WEFT_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) $(OBJ_CFLAGS)
as_flags = $(WEFT_CPPFLAGS) $(CPPFLAGS) $(WEFT_ASFLAGS) $(ASFLAGS) $(EXTRA_CFLAGS)
ld_flags = $(WEFT_LDFLAGS) $(LDFLAGS) $(EXTRA_LDFLAGS)

# --- what is built -------------------------------------------------------------------------
LIB_SRCS  := $(sort $(wildcard lib/*.c kernel-abi/*.c))
ARCH_SRCS := $(filter-out arch/$(ARCH)/crt0.S,$(sort $(wildcard arch/$(ARCH)/*.S)))
LIB_OBJS  := $(addprefix $(B),$(LIB_SRCS:.c=.o) $(ARCH_SRCS:.S=.o))
# No frame of the library's own is as big as the smallest guard (one page), so weft's code
# cannot step over a guard even where the compiler does not probe (clang off x86_64).
$(LIB_OBJS): WEFT_CFLAGS += -Wframe-larger-than=4096
CRT0      := $(B)lib/crt0.o
LIBWEFT   := $(B)lib/libweft.a
HEADERS   := $(wildcard include/weft/*.h arch/$(ARCH)/*.h kernel-abi/*.h lib/*.h tests/*.h \
			samples/*.h samples/tour/*.h)

# Code that runs before the main thread has TLS cannot read a per-thread canary (x86_64).
NO_SSP := $(addprefix $(B),lib/start.o lib/tls.o lib/string.o lib/printf.o lib/trace.o \
	  kernel-abi/sys.o)
$(NO_SSP): OBJ_CFLAGS += -fno-stack-protector
ifneq ($(CC_IS_CLANG),1)
# gcc turns a byte loop inside memset into a call to memset.
$(B)lib/string.o: OBJ_CFLAGS += -fno-tree-loop-distribute-patterns
endif

# Code that runs once (start-up, exit, fork), only on error or while tracing (the
# syscall hook, panics, the overflow handler, printf) is built for size, and makes
# its system calls out of line; the hot paths (thread, park, key, local, green,
# alloc, scope) keep -O2 and the inline `syscall`. Each cold file says so
# itself, with `#define WEFT_SYS_COLD` before its includes (see kernel-abi/sys.h):
# that line is what makes it cold here too. bench/README.md ("Binary size") has
# the bytes.
COLD_OBJS := $(addprefix $(B),$(patsubst %.c,%.o,$(shell grep -l '^\#define WEFT_SYS_COLD' \
	     $(LIB_SRCS))))
# weft has no floating point: with -mgeneral-regs-only a variadic function (sys_why(),
# weft_fatal()) does not save %xmm0-7 on entry, 50 to 70 bytes each. The two files whose
# variadic functions take a user's format (the printf family, panics) keep the registers:
# a %f there must be read to be skipped (lib/printf.c, "weft's printf").
# -fplt: in a static non-PIE link a plain call is already direct; -fno-plt's call
# through the GOT is relaxed to a 6-byte `addr32 call`, and a call to a weak function
# that is not linked (lib/exit.c's) keeps a GOT entry, and with it .got and .got.plt.
USER_FORMAT_OBJS := $(addprefix $(B),lib/printf.o lib/panic.o)
# -malign-data=abi (gcc, x86_64): data of 32 bytes or more keeps the alignment the psABI
# gives it (its type's; 16 for an array of 16 bytes or more) instead of gcc's 32, which is
# for vector loads that cold code does not make: the tables, the messages and the tracer's
# entry points then pack without 8 to 31 bytes of fill each (200 bytes of hello-thread).
COLD_ALIGN_DATA := $(call cc-option,-malign-data=abi)
$(COLD_OBJS): WEFT_CFLAGS += -Os -fplt $(COLD_ALIGN_DATA)
$(filter-out $(USER_FORMAT_OBJS),$(COLD_OBJS)): WEFT_CFLAGS += $(ARCH_GENERAL_REGS)
# The cold files that no spawn, join, park or unpark runs a line of (valgrind --tool=callgrind
# over bench/out/spawn_join-weft and pingpong-weft) are built with -Oz: smaller still, at the
# price of a few instructions more where they run (start-up, messages, the atexit list, the
# internal lock's sleeps). The others (string, tls, exit, panic, the stack guard, the spawn's
# rare paths, the out-of-line system call) run in every spawn+join and keep -Os.
SMALLEST_OBJS := $(addprefix $(B),lib/start.o lib/printf.o lib/process.o lib/signal.o \
		 lib/futex.o lib/fork.o lib/runtime.o lib/errno-name.o lib/trace.o)
$(filter $(SMALLEST_OBJS),$(COLD_OBJS)): WEFT_CFLAGS += -Oz

# Every tests/test-*.c is a test program, every samples/*.c a sample, every
# samples/tour/*.c a chapter of the tour: a new one needs no edit here.
TEST_SRCS := $(sort $(wildcard tests/test-*.c))
TESTS     := $(addprefix $(B),$(TEST_SRCS:.c=) tests/harness-selftest)
TOUR      := $(B)samples/tour/tour
# samples/outside/ is a project of its own that uses an installed weft (its Makefile,
# `make check` builds it so); its programs are built here too, as the in-tree twins that
# tests/check-install.sh compares them with.
OUTSIDE   := $(addprefix $(B),$(patsubst %.c,%,$(sort $(wildcard samples/outside/*.c))))
SAMPLES   := $(addprefix $(B),$(patsubst %.c,%,$(sort $(wildcard samples/*.c)))) $(TOUR) \
	     $(OUTSIDE)
TOUR_OBJS := $(addprefix $(B),$(patsubst %.c,%.o,$(sort $(wildcard samples/tour/*.c))))
PROGS     := $(TESTS) $(SAMPLES)

# Rebuild everything when the compiler or its flags change (make CC=clang after gcc).
FLAGS_FILE  := $(B).build-flags
BUILD_FLAGS := $(CC) $(c_flags) $(as_flags) $(ld_flags)
$(shell mkdir -p $(or $(O),.) && { echo '$(BUILD_FLAGS)' | cmp -s - $(FLAGS_FILE) 2>/dev/null || \
	echo '$(BUILD_FLAGS)' > $(FLAGS_FILE); })

.PHONY: check-all
.PHONY: all lib tests samples check check-includes check-layers check-elf run run-native \
	run-user deps bench clean help model-check model-check-big install uninstall htmldocs
.DEFAULT_GOAL := all
.SECONDARY:

all: lib tests samples
lib: $(LIBWEFT) $(CRT0)
tests: $(TESTS)
samples: $(SAMPLES)

# --- rules ---------------------------------------------------------------------------------
$(B)%.o: %.c $(HEADERS) Makefile $(FLAGS_FILE)
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(c_flags) -c -o $@ $<

$(B)%.o: %.S $(HEADERS) Makefile $(FLAGS_FILE)
	$(quiet) AS $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(as_flags) -c -o $@ $<

$(CRT0): arch/$(ARCH)/crt0.S $(HEADERS) Makefile $(FLAGS_FILE)
	$(quiet) AS $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(as_flags) -c -o $@ $<

$(LIBWEFT): $(LIB_OBJS)
	$(quiet) AR $@
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# A program: the start file first, then its objects, then the library (an archive only
# supplies what the objects before it need). link_user links as another project's
# program does by default (`pkg-config --libs weft`): without the tracer, lib/trace.o
# (WEFT_TRACE, WEFT_FAULT; the DOC block of lib/trace.h). weft's own programs (tests,
# samples, the tour) ask for it, as `pkg-config --libs weft-trace` does: fault injection
# is how every failure path is tested, and the README's examples trace the tour.
TRACER_LDFLAGS := -Wl,-u,weft_trace_start
link_user = $(CC) $(ld_flags) -o $@ $(CRT0) $(filter-out $(CRT0),$(filter %.o,$^)) $(LIBWEFT)
link = $(CC) $(ld_flags) $(TRACER_LDFLAGS) -o $@ $(CRT0) $(filter-out $(CRT0),$(filter %.o,$^)) \
       $(LIBWEFT)

$(B)tests/test-%: $(B)tests/test-%.o $(B)tests/harness.o $(LIBWEFT) $(CRT0)
	$(quiet) LD $@
	$(Q)$(link)

# The one test linked without the tracer: what WEFT_TRACE and WEFT_FAULT do then.
$(B)tests/test-no-tracer: $(B)tests/test-no-tracer.o $(B)tests/harness.o $(LIBWEFT) $(CRT0)
	$(quiet) LD $@
	$(Q)$(link_user)

$(B)tests/harness-selftest: $(B)tests/harness-selftest.o $(B)tests/harness.o $(LIBWEFT) $(CRT0)
	$(quiet) LD $@
	$(Q)$(link)

# The stack-smash test must have a canary in every function.
$(B)tests/test-stack-protector.o: OBJ_CFLAGS += -fstack-protector-all
# Without probes the tests of frames bigger than the guard skip, and say why.
$(B)tests/test-stack-guard.o: OBJ_CFLAGS += $(if $(NO_STACK_PROBES),-DTEST_NO_STACK_PROBES)
# harness-selftest writes through NULL on purpose (its golden output says SIGSEGV): the
# UBSan variant must let it fault rather than trap first.
$(B)tests/harness-selftest.o: OBJ_CFLAGS += -fno-sanitize=null

# The tour: one chapter per file, see samples/tour/tour.h.
$(TOUR_OBJS): samples/tour/tour.h
$(TOUR): $(TOUR_OBJS) $(LIBWEFT) $(CRT0)
	$(quiet) LD $@
	$(Q)$(link)

# The in-tree twins of samples/outside/ are linked as that project's own Makefile links them
# (make's built-in rule: the program, then LDLIBS, so crt0.o after it; `pkg-config --libs
# weft`, so without the tracer): the two binaries are then byte for byte the same, which
# tests/check-install.sh checks.
# Their objects are compiled without -g, as that project's are: with -g, clang 14 for aarch64
# schedules some instructions differently.
$(OUTSIDE:=.o): OBJ_CFLAGS += -g0
$(OUTSIDE): $(B)samples/outside/%: $(B)samples/outside/%.o $(LIBWEFT) $(CRT0)
	$(quiet) LD $@
	$(Q)$(CC) $(ld_flags) -o $@ $< $(CRT0) $(LIBWEFT)

$(B)samples/%: $(B)samples/%.o $(LIBWEFT) $(CRT0)
	$(quiet) LD $@
	$(Q)$(link)

# --- installing ----------------------------------------------------------------------------
# `make install` copies the public headers, libweft.a, the start file and weft.pc, which
# gives another project the whole freestanding compile and link line:
#	cc $(pkg-config --cflags weft) -o prog prog.c $(pkg-config --libs weft)
# Libs: the link flags, then the start file, then the library; the start file is found
# with -l: along -L, so that PKG_CONFIG_SYSROOT_DIR applies to it as to the library.
# weft-trace.pc is weft with the tracer (WEFT_TRACE, WEFT_FAULT), which a program links
# only if it asks: `pkg-config --libs weft-trace` is weft's line with -Wl,-u,weft_trace_start
# in front, the undefined symbol that pulls lib/trace.o out of the archive.
PREFIX       ?= /usr/local
INCLUDEDIR   ?= $(PREFIX)/include
LIBDIR       ?= $(PREFIX)/lib
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
WEFT_VERSION := 0.1
INSTALL      ?= install
PUBLIC_HEADERS := $(sort $(wildcard include/weft/*.h))

install: lib
	$(quiet) INSTALL '$(DESTDIR)$(PREFIX)'
	$(Q)$(INSTALL) -d '$(DESTDIR)$(INCLUDEDIR)/weft' '$(DESTDIR)$(LIBDIR)/weft' \
		'$(DESTDIR)$(PKGCONFIGDIR)'
	$(Q)$(INSTALL) -m 644 $(PUBLIC_HEADERS) '$(DESTDIR)$(INCLUDEDIR)/weft/'
	$(Q)$(INSTALL) -m 644 $(LIBWEFT) '$(DESTDIR)$(LIBDIR)/libweft.a'
	$(Q)$(INSTALL) -m 644 $(CRT0) '$(DESTDIR)$(LIBDIR)/weft/crt0.o'
	$(Q)printf '%s\n' '# weft.pc: made by `make install` from the Makefile of weft $(WEFT_VERSION).' \
		'prefix=$(PREFIX)' 'includedir=$(INCLUDEDIR)' 'libdir=$(LIBDIR)' '' \
		'Name: weft' \
		'Description: threads woven from raw Linux syscalls, a C runtime without libc ($(ARCH))' \
		'Version: $(WEFT_VERSION)' \
		'Cflags: -I$${includedir} $(strip $(WEFT_PROGRAM_CFLAGS))' \
		'Libs: $(strip $(WEFT_LDFLAGS)) -L$${libdir} -l:weft/crt0.o -lweft' \
		>'$(DESTDIR)$(PKGCONFIGDIR)/weft.pc'
	$(Q)printf '%s\n' '# weft-trace.pc: made by `make install` from the Makefile of weft $(WEFT_VERSION).' \
		'' \
		'Name: weft-trace' \
		'Description: weft with its system-call tracer and fault injection (WEFT_TRACE, WEFT_FAULT)' \
		'Version: $(WEFT_VERSION)' \
		'Requires: weft = $(WEFT_VERSION)' \
		'Libs: $(TRACER_LDFLAGS)' \
		>'$(DESTDIR)$(PKGCONFIGDIR)/weft-trace.pc'

uninstall:
	$(quiet) UNINSTALL '$(DESTDIR)$(PREFIX)'
	$(Q)rm -f $(addprefix '$(DESTDIR)$(INCLUDEDIR)/weft/,$(addsuffix ',$(notdir $(PUBLIC_HEADERS)))) \
		'$(DESTDIR)$(LIBDIR)/libweft.a' '$(DESTDIR)$(LIBDIR)/weft/crt0.o' \
		'$(DESTDIR)$(PKGCONFIGDIR)/weft.pc' '$(DESTDIR)$(PKGCONFIGDIR)/weft-trace.pc'
	$(Q)rmdir '$(DESTDIR)$(INCLUDEDIR)/weft' '$(DESTDIR)$(LIBDIR)/weft' 2>/dev/null || true

# --- documentation ---------------------------------------------------------------------------
# Sphinx (Debian's python3-sphinx; `make deps` installs it) renders Documentation/, with an API
# reference that Documentation/sphinx/kerneldoc.py reads from the kernel-doc comments of
# include/weft/. Every warning is an error, as in `make check` (tests/check-docs.sh).
SPHINXBUILD ?= sphinx-build
DOCS_OUT    := $(B)Documentation/output

htmldocs:
	@command -v $(SPHINXBUILD) >/dev/null 2>&1 || { echo "htmldocs: $(SPHINXBUILD) not found:" \
		"apt-get install -y python3-sphinx (or make deps)" >&2; exit 1; }
	$(quiet) SPHINX $(DOCS_OUT)/html
	$(Q)$(SPHINXBUILD) -W --keep-going $(if $(Q),-q) -b html -d $(DOCS_OUT)/doctrees \
		Documentation $(DOCS_OUT)/html
	$(quiet) DOCS $(DOCS_OUT)/html/index.html

# --- running -------------------------------------------------------------------------------
# On another architecture the tour (and the install check's programs) run under $(QEMU_USER).
ARCH_RUNNER := $(if $(filter yes,$(NATIVE)),,$(QEMU_USER))

run: $(TOUR)
	$(Q)$(ARCH_RUNNER) $(TOUR)

# Install what the tests need on a Debian machine, when it is missing and we are root: for
# each of ARCHS (ARCH, or all of them with check-all on the same command line), the qemu-user
# binary, and off the host's architecture the cross UAPI headers and either lld (clang) or
# the GNU cross compiler (gcc).
ARCHS ?= $(if $(filter check-all,$(MAKECMDGOALS)),$(ALL_ARCHS),$(ARCH))
deps:
	$(Q)ARCHS='$(ARCHS)' CC_IS_CLANG=$(CC_IS_CLANG) tests/deps.sh

# --- every architecture --------------------------------------------------------------------
# `make check-all` builds the tests for each of ALL_ARCHS (the others in build/<arch>, or
# $(O)/<arch>) and runs them in one KTAP stream: x86_64 natively and under qemu, then each
# port under its qemu, one "# LABEL: N passed, N failed, N skipped" line per pass and the
# grand total last. With CC=clang (or a clang CC) every port builds with clang; otherwise
# with the GNU cross compilers, $(arch)-linux-gnu-gcc.
ALL_ARCHS  := x86_64 aarch64 riscv64
PORT_ARCHS := $(filter-out $(ARCH),$(ALL_ARCHS))
port_dir    = $(if $(O),$(B)$(1),build/$(1))
port_flags  = ARCH=$(1) O=$(call port_dir,$(1)) NATIVE=no \
	      $(if $(CC_IS_CLANG),CC=$(CC),CROSS_COMPILE=$(1)-linux-gnu- CC=$(1)-linux-gnu-gcc \
	      AR=$(1)-linux-gnu-ar)
port_make   = $(MAKE) --no-print-directory $(call port_flags,$(1))
# What the port's own make picks for STRIP (see "tools" above).
port_strip  = $(if $(CC_IS_CLANG),llvm-strip,$(1)-linux-gnu-strip)
port_tests  = $(patsubst $(B)%,$(call port_dir,$(1))/%,$(TESTS))
port_progs  = $(patsubst $(B)%,$(call port_dir,$(1))/%,$(PROGS))
port_ubsan_tests = $(patsubst $(UBSAN_DIR)/%,$(call port_dir,$(1))/ubsan/%,$(UBSAN_TESTS))
qemu_of     = qemu-$(1)

check-all: all ubsan-tests
	$(Q)$(foreach a,$(PORT_ARCHS),$(call port_make,$(a)) all ubsan-tests &&) true
	$(Q)QEMU_USER=$(QEMU_USER) ELF_FILES='$(PROGS) $(foreach a,$(PORT_ARCHS),$(call port_progs,$(a)))' \
		TOUR='$(TOUR) $(foreach a,$(PORT_ARCHS),$(call port_dir,$(a))/samples/tour/tour)' \
		WEFT_MAKE='$(MAKE)' INSTALL_CHECKS='$(install_checks_all)' \
		tests/run-tests.sh $(if $(filter yes,$(NATIVE)),native: $(TESTS)) \
		$(ARCH)=$(QEMU_USER): $(TESTS) $(ARCH)-ubsan=$(UBSAN_RUNNER): $(UBSAN_TESTS) \
		$(foreach a,$(PORT_ARCHS),$(a)=$(call qemu_of,$(a)): $(call port_tests,$(a)) \
			$(a)-ubsan=$(call qemu_of,$(a)): $(call port_ubsan_tests,$(a)))

# The install check (tests/check-install.sh) runs `make install` in a scratch directory,
# DIR/install-test, with the make flags of the build under test, and builds samples/outside/
# against it to compare with DIR's twin. install_check NAME,DIR,RUNNER,MAKEFLAGS is one entry
# of run-tests.sh's INSTALL_CHECKS: `make check` has one, `make check-all` one per
# architecture, each port with its cross compiler (or clang), its strip and its qemu.
install_check = $(1)|$(2)install-test $(patsubst $(B)%,$(2)%,$(firstword $(OUTSIDE))) \
		$(strip $(3)) -- $(strip $(4))
arch_flags = ARCH=$(ARCH) CC=$(CC) $(if $(O),O=$(O)) STRIP=$(STRIP)
install_checks_all = $(call install_check,install $(ARCH),$(B),$(ARCH_RUNNER),$(arch_flags)) \
	$(foreach a,$(PORT_ARCHS),;$(call install_check,install $(a),$(call port_dir,$(a))/, \
	$(call qemu_of,$(a)),$(call port_flags,$(a)) STRIP=$(call port_strip,$(a))))
run_tests  = QEMU_USER=$(QEMU_USER) ELF_FILES='$(PROGS)' LAYERS_OBJDIR='$(or $(B),.)' ARCH=$(ARCH) \
	     INSTALL_CHECKS='$(call install_check,install,$(B),$(ARCH_RUNNER),$(arch_flags))' \
	     WEFT_MAKE='$(MAKE)' TOUR=$(TOUR) tests/run-tests.sh

# The UBSan variant (Documentation/testing.rst, "Undefined behaviour"): every test built again
# with -fsanitize=undefined in trap mode, which needs no runtime library (an undefined
# operation executes a trapping instruction and the test dies by SIGILL), in an output
# directory of its own, and run as one more pass of `make check`: natively where this
# machine runs $(ARCH), otherwise under $(QEMU_USER) (and in `make check-all`, for every
# architecture). The sub-make has already been told about missing stack probes.
UBSAN_DIR    := $(or $(B),build/)ubsan
UBSAN_FLAGS  := -fsanitize=undefined \
		$(if $(CC_IS_CLANG),-fsanitize-trap=all,-fsanitize-undefined-trap-on-error)
UBSAN_TESTS  := $(addprefix $(UBSAN_DIR)/,$(TEST_SRCS:.c=) tests/harness-selftest)
UBSAN_RUNNER := $(ARCH_RUNNER)

.PHONY: ubsan-tests
ubsan-tests:
	$(Q)$(MAKE) --no-print-directory O=$(UBSAN_DIR) EXTRA_CFLAGS='$(EXTRA_CFLAGS) $(UBSAN_FLAGS)' \
		WEFT_QUIET_PROBES=1 tests

# The passes of `make check`: natively where this machine runs $(ARCH), under qemu-user,
# and the UBSan variant.
check: all ubsan-tests
	$(Q)$(run_tests) $(if $(filter yes,$(NATIVE)),native: $(TESTS)) qemu=$(QEMU_USER): $(TESTS) \
		ubsan=$(UBSAN_RUNNER): $(UBSAN_TESTS)

run-native: all
	$(Q)$(run_tests) native $(TESTS)

run-user: all
	$(Q)$(run_tests) qemu $(TESTS)

check-includes:
	$(Q)tests/check-includes.sh

check-layers: lib
	$(Q)ARCH=$(ARCH) tests/check-layers.sh $(or $(B),.)

check-elf: all
	$(Q)tests/check-elf.sh $(PROGS)

model-check:
	$(Q)bash tests/model/check-parker.sh
	$(Q)bash tests/model/check-sync.sh

# Not in check: about 4.1 GB of memory (tests/model/check-sync.sh says what it checks).
model-check-big:
	$(Q)bash tests/model/check-sync.sh --big

# bench/ measures the machine it runs on, against glibc, musl and Rust built for it: on an
# x86_64 host, for ARCH=x86_64 only (its floors are x86_64 assembly, and under qemu-user
# the figures would time the emulator). Elsewhere the targets say so instead of failing in
# the assembler.
ifeq ($(ARCH)-$(NATIVE),x86_64-yes)
-include bench/bench.mk
-include bench/weft.mk
-include bench/peers.mk

# Both sides of every comparison are built, then run alternately in one go.
bench: bench-glibc bench-weft bench-musl bench-rust
	$(Q)BENCH_OUT=$(BENCH_OUT) bash bench/run.sh
else
BENCH_OUT ?= $(B)bench/out
bench bench-glibc bench-weft bench-musl bench-rust:
	@echo 'make $@: the benchmarks run natively on x86_64 only, not for ARCH=$(ARCH)' \
		'with NATIVE=$(NATIVE) (bench/README.md, "Running")' >&2
	@exit 2
endif

clean:
	$(quiet) CLEAN $(or $(O),.)
	$(Q)rm -f $(LIB_OBJS) $(CRT0) $(LIBWEFT) $(PROGS) $(FLAGS_FILE) \
		$(addprefix $(B),tests/*.o samples/*.o samples/tour/*.o)
	$(Q)rm -rf $(BENCH_OUT) $(B)install-test $(DOCS_OUT) $(foreach a,$(PORT_ARCHS),$(call port_dir,$(a)))

help:
	@echo 'weft: threads from raw Linux syscalls'
	@echo
	@echo 'Targets:'
	@echo '  all (default)  build lib/libweft.a, lib/crt0.o, the tests and the samples'
	@echo '  lib            only lib/libweft.a and lib/crt0.o'
	@echo '  tests          only the test programs, tests/test-* and tests/harness-selftest'
	@echo '  samples        only the samples, samples/* and samples/tour/tour'
	@echo '  run            build and run samples/tour, the guided tour (under qemu for another ARCH;'
	@echo '                 WEFT_TRACE=1 shows syscalls)'
	@echo '  check          every test natively (on a host of ARCH), then under $$(QEMU_USER);'
	@echo '                 ends "N passed, N failed, N skipped"'
	@echo '  check-all      check on every architecture (x86_64, aarch64, riscv64) in one stream'
	@echo '  deps           install what check (or check-all) needs with apt-get when missing'
	@echo '                 (needs root); ARCHS="..." picks the architectures'
	@echo '  run-native     the tests natively only'
	@echo '  run-user       the tests under $$(QEMU_USER) only'
	@echo '  check-includes fail if a file includes anything but freestanding or UAPI headers'
	@echo '  check-layers   fail if a file includes or calls a higher layer (Documentation/layers.rst)'
	@echo '  check-elf      every binary is static, has no PT_INTERP, no libc symbol, no exec stack'
	@echo '  model-check    check the Parker and weft/sync.h models with spin'
	@echo '  model-check-big the rwlock model with 2 readers and 2 writers (about 4 GB, 2 minutes)'
	@echo '  bench          benchmarks against glibc, musl and Rust, as a table of medians and ratios'
	@echo '                 (natively on x86_64 only)'
	@echo '  bench-glibc    build only the glibc side of the benchmarks'
	@echo '  bench-weft     build only the weft side of the benchmarks'
	@echo '  bench-musl     build only the musl side (needs musl-gcc)'
	@echo '  bench-rust     build only the Rust side (needs rustc)'
	@echo '  htmldocs       the documentation as HTML, in $$(O)/Documentation/output/html (Sphinx)'
	@echo '  install        headers, libweft.a, lib/weft/crt0.o, weft.pc and weft-trace.pc under'
	@echo '                 $$(DESTDIR)$$(PREFIX)'
	@echo '  uninstall      remove what install put there'
	@echo '  clean          remove what the build made (in $$(O) with O=)'
	@echo '  help           this list'
	@echo
	@echo 'Variables:'
	@echo '  CC=gcc|clang     compiler (default $$(CROSS_COMPILE)gcc)'
	@echo '  ARCH=x86_64      target architecture: $(notdir $(wildcard arch/*))'
	@echo '  CROSS_COMPILE=   prefix of the cross tools, e.g. aarch64-linux-gnu-'
	@echo '  O=DIR            build everything under DIR (default: in the tree for x86_64,'
	@echo '                   build/$$(ARCH) for another architecture)'
	@echo '  CFLAGS=, LDFLAGS=, EXTRA_CFLAGS=, EXTRA_LDFLAGS='
	@echo '                   added after weft'"'"'s own flags (WEFT_CFLAGS, WEFT_LDFLAGS), never'
	@echo '                   instead of them; CFLAGS and LDFLAGS from the environment are ignored'
	@echo '  PREFIX=/usr/local, DESTDIR=, LIBDIR=$$(PREFIX)/lib, INCLUDEDIR=$$(PREFIX)/include'
	@echo '                   where install puts weft (DESTDIR: a staging root)'
	@echo '  V=1              show full commands'
	@echo '  QEMU_USER=...    the qemu-user binary for the foreign run (default $(ARCH_QEMU))'
	@echo '  NATIVE=yes|no    whether `make check` has a native pass (default: yes on $(ARCH_NATIVE_ON))'
