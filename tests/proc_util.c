/* SPDX-License-Identifier: MIT */
#include "config.h"

#include "proc_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int proc_start(struct proc *p, const char *const *argv)
{
	int in[2], out[2], err[2];

	memset(p, 0, sizeof *p);
	p->in = p->out = p->err = -1;
	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return -1;
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	p->in = in[1];
	p->out = out[0];
	p->err = err[0];
	/* A child that exits early must not kill the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int proc_write(struct proc *p, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = write(p->in, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		s += w;
		n -= w;
	}
	return 0;
}

void proc_close_in(struct proc *p)
{
	if (p->in >= 0)
		close(p->in);
	p->in = -1;
}

int proc_line(struct proc *p, char *line, size_t len, int timeout_ms)
{
	long long deadline = mono_ns() + timeout_ms * 1000000LL;

	for (;;) {
		char *nl = memchr(p->buf, '\n', p->len);
		if (nl) {
			size_t n = nl - p->buf;
			if (n >= len)
				n = len - 1;
			memcpy(line, p->buf, n);
			line[n] = 0;
			p->len -= nl + 1 - p->buf;
			memmove(p->buf, nl + 1, p->len);
			return 1;
		}
		if (p->out < 0 || p->len == sizeof p->buf)
			return -1;
		long long left = (deadline - mono_ns()) / 1000000;
		if (left <= 0)
			return 0;
		struct pollfd pfd = {p->out, POLLIN, 0};
		int r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? 0 : -1;
		ssize_t n = read(p->out, p->buf + p->len, sizeof p->buf - p->len);
		if (n <= 0)
			return -1;
		p->len += n;
	}
}

int proc_running(struct proc *p)
{
	siginfo_t si;

	memset(&si, 0, sizeof si);
	return p->pid > 0 && waitid(P_PID, p->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid == 0;
}

static void drain(int fd, char *buf, size_t size, size_t *len)
{
	ssize_t n;

	if (fd < 0)
		return;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while ((n = read(fd, buf + *len, size - 1 - *len)) > 0)
		*len += n;
	buf[*len] = 0;
}

int proc_wait(struct proc *p, int timeout_ms)
{
	long long deadline = mono_ns() + timeout_ms * 1000000LL;
	int st, killed = 0;
	size_t elen = strlen(p->errbuf);

	proc_close_in(p);
	if (p->pid <= 0)
		return -1;
	for (;;) {
		/* Keep the pipes drained so a chatty child cannot block on them. */
		char junk[4096];
		size_t jl = 0;
		if (p->err >= 0)
			drain(p->err, p->errbuf, sizeof p->errbuf, &elen);
		if (p->out >= 0 && p->len < sizeof p->buf)
			drain(p->out, p->buf, sizeof p->buf, &p->len);
		else if (p->out >= 0)
			drain(p->out, junk, sizeof junk, &jl);
		pid_t r = waitpid(p->pid, &st, WNOHANG);
		if (r == p->pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (mono_ns() > deadline && !killed) {
			kill(p->pid, SIGKILL);
			killed = 1;
		}
		usleep(2000);
	}
	if (p->err >= 0)
		drain(p->err, p->errbuf, sizeof p->errbuf, &elen);
	if (p->out >= 0 && p->len < sizeof p->buf)
		drain(p->out, p->buf, sizeof p->buf, &p->len);
	if (p->out >= 0)
		close(p->out);
	if (p->err >= 0)
		close(p->err);
	p->out = p->err = -1;
	p->pid = 0;
	if (killed)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int run(const char *const *argv, const char *in, size_t inlen, char *out, size_t outsize,
	size_t *outlen, char *err, size_t errsize)
{
	struct proc p;
	int rc;

	if (proc_start(&p, argv) < 0)
		return -1;
	if (in && inlen) {
		size_t off = 0;
		while (off < inlen) {
			ssize_t w = write(p.in, in + off, inlen - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				break;
			off += w;
		}
	}
	rc = proc_wait(&p, 10000);
	if (out && outsize) {
		size_t n = p.len < outsize - 1 ? p.len : outsize - 1;
		memcpy(out, p.buf, n);
		out[n] = 0;
		if (outlen)
			*outlen = n;
	}
	if (err && errsize)
		snprintf(err, errsize, "%s", p.errbuf);
	return rc;
}

static int path_key(const char *path, key_t *k)
{
	*k = ftok(path, 'Q');
	return *k == -1 ? -1 : 0;
}

int sysv_shm_exists(const char *path)
{
	key_t k;

	return path_key(path, &k) == 0 && shmget(k, 0, 0) != -1;
}

int sysv_sem_exists(const char *path)
{
	key_t k;

	return path_key(path, &k) == 0 && semget(k, 0, 0) != -1;
}

long sysv_shm_nattch(const char *path)
{
	struct shmid_ds ds;
	key_t k;
	int id;

	if (path_key(path, &k) < 0 || (id = shmget(k, 0, 0)) < 0 || shmctl(id, IPC_STAT, &ds) < 0)
		return -1;
	return (long)ds.shm_nattch;
}

int sysv_cleanup_dir(const char *dir, int keep)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);
	int removed = 0, id;
	key_t k;

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path)
			continue;
		if (path_key(path, &k) == 0) {
			if ((id = shmget(k, 0, 0)) != -1 && shmctl(id, IPC_RMID, NULL) == 0)
				removed++;
			if ((id = semget(k, 0, 0)) != -1 && semctl(id, 0, IPC_RMID) == 0)
				removed++;
		}
		unlink(path);
	}
	if (d)
		closedir(d);
	if (!keep)
		rmdir(dir);
	return removed;
}

int dir_entries(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* Objects noted by id (with the key they had): ids are not reused soon,
 * while a key is (it follows the key file's inode, and inodes are). */
static struct {
	int sem, id;
	key_t key;
} noted[64];
static int nnoted;

static void note_id(int sem, int id, key_t k)
{
	if (id < 0)
		return;
	for (int i = 0; i < nnoted; i++)
		if (noted[i].sem == sem && noted[i].id == id)
			return;
	if (nnoted < (int)(sizeof noted / sizeof noted[0]))
		noted[nnoted++] = (typeof(noted[0])){sem, id, k};
}

void ipc_note(const char *path)
{
	key_t k;

	if (path_key(path, &k) < 0)
		return;
	note_id(0, shmget(k, 0, 0), k);
	note_id(1, semget(k, 0, 0), k);
}

/* 1 if the noted object still exists with its key. */
static int noted_alive(int i)
{
	struct shmid_ds sd;
	struct semid_ds md;
	union {
		int val;
		struct semid_ds *buf;
	} arg = {.buf = &md};

	if (noted[i].sem)
		return semctl(noted[i].id, 0, IPC_STAT, arg) == 0 &&
		       md.sem_perm.__key == noted[i].key;
	return shmctl(noted[i].id, IPC_STAT, &sd) == 0 && sd.shm_perm.__key == noted[i].key;
}

int ipc_noted_left(void)
{
	int n = 0;

	for (int i = 0; i < nnoted; i++)
		n += noted_alive(i);
	return n;
}

int ipc_noted_remove(void)
{
	int n = 0;

	for (int i = 0; i < nnoted; i++) {
		if (!noted_alive(i))
			continue;
		if (noted[i].sem ? semctl(noted[i].id, 0, IPC_RMID) == 0
				 : shmctl(noted[i].id, IPC_RMID, NULL) == 0)
			n++;
	}
	nnoted = 0;
	return n;
}
