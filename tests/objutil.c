/* SPDX-License-Identifier: MIT */
#include "config.h"

#include "objutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_KEYS 256

static char dir[64];
static char *posix_names[MAX_KEYS];
static int n_posix;
static int counter;
/* children still running, killed before cleanup so that none of them can
 * make an object again after it */
#define MAX_CHILDREN 64
static pid_t children[MAX_CHILDREN];

static void track(pid_t pid, pid_t old)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] == old) {
			children[i] = pid;
			return;
		}
}

void obj_track_pid(pid_t pid)
{
	track(pid, 0);
}

void obj_untrack_pid(pid_t pid)
{
	track(0, pid);
}

void obj_kill_children(void)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
			children[i] = 0;
		}
}

/* System V keys seen per key file, and the ids of the objects seen under
 * each while the file had it, so that objects left under a key file that
 * is gone (or was made again on another inode) are still found. Only ids
 * are trusted once the file is gone: ftok keys follow inodes, and another
 * test's new key file may reuse ours, with its own live objects under
 * the same key. */
#define MAX_NOTED 256
#define MAX_IDS 8
static struct {
	char *path;
	key_t key;
	int ids[2][MAX_IDS]; /* [0] segments, [1] semaphores */
	int n_ids[2];
} noted[MAX_NOTED];
static int n_noted;

static void note_id(int i, int sem, int id)
{
	for (int j = 0; j < noted[i].n_ids[sem]; j++)
		if (noted[i].ids[sem][j] == id)
			return;
	if (noted[i].n_ids[sem] < MAX_IDS)
		noted[i].ids[sem][noted[i].n_ids[sem]++] = id;
}

/* path has key k now: what is under k is ours */
static void note(const char *path, key_t k)
{
	int i, id;

	for (i = 0; i < n_noted; i++)
		if (noted[i].key == k && !strcmp(noted[i].path, path))
			break;
	if (i == n_noted) {
		if (n_noted == MAX_NOTED || !(noted[n_noted].path = strdup(path)))
			return;
		noted[n_noted].key = k;
		noted[n_noted].n_ids[0] = noted[n_noted].n_ids[1] = 0;
		n_noted++;
	}
	if ((id = shmget(k, 0, 0)) >= 0)
		note_id(i, 0, id);
	if ((id = semget(k, 0, 0)) >= 0)
		note_id(i, 1, id);
}

/* 1 if the object id noted under entry i still exists with its key. */
static int noted_alive(int i, int sem, int id)
{
	struct shmid_ds sd;
	struct semid_ds md;
	union {
		int val;
		struct semid_ds *buf;
	} arg = {.buf = &md};

	if (sem)
		return semctl(id, 0, IPC_STAT, arg) == 0 && md.sem_perm.__key == noted[i].key;
	return shmctl(id, IPC_STAT, &sd) == 0 && sd.shm_perm.__key == noted[i].key;
}

const char *obj_dir(void)
{
	return dir;
}

/* The tests' alarm() ends a deadlock; clean up even then (not
 * async-signal-safe, but the process is ending anyway). */
static void on_alarm(int sig)
{
	static const char msg[] = "timed out: cleaning up\n";

	(void)sig;
	(void)!write(2, msg, sizeof msg - 1);
	obj_cleanup();
	_exit(99);
}

int obj_setup(void)
{
	static int registered;

	if (dir[0])
		return 0;
	signal(SIGALRM, on_alarm);
	snprintf(dir, sizeof dir, "/tmp/nipc-test-%d-XXXXXX", (int)getpid());
	if (!mkdtemp(dir))
		return -1;
	if (!registered++)
		atexit(obj_cleanup);
	return 0;
}

static void remove_sysv_file(const char *path)
{
	struct stat st;
	long k;
	int id;

	if (stat(path, &st) < 0)
		return;
	/* the project ids the tests use */
	static const int ids[] = {NIPC_KEY_SYSTEMV, 1, 84, 167, 255};

	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		if (nipc_ftok(&k, path, ids[i]) < 0)
			break;
		if ((id = shmget(k, 0, 0)) >= 0)
			shmctl(id, IPC_RMID, NULL);
		if ((id = semget(k, 0, 0)) >= 0)
			semctl(id, 0, IPC_RMID);
	}
	unlink(path);
}

void obj_cleanup(void)
{
	DIR *d;
	struct dirent *e;
	char path[4096];

	obj_kill_children();
	for (int i = 0; i < n_noted; i++) {
		for (int sem = 0; sem < 2; sem++)
			for (int j = 0; j < noted[i].n_ids[sem]; j++) {
				int id = noted[i].ids[sem][j];

				if (!noted_alive(i, sem, id))
					continue;
				if (sem)
					semctl(id, 0, IPC_RMID);
				else
					shmctl(id, IPC_RMID, NULL);
			}
		free(noted[i].path);
	}
	n_noted = 0;
	for (int i = 0; i < n_posix; i++) {
		shm_unlink(posix_names[i]);
		sem_unlink(posix_names[i]);
		free(posix_names[i]);
	}
	n_posix = 0;
	if (!dir[0] || !(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		remove_sysv_file(path);
	}
	closedir(d);
	rmdir(dir);
	dir[0] = '\0';
}

void obj_track(const char *posix_name)
{
	if (n_posix < MAX_KEYS)
		posix_names[n_posix++] = strdup(posix_name);
}

nipc_key *obj_key(int type)
{
	char name[128];
	nipc_key *k;

	if (obj_setup() < 0)
		return NULL;
	if (nipc_key_type_is_systemv(type))
		snprintf(name, sizeof name, "%s/k%d", dir, ++counter);
	else {
		snprintf(name, sizeof name, "/nipc-test-%d-%d", (int)getpid(), ++counter);
		if (n_posix < MAX_KEYS)
			posix_names[n_posix++] = strdup(name);
	}
	if (nipc_key_new(&k, type, name) < 0)
		return NULL;
	return k;
}

static int sysv_key(const nipc_key *key, long *k)
{
	if (nipc_ftok(k, nipc_key_native(key), nipc_key_type(key)) < 0)
		return -1;
	note(nipc_key_native(key), *k);
	return 0;
}

void obj_note(const nipc_key *key)
{
	long k;

	if (nipc_key_type_is_systemv(nipc_key_type(key)))
		sysv_key(key, &k);
}

/* An object under a key this key file had at some time. */
static int noted_exists(const nipc_key *key, int shm)
{
	for (int i = 0; i < n_noted; i++)
		if (!strcmp(noted[i].path, nipc_key_native(key)))
			for (int j = 0; j < noted[i].n_ids[!shm]; j++)
				if (noted_alive(i, !shm, noted[i].ids[!shm][j]))
					return 1;
	return 0;
}

int obj_shm_exists(const nipc_key *key)
{
	char path[4096];
	long k;

	if (nipc_key_type_is_systemv(nipc_key_type(key)))
		return (sysv_key(key, &k) == 0 && shmget(k, 0, 0) >= 0) || noted_exists(key, 1);
	snprintf(path, sizeof path, "/dev/shm%s", nipc_key_native(key));
	return access(path, F_OK) == 0;
}

int obj_sem_exists(const nipc_key *key)
{
	char path[4096];
	long k;

	if (nipc_key_type_is_systemv(nipc_key_type(key)))
		return (sysv_key(key, &k) == 0 && semget(k, 0, 0) >= 0) || noted_exists(key, 0);
	snprintf(path, sizeof path, "/dev/shm/sem.%s", nipc_key_native(key) + 1);
	return access(path, F_OK) == 0;
}

int obj_leftover(const nipc_key *key)
{
	if (nipc_key_type_is_systemv(nipc_key_type(key)) &&
	    access(nipc_key_native(key), F_OK) == 0)
		return 1;
	return obj_shm_exists(key) || obj_sem_exists(key);
}

/* ------------------------------------------------------------- children */

int child_start(struct child *c, const nipc_key *key)
{
	const char *top = getenv("NIPC_TOP_BUILDDIR");
	char prog[4096], type[16];
	int in[2], out[2];

	snprintf(prog, sizeof prog, "%s/tests/progs/objhelper", top ? top : ".");
	snprintf(type, sizeof type, "%d", nipc_key_type(key));
	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	c->len = 0;
	c->pid = fork();
	if (c->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		const char *legacy = nipc_key_legacy(key);
		execl(prog, prog, type, nipc_key_native(key), legacy, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (c->pid > 0)
		track(c->pid, 0);
	c->in = in[1];
	c->out = out[0];
	if (c->pid < 0) {
		close(c->in);
		close(c->out);
		return -1;
	}
	return 0;
}

int child_send(struct child *c, const char *cmd)
{
	size_t n = strlen(cmd);

	signal(SIGPIPE, SIG_IGN);
	return write(c->in, cmd, n) == (ssize_t)n && write(c->in, "\n", 1) == 1 ? 0 : -1;
}

const char *child_reply(struct child *c, int timeout_ms)
{
	static char line[1024];
	struct pollfd p = {.fd = c->out, .events = POLLIN};
	char *nl;

	for (;;) {
		if ((nl = memchr(c->buf, '\n', c->len))) {
			size_t n = (size_t)(nl - c->buf);

			memcpy(line, c->buf, n);
			line[n] = '\0';
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			return line;
		}
		if (c->len == sizeof c->buf || poll(&p, 1, timeout_ms) <= 0)
			return "";
		ssize_t r = read(c->out, c->buf + c->len, sizeof c->buf - c->len);
		if (r <= 0)
			return "";
		c->len += (size_t)r;
	}
}

const char *child_cmd(struct child *c, const char *cmd, int timeout_ms)
{
	if (child_send(c, cmd) < 0)
		return "";
	return child_reply(c, timeout_ms);
}

static int reap(struct child *c, int ms, int *killed)
{
	int st = -1;

	*killed = 0;
	for (int i = 0; i < ms / 10; i++) {
		if (waitpid(c->pid, &st, WNOHANG) == c->pid)
			goto done;
		usleep(10000);
	}
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &st, 0);
	*killed = 1;
done:
	track(0, c->pid);
	close(c->in);
	close(c->out);
	c->pid = -1;
	return st;
}

int child_end(struct child *c)
{
	int killed;

	if (c->pid <= 0)
		return -1;
	child_send(c, "exit");
	return reap(c, 10000, &killed);
}

int child_kill(struct child *c)
{
	int killed;

	if (c->pid <= 0)
		return -1;
	kill(c->pid, SIGKILL);
	return reap(c, 10000, &killed);
}

int child_died(struct child *c, int ms)
{
	int killed, st;

	if (c->pid <= 0)
		return -1;
	st = reap(c, ms, &killed);
	return killed ? -1 : st;
}
