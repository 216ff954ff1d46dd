/* SPDX-License-Identifier: MIT */
/* Locked-increment runs, shared by test_lock and test_lock_qt5: worker
 * processes (tests/progs/lockworker, qt5peer shm inc) print "ready", start
 * at a line on stdin, add to the counter at offset 0 of a segment under its
 * lock and end with "done INCREMENTS ERRORS". */
#ifndef NIPC_TEST_LOCKRUN_H
#define NIPC_TEST_LOCKRUN_H

#include "tlib.h"

#include <stddef.h>

#define LOCK_MAX_WORKERS 16

struct lock_result {
	long incs, errs; /* as the worker reported them */
	int status;      /* exit status as tl_wait gives it; -1 hung, killed */
	char err[160];   /* first line of its stderr */
};

/* Worker i's share of total among n: i + 1 parts of 1 + 2 + ... + n (the
 * last takes the rest), so that workers leave one by one while others still
 * work. */
int lock_share(int i, int n, int total);
/* 1 once p printed its "ready" line (a first word "ready"), 0 otherwise. */
int lock_ready(struct tl_proc *p, int timeout_ms);
/* The same as an assertion (what the worker said on stderr in the failure). */
void lock_expect_ready(struct tl_proc *p, const char *what);
/* The objhelper p replies "ok" to c (an assertion). */
void lock_ok(struct tl_proc *p, const char *c);
/* Each of the NULL-terminated p replies "ok" to c, in order. */
void lock_ok_all(struct tl_proc *const *p, const char *c);
/* The objhelper p exits 0 on "exit" (an assertion). */
void lock_end(struct tl_proc *p);
/* The objhelper maker creates a segment of size bytes, leaves it to live
 * on (cleanup 0), detaches and exits, as `nipc shm create` does. */
void lock_make(struct tl_proc *maker, const char *size);
/* The observer (an objhelper attached during lock_run) reads the counter,
 * detaches and exits; what fails is appended to msg. Frees obs; returns the
 * counter (0 if unread). */
unsigned lock_observer_end(struct tl_proc *obs, char *msg, size_t size);
/* cmd sent to the objhelper p gets no reply for 300 ms: p waits for the
 * lock (what: who and while what, for the failure). */
void lock_waits(struct tl_proc *p, const char *cmd, const char *what);
/* The reply p owes is "ok" within 10 s. */
void lock_gets(struct tl_proc *p, const char *what);
/* holder has the lock: waiter's cmd waits for it, then gets through once
 * holder unlocks (what: the waiter's call, for the failure). */
void lock_handover(struct tl_proc *holder, struct tl_proc *waiter, const char *cmd,
		   const char *what);
/* p detaches and exits. */
void lock_leave(struct tl_proc *p);
/* f on each of the NULL-terminated p, in order (helper starts, lock_leave). */
void lock_each(void (*f)(struct tl_proc *), struct tl_proc *const *p);
/* The counter as an objhelper attached to the segment reads it (no lock
 * needed), -1 if it cannot: a lock_progress. */
long lock_observe(void *objhelper);
/* Reads the counter (without the lock) for lock_run's hang check. */
typedef long (*lock_progress)(void *arg);
/* Starts n ready workers at once and collects them, reading their output
 * all along (a worker blocked on a full pipe would look hung). When the
 * counter (progress) has not moved for stall_ms, the workers still running
 * are hung: they are killed (status -1). Frees the workers. Returns the
 * run's duration in ms. */
long long lock_run(struct tl_proc *w, int n, int stall_ms, lock_progress progress, void *arg,
		   struct lock_result *res);
/* Prints the run's figures on stderr, prefixed by label, and appends to msg
 * what went wrong: hangs, errors, a counter other than total. */
void lock_judge(char *msg, size_t size, const char *label, const struct lock_result *res,
		int n, int total, unsigned counter, long long ms, int stall_ms);
/* Appends printf-style text to msg. */
void lock_addf(char *msg, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
