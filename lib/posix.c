/* POSIX backend: shm_open/mmap segments and sem_open semaphores.
 *
 * Beyond Qt: every attachment keeps its descriptor open with a shared
 * open-file-description (OFD) lock on it, which the kernel drops when the
 * process dies; a detach that sees no other OFD lock is the last and unlinks
 * the segment. A segment's lock semaphore (mutex mode) additionally uses the
 * semaphore's own file: the holder keeps an OFD write lock on HOLD_BYTE from
 * before sem_wait until after sem_post, and marks the count as taken in a
 * flag byte past the sem_t. A holder that dies loses its OFD lock but
 * leaves the flag set, so the next nipc process to get the OFD lock (the
 * only one that may look) takes the lost count over instead of waiting for
 * ever. */
#include "config.h"

#include "backend.h"

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

/* glibc keeps named semaphores as files "sem.<name>" in /dev/shm */
#define SEM_DIR "/dev/shm/sem."
#define HOLD_BYTE 0
#define FLAG_OFF 128 /* past glibc's 32-byte sem_t */

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

static int shm_errno(struct nipc_why *why, int e)
{
	if (e == EINVAL)
		return nipc__why_set(why, -NIPC_EKEY, "bad name");
	return nipc__why_errno(why, e);
}

static int seg_create(const nipc_key *key, size_t size, struct nipc_why *why)
{
	int fd, e;

	if (!key->native[0])
		return nipc__why_set(why, -NIPC_EKEY, "key is empty");
	fd = shm_open(key->native, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, MODE_RW);
	if (fd < 0)
		return shm_errno(why, errno);
	/* 0600 whatever the umask, as System V modes are */
	if (fchmod(fd, MODE_RW) < 0 || ftruncate(fd, (off_t)size) < 0) {
		e = errno;
		close(fd);
		shm_unlink(key->native);
		return e == EINVAL || e == EFBIG ? nipc__why_set(why, -NIPC_EINVALIDSIZE, "invalid size")
						  : nipc__why_errno(why, e);
	}
	close(fd);
	return 0;
}

static int seg_attach(const nipc_key *key, int rw, struct nipc_seg *seg, struct nipc_why *why)
{
	struct stat st;
	void *addr;
	int fd, e;

	if (!key->native[0])
		return nipc__why_set(why, -NIPC_EKEY, "key is empty");
	fd = shm_open(key->native, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC, rw ? MODE_RW : MODE_RO);
	if (fd < 0)
		return shm_errno(why, errno);
	if (fstat(fd, &st) < 0)
		goto fail;
	if (st.st_size <= 0) {
		close(fd);
		return nipc__why_set(why, -NIPC_EINVALIDSIZE, "invalid size");
	}
	addr = mmap(NULL, (size_t)st.st_size, PROT_READ | (rw ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED)
		goto fail;
#ifdef F_ADD_SEALS
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK);
#endif
	seg->addr = addr;
	seg->size = (size_t)st.st_size;
	seg->id = -1;
	seg->fd = fd;
	seg->shared = ofd_lock(fd, F_RDLCK, 0, 0) == 0;
	return 0;
fail:
	e = errno;
	close(fd);
	return nipc__why_errno(why, e);
}

static int seg_detach(const nipc_key *key, struct nipc_seg *seg, int cleanup, int *removed,
		      struct nipc_why *why)
{
	int err = 0, fd = seg->fd;

	*removed = 0;
	if (munmap(seg->addr, seg->size) < 0)
		err = nipc__why_errno(why, errno);
	/* Runs under the segment's lock, as every attach does, so nobody can
	 * attach between this look and the unlink. Without our own shared lock
	 * we cannot tell, and keep the segment. */
	if (!err && cleanup && seg->shared && ofd_other(fd, 0) == 0) {
		if (shm_unlink(key->native) == 0 || errno == ENOENT)
			*removed = 1;
		else
			err = nipc__why_errno(why, errno);
	}
	close(fd);
	seg->addr = NULL;
	seg->size = 0;
	seg->fd = -1;
	seg->shared = 0;
	return err;
}

static void seg_remove(const nipc_key *key)
{
	shm_unlink(key->native);
}

int nipc__posix_seg_exists(const nipc_key *key)
{
	int fd = shm_open(key->native, O_RDONLY | O_CLOEXEC, 0);

	if (fd >= 0)
		close(fd);
	return fd >= 0 || errno == EACCES;
}

/* ------------------------------------------------------------ semaphores */

/* The file of a named semaphore, or -1 if it cannot be opened (then the
 * lock works without crash recovery). */
static int sem_file(const char *native)
{
	char path[sizeof SEM_DIR + NAME_MAX];
	int n;

	while (*native == '/') /* as glibc maps the name */
		native++;
	n = snprintf(path, sizeof path, SEM_DIR "%s", native);

	if (n < 0 || (size_t)n >= sizeof path)
		return -1;
	return open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
}

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

/* Maps fd's flag byte, so that taking and giving the lock needs no pread
 * or pwrite. The file grows to hold it first (the flag's first pwrite did
 * that before): ftruncate only when shorter, so a set flag is never cut. */
static void flag_map(struct nipc_bsem *s)
{
	struct stat st;
	void *p;

	if (fstat(s->fd, &st) < 0)
		return;
	if (st.st_size < FLAG_OFF + 1 && ftruncate(s->fd, FLAG_OFF + 1) < 0)
		return;
	p = mmap(NULL, FLAG_OFF + 1, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (p != MAP_FAILED)
		s->flag = (unsigned char *)p + FLAG_OFF;
}

static int flag_get(struct nipc_bsem *s, unsigned char *v)
{
	if (s->flag) {
		*v = __atomic_load_n(s->flag, __ATOMIC_ACQUIRE);
		return 0;
	}
	return pread(s->fd, v, 1, FLAG_OFF) == 1 ? 0 : -1;
}

static int flag_put(struct nipc_bsem *s, unsigned char v)
{
	if (s->flag) {
		__atomic_store_n(s->flag, v, __ATOMIC_RELEASE);
		return 0;
	}
	return pwrite(s->fd, &v, 1, FLAG_OFF) == 1 ? 0 : -1;
}

static void psem_forget(struct nipc_bsem *s)
{
	if (s->flag)
		munmap(s->flag - FLAG_OFF, FLAG_OFF + 1);
	s->flag = NULL;
	if (s->psem)
		sem_close(s->psem);
	if (s->fd >= 0)
		close(s->fd);
	free(s->native);
	s->native = NULL;
	s->psem = NULL;
	s->fd = -1;
	s->owner = 0;
}

static int psem_open(struct nipc_bsem *s, const nipc_key *key, int initial, int create, int mutex,
		     struct nipc_why *why)
{
	sem_t *p = SEM_FAILED;

	s->be = &nipc__posix_backend;
	s->fd = -1;
	s->flag = NULL;
	s->psem = NULL;
	s->type = key->type;
	s->initial = initial;
	s->mutex = mutex;
	if (!key->native[0])
		return nipc__why_set(why, -NIPC_EKEY, "key is empty");
	if ((unsigned)initial > SEM_VALUE_MAX)
		return nipc__why_set(why, -NIPC_ERESOURCES, "out of resources");
	if (!(s->native = strdup(key->native)))
		return nipc__why_set(why, -NIPC_ENOMEM, "out of memory");
	s->owner = 1;
	for (int tries = 0; tries < 3 && p == SEM_FAILED; tries++) {
		p = open_retry(key->native, O_CREAT | O_EXCL, (unsigned)initial);
		if (p != SEM_FAILED || errno != EEXIST)
			break;
		if (create) {
			if (sem_unlink(key->native) < 0 && errno != ENOENT)
				break;
		} else {
			s->owner = 0;
			p = open_retry(key->native, O_CREAT, (unsigned)initial);
		}
	}
	if (p == SEM_FAILED) {
		int e = errno;

		psem_forget(s);
		return sem_err(why, e);
	}
	s->psem = p;
	if (mutex || s->owner) {
		int fd = sem_file(key->native);

		if (fd >= 0 && s->owner)
			fchmod(fd, MODE_RW);
		if (mutex && (s->fd = fd) >= 0)
			flag_map(s);
		else if (fd >= 0)
			close(fd);
	}
	return 0;
}

static int wait_retry(sem_t *p, struct nipc_why *why)
{
	while (sem_wait(p) < 0)
		if (errno != EINTR)
			return nipc__why_errno(why, errno);
	return 0;
}

static int mutex_acquire(struct nipc_bsem *s, struct nipc_why *why)
{
	unsigned char flag = 0;
	int err;

	if (ofd_lock(s->fd, F_WRLCK, HOLD_BYTE, 1) < 0)
		return nipc__why_errno(why, errno);
	/* set: a holder died with the count; we hold it now */
	if (flag_get(s, &flag) == 0 && flag) {
		s->inherited++;
		return 0;
	}
	if ((err = wait_retry(s->psem, why)) < 0) {
		ofd_lock(s->fd, F_UNLCK, HOLD_BYTE, 0);
		return err;
	}
	if (flag_put(s, 1) < 0) {
		err = nipc__why_errno(why, errno);
		sem_post(s->psem);
		ofd_lock(s->fd, F_UNLCK, HOLD_BYTE, 0);
		return err;
	}
	return 0;
}

static int mutex_release(struct nipc_bsem *s, struct nipc_why *why)
{
	int err = 0;

	if (flag_put(s, 0) < 0)
		err = nipc__why_errno(why, errno);
	else if (sem_post(s->psem) < 0)
		err = nipc__why_errno(why, errno);
	ofd_lock(s->fd, F_UNLCK, HOLD_BYTE, 0);
	return err;
}

static int psem_acquire(struct nipc_bsem *s, struct nipc_why *why)
{
	if (s->fd >= 0)
		return mutex_acquire(s, why);
	return wait_retry(s->psem, why);
}

static int psem_release(struct nipc_bsem *s, int n, struct nipc_why *why)
{
	int e;

	if (s->fd >= 0 && n == 1)
		return mutex_release(s, why);
	for (int i = 0; i < n; i++) {
		if (sem_post(s->psem) == 0)
			continue;
		e = errno;
		while (i-- > 0)
			while (sem_wait(s->psem) < 0 && errno == EINTR)
				;
		return nipc__why_errno(why, e);
	}
	return 0;
}

static void psem_remove(struct nipc_bsem *s)
{
	if (s->psem)
		sem_unlink(s->native);
	psem_forget(s);
}

static void psem_close(struct nipc_bsem *s)
{
	if (s->owner)
		psem_remove(s);
	else
		psem_forget(s);
}

const struct nipc_backend nipc__posix_backend = {
	.name = "posix",
	.seg_create = seg_create,
	.seg_attach = seg_attach,
	.seg_detach = seg_detach,
	.seg_remove = seg_remove,
	.sem_open = psem_open,
	.sem_acquire = psem_acquire,
	.sem_release = psem_release,
	.sem_close = psem_close,
	.sem_remove = psem_remove,
};
