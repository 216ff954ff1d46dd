/* SPDX-License-Identifier: MIT */
/* POSIX backend: shm_open/mmap segments and sem_open semaphores.
 *
 * Beyond Qt: every attachment keeps its descriptor open with a shared
 * open-file-description (OFD) lock on it, which the kernel drops when the
 * process dies; a detach that sees no other OFD lock is the last and unlinks
 * the segment. A new segment is made as an unnamed file in /dev/shm, sized,
 * then linked to its name, so a half-made one is never visible.
 *
 * A segment's lock (libnipc(3), "THE LOCK") is glibc's named-semaphore file
 * /dev/shm/sem.NAME, mapped by nipc itself: the sem_t, which Qt 6 and
 * Python peers wait on and post, then two bytes of nipc's own. A nipc
 * holder keeps an OFD write lock on HOLD_BYTE for its whole hold, so nipc
 * lockers queue in the kernel and one that dies lets go at once; the STATE
 * byte says where the holder was (taking the sem_t, holding it, giving it
 * back), so the next one knows whether the count died with it; the REMOVED
 * byte tells waiters that the last detach unlinked this lock.
 */
#include "config.h"

#include "backend.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MODE_RW 0600
#define MODE_RO 0400

#define SHM_DIR "/dev/shm" /* where glibc keeps POSIX segments and semaphores */
#define HOLD_BYTE 0
#define STATE_OFF 128 /* past glibc's 32-byte sem_t */
#define REMOVED_OFF 129
#define MAP_LEN 130
#define GRACE_MS 500 /* an ambiguous dead holder: how long a peer may take to give the count */
#define RECHECK_MS 50 /* how often a handle looks whether a peer unlinked its lock file */

enum { FREE = 0, HELD = 1, TAKING = 2, GIVING = 3 };

/* A segment's state while attached (struct nipc_seg.priv). */
struct posix_seg {
	int fd;     /* kept open while attached */
	int shared; /* fd holds the shared OFD lock that marks the attachment */
};

/* A semaphore's state (struct nipc_bsem.priv). */
struct posix_sem {
	sem_t *psem;        /* NULL when closed */
	int fd;             /* mutex: the semaphore's file (>= 3), -1 otherwise */
	unsigned char *map; /* mutex: the file mapped (sem_t, then nipc's bytes) */
	long long checked_ms; /* mutex: when the file's name was last checked */
};

static struct posix_seg *pseg(struct nipc_seg *seg)
{
	return NIPC_PRIV(seg, struct posix_seg);
}

static struct posix_sem *pst(struct nipc_bsem *s)
{
	return NIPC_PRIV(s, struct posix_sem);
}

static int ofd_lock(int fd, short type, off_t at, int wait)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = at, .l_len = 1};
	int r;

	while ((r = fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl)) < 0 && errno == EINTR)
		;
	return r;
}

/* 1 if an open file description other than fd's holds a lock on byte at. */
static int ofd_other(int fd, off_t at)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = at, .l_len = 1};

	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		return -1;
	return fl.l_type != F_UNLCK;
}

/* The file of a POSIX name as glibc maps it ("/dev/shm/" prefix name, the
 * leading slashes dropped); -1 for a name the OS would misread: empty, ".",
 * "..", a '/' inside, or too long. */
static int posix_path(const char *native, const char *prefix, char *buf, size_t len)
{
	int n;

	while (*native == '/')
		native++;
	if (!*native || strchr(native, '/') || !strcmp(native, ".") || !strcmp(native, ".."))
		return -1;
	if (strlen(prefix) + strlen(native) > NAME_MAX)
		return -1;
	n = snprintf(buf, len, SHM_DIR "/%s%s", prefix, native);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int shm_errno(struct nipc_why *why, int e)
{
	if (e == EINVAL)
		return nipc__why_set(why, -NIPC_EKEY, "bad name");
	return nipc__why_errno(why, e);
}

static int size_errno(struct nipc_why *why, int e)
{
	if (e == EINVAL || e == EFBIG)
		return nipc__why_set(why, -NIPC_EINVALIDSIZE, "invalid size");
	return nipc__why_errno(why, e);
}

/* An unnamed file in /dev/shm, mode 0600 whatever the umask; -1 if the
 * file system cannot make one. */
static int tmp_file(void)
{
	int fd = open(SHM_DIR, O_TMPFILE | O_RDWR | O_CLOEXEC, MODE_RW);

	if (fd < 0 || (fd = nipc__fd_high(fd)) < 0)
		return -1;
	if (fchmod(fd, MODE_RW) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Gives the unnamed file fd the name path; EEXIST if taken. */
static int link_tmp(int fd, const char *path)
{
	char proc[64];

	if (linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOENT && errno != EPERM)
		return -1;
	/* AT_EMPTY_PATH wants CAP_DAC_READ_SEARCH; this way does not */
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
}

/* Without O_TMPFILE: shm_open(O_EXCL) then ftruncate, as Qt does. */
static int seg_create_named(const nipc_key *key, size_t size, struct nipc_why *why)
{
	int fd, e;

	fd = shm_open(key->native, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, MODE_RW);
	if (fd < 0 || (fd = nipc__fd_high(fd)) < 0)
		return shm_errno(why, errno);
	/* 0600 whatever the umask, as System V modes are */
	if (fchmod(fd, MODE_RW) < 0 || ftruncate(fd, (off_t)size) < 0) {
		e = errno;
		close(fd);
		shm_unlink(key->native);
		return size_errno(why, e);
	}
	close(fd);
	return 0;
}

static int posix_seg_create(const nipc_key *key, size_t size, struct nipc_seg *seg,
			    struct nipc_why *why)
{
	char path[PATH_MAX];
	int fd, e;

	(void)seg; /* the attach that follows opens the name */
	if (nipc__key_check(key->native, why))
		return why->code;
	if (posix_path(key->native, "", path, sizeof path) < 0)
		return nipc__why_set(why, -NIPC_EKEY, "bad name");
	if ((fd = tmp_file()) < 0)
		return seg_create_named(key, size, why);
	if (ftruncate(fd, (off_t)size) < 0) {
		e = errno;
		close(fd);
		return size_errno(why, e);
	}
	if (link_tmp(fd, path) < 0) {
		e = errno;
		close(fd);
		return nipc__why_errno(why, e);
	}
	close(fd);
	return 0;
}

static int posix_seg_attach(const nipc_key *key, int rw, struct nipc_seg *seg, struct nipc_why *why)
{
	char path[PATH_MAX];
	struct stat st;
	void *addr;
	int fd, e;

	if (nipc__key_check(key->native, why))
		return why->code;
	if (posix_path(key->native, "", path, sizeof path) < 0)
		return nipc__why_set(why, -NIPC_EKEY, "bad name");
	fd = shm_open(key->native, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC, rw ? MODE_RW : MODE_RO);
	if (fd < 0 || (fd = nipc__fd_high(fd)) < 0)
		return shm_errno(why, errno);
	if (fstat(fd, &st) < 0)
		goto fail;
	/* Python and Qt 6 make theirs without a lock: one may be unsized yet */
	if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
		close(fd);
		return nipc__why_set(why, -NIPC_EINVALIDSIZE, "invalid size");
	}
	addr = mmap(NULL, (size_t)st.st_size, PROT_READ | (rw ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED)
		goto fail;
	seg->addr = addr;
	seg->size = (size_t)st.st_size;
	pseg(seg)->fd = fd;
	pseg(seg)->shared = ofd_lock(fd, F_RDLCK, 0, 0) == 0;
	return 0;
fail:
	e = errno;
	close(fd);
	return nipc__why_errno(why, e);
}

/* 1 if another process maps the file of fd (or we cannot tell). */
static int mapped_elsewhere(int fd)
{
	struct stat st;

	return fstat(fd, &st) < 0 || nipc__mappers(st.st_dev, st.st_ino) > 0;
}

static int posix_seg_detach(const nipc_key *key, struct nipc_seg *seg, int cleanup,
			    int *removed, struct nipc_why *why)
{
	int err = 0, fd = pseg(seg)->fd;

	*removed = 0;
	if (munmap(seg->addr, seg->size) < 0)
		err = nipc__why_errno(why, errno);
	/* Runs under the segment's lock, as every attach does, so nobody can
	 * attach between this look and the unlink. Without our own shared lock
	 * we cannot tell, and keep the segment. Peers that take no OFD lock
	 * (Qt 6, Python) are seen in /proc: a segment they map is kept. */
	if (!err && cleanup && pseg(seg)->shared && ofd_other(fd, 0) == 0 && !mapped_elsewhere(fd)) {
		if (shm_unlink(key->native) == 0 || errno == ENOENT)
			*removed = 1;
		else
			err = nipc__why_errno(why, errno);
	}
	close(fd);
	memset(seg, 0, sizeof *seg);
	return err;
}

static void posix_seg_remove(const nipc_key *key)
{
	shm_unlink(key->native);
}

static int posix_seg_exists(const nipc_key *key)
{
	char path[PATH_MAX];
	struct stat st;

	if (posix_path(key->native, "", path, sizeof path) < 0)
		return 0;
	return stat(path, &st) == 0 || errno == EACCES;
}

/* ------------------------------------------------------------ semaphores */

static int sem_err(struct nipc_why *why, int e)
{
	if (e == EINVAL)
		return nipc__why_set(why, -NIPC_EKEY, "bad name");
	return nipc__why_errno(why, e);
}

static sem_t *open_retry(const char *name, int flags, unsigned value)
{
	sem_t *p;

	while ((p = sem_open(name, flags, MODE_RW, value)) == SEM_FAILED && errno == EINTR)
		;
	return p;
}

static void psem_forget(struct nipc_bsem *s)
{
	if (pst(s)->map)
		munmap(pst(s)->map, MAP_LEN);
	else if (pst(s)->psem)
		sem_close(pst(s)->psem);
	if (pst(s)->fd >= 0)
		close(pst(s)->fd);
	free(s->native);
	s->native = NULL;
	pst(s)->map = NULL;
	pst(s)->psem = NULL;
	pst(s)->fd = -1;
	s->owner = 0;
}

/* A nipc_sem, as QSystemSemaphore: Create mode replaces an existing one. */
static int psem_get(struct nipc_bsem *s, int create, struct nipc_why *why)
{
	char path[PATH_MAX];
	sem_t *p = SEM_FAILED;

	if (posix_path(s->native, "sem.", path, sizeof path) < 0)
		return nipc__why_set(why, -NIPC_EKEY, "bad name");
	s->owner = 1;
	for (int tries = 0; tries < 3 && p == SEM_FAILED; tries++) {
		p = open_retry(s->native, O_CREAT | O_EXCL, (unsigned)s->initial);
		if (p != SEM_FAILED || errno != EEXIST)
			break;
		if (create) {
			if (sem_unlink(s->native) < 0 && errno != ENOENT)
				break;
		} else {
			s->owner = 0;
			p = open_retry(s->native, O_CREAT, (unsigned)s->initial);
		}
	}
	if (p == SEM_FAILED)
		return sem_err(why, errno);
	pst(s)->psem = p;
	/* 0600 whatever the umask, as System V modes are */
	if (s->owner)
		chmod(path, MODE_RW);
	return 0;
}

/* ------------------------------------------------------- a segment's lock */

static unsigned char get_byte(struct nipc_bsem *s, size_t off)
{
	return __atomic_load_n(pst(s)->map + off, __ATOMIC_ACQUIRE);
}

static void put_byte(struct nipc_bsem *s, size_t off, unsigned char v)
{
	__atomic_store_n(pst(s)->map + off, v, __ATOMIC_SEQ_CST);
}

/* Makes a lock file as glibc's sem_open does (a sem_t of value 1 written
 * whole before the name appears), but unnamed until linked, so a kill
 * leaves no temporary file. fd, or -1 with errno (EEXIST: somebody was
 * first). */
static int plock_make(const char *path, const char *name)
{
	unsigned char buf[MAP_LEN] = {0};
	sem_t init;
	sem_t *p;
	int fd, e;

	if ((fd = tmp_file()) < 0) {
		/* no O_TMPFILE here: glibc's way, then open it by name */
		if ((p = open_retry(name, O_CREAT | O_EXCL, 1)) == SEM_FAILED)
			return -1;
		sem_close(p);
		errno = EEXIST;
		return -1;
	}
	memset(&init, 0, sizeof init);
	if (sem_init(&init, 1, 1) < 0)
		goto fail;
	memcpy(buf, &init, sizeof init);
	if (pwrite(fd, buf, sizeof buf, 0) != (ssize_t)sizeof buf || link_tmp(fd, path) < 0)
		goto fail;
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* Opens (or makes) the lock file and maps it; never resets or replaces
 * one that exists. */
static int plock_open(struct nipc_bsem *s, struct nipc_why *why)
{
	char path[PATH_MAX];
	struct stat st;
	void *p;
	int fd = -1, e;

	if (posix_path(s->native, "sem.", path, sizeof path) < 0)
		return nipc__why_set(why, -NIPC_EKEY, "bad name");
	for (int tries = 0; fd < 0; tries++) {
		if (tries == 100)
			return nipc__why_errno(why, EAGAIN);
		if ((fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) >= 0)
			break;
		if (errno != ENOENT)
			return sem_err(why, errno);
		if ((fd = plock_make(path, s->native)) < 0 && errno != EEXIST)
			return sem_err(why, errno);
		if (fd >= 0)
			s->made |= NIPC_MADE_SEM;
	}
	if ((fd = nipc__fd_high(fd)) < 0)
		return nipc__why_errno(why, errno);
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(sem_t)) {
		close(fd);
		return nipc__why_set(why, -NIPC_EUNKNOWN, "unknown error: not a semaphore");
	}
	/* room for nipc's bytes; only ever grown, so a state is never cut */
	if (st.st_size < MAP_LEN && ftruncate(fd, MAP_LEN) < 0)
		goto fail;
	if ((p = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED)
		goto fail;
	pst(s)->fd = fd;
	pst(s)->map = p;
	pst(s)->psem = p;
	return 0;
fail:
	e = errno;
	close(fd);
	return nipc__why_errno(why, e);
}

/* A poll's next pause: *us microseconds, at most until deadline (< 0:
 * never); doubles *us up to 10 ms. 0 once the deadline has passed. */
static int pause_until(long *us, long long deadline)
{
	long left = nipc__left_ms(deadline);
	struct timespec ts = {0, *us * 1000};

	if (left == 0)
		return 0;
	if (left > 0 && left * 1000 < *us)
		ts.tv_nsec = left * 1000000L;
	nanosleep(&ts, NULL);
	if (*us < 10000)
		*us *= 2;
	return 1;
}

/* Polls until the sem_t shows a count (its holder is not nipc: Qt 6,
 * Python), or until deadline (< 0: never). 1 when it does. */
static int wait_count(struct nipc_bsem *s, long long deadline)
{
	long us = 50;
	int v;

	while (sem_getvalue(pst(s)->psem, &v) == 0 && v <= 0)
		if (!pause_until(&us, deadline))
			return 0;
	return 1;
}

/* The OFD write lock on HOLD_BYTE, polled for until deadline (< 0: waits
 * in the kernel). 0, 1 when the time ran out, or -1 with errno set. */
static int hold_until(struct nipc_bsem *s, long long deadline)
{
	long us = 50;

	if (deadline < 0)
		return ofd_lock(pst(s)->fd, F_WRLCK, HOLD_BYTE, 1);
	while (ofd_lock(pst(s)->fd, F_WRLCK, HOLD_BYTE, 0) < 0)
		if (errno != EAGAIN && errno != EACCES)
			return -1;
		else if (!pause_until(&us, deadline))
			return 1;
	return 0;
}

/* With the OFD lock: takes the sem_t's count, saying so in STATE on
 * either side of it, waiting for it until deadline (< 0: for ever).
 * 0, 1 (the time ran out) or -errno. */
static int plock_take(struct nipc_bsem *s, long long deadline)
{
	for (;;) {
		put_byte(s, STATE_OFF, TAKING);
		if (sem_trywait(pst(s)->psem) == 0) {
			NIPC_FAULT("posix-lock-taken");
			put_byte(s, STATE_OFF, HELD);
			return 0;
		}
		int e = errno;

		put_byte(s, STATE_OFF, FREE);
		if (e != EAGAIN && e != EINTR)
			return -e;
		if (e == EAGAIN && !wait_count(s, deadline))
			return 1;
	}
}

static int plock_give(struct nipc_bsem *s)
{
	int err = 0;

	put_byte(s, STATE_OFF, GIVING);
	if (sem_post(pst(s)->psem) < 0)
		err = -errno;
	NIPC_FAULT("posix-lock-posted");
	put_byte(s, STATE_OFF, FREE);
	ofd_lock(pst(s)->fd, F_UNLCK, HOLD_BYTE, 0);
	return err;
}

/* 1 at most once per RECHECK_MS per handle (a vDSO clock read, no
 * system call), to look whether a peer unlinked the lock file. */
static int recheck_due(struct nipc_bsem *s)
{
	struct timespec ts;
	long long now;

	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) < 0)
		return 1;
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (pst(s)->checked_ms && now - pst(s)->checked_ms < RECHECK_MS)
		return 0;
	pst(s)->checked_ms = now;
	return 1;
}

static int plock_acquire(struct nipc_bsem *s, long long deadline, struct nipc_why *why)
{
	struct stat st;
	int err;

	for (;;) {
		s->recovered = 0;
		if ((err = hold_until(s, deadline)) != 0)
			return err > 0 ? err : nipc__why_errno(why, errno);
		switch (get_byte(s, STATE_OFF)) {
		case HELD: /* its holder died with the count: it is ours now */
			s->recovered = 1;
			err = 0;
			break;
		case TAKING:
		case GIVING:
			/* its holder died next to the sem_t: the count is free if
			 * the sem_t shows it, else it died with the holder —
			 * unless a peer that is not nipc took it meanwhile, whom
			 * the grace period lets give it back */
			if (wait_count(s, nipc__deadline(GRACE_MS))) {
				err = plock_take(s, deadline);
			} else {
				put_byte(s, STATE_OFF, HELD);
				s->recovered = 1;
				err = 0;
			}
			break;
		default:
			err = plock_take(s, deadline);
		}
		if (err) {
			ofd_lock(pst(s)->fd, F_UNLCK, HOLD_BYTE, 0);
			return err > 0 ? err : nipc__why_errno(why, -err);
		}
		/* a lock file with no name left was removed: by the last detach
		 * (which sets REMOVED first, so its waiters look at once), or by
		 * a peer that is not nipc (Qt 6's create() unlinks and remakes
		 * the lock), which one fstat per RECHECK_MS finds. Everyone new
		 * uses the one the name has now: follow it. */
		if (!get_byte(s, REMOVED_OFF) && !recheck_due(s))
			return 0;
		if (fstat(pst(s)->fd, &st) < 0 || st.st_nlink > 0) {
			if (get_byte(s, REMOVED_OFF)) /* its remover died before unlinking */
				put_byte(s, REMOVED_OFF, 0);
			return 0;
		}
		plock_give(s);
		munmap(pst(s)->map, MAP_LEN);
		close(pst(s)->fd);
		pst(s)->map = NULL;
		pst(s)->psem = NULL;
		pst(s)->fd = -1;
		if ((err = plock_open(s, why)) < 0)
			return err;
	}
}

static void posix_lock_remove(struct nipc_bsem *s, const nipc_key *seg, int files)
{
	char path[PATH_MAX];
	struct stat a, b;

	(void)seg;
	(void)files;
	put_byte(s, REMOVED_OFF, 1);
	if (posix_path(s->native, "sem.", path, sizeof path) == 0 && stat(path, &a) == 0 &&
	    fstat(pst(s)->fd, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
		unlink(path);
	NIPC_FAULT("lock-removed");
	plock_give(s);
	psem_forget(s);
}

/* ------------------------------------------------------ stat and list */

#define SEM_PREFIX "sem." /* glibc names a semaphore's file so */

/* Appends the object named "/" name of kind with its file's status st. */
static int add_file(struct nipc_objlist *l, int kind, const char *name, const struct stat *st)
{
	int sem = kind == NIPC_KIND_SEM;
	struct nipc_obj *o = nipc__obj_add(l, nipc__posix_backend.name, kind);

	if (!o || !(o->name = malloc(strlen(name) + 2)))
		return -NIPC_ENOMEM;
	sprintf(o->name, "/%s", name);
	o->uid = (long)st->st_uid;
	o->gid = (long)st->st_gid;
	o->mode = (unsigned)st->st_mode & 0777;
	if (sem)
		o->count = 1;
	else
		o->size = (unsigned long long)st->st_size;
	o->times[NIPC_OBJ_TIME_CHANGE] = (long long)st->st_ctime;
	o->times[NIPC_OBJ_TIME_MODIFY] = (long long)st->st_mtime;
	o->times[NIPC_OBJ_TIME_ACCESS] = (long long)st->st_atime;
	o->dev = st->st_dev;
	o->ino = st->st_ino;
	o->mappable = 1;
	return 0;
}

static int posix_stat(struct nipc_objlist *l, const nipc_key *key, int kind)
{
	const char *prefix = kind == NIPC_KIND_SEM ? SEM_PREFIX : "";
	char path[PATH_MAX];
	struct stat st;

	if (!key->native[0])
		return -NIPC_EKEY;
	if (posix_path(key->native, prefix, path, sizeof path) < 0)
		return -NIPC_EKEY;
	if (stat(path, &st) < 0)
		return errno == ENOENT ? -NIPC_ENOTFOUND : errno == EACCES ? -NIPC_EPERM
									 : -NIPC_EUNKNOWN;
	if (!S_ISREG(st.st_mode))
		return -NIPC_ENOTFOUND;
	return add_file(l, kind, strrchr(path, '/') + 1 + strlen(prefix), &st);
}

static int posix_list(struct nipc_objlist *l)
{
	struct dirent *e;
	struct stat st;
	int err = 0, dfd;
	DIR *d;

	if (!(d = opendir(SHM_DIR)))
		return errno == ENOENT ? 0 : -NIPC_EUNKNOWN;
	dfd = dirfd(d);
	while (!err && (e = readdir(d)))
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			err = strncmp(e->d_name, SEM_PREFIX, strlen(SEM_PREFIX))
				      ? add_file(l, NIPC_KIND_SHM, e->d_name, &st)
				      : add_file(l, NIPC_KIND_SEM, e->d_name + strlen(SEM_PREFIX), &st);
	closedir(d);
	return err;
}

/* ------------------------------------------------------------- the table */

static int posix_sem_open(struct nipc_bsem *s, const nipc_key *key, int initial, int create,
			  int mutex, struct nipc_why *why)
{
	int err;

	s->be = &nipc__posix_backend;
	pst(s)->fd = -1;
	pst(s)->map = NULL;
	pst(s)->psem = NULL;
	s->type = key->type;
	s->initial = initial;
	s->mutex = mutex;
	if (nipc__key_check(key->native, why))
		return why->code;
	if ((unsigned)initial > SEM_VALUE_MAX)
		return nipc__why_set(why, -NIPC_ERESOURCES, "out of resources");
	if (!(s->native = strdup(key->native)))
		return nipc__why_set(why, -NIPC_ENOMEM, "out of memory");
	if ((err = mutex ? plock_open(s, why) : psem_get(s, create, why)) < 0)
		psem_forget(s);
	return err;
}

/* sem_wait, sem_trywait (timeout_ms 0) or a wait on CLOCK_MONOTONIC
 * (where glibc has sem_clockwait; else on CLOCK_REALTIME). */
static int psem_wait(sem_t *p, long timeout_ms)
{
	struct timespec ts;

	if (timeout_ms < 0)
		return sem_wait(p);
	if (timeout_ms == 0)
		return sem_trywait(p);
#ifdef HAVE_SEM_CLOCKWAIT
	clock_gettime(CLOCK_MONOTONIC, &ts);
#else
	clock_gettime(CLOCK_REALTIME, &ts);
#endif
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	for (;;) {
#ifdef HAVE_SEM_CLOCKWAIT
		int r = sem_clockwait(p, CLOCK_MONOTONIC, &ts);
#else
		int r = sem_timedwait(p, &ts);
#endif
		if (r == 0 || errno != EINTR)
			return r;
	}
}

static int posix_sem_acquire(struct nipc_bsem *s, long timeout_ms, struct nipc_why *why)
{
	if (s->mutex)
		return plock_acquire(s, nipc__deadline(timeout_ms), why);
	while (psem_wait(pst(s)->psem, timeout_ms) < 0)
		if (errno == EAGAIN || errno == ETIMEDOUT)
			return 1;
		else if (errno != EINTR)
			return nipc__why_errno(why, errno);
	return 0;
}

static int posix_sem_value(const struct nipc_bsem *s, int *out, struct nipc_why *why)
{
	if (sem_getvalue(NIPC_PRIV(s, const struct posix_sem)->psem, out) < 0)
		return nipc__why_errno(why, errno);
	if (*out < 0)
		*out = 0; /* some systems count the waiters so */
	return 0;
}

static int posix_sem_release(struct nipc_bsem *s, int n, struct nipc_why *why)
{
	int e;

	if (s->mutex) {
		e = plock_give(s);
		return e < 0 ? nipc__why_errno(why, -e) : 0;
	}
	for (int i = 0; i < n; i++) {
		if (sem_post(pst(s)->psem) == 0)
			continue;
		e = errno;
		while (i-- > 0)
			while (sem_wait(pst(s)->psem) < 0 && errno == EINTR)
				;
		return nipc__why_errno(why, e);
	}
	return 0;
}

/* An owner removes the semaphore, as Qt. */
static void posix_sem_close(struct nipc_bsem *s)
{
	if (s->owner && !s->mutex && pst(s)->psem)
		sem_unlink(s->native);
	psem_forget(s);
}

const struct nipc_backend nipc__posix_backend = {
	.name = "posix",
	NIPC_BACKEND_OPS(posix),
};
