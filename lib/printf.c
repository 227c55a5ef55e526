// SPDX-License-Identifier: MIT
/* A small printf: enough for the runtime's messages, the tour and the tests. */
#define WEFT_SYS_COLD	/* cold code: built for size, system calls out of line (sys.h) */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/errno.h>

#include "weft/io.h"

#include "lib/internal.h"

/*
 * Supported: %s %c %d %i %u %x %X %p %% with the length modifiers l, ll, z
 * and h (ignored), a width, '0' padding, '-' left adjustment and a precision
 * for %s (also as '*'). Anything else is copied as written, so a bad format
 * is visible in the output rather than undefined.
 */

struct sink {
	char *buf;	/* NULL: count only */
	size_t size;
	size_t len;	/* total length so far, even past size */
};

static void put(struct sink *s, char c)
{
	if (s->buf && s->len + 1 < s->size)
		s->buf[s->len] = c;
	s->len++;
}

static void put_padded(struct sink *s, const char *str, size_t n, int width, bool left, char pad)
{
	int fill = width > (int)n ? width - (int)n : 0;

	if (!left && pad == '0' && n && (*str == '-')) {
		/* zero padding goes after the sign: -0042 */
		put(s, *str++);
		n--;
	}
	if (!left)
		while (fill-- > 0)
			put(s, pad);
	while (n--)
		put(s, *str++);
	if (left)
		while (fill-- > 0)
			put(s, ' ');
}

/* Digits of v in base, written backwards into the end of buf; returns the start. */
static char *utoa(char *end, unsigned long long v, unsigned int base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	*--end = 0;
	do {
		*--end = digits[v % base];
		v /= base;
	} while (v);
	return end;
}

/*
 * The next integer argument, int, long or long long as @longs says, as
 * bits. One va_arg per size, not per size and signedness: the types differ
 * from the arguments' at most in signedness, which the x86-64 ABI passes in
 * the same register or stack slot (the caller sign-extends when it matters).
 */
static __attribute__((noinline)) unsigned long long next_int(va_list *ap, int longs)
{
	if (longs >= 2)
		return va_arg(*ap, unsigned long long);
	if (longs)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

int weft_vsnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
	struct sink s = { .buf = buf, .size = size };
	char num[24];
	va_list ap;

	va_copy(ap, args);	/* an array of our own, so that next_int() can take its address */
	for (; *fmt; fmt++) {
		bool left = false;
		int width = 0, precision = -1, longs = 0;
		unsigned long long v;
		unsigned int base = 16;
		char pad = ' ';
		const char *str, *start, *prefix = "";
		size_t n;

		if (*fmt != '%') {
			put(&s, *fmt);
			continue;
		}
		start = fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				pad = '0';
			else
				break;
		}
		if (*fmt == '*') {
			width = (int)next_int(&ap, 0);
			fmt++;
			if (width < 0) {	/* C: a negative '*' width means '-' */
				left = true;
				width = -width;
			}
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (*fmt == '.') {
			fmt++;
			precision = 0;
			if (*fmt == '*') {
				precision = (int)next_int(&ap, 0);
				fmt++;
			}
			while (*fmt >= '0' && *fmt <= '9')
				precision = precision * 10 + (*fmt++ - '0');
		}
		for (;; fmt++) {
			if (*fmt == 'l')
				longs++;
			else if (*fmt == 'z')
				longs = 1;	/* size_t is unsigned long on LP64 */
			else if (*fmt != 'h')
				break;
		}
		switch (*fmt) {
		case '%':
			put(&s, '%');
			continue;
		case 'c':
			num[0] = (char)next_int(&ap, 0);
			put_padded(&s, num, 1, width, left, ' ');
			continue;
		case 's':
			str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			n = precision >= 0 ? weft_strnlen(str, (size_t)precision) : weft_strlen(str);
			put_padded(&s, str, n, width, left, ' ');
			continue;
		case 'p':
			/* void * and const char * may share a va_arg: C allows that pair. */
			v = (uintptr_t)va_arg(ap, void *);
			prefix = "0x";
			pad = ' ';
			break;
		case 'd':
		case 'i':
			v = next_int(&ap, longs);
			if (!longs)
				v = (unsigned long long)(long long)(int)v;	/* sign-extend */
			if ((long long)v < 0) {
				v = 0 - v;
				prefix = "-";
			}
			base = 10;
			break;
		case 'u':
			base = 10;
			/* fall through */
		case 'x':
		case 'X':
			v = next_int(&ap, longs);
			break;
		default:
			/* Unknown conversion: print it literally. */
			while (start <= fmt && *start)
				put(&s, *start++);
			if (!*fmt)
				fmt--;
			continue;
		}
		str = utoa(num + sizeof(num), v, base, *fmt == 'X');
		for (n = weft_strlen(prefix); n;)
			*(char *)--str = prefix[--n];
		put_padded(&s, str, weft_strlen(str), width, left, pad);
	}
	va_end(ap);
	if (buf && size)
		buf[s.len < size ? s.len : size - 1] = 0;
	return s.len > INT32_MAX ? INT32_MAX : (int)s.len;
}

int weft_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = weft_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int weft_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		long n = sys_write(fd, p, len);

		if (n == -EINTR)
			continue;	/* a handler ran before anything was written */
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EIO;	/* no progress: don't spin */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int weft_vdprintf(int fd, const char *fmt, va_list ap)
{
	char small[512];
	va_list copy;
	int n, err;

	/*
	 * Format into the stack first; only a message longer than that is
	 * formatted twice into an allocation. One write per message keeps
	 * lines from different threads from interleaving mid-line.
	 */
	va_copy(copy, ap);
	n = weft_vsnprintf(small, sizeof(small), fmt, ap);
	if ((size_t)n < sizeof(small)) {
		va_end(copy);
		err = weft_write_all(fd, small, (size_t)n);
		return err ? err : n;
	}
	char *big = weft_malloc((size_t)n + 1);

	if (!big) {
		/* Out of memory: the truncated text is better than none. */
		va_end(copy);
		err = weft_write_all(fd, small, sizeof(small) - 1);
		return err ? err : n;
	}
	weft_vsnprintf(big, (size_t)n + 1, fmt, copy);
	va_end(copy);
	err = weft_write_all(fd, big, (size_t)n);
	weft_free(big);
	return err ? err : n;
}

int weft_dprintf(int fd, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = weft_vdprintf(fd, fmt, ap);
	va_end(ap);
	return n;
}
