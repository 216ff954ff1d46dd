/* SPDX-License-Identifier: MIT */
/* The ledger store (ledger.h): open, lock, add, and the liveness checks
 * that decide whether a recorded object may go. libc only; in the shim it
 * runs with the hooks passed through. */
#include "config.h"

#include "ledger.h"
#include "rules.h"
#include "../tools/procscan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#define LOCK_RETRY_NS 50000000L

int ledger_path(char *buf, size_t len)
{
	const char *dir = getenv("NIPC_LEDGER_DIR");
	int n;

	if (!dir || !*dir)
		dir = "/dev/shm";
	n = snprintf(buf, len, "%s/nipc.ledger.%u", dir, (unsigned)getuid());
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static struct ledger_head *map_fd(int fd)
{
	void *p = mmap(NULL, LEDGER_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int valid(const struct ledger_head *h)
{
	return __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) == LEDGER_MAGIC &&
	       h->version == LEDGER_VERSION && h->slots == LEDGER_SLOTS &&
	       h->rec_size == sizeof(struct ledger_rec) &&
	       h->head_size == sizeof(struct ledger_head);
}

static struct ledger_head *open_existing(const char *path)
{
	struct ledger_head *h;
	struct stat st;
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || (size_t)st.st_size != LEDGER_BYTES || st.st_uid != getuid()) {
		close(fd);
		errno = EPROTO;
		return NULL;
	}
	h = map_fd(fd);
	close(fd);
	if (h && !valid(h)) {
		munmap(h, LEDGER_BYTES);
		errno = EPROTO;
		return NULL;
	}
	return h;
}

/* A complete ledger under a temporary name, linked to the final one. */
static struct ledger_head *create(const char *path)
{
	char tmp[4200];
	pthread_mutexattr_t a;
	struct ledger_head *h;
	int fd, e;

	snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, LEDGER_BYTES) || !(h = map_fd(fd))) {
		e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return NULL;
	}
	close(fd);
	h->version = LEDGER_VERSION;
	h->slots = LEDGER_SLOTS;
	h->rec_size = sizeof(struct ledger_rec);
	h->head_size = sizeof(struct ledger_head);
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	e = pthread_mutex_init(&h->lock, &a);
	pthread_mutexattr_destroy(&a);
	if (!e) {
		__atomic_store_n(&h->magic, LEDGER_MAGIC, __ATOMIC_RELEASE);
		if (link(tmp, path))
			e = errno;
	}
	unlink(tmp);
	if (e) {
		munmap(h, LEDGER_BYTES);
		errno = e;
		return NULL;
	}
	return h;
}

struct ledger_head *ledger_open(int make)
{
	char path[4096];
	struct ledger_head *h;

	if (ledger_path(path, sizeof path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	for (int i = 0; i < 3; i++) {
		h = open_existing(path);
		if (h || errno != ENOENT || !make)
			return h;
		h = create(path);
		if (h || errno != EEXIST)
			return h;
	}
	return NULL;
}

void ledger_close(struct ledger_head *h)
{
	if (h)
		munmap(h, LEDGER_BYTES);
}

/* No wait is unbounded (a robust futex can lose a wake-up when a waiter
 * is killed): each ends after LOCK_RETRY_NS and tries again. */
int ledger_lock(struct ledger_head *h)
{
	struct timespec t;
	int e = pthread_mutex_trylock(&h->lock);

	while (e == EBUSY || e == ETIMEDOUT) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_nsec += LOCK_RETRY_NS;
		if (t.tv_nsec >= 1000000000) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000;
		}
		e = pthread_mutex_clocklock(&h->lock, CLOCK_MONOTONIC, &t);
	}
	if (e == EOWNERDEAD) {
		for (int i = 0; i < LEDGER_SLOTS; i++)
			if (h->rec[i].state == LR_WRITING)
				__atomic_store_n(&h->rec[i].state, LR_FREE, __ATOMIC_RELEASE);
		e = pthread_mutex_consistent(&h->lock);
	}
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

void ledger_unlock(struct ledger_head *h)
{
	pthread_mutex_unlock(&h->lock);
}

static int read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return (int)n;
}

uint64_t ledger_proc_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	uint64_t start = 0;
	int field;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof buf) < 0)
		return 0;
	/* the command may hold spaces and ')': fields count from the last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	for (field = 2; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	while (*p >= '0' && *p <= '9')
		start = start * 10 + (uint64_t)(*p++ - '0');
	return start;
}

int ledger_alive(pid_t pid, uint64_t start)
{
	return pid > 0 && start && ledger_proc_start(pid) == start;
}

void ledger_fill_self(struct ledger_rec *r)
{
	struct timespec ts;
	char buf[32];
	int n;

	r->pid = (int32_t)getpid();
	r->start = ledger_proc_start(getpid());
	r->uid = (uint32_t)getuid();
	clock_gettime(CLOCK_REALTIME, &ts);
	r->ctime_sec = ts.tv_sec;
	r->ctime_nsec = ts.tv_nsec;
	memset(r->comm, 0, sizeof r->comm);
	n = read_small("/proc/self/comm", buf, sizeof buf);
	if (n > 0) {
		if (buf[n - 1] == '\n')
			buf[--n] = 0;
		memcpy(r->comm, buf, (size_t)n < sizeof r->comm ? (size_t)n : sizeof r->comm - 1);
	}
}

/* Where a POSIX object lives: /dev/shm/NAME, /dev/shm/sem.NAME. */
static int posix_path(const struct ledger_rec *r, char *buf, size_t len)
{
	const char *n = r->name[0] == '/' ? r->name + 1 : r->name;
	int k = snprintf(buf, len, "/dev/shm/%s%s", r->family == RF_POSIX_SEM ? "sem." : "", n);

	return !*n || strchr(n, '/') || k < 0 || (size_t)k >= len ? -1 : 0;
}

static int is_posix(const struct ledger_rec *r)
{
	return r->family == RF_POSIX_SHM || r->family == RF_POSIX_SEM;
}

int ledger_exists(const struct ledger_rec *r)
{
	char path[300];
	struct stat st;

	if (is_posix(r))
		return !posix_path(r, path, sizeof path) && !stat(path, &st) &&
		       (uint64_t)st.st_dev == r->dev && (uint64_t)st.st_ino == r->ino;
	if (r->family == RF_SYSV_SHM) {
		struct shmid_ds ds;

		return !shmctl(r->id, IPC_STAT, &ds) || errno == EACCES;
	}
	if (r->family == RF_SYSV_SEM) {
		struct semid_ds ds;
		union { int v; struct semid_ds *buf; } arg = {.buf = &ds};

		return !semctl(r->id, 0, IPC_STAT, arg) || errno == EACCES;
	}
	return 0;
}

/* Whether an unreadable process may be a user: it is not root's (a root
 * process using a user's object is not looked for) and the object's
 * permission lets its uid in. */
static int unreadable_users(const struct procscan *ps, uid_t owner, mode_t mode)
{
	const struct procscan_proc *p;
	int n;

	p = procscan_procs(ps, &n);
	for (int i = 0; i < n; i++)
		if (p[i].unreadable && p[i].uid != 0 &&
		    (p[i].uid == owner || (mode & 066)))
			return 1;
	return 0;
}

static int users_besides(const struct procscan *ps, dev_t dev, ino_t ino, pid_t skip)
{
	const struct procscan_proc *p;
	int idx[64], n, np;

	p = procscan_procs(ps, &np);
	n = procscan_users(ps, dev, ino, idx, 64);
	for (int i = 0; i < n && i < 64; i++)
		if (p[idx[i]].pid != skip)
			return 1;
	return n > 64;
}

static int sem_busy(const struct ledger_rec *r, pid_t skip)
{
	struct semid_ds ds;
	union { int v; struct semid_ds *buf; } arg = {.buf = &ds};

	if (semctl(r->id, 0, IPC_STAT, arg))
		return errno != EINVAL && errno != EIDRM;
	for (unsigned long i = 0; i < ds.sem_nsems; i++) {
		int pid = semctl(r->id, (int)i, GETPID);

		if (semctl(r->id, (int)i, GETNCNT) > 0 || semctl(r->id, (int)i, GETZCNT) > 0)
			return 1;
		if (pid > 0 && pid != skip && (kill(pid, 0) == 0 || errno == EPERM))
			return 1;
	}
	return 0;
}

int ledger_in_use(const struct ledger_rec *r, pid_t skip)
{
	struct procscan *ps;
	char path[300];
	struct stat st;
	int used;

	if (r->family == RF_SYSV_SEM)
		return sem_busy(r, skip);
	ps = procscan_new();
	if (!ps)
		return 1;
	if (is_posix(r)) {
		if (posix_path(r, path, sizeof path) || stat(path, &st)) {
			procscan_free(ps);
			return 0;
		}
		used = users_besides(ps, (dev_t)r->dev, (ino_t)r->ino, skip) ||
		       unreadable_users(ps, st.st_uid, st.st_mode);
	} else {
		struct shmid_ds ds;

		if (shmctl(r->id, IPC_STAT, &ds)) {
			procscan_free(ps);
			return errno != EINVAL && errno != EIDRM;
		}
		used = users_besides(ps, PROCSCAN_SYSV_DEV, (ino_t)r->id, skip) ||
		       (ds.shm_nattch > 0 && unreadable_users(ps, ds.shm_perm.uid,
							      ds.shm_perm.mode));
	}
	procscan_free(ps);
	return used;
}

int ledger_remove_object(const struct ledger_rec *r, pid_t skip)
{
	char path[300], aside[340];
	struct procscan *ps;
	struct stat st;
	int used;

	if (r->family == RF_SYSV_SHM)
		return shmctl(r->id, IPC_RMID, NULL);
	if (r->family == RF_SYSV_SEM)
		return semctl(r->id, 0, IPC_RMID);
	if (posix_path(r, path, sizeof path)) {
		errno = EINVAL;
		return -1;
	}
	/* aside first: new openers get ENOENT; users are then looked for
	 * again, and the object is removed or put back */
	snprintf(aside, sizeof aside, "%s.nipc-rm.%d", path, (int)getpid());
	if (rename(path, aside))
		return -1;
	ps = procscan_new();
	used = !ps || stat(aside, &st) || (uint64_t)st.st_dev != r->dev ||
	       (uint64_t)st.st_ino != r->ino ||
	       users_besides(ps, (dev_t)r->dev, (ino_t)r->ino, skip) ||
	       unreadable_users(ps, st.st_uid, st.st_mode);
	procscan_free(ps);
	if (used) {
		rename(aside, path);
		errno = EBUSY;
		return -1;
	}
	return unlink(aside);
}

int ledger_add(struct ledger_head *h, const struct ledger_rec *r)
{
	int i, swept = 0;

	if (ledger_lock(h))
		return -1;
again:
	for (i = 0; i < LEDGER_SLOTS; i++)
		if (h->rec[i].state == LR_FREE)
			break;
	if (i == LEDGER_SLOTS) {
		if (!swept) {
			for (int j = 0; j < LEDGER_SLOTS; j++)
				if (!ledger_exists(&h->rec[j]))
					__atomic_store_n(&h->rec[j].state, LR_FREE, __ATOMIC_RELEASE);
			swept = 1;
			goto again;
		}
		ledger_unlock(h);
		errno = ENOSPC;
		return -1;
	}
	__atomic_store_n(&h->rec[i].state, LR_WRITING, __ATOMIC_RELEASE);
	memcpy((char *)&h->rec[i] + sizeof h->rec[i].state, (const char *)r + sizeof r->state,
	       sizeof *r - sizeof r->state);
	__atomic_store_n(&h->rec[i].state, LR_LIVE, __ATOMIC_RELEASE);
	ledger_unlock(h);
	return 0;
}

/* Whether record r is due: its creator is gone (or is self, exiting) and
 * its policy removes it then. */
static int due(const struct ledger_rec *r, pid_t self, uint64_t self_start)
{
	if (r->cleanup == RC_NEVER)
		return 0;
	if ((self && r->pid == self && r->start == self_start) || !ledger_alive(r->pid, r->start))
		return 1;
	if (r->cleanup != RC_LAST_DETACH)
		return 0;
	/* a live creator's segment is not left before it was first attached */
	if (r->family == RF_SYSV_SHM) {
		struct shmid_ds ds;

		return !shmctl(r->id, IPC_STAT, &ds) && ds.shm_atime != 0;
	}
	return 1;
}

int ledger_sweep_key(struct ledger_head *h, pid_t self, unsigned family, const char *key)
{
	uint64_t self_start = self ? ledger_proc_start(self) : 0;
	int removed = 0, locked = 0;

	for (int i = 0; i < LEDGER_SLOTS; i++) {
		struct ledger_rec *r = &h->rec[i];

		if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != LR_LIVE)
			continue;
		if (self && !key && (r->pid != self || r->start != self_start))
			continue;
		if (key && (r->family != family || strcmp(r->key, key)))
			continue;
		if (!locked) {
			if (ledger_lock(h))
				return -1;
			locked = 1;
		}
		if (r->state != LR_LIVE)
			continue;
		if (!ledger_exists(r)) {
			__atomic_store_n(&r->state, LR_FREE, __ATOMIC_RELEASE);
			continue;
		}
		if (!due(r, self, self_start) || ledger_in_use(r, self))
			continue;
		if (!ledger_remove_object(r, self) || !ledger_exists(r)) {
			__atomic_store_n(&r->state, LR_FREE, __ATOMIC_RELEASE);
			removed++;
		}
	}
	if (locked)
		ledger_unlock(h);
	return removed;
}
