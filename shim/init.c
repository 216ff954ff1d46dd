/* SPDX-License-Identifier: MIT */
/* Start-up and fork: the real functions, the secure-execution check, the
 * configuration, the masks, and what a fork child must redo. */
#include "config.h"

#include "shim.h"
#include "emul_sysv.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <time.h>

static void at_fork_child(void)
{
	event_after_fork();
	ring_after_fork();
	if (!__atomic_load_n(&shim_trace, __ATOMIC_RELAXED))
		return;
	if (shim_policy_child())
		shim_masks_set(0);
}

/* Text lines show local time; the offset from UTC is taken once, here,
 * never in a hook (localtime is not async-signal-safe). A change of the
 * offset while the program runs (daylight saving) is not followed. */
static void note_utc_offset(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!shim_policy.json && localtime_r(&now, &tm))
		shim_policy.utc_offset = tm.tm_gmtoff;
}

/* Never configured in a set-uid or otherwise secure execution: the
 * environment is the caller's, not the program's owner's. */
static void start(void)
{
	uint64_t mask;

	if (getauxval(AT_SECURE))
		return;
	shim_rules_init();
	emul_init();
	cleanup_init();
	counters_init();
	mask = shim_policy_init();
	if (!mask) {
		if (shim_emul_ops || shim_deny_ops || shim_ledger_ops || shim_count_ops)
			shim_masks_set(0);
		return;
	}
	if (getenv("NIPC_TRACE_DEBUG"))
		shim_next_dump();
	note_utc_offset();
	pthread_atfork(NULL, NULL, at_fork_child);
	shim_masks_set(mask);
}

__attribute__((constructor)) static void shim_init(void)
{
	const char *missing;

	shim_tls()->busy++;
	event_note_pid();
	missing = shim_next_init();
	if (missing)
		shim_warn("cannot find the real %s; tracing disabled", missing);
	else
		start();
	shim_hooks_arm();
	shim_tls()->busy--;
}
