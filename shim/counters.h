/* SPDX-License-Identifier: MIT */
/* Per-object counters (nipc trace --counters, NIPC_COUNTERS=/NAME): the
 * layout of the shared-memory table the shim counts into and nipc reads.
 * One slot per named semaphore (by its sem_open name; two processes that
 * claim a slot for one name at once make two rows, which a reader adds up).
 * Every counter is a 64-bit word changed only by atomic adds: no lock, no
 * system call per counted call. */
#ifndef NIPC_SHIM_COUNTERS_H
#define NIPC_SHIM_COUNTERS_H

#include <stdint.h>

#define NIPC_CTR_MAGIC 0x4e435452u      /* "NCTR" */
#define NIPC_CTR_VERSION 1
#define NIPC_CTR_SLOTS 256
#define NIPC_CTR_NAME 256               /* the name with its NUL; longer: not counted */
#define NIPC_CTR_BUCKETS 40

enum { NIPC_CTR_FREE, NIPC_CTR_CLAIMED, NIPC_CTR_READY };

struct nipc_ctr_slot {
	uint32_t state;                 /* NIPC_CTR_*; READY: name is set for good */
	uint32_t reserved;
	char name[NIPC_CTR_NAME];       /* as sem_open got it: "/app" */
	/* the counters, away from the name's cache lines */
	uint64_t posts __attribute__((aligned(64)));
	/* sem_wait, sem_timedwait, sem_clockwait that blocked, sem_trywait
	 * that failed with EAGAIN */
	uint64_t contended;
	uint64_t blocked_ns;            /* total time of the waits that blocked */
	/* the waits (sem_trywait included) by time blocked: hist[0] did not
	 * block, hist[b] blocked 2^(b-1) to 2^b - 1 ns (the last bucket: at
	 * least that); their sum is the number of waits */
	uint64_t hist[NIPC_CTR_BUCKETS];
};

struct nipc_ctr_table {
	uint32_t magic;                 /* NIPC_CTR_MAGIC once the header is set */
	uint32_t version;
	uint32_t nslots, slot_size;     /* NIPC_CTR_SLOTS, sizeof(struct nipc_ctr_slot) */
	uint64_t full;                  /* semaphores not counted: no free slot */
	struct nipc_ctr_slot slot[NIPC_CTR_SLOTS];
};

/* Sets a new table's header (the creator; others wait for magic). */
static inline void nipc_ctr_table_init(struct nipc_ctr_table *t)
{
	t->version = NIPC_CTR_VERSION;
	t->nslots = NIPC_CTR_SLOTS;
	t->slot_size = sizeof(struct nipc_ctr_slot);
	__atomic_store_n(&t->magic, NIPC_CTR_MAGIC, __ATOMIC_RELEASE);
}

/* 1 if t's header is this layout's. */
static inline int nipc_ctr_table_ok(const struct nipc_ctr_table *t)
{
	return __atomic_load_n(&t->magic, __ATOMIC_ACQUIRE) == NIPC_CTR_MAGIC &&
	       t->version == NIPC_CTR_VERSION && t->nslots == NIPC_CTR_SLOTS &&
	       t->slot_size == sizeof(struct nipc_ctr_slot);
}

#endif
