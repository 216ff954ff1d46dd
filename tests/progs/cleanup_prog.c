/* SPDX-License-Identifier: MIT */
/* An unmodified program for the cleanup tests (tests/test_cleanup.c):
 *   cleanup_prog KIND NAME ACTION
 * KIND: shm (shm_open O_CREAT, mmap), sem (sem_open O_CREAT), sysvshm
 * (NAME a hex key: shmget IPC_CREAT, shmat), map (shm_open without
 * O_CREAT, mmap), open (shm_open without O_CREAT; prints "ENOENT" or
 * "found"). ACTION: exit (prints "ready", exits), hold (prints "ready",
 * exits after a line on stdin), closeall (closes every descriptor from 3
 * with close_range, then as hold), kill (SIGKILL to itself). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "cleanup_prog: %s: %s\n", what, strerror(errno));
	exit(2);
}

int main(int argc, char **argv)
{
	char line[16];
	int fd, id = -1;

	if (argc != 4)
		return 2;
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(argv[1], "shm") || !strcmp(argv[1], "map")) {
		fd = shm_open(argv[2], O_RDWR | (argv[1][0] == 's' ? O_CREAT : 0), 0600);
		if (fd < 0)
			die("shm_open");
		if (ftruncate(fd, 4096))
			die("ftruncate");
		if (mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED)
			die("mmap");
		close(fd);
	} else if (!strcmp(argv[1], "open")) {
		fd = shm_open(argv[2], O_RDWR, 0);
		printf("%s\n", fd < 0 && errno == ENOENT ? "ENOENT" : fd < 0 ? "error" : "found");
		return 0;
	} else if (!strcmp(argv[1], "sem")) {
		if (sem_open(argv[2], O_CREAT, 0600, 1) == SEM_FAILED)
			die("sem_open");
	} else if (!strcmp(argv[1], "sysvshm")) {
		id = shmget((key_t)strtoul(argv[2], NULL, 16), 4096, IPC_CREAT | 0600);
		if (id < 0)
			die("shmget");
		if (shmat(id, NULL, 0) == (void *)-1)
			die("shmat");
	} else {
		return 2;
	}
	if (!strcmp(argv[3], "kill"))
		raise(SIGKILL);
	if (!strcmp(argv[3], "closeall") && syscall(SYS_close_range, 3u, ~0u, 0u))
		die("close_range");
	printf("ready %d\n", id);
	if (strcmp(argv[3], "exit") && !fgets(line, sizeof line, stdin))
		return 1;
	return 0;
}
