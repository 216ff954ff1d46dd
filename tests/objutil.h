/* SPDX-License-Identifier: MIT */
/* Shared by the object tests: unique names, cleanup of every IPC object a
 * test may leave, and objhelper child processes driven over pipes. */
#ifndef NIPC_TEST_OBJUTIL_H
#define NIPC_TEST_OBJUTIL_H

#include "nipc.h"

#include <stdint.h>
#include <sys/types.h>

/* Makes the per-run key-file directory and registers cleanup at exit. */
int obj_setup(void);
/* Removes every object and key file made by this run. */
void obj_cleanup(void);
/* A fresh native key for type: "<dir>/k<n>" for System V, "/nipc-test-<pid>-<n>"
 * for POSIX. Static storage per call slot (up to 64 live keys). */
nipc_key *obj_key(int type);
/* Registers a POSIX name made elsewhere (a legacy key) for cleanup. */
void obj_track(const char *posix_name);
/* The per-run directory. */
const char *obj_dir(void);
/* Remembers the System V key the key file of key has now, so that
 * obj_leftover and obj_cleanup find its objects after the file is gone. */
void obj_note(const nipc_key *key);
/* Processes started without child_start, killed by obj_cleanup too. */
void obj_track_pid(pid_t pid);
void obj_untrack_pid(pid_t pid);
/* Kills and reaps every tracked child. */
void obj_kill_children(void);

/* 1 if anything of key is left: key file, segment or semaphore (System V:
 * under any key its key file had while this run looked). */
int obj_leftover(const nipc_key *key);
/* 1 if a segment / a semaphore of key exists. */
int obj_shm_exists(const nipc_key *key);
int obj_sem_exists(const nipc_key *key);

struct child {
	pid_t pid;
	int in, out;
	char buf[1024];
	size_t len;
};

/* Starts objhelper for key; 0 or -1. */
int child_start(struct child *c, const nipc_key *key);
/* Sends cmd and returns its reply line in static storage ("" on EOF or
 * after timeout_ms). */
const char *child_cmd(struct child *c, const char *cmd, int timeout_ms);
int child_send(struct child *c, const char *cmd);
const char *child_reply(struct child *c, int timeout_ms);
/* Ends the child ("exit", then SIGKILL after a deadline); returns the wait
 * status. */
int child_end(struct child *c);
/* SIGKILL and reap; returns the wait status. */
int child_kill(struct child *c);
/* Waits up to ms for the child to end by itself and reaps it: its wait
 * status, or -1 when it was still running (then it is killed). */
int child_died(struct child *c, int ms);

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
