# SPDX-License-Identifier: MIT
# Make fragment, included by the top-level Makefile, that builds the glibc-side benchmarks.
#
# These are the only programs in the tree built against glibc and pthreads: they are the
# yardstick weft is measured with. Each is built twice, because a static and a dynamic
# glibc program differ in start-up, TLS layout and per-thread memory. Paths are relative
# to the top of the tree, where make runs; the programs go to $(BENCH_OUT) (bench/out, or
# $(O)/bench/out with O=).

# Always the host compiler with its glibc, whatever CC the weft build uses.
BENCH_CC ?= gcc
BENCH_STRIP ?= strip
BENCH_CFLAGS ?= -O2 -Wall -Wextra -pthread

BENCH_OUT ?= $(B)bench/out

BENCH_GLIBC_PROGRAMS := spawn_join pingpong many_threads tls tls_exit swapcontext sync \
			live_threads
BENCH_GLIBC_STATIC := $(BENCH_GLIBC_PROGRAMS:%=$(BENCH_OUT)/%-static)
BENCH_GLIBC_DYNAMIC := $(BENCH_GLIBC_PROGRAMS:%=$(BENCH_OUT)/%-dynamic)
BENCH_GLIBC_HELLO := $(BENCH_OUT)/hello_thread-glibc-static
BENCH_GLIBC_BINARIES := $(BENCH_GLIBC_STATIC) $(BENCH_GLIBC_DYNAMIC) \
			$(BENCH_GLIBC_HELLO) $(BENCH_GLIBC_HELLO).stripped

# A timed loop of four or five instructions takes one cycle an iteration when it lies in one
# 64-byte line and two when it straddles two (the decoded-instruction cache is filled and
# read by line), so where the linker happens to put it could double a row. The programs
# whose rows are such loops start every loop on a line, on every side alike (here,
# bench/weft.mk's BENCH_ALIGNED_WEFT, bench/peers.mk's musl and Rust lists): the row no
# longer depends on placement.
BENCH_LOOP_ALIGN ?= -falign-loops=64
BENCH_ALIGNED_GLIBC := tls sync
$(foreach p,$(BENCH_ALIGNED_GLIBC),$(BENCH_OUT)/$(p)-static $(BENCH_OUT)/$(p)-dynamic): \
	BENCH_CFLAGS += $(BENCH_LOOP_ALIGN)

# The short "  CC      target" line only when quiet: with V=1, Q is empty and make
# echoes the full command instead.
bench_quiet = $(if $(Q),@printf '  %-8s%s\n' '$(1)' '$@')

.PHONY: bench-glibc
bench-glibc: $(BENCH_GLIBC_BINARIES)

$(BENCH_GLIBC_STATIC): $(BENCH_OUT)/%-static: bench/glibc/%.c bench/glibc/bench.h
	$(call bench_quiet,CC)
	$(Q)mkdir -p $(@D)
	$(Q)$(BENCH_CC) $(BENCH_CFLAGS) -static -DVARIANT='"glibc_static"' -o $@ $<

$(BENCH_GLIBC_DYNAMIC): $(BENCH_OUT)/%-dynamic: bench/glibc/%.c bench/glibc/bench.h
	$(call bench_quiet,CC)
	$(Q)mkdir -p $(@D)
	$(Q)$(BENCH_CC) $(BENCH_CFLAGS) -DVARIANT='"glibc_dynamic"' -o $@ $<

$(BENCH_GLIBC_HELLO): bench/glibc/hello_thread.c
	$(call bench_quiet,CC)
	$(Q)mkdir -p $(@D)
	$(Q)$(BENCH_CC) $(BENCH_CFLAGS) -static -o $@ $<

$(BENCH_GLIBC_HELLO).stripped: $(BENCH_GLIBC_HELLO)
	$(call bench_quiet,STRIP)
	$(Q)$(BENCH_STRIP) -o $@ $<
