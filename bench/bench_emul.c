/* SPDX-License-Identifier: MIT */
/* The System V emulation's cost: a shmget+shmat+shmdt cycle on an existing
 * 4 KiB segment, against the kernel and emulated on POSIX shared memory
 * (the shim with NIPC_RULES "sysv-shm backend=posix", in its own
 * namespace, removed at the end). Each side runs in a child process that
 * times its loop; rounds alternate the sides, and the ratio is the median
 * of each round's own ratio. Goal (not asserted): <= 1.5x the kernel. */
#include "config.h"

#include "common.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 7
#define ITERS 3000

/* The loop; prints ns per cycle. */
static int child(key_t key)
{
	int id = shmget(key, 4096, IPC_CREAT | 0600);
	double t0, t1;

	if (id < 0) {
		perror("bench_emul: shmget");
		return 1;
	}
	t0 = now_ns();
	for (long i = 0; i < ITERS; i++) {
		char *p = shmat(shmget(key, 4096, 0600), NULL, 0);

		if (p == (void *)-1 || (p[0] = 1, shmdt(p))) {
			perror("bench_emul: shmat/shmdt");
			shmctl(id, IPC_RMID, NULL);
			return 1;
		}
	}
	t1 = now_ns();
	shmctl(id, IPC_RMID, NULL);
	printf("%.1f\n", (t1 - t0) / ITERS);
	return 0;
}

static double run(const char *self, const char *shim, const char *rules, const char *ns,
		  key_t key)
{
	char k[32], buf[64], pre[PATH_MAX + 16], rl[PATH_MAX + 16], nsv[64];
	int p[2], st;
	ssize_t n;
	pid_t pid;

	snprintf(k, sizeof k, "%d", (int)key);
	if (pipe(p))
		return -1;
	pid = fork();
	if (!pid) {
		dup2(p[1], 1);
		close(p[0]);
		if (shim) {
			snprintf(pre, sizeof pre, "LD_PRELOAD=%s", shim);
			snprintf(rl, sizeof rl, "NIPC_RULES=%s", rules);
			snprintf(nsv, sizeof nsv, "NIPC_NAMESPACE=%s", ns);
			putenv(pre);
			putenv(rl);
			putenv(nsv);
		}
		execl(self, self, "child", k, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	n = read(p[0], buf, sizeof buf - 1);
	close(p[0]);
	waitpid(pid, &st, 0);
	if (n <= 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	buf[n] = 0;
	return atof(buf);
}

static void remove_ns(const char *ns)
{
	char pre[96], path[PATH_MAX];
	struct dirent *d;
	DIR *dir = opendir("/dev/shm");

	if (!dir)
		return;
	snprintf(pre, sizeof pre, "nipc.sysv.%s.", ns);
	while ((d = readdir(dir)))
		if (!strncmp(d->d_name, pre, strlen(pre))) {
			snprintf(path, sizeof path, "/dev/shm/%s", d->d_name);
			unlink(path);
		}
	closedir(dir);
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], shim[PATH_MAX + 64], rules[64], ns[32];
	double kern[ROUNDS], emul[ROUNDS], ratio[ROUNDS];
	key_t key = (key_t)(0x4e500000 | (getpid() & 0xffff));
	ssize_t n;
	FILE *f;
	int ok = 1;

	if (argc == 3 && !strcmp(argv[1], "child"))
		return child((key_t)atoi(argv[2]));
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return 1;
	self[n] = 0;
	if (getenv("NIPC_PRELOAD"))
		snprintf(shim, sizeof shim, "%s", getenv("NIPC_PRELOAD"));
	else
		snprintf(shim, sizeof shim, "%.*s/../shim/.libs/libnipc-preload.so",
			 (int)(strrchr(self, '/') - self), self);
	if (access(shim, R_OK)) {
		fprintf(stderr, "bench_emul: %s not found (build it, or set NIPC_PRELOAD)\n", shim);
		return 1;
	}
	snprintf(rules, sizeof rules, "/tmp/nipc-bench-emul-%d.rules", (int)getpid());
	snprintf(ns, sizeof ns, "b%d", (int)getpid());
	f = fopen(rules, "w");
	if (!f)
		return 1;
	fputs("sysv-shm backend=posix\n", f);
	fclose(f);
	for (int r = 0; r < ROUNDS && ok; r++) {
		kern[r] = run(self, NULL, rules, ns, key);
		emul[r] = run(self, shim, rules, ns, key + 1);
		ok = kern[r] > 0 && emul[r] > 0;
		ratio[r] = emul[r] / kern[r];
	}
	unlink(rules);
	remove_ns(ns);
	if (!ok) {
		fprintf(stderr, "bench_emul: a run failed\n");
		return 1;
	}
	printf("System V shm cycle (shmget+shmat+shmdt, 4 KiB), median of %d rounds:\n", ROUNDS);
	printf("  kernel     %8.1f ns\n", median(kern, ROUNDS));
	printf("  emulated   %8.1f ns\n", median(emul, ROUNDS));
	printf("  ratio      %8.2fx   (goal <= 1.5x)\n", median(ratio, ROUNDS));
	return 0;
}
