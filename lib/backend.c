/* SPDX-License-Identifier: MIT */
/* The backend registry, the error helpers and the small OS helpers that
 * shm.c, sem.c and the backends share, and the run-time probes. */
#include "config.h"

#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <dirent.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* ---------------------------------------------------------------- registry */

static const struct nipc_backend *override_sysv, *override_posix;

const struct nipc_backend *nipc__backend_for(int type)
{
	if (nipc_key_type_is_systemv(type))
		return override_sysv ? override_sysv : &nipc__sysv_backend;
	if (type == NIPC_KEY_POSIX)
		return override_posix ? override_posix : &nipc__posix_backend;
	return NULL;
}

void nipc__backend_override(int sysv, const struct nipc_backend *be)
{
	if (sysv)
		override_sysv = be;
	else
		override_posix = be;
}

const struct nipc_backend *nipc__backend_of(const nipc_key *key, struct nipc_why *why)
{
	const struct nipc_backend *be;

	if (nipc__key_check(key ? key->native : NULL, why))
		return NULL;
	if ((be = nipc__backend_for(key->type)))
		return be;
	if (nipc_key_type_is_valid(key->type))
		nipc__why_set(why, -NIPC_ENOTSUP, "key type not supported on this host");
	else
		nipc__why_set(why, -NIPC_EKEY, "invalid key type");
	return NULL;
}

/* ------------------------------------------------------------------ errors */

int nipc__err_set(struct nipc_err *e, int qt, const char *op, int code, const char *reason)
{
	int n = snprintf(e->text, sizeof e->text, "%s: ", op);

	e->qt = qt;
	e->reason = n > 0 && (size_t)n < sizeof e->text ? (size_t)n : 0;
	snprintf(e->text + e->reason, sizeof e->text - e->reason, "%s", reason);
	return code;
}

void nipc__err_clear(struct nipc_err *e)
{
	e->qt = 0;
	e->reason = 0;
	e->text[0] = '\0';
}

int nipc__why_set(struct nipc_why *why, int code, const char *text)
{
	why->code = code;
	snprintf(why->text, sizeof why->text, "%s", text);
	return code;
}

int nipc__key_check(const char *native, struct nipc_why *why)
{
	return native && native[0] ? 0 : nipc__why_set(why, -NIPC_EKEY, "key is empty");
}

int nipc__why_errno(struct nipc_why *why, int e)
{
	switch (e) {
	case EACCES:
	case EPERM:
		return nipc__why_set(why, -NIPC_EPERM, "permission denied");
	case EEXIST:
		return nipc__why_set(why, -NIPC_EEXIST, "already exists");
	case ENOENT:
		return nipc__why_set(why, -NIPC_ENOTFOUND, "doesn't exist");
	case EMFILE:
	case ENFILE:
	case ENOMEM:
	case ENOSPC:
		return nipc__why_set(why, -NIPC_ERESOURCES, "out of resources");
	}
	why->code = -NIPC_EUNKNOWN;
	snprintf(why->text, sizeof why->text, "unknown error: %s", strerror(e));
	return why->code;
}

/* ------------------------------------------------------------- OS helpers */

int nipc__fd_high(int fd)
{
	int high, e;

	if (fd < 0 || fd > 2)
		return fd;
	high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	e = errno;
	close(fd);
	errno = e;
	return high;
}

#define PID_REUSE_SLACK 10 /* seconds */

/* Start of process pid in seconds since the epoch, or -1. */
static long long start_time(pid_t pid, int *zombie)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks;
	long long btime = -1;
	FILE *f;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* after "pid (comm) ": state is field 3, starttime field 22 */
	if (!(p = strrchr(buf, ')')) || p[1] != ' ')
		return -1;
	*zombie = p[2] == 'Z' || p[2] == 'X';
	p += 2;
	for (int field = 3; field < 22; field++)
		if (!(p = strchr(p, ' ')))
			return -1;
		else
			p++;
	if (sscanf(p, "%llu", &ticks) != 1)
		return -1;
	if (!(f = fopen("/proc/stat", "re")))
		return -1;
	while (fgets(buf, sizeof buf, f))
		if (sscanf(buf, "btime %lld", &btime) == 1)
			break;
	fclose(f);
	return btime < 0 ? -1 : btime + (long long)(ticks / (unsigned long long)sysconf(_SC_CLK_TCK));
}

int nipc__pid_gone(pid_t pid, time_t when)
{
	int zombie = 0;
	long long start;

	if (pid <= 0)
		return 0;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 1;
	if ((start = start_time(pid, &zombie)) < 0)
		return 0;
	/* start is rounded down to a second, and comes from the boot time,
	 * which moves when the wall clock is stepped: only a start well after
	 * `when` proves a reused pid (a live holder must never read as gone) */
	return zombie || start > (long long)when + PID_REUSE_SLACK;
}

/* The initial PID namespace's nsfs inode number is fixed (the kernel's
 * PROC_PID_INIT_INO). */
#define PID_NS_INIT_INO 0xEFFFFFFCU

int nipc__pids_all_visible(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 && st.st_ino == PID_NS_INIT_INO;
}

/* ----------------------------------------------------- objects and maps */

struct nipc_obj *nipc__obj_add(struct nipc_objlist *l, const char *backend, int kind)
{
	struct nipc_obj *o;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct nipc_obj *v = realloc(l->v, cap * sizeof *v);

		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	o = &l->v[l->n++];
	memset(o, 0, sizeof *o);
	o->backend = backend;
	o->kind = kind;
	o->id = o->uid = o->gid = o->cuid = o->cgid = -1;
	o->cpid = o->lpid = o->nattch = -1;
	return o;
}

void nipc__objlist_clear(struct nipc_objlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].pids);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* What a maps line shows of a mapped file, ordered for bsearch. */
struct mapping {
	int sysv;
	dev_t dev;
	unsigned long ino;
};

static int mapping_cmp(const struct mapping *a, const struct mapping *b)
{
	if (a->sysv != b->sysv)
		return a->sysv < b->sysv ? -1 : 1;
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	return a->ino < b->ino ? -1 : a->ino > b->ino;
}

static struct mapping obj_mapping(const struct nipc_obj *o)
{
	struct mapping m = {o->map_sysv, o->map_sysv ? 0 : o->dev,
			    o->map_sysv ? (unsigned long)o->id : (unsigned long)o->ino};

	return m;
}

static int by_mapping(const void *a, const void *b)
{
	struct mapping x = obj_mapping(*(struct nipc_obj *const *)a);
	struct mapping y = obj_mapping(*(struct nipc_obj *const *)b);

	return mapping_cmp(&x, &y);
}

static int key_cmp(const void *key, const void *elem)
{
	struct mapping y = obj_mapping(*(struct nipc_obj *const *)elem);

	return mapping_cmp(key, &y);
}

static int add_pid(struct nipc_obj *o, long pid)
{
	if (o->npids && o->pids[o->npids - 1] == pid)
		return 0; /* another mapping of the same process */
	if (o->npids == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 4;
		long *p = realloc(o->pids, cap * sizeof *p);

		if (!p)
			return -NIPC_ENOMEM;
		o->pids = p;
		o->cap = cap;
	}
	o->pids[o->npids++] = pid;
	return 0;
}

/* One maps line: "start-end perms offset MAJ:MIN INODE   path". */
static int maps_line(const char *line, struct nipc_obj **idx, size_t n, long pid)
{
	struct mapping m;
	struct nipc_obj **hit;
	unsigned maj, min;
	unsigned long ino;
	int at = 0;

	if (sscanf(line, "%*s %*s %*s %x:%x %lu %n", &maj, &min, &ino, &at) < 3 || !ino)
		return 0;
	/* System V segments: "/SYSV<key> (deleted)" on the kernel's shm
	 * file system, the shmid as inode */
	m.sysv = at && !strncmp(line + at, "/SYSV", 5);
	m.dev = m.sysv ? 0 : makedev(maj, min);
	m.ino = ino;
	if (!(hit = bsearch(&m, idx, n, sizeof *idx, key_cmp)))
		return 0;
	return add_pid(*hit, pid);
}

/* Every line of one process's maps, read in whole lines. */
static int maps_of(long pid, struct nipc_obj **idx, size_t n)
{
	char path[64], buf[16384], carry[512];
	size_t kept = 0;
	ssize_t r;
	int fd, err = 0;

	snprintf(path, sizeof path, "/proc/%ld/maps", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	while (!err && (r = read(fd, buf + kept, sizeof buf - 1 - kept)) > 0) {
		size_t len = kept + (size_t)r;
		char *last, *line, *nl;

		buf[len] = '\0';
		last = strrchr(buf, '\n');
		kept = last ? len - (size_t)(last + 1 - buf) : len;
		if (kept >= sizeof carry)
			kept = 0; /* a line longer than any maps line: drop it */
		memcpy(carry, buf + len - kept, kept);
		if (last)
			last[1] = '\0';
		for (line = last ? buf : NULL; line && *line && !err; line = nl + 1) {
			nl = strchr(line, '\n');
			*nl = '\0';
			err = maps_line(line, idx, n, pid);
		}
		memcpy(buf, carry, kept);
	}
	close(fd);
	return err;
}

int nipc__maps_scan(struct nipc_obj *v, size_t n, pid_t skip)
{
	struct nipc_obj **idx;
	struct dirent *e;
	size_t m = 0;
	int err = 0;
	DIR *d;

	if (!(idx = malloc((n ? n : 1) * sizeof *idx)))
		return -NIPC_ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (v[i].mappable)
			idx[m++] = &v[i];
	qsort(idx, m, sizeof *idx, by_mapping);
	if (!(d = opendir("/proc"))) {
		free(idx);
		return -1;
	}
	while (m && !err && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0 || (skip > 0 && pid == (long)skip))
			continue;
		err = maps_of(pid, idx, m);
	}
	closedir(d);
	free(idx);
	return err;
}

long nipc__mappers(dev_t dev, ino_t ino)
{
	struct nipc_obj o = {.dev = dev, .ino = ino, .mappable = 1};
	long n;

	n = nipc__maps_scan(&o, 1, getpid()) < 0 ? -1 : (long)o.npids;
	free(o.pids);
	return n;
}

void nipc__sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long nipc__deadline(long timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

long nipc__left_ms(long long deadline)
{
	long long left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	return left > 0 ? (long)left : 0;
}

/* ------------------------------------------------------------------ probes */

/* Run-time checks: System V IPC may be compiled out or forbidden (seccomp,
 * containers), which IPC_INFO tells as shmget/semget would, without making
 * an object that a tracer, ipcs or a racing cleaner would see; POSIX
 * objects need a writable /dev/shm. */
static int sysv_shm_works(void)
{
	struct shminfo info;

	return shmctl(0, IPC_INFO, (struct shmid_ds *)(void *)&info) >= 0 && info.shmmni > 0;
}

static int sysv_sem_works(void)
{
	struct seminfo info;
	union {
		int val;
		struct semid_ds *buf;
		unsigned short *array;
		struct seminfo *info;
	} arg = {.info = &info};

	return semctl(0, 0, IPC_INFO, arg) >= 0 && info.semmni > 0;
}

static int supported(int type, int (*sysv_works)(void))
{
	if (nipc_key_type_is_systemv(type))
		return sysv_works();
	if (type == NIPC_KEY_POSIX)
		return access("/dev/shm", W_OK | X_OK) == 0;
	return 0;
}

int nipc_shm_key_type_supported(int type)
{
	return supported(type, sysv_shm_works);
}

int nipc_sem_key_type_supported(int type)
{
	return supported(type, sysv_sem_works);
}
