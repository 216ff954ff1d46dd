/* SPDX-License-Identifier: MIT */
/* The public view of objects on the host (nipc_obj, nipc_objlist): what
 * the backends' stat and list ops report, with the processes that map each
 * object found in one pass over /proc per call. */
#include "config.h"

#include "backend.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Adds the attached PIDs of every object of l in one pass. Without /proc
 * they stay unknown. */
static int attach_pids(struct nipc_objlist *l)
{
	int err = nipc__maps_scan(l->v, l->n, 0);

	if (err < -1)
		return err;
	for (size_t i = 0; i < l->n; i++)
		l->v[i].pids_known = err == 0 && l->v[i].mappable;
	return 0;
}

int nipc_obj_stat(nipc_obj **out, const nipc_key *key, nipc_kind kind)
{
	struct nipc_objlist l = {0};
	const struct nipc_backend *be;
	int err;

	if (!out)
		return -NIPC_EINVAL;
	*out = NULL;
	if (!key || (kind != NIPC_KIND_SHM && kind != NIPC_KIND_SEM))
		return -NIPC_EINVAL;
	if (!key->native[0])
		return -NIPC_EKEY;
	if (!(be = nipc__backend_for(key->type)) || !be->stat)
		return -NIPC_ENOTSUP;
	if ((err = be->stat(&l, key, kind)) < 0 || (err = attach_pids(&l)) < 0)
		goto done;
	if (!(*out = malloc(sizeof **out))) {
		err = -NIPC_ENOMEM;
		goto done;
	}
	**out = l.v[0];
	l.n = 0;
done:
	nipc__objlist_clear(&l);
	return err;
}

void nipc_obj_free(nipc_obj *obj)
{
	/* a list of one owns what the object owns, and the object */
	struct nipc_objlist l = {obj, obj ? 1 : 0, 1};

	nipc__objlist_clear(&l);
}

static int list_one(struct nipc_objlist *l, int type)
{
	const struct nipc_backend *be = nipc__backend_for(type);

	return be && be->list ? be->list(l) : -NIPC_ENOTSUP;
}

int nipc_objlist_new(nipc_objlist **out, int type)
{
	struct nipc_objlist *l;
	int err;

	if (!out)
		return -NIPC_EINVAL;
	*out = NULL;
	if (type && !nipc_key_type_is_valid(type))
		return -NIPC_EINVAL;
	if (!(l = calloc(1, sizeof *l)))
		return -NIPC_ENOMEM;
	if (type)
		err = list_one(l, type);
	else if ((err = list_one(l, NIPC_KEY_SYSTEMV)) >= 0)
		err = list_one(l, NIPC_KEY_POSIX);
	if (err >= 0)
		err = attach_pids(l);
	if (err < 0) {
		nipc_objlist_free(l);
		return err;
	}
	*out = l;
	return 0;
}

void nipc_objlist_free(nipc_objlist *list)
{
	if (!list)
		return;
	nipc__objlist_clear(list);
	free(list);
}

size_t nipc_objlist_count(const nipc_objlist *list)
{
	return list ? list->n : 0;
}

const nipc_obj *nipc_objlist_get(const nipc_objlist *list, size_t i)
{
	return list && i < list->n ? &list->v[i] : NULL;
}

/* ----------------------------------------------------------------- getters */

const char *nipc_obj_backend(const nipc_obj *obj)
{
	return obj ? obj->backend : NULL;
}

nipc_kind nipc_obj_kind(const nipc_obj *obj)
{
	return obj ? (nipc_kind)obj->kind : NIPC_KIND_SHM;
}

int nipc_obj_sysv_key(long *out, const nipc_obj *obj)
{
	if (!out || !obj)
		return -NIPC_EINVAL;
	if (!obj->has_sysv_key)
		return -NIPC_ENOTSUP;
	*out = obj->sysv_key;
	return 0;
}

const char *nipc_obj_name(const nipc_obj *obj)
{
	return obj ? obj->name : NULL;
}

long nipc_obj_id(const nipc_obj *obj)
{
	return obj ? obj->id : -1;
}

long nipc_obj_uid(const nipc_obj *obj)
{
	return obj ? obj->uid : -1;
}

long nipc_obj_gid(const nipc_obj *obj)
{
	return obj ? obj->gid : -1;
}

long nipc_obj_creator_uid(const nipc_obj *obj)
{
	return obj ? obj->cuid : -1;
}

long nipc_obj_creator_gid(const nipc_obj *obj)
{
	return obj ? obj->cgid : -1;
}

unsigned nipc_obj_mode(const nipc_obj *obj)
{
	return obj ? obj->mode : 0;
}

unsigned long long nipc_obj_size(const nipc_obj *obj)
{
	return obj ? obj->size : 0;
}

unsigned long nipc_obj_count(const nipc_obj *obj)
{
	return obj ? obj->count : 0;
}

long long nipc_obj_time(const nipc_obj *obj, nipc_obj_time_which which)
{
	if (!obj || (unsigned)which >= NIPC_OBJ_TIMES)
		return 0;
	return obj->times[which];
}

long nipc_obj_creator_pid(const nipc_obj *obj)
{
	return obj ? obj->cpid : -1;
}

long nipc_obj_last_pid(const nipc_obj *obj)
{
	return obj ? obj->lpid : -1;
}

long nipc_obj_attachments(const nipc_obj *obj)
{
	if (!obj)
		return -1;
	if (obj->nattch >= 0)
		return obj->nattch;
	if (!obj->map_sysv && obj->pids_known)
		return (long)obj->npids;
	return -1;
}

size_t nipc_obj_pid_count(const nipc_obj *obj)
{
	return obj ? obj->npids : 0;
}

long nipc_obj_pid(const nipc_obj *obj, size_t i)
{
	return obj && i < obj->npids ? obj->pids[i] : -1;
}
