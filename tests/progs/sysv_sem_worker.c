/* SPDX-License-Identifier: MIT */
/* System V semaphore helper for tests/test_emul_sem.c: the same program
 * against the kernel and under the emulation.
 *
 *   sysv_sem_worker basic KEY     a run of cases, one result line each
 *                                 (ids never printed), with keys KEY..KEY+3
 *   sysv_sem_worker create KEY N VAL | rm KEY | get KEY (prints GETVAL)
 *   sysv_sem_worker op KEY OP     one semop of OP with SEM_UNDO
 *   sysv_sem_worker hold KEY      takes 1 with SEM_UNDO, says "held", sleeps
 *   sysv_sem_worker wait KEY      takes 1 (no undo), says "got", gives it back
 *   sysv_sem_worker torture KEY FILE N   N locked increments of the counter in
 *                                 FILE, each logged to FILE.log after it is made
 *   sysv_sem_worker eintr KEY N   N times: a child blocks in semop on sem 0
 *                                 (value 0) and gets SIGUSR1 (SA_RESTART
 *                                 handler) the moment GETNCNT shows it
 *                                 waiting; prints how many returned EINTR
 *                                 with the handler run, and how many not
 *   sysv_sem_worker stopped KEY   a child blocked in semop is stopped
 *                                 (SIGSTOP) and continued: prints whether
 *                                 its semop failed with EINTR
 *   sysv_sem_worker forkring KEY  blocks in semop once (a child lets it go),
 *                                 then prints how many io_uring descriptors a
 *                                 fork child of it has (the emulation's sleep
 *                                 keeps one per thread: none may leak)
 *   sysv_sem_worker exec-get KEY  (internal) prints GETVAL after an exec */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *info;
};

static char self[4096];

static void res(const char *name, long r)
{
	if (r < 0)
		printf("%s: %s\n", name, strerrorname_np(errno));
	else
		printf("%s: %ld\n", name, r);
	fflush(stdout);
}

static int op1(int id, int num, int op, int flg)
{
	struct sembuf b = {(unsigned short)num, (short)op, (short)flg};

	return semop(id, &b, 1);
}

static int getval(int id, int n)
{
	return semctl(id, n, GETVAL);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static int child_status(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void cases_get(key_t k)
{
	int id;

	res("get-noent", semget(k, 1, 0600));
	res("get-nsems0-creat", semget(k, 0, IPC_CREAT | 0600));
	res("get-nsems-neg", semget(k, -1, IPC_CREAT | 0600));
	res("get-nsems-huge", semget(k, 1 << 30, IPC_CREAT | 0600));
	id = semget(k, 3, IPC_CREAT | 0600);
	res("create", id < 0 ? -1 : 0);
	res("get-excl", semget(k, 3, IPC_CREAT | IPC_EXCL | 0600));
	res("get-more", semget(k, 4, 0600));
	res("get-fewer", semget(k, 2, 0600) == id ? 0 : -1);
	res("get-zero", semget(k, 0, 0) == id ? 0 : -1);
	res("rm", semctl(id, 0, IPC_RMID));
	res("rm-again", semctl(id, 0, IPC_RMID));
	res("op-removed", op1(id, 0, 1, 0));
	res("getval-removed", getval(id, 0));
	res("get-after-rm", semget(k, 1, 0600));
}

static void cases_op(key_t k)
{
	struct sembuf two[2] = {{0, -1, 0}, {1, 1, 0}};
	struct sembuf big[600];
	unsigned short all[3] = {0, 0, 0}, set3[3] = {5, 6, 7};
	struct timespec t0 = {0, 20000000}, bad = {0, 1000000000};
	struct semid_ds ds;
	int id = semget(k, 3, IPC_CREAT | 0600);
	time_t start = time(NULL);

	res("getval0", getval(id, 0));
	res("getpid0", semctl(id, 0, GETPID));
	res("stat", semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
	printf("stat: nsems=%lu mode=%#o otime=%ld ctime=%s uid=%s\n", (unsigned long)ds.sem_nsems,
	       (unsigned)ds.sem_perm.mode, (long)ds.sem_otime,
	       ds.sem_ctime >= start - 1 && ds.sem_ctime <= time(NULL) ? "now" : "bad",
	       ds.sem_perm.uid == geteuid() ? "self" : "other");
	res("nowait-empty", op1(id, 0, -1, IPC_NOWAIT));
	res("zero-ok", op1(id, 0, 0, 0));
	res("up", op1(id, 0, 2, 0));
	res("getpid", semctl(id, 0, GETPID) == getpid() ? 0 : -1);
	res("zero-nowait", op1(id, 0, 0, IPC_NOWAIT));
	res("timed-zero", semtimedop(id, &(struct sembuf){0, 0, 0}, 1, &t0));
	res("timed-badns", semtimedop(id, &(struct sembuf){0, 0, 0}, 1, &bad));
	res("array", semop(id, two, 2));
	res("after-array", getval(id, 0) * 10 + getval(id, 1));
	two[0].sem_op = -5;
	two[0].sem_flg = IPC_NOWAIT;
	res("array-atomic", semop(id, two, 2));
	res("after-atomic", getval(id, 0) * 10 + getval(id, 1));
	res("efbig", op1(id, 3, 1, 0));
	res("nsops0", semop(id, two, 0));
	for (int i = 0; i < 600; i++)
		big[i] = (struct sembuf){0, 0, IPC_NOWAIT};
	res("e2big", semop(id, big, 600));
	res("erange", op1(id, 2, 32767, 0));
	res("erange-more", op1(id, 2, 1, 0));
	res("setval", semctl(id, 2, SETVAL, (union semun){.val = 3}));
	res("setval-range", semctl(id, 2, SETVAL, (union semun){.val = 32768}));
	res("setval-neg", semctl(id, 2, SETVAL, (union semun){.val = -1}));
	res("setval-semnum", semctl(id, 3, SETVAL, (union semun){.val = 1}));
	res("getval-semnum", semctl(id, -1, GETVAL));
	res("undo-range", op1(id, 1, 32767, SEM_UNDO) || op1(id, 1, -32767, SEM_UNDO) ?
		   -1 : op1(id, 1, -1, SEM_UNDO | IPC_NOWAIT));
	res("setall", semctl(id, 0, SETALL, (union semun){.array = set3}));
	res("getall", semctl(id, 0, GETALL, (union semun){.array = all}));
	printf("getall: %u %u %u\n", all[0], all[1], all[2]);
	res("ncnt", semctl(id, 0, GETNCNT));
	res("zcnt", semctl(id, 0, GETZCNT));
	res("badcmd", semctl(id, 0, 9999));
	res("stat-otime", semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}) ? -1 :
		   ds.sem_otime >= start - 1 && ds.sem_otime <= time(NULL) ? 0 : 99);
	ds.sem_perm.mode = 0400;
	res("ipcset", semctl(id, 0, IPC_SET, (union semun){.buf = &ds}));
	res("stat-mode", semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}) ? -1 :
		   (long)ds.sem_perm.mode);
	ds.sem_perm.mode = 0600;
	semctl(id, 0, IPC_SET, (union semun){.buf = &ds});
	res("rm", semctl(id, 0, IPC_RMID));
}

/* SEM_UNDO: not inherited, applied at exit (exit and _exit), kept across
 * exec; SETVAL clears it; waiters counted, EIDRM, EINTR. */
static void cases_undo(key_t k)
{
	int id = semget(k, 2, IPC_CREAT | 0600);
	struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
	char key[32];
	pid_t pid;

	semctl(id, 0, SETVAL, (union semun){.val = 5});
	pid = fork();
	if (!pid)
		_exit(op1(id, 0, -2, SEM_UNDO) ? 1 : 0);
	res("child-undo", child_status(pid));
	res("after-child", getval(id, 0));
	pid = fork();
	if (!pid) {
		op1(id, 0, -1, SEM_UNDO);
		exit(0);
	}
	child_status(pid);
	res("after-exit", getval(id, 0));
	res("parent-undo", op1(id, 0, -1, SEM_UNDO));
	pid = fork();
	if (!pid) {
		/* the parent's undo is not the child's: its +1 has nothing to undo */
		_exit(op1(id, 0, 1, SEM_UNDO) ? 1 : 0);
	}
	child_status(pid);
	res("child-no-inherit", getval(id, 0));
	op1(id, 0, 1, SEM_UNDO);
	snprintf(key, sizeof key, "%d", (int)k);
	pid = fork();
	if (!pid) {
		op1(id, 0, -3, SEM_UNDO);
		execl(self, self, "exec-get", key, (char *)NULL);
		_exit(127);
	}
	res("exec-kept", child_status(pid));
	res("after-exec", getval(id, 0));
	/* clamping: the child's undo of +3 after the value went to 0 */
	pid = fork();
	if (!pid) {
		op1(id, 1, 3, SEM_UNDO);
		semctl(id, 1, SETVAL, (union semun){.val = 1});
		_exit(0);
	}
	child_status(pid);
	res("setval-clears", getval(id, 1));
	pid = fork();
	if (!pid) {
		op1(id, 1, 2, SEM_UNDO);
		_exit(0);
	}
	child_status(pid);
	res("undo-back", getval(id, 1));
	pid = fork();
	if (!pid) {
		op1(id, 1, 2, SEM_UNDO);
		semctl(id, 1, SETVAL, (union semun){.val = 0});
		op1(id, 1, 1, 0);
		_exit(0);
	}
	child_status(pid);
	res("undo-clamped", getval(id, 1));
	/* a waiter: counted, then EINTR from a handler (SA_RESTART or not) */
	semctl(id, 1, SETVAL, (union semun){.val = 0});
	sigaction(SIGALRM, &sa, NULL);
	pid = fork();
	if (!pid) {
		alarm(1);
		_exit(op1(id, 1, -1, 0) < 0 && errno == EINTR ? 4 : 5);
	}
	usleep(300000);
	res("ncnt-waiting", semctl(id, 1, GETNCNT));
	res("waiter-eintr", child_status(pid));
	res("ncnt-after", semctl(id, 1, GETNCNT));
	pid = fork();
	if (!pid)
		_exit(op1(id, 0, 0, 0) < 0 && errno == EIDRM ? 6 : 7);
	usleep(300000);
	res("zcnt-waiting", semctl(id, 0, GETZCNT));
	res("rm", semctl(id, 0, IPC_RMID));
	res("waiter-eidrm", child_status(pid));
}

static volatile sig_atomic_t usr1_ran;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_ran = 1;
}

/* A child blocked on sem 0 of id (its value 0): its pid, once GETNCNT
 * shows it waiting. The child exits 0 when its semop failed with EINTR
 * after the handler ran, 2 with EINTR and no handler run, 1 when it
 * returned otherwise. */
static pid_t blocked_child(int id)
{
	struct timespec ms = {0, 100000};
	pid_t pid = fork();

	if (!pid) {
		struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
		int r;

		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR1, &sa, NULL);
		r = op1(id, 0, -1, 0);
		if (r == -1 && errno == EINTR)
			_exit(usr1_ran ? 0 : 2);
		_exit(1);
	}
	for (int i = 0; pid > 0 && semctl(id, 0, GETNCNT) != 1; i++) {
		if (i > 100000) {
			kill(pid, SIGKILL);
			child_status(pid);
			return -1;
		}
		nanosleep(&ms, NULL);
	}
	return pid;
}

/* The child's exit status; one still waiting after 2 s is let go (sem 0
 * raised) and counts as 1. */
static int child_within(int id, pid_t pid)
{
	struct timespec t = {0, 1000000};
	int st;

	for (int i = 0; i < 2000; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		nanosleep(&t, NULL);
	}
	op1(id, 0, 1, 0);
	child_status(pid);
	return 1;
}

/* The signal sent as soon as the waiter is recorded, which is also just
 * before it sleeps: a handler that runs must end the wait every time. */
static int eintr(key_t k, int n)
{
	int id = semget(k, 1, IPC_CREAT | IPC_EXCL | 0600), ok = 0, bad = 0;

	if (id < 0) {
		perror("semget");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		pid_t pid = blocked_child(id);

		if (pid < 0)
			break;
		kill(pid, SIGUSR1);
		if (child_within(id, pid))
			bad++;
		else
			ok++;
	}
	semctl(id, 0, IPC_RMID);
	printf("eintr: %d, not: %d\n", ok, bad);
	return 0;
}

/* A stop and a continue: Linux's semop fails with EINTR then, though no
 * handler ran (signal(7), "Interruption of system calls ... by stop
 * signals"). Prints what the waiter did. */
static int stopped(key_t k)
{
	int id = semget(k, 1, IPC_CREAT | IPC_EXCL | 0600), st, r = 0;
	struct timespec t = {0, 10000000};
	pid_t pid;

	if (id < 0) {
		perror("semget");
		return 1;
	}
	pid = blocked_child(id);
	if (pid < 0) {
		semctl(id, 0, IPC_RMID);
		return 1;
	}
	kill(pid, SIGSTOP);
	waitpid(pid, &st, WUNTRACED);
	kill(pid, SIGCONT);
	for (int i = 0; i < 100 && !(r = waitpid(pid, &st, WNOHANG)); i++)
		nanosleep(&t, NULL);
	if (r == pid)
		printf("after stop: %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 2 ? "EINTR" : "other");
	else
		printf("after stop: waiting\n");
	if (r != pid) {
		op1(id, 0, 1, 0);
		child_status(pid);
	}
	semctl(id, 0, IPC_RMID);
	return 0;
}

static int count_rings(void)
{
	char path[64], link[256];
	int n = 0;

	for (int fd = 0; fd < 4096; fd++) {
		ssize_t l;

		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		l = readlink(path, link, sizeof link - 1);
		if (l > 0) {
			link[l] = 0;
			n += !!strstr(link, "io_uring");
		}
	}
	return n;
}

static int forkring(key_t k)
{
	int id = semget(k, 1, IPC_CREAT | IPC_EXCL | 0600), r;
	struct timespec t = {0, 50000000};
	pid_t pid;

	if (id < 0) {
		perror("semget");
		return 1;
	}
	pid = fork();
	if (!pid) {
		nanosleep(&t, NULL);
		_exit(op1(id, 0, 1, 0) ? 1 : 0);
	}
	r = op1(id, 0, -1, 0);
	child_status(pid);
	pid = fork();
	if (!pid)
		_exit(count_rings());
	printf("semop: %d, rings in a fork child: %d\n", r, child_status(pid));
	semctl(id, 0, IPC_RMID);
	return 0;
}

static int basic(key_t k)
{
	cases_get(k);
	cases_op(k + 1);
	cases_undo(k + 2);
	return 0;
}

static int lock_id(key_t k)
{
	int id = semget(k, 1, 0600);

	if (id < 0)
		perror("semget");
	return id;
}

/* N increments of the counter in file, each under the semaphore, each
 * logged after it is made: a kill between the two loses a log line only. */
static int torture(key_t k, const char *file, int n)
{
	char log[4200];
	int id = lock_id(k), fd = open(file, O_RDWR), lg;

	snprintf(log, sizeof log, "%s.log", file);
	lg = open(log, O_WRONLY | O_APPEND);
	if (id < 0 || fd < 0 || lg < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		long c = 0;
		char buf[32];

		if (op1(id, 0, -1, SEM_UNDO)) {
			perror("semop");
			return 1;
		}
		if (pread(fd, &c, sizeof c, 0) != sizeof c)
			c = 0;
		c++;
		if (pwrite(fd, &c, sizeof c, 0) != sizeof c || write(lg, "+\n", 2) != 2)
			return 1;
		if (op1(id, 0, 1, SEM_UNDO)) {
			perror("semop");
			return 1;
		}
		(void)buf;
	}
	return 0;
}

int main(int argc, char **argv)
{
	key_t k;
	int id;

	if (argc < 3)
		return 2;
	k = (key_t)strtol(argv[2], NULL, 0);
	if (readlink("/proc/self/exe", self, sizeof self - 1) < 0)
		return 2;
	if (!strcmp(argv[1], "basic"))
		return basic(k);
	if (!strcmp(argv[1], "eintr") && argc == 4)
		return eintr(k, atoi(argv[3]));
	if (!strcmp(argv[1], "stopped"))
		return stopped(k);
	if (!strcmp(argv[1], "forkring"))
		return forkring(k);
	if (!strcmp(argv[1], "exec-get")) {
		id = lock_id(k);
		printf("exec-get: %d\n", getval(id, 0));
		fflush(stdout);
		return 3;
	}
	if (!strcmp(argv[1], "create") && argc == 5) {
		id = semget(k, atoi(argv[3]), IPC_CREAT | 0600);
		res("create", id < 0 ? -1 : semctl(id, 0, SETVAL, (union semun){.val = atoi(argv[4])}));
		return 0;
	}
	id = lock_id(k);
	if (!strcmp(argv[1], "rm")) {
		res("rm", semctl(id, 0, IPC_RMID));
	} else if (!strcmp(argv[1], "get")) {
		res("get", getval(id, 0));
	} else if (!strcmp(argv[1], "op") && argc == 4) {
		res("op", op1(id, 0, atoi(argv[3]), SEM_UNDO));
	} else if (!strcmp(argv[1], "hold")) {
		res("held", op1(id, 0, -1, SEM_UNDO));
		for (;;)
			pause();
	} else if (!strcmp(argv[1], "wait")) {
		res("got", op1(id, 0, -1, 0));
		op1(id, 0, 1, 0);
	} else if (!strcmp(argv[1], "torture") && argc == 5) {
		return torture(k, argv[3], atoi(argv[4]));
	} else {
		return 2;
	}
	return 0;
}
