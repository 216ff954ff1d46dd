/* SPDX-License-Identifier: MIT */
/* System V shared memory emulated on POSIX shared memory (emul_sysv.c),
 * behind the call table, for objects the rules give backend=posix. */
#ifndef NIPC_EMUL_SYSV_H
#define NIPC_EMUL_SYSV_H

#include "shim.h"
#include "rules.h"

#include <sys/types.h>

/* The call table of sysv-shm calls while the emulation is on: the
 * emulation decides per key, id and address, and hands kernel objects to
 * libc. */
SHIM_HIDDEN extern struct shim_next shim_emul_calls;
/* The ops the emulation takes (always intercepted); 0: the emulation is off. */
SHIM_HIDDEN extern uint64_t shim_emul_ops;

/* shim_tls()->emul_took: set to 1 by the emulation when it handled the
 * current call itself (the object is emulated; 0: the call went to the
 * kernel). The dispatcher clears it before the call and reads it after,
 * for the trace line. */

/* The range that holds this process's emulated attachments (lo == hi:
 * none): a munmap or mremap that overlaps it goes to the emulation. */
SHIM_HIDDEN extern uintptr_t emul_map_lo, emul_map_hi;

/* 0 when the registry is mapped, after creating it if make; -1 with
 * errno ENOENT (none yet) or ENOSYS (it cannot be reached; said once). */
SHIM_HIDDEN int emul_reach(int make);
/* What the rules say about key of family (one RF_ bit); allocation-free. */
SHIM_HIDDEN int emul_key_decide(unsigned family, key_t key, struct rules_decision *d);

/* The shm calls of the emulation put in calls, at start-up; their op
 * bits. */
SHIM_HIDDEN uint64_t emul_shm_setup(struct shim_next *calls);
/* After the state is reached at start-up: attachment records of this
 * process from before an exec are dropped. */
SHIM_HIDDEN void emul_shm_start(void);
/* After fork (allocation-free): the child's inherited attachments. */
SHIM_HIDDEN void emul_shm_child(void);
/* The state cannot be reached: routed calls fail with ENOSYS (said once). */
SHIM_HIDDEN void emul_fail_closed(void);

/* At start-up, after the rules (emul.c): turns the emulation on when a
 * rule can route a family to it; opens the registry or fails those calls
 * closed. */
SHIM_HIDDEN void emul_init(void);

#endif
