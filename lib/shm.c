/* Shared memory objects: Qt's QSharedMemory state machine, its lock
 * semaphore and error reporting, over a backend table. */
#include "config.h"

#include "backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#define ERRSTR_MAX (32 + NIPC_WHY_MAX)
#define WIN_SEM_CUT 255 /* MAX_PATH minus "_sem" and its NUL */

struct nipc_shm {
	nipc_key *key;
	struct nipc_seg seg;
	int attached;
	struct nipc_bsem lock;
	int lock_open, locked;
	int cleanup;
	int err;
	char errstr[ERRSTR_MAX];
};

/* ---------------------------------------------------- backend selection */

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

int nipc__why_set(struct nipc_why *why, int code, const char *text)
{
	why->code = code;
	snprintf(why->text, sizeof why->text, "%s", text);
	return code;
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

/* ---------------------------------------------------------------- errors */

static int fail(nipc_shm *shm, const char *op, int code, const char *text)
{
	/* codes outside Qt's enum (out of memory) read as UnknownError */
	shm->err = -code <= NIPC_EUNKNOWN ? -code : NIPC_EUNKNOWN;
	snprintf(shm->errstr, sizeof shm->errstr, "%s: %s", op, text);
	return code;
}

static int fail_why(nipc_shm *shm, const char *op, const struct nipc_why *why)
{
	return fail(shm, op, why->code, why->text);
}

static void ok(nipc_shm *shm)
{
	shm->err = 0;
	shm->errstr[0] = '\0';
}

/* --------------------------------------------------------- the lock */

/* Key of the lock semaphore: the semaphore legacy key for a legacy key,
 * native + "_sem" on Windows, else the segment's own key (semaphores live in
 * another namespace than segments). */
static int lock_key(const nipc_key *key, nipc_key **out)
{
	if (key->legacy)
		return nipc_key_legacy_make(out, key->legacy, NIPC_KIND_SEM, key->type, NIPC_OS_HOST,
					    NULL);
	if (key->type == NIPC_KEY_WINDOWS) {
		char buf[WIN_SEM_CUT + sizeof "_sem"];

		snprintf(buf, sizeof buf, "%.*s_sem", WIN_SEM_CUT, key->native);
		return nipc_key_new(out, key->type, buf);
	}
	*out = nipc_key_dup(key);
	return *out ? 0 : -NIPC_ENOMEM;
}

static void lock_close(nipc_shm *shm)
{
	/* Qt's owner removes the lock even while the segment lives; System V
	 * users see EIDRM and make it again, but POSIX users would keep the
	 * unlinked one and stop excluding newcomers: there the lock goes with
	 * the segment (the last detach removes both). */
	if (shm->lock_open && shm->lock.owner && shm->key->type == NIPC_KEY_POSIX &&
	    nipc__posix_seg_exists(shm->key))
		shm->lock.owner = 0;
	if (shm->lock_open)
		shm->lock.be->sem_close(&shm->lock);
	shm->lock_open = 0;
	shm->locked = 0;
}

static int lock_open(nipc_shm *shm, const char *op, int create)
{
	const struct nipc_backend *be = nipc__backend_for(shm->key->type);
	struct nipc_why why;
	nipc_key *lk;
	int err;

	lock_close(shm);
	if ((err = lock_key(shm->key, &lk)) < 0)
		return fail(shm, op, err == -NIPC_ENOMEM ? err : -NIPC_EKEY, "unable to make key");
	memset(&shm->lock, 0, sizeof shm->lock);
	err = be->sem_open(&shm->lock, lk, 1, create, 1, &why);
	nipc_key_free(lk);
	if (err < 0)
		return fail(shm, op, why.code, "unable to set key on lock");
	shm->lock_open = 1;
	return 0;
}

static int take(nipc_shm *shm, const char *op)
{
	struct nipc_why why;

	if (shm->lock.be->sem_acquire(&shm->lock, &why) < 0)
		return fail(shm, op, -NIPC_ELOCK, "unable to lock");
	shm->locked = 1;
	return 0;
}

/* Usable key and its backend, or an error naming op. */
static const struct nipc_backend *backend(nipc_shm *shm, const char *op, int *err)
{
	const struct nipc_backend *be;

	if (!shm->key || !shm->key->native[0]) {
		*err = fail(shm, op, -NIPC_EKEY, "key is empty");
		return NULL;
	}
	if (!(be = nipc__backend_for(shm->key->type)))
		*err = fail(shm, op, -NIPC_EKEY, nipc_key_type_is_valid(shm->key->type)
							? "key type not supported on this host"
							: "invalid key type");
	return be;
}

/* ------------------------------------------------------------ public API */

int nipc_shm_new(nipc_shm **out, const nipc_key *key)
{
	nipc_shm *shm;

	if (!out)
		return -NIPC_EINVAL;
	*out = NULL;
	if (!(shm = calloc(1, sizeof *shm)))
		return -NIPC_ENOMEM;
	shm->seg.fd = -1;
	shm->cleanup = 1;
	if (key && !(shm->key = nipc_key_dup(key))) {
		free(shm);
		return -NIPC_ENOMEM;
	}
	*out = shm;
	return 0;
}

void nipc_shm_free(nipc_shm *shm)
{
	if (!shm)
		return;
	nipc_shm_set_key(shm, NULL);
	free(shm);
}

int nipc_shm_set_key(nipc_shm *shm, const nipc_key *key)
{
	nipc_key *k = NULL;

	if (!shm)
		return -NIPC_EINVAL;
	if (key && !(k = nipc_key_dup(key)))
		return -NIPC_ENOMEM;
	if (shm->attached)
		nipc_shm_detach(shm);
	if (shm->locked)
		nipc_shm_unlock(shm);
	lock_close(shm);
	nipc_key_free(shm->key);
	shm->key = k;
	return 0;
}

const nipc_key *nipc_shm_key(const nipc_shm *shm)
{
	return shm ? shm->key : NULL;
}

/* Ends an operation that took the lock (took). As with Qt's locker, an
 * unlock failure is not the operation's failure; the object still holds the
 * lock then, and nipc_shm_unlock() can retry. */
static int finish(nipc_shm *shm, int took, int err)
{
	struct nipc_why why;

	if (took && shm->locked && shm->lock.be->sem_release(&shm->lock, 1, &why) == 0)
		shm->locked = 0;
	if (!err)
		ok(shm);
	return err;
}

int nipc_shm_create(nipc_shm *shm, size_t size, nipc_shm_access access)
{
	static const char op[] = "nipc_shm_create";
	const struct nipc_backend *be;
	struct nipc_why why;
	int err = 0, took, id;

	if (!shm || (access != NIPC_SHM_READONLY && access != NIPC_SHM_READWRITE))
		return -NIPC_EINVAL;
	if (shm->attached)
		return -NIPC_ESTATE;
	if (!(be = backend(shm, op, &err)))
		return err;
	/* Create mode: a lock left by a crash is taken over with value 1 */
	if ((took = !shm->locked) && ((err = lock_open(shm, op, 1)) < 0 || (err = take(shm, op)) < 0))
		return err;
	if (size == 0)
		err = fail(shm, op, -NIPC_EINVALIDSIZE, "invalid size");
	else if ((id = be->seg_create(shm->key, size, &why)) < 0)
		err = fail_why(shm, op, &why);
	else {
		shm->seg.id = nipc_key_type_is_systemv(shm->key->type) ? id : -1;
		if (be->seg_attach(shm->key, access, &shm->seg, &why) < 0) {
			/* nobody can know of it yet: do not leave it behind */
			err = fail_why(shm, op, &why);
			be->seg_remove(shm->key);
		} else
			shm->attached = 1;
	}
	return finish(shm, took, err);
}

int nipc_shm_attach(nipc_shm *shm, nipc_shm_access access)
{
	static const char op[] = "nipc_shm_attach";
	const struct nipc_backend *be;
	struct nipc_why why;
	int err = 0, took;

	if (!shm || (access != NIPC_SHM_READONLY && access != NIPC_SHM_READWRITE))
		return -NIPC_EINVAL;
	if (shm->attached)
		return -NIPC_ESTATE;
	if (!(be = backend(shm, op, &err)))
		return err;
	/* an open lock is kept: reopening would make an owner remove it */
	if ((took = !shm->locked) &&
	    ((!shm->lock_open && (err = lock_open(shm, op, 0)) < 0) || (err = take(shm, op)) < 0))
		return err;
	shm->seg.id = -1;
	if (be->seg_attach(shm->key, access, &shm->seg, &why) < 0)
		err = fail_why(shm, op, &why);
	else
		shm->attached = 1;
	return finish(shm, took, err);
}

int nipc_shm_detach(nipc_shm *shm)
{
	static const char op[] = "nipc_shm_detach";
	const struct nipc_backend *be;
	struct nipc_why why;
	int err = 0, took, removed = 0;

	if (!shm)
		return -NIPC_EINVAL;
	if (!shm->attached)
		return -NIPC_ESTATE;
	be = nipc__backend_for(shm->key->type);
	if ((took = !shm->locked)) {
		if (!shm->lock_open && (err = lock_open(shm, op, 0)) < 0)
			return err;
		if ((err = take(shm, op)) < 0)
			return err;
	}
	shm->attached = 0;
	if (be->seg_detach(shm->key, &shm->seg, shm->cleanup, &removed, &why) < 0)
		err = fail_why(shm, op, &why);
	err = finish(shm, took, err);
	/* the last one out also removes the lock semaphore (and its key file) */
	if (removed && !shm->locked && shm->lock_open) {
		shm->lock.be->sem_remove(&shm->lock);
		shm->lock_open = 0;
	}
	return err;
}

int nipc_shm_is_attached(const nipc_shm *shm)
{
	return shm && shm->attached;
}

void *nipc_shm_data(const nipc_shm *shm)
{
	return shm && shm->attached ? shm->seg.addr : NULL;
}

size_t nipc_shm_size(const nipc_shm *shm)
{
	return shm && shm->attached ? shm->seg.size : 0;
}

int nipc_shm_lock(nipc_shm *shm)
{
	static const char op[] = "nipc_shm_lock";
	int err = 0;

	if (!shm)
		return -NIPC_EINVAL;
	if (shm->locked) {
		fprintf(stderr, "%s: already locked\n", op);
		return 0;
	}
	if (!shm->lock_open) {
		if (!backend(shm, op, &err))
			return fail(shm, op, -NIPC_ELOCK, "unable to lock");
		if (lock_open(shm, op, 0) < 0)
			return fail(shm, op, -NIPC_ELOCK, "unable to lock");
	}
	if ((err = take(shm, op)) < 0)
		return err;
	ok(shm);
	return 0;
}

int nipc_shm_unlock(nipc_shm *shm)
{
	struct nipc_why why;

	if (!shm)
		return -NIPC_EINVAL;
	if (!shm->locked)
		return -NIPC_ESTATE;
	if (shm->lock.be->sem_release(&shm->lock, 1, &why) < 0)
		return fail(shm, "nipc_shm_unlock", -NIPC_ELOCK, "unable to unlock");
	shm->locked = 0;
	ok(shm);
	return 0;
}

int nipc_shm_set_cleanup(nipc_shm *shm, int enabled)
{
	if (!shm)
		return -NIPC_EINVAL;
	shm->cleanup = !!enabled;
	return 0;
}

int nipc_shm_error(const nipc_shm *shm)
{
	return shm ? shm->err : NIPC_EINVAL;
}

const char *nipc_shm_error_string(const nipc_shm *shm)
{
	return shm ? shm->errstr : "invalid argument";
}

/* Run-time checks: System V IPC may be compiled out or forbidden (seccomp,
 * containers); POSIX objects need a writable /dev/shm. */
static int sysv_shm_works(void)
{
	int id = shmget(IPC_PRIVATE, 1, 0600);

	if (id < 0)
		return 0;
	shmctl(id, IPC_RMID, NULL);
	return 1;
}

static int sysv_sem_works(void)
{
	int id = semget(IPC_PRIVATE, 1, 0600);

	if (id < 0)
		return 0;
	semctl(id, 0, IPC_RMID);
	return 1;
}

int nipc_shm_key_type_supported(int type)
{
	if (nipc_key_type_is_systemv(type))
		return sysv_shm_works();
	if (type == NIPC_KEY_POSIX)
		return access("/dev/shm", W_OK | X_OK) == 0;
	return 0;
}

int nipc_sem_key_type_supported(int type)
{
	if (nipc_key_type_is_systemv(type))
		return sysv_sem_works();
	if (type == NIPC_KEY_POSIX)
		return access("/dev/shm", W_OK | X_OK) == 0;
	return 0;
}
