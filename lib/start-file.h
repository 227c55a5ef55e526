/* SPDX-License-Identifier: MIT */
/* Link-time checks that a weft program has its start file first and no libc (crt0.S, lib/). */
#ifndef WEFT_LIB_START_FILE_H
#define WEFT_LIB_START_FILE_H

/**
 * DOC: Link-time checks of the start file and of libc
 *
 * A weft program is linked as ``crt0.o``, the program's objects, then
 * ``libweft.a``, with ``-nostdlib`` (``pkg-config --libs weft`` gives the line).
 * Two mistakes used to link without complaint and fail only when run:
 *
 * - Forgetting ``crt0.o``: ld only warned that ``_start`` was missing and the
 *   binary began at a random function. Now every object of ``libweft.a`` that
 *   includes ``lib/internal.h`` refers to WEFT_START_FILE_SYMBOL, which only
 *   ``crt0.o`` defines, so the link fails with::
 *
 *     undefined reference to `weft_start_file_missing__put_crt0_o_first_on_the_link_line'
 *
 *   A reference from code would be garbage-collected with that code: without
 *   ``_start`` --gc-sections has no root and drops the whole program, main()
 *   included. So the reference is made twice, from sections that collection
 *   keeps (SHF_GNU_RETAIN, the "R" flag): once from a ``.debug_*`` section,
 *   which GNU ld resolves and strip removes, and once as an ``R_*_NONE``
 *   relocation in an empty ``.rodata`` section, for lld, which resolves no
 *   reference from a non-allocated section. Neither adds a byte to a stripped
 *   program.
 * - Linking glibc too (no ``-nostdlib``, or ``-lc``): glibc's start file calls
 *   main() without weft's start-up (no TLS block, so weft_spawn() fails with
 *   -EINVAL). Its ``_start`` now clashes with weft's ("multiple definition of
 *   `_start'"), and ``crt0.o`` carries ``.gnu.warning.SYMBOL`` sections for
 *   names only glibc's code refers to (``__libc_start_main`` from its start
 *   file, ``__libc_errno`` from its static library), so GNU ld prints, next to
 *   each such reference, a warning that says what to do. They are SHF_EXCLUDE
 *   ("e"), so that lld, which does not know them, leaves them out.
 *
 * The symbol is an absolute 0: nothing reads it, it only has to exist.
 */
#define WEFT_START_FILE_SYMBOL weft_start_file_missing__put_crt0_o_first_on_the_link_line

#define __WEFT_STRINGIFY(x) #x
#define __WEFT_STR(x) __WEFT_STRINGIFY(x)

#ifdef __ASSEMBLER__

/* In crt0.S: define the symbol, and the warnings for glibc's names. */
#define WEFT_START_FILE_DEFINE							\
	.globl	WEFT_START_FILE_SYMBOL;						\
	.set	WEFT_START_FILE_SYMBOL, 0;					\
	.pushsection .gnu.warning.__libc_start_main, "e", %progbits;		\
	.string "weft: glibc's start file is linked too: link a weft program with -nostdlib, crt0.o first (pkg-config --libs weft)"; \
	.popsection;								\
	.pushsection .gnu.warning.__libc_errno, "e", %progbits;			\
	.string "weft: glibc's code is linked in: a weft program has no libc; drop -lc (pkg-config --libs weft)"; \
	.popsection

#else

/* In every object that includes lib/internal.h: the two references. */
__asm__(".pushsection .debug_weft_start_file, \"R\", %progbits\n\t"
	".quad " __WEFT_STR(WEFT_START_FILE_SYMBOL) "\n\t"
	".popsection\n\t"
	".pushsection .rodata.weft_start_file, \"aR\", %progbits\n\t"
	".reloc ., BFD_RELOC_NONE, " __WEFT_STR(WEFT_START_FILE_SYMBOL) "\n\t"
	".popsection");

#endif /* __ASSEMBLER__ */
#endif /* WEFT_LIB_START_FILE_H */
