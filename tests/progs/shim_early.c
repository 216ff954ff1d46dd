/* SPDX-License-Identifier: MIT */
/* Calls interposed functions from .preinit_array, before any library's
 * constructor (the shim's included) has run, then again from main.
 * usage: shim_early NAME — exits 0 when every call worked. */
#include "config.h"

#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int early_failed = -1;

static int cycle(const char *name)
{
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	sem_t *s;

	if (fd < 0 || ftruncate(fd, 4096) || close(fd) || shm_unlink(name))
		return 1;
	s = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
	if (s == SEM_FAILED || sem_post(s) || sem_wait(s) || sem_close(s) || sem_unlink(name))
		return 1;
	return 0;
}

static void early(int argc, char **argv, char **envp)
{
	char name[256];

	(void)envp;
	if (argc != 2 || strlen(argv[1]) > 200)
		return;
	snprintf(name, sizeof name, "%s.early", argv[1]);
	early_failed = cycle(name);
}

__attribute__((section(".preinit_array"), used)) static void (*const run_early)(int, char **, char **) = early;

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: shim_early NAME\n");
		return 2;
	}
	if (early_failed) {
		fprintf(stderr, "shim_early: the early calls %s\n", early_failed < 0 ? "did not run" : "failed");
		return 1;
	}
	return cycle(argv[1]);
}
