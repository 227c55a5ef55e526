// SPDX-License-Identifier: MIT
/* The stack cache: joined threads' mappings kept for the next spawn of the same size. */
#include "lib/internal.h"

/*
 * DOC: the stack cache
 *
 * mmap + munmap of a thread's mapping cost about 10 us (abi-notes.rst §13), more
 * than the rest of spawn+join. A joined thread's mapping is kept, guard pages
 * and all, for the next spawn of the same size: at most STACK_CACHE_SLOTS
 * mappings and STACK_CACHE_BYTES in all (lib/param.h); beyond that it is unmapped. Only
 * joined (or detached-then-reaped) mappings enter: a detached thread that
 * finishes alone unmaps its own.
 */

static struct {
	struct weft_lock lock;
	size_t bytes;
	int count;
	struct {
		void *map;
		size_t len;
	} slot[STACK_CACHE_SLOTS];
} cache;

/**
 * weft_stack_cache_take() - a cached thread mapping of exactly @len bytes
 * @len: the mapping's total length, guard pages included
 *
 * Return: the mapping, or NULL if none of that size is cached.
 */
void *weft_stack_cache_take(size_t len)
{
	void *map = NULL;

	weft_lock(&cache.lock);
	for (int i = cache.count - 1; i >= 0; i--) {
		if (cache.slot[i].len == len) {
			map = cache.slot[i].map;
			cache.slot[i] = cache.slot[--cache.count];
			cache.bytes -= len;
			break;
		}
	}
	weft_unlock(&cache.lock);
	return map;
}

/**
 * weft_stack_cache_put() - keep a thread mapping for the next spawn, or unmap it
 * @map: the mapping, as weft_stack_cache_take() or mmap returned it
 * @len: its total length
 */
void weft_stack_cache_put(void *map, size_t len)
{
	weft_lock(&cache.lock);
	if (cache.count < STACK_CACHE_SLOTS && cache.bytes + len <= STACK_CACHE_BYTES) {
		cache.slot[cache.count].map = map;
		cache.slot[cache.count].len = len;
		cache.count++;
		cache.bytes += len;
		map = NULL;
	}
	weft_unlock(&cache.lock);
	if (map) {
		sys_why("thread stack: cache full");
		sys_munmap(map, len);
	}
}

void weft_thread_cache_trim(void)
{
	for (;;) {
		void *map = NULL;
		size_t len = 0;

		weft_lock(&cache.lock);
		if (cache.count) {
			cache.count--;
			map = cache.slot[cache.count].map;
			len = cache.slot[cache.count].len;
			cache.bytes -= len;
		}
		weft_unlock(&cache.lock);
		if (!map)
			return;
		sys_why("thread stack cache trimmed");
		sys_munmap(map, len);
	}
}

/* weft_fork() holds the cache lock across the fork (lib/hooks.h), as it does the allocator's. */
void weft_stack_cache_fork_prepare(void)
{
	weft_lock(&cache.lock);
}

void weft_stack_cache_fork_parent(void)
{
	weft_unlock(&cache.lock);
}

void weft_stack_cache_fork_child(void)
{
	weft_unlock(&cache.lock);
}
