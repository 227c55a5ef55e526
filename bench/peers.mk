# SPDX-License-Identifier: MIT
# Make fragment, included by the top-level Makefile: the musl and Rust yardsticks of bench/.
#
# musl: the same plain pthread programs as the glibc side (bench/glibc/*.c), built with
# musl-gcc -static (Debian's musl-tools; `make deps` installs it). swapcontext.c is left
# out: musl has no ucontext functions. Rust: bench/rust/<name>.rs, each one file that
# uses bench/rust/bench.rs, built with rustc -O. Both go to $(BENCH_OUT), as the rest.
# Either yardstick is skipped, with a note, where its compiler is missing; the table
# then shows "-" in its lines.

BENCH_OUT ?= $(B)bench/out
BENCH_MUSL_CC ?= $(shell command -v musl-gcc 2>/dev/null)
RUSTC ?= $(firstword $(shell command -v rustc 2>/dev/null) $(wildcard $(HOME)/.cargo/bin/rustc))

BENCH_MUSL_PROGRAMS := spawn_join pingpong many_threads tls tls_exit sync
BENCH_MUSL_BINARIES := $(BENCH_MUSL_PROGRAMS:%=$(BENCH_OUT)/%-musl) \
		       $(BENCH_OUT)/hello_thread-musl-static.stripped
BENCH_RUST_SOURCES := $(filter-out bench/rust/bench.rs,$(sort $(wildcard bench/rust/*.rs)))
BENCH_RUST_BINARIES := $(patsubst bench/rust/%.rs,$(BENCH_OUT)/%-rust,$(BENCH_RUST_SOURCES))

# As bench/weft.mk's BENCH_ALIGNED_WEFT and bench/bench.mk's BENCH_ALIGNED_GLIBC: every loop of
# these programs starts a 64-byte line (LLVM's own option, the same as -falign-loops).
$(BENCH_ALIGNED_GLIBC:%=$(BENCH_OUT)/%-musl): BENCH_CFLAGS += $(BENCH_LOOP_ALIGN)
BENCH_RUSTFLAGS :=
BENCH_ALIGNED_RUST := localkey
$(BENCH_ALIGNED_RUST:%=$(BENCH_OUT)/%-rust): BENCH_RUSTFLAGS += -C llvm-args=-align-loops=64

.PHONY: bench-musl bench-rust

ifneq ($(BENCH_MUSL_CC),)
bench-musl: $(BENCH_MUSL_BINARIES)
else
bench-musl:
	@echo '  NOTE    musl-gcc not found: no musl rows (apt-get install musl-tools, or make deps)'
endif

ifneq ($(RUSTC),)
bench-rust: $(BENCH_RUST_BINARIES)
else
bench-rust:
	@echo '  NOTE    rustc not found: no Rust rows (install Rust to compare with its std)'
endif

$(BENCH_MUSL_PROGRAMS:%=$(BENCH_OUT)/%-musl): $(BENCH_OUT)/%-musl: bench/glibc/%.c bench/glibc/bench.h
	$(call bench_quiet,MUSLCC)
	$(Q)mkdir -p $(@D)
	$(Q)$(BENCH_MUSL_CC) $(BENCH_CFLAGS) -static -DVARIANT='"musl_static"' -o $@ $<

$(BENCH_OUT)/hello_thread-musl-static: bench/glibc/hello_thread.c
	$(call bench_quiet,MUSLCC)
	$(Q)mkdir -p $(@D)
	$(Q)$(BENCH_MUSL_CC) $(BENCH_CFLAGS) -static -o $@ $<

$(BENCH_OUT)/hello_thread-musl-static.stripped: $(BENCH_OUT)/hello_thread-musl-static
	$(call bench_quiet,STRIP)
	$(Q)$(BENCH_STRIP) -o $@ $<

# Without MAKEFLAGS: rustc would try to join make's jobserver, whose descriptors it lacks.
$(BENCH_OUT)/%-rust: bench/rust/%.rs bench/rust/bench.rs
	$(call bench_quiet,RUSTC)
	$(Q)mkdir -p $(@D)
	$(Q)env -u MAKEFLAGS -u MFLAGS $(RUSTC) -O --edition 2021 $(BENCH_RUSTFLAGS) -o $@ $<
