/* SPDX-License-Identifier: MIT */
/* What the benches share: a monotonic clock in ns, the median, and
 * finding the shim and programs. */
#ifndef NIPC_BENCH_COMMON_H
#define NIPC_BENCH_COMMON_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v. */
static inline double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* prog's path in $PATH into out: 1 if found. */
static inline int bench_in_path(const char *prog, char *out, size_t len)
{
	const char *path = getenv("PATH");

	while (path && *path) {
		size_t n = strcspn(path, ":");

		if (n && n + strlen(prog) + 2 <= len) {
			snprintf(out, len, "%.*s/%s", (int)n, path, prog);
			if (access(out, X_OK) == 0)
				return 1;
		}
		path += n + (path[n] == ':');
	}
	return 0;
}

/* The shim: NIPC_PRELOAD, else the build tree's next to this bench. 0, or
 * -1 when it is not there. */
static inline int bench_find_shim(char *out, size_t len)
{
	const char *env = getenv("NIPC_PRELOAD");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return realpath(env, out) ? 0 : -1;
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	if ((size_t)snprintf(out, len, "%s/../shim/.libs/libnipc-preload.so", exe) >= len)
		return -1;
	return access(out, R_OK) ? -1 : 0;
}

/* A child's report: what it writes to fd (the read end of its stdout's
 * pipe, closed here) into buf, NUL-terminated, then its exit. The bytes
 * read, or -1 unless it exited with 0. */
static inline ssize_t bench_child_output(int fd, pid_t pid, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int st;

	while ((n = read(fd, buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return got;
}

#endif
