/* SPDX-License-Identifier: MIT */
/* Objects benchmark: nipc vs Qt 5 on the same backend in the same run
 * (System V, legacy keys, a private TMPDIR for the key files).
 * Measures lock+unlock of a segment's lock and a create / attach (second
 * handle) / detach / detach cycle; prints per-op times and nipc/Qt ratios.
 * The Qt half is qt5bench beside this program; without it only nipc's
 * numbers are printed. Usage: bench_objects [LOCK_ITERS [CYCLE_ITERS]] */
#include "config.h"

#include "nipc.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 3

struct result {
	double lock_ns, cycle_ns;
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int shm_fail(const nipc_shm *shm, const char *what)
{
	fprintf(stderr, "bench_objects: %s: %s\n", what, nipc_shm_error_string(shm));
	return -1;
}

static int nipc_round(const char *name, long nlock, long ncycle, struct result *r)
{
	nipc_key *key = NULL;
	nipc_shm *shm = NULL, *peer = NULL;
	int ret = -1;
	int err = nipc_key_legacy_make(&key, name, NIPC_KIND_SHM, NIPC_KEY_SYSTEMV,
				       NIPC_OS_HOST, NULL);

	if (err < 0) {
		fprintf(stderr, "bench_objects: legacy key: %s\n", nipc_strerror(err));
		return -1;
	}
	if (nipc_shm_new(&shm, key) < 0 || nipc_shm_new(&peer, key) < 0) {
		fputs("bench_objects: out of memory\n", stderr);
		goto out;
	}
	if (nipc_shm_create(shm, 4096, NIPC_SHM_READWRITE) < 0) {
		shm_fail(shm, "create");
		goto out;
	}
	double t0 = now_ns();
	for (long i = 0; i < nlock; i++) {
		if (nipc_shm_lock(shm) < 0) {
			shm_fail(shm, "lock");
			goto out;
		}
		nipc_shm_unlock(shm);
	}
	r->lock_ns = (now_ns() - t0) / nlock;
	if (nipc_shm_detach(shm) < 0) {
		shm_fail(shm, "detach");
		goto out;
	}

	t0 = now_ns();
	for (long i = 0; i < ncycle; i++) {
		if (nipc_shm_create(shm, 4096, NIPC_SHM_READWRITE) < 0) {
			shm_fail(shm, "create");
			goto out;
		}
		if (nipc_shm_attach(peer, NIPC_SHM_READWRITE) < 0) {
			shm_fail(peer, "attach");
			goto out;
		}
		if (nipc_shm_detach(peer) < 0) {
			shm_fail(peer, "detach");
			goto out;
		}
		if (nipc_shm_detach(shm) < 0) {
			shm_fail(shm, "detach");
			goto out;
		}
	}
	r->cycle_ns = (now_ns() - t0) / ncycle;
	ret = 0;
out:
	nipc_shm_free(peer);
	nipc_shm_free(shm);
	nipc_key_free(key);
	return ret;
}

/* Runs qt5bench and reads its two numbers. */
static int qt_round(const char *qtbench, const char *name, long nlock, long ncycle,
		    struct result *r)
{
	char a[32], b[32];
	int fds[2], status;
	pid_t pid;

	snprintf(a, sizeof a, "%ld", nlock);
	snprintf(b, sizeof b, "%ld", ncycle);
	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(qtbench, qtbench, name, a, b, (char *)NULL);
		fprintf(stderr, "bench_objects: %s: %s\n", qtbench, strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	FILE *f = fdopen(fds[0], "r");
	int got = 0;
	char line[128];
	while (f && fgets(line, sizeof line, f)) {
		got += sscanf(line, "lock_unlock_ns %lf", &r->lock_ns) == 1;
		got += sscanf(line, "create_attach_detach_ns %lf", &r->cycle_ns) == 1;
	}
	if (f)
		fclose(f);
	else
		close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 && got == 2 ? 0 : -1;
}

static double best(const double *v, int n)
{
	double m = v[0];

	for (int i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

/* Removes whatever a failed run left: System V objects keyed on the key
 * files in dir (ftok id 'Q'), the files, the directory. */
static void cleanup_dir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path)
			continue;
		key_t k = ftok(path, 'Q');
		int id;
		if (k != -1 && (id = shmget(k, 0, 0)) != -1)
			shmctl(id, IPC_RMID, NULL);
		if (k != -1 && (id = semget(k, 0, 0)) != -1)
			semctl(id, 0, IPC_RMID);
		unlink(path);
	}
	if (d)
		closedir(d);
	if (rmdir(dir) < 0)
		fprintf(stderr, "bench_objects: rmdir %s: %s\n", dir, strerror(errno));
}

int main(int argc, char **argv)
{
	long nlock = argc > 1 ? atol(argv[1]) : 100000;
	long ncycle = argc > 2 ? atol(argv[2]) : 2000;
	char dir[] = "/tmp/nipc-bench-XXXXXX";
	char qtbench[PATH_MAX], name[64];
	double nl[ROUNDS], nc[ROUNDS], ql[ROUNDS], qc[ROUNDS];
	int have_qt, ret = 1;

	if (nlock < 1 || ncycle < 1) {
		fputs("usage: bench_objects [LOCK_ITERS [CYCLE_ITERS]]\n", stderr);
		return 2;
	}
	const char *slash = strrchr(argv[0], '/');
	int dirlen = slash ? (int)(slash - argv[0]) : 1;
	if ((size_t)snprintf(qtbench, sizeof qtbench, "%.*s/qt5bench", dirlen,
			     slash ? argv[0] : ".") >= sizeof qtbench) {
		fputs("bench_objects: path too long\n", stderr);
		return 1;
	}
	have_qt = access(qtbench, X_OK) == 0;
	if (!mkdtemp(dir)) {
		perror("bench_objects: mkdtemp");
		return 1;
	}
	setenv("TMPDIR", dir, 1);
	snprintf(name, sizeof name, "nipcbench%ld", (long)getpid());

	for (int i = 0; i < ROUNDS; i++) {
		struct result r;

		if (nipc_round(name, nlock, ncycle, &r) < 0)
			goto out;
		nl[i] = r.lock_ns;
		nc[i] = r.cycle_ns;
		if (have_qt) {
			if (qt_round(qtbench, name, nlock, ncycle, &r) < 0) {
				fputs("bench_objects: qt5bench failed\n", stderr);
				goto out;
			}
			ql[i] = r.lock_ns;
			qc[i] = r.cycle_ns;
		}
	}
	printf("objects (System V, legacy keys; best of %d rounds, %ld lock / %ld cycle iterations;"
	       " goal nipc/Qt <= 1.00x)\n", ROUNDS, nlock, ncycle);
#ifdef __SANITIZE_ADDRESS__
	puts("  note: built with sanitizers, nipc's times include their overhead");
#endif
	if (have_qt) {
		printf("  lock+unlock:                 nipc %9.1f ns  Qt 5 %9.1f ns  nipc/Qt %.2fx\n",
		       best(nl, ROUNDS), best(ql, ROUNDS), best(nl, ROUNDS) / best(ql, ROUNDS));
		printf("  create/attach/detach cycle:  nipc %9.1f ns  Qt 5 %9.1f ns  nipc/Qt %.2fx\n",
		       best(nc, ROUNDS), best(qc, ROUNDS), best(nc, ROUNDS) / best(qc, ROUNDS));
	} else {
		printf("  lock+unlock:                 nipc %9.1f ns  (Qt 5 not built)\n", best(nl, ROUNDS));
		printf("  create/attach/detach cycle:  nipc %9.1f ns  (Qt 5 not built)\n", best(nc, ROUNDS));
	}
	ret = 0;
out:
	cleanup_dir(dir);
	return ret;
}
