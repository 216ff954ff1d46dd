/* SPDX-License-Identifier: MIT */
/* Shared memory objects: Qt's QSharedMemory state machine, its lock
 * semaphore and error reporting, over a backend table. The lock's state
 * machine is written down in libnipc(3), "THE LOCK"; this file follows it. */
#include "config.h"

#include "backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIN_SEM_CUT 255 /* MAX_PATH minus "_sem" and its NUL */

struct nipc_shm {
	nipc_key *key;
	struct nipc_seg seg;
	int attached;
	struct nipc_bsem lock;
	int lock_open, locked;
	int doomed;    /* detached last while the caller held the lock: remove it at unlock */
	int recovered; /* the last taking of the lock took it over from a dead holder */
	int cleanup;
	struct nipc_err err;
};

/* ---------------------------------------------------------------- errors */

/* QSharedMemory::SharedMemoryError of a -NIPC_E* code: 1..8 are Qt's
 * own; codes outside Qt's enum (out of memory) read as UnknownError. */
static int qt_error(int code)
{
	if (code == -NIPC_ENOTSUP)
		return NIPC_SHM_ERR_KEY_ERROR;
	if (code == -NIPC_ETIMEDOUT)
		return NIPC_SHM_ERR_LOCK_ERROR;
	return -code <= NIPC_EUNKNOWN ? -code : NIPC_SHM_ERR_UNKNOWN_ERROR;
}

static int fail(nipc_shm *shm, const char *op, int code, const char *text)
{
	return nipc__err_set(&shm->err, qt_error(code), op, code, text);
}

static int fail_why(nipc_shm *shm, const char *op, const struct nipc_why *why)
{
	return fail(shm, op, why->code, why->text);
}

static void ok(nipc_shm *shm)
{
	nipc__err_clear(&shm->err);
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
	return nipc_key_dup(out, key);
}

static void lock_forget(nipc_shm *shm)
{
	if (shm->lock_open)
		shm->lock.be->sem_close(&shm->lock);
	shm->lock_open = 0;
	shm->locked = 0;
	shm->doomed = 0;
}

static void drop_lock(nipc_shm *shm, int files);

/* Closes the lock. One that this handle made for a segment that never came
 * (lock() on a key with no segment, a failed attach) is removed if nobody
 * holds it now, so that nothing is left behind. */
static void lock_close(nipc_shm *shm)
{
	const struct nipc_backend *be;
	struct nipc_why why;

	if (shm->lock_open && !shm->locked && shm->lock.made && shm->key &&
	    (be = nipc__backend_for(shm->key->type)) && !be->seg_exists(shm->key) &&
	    shm->lock.be->sem_acquire(&shm->lock, 0, &why) == 0) {
		if (!be->seg_exists(shm->key)) {
			drop_lock(shm, 0);
			return;
		}
		shm->lock.be->sem_release(&shm->lock, 1, &why);
	}
	lock_forget(shm);
}

static int lock_open(nipc_shm *shm, const char *op)
{
	const struct nipc_backend *be = nipc__backend_for(shm->key->type);
	char text[NIPC_WHY_MAX + 32];
	struct nipc_why why;
	nipc_key *lk;
	int err;

	if (shm->lock_open)
		return 0;
	if ((err = lock_key(shm->key, &lk)) < 0)
		return fail(shm, op, err == -NIPC_ENOMEM ? err : -NIPC_EKEY, "unable to make key");
	memset(&shm->lock, 0, sizeof shm->lock);
	err = be->sem_open(&shm->lock, lk, 1, 0, 1, &why);
	nipc_key_free(lk);
	if (err < 0) {
		snprintf(text, sizeof text, "unable to set key on lock: %s", why.text);
		return fail(shm, op, why.code, text);
	}
	shm->lock_open = 1;
	return 0;
}

/* Takes the lock, waiting at most ms (< 0: for ever). */
static int take(nipc_shm *shm, const char *op, long ms)
{
	struct nipc_why why;
	int r = shm->lock.be->sem_acquire(&shm->lock, ms, &why);

	if (r < 0)
		return fail(shm, op, -NIPC_ELOCK, "unable to lock");
	if (r > 0)
		return fail(shm, op, -NIPC_ETIMEDOUT, "timed out");
	shm->locked = 1;
	shm->recovered = shm->lock.recovered;
	return 0;
}

/* Opens the lock if needed and takes it, unless held already; *took says
 * whether this call took it. */
static int take_for(nipc_shm *shm, const char *op, int *took)
{
	int err;

	if (!(*took = !shm->locked))
		return 0;
	if ((err = lock_open(shm, op)) < 0 || (err = take(shm, op, -1)) < 0)
		return err;
	return 0;
}

/* Gives the lock back. The handle is not locked afterwards, whatever
 * happens: a failed give is reported, and the next lock() really locks. */
static int give(nipc_shm *shm)
{
	struct nipc_why why;
	int err;

	shm->locked = 0;
	err = shm->lock.be->sem_release(&shm->lock, 1, &why);
	if (err < 0)
		lock_forget(shm); /* not ours any more (removed under us): reopen next time */
	return err;
}

/* Held, and the segment is gone: the lock guards nothing. Removes it (and
 * the key files: all of them after a last detach, else only those this
 * handle made), so that nothing is left behind. */
static void drop_lock(nipc_shm *shm, int files)
{
	shm->lock.be->lock_remove(&shm->lock, shm->key, files);
	shm->lock_open = 0;
	shm->locked = 0;
	shm->doomed = 0;
}

/* Usable key and its backend, or an error naming op. */
static const struct nipc_backend *backend(nipc_shm *shm, const char *op, int *err)
{
	struct nipc_why why;
	const struct nipc_backend *be = nipc__backend_of(shm->key, &why);

	if (!be)
		*err = fail_why(shm, op, &why);
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
	shm->cleanup = 1;
	if (key && nipc_key_dup(&shm->key, key) < 0) {
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
	if (key && nipc_key_dup(&k, key) < 0)
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

/* Ends an operation that took the lock (took): gives it back, or, when the
 * operation left no segment, removes it (files: all key files, for a
 * segment this operation made and removed again). As with Qt's locker,
 * a failure to give is not the operation's failure. */
static int finish(nipc_shm *shm, int took, int err, int files)
{
	const struct nipc_backend *be = nipc__backend_for(shm->key->type);

	if (took && shm->locked) {
		if (err && !shm->attached && !be->seg_exists(shm->key))
			drop_lock(shm, files);
		else
			give(shm);
	}
	if (!err)
		ok(shm);
	return err;
}

/* The start of create and attach: the checks, the backend, the lock
 * taken unless held (*took says whether this call took it). A live lock
 * is never reset: an existing segment's holder keeps it. */
static int begin(nipc_shm *shm, const char *op, nipc_shm_access access,
		 const struct nipc_backend **be, int *took)
{
	int err = 0;

	if (!shm || (access != NIPC_SHM_READONLY && access != NIPC_SHM_READWRITE))
		return -NIPC_EINVAL;
	if (shm->attached)
		return -NIPC_ESTATE;
	if (!(*be = backend(shm, op, &err)))
		return err;
	if ((err = take_for(shm, op, took)) < 0)
		return err;
	memset(&shm->seg, 0, sizeof shm->seg);
	return 0;
}

int nipc_shm_create(nipc_shm *shm, size_t size, nipc_shm_access access)
{
	static const char op[] = "nipc_shm_create";
	const struct nipc_backend *be;
	struct nipc_why why;
	int err, took, files = 0;

	if ((err = begin(shm, op, access, &be, &took)) < 0)
		return err;
	if (size == 0)
		err = fail(shm, op, -NIPC_EINVALIDSIZE, "invalid size");
	else if (be->seg_create(shm->key, size, &shm->seg, &why) < 0)
		err = fail_why(shm, op, &why);
	else if (be->seg_attach(shm->key, access, &shm->seg, &why) < 0) {
		/* nobody can know of it yet: do not leave it behind */
		err = fail_why(shm, op, &why);
		be->seg_remove(shm->key);
		files = 1;
	} else
		shm->attached = 1;
	return finish(shm, took, err, files);
}

int nipc_shm_attach(nipc_shm *shm, nipc_shm_access access)
{
	static const char op[] = "nipc_shm_attach";
	const struct nipc_backend *be;
	struct nipc_why why;
	int err, took;

	if ((err = begin(shm, op, access, &be, &took)) < 0)
		return err;
	if (be->seg_attach(shm->key, access, &shm->seg, &why) < 0)
		err = fail_why(shm, op, &why);
	else
		shm->attached = 1;
	return finish(shm, took, err, 0);
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
	if ((err = take_for(shm, op, &took)) < 0)
		return err;
	shm->attached = 0;
	if (be->seg_detach(shm->key, &shm->seg, shm->cleanup, &removed, &why) < 0)
		err = fail_why(shm, op, &why);
	if (!removed)
		return finish(shm, took, err, 0);
	/* the last one out: segment, then lock, then key files, all while
	 * holding the lock (a caller who holds it keeps it until unlock) */
	NIPC_FAULT("seg-removed");
	if (took)
		drop_lock(shm, 1);
	else
		shm->doomed = 1;
	if (!err)
		ok(shm);
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

static int lock_within(nipc_shm *shm, const char *op, long ms)
{
	int err = 0;

	if (!shm)
		return -NIPC_EINVAL;
	if (shm->locked) {
		fprintf(stderr, "%s: already locked\n", op);
		return 0;
	}
	if (!backend(shm, op, &err) || lock_open(shm, op) < 0)
		return fail(shm, op, -NIPC_ELOCK, "unable to lock");
	if ((err = take(shm, op, ms)) < 0)
		return err;
	ok(shm);
	return 0;
}

int nipc_shm_lock(nipc_shm *shm)
{
	return lock_within(shm, "nipc_shm_lock", -1);
}

int nipc_shm_lock_timeout(nipc_shm *shm, int ms)
{
	return lock_within(shm, "nipc_shm_lock_timeout", ms);
}

int nipc_shm_trylock(nipc_shm *shm)
{
	return lock_within(shm, "nipc_shm_trylock", 0);
}

int nipc_shm_unlock(nipc_shm *shm)
{
	if (!shm)
		return -NIPC_EINVAL;
	if (!shm->locked)
		return -NIPC_ESTATE;
	/* no segment (detached last while locked, or never attached): the
	 * lock guards nothing and goes with it */
	if ((shm->doomed || !shm->attached) &&
	    !nipc__backend_for(shm->key->type)->seg_exists(shm->key)) {
		drop_lock(shm, shm->doomed);
		ok(shm);
		return 0;
	}
	shm->doomed = 0;
	if (give(shm) < 0)
		return fail(shm, "nipc_shm_unlock", -NIPC_ELOCK, "unable to unlock");
	ok(shm);
	return 0;
}

int nipc_shm_lock_recovered(const nipc_shm *shm)
{
	return shm && shm->recovered;
}

int nipc_shm_set_cleanup(nipc_shm *shm, int enabled)
{
	if (!shm)
		return -NIPC_EINVAL;
	shm->cleanup = !!enabled;
	return 0;
}

nipc_shm_error_code nipc_shm_error(const nipc_shm *shm)
{
	return shm ? (nipc_shm_error_code)shm->err.qt : NIPC_SHM_ERR_UNKNOWN_ERROR;
}

const char *nipc_shm_error_string(const nipc_shm *shm)
{
	return shm ? shm->err.text : "invalid argument";
}

const char *nipc_shm_error_reason(const nipc_shm *shm)
{
	return shm ? shm->err.text + shm->err.reason : "invalid argument";
}
