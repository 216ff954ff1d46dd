/* SPDX-License-Identifier: MIT */
/* The System V emulation's start-up and fork handling: which families the
 * rules may route to it (emul_sysv.c for shared memory, emul_sem.c for
 * semaphore sets), the shared state (emul_state.c), the fork child. */
#include "config.h"

#include "shim.h"
#include "emul_state.h"
#include "emul_sysv.h"
#include "emul_sem.h"
#include "rules.h"

#include <pthread.h>

static void at_fork_child(void)
{
	shim_tls()->busy++;
	emul_state_child();
	emul_sem_child();
	emul_shm_child();
	shim_tls()->busy--;
}

void emul_init(void)
{
	int shm, sem;

	if (!shim_rules)
		return;
	shm = rules_may_emulate(shim_rules, RF_SYSV_SHM);
	sem = rules_may_emulate(shim_rules, RF_SYSV_SEM);
	if (!shm && !sem)
		return;
	shim_emul_calls = shim_next;
	if (shm)
		shim_emul_ops |= emul_shm_setup(&shim_emul_calls);
	if (sem)
		shim_emul_ops |= emul_sem_setup(&shim_emul_calls);
	if (emul_state_init(shm, sem)) {
		emul_fail_closed();
		return;
	}
	/* pthread_atfork allocates: here, never in a hook */
	pthread_atfork(NULL, NULL, at_fork_child);
	if (!emul_reach(0))
		emul_shm_start();
}
