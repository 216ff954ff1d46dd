/* SPDX-License-Identifier: MIT */
/* chaosworker TYPE NATIVE STATS_FD: a worker of tests/test_chaos.c. Cycles
 * new → create-or-attach → lock → write its pid into the segment → yield
 * → check the pid is still its own → unlock → detach → free until it is
 * killed, and counts what it sees in the struct chaos_stats mapped from
 * STATS_FD: a pid that changed while it held the lock is an exclusion
 * violation. */
#include "config.h"

#include "nipc.h"
#include "../chaos_stats.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#define SEG_SIZE 4096
#define HOLD_SPINS 2000

static struct chaos_stats *st;
static nipc_key *key;
static uint32_t me;

static void count(uint32_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_SEQ_CST);
}

static void error(uint32_t *c, const nipc_shm *shm)
{
	char *text = st->last_error[c - &st->err_open];

	count(c);
	snprintf(text, sizeof st->last_error[0], "%s", nipc_shm_error_string(shm));
}

/* Holds the lock for a while, yielding, and checks nobody else wrote. */
static void hold(nipc_shm *shm)
{
	volatile uint32_t *seg = nipc_shm_data(shm);
	int bad_seg = 0, bad_holder = 0;

	seg[0] = me;
	__atomic_store_n(&st->holder, me, __ATOMIC_SEQ_CST);
	for (int i = 0; i < HOLD_SPINS; i++) {
		if (i % 500 == 0)
			sched_yield();
		bad_seg |= seg[0] != me;
		bad_holder |= __atomic_load_n(&st->holder, __ATOMIC_SEQ_CST) != me;
	}
	if (bad_seg)
		count(&st->seg_violations);
	if (bad_holder)
		count(&st->holder_violations);
}

static void cycle(void)
{
	nipc_shm *shm;

	if (nipc_shm_new(&shm, key) < 0)
		exit(3);
	if (nipc_shm_create(shm, SEG_SIZE, NIPC_SHM_READWRITE) == 0)
		count(&st->created);
	else if (nipc_shm_error(shm) != NIPC_SHM_ERR_ALREADY_EXISTS) {
		error(&st->err_open, shm);
		goto out;
	} else if (nipc_shm_attach(shm, NIPC_SHM_READWRITE) == 0)
		count(&st->attached);
	else if (nipc_shm_error(shm) == NIPC_SHM_ERR_NOT_FOUND) {
		/* removed between the two: the idiom starts over */
		count(&st->vanished);
		goto out;
	} else {
		error(&st->err_open, shm);
		goto out;
	}
	chaos_note_key(st, key);
	if (nipc_shm_lock(shm) < 0) {
		error(&st->err_lock, shm);
		goto detach;
	}
	hold(shm);
	if (nipc_shm_unlock(shm) < 0)
		error(&st->err_unlock, shm);
	else
		count(&st->cycles);
detach:
	if (nipc_shm_detach(shm) < 0)
		error(&st->err_detach, shm);
out:
	nipc_shm_free(shm);
}

int main(int argc, char **argv)
{
	void *p;

	if (argc != 4) {
		fprintf(stderr, "usage: chaosworker TYPE NATIVE STATS_FD\n");
		return 2;
	}
	p = mmap(NULL, sizeof *st, PROT_READ | PROT_WRITE, MAP_SHARED, atoi(argv[3]), 0);
	if (p == MAP_FAILED || nipc_key_new(&key, atoi(argv[1]), argv[2]) < 0) {
		fprintf(stderr, "chaosworker: bad arguments\n");
		return 2;
	}
	st = p;
	me = (uint32_t)getpid();
	for (;;)
		cycle();
}
