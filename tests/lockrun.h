/* SPDX-License-Identifier: MIT */
/* Locked-increment runs, shared by test_lock and test_lock_qt5: worker
 * processes (tests/progs/lockworker, qt5peer shm inc) print "ready", start
 * at a line on stdin, add to the counter at offset 0 of a segment under its
 * lock and end with "done INCREMENTS ERRORS". */
#ifndef NIPC_TEST_LOCKRUN_H
#define NIPC_TEST_LOCKRUN_H

#include "proc_util.h"

#include <stddef.h>

#define LOCK_MAX_WORKERS 16

struct lock_result {
	long incs, errs; /* as the worker reported them */
	int status;      /* exit status as proc_wait gives it; -1 hung, killed */
	char err[160];   /* first line of its stderr */
};

/* Worker i's share of total among n: i + 1 parts of 1 + 2 + ... + n (the
 * last takes the rest), so that workers leave one by one while others still
 * work. */
int lock_share(int i, int n, int total);
/* Sends c (unless NULL) to an objhelper and returns its reply line, in
 * static storage: "" after timeout_ms, "(eof)" if the helper died. */
const char *lock_cmd(struct proc *p, const char *c, int timeout_ms);
/* 1 once p printed its "ready" line (a first word "ready"), 0 otherwise. */
int lock_ready(struct proc *p, int timeout_ms);
/* Reads the counter (without the lock) for lock_run's hang check. */
typedef long (*lock_progress)(void *arg);
/* Starts n ready workers at once and collects them, reading their output
 * all along (a worker blocked on a full pipe would look hung). When the
 * counter (progress) has not moved for stall_ms, the workers still running
 * are hung: they are killed (status -1). Returns the run's duration in ms. */
long long lock_run(struct proc *w, int n, int stall_ms, lock_progress progress, void *arg,
		   struct lock_result *res);
/* Prints the run's figures on stderr, prefixed by label, and appends to msg
 * what went wrong: hangs, errors, a counter other than total. */
void lock_judge(char *msg, size_t size, const char *label, const struct lock_result *res,
		int n, int total, unsigned counter, long long ms, int stall_ms);
/* Appends printf-style text to msg. */
void lock_addf(char *msg, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
