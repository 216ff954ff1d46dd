/* SPDX-License-Identifier: MIT */
/* A sleep on a shared futex word that a signal handler ends exactly
 * (emul_wait.c): the emulated semop's wait. */
#ifndef NIPC_EMUL_WAIT_H
#define NIPC_EMUL_WAIT_H

#include "shim.h"

#include <signal.h>
#include <stdint.h>

struct io_uring_sqe;
struct io_uring_cqe;

#define EWAIT_INIT {.fd = -1}

struct ewait {
	int state;              /* 0: not set up yet, 1: set up, -1: unusable */
	int fd;                 /* the ring, high and close-on-exec; -1: none */
	int armed;              /* a futex wait is queued on it */
	void *ring, *sqes;
	size_t ring_len, sqes_len;
	unsigned *sq_tail, *sq_array, *cq_head, *cq_tail, sq_mask, cq_mask;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqes;
};

/* Sleeps while *word is seen, at most ns, with the signal mask set to
 * mask for exactly the sleep (as pselect does), the caller blocking signals
 * otherwise: 0 when woken (or it may have been), EINTR when a signal came
 * (a handler ran, or a stop),
 * ETIMEDOUT, or -1 when this kernel cannot (then the caller sleeps its own
 * way for the rest of this semop). The first sleep sets w up. A refusal by
 * the kernel is remembered for the process. */
SHIM_HIDDEN int ewait_sleep(struct ewait *w, uint32_t *word, uint32_t seen, int64_t ns,
			    const sigset_t *mask);
SHIM_HIDDEN void ewait_close(struct ewait *w);
/* The calling thread's ring for one semop's sleeps (local, set up afresh,
 * when a handler's semop interrupted another's); ewait_put gives it back
 * with nothing queued. */
SHIM_HIDDEN struct ewait *ewait_get(struct ewait *local);
SHIM_HIDDEN void ewait_put(struct ewait *w);
/* In a fork child (allocation-free): closes every thread's inherited ring. */
SHIM_HIDDEN void ewait_child(void);

#endif
