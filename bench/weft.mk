# SPDX-License-Identifier: MIT
# Make fragment, included by the top-level Makefile, that builds the weft-side benchmarks.
#
# Every bench/weft/<name>.c becomes $(BENCH_OUT)/<name>-weft, compiled like a test program
# and linked as another project's program is by default (the top Makefile's c_flags and
# `link_user`: crt0, the object, libweft.a, without the tracer), so a figure in the table is
# what a weft program gets. No row needs the tracer; one that did would link with `link`.
# A new benchmark needs no edit here: drop the .c file in bench/weft/. Paths are relative
# to the top of the tree.

BENCH_STRIP ?= strip

BENCH_OUT ?= $(B)bench/out

BENCH_WEFT_SOURCES := $(sort $(wildcard bench/weft/*.c))
BENCH_WEFT_PROGRAMS := $(patsubst bench/weft/%.c,$(BENCH_OUT)/%-weft,$(BENCH_WEFT_SOURCES))
BENCH_WEFT_HEADERS := $(wildcard bench/weft/*.h)
# The size row of the table: a program that spawns one thread that prints, stripped; and
# the same object linked with the tracer (`link`, as `pkg-config --libs weft-trace` does),
# so that the row shows what WEFT_TRACE and WEFT_FAULT cost a program that asks for them.
BENCH_WEFT_HELLO := $(BENCH_OUT)/hello_thread-weft
BENCH_WEFT_HELLO_TRACER := $(BENCH_OUT)/hello_thread-weft-tracer

# Programs whose rows are loops of a few instructions: every loop starts a 64-byte line, as in
# their glibc, musl and Rust twins (BENCH_LOOP_ALIGN, bench/bench.mk).
BENCH_ALIGNED_WEFT := localkey keys sync
$(BENCH_ALIGNED_WEFT:%=$(BENCH_OUT)/%-weft.o): OBJ_CFLAGS += $(BENCH_LOOP_ALIGN)

.PHONY: bench-weft
bench-weft: $(BENCH_WEFT_PROGRAMS) $(BENCH_WEFT_HELLO).stripped $(BENCH_WEFT_HELLO_TRACER).stripped

$(BENCH_OUT)/%-weft.o: bench/weft/%.c $(BENCH_WEFT_HEADERS) $(HEADERS) Makefile bench/weft.mk \
			$(FLAGS_FILE)
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(c_flags) -c -o $@ $<

$(BENCH_OUT)/%-weft: $(BENCH_OUT)/%-weft.o $(LIBWEFT) $(CRT0)
	$(quiet) LD $@
	$(Q)$(link_user)

$(BENCH_WEFT_HELLO_TRACER): $(BENCH_WEFT_HELLO).o $(LIBWEFT) $(CRT0)
	$(quiet) LD $@
	$(Q)$(link)

$(BENCH_WEFT_HELLO).stripped $(BENCH_WEFT_HELLO_TRACER).stripped: %.stripped: %
	$(quiet) STRIP $@
	$(Q)$(BENCH_STRIP) -o $@ $<
