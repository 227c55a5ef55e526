/* SPDX-License-Identifier: MIT */
/* Spawn one thread that prints, join it: the stripped static size is glibc's price for threads. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static void *say_hello(void *unused)
{
	(void)unused;
	printf("hello from a thread\n");
	return NULL;
}

int main(void)
{
	pthread_t thread;
	int error = pthread_create(&thread, NULL, say_hello, NULL);

	if (!error)
		error = pthread_join(thread, NULL);
	if (error) {
		fprintf(stderr, "hello_thread: %s\n", strerror(error));
		return 1;
	}
	return 0;
}
