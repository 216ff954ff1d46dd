/* SPDX-License-Identifier: MIT */
/* An unmodified program for the cleanup tests (tests/test_cleanup.c):
 *   cleanup_prog KIND NAME ACTION
 * KIND: shm (shm_open O_CREAT, mmap), sem (sem_open O_CREAT), sysvshm
 * (NAME a hex key: shmget IPC_CREAT, shmat), map (shm_open without
 * O_CREAT, mmap), open (shm_open without O_CREAT; prints "ENOENT" or
 * "found"), openonly (shm_open without O_CREAT, kept open, not mapped),
 * sysvmap (NAME a hex key: shmget without IPC_CREAT, shmat). ACTION: exit
 * (prints "ready", exits), hold (prints "ready", exits after a line on
 * stdin), closeall (closes every descriptor from 3 with the close_range
 * system call, which the shim does not see, then as hold), libcclose (the
 * same with libc's close_range, which it sees), closeloop (the same with
 * close() on every number below 1024), kill (SIGKILL to itself);
 * closeall-detach, libcclose-detach, closeloop-detach, detach: as those, or hold,
 * then after a line on stdin it lets the object go (munmap, close,
 * sem_close, shmdt), prints "detached" and exits after another line. */
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
	int fd = -1, id = -1;
	void *map = NULL;
	sem_t *sem = NULL;

	if (argc != 4)
		return 2;
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(argv[1], "shm") || !strcmp(argv[1], "map")) {
		fd = shm_open(argv[2], O_RDWR | (argv[1][0] == 's' ? O_CREAT : 0), 0600);
		if (fd < 0)
			die("shm_open");
		if (ftruncate(fd, 4096))
			die("ftruncate");
		map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			die("mmap");
		close(fd);
		fd = -1;
	} else if (!strcmp(argv[1], "open")) {
		fd = shm_open(argv[2], O_RDWR, 0);
		printf("%s\n", fd < 0 && errno == ENOENT ? "ENOENT" : fd < 0 ? "error" : "found");
		return 0;
	} else if (!strcmp(argv[1], "openonly")) {
		fd = shm_open(argv[2], O_RDWR, 0);
		if (fd < 0)
			die("shm_open");
	} else if (!strcmp(argv[1], "sem")) {
		sem = sem_open(argv[2], O_CREAT, 0600, 1);
		if (sem == SEM_FAILED)
			die("sem_open");
	} else if (!strcmp(argv[1], "sysvshm") || !strcmp(argv[1], "sysvmap")) {
		id = shmget((key_t)strtoul(argv[2], NULL, 16), 4096,
			    argv[1][4] == 's' ? IPC_CREAT | 0600 : 0);
		if (id < 0)
			die("shmget");
		map = shmat(id, NULL, 0);
		if (map == (void *)-1)
			die("shmat");
	} else {
		return 2;
	}
	if (!strcmp(argv[3], "kill"))
		raise(SIGKILL);
	if (!strncmp(argv[3], "closeall", 8) && syscall(SYS_close_range, 3u, ~0u, 0u))
		die("close_range");
	if (!strncmp(argv[3], "libcclose", 9) && close_range(3u, ~0u, 0))
		die("close_range");
	if (!strncmp(argv[3], "closeloop", 9))
		for (int i = 3; i < 1024; i++)
			close(i);
	if (!strncmp(argv[3], "closeall", 8) || !strncmp(argv[3], "libcclose", 9) ||
	    !strncmp(argv[3], "closeloop", 9))
		fd = -1;
	printf("ready %d\n", id);
	if (strcmp(argv[3], "exit") && !fgets(line, sizeof line, stdin))
		return 1;
	if (!strstr(argv[3], "detach"))
		return 0;
	if (sem && sem_close(sem))
		die("sem_close");
	else if (id >= 0 && shmdt(map))
		die("shmdt");
	else if (id < 0 && map && munmap(map, 4096))
		die("munmap");
	if (fd >= 0 && close(fd))
		die("close");
	printf("detached\n");
	if (!fgets(line, sizeof line, stdin))
		return 1;
	return 0;
}
