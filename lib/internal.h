/* SPDX-License-Identifier: MIT */
/* What lib/ files share with each other and not with users. */
#ifndef WEFT_LIB_INTERNAL_H
#define WEFT_LIB_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "weft/alloc.h"
#include "weft/process.h"
#include "weft/string.h"

#include "sys.h"
#include "tcb.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ROUND_UP(x, a) (((x) + (a) - 1) & ~((a) - 1))
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* Process-wide facts found at start-up (lib/start.c). */
extern struct weft_startup weft_start;

/* lib/tls.c */
size_t weft_tls_area_size(void);
struct weft_tcb *weft_tls_install(void *area, size_t len);

/* lib/runtime.c: the hooks start-up and exit call, in order. */
void weft_runtime_init(void);
void weft_runtime_exit_work(void);

/* kernel-abi/hooks.c */
void weft_trace_init(const char *value, bool secure);
void weft_fault_init(const char *value, bool secure);
/* Fault check and trace for calls made outside sys_*() (the clone trampoline). */
long weft_sys_pre(long nr);
void weft_sys_post(long nr, const long args[6], long ret);
/* Log a call that assembly will make where C cannot follow (result shown as "?"). */
void weft_sys_trace_ahead(long nr, long a1, long a2, long a3, long a4);

/* Futex helpers (lib/futex.c). */
long weft_futex_wait(_Atomic uint32_t *word, uint32_t expected, bool shared,
		     const struct __kernel_timespec *abs_deadline);
long weft_futex_wake(_Atomic uint32_t *word, int count, bool shared);

/* lib/futex.c: a three-state futex mutex (Drepper, "Futexes Are Tricky"). */
struct weft_lock {
	_Atomic uint32_t state;	/* 0 unlocked, 1 locked, 2 locked with waiters */
};
#define WEFT_LOCK_INIT { 0 }
void weft_lock_slow(struct weft_lock *l);
void weft_unlock_slow(struct weft_lock *l);

static inline void weft_lock(struct weft_lock *l)
{
	uint32_t zero = 0;

	if (!atomic_compare_exchange_strong_explicit(&l->state, &zero, 1, memory_order_acquire,
						     memory_order_relaxed))
		weft_lock_slow(l);
}

static inline void weft_unlock(struct weft_lock *l)
{
	if (atomic_exchange_explicit(&l->state, 0, memory_order_release) == 2)
		weft_unlock_slow(l);
}

/* Monotonic time in nanoseconds; saturating arithmetic on it. */
uint64_t weft_now_ns(void);
void weft_ns_to_timespec(uint64_t ns, struct __kernel_timespec *ts);

/* Fatal runtime error: message to stderr, then weft_abort(). */
__attribute__((noreturn, format(printf, 1, 2))) void weft_fatal(const char *fmt, ...);

#endif
