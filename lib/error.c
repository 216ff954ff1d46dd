/* SPDX-License-Identifier: MIT */
/* Error codes (in the order and meaning of Qt's enums), their names and
 * messages; the library's version. */
#include "config.h"

#include "internal.h"

#define E(code, text) [code] = {#code, text}

static const struct {
	const char *name, *text;
} errors[] = {
	E(NIPC_OK, "no error"),
	E(NIPC_EPERM, "permission denied"),
	E(NIPC_EINVALIDSIZE, "invalid size"),
	E(NIPC_EKEY, "invalid or unusable key"),
	E(NIPC_EEXIST, "already exists"),
	E(NIPC_ENOTFOUND, "not found"),
	E(NIPC_ELOCK, "lock error"),
	E(NIPC_ERESOURCES, "out of resources"),
	E(NIPC_EUNKNOWN, "unknown error"),
	E(NIPC_EINVAL, "invalid argument"),
	E(NIPC_ENOMEM, "out of memory"),
	E(NIPC_ESTATE, "not valid in this state"),
	E(NIPC_ENOTSUP, "not supported on this host"),
	E(NIPC_ETIMEDOUT, "timed out"),
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

void (*nipc__fault_hook)(const char *point);
