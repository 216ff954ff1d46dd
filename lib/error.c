/* SPDX-License-Identifier: MIT */
/* Error codes (in the order and meaning of Qt's enums) and their messages. */
#include "config.h"

#include "internal.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name, *text;
} errors[] = {
	[NIPC_OK] = {"NIPC_OK", "no error"},
	[NIPC_EPERM] = {"NIPC_EPERM", "permission denied"},
	[NIPC_EINVALIDSIZE] = {"NIPC_EINVALIDSIZE", "invalid size"},
	[NIPC_EKEY] = {"NIPC_EKEY", "invalid or unusable key"},
	[NIPC_EEXIST] = {"NIPC_EEXIST", "already exists"},
	[NIPC_ENOTFOUND] = {"NIPC_ENOTFOUND", "not found"},
	[NIPC_ELOCK] = {"NIPC_ELOCK", "lock error"},
	[NIPC_ERESOURCES] = {"NIPC_ERESOURCES", "out of resources"},
	[NIPC_EUNKNOWN] = {"NIPC_EUNKNOWN", "unknown error"},
	[NIPC_EINVAL] = {"NIPC_EINVAL", "invalid argument"},
	[NIPC_ENOMEM] = {"NIPC_ENOMEM", "out of memory"},
	[NIPC_ESTATE] = {"NIPC_ESTATE", "not valid in this state"},
	[NIPC_ENOTSUP] = {"NIPC_ENOTSUP", "not supported on this host"},
};

static int index_of(int err)
{
	if (err < 0)
		err = -err;
	return err < (int)(sizeof errors / sizeof errors[0]) ? err : -1;
}

const char *nipc_strerror(int err)
{
	int i = index_of(err);
	return i < 0 ? "unknown error code" : errors[i].text;
}

const char *nipc_err_name(int err)
{
	int i = index_of(err);
	return i < 0 ? "NIPC_E?" : errors[i].name;
}

const char *nipc_version(void)
{
	return PACKAGE_VERSION;
}

char *nipc__strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

void (*nipc__fault_hook)(const char *point);
