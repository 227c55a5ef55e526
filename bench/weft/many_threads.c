// SPDX-License-Identifier: MIT
/* Spawn 10,000 threads that all stay alive parked on a gate, then join them; time and RSS. */
#include <stdatomic.h>
#include <stdbool.h>

#include <linux/errno.h>
#include <linux/fcntl.h>

#include "bench.h"

/*
 * All 10,000 threads are alive at once (unlike spawn_join), so weft's stack cache, which
 * keeps at most 16 mappings, cannot serve them: every thread costs an mmap of its 2 MiB
 * stack, guard pages, altstack and TLS, two mprotects, and every join beyond the cache an
 * munmap. Default builder on purpose: that is what a program gets without thinking. Each
 * thread is two VMAs (the guard; stack, TLS and altstack), as a glibc thread is, so
 * vm.max_map_count (65,530 by default) allows about 32,000 of them.
 */
#define THREAD_COUNT 10000

static struct weft_join_handle threads[THREAD_COUNT];

static struct weft_thread *main_thread;
static _Atomic int arrived;
static _Atomic int expected;	/* lowered if weft_spawn runs out of threads */
static atomic_bool gate_open;

/*
 * The gate is weft_park() itself: each thread parks until main has opened the gate and
 * unparked it. The last to arrive unparks main. Loops, because a park may return early
 * (a token left over from an earlier unpark, or a spurious wake-up).
 */
static void *wait_at_gate(void *unused)
{
	if (atomic_fetch_add_explicit(&arrived, 1, memory_order_acq_rel) + 1 >=
	    atomic_load_explicit(&expected, memory_order_acquire))
		weft_unpark(main_thread);
	while (!atomic_load_explicit(&gate_open, memory_order_acquire))
		weft_park();
	return NULL;
}

/* VmRSS in KiB: resident pages of the whole process, which is what an idle thread costs. */
static long resident_kib(void)
{
	static char status[4096];
	long fd = sys_openat(AT_FDCWD, "/proc/self/status", O_RDONLY | O_CLOEXEC, 0);
	long length = 0, chunk;
	const char *line;
	unsigned long long kib;
	char digits[24];
	int n = 0;

	if (fd < 0)
		bench_die("/proc/self/status", fd);
	while (length < (long)sizeof(status) - 1 &&
	       (chunk = sys_read((int)fd, status + length, sizeof(status) - 1 - length)) > 0)
		length += chunk;
	sys_close((int)fd);
	status[length] = '\0';
	line = weft_strstr(status, "\nVmRSS:");
	if (!line)
		bench_die("VmRSS in /proc/self/status", -EINVAL);
	for (line += 7; *line == ' ' || *line == '\t'; line++)
		;
	while (*line >= '0' && *line <= '9' && n < (int)sizeof(digits) - 1)
		digits[n++] = *line++;
	digits[n] = '\0';
	if (weft_parse_u64(digits, &kib))
		bench_die("VmRSS in /proc/self/status", -EINVAL);
	return (long)kib;
}

static int spawn_all(void)
{
	atomic_store(&arrived, 0);
	atomic_store(&expected, THREAD_COUNT);
	atomic_store(&gate_open, false);

	for (int i = 0; i < THREAD_COUNT; i++) {
		int error = weft_spawn(&threads[i], wait_at_gate, NULL);

		if ((error == -EAGAIN || error == -ENOMEM) && i > 0) {
			weft_dprintf(1, "# spawn10k: weft_spawn failed with %d after %d threads: "
				     "spawn10k and rss_per_thread below are for %d threads\n",
				     error, i, i);
			atomic_store(&expected, i);
			/* The last arrival may have compared with the old count: main re-checks. */
			return i;
		}
		if (error)
			bench_die("weft_spawn", error);
	}
	return THREAD_COUNT;
}

static void wait_until_all_parked(void)
{
	while (atomic_load_explicit(&arrived, memory_order_acquire) <
	       atomic_load_explicit(&expected, memory_order_relaxed))
		weft_park();
}

static void open_gate_and_join(int count)
{
	atomic_store_explicit(&gate_open, true, memory_order_release);
	for (int i = 0; i < count; i++)
		weft_unpark(weft_join_handle_thread(&threads[i]));
	for (int i = 0; i < count; i++) {
		int error = weft_join(&threads[i], NULL);

		if (error)
			bench_die("weft_join", error);
	}
}

int main(void)
{
	/*
	 * A repetition takes a second or so on a small VM, so by default there is one per
	 * process and the median comes from run.sh's rounds; BENCH_SCALE=3 makes it three here.
	 */
	long repetitions = bench_scaled(1);
	double *milliseconds = weft_calloc(repetitions, sizeof(*milliseconds));
	double kib_per_thread = 0;
	int count = 0;

	if (!milliseconds)
		bench_die("weft_calloc", -ENOMEM);
	main_thread = weft_current();
	for (long repetition = 0; repetition < repetitions; repetition++) {
		long rss_before = 0;
		long long start, all_parked, resumed, end;

		/*
		 * Only the first repetition measures RSS: later ones start with the stack
		 * cache holding already-touched mappings and the allocator holding chunks.
		 */
		if (repetition == 0) {
			/* Fault in the handle array now: its pages are not the threads' cost. */
			memset(threads, 0, sizeof(threads));
			rss_before = resident_kib();
		}
		start = bench_now_ns();
		count = spawn_all();
		wait_until_all_parked();
		all_parked = bench_now_ns();
		if (repetition == 0) {
			/*
			 * The last arrivals may still be on their way into futex_wait, touching
			 * stack; give them time to settle, outside the timed span.
			 */
			weft_sleep(20 * 1000 * 1000);
			kib_per_thread = (double)(resident_kib() - rss_before) / count;
		}
		resumed = bench_now_ns();
		open_gate_and_join(count);
		end = bench_now_ns();
		milliseconds[repetition] = ((all_parked - start) + (end - resumed)) / 1e6;
	}
	bench_result("spawn10k", bench_median(milliseconds, repetitions), "ms");
	bench_result("rss_per_thread", kib_per_thread, "KiB");
	weft_free(milliseconds);
	return 0;
}
