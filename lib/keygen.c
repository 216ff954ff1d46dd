/* Platform-safe and legacy keys for every OS profile. */
#include "config.h"

#include "internal.h"

nipc_os nipc_os_host(void) { return NIPC_OS_LINUX; }
const char *nipc_os_name(nipc_os os) { (void)os; return NULL; }
int nipc_os_from_name(const char *name, nipc_os *out) { (void)name; (void)out; return -NIPC_ENOTSUP; }
int nipc_key_default_type(nipc_os os) { (void)os; return NIPC_KEY_POSIX; }
int nipc_key_legacy_default_type(nipc_os os) { (void)os; return NIPC_KEY_SYSTEMV; }
int nipc_key_platform_safe(nipc_key **out, const char *name, nipc_kind kind, int type, nipc_os os, unsigned *notes)
{ (void)out; (void)name; (void)kind; (void)type; (void)os; (void)notes; return -NIPC_ENOTSUP; }
int nipc_key_legacy_make(nipc_key **out, const char *name, nipc_kind kind, int type, nipc_os os, unsigned *notes)
{ (void)out; (void)name; (void)kind; (void)type; (void)os; (void)notes; return -NIPC_ENOTSUP; }
