/* SPDX-License-Identifier: MIT */
/* System semaphores: Qt's QSystemSemaphore over a backend table. */
#include "config.h"

#include "backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERRSTR_MAX (32 + NIPC_WHY_MAX)

struct nipc_sem {
	nipc_key *key;
	int initial;
	nipc_sem_mode mode;
	struct nipc_bsem b;
	int open;
	int err;
	char errstr[ERRSTR_MAX];
};

/* QSystemSemaphore::SystemSemaphoreError order from a -NIPC_E* code. */
static int sem_code(int code)
{
	switch (-code) {
	case NIPC_EPERM:
		return 1;
	case NIPC_EKEY:
		return 2;
	case NIPC_EEXIST:
		return 3;
	case NIPC_ENOTFOUND:
		return 4;
	case NIPC_ERESOURCES:
		return 5;
	}
	return 6;
}

static int fail(nipc_sem *sem, const char *op, int code, const char *text)
{
	sem->err = sem_code(code);
	snprintf(sem->errstr, sizeof sem->errstr, "%s: %s", op, text);
	return code;
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
	if (nipc__key_check(sem->key ? sem->key->native : NULL, &why))
		return fail(sem, op, why.code, why.text);
	if (!(be = nipc__backend_for(sem->key->type)))
		return fail(sem, op, -NIPC_EKEY, nipc_key_type_is_valid(sem->key->type)
							 ? "key type not supported on this host"
							 : "invalid key type");
	memset(&sem->b, 0, sizeof sem->b);
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
	if (key && !(k = nipc_key_dup(key)))
		return -NIPC_ENOMEM;
	close_os(sem);
	nipc_key_free(sem->key);
	sem->key = k;
	sem->initial = initial;
	sem->mode = mode;
	sem->err = 0;
	sem->errstr[0] = '\0';
	return open_os(sem, op);
}

int nipc_sem_new(nipc_sem **out, const nipc_key *key, int initial, nipc_sem_mode mode)
{
	nipc_sem *sem;
	int err;

	if (!out)
		return -NIPC_EINVAL;
	*out = NULL;
	if (initial < 0 || (mode != NIPC_SEM_OPEN && mode != NIPC_SEM_CREATE))
		return -NIPC_EINVAL;
	if (!(sem = calloc(1, sizeof *sem)))
		return -NIPC_ENOMEM;
	if ((err = rekey(sem, "nipc_sem_new", key, initial, mode)) == -NIPC_ENOMEM) {
		free(sem);
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

int nipc_sem_acquire(nipc_sem *sem)
{
	static const char op[] = "nipc_sem_acquire";
	struct nipc_why why;
	int err;

	if (!sem)
		return -NIPC_EINVAL;
	if ((err = open_os(sem, op)) < 0)
		return err;
	if (sem->b.be->sem_acquire(&sem->b, 1, &why) < 0)
		return fail(sem, op, why.code, why.text);
	sem->err = 0;
	sem->errstr[0] = '\0';
	return 0;
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
	sem->err = 0;
	sem->errstr[0] = '\0';
	return 0;
}

int nipc_sem_error(const nipc_sem *sem)
{
	return sem ? sem->err : 6;
}

const char *nipc_sem_error_string(const nipc_sem *sem)
{
	return sem ? sem->errstr : "invalid argument";
}
