/* SPDX-License-Identifier: MIT */
/* System semaphores: Qt's QSystemSemaphore over a backend table. */
#include "config.h"

#include "backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nipc_sem {
	nipc_key *key;
	int initial;
	nipc_sem_mode mode;
	int no_undo;
	struct nipc_bsem b;
	int open;
	struct nipc_err err;
};

/* QSystemSemaphore::SystemSemaphoreError of a -NIPC_E* code. */
static int qt_error(int code)
{
	switch (-code) {
	case NIPC_EPERM:
		return NIPC_SEM_ERR_PERMISSION_DENIED;
	case NIPC_EKEY:
	case NIPC_ENOTSUP:
		return NIPC_SEM_ERR_KEY_ERROR;
	case NIPC_EEXIST:
		return NIPC_SEM_ERR_ALREADY_EXISTS;
	case NIPC_ENOTFOUND:
		return NIPC_SEM_ERR_NOT_FOUND;
	case NIPC_ERESOURCES:
		return NIPC_SEM_ERR_OUT_OF_RESOURCES;
	}
	return NIPC_SEM_ERR_UNKNOWN_ERROR;
}

static int fail(nipc_sem *sem, const char *op, int code, const char *text)
{
	return nipc__err_set(&sem->err, qt_error(code), op, code, text);
}

static void close_os(nipc_sem *sem)
{
	if (sem->open)
		sem->b.be->sem_close(&sem->b);
	sem->open = 0;
}

/* Qt's handle(): opens the OS semaphore unless open already. */
static int open_os(nipc_sem *sem, const char *op)
{
	const struct nipc_backend *be;
	struct nipc_why why;

	if (sem->open)
		return 0;
	if (!(be = nipc__backend_of(sem->key, &why)))
		return fail(sem, op, why.code, why.text);
	memset(&sem->b, 0, sizeof sem->b);
	sem->b.no_undo = sem->no_undo;
	if (be->sem_open(&sem->b, sem->key, sem->initial, sem->mode == NIPC_SEM_CREATE, 0, &why) < 0)
		return fail(sem, op, why.code, why.text);
	sem->open = 1;
	return 0;
}

static int rekey(nipc_sem *sem, const char *op, const nipc_key *key, int initial,
		 nipc_sem_mode mode)
{
	nipc_key *k = NULL;

	if (initial < 0 || (mode != NIPC_SEM_OPEN && mode != NIPC_SEM_CREATE))
		return -NIPC_EINVAL;
	if (key && nipc_key_dup(&k, key) < 0)
		return -NIPC_ENOMEM;
	close_os(sem);
	nipc_key_free(sem->key);
	sem->key = k;
	sem->initial = initial;
	sem->mode = mode;
	nipc__err_clear(&sem->err);
	return open_os(sem, op);
}

int nipc_sem_new(nipc_sem **out, const nipc_key *key, int initial, nipc_sem_mode mode)
{
	nipc_sem *sem;
	int err;

	if (!out)
		return -NIPC_EINVAL;
	*out = NULL;
	if (!(sem = calloc(1, sizeof *sem)))
		return -NIPC_ENOMEM;
	err = rekey(sem, "nipc_sem_new", key, initial, mode);
	if (err == -NIPC_EINVAL || err == -NIPC_ENOMEM) {
		nipc_sem_free(sem);
		return err;
	}
	*out = sem;
	return err;
}

void nipc_sem_free(nipc_sem *sem)
{
	if (!sem)
		return;
	close_os(sem);
	nipc_key_free(sem->key);
	free(sem);
}

int nipc_sem_set_key(nipc_sem *sem, const nipc_key *key, int initial, nipc_sem_mode mode)
{
	if (!sem)
		return -NIPC_EINVAL;
	return rekey(sem, "nipc_sem_set_key", key, initial, mode);
}

const nipc_key *nipc_sem_key(const nipc_sem *sem)
{
	return sem ? sem->key : NULL;
}

/* Takes one within ms (< 0: for ever). */
static int acquire_within(nipc_sem *sem, const char *op, long ms)
{
	struct nipc_why why;
	int r;

	if (!sem)
		return -NIPC_EINVAL;
	if ((r = open_os(sem, op)) < 0)
		return r;
	if ((r = sem->b.be->sem_acquire(&sem->b, ms, &why)) < 0)
		return fail(sem, op, why.code, why.text);
	if (r > 0)
		return fail(sem, op, -NIPC_ETIMEDOUT, "timed out");
	nipc__err_clear(&sem->err);
	return 0;
}

int nipc_sem_acquire(nipc_sem *sem)
{
	return acquire_within(sem, "nipc_sem_acquire", -1);
}

int nipc_sem_acquire_timeout(nipc_sem *sem, int ms)
{
	return acquire_within(sem, "nipc_sem_acquire_timeout", ms);
}

int nipc_sem_try_acquire(nipc_sem *sem)
{
	return acquire_within(sem, "nipc_sem_try_acquire", 0);
}

int nipc_sem_release(nipc_sem *sem, int n)
{
	static const char op[] = "nipc_sem_release";
	struct nipc_why why;
	int err;

	if (!sem || n < 1)
		return -NIPC_EINVAL;
	if ((err = open_os(sem, op)) < 0)
		return err;
	if (sem->b.be->sem_release(&sem->b, n, &why) < 0)
		return fail(sem, op, why.code, why.text);
	nipc__err_clear(&sem->err);
	return 0;
}

int nipc_sem_set_undo(nipc_sem *sem, int enabled)
{
	if (!sem)
		return -NIPC_EINVAL;
	sem->no_undo = sem->b.no_undo = !enabled;
	return 0;
}

int nipc_sem_value(int *out, const nipc_sem *sem)
{
	struct nipc_why why;

	if (!out || !sem)
		return -NIPC_EINVAL;
	if (!sem->open)
		return -NIPC_ESTATE;
	return sem->b.be->sem_value(&sem->b, out, &why);
}

nipc_sem_error_code nipc_sem_error(const nipc_sem *sem)
{
	return sem ? (nipc_sem_error_code)sem->err.qt : NIPC_SEM_ERR_UNKNOWN_ERROR;
}

const char *nipc_sem_error_string(const nipc_sem *sem)
{
	return sem ? sem->err.text : "invalid argument";
}

const char *nipc_sem_error_reason(const nipc_sem *sem)
{
	return sem ? sem->err.text + sem->err.reason : "invalid argument";
}
