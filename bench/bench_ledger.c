/* SPDX-License-Identifier: MIT */
/* The cost of the ledger on a creation: shm_open(O_CREAT) + close +
 * shm_unlink of a new name, natively, under the shim with no cleanup rule
 * (pass-through), and under cleanup=never and cleanup=exit rules (each
 * creation made exclusive first and recorded). The ledger is a private
 * one in a temporary directory. Shim: NIPC_PRELOAD, else the build tree's. */
#include "config.h"

#include "common.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 7

static int child(long iters)
{
	char name[64];
	double t0 = now_ns();

	for (long i = 0; i < iters; i++) {
		int fd;

		snprintf(name, sizeof name, "/nipc-bench-ledger-%d-%ld", (int)getpid(), i);
		fd = shm_open(name, O_CREAT | O_RDWR, 0600);
		if (fd < 0)
			return 1;
		close(fd);
		shm_unlink(name);
	}
	printf("%.1f\n", (now_ns() - t0) / (double)iters);
	return 0;
}

static double run(const char *shim, const char *rule, long iters)
{
	char self[PATH_MAX], its[32], buf[64] = "";
	ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
	int p[2], st;
	ssize_t n;
	pid_t pid;

	if (sl <= 0 || pipe(p))
		return -1;
	self[sl] = 0;
	snprintf(its, sizeof its, "%ld", iters);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		unsetenv("LD_PRELOAD");
		unsetenv("NIPC_RULES_TEXT");
		if (shim)
			setenv("LD_PRELOAD", shim, 1);
		if (rule)
			setenv("NIPC_RULES_TEXT", rule, 1);
		execl(self, self, "--child", its, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	n = read(p[0], buf, sizeof buf - 1);
	close(p[0]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) || n <= 0)
		return -1;
	buf[n] = 0;
	return strtod(buf, NULL);
}

int main(int argc, char **argv)
{
	static const char *const rules[] = {NULL, NULL, "posix-shm cleanup=never",
					    "posix-shm cleanup=exit"};
	static const char *const what[] = {"native", "shim, no cleanup rule",
					   "shim, cleanup=never", "shim, cleanup=exit"};
	char dir[] = "/tmp/nipc-bench-ledger-XXXXXX", led[PATH_MAX + 32];
	const char *shim = getenv("NIPC_PRELOAD");
	double v[4][ROUNDS];
	long iters = 2000;

	if (argc == 3 && !strcmp(argv[1], "--child"))
		return child(atol(argv[2]));
	if (!shim || !*shim)
		shim = BUILDDIR "/shim/.libs/libnipc-preload.so";
	if (access(shim, R_OK) || !mkdtemp(dir)) {
		fprintf(stderr, "bench_ledger: no shim at %s (or no temporary directory)\n", shim);
		return 1;
	}
	setenv("NIPC_LEDGER_DIR", dir, 1);
	for (int r = 0; r < ROUNDS; r++)
		for (int c = 0; c < 4; c++)
			if ((v[c][r] = run(c ? shim : NULL, rules[c], iters)) < 0) {
				fprintf(stderr, "bench_ledger: a run failed\n");
				return 1;
			}
	printf("bench_ledger: shm_open(O_CREAT)+close+shm_unlink of a new name, %ld per run,\n"
	       "median of %d interleaved runs\n", iters, ROUNDS);
	for (int c = 0; c < 4; c++)
		printf("%-24s %9.0f ns/creation\n", what[c], median(v[c], ROUNDS));
	snprintf(led, sizeof led, "%s/nipc.ledger.%u", dir, (unsigned)getuid());
	unlink(led);
	rmdir(dir);
	return 0;
}
