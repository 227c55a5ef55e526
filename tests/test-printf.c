// SPDX-License-Identifier: MIT
/* The plain C under everything: the formatter, weft_write_all(), string functions, allocator. */
#include <limits.h>

#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/mman.h>

#include "weft/alloc.h"
#include "weft/fault.h"
#include "weft/signal.h"

#include "harness.h"
#include "kernel-abi/sys.h"

/* ---- weft_snprintf ------------------------------------------------------ */

/* Formats into a static buffer so one expected string sits next to each format. */
#define FMT(...)                                                                        \
	({                                                                              \
		static char __buf[128];                                                 \
		weft_snprintf(__buf, sizeof(__buf), __VA_ARGS__);                       \
		__buf;                                                                  \
	})

/*
 * No format attribute: lets a test pass formats the compiler would warn about.
 * The build asks gcc to insist on one (-Wmissing-format-attribute): not here.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-format-attribute"
static int format_unchecked(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = weft_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
#pragma GCC diagnostic pop

#define UFMT(...)                                                                       \
	({                                                                              \
		static char __buf[128];                                                 \
		format_unchecked(__buf, sizeof(__buf), __VA_ARGS__);                    \
		__buf;                                                                  \
	})

TEST(conversions)
{
	ASSERT_STREQ(FMT("%s|%c|%d|%i|%u", "str", 'c', -12, 34, 56u), "str|c|-12|34|56");
	ASSERT_STREQ(FMT("%x %X %x", 0xbeefu, 0xbeefu, 0u), "beef BEEF 0");
	ASSERT_STREQ(FMT("%p %p", (void *)0x1234, (void *)0), "0x1234 0x0");
	ASSERT_STREQ(FMT("%zu %zd %zx", (size_t)-1, (ptrdiff_t)-5, (size_t)255),
		     "18446744073709551615 -5 ff");
	ASSERT_STREQ(FMT("%ld %lu %lx", -1L, 1UL << 63, 0xfeedUL), "-1 9223372036854775808 feed");
	ASSERT_STREQ(FMT("%lld %llu", -1LL, ~0ULL), "-1 18446744073709551615");
	ASSERT_STREQ(FMT("100%%"), "100%");
	/* Unchecked: gcc rejects both at compile time, but they must work at run time. */
	ASSERT_STREQ(UFMT("%s", (char *)NULL), "(null)");
	ASSERT_STREQ(UFMT(""), "");
}

TEST(limits)
{
	ASSERT_STREQ(FMT("%d %d", INT_MIN, INT_MAX), "-2147483648 2147483647");
	ASSERT_STREQ(FMT("%u %x", UINT_MAX, UINT_MAX), "4294967295 ffffffff");
	ASSERT_STREQ(FMT("%ld", LONG_MIN), "-9223372036854775808");
	ASSERT_STREQ(FMT("%ld", LONG_MAX), "9223372036854775807");
	ASSERT_STREQ(FMT("%lu", ULONG_MAX), "18446744073709551615");
	ASSERT_STREQ(FMT("%lld %lld", LLONG_MIN, LLONG_MAX),
		     "-9223372036854775808 9223372036854775807");
	ASSERT_STREQ(FMT("%llx", ULLONG_MAX), "ffffffffffffffff");
}

TEST(width_padding_precision)
{
	ASSERT_STREQ(FMT("[%5d]", 42), "[   42]");
	ASSERT_STREQ(FMT("[%-5d]", 42), "[42   ]");
	ASSERT_STREQ(FMT("[%05d]", 42), "[00042]");
	ASSERT_STREQ(FMT("[%05d]", -42), "[-0042]");	/* zeros go after the sign */
	ASSERT_STREQ(FMT("[%5d]", -42), "[  -42]");
	ASSERT_STREQ(UFMT("[%-05d]", -42), "[-42  ]");	/* '-' wins over '0' */
	ASSERT_STREQ(FMT("[%2d]", 12345), "[12345]");	/* width is a minimum */
	ASSERT_STREQ(FMT("[%08x]", 0xabcu), "[00000abc]");
	ASSERT_STREQ(FMT("[%016lx]", 1UL), "[0000000000000001]");
	ASSERT_STREQ(FMT("[%*d]", 6, 7), "[     7]");
	ASSERT_STREQ(FMT("[%*d]", -6, 7), "[7     ]");	/* negative: left-adjusted */
	ASSERT_STREQ(FMT("[%.*s]", -1, "abc"), "[abc]");	/* negative: no precision */
	ASSERT_STREQ(FMT("[%3c|%-3c]", 'a', 'b'), "[  a|b  ]");
	ASSERT_STREQ(FMT("[%8s|%-8s]", "ab", "cd"), "[      ab|cd      ]");
	ASSERT_STREQ(FMT("[%.3s]", "abcdef"), "[abc]");
	ASSERT_STREQ(FMT("[%.*s]", 2, "abcdef"), "[ab]");
	ASSERT_STREQ(FMT("[%5.2s]", "abcdef"), "[   ab]");
	ASSERT_STREQ(FMT("[%.0s]", "abc"), "[]");
	ASSERT_STREQ(FMT("[%14p]", (void *)0xabc), "[         0xabc]");
}

TEST(precision_does_not_read_past_the_bytes)
{
	/* Three bytes and no NUL at the very end of a mapping: "%.3s" must stop there. */
	long p = sys_mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *end = (char *)p + 4096 - 3;

	ASSERT_GT(p, 0);
	ASSERT_EQ(sys_munmap((char *)p + 4096, 4096), 0);
	memcpy(end, "abc", 3);
	ASSERT_STREQ(FMT("[%.3s]", end), "[abc]");
	ASSERT_STREQ(FMT("[%.*s]", 3, end), "[abc]");
	sys_munmap((void *)p, 4096);
}

TEST(unknown_conversions_are_printed_literally)
{
	char buf[64];

	ASSERT_EQ(format_unchecked(buf, sizeof(buf), "a%qb"), 4);
	ASSERT_STREQ(buf, "a%qb");
	/* Nothing was consumed: the next conversion gets the first argument. */
	format_unchecked(buf, sizeof(buf), "%y %d", 7);
	ASSERT_STREQ(buf, "%y 7");
	format_unchecked(buf, sizeof(buf), "%5w|%-3.2lk");
	ASSERT_STREQ(buf, "%5w|%-3.2lk");
	format_unchecked(buf, sizeof(buf), "end%");
	ASSERT_STREQ(buf, "end%");
	format_unchecked(buf, sizeof(buf), "end%l");
	ASSERT_STREQ(buf, "end%l");
}

/*
 * C conversions weft does not print consume their argument and leave a marker.
 * Before, "%o %s" read the %o's int as the %s's pointer and crashed.
 */
TEST(unsupported_conversions_consume_their_argument)
{
	int count = 5;

	ASSERT_STREQ(FMT("%o %s", 8, "next"), "%!o next");
	ASSERT_STREQ(FMT("%+d|%s", 1, "a"), "%!+d|a");
	ASSERT_STREQ(FMT("%#x|% d|%'d|%s", 1u, 2, 3, "b"), "%!#x|%! d|%!'d|b");
	ASSERT_STREQ(FMT("%.3d|%s", 4, "c"), "%!.3d|c");	/* precision on an int */
	ASSERT_STREQ(FMT("%lo %llo %s", 1UL << 40, ~0ULL, "d"), "%!lo %!llo d");
	ASSERT_STREQ(FMT("%ls|%lc|%s", (wchar_t *)L"w", (__WINT_TYPE__)'w', "e"), "%!ls|%!lc|e");
	/* %n writes nothing: a format string is no way to store into memory. */
	ASSERT_STREQ(FMT("ab%n|%s", &count, "f"), "ab%!n|f");
	ASSERT_EQ(count, 5);
	/* Doubles travel in %xmm registers on x86_64, then on the stack: both are read. */
	ASSERT_STREQ(FMT("%f %s %.2e %d %g", 1.5, "g", 2.0, 3, 4.0), "%!f g %!.2e 3 %!g");
	ASSERT_STREQ(FMT("%Lf %s", (long double)1.5, "h"), "%!Lf h");
	ASSERT_STREQ(FMT("%a%A%E%F%G|%d", 1.0, 2.0, 3.0, 4.0, 5.0, 6), "%!a%!A%!E%!F%!G|6");
	/* Nine doubles and seven integers: past every register, into the stack area. */
	ASSERT_STREQ(FMT("%f%f%f%f%f%f%f%f%f %d %d %d %d %d %d %s", 1.0, 2.0, 3.0, 4.0, 5.0,
			 6.0, 7.0, 8.0, 9.0, 1, 2, 3, 4, 5, 6, "end"),
		     "%!f%!f%!f%!f%!f%!f%!f%!f%!f 1 2 3 4 5 6 end");
	/* The width and precision stars are read before the argument, as C says. */
	ASSERT_STREQ(FMT("%*.*f|%s", 8, 2, 1.0, "i"), "%!*.*f|i");
}

TEST(short_length_modifiers_convert)
{
	/* C: the int argument is converted to short or char before it is printed. */
	ASSERT_STREQ(UFMT("%hd %hu %hx", 70000, 70000, 0x12345), "4464 4464 2345");
	ASSERT_STREQ(UFMT("%hhd %hhu %hhx", 300, 255 + 2, 0x1ff), "44 1 ff");
	ASSERT_STREQ(FMT("%hd %hhd", (short)-2, (signed char)-3), "-2 -3");
	ASSERT_STREQ(FMT("%jd %td %ju", (intmax_t)-1, (ptrdiff_t)-2, (uintmax_t)3), "-1 -2 3");
}

TEST(dprintf_reads_past_an_unsupported_conversion)
{
	int fds[2];
	char got[64] = "";

	ASSERT_EQ(sys_pipe2(fds, O_CLOEXEC), 0);
	ASSERT_EQ(weft_dprintf(fds[1], "%f %s %x", 2.5, "ok", 255u), 9);
	ASSERT_EQ(sys_read(fds[0], got, sizeof(got) - 1), 9);
	ASSERT_STREQ(got, "%!f ok ff");
	sys_close(fds[0]);
	sys_close(fds[1]);
}

TEST(truncation_and_return_value)
{
	char buf[8];

	/* Like snprintf(3): the full length is returned, the buffer always ends in NUL. */
	ASSERT_EQ(weft_snprintf(buf, sizeof(buf), "%s", "hello world"), 11);
	ASSERT_STREQ(buf, "hello w");
	ASSERT_EQ(weft_snprintf(buf, sizeof(buf), "%d", -1234567), 8);
	ASSERT_STREQ(buf, "-123456");
	ASSERT_EQ(weft_snprintf(buf, sizeof(buf), "1234567"), 7);	/* fits exactly */
	ASSERT_STREQ(buf, "1234567");
	ASSERT_EQ(weft_snprintf(buf, 1, "abc"), 3);
	ASSERT_STREQ(buf, "");
	memset(buf, 'X', sizeof(buf));
	ASSERT_EQ(weft_snprintf(buf, 0, "abc"), 3);	/* size 0: nothing is written */
	ASSERT_EQ(buf[0], 'X');
	ASSERT_EQ(weft_snprintf(NULL, 0, "%d-%s", 12345, "ab"), 8);
}

/* ---- weft_dprintf and weft_write_all ------------------------------------ */

FIXTURE(pipe)
{
	int fds[2];
};

FIXTURE_SETUP(pipe)
{
	ASSERT_EQ(sys_pipe2(self->fds, O_CLOEXEC), 0);
}

FIXTURE_TEARDOWN(pipe)
{
	sys_close(self->fds[0]);
	sys_close(self->fds[1]);
}

/* Everything in the pipe now; the write end must already be closed. */
static long drain(int fd, char *buf, size_t size)
{
	long n, len = 0;

	while ((size_t)len < size - 1 && (n = sys_read(fd, buf + len, size - 1 - (size_t)len)) > 0)
		len += n;
	buf[len] = 0;
	return len;
}

TEST_F(pipe, dprintf_writes_the_message)
{
	char buf[64];

	ASSERT_EQ(weft_dprintf(self->fds[1], "hello %d %s\n", 42, "x"), 11);
	sys_close(self->fds[1]);
	ASSERT_EQ(drain(self->fds[0], buf, sizeof(buf)), 11);
	ASSERT_STREQ(buf, "hello 42 x\n");
	ASSERT_EQ(weft_dprintf(-1, "lost"), -EBADF);
}

/* Longer than dprintf's 512-byte stack buffer: the message goes through the allocator. */
TEST_F(pipe, dprintf_long_message)
{
	static char text[3001], got[4096];

	memset(text, 'a', sizeof(text) - 1);
	text[2999] = 'z';
	ASSERT_EQ(weft_dprintf(self->fds[1], "%s", text), 3000);
	sys_close(self->fds[1]);
	ASSERT_EQ(drain(self->fds[0], got, sizeof(got)), 3000);
	ASSERT_STREQ(got, text);
}

TEST_F(pipe, dprintf_long_message_without_memory)
{
	static char text[3001], got[4096];

	/* 3001 bytes is a large block, its own mmap: make that fail. */
	memset(text, 'b', sizeof(text) - 1);
	ASSERT_EQ(weft_fault_inject(__NR_mmap, WEFT_FAULT_EVERY, ENOMEM), 0);
	/* The caller learns that the message is incomplete. */
	ASSERT_EQ(weft_dprintf(self->fds[1], "%s", text), -ENOMEM);
	ASSERT_EQ(weft_fault_fired(), 1);
	weft_fault_clear();
	sys_close(self->fds[1]);
	/* Then what fitted the stack buffer is written, rather than nothing. */
	ASSERT_EQ(drain(self->fds[0], got, sizeof(got)), 511);
	ASSERT_EQ(memcmp(got, text, 511), 0);
}

TEST_F(pipe, write_all_retries_eintr)
{
	char buf[8];

	/* A signal handler that ran before write(2) copied anything: just retry. */
	ASSERT_EQ(weft_fault_inject(__NR_write, 1, EINTR), 0);
	ASSERT_EQ(weft_write_all(self->fds[1], "abc", 3), 0);
	ASSERT_EQ(weft_fault_fired(), 1);
	weft_fault_clear();
	sys_close(self->fds[1]);
	ASSERT_EQ(drain(self->fds[0], buf, sizeof(buf)), 3);
	ASSERT_STREQ(buf, "abc");
}

TEST_F(pipe, write_all_errors)
{
	ASSERT_EQ(weft_write_all(-1, "x", 1), -EBADF);
	ASSERT_EQ(weft_write_all(self->fds[1], "", 0), 0);	/* nothing to do: no call */
	/* With SIGPIPE ignored, a pipe nobody reads gives EPIPE instead of a death. */
	ASSERT_EQ(weft_signal(SIGPIPE, WEFT_SIG_IGN, 0, NULL), 0);
	sys_close(self->fds[0]);
	ASSERT_EQ(weft_write_all(self->fds[1], "x", 1), -EPIPE);
}

/*
 * A partial write, made deterministic: a non-blocking pipe of one page takes
 * exactly one page of a longer write and returns that count; the next write
 * finds it full (EAGAIN). The trace shows weft_write_all() carrying on from
 * the right place with the right length, and then handing back the error.
 */
TEST(write_all_continues_after_a_partial_write)
{
	static char data[4096 + 1000], got[8192];
	char trace[512], want[512];
	int fds[2], tfds[2], old;
	long cap, tid = sys_gettid();

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	ASSERT_EQ(sys_pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
	ASSERT_EQ(sys_pipe2(tfds, O_CLOEXEC), 0);
	weft_syscall3(__NR_fcntl, fds[1], F_SETPIPE_SZ, 4096);
	cap = weft_syscall3(__NR_fcntl, fds[1], F_GETPIPE_SZ, 0);
	ASSERT_EQ(cap, 4096);

	old = weft_trace_set_fd(tfds[1]);
	ASSERT_EQ(weft_write_all(fds[1], data, sizeof(data)), -EAGAIN);
	weft_trace_set_fd(old);

	sys_close(tfds[1]);
	ASSERT_GT(drain(tfds[0], trace, sizeof(trace)), 0);
	weft_snprintf(want, sizeof(want),
		      "[weft %ld] write(%d, %p, %zu) = %ld\n"
		      "[weft %ld] write(%d, %p, %zu) = -1 EAGAIN\n",
		      tid, fds[1], (void *)data, sizeof(data), cap,
		      tid, fds[1], (void *)(data + cap), sizeof(data) - (size_t)cap);
	ASSERT_STREQ(trace, want);
	sys_close(fds[1]);
	ASSERT_EQ(drain(fds[0], got, sizeof(got)), cap);
	ASSERT_EQ(memcmp(got, data, (size_t)cap), 0);
	sys_close(fds[0]);
	sys_close(tfds[0]);
}

/* ---- string functions --------------------------------------------------- */

/* Every small length at every alignment: covers the byte head, the word loop and the tail. */
TEST(memcpy_memset_all_alignments)
{
	static unsigned char src[64], dst[64], ref[64];

	for (int i = 0; i < 64; i++)
		src[i] = (unsigned char)(i * 7 + 1);
	for (int d = 0; d < 8; d++) {
		for (int s = 0; s < 8; s++) {
			for (int n = 0; n <= 40; n++) {
				memset(dst, 0xee, sizeof(dst));
				ASSERT_EQ(memcpy(dst + d, src + s, (size_t)n), dst + d);
				for (int i = 0; i < 64; i++) {
					int in = i >= d && i < d + n;

					ASSERT_EQ(dst[i], in ? src[s + i - d] : 0xee);
				}
			}
		}
		for (int n = 0; n <= 40; n++) {
			for (int i = 0; i < 64; i++)
				ref[i] = (i >= d && i < d + n) ? 0xab : 0x11;
			memset(dst, 0x11, sizeof(dst));
			ASSERT_EQ(memset(dst + d, 0x1ab /* only the low byte counts */, (size_t)n),
				  dst + d);
			ASSERT_EQ(memcmp(dst, ref, sizeof(dst)), 0);
		}
	}
}

TEST(memmove_overlapping_both_ways)
{
	char buf[40];

	/* Destination above the source: must copy from the end. */
	weft_strlcpy(buf, "0123456789abcdefghij", sizeof(buf));
	ASSERT_EQ(memmove(buf + 3, buf, 17), buf + 3);
	ASSERT_STREQ(buf, "0120123456789abcdefg");
	/* Destination below the source: from the start (memcpy's direction). */
	weft_strlcpy(buf, "0123456789abcdefghij", sizeof(buf));
	ASSERT_EQ(memmove(buf, buf + 9, 11), buf);
	ASSERT_STREQ(buf, "9abcdefghijbcdefghij");
	/* Same place, and length 0. */
	ASSERT_EQ(memmove(buf, buf, 5), buf);
	ASSERT_EQ(memmove(buf + 1, buf, 0), buf + 1);
	ASSERT_EQ(buf[1], 'a');
}

TEST(memcmp_compares_unsigned_bytes)
{
	ASSERT_EQ(memcmp("abc", "abc", 3), 0);
	ASSERT_EQ(memcmp("abc", "abd", 0), 0);
	ASSERT_LT(memcmp("abc", "abd", 3), 0);
	ASSERT_GT(memcmp("abd", "abc", 3), 0);
	ASSERT_GT(memcmp("\x80", "\x01", 1), 0);	/* 0x80 is 128, not -128 */
	ASSERT_EQ(memcmp("ab\0x", "ab\0y", 3), 0);	/* NUL is just a byte */
}

TEST(string_functions)
{
	const char *s = "hello, world", *aaab = "aaab";
	char buf[8];

	ASSERT_EQ(weft_strlen(""), 0);
	ASSERT_EQ(weft_strlen(s), 12);
	ASSERT_EQ(weft_strnlen(s, 5), 5);
	ASSERT_EQ(weft_strnlen(s, 100), 12);
	ASSERT_EQ(weft_strnlen(s, 0), 0);

	ASSERT_EQ(weft_strcmp("abc", "abc"), 0);
	ASSERT_LT(weft_strcmp("abc", "abd"), 0);
	ASSERT_GT(weft_strcmp("abc", "ab"), 0);
	ASSERT_LT(weft_strcmp("", "a"), 0);
	ASSERT_GT(weft_strcmp("\xff", "a"), 0);	/* unsigned, as strcmp(3) */
	ASSERT_EQ(weft_strncmp("abcX", "abcY", 3), 0);
	ASSERT_LT(weft_strncmp("abcX", "abcY", 4), 0);
	ASSERT_EQ(weft_strncmp("ab", "ab", 10), 0);	/* stops at the NUL */
	ASSERT_EQ(weft_strncmp("a", "b", 0), 0);

	ASSERT_EQ(weft_strchr(s, 'o'), s + 4);
	ASSERT_EQ(weft_strchr(s, 0), s + 12);	/* the terminator can be found */
	ASSERT_NULL(weft_strchr(s, 'z'));

	ASSERT_EQ(weft_strstr(s, "world"), s + 7);
	ASSERT_EQ(weft_strstr(s, "hello"), s);
	ASSERT_EQ(weft_strstr(s, ""), s);
	ASSERT_EQ(weft_strstr(s + 12, ""), s + 12);
	ASSERT_NULL(weft_strstr(s, "worlds"));	/* runs off the end of the haystack */
	ASSERT_NULL(weft_strstr(s + 12, "a"));
	ASSERT_EQ(weft_strstr(aaab, "aab"), aaab + 1);	/* after a false start */

	ASSERT_EQ(weft_strlcpy(buf, "abc", sizeof(buf)), 3);
	ASSERT_STREQ(buf, "abc");
	ASSERT_EQ(weft_strlcpy(buf, "truncated!", sizeof(buf)), 10);
	ASSERT_STREQ(buf, "truncat");
	ASSERT_EQ(weft_strlcpy(buf, "x", 1), 1);
	ASSERT_STREQ(buf, "");
	buf[0] = 'Q';
	ASSERT_EQ(weft_strlcpy(buf, "abc", 0), 3);	/* size 0: dst untouched */
	ASSERT_EQ(buf[0], 'Q');
}

TEST(parse_u64)
{
	unsigned long long v = 12345;

	ASSERT_EQ(weft_parse_u64("0", &v), 0);
	ASSERT_EQ(v, 0);
	ASSERT_EQ(weft_parse_u64("123", &v), 0);
	ASSERT_EQ(v, 123);
	ASSERT_EQ(weft_parse_u64("4k", &v), 0);
	ASSERT_EQ(v, 4096);
	ASSERT_EQ(weft_parse_u64("64K", &v), 0);
	ASSERT_EQ(v, 64 << 10);
	ASSERT_EQ(weft_parse_u64("8m", &v), 0);
	ASSERT_EQ(v, 8 << 20);
	ASSERT_EQ(weft_parse_u64("2G", &v), 0);
	ASSERT_EQ(v, 2ULL << 30);
	ASSERT_EQ(weft_parse_u64("18446744073709551615", &v), 0);	/* ULLONG_MAX itself */
	ASSERT_TRUE(v == ULLONG_MAX);
	ASSERT_EQ(weft_parse_u64("17179869183g", &v), 0);	/* (2^34 - 1) << 30 fits */
	ASSERT_TRUE(v == ULLONG_MAX - ((1ULL << 30) - 1));

	v = 7;
	ASSERT_EQ(weft_parse_u64("18446744073709551616", &v), -ERANGE);
	ASSERT_EQ(weft_parse_u64("99999999999999999999", &v), -ERANGE);
	ASSERT_EQ(weft_parse_u64("17179869184G", &v), -ERANGE);	/* 2^64 */
	ASSERT_EQ(weft_parse_u64("", &v), -EINVAL);
	ASSERT_EQ(weft_parse_u64(NULL, &v), -EINVAL);
	ASSERT_EQ(weft_parse_u64("k", &v), -EINVAL);
	ASSERT_EQ(weft_parse_u64("-1", &v), -EINVAL);
	ASSERT_EQ(weft_parse_u64(" 1", &v), -EINVAL);
	ASSERT_EQ(weft_parse_u64("12x", &v), -EINVAL);
	ASSERT_EQ(weft_parse_u64("12kb", &v), -EINVAL);
	ASSERT_EQ(weft_parse_u64("1 ", &v), -EINVAL);
	ASSERT_EQ(weft_parse_u64("1T", &v), -EINVAL);	/* no T suffix */
	ASSERT_EQ(weft_parse_u64("0x", &v), -EINVAL);
	ASSERT_EQ(weft_parse_u64("0xg", &v), -EINVAL);
	ASSERT_EQ(weft_parse_u64("x10", &v), -EINVAL);
	ASSERT_EQ(weft_parse_u64("0x10000000000000000", &v), -ERANGE);
	ASSERT_EQ(v, 7);	/* untouched on every error */
}

TEST(parse_u64_hexadecimal)
{
	unsigned long long v = 0;

	ASSERT_EQ(weft_parse_u64("0x10000", &v), 0);
	ASSERT_EQ(v, 0x10000);
	ASSERT_EQ(weft_parse_u64("0XaBcDeF", &v), 0);
	ASSERT_EQ(v, 0xabcdef);
	ASSERT_EQ(weft_parse_u64("0x40k", &v), 0);	/* a suffix after hex digits too */
	ASSERT_EQ(v, 64 << 10);
	ASSERT_EQ(weft_parse_u64("0xffffffffffffffff", &v), 0);
	ASSERT_TRUE(v == ULLONG_MAX);
	ASSERT_EQ(weft_parse_u64("0x0", &v), 0);
	ASSERT_EQ(v, 0);
	ASSERT_EQ(weft_parse_u64("010", &v), 0);	/* a leading 0 is not octal */
	ASSERT_EQ(v, 10);
}

/* ---- the allocator ------------------------------------------------------ */

/* Only live blocks and bytes: small-block chunks are kept for reuse, by design. */
#define ASSERT_ALLOC_STATS_AT(base)                                                     \
	do {                                                                            \
		struct weft_alloc_stats __now;                                          \
		weft_alloc_stats(&__now);                                               \
		ASSERT_EQ(__now.blocks, (base).blocks);                                 \
		ASSERT_EQ(__now.bytes, (base).bytes);                                   \
	} while (0)

TEST(malloc_alignment_and_stats)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 100, 1000, 2048, 2049, 5000, 100000 };
	void *blocks[sizeof(sizes) / sizeof(sizes[0])];
	struct weft_alloc_stats base, now;

	weft_alloc_stats(&base);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		blocks[i] = weft_malloc(sizes[i]);
		ASSERT_NE_NULL(blocks[i]);
		ASSERT_EQ((uintptr_t)blocks[i] % 16, 0);
		memset(blocks[i], (int)i, sizes[i]);	/* all of it is ours */
	}
	weft_alloc_stats(&now);
	ASSERT_EQ(now.blocks, base.blocks + sizeof(sizes) / sizeof(sizes[0]));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* Nobody else wrote into a block: no two overlap. */
		for (size_t j = 0; j < sizes[i]; j++)
			ASSERT_EQ(((unsigned char *)blocks[i])[j], i);
		weft_free(blocks[i]);
	}
	ASSERT_ALLOC_STATS_AT(base);
	weft_free(NULL);
	ASSERT_ALLOC_STATS_AT(base);
}

TEST(malloc_zero_gives_distinct_blocks)
{
	void *a = weft_malloc(0), *b = weft_malloc(0);

	ASSERT_NE_NULL(a);
	ASSERT_NE_NULL(b);
	ASSERT_NE(a, b);
	weft_free(a);
	weft_free(b);
}

TEST(large_block_is_its_own_mapping)
{
	struct weft_alloc_stats base, now;
	char *p;

	weft_alloc_stats(&base);
	p = weft_malloc(5000);	/* > 2 KiB: no size class */
	ASSERT_NE_NULL(p);
	weft_alloc_stats(&now);
	ASSERT_EQ(now.blocks, base.blocks + 1);
	ASSERT_EQ(now.chunks, base.chunks + 1);
	ASSERT_EQ(now.bytes, base.bytes + 8192);	/* header + 5000, in whole pages */
	p[0] = 1;
	p[4999] = 2;
	weft_free(p);
	weft_alloc_stats(&now);
	ASSERT_EQ(now.chunks, base.chunks);	/* unmapped again */
	ASSERT_ALLOC_STATS_AT(base);
}

TEST(calloc_zeroes_and_checks_overflow)
{
	struct weft_alloc_stats base;
	unsigned char *p;

	weft_alloc_stats(&base);
	/* Dirty a block and free it: the free list hands the same one back. */
	p = weft_malloc(64);
	ASSERT_NE_NULL(p);
	memset(p, 0xff, 64);
	weft_free(p);
	ASSERT_EQ((void *)weft_calloc(8, 8), (void *)p);
	for (int i = 0; i < 64; i++)
		ASSERT_EQ(p[i], 0);
	weft_free(p);

	ASSERT_NULL(weft_calloc(SIZE_MAX / 2, 3));	/* n * size overflows */
	ASSERT_NULL(weft_calloc(3, SIZE_MAX / 2));
	ASSERT_NULL(weft_malloc(SIZE_MAX));
	ASSERT_ALLOC_STATS_AT(base);
}

TEST(realloc_keeps_contents)
{
	struct weft_alloc_stats base;
	char *p, *q;

	weft_alloc_stats(&base);
	p = weft_realloc(NULL, 10);	/* as malloc */
	ASSERT_NE_NULL(p);
	weft_strlcpy(p, "123456789", 10);
	q = weft_realloc(p, 12);	/* still in its 16-byte class: same block */
	ASSERT_EQ(q, p);
	p = weft_realloc(q, 100);
	ASSERT_STREQ(p, "123456789");
	p = weft_realloc(p, 5000);	/* small to large */
	ASSERT_STREQ(p, "123456789");
	p[4999] = 'e';
	p = weft_realloc(p, 6000);	/* large to larger */
	ASSERT_STREQ(p, "123456789");
	ASSERT_EQ(p[4999], 'e');
	p = weft_realloc(p, 20);	/* large to small */
	ASSERT_STREQ(p, "123456789");
	/* Failure leaves the block as it was. */
	ASSERT_NULL(weft_realloc(p, SIZE_MAX));
	ASSERT_STREQ(p, "123456789");
	weft_free(p);
	ASSERT_ALLOC_STATS_AT(base);
}

TEST(malloc_fails_when_mmap_fails)
{
	struct weft_alloc_stats base;
	void *blocks[64];
	int n = 0;
	char *p;

	weft_alloc_stats(&base);
	ASSERT_EQ(weft_fault_inject(__NR_mmap, WEFT_FAULT_EVERY, ENOMEM), 0);
	ASSERT_NULL(weft_malloc(5000));	/* a large block always maps */
	ASSERT_EQ(weft_fault_fired(), 1);
	/*
	 * Small blocks come from a free list until it runs dry; the next one
	 * needs a new 64 KiB chunk, and that mmap fails. 2 KiB blocks: at most
	 * 31 fit in a chunk.
	 */
	while (n < 64 && (blocks[n] = weft_malloc(2000)) != NULL)
		n++;
	ASSERT_LT(n, 32);
	ASSERT_EQ(weft_fault_fired(), 2);
	weft_fault_clear();
	/* It recovers once memory is back. */
	p = weft_malloc(2000);
	ASSERT_NE_NULL(p);
	weft_free(p);
	while (n > 0)
		weft_free(blocks[--n]);
	ASSERT_ALLOC_STATS_AT(base);
}
