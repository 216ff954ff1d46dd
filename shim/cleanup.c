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
#include "../tools/procscan.h"

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

SHIM_HOT_DATA uint64_t shim_ledger_ops;
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

	ev_key_none(ev);
	ev_key_posix(ev, name, SHIM_LEN_UNKNOWN);
	ev_key_finish(ev);
	k.text = ev->key;
	rules_decide(shim_rules, &k, &d);
	return d.cleanup;
}

static enum rules_cleanup decide_sysv(unsigned fam, key_t key, struct shim_event *ev)
{
	struct rules_decision d;
	struct rules_key k = {.family = fam, .has_keyt = 1, .keyt = key, .uid = getuid()};

	ev_key_none(ev);
	ev_key_sysv(ev, key);
	ev_key_finish(ev);
	k.text = ev->key;
	rules_decide(shim_rules, &k, &d);
	return d.cleanup;
}

/* The objects under cleanup=exit or last-detach this process opened,
 * created or not: when the program's last mapping and descriptor of one
 * go (munmap, close, close_range; sem_close; shmdt), /proc is asked
 * whether anything still uses it, and the ledger removes it if nothing
 * does and its policy says so (a cleanup=exit object only once its
 * creator is gone). At exit, each is swept again. Fixed size, no
 * allocation in a hook; objects past the last slot are left to the exit
 * sweep and the next nipc clean.
 *
 * Each POSIX object has the shim's own descriptor (guard.c), high and
 * close-on-exec: its identity (the name can be renamed aside or replaced;
 * the descriptor cannot), and this process stays a user in every other
 * process's recheck until its own decision is made. The program's close
 * and close_range are interposed so that they never close it (close says
 * EBADF: the program never had it; close_range closes around it). dup2
 * and dup3 are not interposed, and the close_range system call made
 * through syscall(2) is not seen: instead of trusting the number, the
 * shim checks before every use that it still names the object (fstat:
 * device and inode) and forgets it otherwise, so it never closes a
 * descriptor the program now owns; the decision itself needs only the
 * device and inode kept here, never the descriptor. Re-opening by name
 * would be wrong: the name may lead to another object by then. */
#define USED_MAX 64
static struct used {
	unsigned family;
	int live;               /* the program holds it, as far as the shim saw */
	int fd;                 /* the shim's descriptor (POSIX, guard.c), -1: none */
	int id;                 /* System V: the shmid */
	uint64_t dev, ino;      /* POSIX: the object's file */
	char key[LEDGER_KEY_MAX];
} used[USED_MAX];
static int nused;
static pthread_mutex_t used_lock = PTHREAD_MUTEX_INITIALIZER;

static void unguard(struct used *u)
{
	shim_guard_drop(u->fd);
	u->fd = -1;
}

/* Notes an object the program now holds: fd is its descriptor (POSIX
 * segment), or -1 and path its file (named semaphore), or id (System V). */
static void note_used(unsigned fam, const char *key, int fd, const char *path, int id)
{
	struct stat st = {0};
	struct used *u = NULL;
	int own = -1;

	if (fam == RF_POSIX_SHM && fstat(fd, &st))
		return;
	if (fam == RF_POSIX_SEM && (own = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return;
	if (own >= 0 && fstat(own, &st)) {
		shim_next.close(own);
		return;
	}
	pthread_mutex_lock(&used_lock);
	for (int i = 0; i < nused && !u; i++)
		if (used[i].family == fam && !strncmp(used[i].key, key, LEDGER_KEY_MAX - 1))
			u = &used[i];
	if (!u && nused < USED_MAX) {
		u = &used[nused++];
		u->family = fam;
		u->fd = -1;
		copy(u->key, LEDGER_KEY_MAX, key);
	}
	if (u) {
		if (fam == RF_SYSV_SHM || fam == RF_SYSV_SEM) {
			u->id = id;
		} else if (u->fd < 0 || !shim_guard_is(u->fd) || (uint64_t)st.st_dev != u->dev ||
			   (uint64_t)st.st_ino != u->ino) {
			/* new, lost, or the name now leads to another object */
			unguard(u);
			u->dev = (uint64_t)st.st_dev;
			u->ino = (uint64_t)st.st_ino;
			u->fd = shim_guard_take(own >= 0 ? own : fd);
		}
		u->live = 1;
	}
	pthread_mutex_unlock(&used_lock);
	if (own >= 0)
		shim_next.close(own);
}

/* The program may have let its last hold of an object of family fam go:
 * each such object this process no longer maps or holds open (its own
 * descriptor aside) is offered to the ledger, which removes it if its
 * policy says so and no other process uses it. */
static void released(unsigned fam)
{
	struct ledger_head *h;

	/* a vfork child shares this table, not the descriptors */
	if (event_in_vfork_child())
		return;
	pthread_mutex_lock(&used_lock);
	for (int i = 0; i < nused; i++) {
		struct used *u = &used[i];
		int mine;

		if (!u->live || u->family != fam)
			continue;
		if (fam == RF_SYSV_SHM)
			mine = procscan_self_uses(PROCSCAN_SYSV_DEV, (ino_t)u->id, -1);
		else
			mine = procscan_self_uses((dev_t)u->dev, (ino_t)u->ino, u->fd);
		if (mine)
			continue;
		u->live = 0;
		unguard(u);
		if ((h = reach()))
			ledger_sweep_key(h, 0, u->family, u->key);
	}
	pthread_mutex_unlock(&used_lock);
}

static int l_close(int fd)
{
	struct stat st;
	int r, known;

	if (shim_guard_is(fd)) {
		errno = EBADF;
		return -1;
	}
	known = !fstat(fd, &st) && S_ISREG(st.st_mode);
	r = shim_next.close(fd);
	if (!r && known)
		released(RF_POSIX_SHM);
	return r;
}

static int l_close_range(unsigned first, unsigned last, int flags)
{
	int r = shim_guard_close_range(first, last, flags);

	if (!r)
		released(RF_POSIX_SHM);
	return r;
}

static int l_munmap(void *addr, size_t len)
{
	int r = shim_next.munmap(addr, len);

	if (!r)
		released(RF_POSIX_SHM);
	return r;
}

static int l_sem_close(sem_t *s)
{
	int r = shim_next.sem_close(s);

	if (!r)
		released(RF_POSIX_SEM);
	return r;
}

static int l_shmdt(const void *addr)
{
	int r = shim_next.shmdt(addr);

	if (!r)
		released(RF_SYSV_SHM);
	return r;
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

static void sem_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/dev/shm/sem.%s", name[0] == '/' ? name + 1 : name);
}

static void set_key(struct ledger_rec *r, const char *key, const char *name)
{
	copy(r->key, sizeof r->key, key);
	if (name)
		copy(r->name, sizeof r->name, name);
}

static int shm_open_rec(const char *name, int oflag, mode_t mode, enum rules_cleanup cl,
			const char *key)
{
	struct ledger_rec r = {.family = RF_POSIX_SHM, .id = -1};
	struct stat st;
	int fd = -1, created = 0, e;

	if (cl == RC_UNSET)
		return shim_next.shm_open(name, oflag, mode);
	stale(RF_POSIX_SHM, key);
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
	set_key(&r, key, name);
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

static int l_shm_open(const char *name, int oflag, mode_t mode)
{
	struct shim_event ev;
	enum rules_cleanup cl = decide_posix(RF_POSIX_SHM, name, &ev);
	int fd = shm_open_rec(name, oflag, mode, cl, ev.key);

	if (fd >= 0 && (cl == RC_EXIT || cl == RC_LAST_DETACH)) {
		int e = errno;

		note_used(RF_POSIX_SHM, ev.key, fd, NULL, -1);
		errno = e;
	}
	return fd;
}

static sem_t *sem_open_rec(const char *name, int oflag, mode_t mode, unsigned value,
			  enum rules_cleanup cl, const char *key)
{
	struct ledger_rec r = {.family = RF_POSIX_SEM, .id = -1};
	char path[300];
	struct stat st;
	sem_t *s;
	int e;

	if (cl != RC_UNSET)
		stale(RF_POSIX_SEM, key);
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
	set_key(&r, key, name);
	sem_path(path, sizeof path, name);
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

static sem_t *l_sem_open(const char *name, int oflag, ...)
{
	struct shim_event ev;
	enum rules_cleanup cl = decide_posix(RF_POSIX_SEM, name, &ev);
	mode_t mode = 0;
	unsigned value = 0;
	char path[300];
	sem_t *s;

	if (oflag & O_CREAT) {
		va_list ap;

		va_start(ap, oflag);
		mode = va_arg(ap, mode_t);
		value = va_arg(ap, unsigned);
		va_end(ap);
	}
	s = sem_open_rec(name, oflag, mode, value, cl, ev.key);
	if (s != SEM_FAILED && (cl == RC_EXIT || cl == RC_LAST_DETACH)) {
		int e = errno;

		sem_path(path, sizeof path, name);
		note_used(RF_POSIX_SEM, ev.key, -1, path, -1);
		errno = e;
	}
	return s;
}

/* A System V object by key the program now holds (id >= 0). */
static int used_id(unsigned fam, enum rules_cleanup cl, key_t key, const char *text, int id)
{
	int e = errno;

	if (id >= 0 && key != IPC_PRIVATE && (cl == RC_EXIT || cl == RC_LAST_DETACH))
		note_used(fam, text, -1, NULL, id);
	errno = e;
	return id;
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
	if (!(flags & IPC_CREAT) && key != IPC_PRIVATE) \
		return used_id(fam, cl, key, ev.key, shim_next.fn(key, n, flags)); \
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
		return used_id(fam, cl, key, ev.key, id); \
	r.id = id; \
	r.keyt = (int32_t)key; \
	set_key(&r, ev.key, NULL); \
	if (record(&r, cl)) { \
		e = errno; \
		rmid; \
		errno = e; \
		return -1; \
	} \
	return used_id(fam, cl, key, ev.key, id); \
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
	shim_tls()->busy++;
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
	shim_tls()->busy--;
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
	/* the program's last hold of an object: when the rules can make
	 * anything last-detach (cleanup=exit falls back to it) */
	if (fam & RF_POSIX_SHM) {
		shim_ledger_ops |= OPBIT(CLOSE) | OPBIT(MUNMAP);
		shim_ledger_calls.close = l_close;
		shim_ledger_calls.close_range = l_close_range;
		shim_ledger_calls.munmap = l_munmap;
		if (shim_next.close_range)
			shim_ledger_ops |= OPBIT(CLOSE_RANGE);
	}
	if (fam & RF_POSIX_SEM) {
		shim_ledger_ops |= OPBIT(SEM_CLOSE);
		shim_ledger_calls.sem_close = l_sem_close;
	}
	if (fam & RF_SYSV_SHM) {
		shim_ledger_ops |= OPBIT(SHMDT);
		shim_ledger_calls.shmdt = l_shmdt;
	}
}
