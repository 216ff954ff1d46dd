/* String form of keys (QNativeIpcKey::toString / fromString). */
#include "config.h"

#include "internal.h"

#include <errno.h>

int nipc_key_type_name(int type, char *buf, size_t len)
{
	(void)type; (void)buf; (void)len;
	return -NIPC_ENOTSUP;
}

int nipc_key_type_from_name(const char *s)
{
	(void)s;
	return 0;
}

ssize_t nipc_key_format(int type, const char *native, const char *legacy, char *buf, size_t len)
{
	(void)type; (void)native; (void)legacy; (void)buf; (void)len;
	return -NIPC_ENOTSUP;
}

int nipc_key_to_string(const nipc_key *k, char **out)
{
	(void)k;
	*out = NULL;
	return -NIPC_ENOTSUP;
}

int nipc_key_from_string(const char *s, nipc_key **out)
{
	(void)s;
	*out = NULL;
	return -NIPC_ENOTSUP;
}
