# SPDX-License-Identifier: MIT
# Make fragment, included by the top-level Makefile, that builds the weft-side benchmarks.
#
# Every bench/weft/<name>.c becomes bench/out/<name>-weft, compiled and linked exactly like
# a test program (the top Makefile's CC, CPPFLAGS, CFLAGS and LDFLAGS; crt0, the object,
# libweft.a), so a figure in the table is what a weft program gets. A new benchmark needs
# no edit here: drop the .c file in bench/weft/. Paths are relative to the top of the tree.

BENCH_STRIP ?= strip

BENCH_WEFT_SOURCES := $(sort $(wildcard bench/weft/*.c))
BENCH_WEFT_PROGRAMS := $(patsubst bench/weft/%.c,bench/out/%-weft,$(BENCH_WEFT_SOURCES))
BENCH_WEFT_HEADERS := $(wildcard bench/weft/*.h)
# The size row of the table: a program that spawns one thread that prints, stripped.
BENCH_WEFT_HELLO := bench/out/hello_thread-weft

.PHONY: bench-weft
bench-weft: $(BENCH_WEFT_PROGRAMS) $(BENCH_WEFT_HELLO).stripped

bench/out/%-weft.o: bench/weft/%.c $(BENCH_WEFT_HEADERS) $(HEADERS) Makefile bench/weft.mk
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

bench/out/%-weft: bench/out/%-weft.o $(LIBWEFT) $(CRT0)
	$(quiet) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CRT0) $< $(LIBWEFT)

$(BENCH_WEFT_HELLO).stripped: $(BENCH_WEFT_HELLO)
	$(quiet) STRIP $@
	$(Q)$(BENCH_STRIP) -o $@ $<
