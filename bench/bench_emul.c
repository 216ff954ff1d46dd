/* SPDX-License-Identifier: MIT */
/* The System V emulation's cost, against the kernel, emulated on POSIX
 * shared memory (the shim with NIPC_RULES "sysv-shm backend=posix" and
 * "sysv-sem backend=posix", in its own namespace, removed at the end):
 *  - a shmget+shmat+shmdt cycle on an existing 4 KiB segment
 *    (goal, not asserted: <= 1.5x the kernel);
 *  - an uncontended semop pair (-1 then +1, SEM_UNDO, as Qt takes its
 *    lock), also against a POSIX sem_wait+sem_post pair (goal: <= 120 ns);
 *  - the release of a waiter blocked by a holder (-1 with SEM_UNDO) killed
 *    with SIGKILL: the time from the kill to the waiter's semop returning
 *    (goal: <= 100 ms; the kernel's, for scale).
 *    A killer process kills the holder 30 ms after the waiter blocked.
 * Each side runs in a child process that times its loop; rounds alternate
 * the sides, and a ratio is the median of each round's own ratio. */
#include "config.h"

#include "common.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 7
#define ITERS 3000
#define PAIRS 200000
#define KPAIRS 20000
#define RELEASES 7

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

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

/* semop pairs on a fresh set (kernel or emulated); prints ns per pair,
 * the best of 5 runs (the machine is shared). */
static int child_sem(int n)
{
	struct sembuf dn = {0, -1, SEM_UNDO}, up = {0, 1, SEM_UNDO};
	int id = semget(IPC_PRIVATE, 1, 0600);
	double best = 1e18;

	if (id < 0 || semctl(id, 0, SETVAL, (union semun){.val = 1})) {
		perror("bench_emul: semget");
		return 1;
	}
	for (int r = 0; r < 5; r++) {
		double t0 = now_ns(), t;

		for (int i = 0; i < n; i++)
			if (semop(id, &dn, 1) || semop(id, &up, 1)) {
				perror("bench_emul: semop");
				semctl(id, 0, IPC_RMID);
				return 1;
			}
		t = (now_ns() - t0) / n;
		best = t < best ? t : best;
	}
	semctl(id, 0, IPC_RMID);
	printf("%.1f\n", best);
	return 0;
}

/* sem_wait+sem_post pairs on a process-shared unnamed POSIX semaphore. */
static int child_posix(int n)
{
	static sem_t s;
	double best = 1e18;

	if (sem_init(&s, 1, 1))
		return 1;
	for (int r = 0; r < 5; r++) {
		double t0 = now_ns(), t;

		for (int i = 0; i < n; i++)
			if (sem_wait(&s) || sem_post(&s))
				return 1;
		t = (now_ns() - t0) / n;
		best = t < best ? t : best;
	}
	sem_destroy(&s);
	printf("%.1f\n", best);
	return 0;
}

/* A holder takes the semaphore with SEM_UNDO and is killed while this
 * process waits for it: ms from the kill to the wait's end, the median. */
static int child_release(void)
{
	struct sembuf dn = {0, -1, SEM_UNDO};
	double ms[RELEASES];
	int id = semget(IPC_PRIVATE, 1, 0600);

	if (id < 0 || semctl(id, 0, SETVAL, (union semun){.val = 1}))
		return 1;
	for (int i = 0; i < RELEASES; i++) {
		int p[2];
		char c;
		pid_t pid, killer;
		double t0, t1;

		if (pipe(p))
			return 1;
		pid = fork();
		if (!pid) {
			if (semop(id, &dn, 1))
				_exit(1);
			if (write(p[1], "h", 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			return 1;
		close(p[0]);
		/* the killer kills the holder once this process is blocked, and
		 * says when (CLOCK_MONOTONIC is the same in every process) */
		if (pipe(p))
			return 1;
		killer = fork();
		if (!killer) {
			usleep(30000);
			t0 = now_ns();
			kill(pid, SIGKILL);
			_exit(write(p[1], &t0, sizeof t0) == sizeof t0 ? 0 : 1);
		}
		close(p[1]);
		if (semop(id, &dn, 1))
			return 1;
		t1 = now_ns();
		if (read(p[0], &t0, sizeof t0) != sizeof t0)
			return 1;
		close(p[0]);
		ms[i] = (t1 - t0) / 1e6;
		waitpid(pid, NULL, 0);
		waitpid(killer, NULL, 0);
		semop(id, &(struct sembuf){0, 1, SEM_UNDO}, 1);
	}
	semctl(id, 0, IPC_RMID);
	printf("%.2f\n", median(ms, RELEASES));
	return 0;
}

#define PINGS 2000

/* Two processes hand a token back and forth through two semaphores, each
 * waiting for the other every time (the blocking path: a sleep and a
 * wake per hand-over): ns per round trip, the best of 3. */
static int child_pingpong(void)
{
	struct sembuf take0 = {0, -1, 0}, give0 = {0, 1, 0};
	struct sembuf take1 = {1, -1, 0}, give1 = {1, 1, 0};
	double best = 0;
	int id = semget(IPC_PRIVATE, 2, 0600);

	if (id < 0)
		return 1;
	for (int r = 0; r < 3; r++) {
		double t0 = now_ns(), t;
		pid_t pid = fork();

		if (!pid) {
			for (int i = 0; i < PINGS; i++)
				if (semop(id, &take0, 1) || semop(id, &give1, 1))
					_exit(1);
			_exit(0);
		}
		for (int i = 0; i < PINGS; i++)
			if (semop(id, &give0, 1) || semop(id, &take1, 1))
				return 1;
		waitpid(pid, NULL, 0);
		t = (now_ns() - t0) / PINGS;
		if (!r || t < best)
			best = t;
	}
	semctl(id, 0, IPC_RMID);
	printf("%.1f\n", best);
	return 0;
}

static double run_what(const char *self, const char *shim, const char *rules, const char *ns,
		       const char *what, key_t key);

static double run(const char *self, const char *shim, const char *rules, const char *ns,
		  key_t key)
{
	return run_what(self, shim, rules, ns, "child", key);
}

static double run_what(const char *self, const char *shim, const char *rules, const char *ns,
		       const char *what, key_t key)
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
		execl(self, self, what, k, (char *)NULL);
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
	double sk[ROUNDS], se[ROUNDS], sp[ROUNDS], rk_[ROUNDS], rp_[ROUNDS], rel[3], relk;
	double pk = 0, pe = 0;
	key_t key = (key_t)(0x4e500000 | (getpid() & 0xffff));
	ssize_t n;
	FILE *f;
	int ok = 1;

	if (argc == 3 && !strcmp(argv[1], "child"))
		return child((key_t)atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "sem"))
		return child_sem(PAIRS);
	if (argc == 3 && !strcmp(argv[1], "ksem"))
		return child_sem(KPAIRS);
	if (argc == 3 && !strcmp(argv[1], "posix"))
		return child_posix(PAIRS);
	if (argc == 3 && !strcmp(argv[1], "release"))
		return child_release();
	if (argc == 3 && !strcmp(argv[1], "pingpong"))
		return child_pingpong();
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
	fputs("sysv-shm backend=posix\nsysv-sem backend=posix\n", f);
	fclose(f);
	for (int r = 0; r < ROUNDS && ok; r++) {
		kern[r] = run(self, NULL, rules, ns, key);
		emul[r] = run(self, shim, rules, ns, key + 1);
		ok = kern[r] > 0 && emul[r] > 0;
		ratio[r] = emul[r] / kern[r];
	}
	for (int r = 0; r < ROUNDS && ok; r++) {
		sk[r] = run_what(self, NULL, rules, ns, "ksem", key);
		se[r] = run_what(self, shim, rules, ns, "sem", key);
		sp[r] = run_what(self, NULL, rules, ns, "posix", key);
		ok = sk[r] > 0 && se[r] > 0 && sp[r] > 0;
		rk_[r] = se[r] / sk[r];
		rp_[r] = se[r] / sp[r];
	}
	for (int r = 0; r < 3 && ok; r++)
		ok = (rel[r] = run_what(self, shim, rules, ns, "release", key)) > 0;
	relk = ok ? run_what(self, NULL, rules, ns, "release", key) : 0;
	if (ok) {
		pk = run_what(self, NULL, rules, ns, "pingpong", key);
		pe = run_what(self, shim, rules, ns, "pingpong", key);
		ok = pk > 0 && pe > 0;
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
	printf("System V semop pair (-1, +1, SEM_UNDO, uncontended), median of %d rounds:\n",
	       ROUNDS);
	printf("  kernel     %8.1f ns\n", median(sk, ROUNDS));
	printf("  emulated   %8.1f ns   (goal <= 120 ns)\n", median(se, ROUNDS));
	printf("  POSIX sem_wait+sem_post %8.1f ns\n", median(sp, ROUNDS));
	printf("  emulated / kernel %8.3fx   (goal <= 0.05x)\n", median(rk_, ROUNDS));
	printf("  emulated / POSIX  %8.2fx\n", median(rp_, ROUNDS));
	printf("Waiter released after its holder (-1, SEM_UNDO) is killed, median of %d:\n",
	       RELEASES);
	printf("  emulated   %8.2f ms   (goal <= 100 ms; median of 3 runs)\n", median(rel, 3));
	printf("  kernel     %8.2f ms\n", relk);
	printf("Hand-over between two processes (each semop sleeps), ns per round trip:\n");
	printf("  kernel     %8.1f ns\n", pk);
	printf("  emulated   %8.1f ns\n", pe);
	printf("  ratio      %8.2fx\n", pe / pk);
	return 0;
}
