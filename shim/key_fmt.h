/* SPDX-License-Identifier: MIT */
/* An event's key as QNativeIpcKey::toString prints it, from its type and
 * native name: the one formatting of keys, done by the shim in line mode
 * and by nipc trace for ring records (the shim's hook then only copies the
 * name). Header-only: both link libnipc-core and format.c. */
#ifndef NIPC_SHIM_KEY_FMT_H
#define NIPC_SHIM_KEY_FMT_H

#include "format.h"
#include "nipc.h"

#include <string.h>

/* A key libnipc cannot format (a name it refuses): the scheme, the type's
 * number and the name as they are. */
static inline void key_fmt_fallback(char *key, size_t cap, int type, const char *native)
{
	struct out o = {key, 0, cap - 1};

	fmt_puts(&o, type == NIPC_KEY_POSIX ? "posix" : "systemv");
	if (type != NIPC_KEY_POSIX && type != NIPC_KEY_SYSTEMV) {
		fmt_putc(&o, '-');
		fmt_put_u(&o, (unsigned)type, 1);
	}
	fmt_putc(&o, ':');
	fmt_puts(&o, native);
	if (o.n == o.cap)
		memcpy(key + o.n - 3, "...", 3);
	key[o.n] = 0;
}

/* Into key (cap bytes); native may be key itself. */
static inline void key_fmt(char *key, size_t cap, int type, const char *native)
{
	char tmp[1024];
	long n;

	if (native == key) {
		size_t len = strnlen(native, sizeof tmp - 1);

		memcpy(tmp, native, len);
		tmp[len] = 0;
		native = tmp;
	}
	n = nipc_key_format(key, cap, type, native, NULL);
	if (n < 0)
		key_fmt_fallback(key, cap, type, native);
	else if ((size_t)n >= cap)
		memcpy(key + cap - 4, "...", 3);
}

#endif
