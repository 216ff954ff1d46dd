/* Internal interfaces of libnipc shared between lib/ files, the shim and tests. */
#ifndef NIPC_INTERNAL_H
#define NIPC_INTERNAL_H

#include "nipc.h"

#define NIPC_HIDDEN __attribute__((visibility("hidden")))

struct nipc_key {
	int type;
	char *native;  /* never NULL */
	char *legacy;  /* NULL when none */
};

/* strdup that returns NULL for NULL input too; sets *oom on failure. */
NIPC_HIDDEN char *nipc__strdup(const char *s);

#endif
