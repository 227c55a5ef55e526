/* SPDX-License-Identifier: MIT */
/* The memory and string functions: the four the compiler may call, and a few more. */
#ifndef WEFT_STRING_H
#define WEFT_STRING_H

#include <stddef.h>

/*
 * gcc and clang may emit calls to memcpy, memmove, memset and memcmp even in
 * -ffreestanding code (struct copies, zeroing loops), so these four keep
 * their standard names and contracts. The rest are prefixed: weft is not a
 * libc and does not claim libc's names.
 */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/**
 * weft_strlen() - length of a NUL-terminated string
 * @s: the string
 *
 * Return: the number of bytes before the NUL.
 */
size_t weft_strlen(const char *s);
/**
 * weft_strnlen() - weft_strlen() of @s, looking at no more than @max bytes
 * @s: the string
 * @max: the most bytes to look at
 *
 * Return: the length, at most @max.
 */
size_t weft_strnlen(const char *s, size_t max);
/**
 * weft_strcmp() - compare two strings bytewise
 * @a: a string
 * @b: another
 *
 * Return: <0, 0 or >0, as strcmp(3).
 */
int weft_strcmp(const char *a, const char *b);
/**
 * weft_strncmp() - compare at most @n bytes of two strings
 * @a: a string
 * @b: another
 * @n: the most bytes to compare
 *
 * Return: <0, 0 or >0, as strncmp(3).
 */
int weft_strncmp(const char *a, const char *b, size_t n);
/**
 * weft_strstr() - find a substring
 * @hay: the string to search
 * @needle: the string to find
 *
 * Return: the first occurrence of @needle in @hay, or NULL.
 */
char *weft_strstr(const char *hay, const char *needle);
/**
 * weft_strchr() - find a byte in a string
 * @s: the string
 * @c: the byte (the terminating NUL counts)
 *
 * Return: the first @c in @s, or NULL.
 */
char *weft_strchr(const char *s, int c);
/**
 * weft_strlcpy() - copy @src into @dst of @size bytes, always NUL-terminated
 * @dst: destination
 * @src: NUL-terminated source
 * @size: size of @dst
 *
 * Return: weft_strlen(@src); truncation happened if that is >= @size.
 */
size_t weft_strlcpy(char *dst, const char *src, size_t size);
/**
 * weft_errno_name() - the name of an error number, as the trace prints it
 * @err: an errno, positive (EAGAIN) or as weft returns it (-EAGAIN)
 *
 * One table serves the trace (``= -1 EAGAIN``), fault rules (WEFT_FAULT=clone:1:EAGAIN)
 * and this function: the errors weft's system calls can return, about 35 of them.
 * glibc's strerrorname_np() covers every errno and takes positive numbers only.
 *
 * Return: "EAGAIN" and so on, or NULL for 0 or an errno the table does not name
 * (as strerrorname_np() returns NULL).
 */
const char *weft_errno_name(int err);
/**
 * weft_parse_u64() - parse an unsigned number, decimal or 0x hexadecimal, with an
 *                    optional k/K, m/M or g/G binary suffix
 * @s: the text: digits only, no sign, no spaces ("64k", "0x10000", "2M")
 * @out: the value
 *
 * Return: 0, or -EINVAL for an empty or malformed string (a sign, another
 * suffix such as T, trailing text), -ERANGE on overflow.
 */
int weft_parse_u64(const char *s, unsigned long long *out);

#endif
