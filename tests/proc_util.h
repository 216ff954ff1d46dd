/* SPDX-License-Identifier: MIT */
/* Real child processes for the CLI and Qt interop tests: start a program with
 * pipes on stdin/stdout/stderr, read its output line by line with timeouts,
 * wait with a deadline; and cleanup of the IPC objects a test may leave. */
#ifndef NIPC_TEST_PROC_UTIL_H
#define NIPC_TEST_PROC_UTIL_H

#include <stddef.h>
#include <sys/types.h>

struct proc {
	pid_t pid;
	int in, out, err;       /* -1 once closed */
	char buf[4096];         /* stdout read but not yet returned as lines */
	size_t len;
	char errbuf[4096];      /* stderr collected by proc_wait (NUL-terminated) */
};

/* Starts argv[0] (a path) with argv; 0 or -1. */
int proc_start(struct proc *p, const char *const *argv);
/* Writes s to the child's stdin; 0 or -1. */
int proc_write(struct proc *p, const char *s);
/* Closes the child's stdin (EOF). */
void proc_close_in(struct proc *p);
/* Next stdout line without the newline: 1; 0 on timeout; -1 on EOF/error. */
int proc_line(struct proc *p, char *line, size_t len, int timeout_ms);
/* Waits for exit; kills with SIGKILL after timeout_ms. Returns the exit
 * status, 128+N for signal N, or -1 when it had to be killed. Collects the
 * rest of stderr into errbuf and closes every pipe. */
int proc_wait(struct proc *p, int timeout_ms);
/* 1 if the process has not exited yet (does not reap). */
int proc_running(struct proc *p);

/* Runs argv to completion with in (may be NULL) as stdin; stdout into out
 * (NUL-terminated, *outlen bytes without the NUL if outlen), stderr into
 * err. Returns as proc_wait. */
int run(const char *const *argv, const char *in, size_t inlen, char *out, size_t outsize,
	size_t *outlen, char *err, size_t errsize);

/* CLOCK_MONOTONIC in ns (the same clock qt5peer prints). */
long long mono_ns(void);

/* Removes everything keyed on files in dir: System V segments and
 * semaphores (ftok with id 'Q'), the files; then dir itself unless keep.
 * Returns the number of IPC objects it had to remove. */
int sysv_cleanup_dir(const char *dir, int keep);
/* Number of entries (besides . and ..) in dir, -1 if unreadable. */
int dir_entries(const char *dir);
/* 1 if a System V segment / semaphore set exists for ftok(path, 'Q'). */
int sysv_shm_exists(const char *path);
int sysv_sem_exists(const char *path);
/* shm_nattch of the segment keyed on path, or -1. */
long sysv_shm_nattch(const char *path);

/* Remembers the System V segment and semaphore set that exist now under
 * the key of path (ftok id 'Q'), by id, so they can be found after their
 * key file is gone. */
void ipc_note(const char *path);
/* Noted objects that still exist (same id, same key). */
int ipc_noted_left(void);
/* Removes them and forgets the keys; returns how many it removed. */
int ipc_noted_remove(void);

#endif
