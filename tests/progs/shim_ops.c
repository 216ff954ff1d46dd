/* SPDX-License-Identifier: MIT */
/* Calls every function the shim interposes, in a fixed order, with known
 * successes and failures, for test_shim_trace. One line per call on stdout:
 * "op ok|fail ERRNO" with the errno seen right after the call, so that a
 * run under the shim can be compared with a run without it.
 *
 * usage: shim_ops posix-shm NAME | posix-sem NAME | unnamed NAME
 *        | sysv KEYFILE | fork NAME | exec NAME | env NAME | odd NAME | bad NAME
 *        | big-sops NAME | pipe-MODE NAME [FD] | data NAME FILE | data-close NAME FILE
 *        | close-range NAME | mremap NAME */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int bad;

/* Logs one call; expect_fail < 0: either outcome is fine. */
static void note(const char *op, int failed, int expect_err)
{
	int e = errno;

	printf("%s %s %d\n", op, failed ? "fail" : "ok", failed ? e : 0);
	if (expect_err ? !failed || e != expect_err : failed) {
		fprintf(stderr, "shim_ops: %s: %s (wanted %s)\n", op, failed ? strerror(e) : "succeeded",
			expect_err ? strerror(expect_err) : "success");
		bad = 1;
	}
	errno = e;
}

/* errno must come back from a successful call as it went in. */
static void keep_errno(const char *op)
{
	if (errno != EILSEQ) {
		fprintf(stderr, "shim_ops: %s changed errno to %d\n", op, errno);
		bad = 1;
	}
}

static int posix_shm(const char *name)
{
	int fd, nfd;
	void *p;

	errno = EILSEQ;
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	note("shm_open", fd < 0, 0);
	keep_errno("shm_open");
	note("shm_open", shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600) >= 0 ? 0 : 1, EEXIST);
	note("ftruncate", ftruncate(fd, 4096) != 0, 0);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	note("mmap", p == MAP_FAILED, 0);
	note("munmap", munmap(p, 4096) != 0, 0);
	note("ftruncate64", ftruncate64(fd, 8192) != 0, 0);
	p = mmap64(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	note("mmap64", p == MAP_FAILED, 0);
	note("munmap", munmap(p, 8192) != 0, 0);
	/* Not from shm_open: no events. */
	nfd = open("/dev/null", O_RDONLY);
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (nfd < 0 || p == MAP_FAILED || munmap(p, 4096) || close(nfd))
		bad = 1;
	errno = EILSEQ;
	note("close", close(fd) != 0, 0);
	keep_errno("close");
	note("shm_unlink", shm_unlink(name) != 0, 0);
	note("shm_unlink", shm_unlink(name) != 0, ENOENT);
	note("shm_open", shm_open(name, O_RDONLY, 0) >= 0 ? 0 : 1, ENOENT);
	/* the descriptor calls failing */
	fd = shm_open(name, O_RDONLY | O_CREAT | O_EXCL, 0600);
	note("shm_open", fd < 0, 0);
	note("ftruncate", ftruncate(fd, -1) != 0, EINVAL);
	note("mmap", mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED, EACCES);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	note("mmap", p == MAP_FAILED, 0);
	note("munmap", munmap(p, 0) != 0, EINVAL);
	note("munmap", munmap(p, 4096) != 0, 0);
	note("close", close(fd) != 0, 0);
	note("shm_unlink", shm_unlink(name) != 0, 0);
	return bad;
}

static int wait_ok(pid_t pid);

/* close_range over two shm_open descriptors; the numbers, reused by a
 * plain file, must not be named after the segment any more. */
static int close_range_fds(const char *name)
{
	int a, b, lo, hi, nfd;

	a = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	note("shm_open", a < 0, 0);
	b = shm_open(name, O_RDWR, 0);
	note("shm_open", b < 0, 0);
	lo = a < b ? a : b;
	hi = a < b ? b : a;
	printf("range %d %d\n", lo, hi);
	note("close_range", close_range((unsigned)lo, (unsigned)hi, CLOSE_RANGE_UNSHARE) != 0, 0);
	nfd = open("/dev/null", O_RDWR);
	if (nfd != lo)
		bad = 1;
	/* ftruncate of /dev/null fails; it is not a segment: no event */
	note("ftruncate", ftruncate(nfd, 0) != 0, EINVAL);
	close(nfd);
	/* CLOSE_RANGE_CLOEXEC closes nothing: the descriptor keeps its name */
	a = shm_open(name, O_RDWR, 0);
	note("shm_open", a < 0, 0);
	note("close_range", close_range((unsigned)a, (unsigned)a, CLOSE_RANGE_CLOEXEC) != 0, 0);
	/* a vfork child's close_range (as Python's subprocess makes) leaves
	 * the parent's descriptor named */
	{
		pid_t pid = vfork();

		if (pid == 0) {
			close_range((unsigned)a, (unsigned)a, 0);
			_exit(0);
		}
		if (pid < 0 || wait_ok(pid))
			bad = 1;
	}
	note("close", close(a) != 0, 0);
	note("shm_unlink", shm_unlink(name) != 0, 0);
	return bad;
}

/* mremap of a mapping of a shm_open descriptor: traced, and the
 * mapping keeps its name at its new place; an anonymous one is not. */
static int mremap_map(const char *name)
{
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	char *p, *q;

	note("shm_open", fd < 0, 0);
	note("ftruncate", ftruncate(fd, 8192) != 0, 0);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	note("mmap", p == MAP_FAILED, 0);
	q = mremap(p, 4096, 8192, MREMAP_MAYMOVE);
	note("mremap", q == MAP_FAILED, 0);
	note("mremap", mremap(q, 8192, 4096, 0) != q, 0);
	note("munmap", munmap(q, 4096) != 0, 0);
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	q = p == MAP_FAILED ? MAP_FAILED : mremap(p, 4096, 8192, MREMAP_MAYMOVE);
	if (q == MAP_FAILED || munmap(q, 8192))
		bad = 1;
	note("close", close(fd) != 0, 0);
	note("shm_unlink", shm_unlink(name) != 0, 0);
	return bad;
}

static int posix_sem(const char *name)
{
	struct timespec soon, zero = {0, 0};
	sem_t *s, unnamed;

	errno = EILSEQ;
	s = sem_open(name, O_CREAT | O_EXCL, 0600, 1);
	note("sem_open", s == SEM_FAILED, 0);
	keep_errno("sem_open");
	if (s == SEM_FAILED)
		return 1;
	note("sem_open", sem_open(name, O_CREAT | O_EXCL, 0600, 1) == SEM_FAILED, EEXIST);
	note("sem_wait", sem_wait(s) != 0, 0);
	note("sem_trywait", sem_trywait(s) != 0, EAGAIN);
	errno = EILSEQ;
	note("sem_post", sem_post(s) != 0, 0);
	keep_errno("sem_post");
	clock_gettime(CLOCK_REALTIME, &soon);
	soon.tv_sec += 5;
	note("sem_timedwait", sem_timedwait(s, &soon) != 0, 0);
	note("sem_timedwait", sem_timedwait(s, &zero) != 0, ETIMEDOUT);
	note("sem_clockwait", sem_clockwait(s, CLOCK_MONOTONIC, &zero) != 0, ETIMEDOUT);
	note("sem_post", sem_post(s) != 0, 0);
	note("sem_close", sem_close(s) != 0, 0);
	note("sem_unlink", sem_unlink(name) != 0, 0);
	note("sem_unlink", sem_unlink(name) != 0, ENOENT);
	note("sem_open", sem_open(name, 0) == SEM_FAILED, ENOENT);
	if (sem_init(&unnamed, 0, 0))
		return 1;
	note("sem_post", sem_post(&unnamed) != 0, 0);
	sem_destroy(&unnamed);
	/* the waits succeeding */
	s = sem_open(name, O_CREAT, 0600, 1);
	note("sem_open", s == SEM_FAILED, 0);
	if (s == SEM_FAILED)
		return 1;
	note("sem_clockwait", sem_clockwait(s, CLOCK_REALTIME, &soon) != 0, 0);
	note("sem_post", sem_post(s) != 0, 0);
	note("sem_trywait", sem_trywait(s) != 0, 0);
	note("sem_close", sem_close(s) != 0, 0);
	note("sem_unlink", sem_unlink(name) != 0, 0);
	return bad;
}

/* The same calls on an unnamed (sem_init) and a named semaphore, unnamed
 * first; a second sem_open of the name and its sem_close; a forked child
 * using both. */
static int unnamed_sems(const char *name)
{
	struct timespec zero = {0, 0};
	sem_t u, *s, *s2;
	pid_t pid;
	int st;

	if (sem_init(&u, 0, 1))
		return 1;
	s = sem_open(name, O_CREAT | O_EXCL, 0600, 1);
	note("sem_open", s == SEM_FAILED, 0);
	if (s == SEM_FAILED)
		return 1;
	note("sem_wait", sem_wait(&u) != 0, 0);
	note("sem_wait", sem_wait(s) != 0, 0);
	note("sem_trywait", sem_trywait(&u) != 0, EAGAIN);
	note("sem_trywait", sem_trywait(s) != 0, EAGAIN);
	note("sem_post", sem_post(&u) != 0, 0);
	note("sem_post", sem_post(s) != 0, 0);
	note("sem_timedwait", sem_timedwait(&u, &zero) != 0, 0);
	note("sem_timedwait", sem_timedwait(s, &zero) != 0, 0);
	note("sem_clockwait", sem_clockwait(&u, CLOCK_MONOTONIC, &zero) != 0, ETIMEDOUT);
	note("sem_clockwait", sem_clockwait(s, CLOCK_MONOTONIC, &zero) != 0, ETIMEDOUT);
	note("sem_post", sem_post(&u) != 0, 0);
	note("sem_post", sem_post(s) != 0, 0);
	/* libc returns s again: after one close it is still open, and named */
	s2 = sem_open(name, 0);
	note("sem_open", s2 == SEM_FAILED, 0);
	note("sem_close", s2 == SEM_FAILED || sem_close(s2) != 0, 0);
	note("sem_post", sem_post(s) != 0, 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		note("sem_wait", sem_wait(s) != 0, 0);
		note("sem_wait", sem_wait(&u) != 0, 0);
		_exit(bad);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		bad = 1;
	note("sem_close", sem_close(s) != 0, 0);
	note("sem_unlink", sem_unlink(name) != 0, 0);
	sem_destroy(&u);
	return bad;
}

static int sysv(const char *path)
{
	char missing[4096];
	struct shmid_ds ds;
	struct semid_ds sds;
	struct sembuf down = {0, -1, SEM_UNDO}, nowait = {0, -1, IPC_NOWAIT}, plain = {0, -1, 0};
	struct timespec ms = {0, 1000000};
	key_t k, k7;
	int id, sid, pid;
	void *p, *p2;

	snprintf(missing, sizeof missing, "%s.missing", path);
	errno = EILSEQ;
	k = ftok(path, 'Q');
	note("ftok", k == -1, 0);
	keep_errno("ftok");
	note("ftok", ftok(missing, 'Q') == -1, ENOENT);
	k7 = ftok(path, 7);
	note("ftok", k7 == -1, 0);
	id = shmget(k, 4096, IPC_CREAT | IPC_EXCL | 0600);
	note("shmget", id < 0, 0);
	note("shmget", shmget(k, 4096, IPC_CREAT | IPC_EXCL | 0600) >= 0 ? 0 : 1, EEXIST);
	p = shmat(id, NULL, 0);
	note("shmat", p == (void *)-1, 0);
	p2 = shmat(id, NULL, SHM_RDONLY);
	note("shmat", p2 == (void *)-1, 0);
	note("shmdt", shmdt(p2) != 0, 0);
	note("shmdt", shmdt(p) != 0, 0);
	note("shmdt", shmdt(p) != 0, EINVAL);
	note("shmctl", shmctl(id, IPC_STAT, &ds) != 0, 0);
	note("shmctl", shmctl(id, IPC_RMID, NULL) != 0, 0);
	note("shmctl", shmctl(id, IPC_RMID, NULL) != 0, EINVAL);
	note("shmget", shmget(k ^ 0x00a50000, 0, 0) >= 0 ? 0 : 1, ENOENT);
	sid = semget(k7, 2, IPC_CREAT | IPC_EXCL | 0600);
	note("semget", sid < 0, 0);
	note("semctl", semctl(sid, 0, SETVAL, 1) != 0, 0);
	note("semctl", semctl(sid, 0, GETVAL) != 1, 0);
	note("semop", semop(sid, &down, 1) != 0, 0);
	note("semop", semop(sid, &nowait, 1) != 0, EAGAIN);
	note("semtimedop", semtimedop(sid, &plain, 1, &ms) != 0, EAGAIN);
	note("semctl", semctl(sid, 0, IPC_STAT, &sds) != 0, 0);
	note("semctl", semctl(sid, 0, IPC_RMID) != 0, 0);
	pid = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	note("semget", pid < 0, 0);
	note("semctl", semctl(pid, 0, IPC_RMID) != 0, 0);
	/* more failures and successes */
	note("shmat", shmat(-1, NULL, 0) == (void *)-1, EINVAL);
	sid = semget(k7, 1, IPC_CREAT | IPC_EXCL | 0600);
	note("semget", sid < 0, 0);
	note("semget", semget(k7, 1, IPC_CREAT | IPC_EXCL | 0600) >= 0 ? 0 : 1, EEXIST);
	plain.sem_op = 1;
	note("semtimedop", semtimedop(sid, &plain, 1, &ms) != 0, 0);
	note("semctl", semctl(-1, 0, GETVAL) == -1, EINVAL);
	note("semctl", semctl(sid, 0, IPC_RMID) != 0, 0);
	return bad;
}

static int round_trip(const char *name)
{
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);

	if (fd < 0 || close(fd) || shm_unlink(name)) {
		perror(name);
		return 1;
	}
	return 0;
}

static int wait_ok(pid_t pid)
{
	int st;

	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : 1;
}

/* Parent round, a forked child's round on NAME.f, parent again. */
static int do_fork(const char *name)
{
	char sub[256];
	pid_t pid;

	if (round_trip(name))
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		snprintf(sub, sizeof sub, "%s.f", name);
		_exit(round_trip(sub));
	}
	printf("child %ld\npid %ld\n", (long)pid, (long)getpid());
	return wait_ok(pid) || round_trip(name);
}

/* Parent round, a forked child's round, an exec'd child's "env" + round. */
static int do_exec(const char *self, const char *name)
{
	char sub[256];
	pid_t pid;

	if (do_fork(name))
		return 1;
	snprintf(sub, sizeof sub, "%s.x", name);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl(self, self, "env", sub, (char *)NULL);
		_exit(127);
	}
	printf("exec %ld\n", (long)pid);
	return wait_ok(pid);
}

/* Names the trace must shorten or escape. */
static int odd(const char *name)
{
	char lng[700], esc[64];

	memset(lng, 'a', sizeof lng - 1);
	lng[0] = '/';
	lng[sizeof lng - 1] = 0;
	note("shm_open", shm_open(lng, O_RDONLY, 0) >= 0 ? 0 : 1, EINVAL);
	snprintf(esc, sizeof esc, "%s\"b\\c\001\377\303\251", name);
	note("sem_unlink", sem_unlink(esc) != 0, ENOENT);
	return bad;
}

/* Bad pointers the C library hands to the kernel (or never reads): the
 * kernel says EFAULT; the shim must not fault on them either. */
static int bad_pointers(const char *name)
{
	void *junk = (void *)1;
	sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, 1);
	int sid = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	struct sembuf up = {0, 1, 0};

	if (s == SEM_FAILED || sid < 0)
		return 1;
	note("ftok", ftok(junk, 'Q') == -1, EFAULT);
	note("semop", semop(sid, junk, 1) != 0, EFAULT);
	note("semtimedop", semtimedop(sid, &up, 1, junk) != 0, EFAULT);
	sem_close(s);
	sem_unlink(name);
	semctl(sid, 0, IPC_RMID);
	return bad;
}

/* Two operations, then marker bytes, then an unreadable page: semop and
 * semtimedop calls the kernel refuses before reading the array (more
 * operations than it accepts, a bad timeout read first, an array that runs
 * into the unreadable page). The trace may show the two operations at most,
 * never the markers. */
static int big_sops(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t sz = sizeof(struct sembuf);
	unsigned char *m = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sembuf *marked, *edge;
	struct seminfo si;
	int sid = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	size_t huge = 100000;

	if (m == MAP_FAILED || sid < 0 || mprotect(m + pg, (size_t)pg, PROT_NONE))
		return 1;
	if (semctl(sid, 0, IPC_INFO, &si) < 0 || (size_t)si.semopm >= huge) {
		printf("skip: SEMOPM %d\n", si.semopm);
		semctl(sid, 0, IPC_RMID);
		return 77;
	}
	/* 64 entries before the guard page: 2 operations and 62 of markers */
	marked = (struct sembuf *)(void *)(m + pg - 64 * sz);
	memset(marked, 0xa5, 64 * sz);
	marked[0] = (struct sembuf){0, 1, 0};
	marked[1] = (struct sembuf){0, -1, 0};
	/* the last 2 entries before the guard page */
	edge = marked + 62;
	edge[0] = (struct sembuf){0, 1, 0};
	edge[1] = (struct sembuf){0, -1, 0};
	note("semop", semop(sid, marked, 2) != 0, 0);
	note("semop", semop(sid, marked, huge) != 0, E2BIG);
	note("semop", semop(sid, edge, huge) != 0, E2BIG);
	note("semtimedop", semtimedop(sid, marked, huge, (void *)1) != 0, EFAULT);
	note("semop", semop(sid, marked, 100) != 0, EFAULT);
	note("semop", semop(sid, edge, 3) != 0, EFAULT);
	semctl(sid, 0, IPC_RMID);
	munmap(m, (size_t)pg * 2);
	return bad;
}

/* Checks on stdout: standard error may be the dead pipe. */
static void check(int ok, const char *what)
{
	if (!ok) {
		printf("FAILED: %s\n", what);
		bad = 1;
	}
}

static volatile sig_atomic_t handled;

static void on_pipe(int sig)
{
	(void)sig;
	handled++;
}

/* The trace sink is a pipe or socket without a reader (descriptor dead of
 * the program, 2 unless the test says otherwise). The program treats
 * SIGPIPE as MODE says (default, ignore, handle, block, block with one
 * pending); traced calls must leave its signals and errno as they were. */
static int pipe_modes(const char *mode, const char *name, int dead)
{
	struct sigaction sa = {.sa_handler = on_pipe};
	sigset_t pipe_set, pend;
	struct timespec zero = {0, 0};
	int fd;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	if (!strcmp(mode, "ignore"))
		signal(SIGPIPE, SIG_IGN);
	else if (!strcmp(mode, "handle"))
		sigaction(SIGPIPE, &sa, NULL);
	else if (!strcmp(mode, "block") || !strcmp(mode, "pending"))
		sigprocmask(SIG_BLOCK, &pipe_set, NULL);
	if (!strcmp(mode, "pending"))
		raise(SIGPIPE);
	errno = EILSEQ;
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	check(fd >= 0, "shm_open");
	check(errno == EILSEQ, "errno after shm_open");
	errno = EILSEQ;
	check(close(fd) == 0 && errno == EILSEQ, "close");
	check(shm_unlink(name) == 0 && errno == EILSEQ, "shm_unlink");
	check(shm_unlink(name) != 0 && errno == ENOENT, "shm_unlink ENOENT");
	check(!handled, "no SIGPIPE handled");
	sigpending(&pend);
	if (!strcmp(mode, "pending")) {
		check(sigismember(&pend, SIGPIPE), "the program's SIGPIPE still pending");
		check(sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE, "taken");
		sigpending(&pend);
	}
	check(!sigismember(&pend, SIGPIPE), "no SIGPIPE pending");
	if (!strcmp(mode, "handle")) {
		/* the program's own write to the dead pipe still signals */
		check(write(dead, "x\n", 2) < 0 && errno == EPIPE, "own write fails");
		check(handled == 1, "own SIGPIPE handled");
	}
	printf("done\n");
	return bad;
}

/* A data file opened after start: it lands on descriptor 2 when that is
 * closed (by the test before exec, or here with close2). Traced calls
 * must not write into it. */
static int data_file(const char *name, const char *path, int close2)
{
	int fd;

	if (close2)
		close(2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	printf("fd %d\n", fd);
	if (fd < 0 || write(fd, "data 1\n", 7) != 7)
		return 1;
	if (round_trip(name))
		return 1;
	if (write(fd, "data 2\n", 7) != 7 || close(fd))
		return 1;
	return 0;
}

/* The scenarios that take one argument, a name or a path. */
static const struct {
	const char *name;
	int (*run)(const char *arg);
} scenarios[] = {
	{"posix-shm", posix_shm}, {"posix-sem", posix_sem}, {"close-range", close_range_fds},
	{"mremap", mremap_map},
	{"unnamed", unnamed_sems}, {"sysv", sysv}, {"fork", do_fork}, {"bad", bad_pointers},
	{"odd", odd},
};

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strncmp(argv[1], "data", 4))
		return data_file(argv[2], argv[3], !strcmp(argv[1], "data-close"));
	if (argc == 4 && !strncmp(argv[1], "pipe-", 5))
		return pipe_modes(argv[1] + 5, argv[2], atoi(argv[3]));
	if (argc != 3) {
		fprintf(stderr, "usage: shim_ops posix-shm|posix-sem|unnamed|sysv|fork|exec|env ARG\n");
		return 2;
	}
	if (!strcmp(argv[1], "big-sops"))
		return big_sops();
	if (!strncmp(argv[1], "pipe-", 5))
		return pipe_modes(argv[1] + 5, argv[2], 2);
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
		if (!strcmp(argv[1], scenarios[i].name))
			return scenarios[i].run(argv[2]);
	if (!strcmp(argv[1], "exec"))
		return do_exec(argv[0], argv[2]);
	if (!strcmp(argv[1], "env")) {
		const char *v = getenv("LD_PRELOAD");

		printf("LD_PRELOAD=%s\n", v ? v : "(unset)");
		return round_trip(argv[2]);
	}
	fprintf(stderr, "shim_ops: unknown scenario %s\n", argv[1]);
	return 2;
}
