// SPDX-License-Identifier: MIT
/* A small allocator: power-of-two size classes carved from 64 KiB chunks; big blocks mmap'd. */
#include <linux/errno.h>
#include <linux/mman.h>

#include "lib/internal.h"

/*
 * Every block is preceded by a 16-byte header saying how to free it:
 *
 *     | header: size class or mapping length | user data (16-byte aligned) ...
 *
 * Small blocks (<= 2 KiB) come from per-class free lists refilled a chunk at
 * a time; chunks are never returned (the steady state of a runtime that keeps
 * spawning threads), which is why the leak tests look at the live-block
 * counters here rather than at /proc/self/maps. Large blocks are their own
 * mapping and are unmapped on free. One lock covers it all: the runtime
 * allocates on spawn, name copies and panics, not in hot loops.
 */

#define HEADER 16
#define MIN_SHIFT 4		/* 16 bytes */
#define NCLASSES 8		/* 16 .. 2048 */
#define CHUNK (64 * 1024)
#define LARGE_FLAG 1UL

struct free_block {
	struct free_block *next;
};

static struct weft_lock lock = WEFT_LOCK_INIT;
static struct free_block *free_lists[NCLASSES];
static struct weft_alloc_stats stats;

static int size_class(size_t size)
{
	int c = 0;

	while (((size_t)1 << (c + MIN_SHIFT)) < size)
		c++;
	return c;
}

static void *map(size_t len, const char *why)
{
	sys_why("%s", why);
	long p = sys_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return (p < 0 && p > -4096) ? NULL : (void *)p;
}

static int refill(int c)
{
	size_t bsize = ((size_t)1 << (c + MIN_SHIFT)) + HEADER;
	char *chunk = map(CHUNK, "allocator chunk");

	if (!chunk)
		return -ENOMEM;
	stats.chunks++;
	for (size_t off = 0; off + bsize <= CHUNK; off += bsize) {
		struct free_block *b = (void *)(chunk + off + HEADER);

		*(size_t *)(void *)(chunk + off) = (size_t)c << 1;
		b->next = free_lists[c];
		free_lists[c] = b;
	}
	return 0;
}

void *weft_malloc(size_t size)
{
	void *p = NULL;

	if (size > ((size_t)1 << (NCLASSES - 1 + MIN_SHIFT))) {
		size_t len;
		char *m;

		if (size > ((size_t)1 << 46))
			return NULL;	/* beyond any user address space */
		len = ROUND_UP(size + HEADER, weft_start.page_size);
		m = map(len, "allocator large block");
		if (!m)
			return NULL;
		*(size_t *)(void *)m = len | LARGE_FLAG;
		weft_lock(&lock);
		stats.chunks++;
		stats.blocks++;
		stats.bytes += len;
		weft_unlock(&lock);
		return m + HEADER;
	}

	int c = size_class(size ? size : 1);

	weft_lock(&lock);
	if (free_lists[c] || refill(c) == 0) {
		struct free_block *b = free_lists[c];

		free_lists[c] = b->next;
		stats.blocks++;
		stats.bytes += (size_t)1 << (c + MIN_SHIFT);
		p = b;
	}
	weft_unlock(&lock);
	return p;
}

void *weft_calloc(size_t n, size_t size)
{
	size_t total;
	void *p;

	if (__builtin_mul_overflow(n, size, &total))
		return NULL;
	p = weft_malloc(total);
	if (p)
		memset(p, 0, total);
	return p;
}

static size_t block_size(void *p)
{
	size_t h = *(size_t *)(void *)((char *)p - HEADER);

	return (h & LARGE_FLAG) ? (h & ~LARGE_FLAG) - HEADER : (size_t)1 << ((h >> 1) + MIN_SHIFT);
}

void weft_free(void *p)
{
	size_t h;

	if (!p)
		return;
	h = *(size_t *)(void *)((char *)p - HEADER);
	if (h & LARGE_FLAG) {
		size_t len = h & ~LARGE_FLAG;

		weft_lock(&lock);
		stats.chunks--;
		stats.blocks--;
		stats.bytes -= len;
		weft_unlock(&lock);
		sys_why("allocator large block");
		sys_munmap((char *)p - HEADER, len);
		return;
	}

	int c = (int)(h >> 1);
	struct free_block *b = p;

	weft_lock(&lock);
	b->next = free_lists[c];
	free_lists[c] = b;
	stats.blocks--;
	stats.bytes -= (size_t)1 << (c + MIN_SHIFT);
	weft_unlock(&lock);
}

void *weft_realloc(void *p, size_t size)
{
	void *n;
	size_t old;

	if (!p)
		return weft_malloc(size);
	old = block_size(p);
	if (size <= old && size > old / 2)
		return p;
	n = weft_malloc(size);
	if (!n)
		return NULL;
	memcpy(n, p, old < size ? old : size);
	weft_free(p);
	return n;
}

void weft_alloc_stats(struct weft_alloc_stats *st)
{
	weft_lock(&lock);
	*st = stats;
	weft_unlock(&lock);
}

/*
 * weft_fork() holds the lock across the fork, so the child's copy of the free
 * lists is never caught half-updated by another thread, and the child, the
 * lock's only user from then on, finds it free.
 */
void weft_alloc_fork_prepare(void)
{
	weft_lock(&lock);
}

void weft_alloc_fork_done(void)
{
	weft_unlock(&lock);
}
