/* SPDX-License-Identifier: MIT */
/* The key value: type, native key, legacy key, validity and default types. */
#include "config.h"

#include "internal.h"
#include "utf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int nipc_key_type_is_systemv(int type)
{
	return type >= 1 && type <= 255;
}

int nipc_key_type_is_valid(int type)
{
	return nipc_key_type_is_systemv(type) || type == NIPC_KEY_POSIX || type == NIPC_KEY_WINDOWS;
}

static int check_text(const char *s)
{
	return !s || nipc_utf8_valid(s, strlen(s)) ? 0 : -NIPC_EINVAL;
}

int nipc_key_new(nipc_key **out, int type, const char *native)
{
	nipc_key *k;

	if (!out)
		return -NIPC_EINVAL;
	*out = NULL;
	if (check_text(native))
		return -NIPC_EINVAL;
	k = calloc(1, sizeof *k);
	if (!k)
		return -NIPC_ENOMEM;
	k->type = type;
	k->native = strdup(native ? native : "");
	if (!k->native) {
		free(k);
		return -NIPC_ENOMEM;
	}
	*out = k;
	return 0;
}

int nipc__key_make(nipc_key **out, int type, const char *native, const char *legacy)
{
	int err = nipc_key_new(out, type, native);

	if (!err && legacy && (err = nipc_key_set_legacy(*out, legacy))) {
		nipc_key_free(*out);
		*out = NULL;
	}
	return err;
}

int nipc_key_dup(nipc_key **out, const nipc_key *k)
{
	if (!k) {
		if (out)
			*out = NULL;
		return -NIPC_EINVAL;
	}
	return nipc__key_make(out, k->type, k->native, k->legacy);
}

void nipc_key_free(nipc_key *k)
{
	if (!k)
		return;
	free(k->native);
	free(k->legacy);
	free(k);
}

int nipc_key_type(const nipc_key *k)
{
	return k ? k->type : NIPC_KEY_INVALID;
}

const char *nipc_key_native(const nipc_key *k)
{
	return k ? k->native : "";
}

const char *nipc_key_legacy(const nipc_key *k)
{
	return k ? k->legacy : NULL;
}

int nipc_key_set_type(nipc_key *k, int type)
{
	if (!k)
		return -NIPC_EINVAL;
	k->type = type;
	return 0;
}

int nipc_key_set_native(nipc_key *k, const char *native)
{
	char *n;

	if (!k || check_text(native))
		return -NIPC_EINVAL;
	n = strdup(native ? native : "");
	if (!n)
		return -NIPC_ENOMEM;
	free(k->native);
	free(k->legacy);
	k->native = n;
	k->legacy = NULL;
	return 0;
}

int nipc_key_set_legacy(nipc_key *k, const char *legacy)
{
	char *l = NULL;

	if (!k || check_text(legacy))
		return -NIPC_EINVAL;
	if (legacy && !(l = strdup(legacy)))
		return -NIPC_ENOMEM;
	free(k->legacy);
	k->legacy = l;
	return 0;
}

int nipc_key_is_valid(const nipc_key *k)
{
	return k && nipc_key_type_is_valid(k->type);
}

int nipc_key_is_empty(const nipc_key *k)
{
	return !k || !k->native[0];
}

int nipc_key_equal(const nipc_key *a, const nipc_key *b)
{
	if (!a || !b)
		return a == b;
	if (a->type != b->type || strcmp(a->native, b->native))
		return 0;
	/* Qt compares legacy keys as QStrings: none and "" are equal */
	return strcmp(a->legacy ? a->legacy : "", b->legacy ? b->legacy : "") == 0;
}

long nipc__ftok_stat(const struct stat *st, int id)
{
	/* glibc: id in the top byte, then the low bytes of device and inode;
	 * key_t is a signed 32-bit int */
	unsigned long k = ((unsigned long)id & 0xffu) << 24 | ((unsigned long)st->st_dev & 0xffu) << 16 |
			  ((unsigned long)st->st_ino & 0xffffu);

	return k > 0x7fffffffUL ? (long)k - 0x100000000L : (long)k;
}

int nipc_ftok(long *out, const char *path, int id)
{
	struct stat st;

	if (!path || !out)
		return -NIPC_EINVAL;
	if (stat(path, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR ? -NIPC_ENOTFOUND
		       : errno == EACCES ? -NIPC_EPERM : -NIPC_EUNKNOWN;
	/* glibc: id in the top byte, then the low bytes of device and inode */
	*out = nipc__ftok_stat(&st, id);
	return 0;
}
