/* SPDX-License-Identifier: MIT */
/* A program that daemonises, for the launcher's tests (tests/test_cleanup.c):
 *   daemon_prog NAME MARK [GO]
 * forks twice (the middle process calls setsid and exits, the daemon's
 * stdio goes to /dev/null) and exits 3 at once. The daemon waits a second
 * (or until the file GO exists, at most 10 s), creates and maps the POSIX
 * segment NAME, writes "PID PPID" (its getppid()) to MARK, then kills
 * itself with SIGKILL, leaving the segment behind. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void daemon_main(const char *name, const char *mark, const char *go)
{
	char tmp[4096];
	struct stat st;
	FILE *f;
	void *p;
	int fd;

	if (go)
		for (int i = 0; i < 1000 && stat(go, &st); i++)
			usleep(10000);
	else
		sleep(1);
	fd = shm_open(name, O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, 4096))
		_exit(2);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		_exit(2);
	memcpy(p, "daemon", 7);
	snprintf(tmp, sizeof tmp, "%s.tmp", mark);
	if (!(f = fopen(tmp, "w")))
		_exit(2);
	fprintf(f, "%d %d\n", (int)getpid(), (int)getppid());
	if (fclose(f) || rename(tmp, mark))
		_exit(2);
	raise(SIGKILL);
}

int main(int argc, char **argv)
{
	pid_t pid;
	int null;

	if (argc != 3 && argc != 4)
		return 2;
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid > 0)
		return 3;
	setsid();
	pid = fork();
	if (pid != 0)
		_exit(pid < 0 ? 2 : 0);
	null = open("/dev/null", O_RDWR);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
		_exit(2);
	close(null);
	daemon_main(argv[1], argv[2], argc == 4 ? argv[3] : NULL);
	return 0;
}
