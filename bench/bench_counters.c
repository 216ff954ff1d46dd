/* SPDX-License-Identifier: MIT */
/* What per-object counters cost (nipc trace --counters, NIPC_COUNTERS): a
 * sem_post+sem_wait loop on a named semaphore, uncontended (the common
 * case: every wait takes the semaphore at once) run natively, under the
 * shim with nothing to do, and under the shim counting into a table. Each
 * configuration runs in a child process with its own environment; rounds
 * interleave the configurations; the extra ns per call and the ratio are
 * medians of each round's own comparison. Goal (not asserted): counting
 * <= 50 ns per call over the shim alone. */
#include "config.h"

#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define REPEATS 11
#define ITERS 5000000L

enum cfg { NATIVE, SHIM_OFF, COUNTERS, NCFG };

static const char *const cfg_name[NCFG] = {"native", "shim, nothing to do", "shim, counters"};

static int child(long iters)
{
	char name[64];
	double t0, t1;
	sem_t *s;

	snprintf(name, sizeof name, "/nipc-bench-ctr-%ld", (long)getpid());
	s = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
	if (s == SEM_FAILED) {
		fprintf(stderr, "bench_counters: sem_open %s: %s\n", name, strerror(errno));
		return 1;
	}
	sem_unlink(name);
	t0 = now_ns();
	for (long i = 0; i < iters; i++)
		if (sem_post(s) || sem_wait(s))
			return 1;
	t1 = now_ns();
	sem_close(s);
	printf("%.3f\n", (t1 - t0) / (double)iters);
	return 0;
}

/* One configuration once: ns per iteration, or < 0 on failure. */
static double run(enum cfg c, const char *shim, const char *table)
{
	char self[PATH_MAX], buf[64], iters[32];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
	int p[2];
	pid_t pid;

	if (sl <= 0 || pipe(p))
		return -1;
	self[sl] = '\0';
	snprintf(iters, sizeof iters, "%ld", ITERS);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		unsetenv("LD_PRELOAD");
		unsetenv("NIPC_TRACE");
		unsetenv("NIPC_COUNTERS");
		if (c != NATIVE)
			setenv("LD_PRELOAD", shim, 1);
		if (c == COUNTERS)
			setenv("NIPC_COUNTERS", table, 1);
		execl(self, self, "--child", iters, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	if (bench_child_output(p[0], pid, buf, sizeof buf) <= 0)
		return -1;
	return strtod(buf, NULL);
}

int main(int argc, char **argv)
{
	char shim[PATH_MAX], table[64];
	double t[NCFG][REPEATS], med[NCFG], extra[REPEATS], ratio[REPEATS], extra_off[REPEATS];

	if (argc == 3 && !strcmp(argv[1], "--child"))
		return child(atol(argv[2]));
	if (bench_find_shim(shim, sizeof shim)) {
		fprintf(stderr, "bench_counters: libnipc-preload.so not found (build it, or set "
			"NIPC_PRELOAD)\n");
		return 1;
	}
	snprintf(table, sizeof table, "/nipc-bench-counters-%ld", (long)getpid());
	for (int r = 0; r < REPEATS; r++)
		for (int c = 0; c < NCFG; c++)
			if ((t[c][r] = run(c, shim, table)) < 0) {
				fprintf(stderr, "bench_counters: %s failed\n", cfg_name[c]);
				shm_unlink(table);
				return 1;
			}
	shm_unlink(table);
	for (int r = 0; r < REPEATS; r++) {
		/* two counted calls per iteration */
		extra[r] = (t[COUNTERS][r] - t[SHIM_OFF][r]) / 2;
		extra_off[r] = (t[SHIM_OFF][r] - t[NATIVE][r]) / 2;
		ratio[r] = t[COUNTERS][r] / t[SHIM_OFF][r];
	}
	for (int c = 0; c < NCFG; c++) {
		double v[REPEATS];

		memcpy(v, t[c], sizeof v);
		med[c] = median(v, REPEATS);
	}
	printf("bench_counters: sem_post+sem_wait, uncontended, %ld iterations, median of %d "
	       "interleaved rounds\n", ITERS, REPEATS);
	printf("%-22s %10s\n", "configuration", "ns/iter");
	for (int c = 0; c < NCFG; c++)
		printf("%-22s %10.1f\n", cfg_name[c], med[c]);
	printf("shim alone: %.1f ns per call over native\n", median(extra_off, REPEATS));
	printf("counters: %.1f ns per call over the shim alone (goal <= 50); with/without "
	       "counters: %.2fx\n", median(extra, REPEATS), median(ratio, REPEATS));
	return 0;
}
