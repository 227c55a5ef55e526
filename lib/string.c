// SPDX-License-Identifier: MIT
/* Memory and string functions, plain C; built without the stack protector (used before TLS). */
#define WEFT_SYS_COLD	/* cold code: built for size, system calls out of line (sys.h) */
#include <stddef.h>
#include <stdint.h>

#include <linux/errno.h>

#include "weft/string.h"

/*
 * This file is compiled with -fno-tree-loop-distribute-patterns under gcc:
 * otherwise gcc recognises the loops below as "a memset" and emits a call to
 * memset from inside memset.
 */

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	/* Word at a time when both are aligned alike: most runtime copies are. */
	if ((((uintptr_t)d ^ (uintptr_t)s) & 7) == 0) {
		while (n && ((uintptr_t)d & 7)) {
			*d++ = *s++;
			n--;
		}
		for (; n >= 8; n -= 8, d += 8, s += 8)
			*(uint64_t *)(void *)d = *(const uint64_t *)(const void *)s;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d == s || n == 0)
		return dst;
	if (d < s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)	/* overlapping, destination above: copy backwards */
		d[n] = s[n];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	while (n && ((uintptr_t)d & 7)) {
		*d++ = (unsigned char)c;
		n--;
	}
	if (n >= 8) {
		uint64_t w = (unsigned char)c * 0x0101010101010101ULL;

		/*
		 * Four words an iteration: every spawn zeroes a TCB (320 bytes on
		 * x86_64), and this file is built for size, so unrolled by hand.
		 */
		for (; n >= 32; n -= 32, d += 32) {
			((uint64_t *)(void *)d)[0] = w;
			((uint64_t *)(void *)d)[1] = w;
			((uint64_t *)(void *)d)[2] = w;
			((uint64_t *)(void *)d)[3] = w;
		}
		for (; n >= 8; n -= 8, d += 8)
			*(uint64_t *)(void *)d = w;
	}
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t weft_strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

size_t weft_strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int weft_strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int weft_strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			break;
	}
	return 0;
}

char *weft_strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

char *weft_strstr(const char *hay, const char *needle)
{
	size_t n = weft_strlen(needle);

	for (; *hay; hay++)
		if (weft_strncmp(hay, needle, n) == 0)
			return (char *)hay;
	return n ? NULL : (char *)hay;
}

size_t weft_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = weft_strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = 0;
	}
	return len;
}

int weft_parse_u64(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;
	unsigned int shift = 0;

	unsigned int base = 10, digit;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (const char *first = s;; s++) {
		if (*s >= '0' && *s <= '9')
			digit = (unsigned int)(*s - '0');
		else if (base == 16 && (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			digit = (unsigned int)((*s | 0x20) - 'a' + 10);
		else if (s == first)
			return -EINVAL;		/* "0x" alone */
		else
			break;
		/* v * base + digit <= ~0ULL, exactly: ~0ULL itself must parse. */
		if (v > (~0ULL - digit) / base)
			return -ERANGE;
		v = v * base + digit;
	}
	switch (*s) {
	case 'k': case 'K': shift = 10; s++; break;
	case 'm': case 'M': shift = 20; s++; break;
	case 'g': case 'G': shift = 30; s++; break;
	}
	if (*s)
		return -EINVAL;
	if (shift && v > (~0ULL >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}
