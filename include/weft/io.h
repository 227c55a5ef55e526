/* SPDX-License-Identifier: MIT */
/* Formatted output without stdio: snprintf and dprintf. */
#ifndef WEFT_IO_H
#define WEFT_IO_H

#include <stdarg.h>
#include <stddef.h>

/**
 * weft_vsnprintf() - format into a buffer, C99 snprintf semantics
 * @buf: destination, always NUL-terminated when @size > 0
 * @size: bytes available at @buf (may be 0, then @buf may be NULL)
 * @fmt: format: %s %c %d %i %u %x %X %p %%, length modifiers hh, h, l, ll, z, j, t,
 *       a width (or '*'), '0' padding, '-' left adjustment, precision for %s
 * @ap: arguments
 *
 * Any other conversion of C's (%o, %f, %+d, %#x, %.3d, %n ...) consumes its
 * argument, by its type and length modifier, and prints "%!" and the rest of
 * its specification ("%!o", "%!+d"); %n writes nothing. glibc would format
 * them; weft does not, and says so in the output rather than misreading the
 * arguments that follow. lib/printf.c has the details.
 *
 * Return: the length the full output has, excluding the NUL, even if it was
 * truncated.
 */
int weft_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/**
 * weft_snprintf() - format into a buffer, see weft_vsnprintf()
 * @buf: destination
 * @size: bytes available at @buf
 * @fmt: format
 *
 * Return: the untruncated length of the output.
 */
int weft_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * weft_vdprintf() - format and write to a file descriptor in one write(2)
 * @fd: destination
 * @fmt: format, see weft_vsnprintf()
 * @ap: arguments
 *
 * Partial writes and EINTR are retried until everything is written. A message
 * longer than 511 bytes is formatted into an allocation; without the memory,
 * its first 511 bytes are written and the call returns -ENOMEM.
 *
 * Return: the number of bytes written, or -errno from write(2), or -ENOMEM.
 */
int weft_vdprintf(int fd, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/**
 * weft_dprintf() - format and write to a file descriptor, see weft_vdprintf()
 * @fd: destination
 * @fmt: format
 *
 * Return: the number of bytes written, or -errno.
 */
int weft_dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * weft_write_all() - write a whole buffer, retrying partial writes and EINTR
 * @fd: destination
 * @buf: bytes
 * @len: how many
 *
 * Return: 0, or -errno from write(2) (-EIO if write(2) made no progress).
 */
int weft_write_all(int fd, const void *buf, size_t len);

#endif
