# SPDX-License-Identifier: MIT
# weft: threads woven from raw Linux syscalls. `make help` lists the targets.

ARCH      ?= x86_64
QEMU_USER ?= qemu-x86_64
V         ?= 0
ifeq ($(origin CC),default)
CC := gcc
endif

ifeq ($(V),1)
Q :=
quiet = @true
else
Q := @
quiet = @printf '  %-7s %s\n'
endif

CC_IS_CLANG := $(shell $(CC) --version 2>/dev/null | grep -q clang && echo 1)

# Flags in the spirit of tools/include/nolibc: no libc, no start files, static, no PIE.
# -fno-ident: no .comment section naming the compiler in every binary (112 bytes of a
# stripped one, header included); the code is the same.
CPPFLAGS := -Iinclude -Iarch/$(ARCH) -I.
# -Wmissing-format-attribute: gcc fails the build when a function that hands its format
# and arguments on to the printf family has no format(printf) attribute of its own, so that
# every printf-like function's callers stay checked.
CFLAGS   := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -Wmissing-format-attribute \
	    -ffreestanding -fno-pie -fno-asynchronous-unwind-tables -fno-unwind-tables \
	    -fno-plt -fstack-protector-strong -ffunction-sections -fdata-sections -fno-ident
# Stack clash protection (Documentation/stack-guard.rst): a function whose frame is bigger
# than a page touches every page of it on the way down, so it cannot step over a thread's
# guard into the mapping below. gcc probes every 2^guard-size bytes: 4 KiB on x86_64, but
# 64 KiB by default on aarch64, hence the explicit 12. clang 14 implements the flag on
# x86_64 only (elsewhere it is an unused argument, an error under -Werror), so it is kept
# only where the compiler accepts it.
cc-option = $(shell $(CC) $(1) -Werror -c -x c /dev/null -o /dev/null 2>/dev/null && echo $(1))
CFLAGS   += $(call cc-option,-fstack-clash-protection)
ifneq ($(CC_IS_CLANG),1)
CFLAGS   += --param=stack-clash-protection-guard-size=12
endif
ASFLAGS  := -fno-pie -Wa,--noexecstack
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
LDFLAGS  := -nostdlib -static -Wl,-z,noexecstack -Wl,--build-id=none -Wl,--gc-sections \
	    -Wl,-z,noseparate-code -Wl,-z,norelro -Wl,-z,common-page-size=64
# gcc needs -no-pie to link a position-dependent executable; clang 14 links one
# anyway after -fno-pie and warns that -no-pie is unused, so it only gets it from gcc.
ifneq ($(CC_IS_CLANG),1)
LDFLAGS  += -no-pie
endif

# Code that runs before the main thread has TLS cannot read the canary at %fs:0x28.
NO_SSP := lib/start.o lib/tls.o lib/string.o lib/printf.o lib/trace.o kernel-abi/sys.o
$(NO_SSP): CFLAGS += -fno-stack-protector
ifneq ($(CC_IS_CLANG),1)
# gcc turns a byte loop inside memset into a call to memset.
lib/string.o: CFLAGS += -fno-tree-loop-distribute-patterns
endif

# Rebuild everything when the compiler or its flags change (make CC=clang after gcc).
BUILD_FLAGS := $(CC) $(CPPFLAGS) $(CFLAGS) $(ASFLAGS) $(LDFLAGS)
$(shell echo '$(BUILD_FLAGS)' | cmp -s - .build-flags 2>/dev/null || echo '$(BUILD_FLAGS)' > .build-flags)

LIB_SRCS  := $(sort $(wildcard lib/*.c kernel-abi/*.c))
ARCH_SRCS := $(filter-out arch/$(ARCH)/crt0.S,$(sort $(wildcard arch/$(ARCH)/*.S)))
LIB_OBJS  := $(LIB_SRCS:.c=.o) $(ARCH_SRCS:.S=.o)
# No frame of the library's own is as big as the smallest guard (one page), so weft's code
# cannot step over a guard even where the compiler does not probe (clang off x86_64).
$(LIB_OBJS): CFLAGS += -Wframe-larger-than=4096

# Code that runs once (start-up, exit, fork), only on error or while tracing (the
# syscall hook, panics, the overflow handler, printf) is built for size, and makes
# its system calls out of line; the hot paths (thread, park, key, local, green,
# alloc, futex, scope) keep -O2 and the inline `syscall`. Each cold file says so
# itself, with `#define WEFT_SYS_COLD` before its includes (see kernel-abi/sys.h):
# that line is what makes it cold here too. bench/README.md ("Binary size") has
# the bytes.
COLD_OBJS := $(patsubst %.c,%.o,$(shell grep -l '^\#define WEFT_SYS_COLD' $(LIB_SRCS)))
# weft has no floating point: with -mgeneral-regs-only a variadic function (sys_why(),
# weft_fatal()) does not save %xmm0-7 on entry, 50 to 70 bytes each. The two files whose
# variadic functions take a user's format (the printf family, panics) keep the registers:
# a %f there must be read to be skipped (lib/printf.c, "weft's printf").
# -fplt: in a static non-PIE link a plain call is already direct; -fno-plt's call
# through the GOT is relaxed to a 6-byte `addr32 call`, and a call to a weak function
# that is not linked (lib/exit.c's) keeps a GOT entry, and with it .got and .got.plt.
USER_FORMAT_OBJS := lib/printf.o lib/panic.o
$(COLD_OBJS): CFLAGS += -Os -fplt
$(filter-out $(USER_FORMAT_OBJS),$(COLD_OBJS)): CFLAGS += -mgeneral-regs-only
CRT0      := lib/crt0.o
LIBWEFT   := lib/libweft.a
HEADERS   := $(wildcard include/weft/*.h arch/$(ARCH)/*.h kernel-abi/*.h lib/*.h)

TEST_SRCS := $(sort $(wildcard tests/test-*.c))
TESTS     := $(TEST_SRCS:.c=) tests/harness-selftest
SAMPLES   := $(patsubst %.c,%,$(sort $(wildcard samples/*.c))) samples/tour/tour
TOUR_OBJS := $(patsubst %.c,%.o,$(sort $(wildcard samples/tour/*.c)))
PROGS     := $(TESTS) $(SAMPLES)

.PHONY: all lib tests samples check check-includes check-elf run run-native run-user \
	deps bench clean help model-check
.DEFAULT_GOAL := all
.SECONDARY:

all: lib tests samples
lib: $(LIBWEFT) $(CRT0)
tests: $(TESTS)
samples: $(SAMPLES)

%.o: %.c $(HEADERS) Makefile .build-flags
	$(quiet) CC $@
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

%.o: %.S Makefile .build-flags
	$(quiet) AS $@
	$(Q)$(CC) $(CPPFLAGS) $(ASFLAGS) -c -o $@ $<

$(CRT0): arch/$(ARCH)/crt0.S Makefile .build-flags
	$(quiet) AS $@
	$(Q)$(CC) $(CPPFLAGS) $(ASFLAGS) -c -o $@ $<

$(LIBWEFT): $(LIB_OBJS)
	$(quiet) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

# A test or sample: its own object, the harness for tests, then the library.
tests/harness.o: tests/harness.c tests/harness.h $(HEADERS) Makefile
tests/test-%: tests/test-%.o tests/harness.o $(LIBWEFT) $(CRT0)
	$(quiet) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CRT0) $< tests/harness.o $(LIBWEFT)

tests/harness-selftest: tests/harness-selftest.o tests/harness.o $(LIBWEFT) $(CRT0)
	$(quiet) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CRT0) $< tests/harness.o $(LIBWEFT)

# The stack-smash test must have a canary in every function.
tests/test-stack-protector.o: CFLAGS += -fstack-protector-all

tests/%.o: tests/%.c tests/harness.h $(HEADERS) Makefile .build-flags
	$(quiet) CC $@
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The tour: one chapter per file, see samples/tour/tour.h.
samples/tour/tour: $(TOUR_OBJS) $(LIBWEFT) $(CRT0)
	$(quiet) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CRT0) $(TOUR_OBJS) $(LIBWEFT)

samples/%: samples/%.o $(LIBWEFT) $(CRT0)
	$(quiet) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CRT0) $< $(LIBWEFT)

# --- running -------------------------------------------------------------

run: samples/tour/tour
	$(Q)./samples/tour/tour

# Install what the tests need on a Debian machine, when it is missing and we are root.
deps:
	$(Q)tests/deps.sh

check: all
	$(Q)QEMU_USER=$(QEMU_USER) tests/run-tests.sh all $(TESTS)

run-native: all
	$(Q)tests/run-tests.sh native $(TESTS)

run-user: all
	$(Q)QEMU_USER=$(QEMU_USER) tests/run-tests.sh qemu $(TESTS)

check-includes:
	$(Q)tests/check-includes.sh

check-elf: all
	$(Q)tests/check-elf.sh $(PROGS)

model-check:
	$(Q)bash tests/model/check-parker.sh

-include bench/bench.mk
-include bench/weft.mk

# Both sides of every comparison are built, then run alternately in one go.
bench: bench-glibc bench-weft
	$(Q)bash bench/run.sh

clean:
	$(quiet) CLEAN .
	$(Q)rm -f $(LIB_OBJS) $(CRT0) $(LIBWEFT) tests/*.o samples/*.o samples/tour/*.o $(PROGS) bench/*.o
	$(Q)rm -rf bench/out .build-flags

help:
	@echo 'weft: threads from raw Linux syscalls'
	@echo
	@echo 'Targets:'
	@echo '  all (default)  build lib/libweft.a, lib/crt0.o, the tests and the samples'
	@echo '  run            build and run samples/tour, the guided tour (WEFT_TRACE=1 shows syscalls)'
	@echo '  check          every test natively, then under $$(QEMU_USER); ends "N passed, N failed, N skipped"'
	@echo '  deps           install qemu-user and spin with apt-get when missing (needs root)'
	@echo '  run-native     the tests natively only'
	@echo '  run-user       the tests under $$(QEMU_USER) only'
	@echo '  check-includes fail if a file includes anything but freestanding or UAPI headers'
	@echo '  check-elf      every binary is static, has no PT_INTERP, no libc symbol, no exec stack'
	@echo '  model-check    check the Parker model with spin'
	@echo '  bench          benchmarks against glibc, as a table of medians and ratios'
	@echo '  clean          remove what the build made'
	@echo
	@echo 'Variables:'
	@echo '  CC=gcc|clang   compiler (default gcc)'
	@echo '  V=1            show full commands'
	@echo '  QEMU_USER=...  the qemu-user binary for the foreign run (default qemu-x86_64)'
	@echo '  ARCH=x86_64    target architecture (only x86_64 so far)'
