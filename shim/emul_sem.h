/* SPDX-License-Identifier: MIT */
/* System V semaphore sets emulated on POSIX shared memory (emul_sem.c),
 * behind the emulation's call table, for keys the rules give
 * backend=posix. */
#ifndef NIPC_EMUL_SEM_H
#define NIPC_EMUL_SEM_H

#include "shim.h"

#include <stdint.h>

/* At start-up: puts semget, semop, semtimedop and semctl of the
 * emulation in calls; returns their op bits. */
SHIM_HIDDEN uint64_t emul_sem_setup(struct shim_next *calls);
/* After fork (allocation-free): the child has no undo entries of its own. */
SHIM_HIDDEN void emul_sem_child(void);

#endif
