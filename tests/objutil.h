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

#endif
