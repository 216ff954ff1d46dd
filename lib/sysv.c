/* System V backend: shmget/shmat segments and semget/semop semaphores keyed
 * by ftok(3) of a key file, as Qt does it. */
#include "config.h"

#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#define MODE_RW 0600
#define MODE_RO 0400

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
	int err;

	if (!key->native[0])
		return nipc__why_set(why, -NIPC_EKEY, "key is empty");
	err = nipc_ftok(key->native, key->type, out);
	if (err == -NIPC_ENOTFOUND)
		return nipc__why_set(why, err, "doesn't exist");
	if (err < 0)
		return nipc__why_set(why, -NIPC_EKEY, "ftok failed");
	return 0;
}

static int seg_create(const nipc_key *key, size_t size, struct nipc_why *why)
{
	key_t k;
	int made, id, err, e;

	if (!key->native[0])
		return nipc__why_set(why, -NIPC_EKEY, "key is empty");
	if (nipc__key_file(key->native, &made) < 0)
		return nipc__why_set(why, -NIPC_EKEY, "unable to make key");
	if ((err = sysv_key(key, &k, why)) < 0)
		goto fail;
	if ((id = shmget(k, size, MODE_RW | IPC_CREAT | IPC_EXCL)) >= 0)
		return id;
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

static int seg_attach(const nipc_key *key, int rw, struct nipc_seg *seg, struct nipc_why *why)
{
	struct shmid_ds ds;
	key_t k;
	void *addr;
	int id, err, e;

	/* right after our create, under the lock, the key still names seg->id
	 * (Qt keeps its ftok() result between create and attach too) */
	if ((id = seg->id) < 0) {
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
	seg->id = id;
	seg->fd = -1;
	return 0;
}

static int seg_detach(const nipc_key *key, struct nipc_seg *seg, int cleanup, int *removed,
		      struct nipc_why *why)
{
	struct shmid_ds ds;
	void *addr = seg->addr;
	int id = seg->id;

	*removed = 0;
	seg->addr = NULL;
	seg->size = 0;
	seg->id = -1;
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
	unlink(key->native);
	*removed = 1;
	return 0;
}

static void seg_remove(const nipc_key *key)
{
	key_t k;
	int id;

	if (nipc_ftok(key->native, key->type, &k) < 0)
		return;
	if ((id = shmget(k, 0, 0)) >= 0)
		shmctl(id, IPC_RMID, NULL);
	unlink(key->native);
}

/* ------------------------------------------------------------ semaphores */

static void sem_forget(struct nipc_bsem *s)
{
	free(s->native);
	s->native = NULL;
	s->id = -1;
	s->owner = 0;
}

static int sem_get(struct nipc_bsem *s, int create, struct nipc_why *why)
{
	nipc_key key = {.type = s->type, .native = s->native, .legacy = NULL};
	key_t k;
	int made, id, err;

	if (!s->native[0])
		return nipc__why_set(why, -NIPC_EKEY, "key is empty");
	if (nipc__key_file(s->native, &made) < 0)
		return nipc__why_set(why, -NIPC_EKEY, "unable to make key");
	if ((err = sysv_key(&key, &k, why)) < 0)
		goto fail;
	s->owner = 1;
	if ((id = semget(k, 1, MODE_RW | IPC_CREAT | IPC_EXCL)) < 0 && errno == EEXIST) {
		s->owner = create;
		id = semget(k, 1, MODE_RW | IPC_CREAT);
	}
	if (id < 0) {
		err = nipc__why_errno(why, errno);
		goto fail;
	}
	if (s->owner && semctl(id, 0, SETVAL, s->initial) < 0) {
		err = nipc__why_errno(why, errno);
		goto fail;
	}
	s->id = id;
	return 0;
fail:
	s->owner = 0;
	if (made)
		unlink(s->native);
	return err;
}

static int sem_open_(struct nipc_bsem *s, const nipc_key *key, int initial, int create,
		     int mutex, struct nipc_why *why)
{
	int err;

	if (!(s->native = strdup(key->native)))
		return nipc__why_set(why, -NIPC_ENOMEM, "out of memory");
	s->type = key->type;
	s->initial = initial;
	s->mutex = mutex;
	s->be = &nipc__sysv_backend;
	if ((err = sem_get(s, create, why)) < 0)
		sem_forget(s);
	return err;
}

/* semop with SEM_UNDO (the kernel gives a dead process's count back),
 * retried on EINTR; a semaphore removed under us is made again, as Qt 5
 * does: its owner removes it on close even while others use it. */
static int sem_op(struct nipc_bsem *s, int delta, struct nipc_why *why)
{
	struct sembuf op = {.sem_num = 0, .sem_op = (short)delta, .sem_flg = SEM_UNDO};
	int err;

	for (int tries = 0;; tries++) {
		if (semop(s->id, &op, 1) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if ((errno != EINVAL && errno != EIDRM) || tries >= 3 || (s->mutex && delta > 0))
			return nipc__why_errno(why, errno);
		s->owner = 0;
		if ((err = sem_get(s, 0, why)) < 0)
			return err;
	}
}

static int sem_acquire(struct nipc_bsem *s, struct nipc_why *why)
{
	return sem_op(s, -1, why);
}

static int sem_release(struct nipc_bsem *s, int n, struct nipc_why *why)
{
	if (n > 32767)
		return nipc__why_set(why, -NIPC_EUNKNOWN, "unknown error: count out of range");
	return sem_op(s, n, why);
}

/* A segment's lock shares its key file when both use the segment's key:
 * the file stays while that segment exists. */
static int file_in_use(const struct nipc_bsem *s)
{
	key_t k;

	return nipc_ftok(s->native, s->type, &k) == 0 && shmget(k, 0, 0) >= 0;
}

static void sem_remove(struct nipc_bsem *s)
{
	if (s->id >= 0) {
		semctl(s->id, 0, IPC_RMID);
		if (!file_in_use(s))
			unlink(s->native);
	}
	sem_forget(s);
}

static void sem_close(struct nipc_bsem *s)
{
	if (s->owner)
		sem_remove(s);
	else
		sem_forget(s);
}

const struct nipc_backend nipc__sysv_backend = {
	.name = "systemv",
	.seg_create = seg_create,
	.seg_attach = seg_attach,
	.seg_detach = seg_detach,
	.seg_remove = seg_remove,
	.sem_open = sem_open_,
	.sem_acquire = sem_acquire,
	.sem_release = sem_release,
	.sem_close = sem_close,
	.sem_remove = sem_remove,
};
