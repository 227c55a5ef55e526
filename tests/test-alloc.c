// SPDX-License-Identifier: MIT
/* The allocator refuses pointers it never handed out, as glibc's free() does. */
#include "weft/alloc.h"
#include "weft/string.h"

#include "harness.h"
#include "kernel-abi/wait_abi.h"

/* Run @fn(@arg) in a child; expect SIGABRT and @msg on its stderr. */
static void expect_abort(struct __test_metadata *_metadata, void (*fn)(void *), void *arg,
			 const char *msg)
{
	char err[256];
	int status = test_run_child(fn, arg, err, sizeof(err));

	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGABRT);
	ASSERT_NE_NULL(weft_strstr(err, msg));
}

static void free_it(void *p)
{
	weft_free(p);
}

static void free_a_stack_address(void *arg)
{
	char on_stack[64] __attribute__((aligned(16))) = { 0 };

	weft_free(on_stack + 16);
}

static char in_bss[64] __attribute__((aligned(16)));

TEST(freeing_a_pointer_never_handed_out_aborts_with_a_message)
{
	char *p = weft_malloc(100);

	ASSERT_NE_NULL(p);
	expect_abort(_metadata, free_a_stack_address, NULL, "weft_free(): invalid pointer\n");
	expect_abort(_metadata, free_it, in_bss + 16, "weft_free(): invalid pointer\n");
	expect_abort(_metadata, free_it, p + 16, "weft_free(): invalid pointer\n");
	expect_abort(_metadata, free_it, p + 1, "weft_free(): invalid pointer\n");
	weft_free(p);
}

static void free_twice(void *arg)
{
	void *p = weft_malloc((size_t)arg);

	weft_free(p);
	weft_free(p);
}

TEST(freeing_a_small_block_twice_aborts_with_a_message)
{
	expect_abort(_metadata, free_twice, (void *)24, "weft_free(): double free detected\n");
}

static void realloc_a_stranger(void *arg)
{
	weft_realloc(in_bss + 32, 10);
}

TEST(reallocating_a_pointer_never_handed_out_aborts)
{
	expect_abort(_metadata, realloc_a_stranger, NULL, "weft_realloc(): invalid pointer\n");
}

TEST(blocks_still_free_and_reallocate_normally)
{
	struct weft_alloc_stats before, after;
	char *small, *large;

	weft_alloc_stats(&before);
	small = weft_malloc(24);
	large = weft_malloc(100000);
	ASSERT_NE_NULL(small);
	ASSERT_NE_NULL(large);
	memset(small, 'a', 24);
	small = weft_realloc(small, 3000);
	ASSERT_NE_NULL(small);
	ASSERT_EQ(small[23], 'a');
	weft_free(small);
	weft_free(large);
	weft_alloc_stats(&after);
	ASSERT_EQ(after.blocks, before.blocks);
	ASSERT_EQ(after.bytes, before.bytes);
}
