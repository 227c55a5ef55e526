// SPDX-License-Identifier: MIT
/* Build a thread's static TLS block and TCB from the PT_TLS image, in the arch's TLS variant. */
#define WEFT_SYS_COLD	/* cold code: built for size, system calls out of line (sys.h) */
#include "lib/internal.h"

/*
 * Built with -fno-stack-protector (it runs before the main thread's TLS
 * exists).
 *
 * Variant II (x86_64): the block ends at the thread pointer tp.
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
 * same number for every tp-relative offset it writes into the code
 * (x@tpoff = offset - tls_size).
 *
 * Variant I (aarch64, riscv64): the block starts above tp, after the ABI's
 * gap (16 bytes on aarch64, none on riscv64), and weft's TCB goes below tp.
 *
 *     area          tcb                  tp          tp + off
 *     | (slack)     |<- struct weft_tcb ->|<- gap ... ->|<-- p_memsz -->|
 *     +-------------+---------------------+-------------+------+--------+
 *                                                       |.tdata| .tbss  |
 *
 * off = gap + ((p_vaddr - gap) mod p_align): the smallest offset not below
 * the gap that keeps the image's alignment, which is what the linker
 * assumed (musl's static TLS setup computes the same). Here tls_size is
 * off + p_memsz, the bytes used above tp.
 */

/* Where the block starts relative to tp on variant I. */
static size_t block_offset(void)
{
	size_t gap = WEFT_ARCH_TLS_GAP;

	return gap + (((uintptr_t)weft_start.tls_image - gap) & (weft_start.tls_align - 1));
}

static size_t tls_size(void)
{
	size_t align = weft_start.tls_align;
	size_t size = weft_start.tls_memsz;

	if (WEFT_ARCH_TLS_ABOVE_TP)
		return block_offset() + size;
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
 * weft_tls_block() - where a thread's static TLS block starts
 * @tcb: the thread's control block
 *
 * Return: the address of the block's first byte (its .tdata copy).
 */
void *weft_tls_block(struct weft_tcb *tcb)
{
	char *tp = weft_tcb_tp(tcb);

	if (WEFT_ARCH_TLS_ABOVE_TP)
		return tp + block_offset();
	return tp - weft_start.tls_size;
}

/**
 * weft_tls_install() - lay out a fresh TLS block and TCB inside an area
 * @area: memory of at least weft_tls_area_size() bytes, writable
 * @len: its size
 *
 * Copies .tdata, zeroes .tbss and the TCB, sets the self pointer and the
 * canary. The caller makes weft_tcb_tp() of the result the thread pointer
 * (sys_set_thread_pointer() or CLONE_SETTLS).
 *
 * Return: the new thread's control block.
 */
struct weft_tcb *weft_tls_install(void *area, size_t len)
{
	size_t size = weft_start.tls_size;
	uintptr_t tp;
	struct weft_tcb *tcb;
	char *block;

	(void)len;
	if (WEFT_ARCH_TLS_ABOVE_TP) {
		tp = ROUND_UP((uintptr_t)area + sizeof(*tcb), tp_align());
		tcb = weft_tp_tcb((void *)tp);
		/* Zero first: the TCB, the gap, the leading slack and .tbss. */
		memset(tcb, 0, sizeof(*tcb) + size);
	} else {
		tp = ROUND_UP((uintptr_t)area + size, tp_align());
		tcb = weft_tp_tcb((void *)tp);
		/* Zero first: covers .tbss, the leading slack and every TCB field. */
		memset((char *)tp - size, 0, size + sizeof(*tcb));
	}
	block = weft_tls_block(tcb);
	if (weft_start.tls_filesz)
		memcpy(block, weft_start.tls_image, weft_start.tls_filesz);
	tcb->self = tcb;
	tcb->canary = weft_start.canary;
	return tcb;
}
