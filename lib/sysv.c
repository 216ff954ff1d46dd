/* SPDX-License-Identifier: MIT */
/* System V backend: shmget/shmat segments and semget/semop semaphores keyed
 * by ftok(3) of a key file, as Qt does it; and the System V half of the
 * lock protocol of libnipc(3) ("THE LOCK"): a segment's lock is made and
 * removed under an flock(2) of its key file, initialised by semop(+1)
 * without SEM_UNDO (which sets its last operator, sempid), and waited for
 * in slices that look for a stale count. */
#include "config.h"

#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/file.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#define MODE_RW 0600
#define MODE_RO 0400
#define SLICE_MS 100 /* a lock waiter looks for a stale lock this often */
#define GRACE_MS 100 /* an uninitialised lock is left this long to its creator */

/* A segment's state (struct nipc_seg.priv): the id sysv_seg_create made. */
struct sysv_seg {
	int id;
	int known; /* id is set: attach to it rather than look the key up */
};

/* A semaphore's state (struct nipc_bsem.priv). */
struct sysv_sem {
	int id; /* semid, -1 when closed */
};

static struct sysv_seg *sseg(struct nipc_seg *seg)
{
	return NIPC_PRIV(seg, struct sysv_seg);
}

static struct sysv_sem *ssem(struct nipc_bsem *s)
{
	return NIPC_PRIV(s, struct sysv_sem);
}

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

int nipc__key_file(const char *path, int *made)
{
	int fd = open(path, O_CREAT | O_EXCL | O_RDONLY | O_CLOEXEC, 0640);

	*made = fd >= 0;
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == EEXIST ? 0 : -errno;
}

/* Qt's handle(): the key_t of an existing key file. */
static int sysv_key(const nipc_key *key, key_t *out, struct nipc_why *why)
{
	long k;
	int err;

	if (nipc__key_check(key->native, why))
		return why->code;
	err = nipc_ftok(&k, key->native, key->type);
	*out = (key_t)k;
	if (err == -NIPC_ENOTFOUND)
		return nipc__why_set(why, err, "doesn't exist");
	if (err < 0)
		return nipc__why_set(why, -NIPC_EKEY, "ftok failed");
	return 0;
}

static int sysv_seg_create(const nipc_key *key, size_t size, struct nipc_seg *seg,
			   struct nipc_why *why)
{
	key_t k;
	int made, id, err, e;

	if (nipc__key_check(key->native, why))
		return why->code;
	if (nipc__key_file(key->native, &made) < 0)
		return nipc__why_set(why, -NIPC_EKEY, "unable to make key");
	if ((err = sysv_key(key, &k, why)) < 0)
		goto fail;
	if ((id = shmget(k, size, MODE_RW | IPC_CREAT | IPC_EXCL)) >= 0) {
		sseg(seg)->id = id;
		sseg(seg)->known = 1;
		return 0;
	}
	e = errno;
	if (e == EINVAL)
		err = nipc__why_set(why, -NIPC_EINVALIDSIZE, "invalid size");
	else
		err = nipc__why_errno(why, e);
fail:
	if (made && err != -NIPC_EEXIST)
		unlink(key->native);
	return err;
}

static int sysv_seg_attach(const nipc_key *key, int rw, struct nipc_seg *seg, struct nipc_why *why)
{
	struct shmid_ds ds;
	key_t k;
	void *addr;
	int id = sseg(seg)->id, err, e;

	/* right after our create, under the lock, the key still names the id
	 * sysv_seg_create noted (Qt keeps its ftok() result between create and
	 * attach too) */
	if (!sseg(seg)->known) {
		if ((err = sysv_key(key, &k, why)) < 0)
			return err;
		if ((id = shmget(k, 0, rw ? MODE_RW : MODE_RO)) < 0)
			return nipc__why_errno(why, errno);
	}
	if ((addr = shmat(id, NULL, rw ? 0 : SHM_RDONLY)) == (void *)-1)
		return nipc__why_errno(why, errno);
	if (shmctl(id, IPC_STAT, &ds) < 0) {
		e = errno;
		shmdt(addr);
		return nipc__why_errno(why, e);
	}
	seg->addr = addr;
	seg->size = ds.shm_segsz;
	sseg(seg)->id = id;
	sseg(seg)->known = 1;
	return 0;
}

static int sysv_seg_detach(const nipc_key *key, struct nipc_seg *seg, int cleanup,
			   int *removed, struct nipc_why *why)
{
	struct shmid_ds ds;
	void *addr = seg->addr;
	int id = sseg(seg)->id;

	*removed = 0;
	memset(seg, 0, sizeof *seg);
	if (shmdt(addr) < 0) {
		if (errno == EINVAL)
			return nipc__why_set(why, -NIPC_ENOTFOUND, "not attached");
		return nipc__why_errno(why, errno);
	}
	if (!cleanup)
		return 0;
	/* the id we attached to; gone already (EINVAL/EIDRM) is success */
	if (shmctl(id, IPC_STAT, &ds) < 0)
		return errno == EINVAL || errno == EIDRM ? 0 : nipc__why_errno(why, errno);
	if (ds.shm_nattch)
		return 0;
	if (shmctl(id, IPC_RMID, NULL) < 0 && errno != EINVAL && errno != EIDRM)
		return nipc__why_errno(why, errno);
	*removed = 1;
	return 0;
}

static void sysv_seg_remove(const nipc_key *key)
{
	struct nipc_why why;
	key_t k;
	int id;

	if (sysv_key(key, &k, &why) < 0)
		return;
	if ((id = shmget(k, 0, 0)) >= 0)
		shmctl(id, IPC_RMID, NULL);
}

static int sysv_seg_exists(const nipc_key *key)
{
	struct nipc_why why;
	key_t k;

	if (sysv_key(key, &k, &why) < 0)
		return 0;
	return shmget(k, 0, 0) >= 0 || errno == EACCES;
}

/* ------------------------------------------------------------ semaphores */

static void sem_forget(struct nipc_bsem *s)
{
	free(s->native);
	s->native = NULL;
	ssem(s)->id = -1;
	s->owner = 0;
}

/* A nipc_sem, as QSystemSemaphore: the first to make it, or any opener in
 * Create mode, owns it and sets its value. A failure undoes what this call
 * made (a semaphore left at 0 would block its next users for ever). */
static int sem_get(struct nipc_bsem *s, int create, struct nipc_why *why)
{
	nipc_key key = {.type = s->type, .native = s->native, .legacy = NULL};
	union semun arg = {.val = s->initial};
	key_t k;
	int made, made_sem = 0, id = -1, err;

	if (nipc__key_check(s->native, why))
		return why->code;
	if (nipc__key_file(s->native, &made) < 0)
		return nipc__why_set(why, -NIPC_EKEY, "unable to make key");
	if ((err = sysv_key(&key, &k, why)) < 0)
		goto fail;
	if ((id = semget(k, 1, MODE_RW | IPC_CREAT | IPC_EXCL)) >= 0)
		made_sem = 1;
	else if (errno == EEXIST)
		id = semget(k, 1, MODE_RW | IPC_CREAT);
	if (id < 0) {
		err = nipc__why_errno(why, errno);
		goto fail;
	}
	s->owner = made_sem || create;
	if (s->owner && semctl(id, 0, SETVAL, arg) < 0) {
		err = errno == ERANGE ? nipc__why_set(why, -NIPC_EUNKNOWN,
						      "unknown error: value out of range")
				      : nipc__why_errno(why, errno);
		goto fail;
	}
	ssem(s)->id = id;
	return 0;
fail:
	s->owner = 0;
	if (made_sem)
		semctl(id, 0, IPC_RMID);
	if (made)
		unlink(s->native);
	return err;
}

/* A timespec of ms milliseconds. */
static struct timespec ms_ts(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	return ts;
}

/* semop with SEM_UNDO (the kernel gives a dead process's count back)
 * unless s->no_undo, within the time left to deadline (< 0: for ever),
 * retried on EINTR; 1 when the time ran out. A semaphore removed under us
 * is made again, as Qt 5 does: its owner removes it on close even while
 * others use it. */
static int sem_op(struct nipc_bsem *s, int delta, long long deadline, struct nipc_why *why)
{
	struct sembuf op = {.sem_num = 0, .sem_op = (short)delta};
	struct timespec ts;
	int err;

	for (int tries = 0;; tries++) {
		long left = nipc__left_ms(deadline);

		ts = ms_ts(left);
		op.sem_flg = (short)((s->no_undo ? 0 : SEM_UNDO) | (left == 0 ? IPC_NOWAIT : 0));
		if (semtimedop(ssem(s)->id, &op, 1, left > 0 ? &ts : NULL) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return 1;
		if ((errno != EINVAL && errno != EIDRM) || tries >= 3)
			return nipc__why_errno(why, errno);
		s->owner = 0;
		if ((err = sem_get(s, 0, why)) < 0)
			return err;
	}
}

/* ------------------------------------------------------- a segment's lock */

/* Opens path (made 0640 when missing and create is set; *made says so)
 * into *fdp, takes an exclusive flock(2) on it and checks that path still
 * names that file (a remover may unlink it while we wait); st is its
 * status. *fdp is -1 when the file exists but cannot be opened for
 * reading: then st comes from stat(2) and nothing is locked. 0 or -errno. */
static int keyfile_lock(const char *path, int create, int *fdp, int *made, struct stat *st)
{
	struct stat now;
	int fd;

	for (int tries = 0; tries < 100; tries++) {
		*made = 0;
		fd = -1;
		if (create && (fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) >= 0)
			*made = 1;
		else if (!create || errno == EEXIST) {
			/* any file can be a key: a FIFO must not block us, a tty
			 * must not become our terminal */
			fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
			if (fd < 0 && errno == ENOENT && create)
				continue; /* removed between our two opens */
		}
		if (fd < 0) {
			if (errno == EACCES && stat(path, st) == 0) {
				*fdp = -1;
				return 0;
			}
			return -errno;
		}
		if ((fd = nipc__fd_high(fd)) < 0)
			return -errno;
		while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
			;
		if (fstat(fd, st) == 0 && stat(path, &now) == 0 && now.st_dev == st->st_dev &&
		    now.st_ino == st->st_ino) {
			*fdp = fd;
			return 0;
		}
		close(fd);
	}
	return -EAGAIN;
}

static void keyfile_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* Opens the lock of a segment under its key file's flock; makes it when
 * missing, initialised by semop(+1) without SEM_UNDO, never SETVAL: so
 * "value 0 and no last operator" can only mean that its maker died first. */
static int lock_get(struct nipc_bsem *s, struct nipc_why *why)
{
	struct sembuf up = {.sem_num = 0, .sem_op = 1, .sem_flg = 0};
	struct stat st;
	int fd, made, id, err;
	key_t k;

	if (nipc__key_check(s->native, why))
		return why->code;
	/* an existing lock needs no flock: if a remover takes it away, we
	 * hear EIDRM at our next semop and come back here */
	if (stat(s->native, &st) == 0 &&
	    (id = semget((key_t)nipc__ftok_stat(&st, s->type), 1, MODE_RW)) >= 0) {
		ssem(s)->id = id;
		return 0;
	}
	if ((err = keyfile_lock(s->native, 1, &fd, &made, &st)) < 0) {
		why->code = err == -EACCES ? -NIPC_EPERM : -NIPC_EKEY;
		snprintf(why->text, sizeof why->text, "key file: %s", strerror(-err));
		return why->code;
	}
	k = (key_t)nipc__ftok_stat(&st, s->type);
	if ((id = semget(k, 1, MODE_RW | IPC_CREAT | IPC_EXCL)) >= 0) {
		NIPC_FAULT("sysv-lock-made");
		while ((err = semop(id, &up, 1)) < 0 && errno == EINTR)
			;
		if (err < 0) {
			err = nipc__why_errno(why, errno);
			semctl(id, 0, IPC_RMID);
			goto fail;
		}
		s->made |= NIPC_MADE_SEM;
	} else if (errno != EEXIST || (id = semget(k, 1, MODE_RW)) < 0) {
		err = nipc__why_errno(why, errno);
		goto fail;
	}
	if (made)
		s->made |= NIPC_MADE_FILE;
	ssem(s)->id = id;
	keyfile_unlock(fd);
	return 0;
fail:
	if (made)
		unlink(s->native);
	keyfile_unlock(fd);
	return err;
}

enum { LIVE, UNINIT, ORPHANED };

/* Why the lock is at 0 with nothing to give it back, or LIVE. UNINIT:
 * never initialised, its maker died between semget and semop: nothing
 * ever operated on it, so sem_otime is 0 — unless a process with an undo
 * entry for it (a waiter, with SEM_UNDO) has exited since: the kernel's
 * exit_sem() then sets sem_otime even for an adjustment of 0, without a
 * last operator, so GETPID 0 tells it too where every process has a pid
 * (elsewhere it may be a holder in another PID namespace). ORPHANED: its
 * last operator is gone while the count stayed taken (a SEM_UNDO cleared
 * by a SETVAL, e.g. Qt 5's create() on a live lock). */
static int stale(int id, time_t *otime, pid_t *pid)
{
	struct semid_ds ds;
	union semun arg = {.buf = &ds};

	if (semctl(id, 0, GETVAL) != 0 || semctl(id, 0, IPC_STAT, arg) < 0)
		return LIVE;
	*otime = ds.sem_otime;
	*pid = semctl(id, 0, GETPID);
	if (*otime == 0 || (*pid == 0 && nipc__pids_all_visible()))
		return UNINIT;
	return nipc__pid_gone(*pid, *otime) ? ORPHANED : LIVE;
}

/* Takes a stale lock over: after a grace period for an uninitialised one
 * (a Qt 5 maker sets its value with SETVAL right after semget), under the
 * key file's flock, if it is still stale in the same way, give and take in
 * one semop, so that the count is ours with its SEM_UNDO. 1 if taken.
 * (An uninitialised lock's sem_otime may move meanwhile: waiters exit.) */
static int lock_repair(struct nipc_bsem *s)
{
	struct sembuf take[2] = {{.sem_num = 0, .sem_op = 1, .sem_flg = 0},
				 {.sem_num = 0, .sem_op = -1, .sem_flg = SEM_UNDO}};
	struct stat st;
	time_t otime, otime2;
	pid_t pid, pid2;
	int fd, made, why, taken = 0;

	if ((why = stale(ssem(s)->id, &otime, &pid)) == LIVE)
		return 0;
	if (why == UNINIT)
		nipc__sleep_ms(GRACE_MS);
	if (keyfile_lock(s->native, 0, &fd, &made, &st) < 0)
		return 0; /* its key file is gone: being removed; EIDRM follows */
	if (stale(ssem(s)->id, &otime2, &pid2) == why && pid2 == pid &&
	    (why == UNINIT || otime2 == otime) && semop(ssem(s)->id, take, 2) == 0) {
		taken = 1;
		s->recovered = why == ORPHANED;
	}
	keyfile_unlock(fd);
	return taken;
}

/* Waits for the lock in slices, while a holder lives, until deadline (< 0:
 * for ever); follows a lock removed under us (by the last detach, or a Qt 5
 * owner) to the one its key names now. 1 when the time ran out. */
static int lock_acquire(struct nipc_bsem *s, long long deadline, struct nipc_why *why)
{
	struct sembuf down = {.sem_num = 0, .sem_op = -1};
	struct timespec slice;
	int err;

	s->recovered = 0;
	for (;;) {
		long left = nipc__left_ms(deadline);

		if (ssem(s)->id >= 0) {
			slice = ms_ts(left < 0 || left > SLICE_MS ? SLICE_MS : left);
			down.sem_flg = (short)(SEM_UNDO | (left == 0 ? IPC_NOWAIT : 0));
			if (semtimedop(ssem(s)->id, &down, 1, &slice) == 0)
				return 0;
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				if (lock_repair(s))
					return 0;
				if (nipc__left_ms(deadline) == 0)
					return 1;
				continue;
			}
			if (errno != EINVAL && errno != EIDRM)
				return nipc__why_errno(why, errno);
			ssem(s)->id = -1;
		}
		if ((err = lock_get(s, why)) < 0)
			return err;
	}
}

static int lock_release(struct nipc_bsem *s, struct nipc_why *why)
{
	struct sembuf up = {.sem_num = 0, .sem_op = 1, .sem_flg = SEM_UNDO};

	while (semop(ssem(s)->id, &up, 1) < 0)
		if (errno != EINTR)
			return nipc__why_errno(why, errno);
	return 0;
}

/* Held, segment gone: under the key file's flock, the semaphore goes
 * first (waiters see EIDRM and reopen, which waits for this flock), then
 * the key files — never before the objects, since a new file on the same
 * inode would have the same key. */
static void sysv_lock_remove(struct nipc_bsem *s, const nipc_key *seg, int files)
{
	struct stat st;
	int fd = -1, made;

	keyfile_lock(s->native, 0, &fd, &made, &st);
	if (ssem(s)->id >= 0)
		semctl(ssem(s)->id, 0, IPC_RMID);
	NIPC_FAULT("lock-removed");
	if (files && seg && strcmp(seg->native, s->native))
		unlink(seg->native);
	/* a key file of the lock's own (a legacy key's qipc_systemsem_ file)
	 * was made by nipc or Qt for it; one shared with the segment may be
	 * any file the user named, removed only by a last detach or if made
	 * here */
	if (files || (s->made & NIPC_MADE_FILE) || (seg && strcmp(seg->native, s->native)))
		unlink(s->native);
	keyfile_unlock(fd);
	sem_forget(s);
}

/* ------------------------------------------------------ stat and list */

/* Columns of /proc/sysvipc/shm and /proc/sysvipc/sem, found by their
 * names in the header line, so that a kernel adding columns is read too. */
enum { C_KEY, C_ID, C_PERMS, C_SIZE, C_NSEMS, C_CPID, C_LPID, C_NATTCH, C_UID, C_GID,
       C_CUID, C_CGID, C_ATIME, C_DTIME, C_CTIME, C_OTIME, C_N };

static const char *const col_names[C_N] = {
	"key", "", "perms", "size", "nsems", "cpid", "lpid", "nattch", "uid", "gid",
	"cuid", "cgid", "atime", "dtime", "ctime", "otime",
};

/* Which column (< 0: none) each C_* is in, from the header. */
static void columns(char *header, int kind, int *at)
{
	int n = 0;

	for (int c = 0; c < C_N; c++)
		at[c] = -1;
	for (char *w = strtok(header, " \t\n"); w; w = strtok(NULL, " \t\n"), n++) {
		if (!strcmp(w, kind == NIPC_KIND_SHM ? "shmid" : "semid"))
			at[C_ID] = n;
		for (int c = 0; c < C_N; c++)
			if (c != C_ID && !strcmp(w, col_names[c]))
				at[c] = n;
	}
}

static void fill_row(struct nipc_obj *o, const long long *v, const int *at)
{
#define COL(c, dflt) (at[c] >= 0 ? v[at[c]] : (dflt))
	o->has_sysv_key = 1;
	o->sysv_key = (long)(int)COL(C_KEY, 0);
	o->id = (long)COL(C_ID, -1);
	o->mode = (unsigned)COL(C_PERMS, 0) & 0777;
	o->uid = (long)COL(C_UID, -1);
	o->gid = (long)COL(C_GID, -1);
	o->cuid = (long)COL(C_CUID, -1);
	o->cgid = (long)COL(C_CGID, -1);
	o->times[NIPC_OBJ_TIME_CHANGE] = COL(C_CTIME, 0);
	if (o->kind == NIPC_KIND_SHM) {
		o->size = (unsigned long long)COL(C_SIZE, 0);
		o->cpid = (long)COL(C_CPID, -1);
		o->lpid = (long)COL(C_LPID, -1);
		o->nattch = (long)COL(C_NATTCH, -1);
		o->times[NIPC_OBJ_TIME_ATTACH] = COL(C_ATIME, 0);
		o->times[NIPC_OBJ_TIME_DETACH] = COL(C_DTIME, 0);
		o->map_sysv = o->mappable = 1;
	} else {
		o->count = (unsigned long)COL(C_NSEMS, 0);
		o->times[NIPC_OBJ_TIME_OP] = COL(C_OTIME, 0);
		/* not in /proc: the set's first semaphore, if we may read it */
		o->lpid = semctl((int)o->id, 0, GETPID);
		if (o->lpid < 0)
			o->lpid = -1;
	}
#undef COL
}

/* The objects of kind in /proc/sysvipc (perms is octal, the rest decimal);
 * only the one of System V key k when want is set. */
static int scan_sysvipc(struct nipc_objlist *l, int kind, int want, long k, int *found)
{
	char line[1024];
	long long v[32];
	int at[C_N], err = 0;
	FILE *f = fopen(kind == NIPC_KIND_SHM ? "/proc/sysvipc/shm" : "/proc/sysvipc/sem", "re");

	if (!f)
		return -NIPC_EUNKNOWN;
	if (!fgets(line, sizeof line, f)) {
		fclose(f);
		return -NIPC_EUNKNOWN;
	}
	columns(line, kind, at);
	if (at[C_KEY] < 0 || at[C_ID] < 0) {
		fclose(f);
		return -NIPC_EUNKNOWN;
	}
	while (!err && fgets(line, sizeof line, f)) {
		struct nipc_obj *o;
		char *p = line, *end;
		int n = 0;

		for (; n < 32; n++, p = end) {
			v[n] = strtoll(p, &end, n == at[C_PERMS] ? 8 : 10);
			if (end == p)
				break;
		}
		if (n <= at[C_KEY] || n <= at[C_ID] || (want && (long)(key_t)v[at[C_KEY]] != k))
			continue;
		if (!(o = nipc__obj_add(l, nipc__sysv_backend.name, kind)))
			err = -NIPC_ENOMEM;
		else
			fill_row(o, v, at);
		*found = 1;
	}
	fclose(f);
	return err;
}

static int sysv_stat(struct nipc_objlist *l, const nipc_key *key, int kind)
{
	long k;
	int err, found = 0;

	if (!key->native[0])
		return -NIPC_EKEY;
	if ((err = nipc_ftok(&k, key->native, key->type)) < 0)
		return err == -NIPC_ENOTFOUND || err == -NIPC_EPERM ? err : -NIPC_EKEY;
	if ((err = scan_sysvipc(l, kind, 1, k, &found)) < 0)
		return err;
	return found ? 0 : -NIPC_ENOTFOUND;
}

static int sysv_list(struct nipc_objlist *l)
{
	int err, found;

	if ((err = scan_sysvipc(l, NIPC_KIND_SHM, 0, 0, &found)) < 0)
		return err;
	return scan_sysvipc(l, NIPC_KIND_SEM, 0, 0, &found);
}

/* ------------------------------------------------------------- the table */

static int sysv_sem_open(struct nipc_bsem *s, const nipc_key *key, int initial, int create,
			 int mutex, struct nipc_why *why)
{
	int err;

	ssem(s)->id = -1;
	if (!(s->native = strdup(key->native)))
		return nipc__why_set(why, -NIPC_ENOMEM, "out of memory");
	s->type = key->type;
	s->initial = initial;
	s->mutex = mutex;
	s->be = &nipc__sysv_backend;
	if ((err = mutex ? lock_get(s, why) : sem_get(s, create, why)) < 0)
		sem_forget(s);
	return err;
}

static int sysv_sem_acquire(struct nipc_bsem *s, long timeout_ms, struct nipc_why *why)
{
	long long deadline = nipc__deadline(timeout_ms);

	return s->mutex ? lock_acquire(s, deadline, why) : sem_op(s, -1, deadline, why);
}

static int sysv_sem_release(struct nipc_bsem *s, int n, struct nipc_why *why)
{
	if (s->mutex)
		return lock_release(s, why);
	if (n > 32767)
		return nipc__why_set(why, -NIPC_EUNKNOWN, "unknown error: count out of range");
	return sem_op(s, n, -1, why);
}

static int sysv_sem_value(const struct nipc_bsem *s, int *out, struct nipc_why *why)
{
	int v = semctl(NIPC_PRIV(s, const struct sysv_sem)->id, 0, GETVAL);

	if (v < 0)
		return nipc__why_errno(why, errno);
	*out = v;
	return 0;
}

/* An owner removes the semaphore and its key file, as Qt. */
static void sysv_sem_close(struct nipc_bsem *s)
{
	if (s->owner && !s->mutex && ssem(s)->id >= 0) {
		semctl(ssem(s)->id, 0, IPC_RMID);
		unlink(s->native);
	}
	sem_forget(s);
}

const struct nipc_backend nipc__sysv_backend = {
	.name = "systemv",
	NIPC_BACKEND_OPS(sysv),
};
