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
 * DOC: weft's printf
 *
 * Supported: %s %c %d %i %u %x %X %p %% with the length modifiers hh, h, l,
 * ll, z, j and t, a width (also as '*'), '0' padding, '-' left adjustment
 * and a precision for %s (also as '*').
 *
 * Every other conversion C defines is read, not guessed: its argument is
 * consumed by its type and length modifier (an int, long or long long; a
 * pointer for %n and %ls; a double, or a long double after L, for %f %e %g
 * %a and their capitals), so that the conversions after it get their own
 * arguments, and "%!" followed by the rest of the specification is printed
 * where it stood: "%o" prints "%!o", "%+d" "%!+d", "%.2f" "%!.2f". The same
 * holds for the flags '+', ' ', '#' and '\'' and for a precision on anything
 * but %s. %n never writes. A character that is no conversion at all is
 * copied as written and consumes nothing: there is no type to read.
 *
 * Consuming a double means reading the floating-point half of the va_list,
 * which on x86_64 the variadic function's prologue fills from the vector
 * registers. The
 * other slow-path files are built with -mgeneral-regs-only, whose prologues
 * skip that (gcc leaves the va_list's fp_offset unset); this file and
 * lib/panic.c, whose variadic functions take users' formats, are not (see
 * the Makefile). The runtime's internal variadic helpers (weft_fatal(), the
 * trace's) never see a floating-point argument: their callers are built
 * without the registers to pass one.
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

/* What an argument is, for reading it: see the DOC block above. */
enum arg { ARG_NONE, ARG_INT, ARG_PTR, ARG_DOUBLE };

static enum arg arg_of(char conv)
{
	switch (conv) {
	case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': case 'c':
		return ARG_INT;
	case 's': case 'p': case 'n':
		return ARG_PTR;
	case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A':
		return ARG_DOUBLE;
	}
	return ARG_NONE;
}

/* Read and drop the argument of a conversion weft does not print. */
static void skip_arg(va_list *ap, enum arg arg, int longs, bool big)
{
	if (arg == ARG_PTR)
		(void)va_arg(*ap, void *);
	else if (arg == ARG_DOUBLE && big)
		(void)va_arg(*ap, long double);
	else if (arg == ARG_DOUBLE)
		(void)va_arg(*ap, double);
	else
		next_int(ap, big ? 2 : longs);	/* %Ld: glibc reads a long long */
}

int weft_vsnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
	struct sink s = { .buf = buf, .size = size };
	char num[24];
	va_list ap;

	va_copy(ap, args);	/* an array of our own, so that next_int() can take its address */
	for (; *fmt; fmt++) {
		bool left = false, odd = false, big = false;
		int width = 0, precision = -1, longs = 0, shorts = 0;
		unsigned long long v;
		unsigned int base = 16;
		char pad = ' ';
		const char *str, *start, *prefix = "";
		enum arg arg;
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
			else if (*fmt == '+' || *fmt == ' ' || *fmt == '#' || *fmt == '\'')
				odd = true;	/* C's flags that weft does not implement */
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
			else if (*fmt == 'z' || *fmt == 'j' || *fmt == 't')
				longs = 1;	/* size_t, intmax_t, ptrdiff_t: long on LP64 */
			else if (*fmt == 'h')
				shorts++;
			else if (*fmt == 'L')
				big = true;
			else
				break;
		}
		if (*fmt == '%') {
			put(&s, '%');
			continue;
		}
		arg = arg_of(*fmt);
		if (arg == ARG_NONE) {
			/* No conversion at all: print it literally, there is nothing to read. */
			while (start <= fmt && *start)
				put(&s, *start++);
			if (!*fmt)
				fmt--;
			continue;
		}
		if (odd || big || arg == ARG_DOUBLE || *fmt == 'o' || *fmt == 'n' ||
		    (precision >= 0 && *fmt != 's') || (longs && (*fmt == 'c' || *fmt == 's'))) {
			skip_arg(&ap, arg, *fmt == 'c' ? 0 : longs, big);	/* %lc: a wint_t */
			put(&s, '%');
			put(&s, '!');
			while (++start <= fmt)
				put(&s, *start);
			continue;
		}
		switch (*fmt) {
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
			/* Sign-extend what was converted to int, short or signed char. */
			if (!longs)
				v = (unsigned long long)(long long)(shorts >= 2 ? (signed char)v :
								    shorts ? (short)v : (int)v);
			if ((long long)v < 0) {
				v = 0 - v;
				prefix = "-";
			}
			base = 10;
			break;
		default:	/* u x X */
			if (*fmt == 'u')
				base = 10;
			v = next_int(&ap, longs);
			if (!longs && shorts)
				v &= shorts >= 2 ? 0xff : 0xffff;
			break;
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
		/*
		 * Out of memory: the truncated text is better than none, but the
		 * caller must learn that the message is incomplete.
		 */
		va_end(copy);
		err = weft_write_all(fd, small, sizeof(small) - 1);
		return err ? err : -ENOMEM;
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
