/* SPDX-License-Identifier: MIT */
/* The process around a weft program: start-up facts, environment, exit and abort. */
#ifndef WEFT_PROCESS_H
#define WEFT_PROCESS_H

#include <stddef.h>
#include <stdint.h>

/**
 * struct weft_startup - what the kernel handed the program, and what weft built
 * @argc: argument count
 * @argv: argument vector, NULL-terminated
 * @envp: environment, NULL-terminated
 * @auxv: the auxiliary vector: (type, value) pairs ending with AT_NULL
 * @initial_sp: the stack pointer the kernel gave _start (it points at argc)
 * @page_size: AT_PAGESZ
 * @minsigstksz: AT_MINSIGSTKSZ, or 0 when the kernel (or qemu) gave none
 * @secure: AT_SECURE: set-user-ID or similar; weft then ignores WEFT_TRACE=path
 * @random: AT_RANDOM, 16 random bytes from the kernel
 * @tls_image: the PT_TLS initialisation image (.tdata), or NULL if none
 * @tls_filesz: bytes of @tls_image to copy (.tdata)
 * @tls_memsz: bytes of TLS in all (.tdata + .tbss)
 * @tls_align: PT_TLS p_align (at least 1)
 * @tls_size: distance from the start of a TLS block to the thread pointer
 * @main_tp: the main thread's thread pointer (its TCB)
 * @canary: the stack-protector canary, shared by every thread
 */
struct weft_startup {
	int argc;
	char **argv;
	char **envp;
	unsigned long *auxv;
	void *initial_sp;
	size_t page_size;
	size_t minsigstksz;
	int secure;
	const unsigned char *random;
	const void *tls_image;
	size_t tls_filesz;
	size_t tls_memsz;
	size_t tls_align;
	size_t tls_size;
	void *main_tp;
	uintptr_t canary;
};

/**
 * weft_startup_info() - the facts gathered at start-up
 *
 * Return: a pointer valid for the life of the process.
 */
const struct weft_startup *weft_startup_info(void);

/**
 * weft_getauxval() - look up an auxiliary vector entry
 * @type: AT_* from <linux/auxvec.h>
 *
 * Return: its value, or 0 if the kernel did not pass it.
 */
unsigned long weft_getauxval(unsigned long type);

/**
 * weft_getenv() - look up an environment variable in the initial environment
 * @name: the name, without '='
 *
 * Return: its value, or NULL if it is not set.
 */
const char *weft_getenv(const char *name);

/**
 * weft_exit() - end the process the way returning from main() does
 * @status: exit status
 *
 * Destroys the results of finished threads nobody joined (those with a
 * result destructor, see struct weft_builder), runs the calling thread's
 * thread-local destructors (the main thread's when called from main), then
 * the weft_atexit() functions, newest first, then
 * calls exit_group(2). Other threads are killed by the kernel without
 * running theirs. A raw sys_exit_group() skips the destructors and the
 * atexit functions; so do weft_abort() and a fatal signal.
 */
__attribute__((noreturn)) void weft_exit(int status);

/**
 * weft_atexit() - run @fn when the process ends normally (atexit(3))
 * @fn: the function
 *
 * The functions run at weft_exit(), at the return from main() and at
 * weft_thread_exit() in main, in reverse order of registration, after the
 * exiting thread's thread-local destructors (glibc's and Rust's order:
 * Documentation/threads.rst, "The end of the process"). A function may
 * register another, which then runs next. Not on weft_abort(), a fatal
 * signal, or a panic's abort.
 *
 * Return: 0, -EINVAL for a NULL @fn, -ENOMEM if a block for more than 32
 * functions cannot be allocated.
 */
int weft_atexit(void (*fn)(void));

/**
 * weft_abort() - end the process with SIGABRT, like abort(3)
 *
 * Restores SIGABRT's default action, unblocks it and sends it to the calling
 * thread with tgkill(2). If the process is somehow still alive, it calls
 * exit_group(127).
 */
__attribute__((noreturn)) void weft_abort(void);

/**
 * weft_fork() - create a child process, as fork(2), with clone(SIGCHLD)
 *
 * Only the calling thread exists in the child. weft's own global locks (the
 * allocator's, the stack cache's, the OS-key tables') are held across the
 * fork, so the child of a multi-threaded process may allocate, spawn threads
 * and use keys. Locks of the program's own that other threads held at the
 * moment of the call stay held in the child, as with fork(2); so does a green
 * runtime's, if another thread was unparking one of its green threads.
 *
 * Return: the child's pid in the parent, 0 in the child, or -errno.
 */
long weft_fork(void);

#endif
