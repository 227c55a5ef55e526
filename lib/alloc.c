// SPDX-License-Identifier: MIT
/* A small allocator: power-of-two size classes carved from 64 KiB chunks; big blocks mmap'd. */
#include <linux/errno.h>
#include <linux/mman.h>

#include "mm_arch.h"

#include "lib/internal.h"

/*
 * Every block is preceded by a 16-byte header saying how to free it:
 *
 *     | size class or mapping length | cookie | user data (16-byte aligned) ...
 *
 * The cookie is the block's address mixed with a constant, and a different
 * constant once the block is free: weft_free() of a pointer it never handed
 * out, or handed out and already took back, finds no live cookie and aborts
 * with a message, as glibc's "free(): invalid pointer" and "free(): double
 * free detected" do, instead of threading a stranger into a free list.
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

#define COOKIE_LIVE 0x7765667461316c76UL	/* "weft" "a1lv" */
#define COOKIE_FREE 0x7765667466726565UL	/* "weft" "free" */
#define COOKIE_STABLE 0x7765667473746162UL	/* weft_alloc_stable(): never freed */

static uintptr_t *header(void *p)
{
	return (uintptr_t *)(void *)((char *)p - HEADER);
}

static uintptr_t cookie(void *p, uintptr_t kind)
{
	return (uintptr_t)p ^ kind;
}

/* Abort unless @p is a live block of ours. Return: its first header word. */
static size_t checked_header(void *p, const char *who)
{
	uintptr_t *h;

	/* Aligned first: a misaligned pointer's "header" might straddle a page edge. */
	if ((uintptr_t)p & (HEADER - 1))
		weft_fatal("%s(): invalid pointer\n", who);
	h = header(p);
	if (h[1] == cookie(p, COOKIE_FREE))
		weft_fatal("%s(): double free detected\n", who);
	if (h[1] != cookie(p, COOKIE_LIVE))
		weft_fatal("%s(): invalid pointer\n", who);
	return h[0];
}

static struct weft_lock lock = WEFT_LOCK_INIT;
static struct free_block *free_lists[NCLASSES];
static struct weft_alloc_stats stats;

/* What the counters hold for a block whose first header word is @h. */
static size_t block_size_of(size_t h)
{
	return (h & LARGE_FLAG) ? (h & ~LARGE_FLAG) : (size_t)1 << ((h >> 1) + MIN_SHIFT);
}

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

	return sys_is_error(p) ? NULL : (void *)p;
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
		header(b)[1] = cookie(b, COOKIE_FREE);
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

		if (size >= WEFT_ARCH_USER_ADDR_LIMIT)
			return NULL;	/* beyond any user address space */
		len = ROUND_UP(size + HEADER, weft_start.page_size);
		m = map(len, "allocator large block");
		if (!m)
			return NULL;
		*(size_t *)(void *)m = len | LARGE_FLAG;
		header(m + HEADER)[1] = cookie(m + HEADER, COOKIE_LIVE);
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
		header(b)[1] = cookie(b, COOKIE_LIVE);
		p = b;
	}
	weft_unlock(&lock);
	return p;
}

void *weft_alloc_stable(size_t size)
{
	void *p = weft_malloc(size);

	if (p) {
		/* Not a live block for the leak counters: it is never given back. */
		header(p)[1] = cookie(p, COOKIE_STABLE);
		weft_lock(&lock);
		stats.blocks--;
		stats.bytes -= block_size_of(*header(p));
		weft_unlock(&lock);
	}
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


void weft_free(void *p)
{
	size_t h;

	if (!p)
		return;
	h = checked_header(p, "weft_free");
	header(p)[1] = cookie(p, COOKIE_FREE);
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
	size_t old, h;

	if (!p)
		return weft_malloc(size);
	h = checked_header(p, "weft_realloc");
	old = block_size_of(h) - ((h & LARGE_FLAG) ? HEADER : 0);
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

void weft_alloc_fork_parent(void)
{
	weft_unlock(&lock);
}

void weft_alloc_fork_child(void)
{
	weft_unlock(&lock);
}
