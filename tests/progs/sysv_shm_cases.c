/* SPDX-License-Identifier: MIT */
/* System V shared memory cases, one result line each, for differential
 * runs: the same output against the kernel and under the emulation (ids
 * and addresses are never printed, only compared).
 *
 *   sysv_shm_cases cases KEY   every case, with keys KEY..KEY+9
 *   sysv_shm_cases create KEY | get KEY | rm KEY   one call each
 *   sysv_shm_cases loop KEY   attaches and detaches KEY's segment 200
 *                             times, incrementing its first word
 *   sysv_shm_cases nattch KEY   prints shm_nattch of KEY's segment
 *   sysv_shm_cases count KEY    prints the first word of KEY's segment
 *   sysv_shm_cases hold ID   attaches segment ID read-only, prints
 *                            "held: N" (its shm_nattch then) at once and at
 *                            each line on stdin; at EOF detaches, prints
 *                            "released"
 *   sysv_shm_cases exec-child FD   (internal) says it runs, waits for EOF
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static key_t base;
static char self[4096];
static char *first;      /* the attachment cases_attach leaves for the others */

static void res(const char *name, long r)
{
	if (r < 0)
		printf("%s: %s\n", name, strerrorname_np(errno));
	else
		printf("%s: ok\n", name);
	fflush(stdout);
}

static void resp(const char *name, void *p)
{
	res(name, p == (void *)-1 ? -1 : 0);
}

static unsigned long nattch(int id)
{
	struct shmid_ds ds;

	if (shmctl(id, IPC_STAT, &ds))
		return 999;
	return ds.shm_nattch;
}

static void show_stat(const char *name, int id, time_t t0)
{
	struct shmid_ds ds;
	time_t now = time(NULL);

	if (shmctl(id, IPC_STAT, &ds)) {
		res(name, -1);
		return;
	}
	printf("%s: key=%s uid=%u gid=%u cuid=%u cgid=%u mode=%#o segsz=%zu atime=%s dtime=%s "
	       "ctime=%s cpid=%s lpid=%s nattch=%lu\n", name,
	       ds.shm_perm.__key == IPC_PRIVATE ? "IPC_PRIVATE" :
	       ds.shm_perm.__key >= base && ds.shm_perm.__key < base + 10 ? "KEY+n" : "other",
	       ds.shm_perm.uid, ds.shm_perm.gid, ds.shm_perm.cuid, ds.shm_perm.cgid,
	       (unsigned)ds.shm_perm.mode, (size_t)ds.shm_segsz,
	       !ds.shm_atime ? "0" : ds.shm_atime >= t0 && ds.shm_atime <= now ? "now" : "bad",
	       !ds.shm_dtime ? "0" : ds.shm_dtime >= t0 && ds.shm_dtime <= now ? "now" : "bad",
	       ds.shm_ctime >= t0 && ds.shm_ctime <= now ? "now" : "bad",
	       ds.shm_cpid == getpid() ? "self" : "other",
	       !ds.shm_lpid ? "0" : ds.shm_lpid == getpid() ? "self" : "other",
	       (unsigned long)ds.shm_nattch);
	fflush(stdout);
}

static int wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

/* get, create, exclusive, sizes */
static int cases_get(time_t t0)
{
	int id, id2, p1, p2;

	res("get_missing", shmget(base, 4096, 0600));
	res("create", id = shmget(base, 4096, IPC_CREAT | 0600));
	res("create_excl_exists", shmget(base, 4096, IPC_CREAT | IPC_EXCL | 0600));
	id2 = shmget(base, 4096, 0);
	printf("get_same_id: %s\n", id2 == id ? "yes" : "no");
	printf("get_smaller_same_id: %s\n", shmget(base, 100, 0) == id ? "yes" : "no");
	res("get_bigger", shmget(base, 8192, 0));
	res("get_size0", shmget(base, 0, 0));
	res("create_size0", shmget(base + 1, 0, IPC_CREAT | 0600));
	res("create_again_no_excl", shmget(base, 4096, IPC_CREAT | 0600) == id ? 0 : -1);
	p1 = shmget(IPC_PRIVATE, 4096, 0600);
	p2 = shmget(IPC_PRIVATE, 4096, IPC_CREAT | IPC_EXCL | 0600);
	res("private", p1);
	printf("private_distinct: %s\n", p1 != p2 && p1 != id ? "yes" : "no");
	show_stat("stat_private", p1, t0);
	res("private_rm", shmctl(p1, IPC_RMID, NULL));
	res("private_rm2", shmctl(p2, IPC_RMID, NULL));
	res("create_excl_new", shmget(base + 2, 10000, IPC_CREAT | IPC_EXCL | 0640));
	show_stat("stat_new_excl", shmget(base + 2, 0, 0), t0);
	res("rm_new_excl", shmctl(shmget(base + 2, 0, 0), IPC_RMID, NULL));
	show_stat("stat_fresh", id, t0);
	return id;
}

/* attach, read-only, addresses */
static void cases_attach(int id, time_t t0)
{
	char *p, *q, *r;
	long pg = sysconf(_SC_PAGESIZE);
	char *hole;
	pid_t pid;
	int st;

	resp("shmat", p = shmat(id, NULL, 0));
	strcpy(p, "hello");
	show_stat("stat_attached", id, t0);
	resp("shmat_rdonly", q = shmat(id, NULL, SHM_RDONLY));
	printf("shared_bytes: %s\n", q != (void *)-1 && !strcmp(q, "hello") ? "yes" : "no");
	printf("nattch_two: %lu\n", nattch(id));
	fflush(stdout);
	pid = fork();
	if (!pid) {
		signal(SIGSEGV, SIG_DFL);   /* a sanitizer's handler would exit */
		q[0] = 'X';
		_exit(0);
	}
	st = wait_child(pid);
	printf("rdonly_write: %s\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV ? "SIGSEGV" : "no");
	res("shmdt_rdonly", shmdt(q));
	res("shmdt_again", shmdt(q));
	res("shmdt_unaligned", shmdt(p + 1));

	/* a place known to be free */
	hole = mmap(NULL, 4 * (size_t)pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(hole, 4 * (size_t)pg);
	r = shmat(id, hole, 0);
	printf("shmat_addr: %s\n", r == hole ? "at" : r == (void *)-1 ? strerrorname_np(errno) : "elsewhere");
	res("shmat_addr_busy", shmat(id, hole, 0) == (void *)-1 ? -1 : 0);
	r = shmat(id, hole, SHM_REMAP);
	printf("shmat_remap: %s\n", r == hole ? "at" : r == (void *)-1 ? strerrorname_np(errno) : "elsewhere");
	printf("remap_bytes: %s\n", r == hole && !strcmp(r, "hello") ? "yes" : "no");
	res("shmdt_addr", shmdt(hole));
	res("shmat_unaligned", shmat(id, hole + 1, 0) == (void *)-1 ? -1 : 0);
	r = shmat(id, hole + 1, SHM_RND);
	printf("shmat_rnd: %s\n", r == hole ? "at" : r == (void *)-1 ? strerrorname_np(errno) : "elsewhere");
	res("shmdt_rnd", shmdt(hole));
	res("shmat_remap_null", shmat(id, NULL, SHM_REMAP) == (void *)-1 ? -1 : 0);
	res("shmat_negative", shmat(-1, NULL, 0) == (void *)-1 ? -1 : 0);
	first = p;
	printf("nattch_one: %lu\n", nattch(id));
	show_stat("stat_after_detach", id, t0);
	fflush(stdout);
}

/* fork, exit, crash, exec */
static void cases_procs(int id)
{
	int ready[2], hold[2], st;
	pid_t pid;
	char c, fdbuf[16];

	pid = fork();
	if (!pid) {
		printf("fork_child_nattch: %lu\n", nattch(id));
		fflush(stdout);
		_exit(0);
	}
	wait_child(pid);
	printf("after_child_exit_nattch: %lu\n", nattch(id));
	fflush(stdout);

	pid = fork();
	if (!pid) {
		shmat(id, NULL, 0);
		shmat(id, NULL, 0);
		raise(SIGKILL);
		_exit(1);
	}
	st = wait_child(pid);
	printf("crash_child: %s nattch=%lu\n", WIFSIGNALED(st) ? "killed" : "exited", nattch(id));

	if (pipe(ready) || pipe(hold))
		return;
	pid = fork();
	if (!pid) {
		shmat(id, NULL, 0);
		close(ready[0]);
		close(hold[1]);
		dup2(ready[1], 3);
		dup2(hold[0], 4);
		snprintf(fdbuf, sizeof fdbuf, "3");
		execl(self, self, "exec-child", fdbuf, (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	close(hold[0]);
	if (read(ready[0], &c, 1) != 1)
		c = 0;
	printf("exec_child_nattch: %lu\n", nattch(id));
	fflush(stdout);
	close(hold[1]);
	close(ready[0]);
	wait_child(pid);
}

/* owner, mode, removal */
static void cases_ctl(int id, time_t t0)
{
	struct shmid_ds ds;
	char *p;
	int id2;

	res("stat_null_buf", shmctl(id, IPC_STAT, NULL));
	res("set_null_buf", shmctl(id, IPC_SET, NULL));
	res("ctl_bad_cmd", shmctl(id, 12345, &ds));
	res("ctl_negative_id", shmctl(-1, IPC_STAT, &ds));
	shmctl(id, IPC_STAT, &ds);
	ds.shm_perm.mode = 0644 | 01000;
	res("set_mode", shmctl(id, IPC_SET, &ds));
	show_stat("stat_after_set", id, t0);

	if (geteuid() == 0) {
		pid_t pid = fork();

		if (!pid) {
			if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
				_exit(1);
			res("other_get_r", shmget(base, 0, 0444));
			res("other_get_rw", shmget(base, 0, 0666));
			res("other_get_0", shmget(base, 0, 0));
			p = shmat(id, NULL, SHM_RDONLY);
			res("other_shmat_rdonly", p == (void *)-1 ? -1 : 0);
			printf("other_reads: %s\n", p != (void *)-1 && !strcmp(p, "hello") ? "yes" : "no");
			if (p != (void *)-1)
				shmdt(p);
			res("other_shmat_rw", shmat(id, NULL, 0) == (void *)-1 ? -1 : 0);
			res("other_stat", shmctl(id, IPC_STAT, &ds));
			res("other_set", shmctl(id, IPC_SET, &ds));
			res("other_rmid", shmctl(id, IPC_RMID, NULL));
			fflush(stdout);
			_exit(0);
		}
		wait_child(pid);
		ds.shm_perm.mode = 0600;
		shmctl(id, IPC_SET, &ds);
		pid = fork();
		if (!pid) {
			if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
				_exit(1);
			res("other_get_r_0600", shmget(base, 0, 0444));
			res("other_stat_0600", shmctl(id, IPC_STAT, &ds));
			res("other_shmat_0600", shmat(id, NULL, SHM_RDONLY) == (void *)-1 ? -1 : 0);
			fflush(stdout);
			_exit(0);
		}
		wait_child(pid);
	} else {
		printf("other: skipped (not root)\n");
	}

	res("shmdt_first", shmdt(first));
	p = shmat(id, NULL, 0);
	res("rmid_attached", shmctl(id, IPC_RMID, NULL));
	show_stat("stat_removed", id, t0);
	res("get_removed_key", shmget(base, 4096, 0600));
	res("create_removed_key", id2 = shmget(base, 4096, IPC_CREAT | IPC_EXCL | 0600));
	printf("new_id_differs: %s\n", id2 != id ? "yes" : "no");
	printf("removed_bytes: %s\n", p != (void *)-1 && !strcmp(p, "hello") ? "yes" : "no");
	res("rmid_again", shmctl(id, IPC_RMID, NULL));
	res("shmdt_last", shmdt(p));
	res("stat_gone", shmctl(id, IPC_STAT, &ds));
	res("shmat_gone", shmat(id, NULL, 0) == (void *)-1 ? -1 : 0);
	res("rmid_gone", shmctl(id, IPC_RMID, NULL));
	res("rmid_unattached", shmctl(id2, IPC_RMID, NULL));
	res("stat_unattached_gone", shmctl(id2, IPC_STAT, &ds));
}

static int cases(void)
{
	time_t t0 = time(NULL);
	int id = cases_get(t0);

	if (id < 0)
		return 1;
	cases_attach(id, t0);
	cases_procs(id);
	cases_ctl(id, t0);
	return 0;
}

/* An attachment kept for another program to see (its start-up checks). */
static int hold(int id)
{
	char c = 0;
	void *p;

	alarm(600);
	p = shmat(id, NULL, SHM_RDONLY);
	if (p == (void *)-1) {
		res("hold", -1);
		return 1;
	}
	do {
		printf("held: %lu\n", nattch(id));
		fflush(stdout);
		while (read(0, &c, 1) > 0 && c != '\n')
			;
	} while (c == '\n' && (c = 0, 1));
	if (shmdt(p)) {
		res("release", -1);
		return 1;
	}
	printf("released\n");
	return 0;
}

int main(int argc, char **argv)
{
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = 0;
	alarm(30);
	if (argc == 3 && !strcmp(argv[1], "exec-child")) {
		char c = 1;

		if (write(atoi(argv[2]), &c, 1) != 1)
			return 1;
		while (read(4, &c, 1) > 0)
			;
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return hold(atoi(argv[2]));
	if (argc != 3)
		return 2;
	base = (key_t)strtol(argv[2], NULL, 0);
	if (!strcmp(argv[1], "cases"))
		return cases();
	if (!strcmp(argv[1], "create"))
		res("create", shmget(base, 4096, IPC_CREAT | 0600));
	else if (!strcmp(argv[1], "get"))
		res("get", shmget(base, 0, 0));
	else if (!strcmp(argv[1], "loop")) {
		for (int i = 0; i < 200; i++) {
			volatile int *p = shmat(shmget(base, 0, 0), NULL, 0);

			if (p == (void *)-1) {
				res("loop", -1);
				return 1;
			}
			__atomic_add_fetch(p, 1, __ATOMIC_RELAXED);
			if (shmdt((void *)p)) {
				res("loop_shmdt", -1);
				return 1;
			}
		}
	} else if (!strcmp(argv[1], "count")) {
		int *p = shmat(shmget(base, 0, 0), NULL, SHM_RDONLY);

		if (p == (void *)-1)
			res("count", -1);
		else
			printf("count: %d\n", *p);
	} else if (!strcmp(argv[1], "nattch"))
		printf("nattch: %lu\n", nattch(shmget(base, 0, 0)));
	else if (!strcmp(argv[1], "rm"))
		res("rm", shmctl(shmget(base, 0, 0), IPC_RMID, NULL));
	else
		return 2;
	return 0;
}
