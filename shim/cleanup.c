/* SPDX-License-Identifier: MIT */
/* cleanup= rules (nipc-preload(7) CLEANUP): the creations the shim
 * records in the ledger (ledger.h), and the removal of what this process
 * created with cleanup=exit, and of the last-detach objects it used, when
 * it exits. Only objects a cleanup= rule
 * decides are looked at, and only where they are created or opened by
 * name: never on a hot call. */
#include "config.h"

#include "shim.h"
#include "ledger.h"
#include "rules.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

uint64_t shim_ledger_ops;
struct shim_next shim_ledger_calls;

static struct ledger_head *ledger;
static pthread_mutex_t ledger_open_lock = PTHREAD_MUTEX_INITIALIZER;

/* Truncated copies (a longer key is shown cut; names fit NAME_MAX). */
static void copy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

/* The ledger, opened (and made) on first use. */
static struct ledger_head *reach(void)
{
	struct ledger_head *h = __atomic_load_n(&ledger, __ATOMIC_ACQUIRE);

	if (h)
		return h;
	pthread_mutex_lock(&ledger_open_lock);
	if (!ledger)
		__atomic_store_n(&ledger, ledger_open(1), __ATOMIC_RELEASE);
	h = ledger;
	pthread_mutex_unlock(&ledger_open_lock);
	return h;
}

/* What the rules say of the object's cleanup (RC_UNSET: nothing); k is
 * filled with the key text. */
static enum rules_cleanup decide_posix(unsigned fam, const char *name, struct shim_event *ev)
{
	struct rules_decision d;
	struct rules_key k = {.family = fam, .native = name, .uid = getuid()};

	ev->key[0] = 0;
	ev->key_type = -1;
	ev_key_posix(ev, name);
	ev_key_finish(ev);
	k.text = ev->key;
	rules_decide(shim_rules, &k, &d);
	return d.cleanup;
}

static enum rules_cleanup decide_sysv(unsigned fam, key_t key, struct shim_event *ev)
{
	struct rules_decision d;
	struct rules_key k = {.family = fam, .has_keyt = 1, .keyt = key, .uid = getuid()};

	ev->key[0] = 0;
	ev->key_type = -1;
	ev_key_sysv(ev, key);
	ev_key_finish(ev);
	k.text = ev->key;
	rules_decide(shim_rules, &k, &d);
	return d.cleanup;
}

/* The last-detach objects this process opened: at exit, each goes if
 * nobody else uses it. Fixed size, no allocation in a hook; objects past
 * the last slot are left to the next sweep. */
#define USED_MAX 64
static struct {
	unsigned family;
	char key[LEDGER_KEY_MAX];
} used[USED_MAX];
static int nused;
static pthread_mutex_t used_lock = PTHREAD_MUTEX_INITIALIZER;

static void note_used(unsigned fam, const char *key)
{
	pthread_mutex_lock(&used_lock);
	for (int i = 0; i < nused; i++)
		if (used[i].family == fam && !strncmp(used[i].key, key, LEDGER_KEY_MAX - 1))
			goto out;
	if (nused < USED_MAX) {
		used[nused].family = fam;
		copy(used[nused].key, LEDGER_KEY_MAX, key);
		nused++;
	}
out:
	pthread_mutex_unlock(&used_lock);
}

/* A leftover of the object: a record whose policy says it should be gone
 * now (its creator died) is acted on before the object is opened again. */
static void stale(unsigned fam, const char *key)
{
	struct ledger_head *h = reach();

	if (h)
		ledger_sweep_key(h, 0, fam, key);
}

/* The creator fields, read from /proc once per process (a fork child has
 * a pid of its own; an exec loads the shim anew). */
static void fill_creator(struct ledger_rec *r)
{
	static struct ledger_rec self;
	static pthread_mutex_t self_lock = PTHREAD_MUTEX_INITIALIZER;
	struct timespec ts;

	pthread_mutex_lock(&self_lock);
	if (self.pid != (int32_t)getpid())
		ledger_fill_self(&self);
	r->pid = self.pid;
	r->start = self.start;
	r->uid = self.uid;
	memcpy(r->comm, self.comm, sizeof r->comm);
	pthread_mutex_unlock(&self_lock);
	clock_gettime(CLOCK_REALTIME, &ts);
	r->ctime_sec = ts.tv_sec;
	r->ctime_nsec = ts.tv_nsec;
}

/* Records a creation; 0, or -1 with errno when the policy acts and the
 * ledger cannot take it (the caller then undoes the creation). */
static int record(struct ledger_rec *r, enum rules_cleanup cl)
{
	struct ledger_head *h = reach();
	int e;

	r->cleanup = cl;
	fill_creator(r);
	if (h && !ledger_add(h, r))
		return 0;
	e = h ? errno : (errno ? errno : EIO);
	if (cl == RC_NEVER)
		return 0;
	errno = e;
	return -1;
}

static void set_key(struct ledger_rec *r, const char *key, const char *name)
{
	copy(r->key, sizeof r->key, key);
	if (name)
		copy(r->name, sizeof r->name, name);
}

static int l_shm_open(const char *name, int oflag, mode_t mode)
{
	struct shim_event ev;
	struct ledger_rec r = {.family = RF_POSIX_SHM, .id = -1};
	enum rules_cleanup cl = decide_posix(RF_POSIX_SHM, name, &ev);
	struct stat st;
	int fd = -1, created = 0, e;

	if (cl == RC_UNSET)
		return shim_next.shm_open(name, oflag, mode);
	stale(RF_POSIX_SHM, ev.key);
	if (cl == RC_LAST_DETACH)
		note_used(RF_POSIX_SHM, ev.key);
	if (!(oflag & O_CREAT))
		return shim_next.shm_open(name, oflag, mode);
	/* exclusive first, as glibc's sem_open: then it is known who made it */
	for (int i = 0; i < 4 && fd < 0; i++) {
		fd = shim_next.shm_open(name, oflag | O_EXCL, mode);
		if (fd >= 0) {
			created = 1;
		} else if (errno == EEXIST && !(oflag & O_EXCL)) {
			fd = shim_next.shm_open(name, oflag & ~(O_CREAT | O_TRUNC), mode);
			if (fd >= 0 && (oflag & O_TRUNC) && ftruncate(fd, 0)) {
				e = errno;
				shim_next.close(fd);
				errno = e;
				return -1;
			}
			if (fd < 0 && errno != ENOENT)
				return -1;
		} else {
			return -1;
		}
	}
	if (fd < 0)
		return shim_next.shm_open(name, oflag, mode);
	if (!created)
		return fd;
	set_key(&r, ev.key, name);
	if (!fstat(fd, &st)) {
		r.dev = (uint64_t)st.st_dev;
		r.ino = (uint64_t)st.st_ino;
	}
	if (record(&r, cl)) {
		e = errno;
		shim_next.close(fd);
		shim_next.shm_unlink(name);
		errno = e;
		return -1;
	}
	return fd;
}

static sem_t *l_sem_open(const char *name, int oflag, ...)
{
	struct shim_event ev;
	struct ledger_rec r = {.family = RF_POSIX_SEM, .id = -1};
	enum rules_cleanup cl = decide_posix(RF_POSIX_SEM, name, &ev);
	mode_t mode = 0;
	unsigned value = 0;
	char path[300];
	struct stat st;
	sem_t *s;
	int e;

	if (oflag & O_CREAT) {
		va_list ap;

		va_start(ap, oflag);
		mode = va_arg(ap, mode_t);
		value = va_arg(ap, unsigned);
		va_end(ap);
	}
	if (cl != RC_UNSET)
		stale(RF_POSIX_SEM, ev.key);
	if (cl == RC_LAST_DETACH)
		note_used(RF_POSIX_SEM, ev.key);
	if (cl == RC_UNSET || !(oflag & O_CREAT))
		return (oflag & O_CREAT) ? shim_next.sem_open(name, oflag, mode, value)
					 : shim_next.sem_open(name, oflag);
	for (int i = 0; i < 4; i++) {
		s = shim_next.sem_open(name, oflag | O_EXCL, mode, value);
		if (s != SEM_FAILED)
			break;
		if (errno != EEXIST || (oflag & O_EXCL))
			return SEM_FAILED;
		s = shim_next.sem_open(name, oflag & ~O_CREAT);
		if (s != SEM_FAILED || errno != ENOENT)
			return s;
	}
	if (s == SEM_FAILED)
		return shim_next.sem_open(name, oflag, mode, value);
	set_key(&r, ev.key, name);
	snprintf(path, sizeof path, "/dev/shm/sem.%s", name[0] == '/' ? name + 1 : name);
	if (!stat(path, &st)) {
		r.dev = (uint64_t)st.st_dev;
		r.ino = (uint64_t)st.st_ino;
	}
	if (record(&r, cl)) {
		e = errno;
		shim_next.sem_close(s);
		shim_next.sem_unlink(name);
		errno = e;
		return SEM_FAILED;
	}
	return s;
}

/* shmget and semget: IPC_PRIVATE always makes a new object; a key with
 * IPC_CREAT is tried with IPC_EXCL first. */
#define SYSV_GET(fn, fam, rmid) \
static int l_##fn(key_t key, size_t_or_int n, int flags) \
{ \
	struct shim_event ev; \
	struct ledger_rec r = {.family = fam}; \
	enum rules_cleanup cl = decide_sysv(fam, key, &ev); \
	int id = -1, created = 0, e; \
	\
	if (cl == RC_UNSET) \
		return shim_next.fn(key, n, flags); \
	if (key != IPC_PRIVATE) \
		stale(fam, ev.key); \
	if (key != IPC_PRIVATE && cl == RC_LAST_DETACH) \
		note_used(fam, ev.key); \
	if (!(flags & IPC_CREAT) && key != IPC_PRIVATE) \
		return shim_next.fn(key, n, flags); \
	if (key == IPC_PRIVATE) { \
		id = shim_next.fn(key, n, flags); \
		created = id >= 0; \
	} else { \
		for (int i = 0; i < 4 && id < 0; i++) { \
			id = shim_next.fn(key, n, flags | IPC_EXCL); \
			if (id >= 0) \
				created = 1; \
			else if (errno == EEXIST && !(flags & IPC_EXCL)) { \
				id = shim_next.fn(key, n, flags & ~IPC_CREAT); \
				if (id < 0 && errno != ENOENT) \
					return -1; \
			} else \
				return -1; \
		} \
		if (id < 0) \
			return shim_next.fn(key, n, flags); \
	} \
	if (!created) \
		return id; \
	r.id = id; \
	r.keyt = (int32_t)key; \
	set_key(&r, ev.key, NULL); \
	if (record(&r, cl)) { \
		e = errno; \
		rmid; \
		errno = e; \
		return -1; \
	} \
	return id; \
}

#define size_t_or_int size_t
SYSV_GET(shmget, RF_SYSV_SHM, shim_next.shmctl(id, IPC_RMID, NULL))
#undef size_t_or_int
#define size_t_or_int int
SYSV_GET(semget, RF_SYSV_SEM, shim_next.semctl(id, 0, IPC_RMID))
#undef size_t_or_int

/* At exit (exit(), return from main; not _exit or a signal: then the
 * launcher, nipc clean or the next opener does it): this process's
 * cleanup=exit objects nobody else uses go. */
__attribute__((destructor)) static void at_exit(void)
{
	struct ledger_head *h;

	if (!shim_ledger_ops)
		return;
	shim_busy++;
	/* an exec'd image exits as the process that created them: opened
	 * here, not made */
	h = __atomic_load_n(&ledger, __ATOMIC_ACQUIRE);
	if (!h)
		h = ledger_open(0);
	if (h) {
		ledger_sweep_key(h, getpid(), 0, NULL);
		for (int i = 0; i < nused; i++)
			ledger_sweep_key(h, getpid(), used[i].family, used[i].key);
	}
	shim_busy--;
}

void cleanup_init(void)
{
	unsigned fam;

	if (!shim_rules)
		return;
	fam = rules_families(shim_rules, RK_CLEANUP);
	if (!(fam & (RF_POSIX_SHM | RF_POSIX_SEM | RF_SYSV_SHM | RF_SYSV_SEM)))
		return;
	shim_ledger_calls = shim_next;
	if (fam & RF_POSIX_SHM) {
		shim_ledger_ops |= OPBIT(SHM_OPEN);
		shim_ledger_calls.shm_open = l_shm_open;
	}
	if (fam & RF_POSIX_SEM) {
		shim_ledger_ops |= OPBIT(SEM_OPEN);
		shim_ledger_calls.sem_open = l_sem_open;
	}
	if (fam & RF_SYSV_SHM) {
		shim_ledger_ops |= OPBIT(SHMGET);
		shim_ledger_calls.shmget = l_shmget;
	}
	if (fam & RF_SYSV_SEM) {
		shim_ledger_ops |= OPBIT(SEMGET);
		shim_ledger_calls.semget = l_semget;
	}
}
