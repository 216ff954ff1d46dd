/* SPDX-License-Identifier: MIT */
/* The emulated semop's sleep, ended by a signal handler exactly as the
 * kernel's semop is.
 *
 * A waiter keeps the program's signals blocked while it works under the
 * set's lock, and must let them in for the sleep. FUTEX_WAIT cannot take
 * a signal mask, so unblocking first and then sleeping leaves a few
 * instructions where a handler runs and the sleep that follows does not
 * know it. ppoll can take a mask (set and restored by the kernel around
 * the sleep, as pselect does). So does io_uring_enter, and an io_uring
 * can wait on a futex (IORING_OP_FUTEX_WAIT, Linux 6.7): the waiter queues
 * a FUTEX_WAIT on the set's word, then waits for its completion with the
 * program's mask. A signal pending when the mask is set, or arriving in
 * the sleep, ends it with EINTR; like the kernel's semop (signal(7)) that
 * includes a stop and continue. Signals whose disposition is to ignore
 * them are left unblocked by the caller, so they never end it. Where the
 * ring or the request is refused (older kernels, io_uring disabled by
 * sysctl or seccomp) the caller falls back to FUTEX_WAIT and its window. */
#include "config.h"

#include "emul_wait.h"

#include <errno.h>
#include <linux/futex.h>
#include <linux/io_uring.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define OP_FUTEX_WAIT 51        /* IORING_OP_FUTEX_WAIT, Linux 6.7 */
#define FUTEX2_U32 0x02         /* FUTEX2_SIZE_U32; shared: no FUTEX2_PRIVATE */
#define WAIT_TAG 0x6e697063     /* user_data of the one request */

static int refused; /* this process's kernel said no once: stop asking */

static void unmap(struct ewait *w)
{
	if (w->ring)
		shim_next.munmap(w->ring, w->ring_len);
	if (w->sqes)
		shim_next.munmap(w->sqes, w->sqes_len);
	w->ring = w->sqes = NULL;
}

void ewait_close(struct ewait *w)
{
	int e = errno;

	unmap(w);
	if (w->fd >= 0)
		syscall(SYS_close, w->fd);
	w->fd = -1;
	w->armed = 0;
	w->state = -1;
	errno = e;
}

static int give_up(struct ewait *w, int for_good)
{
	if (for_good)
		__atomic_store_n(&refused, 1, __ATOMIC_RELAXED);
	ewait_close(w);
	return -1;
}

static int open_ring(struct ewait *w)
{
	struct io_uring_params p;
	size_t sq_len, cq_len;
	char *r;
	int fd, hi;

	w->fd = -1;
	w->armed = 0;
	w->ring = w->sqes = NULL;
	w->state = -1;
	if (__atomic_load_n(&refused, __ATOMIC_RELAXED))
		return -1;
	memset(&p, 0, sizeof p);
	fd = (int)syscall(SYS_io_uring_setup, 2, &p);
	if (fd < 0)
		return give_up(w, errno == ENOSYS || errno == EPERM || errno == EINVAL);
	hi = out_dup_high(fd);
	syscall(SYS_close, fd);
	if (hi < 0)
		return give_up(w, 0);
	w->fd = hi;
	if (!(p.features & IORING_FEAT_SINGLE_MMAP))
		return give_up(w, 1);
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	w->ring_len = sq_len > cq_len ? sq_len : cq_len;
	w->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	w->ring = shim_next.mmap(NULL, w->ring_len, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_POPULATE, w->fd, IORING_OFF_SQ_RING);
	if (w->ring == MAP_FAILED)
		w->ring = NULL;
	w->sqes = shim_next.mmap(NULL, w->sqes_len, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_POPULATE, w->fd, IORING_OFF_SQES);
	if (w->sqes == MAP_FAILED)
		w->sqes = NULL;
	if (!w->ring || !w->sqes)
		return give_up(w, 0);
	r = w->ring;
	w->sq_tail = (unsigned *)(r + p.sq_off.tail);
	w->sq_array = (unsigned *)(r + p.sq_off.array);
	w->sq_mask = *(unsigned *)(r + p.sq_off.ring_mask);
	w->cq_head = (unsigned *)(r + p.cq_off.head);
	w->cq_tail = (unsigned *)(r + p.cq_off.tail);
	w->cq_mask = *(unsigned *)(r + p.cq_off.ring_mask);
	w->cqes = (struct io_uring_cqe *)(r + p.cq_off.cqes);
	w->sqe = w->sqes;
	w->state = 1;
	return 0;
}

/* Queues the futex wait: 0, or -1. A word that is no longer seen
 * completes it at once (-EAGAIN), which counts as a wake. */
static int arm(struct ewait *w, uint32_t *word, uint32_t seen)
{
	unsigned tail = *w->sq_tail, i = tail & w->sq_mask;
	struct io_uring_sqe *s = &w->sqe[i];

	memset(s, 0, sizeof *s);
	s->opcode = OP_FUTEX_WAIT;
	s->fd = FUTEX2_U32;
	s->addr = (uint64_t)(uintptr_t)word;
	s->off = seen;
	s->addr3 = FUTEX_BITSET_MATCH_ANY;
	s->user_data = WAIT_TAG;
	w->sq_array[i] = i;
	__atomic_store_n(w->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(SYS_io_uring_enter, w->fd, 1, 0, 0, NULL, 0) != 1) {
		if (errno != EINTR)
			errno = EINVAL; /* this kernel cannot: not worth asking again */
		return -1;
	}
	w->armed = 1;
	return 0;
}

/* Takes the completions: 1 if the wait ended (woken), 0 if it is still
 * queued, -1 if the kernel refused the request. */
static int drain(struct ewait *w)
{
	unsigned head = *w->cq_head, tail = __atomic_load_n(w->cq_tail, __ATOMIC_ACQUIRE);
	int done = 0;

	for (; head != tail; head++) {
		const struct io_uring_cqe *c = &w->cqes[head & w->cq_mask];

		if (c->user_data != WAIT_TAG)
			continue;
		if (c->res < 0 && c->res != -EAGAIN)
			done = -1;
		else if (!done)
			done = 1;
	}
	__atomic_store_n(w->cq_head, head, __ATOMIC_RELEASE);
	if (done)
		w->armed = 0;
	return done;
}

int ewait_sleep(struct ewait *w, uint32_t *word, uint32_t seen, int64_t ns,
		const sigset_t *mask)
{
	struct __kernel_timespec ts = {ns / 1000000000, ns % 1000000000};
	struct io_uring_getevents_arg arg = {
		.sigmask = (uint64_t)(uintptr_t)mask, .sigmask_sz = _NSIG / 8,
		.ts = (uint64_t)(uintptr_t)&ts,
	};
	int d;

	if (!w->state && open_ring(w))
		return -1;
	if (w->state < 0)
		return -1;
	/* a queued wait stays valid: every change of the word since it was
	 * queued came with a FUTEX_WAKE, which completed it */
	if (!w->armed && arm(w, word, seen))
		return give_up(w, errno == EINVAL);
	d = drain(w);
	if (!d && syscall(SYS_io_uring_enter, w->fd, 0, 1,
			  IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg) < 0) {
		if (errno == EINTR)
			return EINTR;
		if (errno == ETIME)
			return ETIMEDOUT;
		return give_up(w, 0);
	}
	if (!d)
		d = drain(w);
	return d < 0 ? give_up(w, 1) : 0;
}
