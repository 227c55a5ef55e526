// SPDX-License-Identifier: MIT
/* Build a thread's static TLS block and TCB from the PT_TLS image (variant II). */
#define WEFT_SYS_COLD	/* cold code: built for size, system calls out of line (sys.h) */
#include "lib/internal.h"

/*
 * Built with -fno-stack-protector (it runs before the main thread's TLS
 * exists).
 *
 * Where the block goes relative to the thread pointer tp (x86_64):
 *
 *     area                       tp - tls_size            tp
 *     |   (alignment slack)      |<------ tls_size ------>|<- struct weft_tcb ->|
 *     +--------------------------+-----------+------------+---------------------+
 *                                | .tdata    | .tbss = 0  |  self, ..., canary  |
 *
 * tls_size is p_memsz rounded up so that the block start keeps the
 * alignment the image has in the file: tp is a multiple of p_align, so the
 * variable at offset o in the segment lands at tp - tls_size + o, and its
 * alignment holds when tls_size ≡ -p_vaddr (mod p_align). With an aligned
 * p_vaddr that is simply round_up(p_memsz, p_align); the linker computes the
 * same number for every %fs-relative offset it writes into the code
 * (x@tpoff = offset - tls_size).
 */

static size_t tls_size(void)
{
	size_t align = weft_start.tls_align;
	size_t size = weft_start.tls_memsz;

	size += (0 - size - (uintptr_t)weft_start.tls_image) & (align - 1);
	return size;
}

/* The thread pointer must satisfy both p_align and the TCB's own alignment. */
static size_t tp_align(void)
{
	size_t a = weft_start.tls_align;

	return a > _Alignof(struct weft_tcb) ? a : _Alignof(struct weft_tcb);
}

/**
 * weft_tls_area_size() - bytes a TLS block + TCB needs, slack for alignment included
 *
 * Return: the size to reserve for weft_tls_install().
 */
size_t weft_tls_area_size(void)
{
	/* Computed once, by the main thread at start-up; read-only afterwards. */
	if (!weft_start.tls_size && weft_start.tls_memsz)
		weft_start.tls_size = tls_size();
	return weft_start.tls_size + tp_align() - 1 + sizeof(struct weft_tcb);
}

/**
 * weft_tls_install() - lay out a fresh TLS block and TCB inside an area
 * @area: memory of at least weft_tls_area_size() bytes, writable
 * @len: its size
 *
 * Copies .tdata, zeroes .tbss and the TCB, sets the self pointer and the
 * canary. The caller makes it the thread pointer (arch_prctl or CLONE_SETTLS).
 *
 * Return: the new thread pointer.
 */
struct weft_tcb *weft_tls_install(void *area, size_t len)
{
	size_t size = weft_start.tls_size;
	uintptr_t tp = ROUND_UP((uintptr_t)area + size, tp_align());
	struct weft_tcb *tcb = (struct weft_tcb *)tp;
	char *block = (char *)tp - size;

	(void)len;
	/* Zero first: covers .tbss, the leading slack and every TCB field. */
	memset(block, 0, size + sizeof(*tcb));
	if (weft_start.tls_filesz)
		memcpy(block, weft_start.tls_image, weft_start.tls_filesz);
	tcb->self = tcb;
	tcb->canary = weft_start.canary;
	return tcb;
}
