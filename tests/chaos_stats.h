/* SPDX-License-Identifier: MIT */
/* The figures test_chaos's workers (tests/progs/chaosworker.c) share with
 * the test through a file all of them map. */
#ifndef NIPC_TEST_CHAOS_STATS_H
#define NIPC_TEST_CHAOS_STATS_H

#include "nipc.h"

#include <stdint.h>
#include <sys/types.h>

/* What the chaos test's workers (tests/progs/chaosworker.c) report, in a
 * file all of them map. */
#define CHAOS_MAX_KEYS 256
struct chaos_stats {
	uint32_t holder;            /* pid of the worker that holds the lock */
	uint32_t cycles;            /* lock → check → unlock done */
	uint32_t seg_violations;    /* the pid in the segment changed under the lock */
	uint32_t holder_violations; /* holder changed under the lock */
	uint32_t created, attached, vanished; /* create-or-attach outcomes */
	uint32_t err_open, err_lock, err_unlock, err_detach;
	char last_error[4][120];    /* of open, lock, unlock, detach */
	uint32_t n_keys;            /* System V keys the key file had */
	int32_t keys[CHAOS_MAX_KEYS];
};

/* Records the System V key key's file has now in st, once (for the chaos
 * test's leftover check); nothing for POSIX keys or a missing file.
 * Inline: the worker links only libnipc-core. */
static inline void chaos_note_key(struct chaos_stats *st, const nipc_key *key)
{
	long k;
	uint32_t n;

	if (!nipc_key_type_is_systemv(nipc_key_type(key)) ||
	    nipc_ftok(&k, nipc_key_native(key), nipc_key_type(key)) < 0)
		return;
	n = __atomic_load_n(&st->n_keys, __ATOMIC_SEQ_CST);
	for (uint32_t i = 0; i < n && i < CHAOS_MAX_KEYS; i++)
		if (st->keys[i] == (int32_t)k)
			return;
	n = __atomic_fetch_add(&st->n_keys, 1, __ATOMIC_SEQ_CST);
	if (n < CHAOS_MAX_KEYS)
		st->keys[n] = (int32_t)k;
}

#endif
