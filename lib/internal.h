/* SPDX-License-Identifier: MIT */
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

struct stat;

/* A new key of type, native key and legacy key (NULL: none). */
NIPC_HIDDEN int nipc__key_make(nipc_key **out, int type, const char *native, const char *legacy);

/* glibc's ftok(3) of a file already stat'ed, as a key_t value. */
NIPC_HIDDEN long nipc__ftok_stat(const struct stat *st, int id);

/* Fault points: crash windows of the lock protocol that no system call
 * marks, named so that a test can kill the process exactly there. A test
 * program linked with libnipc-core sets the hook; the shipped library
 * never does, so a fault point costs one predictable branch. Names:
 *   "sysv-lock-made"     System V lock made by semget(IPC_EXCL), not yet
 *                        initialised by semop(+1)
 *   "posix-lock-taken"   POSIX lock: sem_trywait succeeded, the recovery
 *                        flag not yet set to held
 *   "posix-lock-posted"  POSIX lock: sem_post done, the flag not yet clear
 *   "seg-removed"        last detach: segment removed, lock not yet
 *   "lock-removed"       last detach: lock removed, key files not yet */
NIPC_HIDDEN extern void (*nipc__fault_hook)(const char *point);
#define NIPC_FAULT(point)                                  \
	do {                                               \
		if (__builtin_expect(nipc__fault_hook != 0, 0)) \
			nipc__fault_hook(point);           \
	} while (0)

#endif
