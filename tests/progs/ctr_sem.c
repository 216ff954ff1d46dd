/* SPDX-License-Identifier: MIT */
/* A known contended workload for the counters tests: "ctr_sem /NAME N"
 * makes the named semaphore (value 0) and execs "ctr_sem post /NAME N" in
 * a child, which sleeps 200 ms (so that the first wait blocks for sure),
 * then posts N times, pausing now and then. The parent waits N times:
 * N/2 with sem_wait, the rest with sem_timedwait, then one sem_trywait
 * that fails with EAGAIN; it removes the semaphore. So: posts N, waits
 * N + 1, contended at least 2. */
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
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

int main(int argc, char **argv)
{
	sem_t *s;
	pid_t pid;
	int n, status;

	if (argc == 4)
		return post(argv[2], atoi(argv[3]));
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
