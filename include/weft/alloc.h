/* SPDX-License-Identifier: MIT */
/* weft's memory allocator: size classes on mmap'd chunks, with statistics for leak tests. */
#ifndef WEFT_ALLOC_H
#define WEFT_ALLOC_H

#include <stddef.h>

/**
 * weft_malloc() - allocate @size bytes, 16-byte aligned
 * @size: bytes (0 gives a unique minimal block)
 *
 * Return: the block, or NULL when mmap(2) fails or @size is absurd.
 */
void *weft_malloc(size_t size);

/**
 * weft_calloc() - allocate @n * @size zeroed bytes
 * @n: element count
 * @size: element size
 *
 * Return: the block, or NULL on failure or when @n * @size overflows.
 */
void *weft_calloc(size_t n, size_t size);

/**
 * weft_realloc() - resize a block, as realloc(3)
 * @p: a block from weft_malloc(), or NULL
 * @size: the new size
 *
 * Return: the (possibly moved) block, or NULL with @p untouched on failure.
 */
void *weft_realloc(void *p, size_t size);

/**
 * weft_free() - release a block from weft_malloc(); NULL is ignored
 * @p: the block
 *
 * A pointer weft_malloc() never returned, or one already freed, is a fatal
 * error: "weft_free(): invalid pointer" or "weft_free(): double free
 * detected" on stderr, then SIGABRT, as glibc's free() does. (A large block
 * is unmapped when freed: freeing it again faults on its header.)
 */
void weft_free(void *p);

/**
 * struct weft_alloc_stats - allocator counters, for leak tests
 * @blocks: live blocks
 * @bytes: bytes in live blocks (rounded to size classes)
 * @chunks: mmap'd regions held, small-block chunks and large blocks
 */
struct weft_alloc_stats {
	size_t blocks;
	size_t bytes;
	size_t chunks;
};

/**
 * weft_alloc_stats() - read the allocator's counters
 * @st: filled in with the counters
 */
void weft_alloc_stats(struct weft_alloc_stats *st);

#endif
