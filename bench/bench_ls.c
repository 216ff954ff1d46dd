/* SPDX-License-Identifier: MIT */
/* nipc ls at scale: 10,000 objects and 300 processes using them, inside a
 * private IPC namespace and a private /dev/shm (root; else skipped), timed
 * beside lsipc on the same kinds in the same run. The /proc pass
 * (procscan) is timed on its own. Ratios and medians, never assertions;
 * beside each wall time, the CPU time (user + system) the command took,
 * which a loaded machine turns into wall time.
 *
 * Objects: the namespace's kernel.shmmni is 4096, so 3,500 System V
 * segments, 3,500 semaphore sets, 1,500 POSIX segments and 1,500 named
 * semaphores. Each of the 300 processes attaches 10 segments and maps 5
 * POSIX segments.
 *
 * Where the time goes (perf, 2 vCPUs): system calls and page faults, not
 * parsing. nipc ls makes about 22,000 calls: three semctl per semaphore
 * (its waiters and last operator: no call gives them for a whole set),
 * a stat per POSIX object, and per process about a dozen for its stat,
 * maps and fd table plus a stat per descriptor. The /proc pass runs on a
 * thread of its own beside the rest. Reading the kernel's text from
 * /proc/sysvipc costs less than a SHM_STAT_ANY or SEM_STAT_ANY call per
 * object (measured: 3,500 segments 6 ms either way, 3,500 sets 3 ms of
 * text against 5 ms of calls), so nipc keeps the text. Each fresh page
 * costs about 12 us here: an object is 200 bytes. */
#define _GNU_SOURCE
#include "config.h"

#include "common.h"
#include "../tools/procscan.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

enum { NSHM = 3500, NSEM = 3500, NPSHM = 1500, NPSEM = 1500, NPROC = 300, RUNS = 5 };

static int shmids[NSHM];
static pid_t kids[NPROC];

static int private_world(void)
{
	if (unshare(CLONE_NEWIPC | CLONE_NEWNS) < 0)
		return -1;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", "/dev/shm", "tmpfs", 0, "size=64m") < 0)
		return -1;
	return 0;
}

static int make_objects(void)
{
	char name[64];

	for (int i = 0; i < NSHM; i++)
		if ((shmids[i] = shmget(IPC_PRIVATE, 4096, 0600)) < 0)
			return fprintf(stderr, "bench_ls: shmget %d: %s\n", i, strerror(errno)), -1;
	for (int i = 0; i < NSEM; i++)
		if (semget(IPC_PRIVATE, 1, 0600) < 0)
			return fprintf(stderr, "bench_ls: semget %d: %s\n", i, strerror(errno)), -1;
	for (int i = 0; i < NPSHM + NPSEM; i++) {
		int fd;

		snprintf(name, sizeof name, "/dev/shm/%sbench%d", i < NPSHM ? "" : "sem.", i);
		if ((fd = open(name, O_CREAT | O_RDWR, 0600)) < 0 || ftruncate(fd, 4096) < 0)
			return fprintf(stderr, "bench_ls: %s: %s\n", name, strerror(errno)), -1;
		close(fd);
	}
	return 0;
}

static void user(int k, int ready)
{
	char name[64];

	for (int j = 0; j < 10; j++)
		shmat(shmids[(k * 10 + j) % NSHM], NULL, SHM_RDONLY);
	for (int j = 0; j < 5; j++) {
		int fd;

		snprintf(name, sizeof name, "/dev/shm/bench%d", (k * 5 + j) % NPSHM);
		if ((fd = open(name, O_RDONLY)) >= 0) {
			mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
			close(fd);
		}
	}
	if (write(ready, "x", 1) < 0)
		_exit(1);
	pause();
	_exit(0);
}

static double cpu_ms;    /* of the last run_ms() */

/* Wall time of argv with stdout to /dev/null, ms; its CPU time in cpu_ms. */
static double run_ms(const char *const *argv)
{
	double t0 = now_ns();
	pid_t p = fork();
	struct rusage ru;
	int st;

	if (p == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	wait4(p, &st, 0, &ru);
	cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fprintf(stderr, "bench_ls: %s exited %d\n", argv[0], WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return (now_ns() - t0) / 1e6;
}

/* Median wall time of argv, ms; the median CPU time in *cpu. */
static double med_run(const char *const *argv, double *cpu)
{
	double v[RUNS], c[RUNS];

	for (int i = 0; i < RUNS; i++) {
		v[i] = run_ms(argv);
		c[i] = cpu_ms;
	}
	*cpu = median(c, RUNS);
	return median(v, RUNS);
}

int main(int argc, char **argv)
{
	char nipc[4096];
	int pfd[2], n;
	double v[RUNS];

	if (geteuid() != 0 || private_world() < 0) {
		printf("bench_ls: skipped (needs root for a private IPC namespace and /dev/shm)\n");
		return 0;
	}
	/* beside bench/ in the build tree */
	const char *slash = strrchr(argv[0], '/');
	snprintf(nipc, sizeof nipc, "%.*s/../tools/nipc", slash ? (int)(slash - argv[0]) : 1,
		 slash ? argv[0] : ".");
	if (make_objects() < 0 || pipe(pfd) < 0)
		return 1;
	for (int k = 0; k < NPROC; k++) {
		char c;

		if ((kids[k] = fork()) == 0)
			user(k, pfd[1]);
		if (read(pfd[0], &c, 1) != 1)
			return 1;
	}
	/* bench_ls CMD ARGS...: runs CMD in the world instead (profiling) */
	if (argc > 1) {
		double t = run_ms((const char *const *)argv + 1);

		printf("bench_ls: %s: %.1f ms\n", argv[1], t);
		argc = 0;
	}
	for (int i = 0; argc && i < RUNS; i++) {
		double t0 = now_ns();
		struct procscan *ps = procscan_new();

		v[i] = (now_ns() - t0) / 1e6;
		if (i == 0) {
			procscan_procs(ps, &n);
			printf("bench_ls: %d objects, %d processes using them, %d processes in /proc\n",
			       NSHM + NSEM + NPSHM + NPSEM, NPROC, n);
		}
		procscan_free(ps);
	}
	if (!argc)
		goto out;
	double scan = median(v, RUNS), c_all, c_sysv, c_lsipc, c_json;
	double all = med_run((const char *[]){nipc, "ls", "-b", NULL}, &c_all);
	double sysv = med_run((const char *[]){nipc, "ls", "-b", "--family", "sysv-shm",
					       "--family", "sysv-sem", NULL}, &c_sysv);
	double lsipc = med_run((const char *[]){"sh", "-c", "lsipc -m -b >/dev/null && lsipc -s -b", NULL},
			       &c_lsipc);
	double json = med_run((const char *[]){nipc, "ls", "--json", NULL}, &c_json);

	printf("                                       wall      cpu\n");
	printf("  /proc pass (procscan)            %8.1f ms\n", scan);
	printf("  nipc ls, all 10,000 objects      %8.1f %8.1f ms\n", all, c_all);
	printf("  nipc ls --json, all              %8.1f %8.1f ms\n", json, c_json);
	printf("  nipc ls, System V shm + sem      %8.1f %8.1f ms  nipc/lsipc %.2f\n", sysv, c_sysv,
	       sysv / lsipc);
	printf("  lsipc -m; lsipc -s (same kinds)  %8.1f %8.1f ms\n", lsipc, c_lsipc);
out:
	for (int k = 0; k < NPROC; k++)
		kill(kids[k], SIGKILL);
	while (wait(NULL) > 0)
		;
	return 0;
}
