/* SPDX-License-Identifier: MIT */
/* A known contended workload for the counters tests: "ctr_sem /NAME N"
 * makes the named semaphore (value 0) and execs "ctr_sem post /NAME N" in
 * a child, which sleeps 200 ms (so that the first wait blocks for sure),
 * then posts N times, pausing now and then. The parent waits N times:
 * N/2 with sem_wait, the rest with sem_timedwait, then one sem_trywait
 * that fails with EAGAIN; it removes the semaphore. So: posts N, waits
 * N + 1, contended at least 2.
 * "ctr_sem check /NAME" prints what the counted calls answer where glibc
 * decides before trying (a bad deadline or clock on an available
 * semaphore), errno after a successful wait, a failed try and a timeout:
 * the same with and without counting. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int post(const char *name, int n)
{
	sem_t *s = sem_open(name, 0);
	struct timespec pause = {0, 200000000};

	if (s == SEM_FAILED)
		return perror("sem_open"), 1;
	nanosleep(&pause, NULL);
	pause.tv_nsec = 1000000;
	for (int i = 0; i < n; i++) {
		if (sem_post(s))
			return perror("sem_post"), 1;
		if (i % 8 == 7)
			nanosleep(&pause, NULL);
	}
	return sem_close(s) != 0;
}

static void show(const char *what, int r, sem_t *s)
{
	int v = -1, e = errno;

	sem_getvalue(s, &v);
	printf("%s: %d %s value %d\n", what, r, r ? strerrorname_np(e) : "-", v);
}

static int check(const char *name)
{
	struct timespec bad = {0, 2000000000}, past = {0, 0};
	sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, 1);
	int r;

	if (s == SEM_FAILED)
		return perror("sem_open"), 1;
	sem_unlink(name);
	show("timedwait bad deadline", sem_timedwait(s, &bad), s);
	show("clockwait bad clock", sem_clockwait(s, CLOCK_BOOTTIME, &past), s);
	show("clockwait bad deadline", sem_clockwait(s, CLOCK_MONOTONIC, &bad), s);
	errno = EBUSY;
	r = sem_wait(s);
	printf("wait: %d errno kept %d\n", r, errno == EBUSY);
	show("trywait empty", sem_trywait(s), s);
	show("timedwait past", sem_timedwait(s, &past), s);
	show("clockwait past", sem_clockwait(s, CLOCK_MONOTONIC, &past), s);
	errno = EBUSY;
	r = sem_post(s) || sem_timedwait(s, &past);
	printf("timedwait: %d errno kept %d\n", r, errno == EBUSY);
	return sem_close(s) != 0;
}

int main(int argc, char **argv)
{
	sem_t *s;
	pid_t pid;
	int n, status;

	if (argc == 4)
		return post(argv[2], atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "check"))
		return check(argv[2]);
	if (argc != 3 || (n = atoi(argv[2])) < 2)
		return fprintf(stderr, "usage: ctr_sem /NAME N\n"), 2;
	s = sem_open(argv[1], O_CREAT | O_EXCL, 0600, 0);
	if (s == SEM_FAILED)
		return perror("sem_open"), 1;
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", argv[0], "post", argv[1], argv[2], (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < n; i++) {
		struct timespec dl;
		int r;

		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 30;
		r = i < n / 2 ? sem_wait(s) : sem_timedwait(s, &dl);
		if (r)
			return perror("sem_wait"), 1;
	}
	if (sem_trywait(s) != -1 || errno != EAGAIN)
		return fprintf(stderr, "sem_trywait: no EAGAIN\n"), 1;
	sem_unlink(argv[1]);
	sem_close(s);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return fprintf(stderr, "the poster failed\n"), 1;
	puts("done");
	return 0;
}
