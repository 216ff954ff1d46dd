/* SPDX-License-Identifier: MIT */
/* 8 threads hammer sem_post/sem_wait and shm_open/close/shm_unlink while
 * the main thread forks FORKS times; every child exits at once. Bounded by
 * alarm(). usage: shim_stress NAME ITERS SHM_ITERS FORKS
 * Per thread t: ITERS × (sem_post, sem_wait) on its own semaphore, then
 * SHM_ITERS × (shm_open, close, shm_unlink) of NAME.t. */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 8

static const char *base;
static long iters, shm_iters;
static int failed;

static void *worker(void *arg)
{
	long t = (long)(intptr_t)arg;
	char name[256];
	sem_t sem;

	snprintf(name, sizeof name, "%s.%ld", base, t);
	if (sem_init(&sem, 0, 0))
		goto fail;
	for (long i = 0; i < iters; i++)
		if (sem_post(&sem) || sem_wait(&sem))
			goto fail;
	sem_destroy(&sem);
	for (long i = 0; i < shm_iters; i++) {
		int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);

		if (fd < 0 || close(fd) || shm_unlink(name))
			goto fail;
	}
	return NULL;
fail:
	__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[THREADS];
	long forks;

	if (argc != 5)
		return 2;
	alarm(120);
	base = argv[1];
	iters = atol(argv[2]);
	shm_iters = atol(argv[3]);
	forks = atol(argv[4]);
	for (long t = 0; t < THREADS; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t))
			return 1;
	for (long i = 0; i < forks; i++) {
		int st;
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			return 1;
	}
	for (long t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	return failed;
}
