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
 * sysctl or seccomp) the caller falls back to FUTEX_WAIT and its window.
 *
 * Setting a ring up and tearing it down costs about 40 us and makes the
 * kernel finish the teardown in the background (a hand-over between two
 * processes went from 68 to 640 us), so each thread keeps one: made at its
 * first sleep, descriptor above 511 and close-on-exec, mappings not
 * inherited (MADV_DONTFORK); closed when the thread exits (a key's
 * destructor) and, for every thread's ring, in a fork child. A sleep in a
 * signal handler that interrupted another uses a ring of its own. */
#include "config.h"

#include "emul_wait.h"

#include <errno.h>
#include <linux/futex.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define OP_FUTEX_WAIT 51        /* IORING_OP_FUTEX_WAIT, Linux 6.7 */
#define FUTEX2_U32 0x02         /* FUTEX2_SIZE_U32; shared: no FUTEX2_PRIVATE */
#define WAIT_TAG 0x6e697063     /* user_data of the one request */
#define CANCEL_TAG 0x6e697064
#define RINGS 256               /* threads with a ring, for a fork child */

static int refused; /* this process's kernel said no once: stop asking */
static int ring_fds[RINGS];     /* descriptor + 1 of each thread's ring; 0: free */
static __thread struct ewait tls_w = EWAIT_INIT;
static __thread int tls_busy;
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int key_ok;

static void unmap(struct ewait *w)
{
	if (w->ring)
		shim_next.munmap(w->ring, w->ring_len);
	if (w->sqes)
		shim_next.munmap(w->sqes, w->sqes_len);
	w->ring = w->sqes = NULL;
}

static void unregister(int fd)
{
	for (int i = 0; i < RINGS; i++) {
		int want = fd + 1;

		if (__atomic_compare_exchange_n(&ring_fds[i], &want, 0, 0, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return;
	}
}

static void register_fd(int fd)
{
	for (int i = 0; i < RINGS; i++) {
		int free_slot = 0;

		if (__atomic_compare_exchange_n(&ring_fds[i], &free_slot, fd + 1, 0,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return;
	}
}

void ewait_close(struct ewait *w)
{
	int e = errno;

	unmap(w);
	if (w->fd >= 0) {
		if (w == &tls_w)
			unregister(w->fd);
		syscall(SYS_close, w->fd);
	}
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
	if (w == &tls_w && (madvise(w->ring, w->ring_len, MADV_DONTFORK) ||
			    madvise(w->sqes, w->sqes_len, MADV_DONTFORK)))
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
	if (w == &tls_w) {
		register_fd(w->fd);
		if (key_ok)
			pthread_setspecific(exit_key, w);
	}
	return 0;
}

static struct io_uring_sqe *next_sqe(struct ewait *w)
{
	unsigned i = *w->sq_tail & w->sq_mask;

	memset(&w->sqe[i], 0, sizeof w->sqe[i]);
	return &w->sqe[i];
}

static int submit(struct ewait *w)
{
	unsigned tail = *w->sq_tail, i = tail & w->sq_mask;

	w->sq_array[i] = i;
	__atomic_store_n(w->sq_tail, tail + 1, __ATOMIC_RELEASE);
	return syscall(SYS_io_uring_enter, w->fd, 1, 0, 0, NULL, 0) == 1 ? 0 : -1;
}

/* Queues the futex wait: 0, or -1. A word that is no longer seen
 * completes it at once (-EAGAIN), which counts as a wake. */
static int arm(struct ewait *w, uint32_t *word, uint32_t seen)
{
	struct io_uring_sqe *s = next_sqe(w);

	s->opcode = OP_FUTEX_WAIT;
	s->fd = FUTEX2_U32;
	s->addr = (uint64_t)(uintptr_t)word;
	s->off = seen;
	s->addr3 = FUTEX_BITSET_MATCH_ANY;
	s->user_data = WAIT_TAG;
	if (submit(w)) {
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
		if (c->res < 0 && c->res != -EAGAIN && c->res != -ECANCELED)
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

/* Takes back a queued wait (it names a word the next sleep may not use):
 * 0, or -1 when the ring is no longer usable. */
static int disarm(struct ewait *w)
{
	struct io_uring_sqe *s;

	if (!w->armed || drain(w))
		return 0;
	s = next_sqe(w);
	s->opcode = IORING_OP_ASYNC_CANCEL;
	s->addr = WAIT_TAG;
	s->user_data = CANCEL_TAG;
	if (submit(w))
		return -1;
	for (int i = 0; i < 1000 && !drain(w); i++)
		if (syscall(SYS_io_uring_enter, w->fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0 &&
		    errno != EINTR)
			return -1;
	return w->armed ? -1 : 0;
}

static void at_thread_exit(void *arg)
{
	ewait_close(arg);
}

static void make_key(void)
{
	key_ok = !pthread_key_create(&exit_key, at_thread_exit);
}

struct ewait *ewait_get(struct ewait *local)
{
	if (tls_busy) {
		*local = (struct ewait)EWAIT_INIT;
		return local;
	}
	tls_busy = 1;
	pthread_once(&key_once, make_key);
	return &tls_w;
}

void ewait_put(struct ewait *w)
{
	int e = errno;

	if (w != &tls_w) {
		ewait_close(w);
	} else {
		if (w->state > 0 && disarm(w))
			ewait_close(w);
		if (w->state < 0 && !__atomic_load_n(&refused, __ATOMIC_RELAXED))
			w->state = 0; /* failed for this sleep only: try again next time */
		tls_busy = 0;
	}
	errno = e;
}

void ewait_child(void)
{
	for (int i = 0; i < RINGS; i++) {
		int fd = __atomic_exchange_n(&ring_fds[i], 0, __ATOMIC_RELAXED);

		if (fd > 0)
			syscall(SYS_close, fd - 1);
	}
	/* its mappings were not inherited */
	tls_w = (struct ewait)EWAIT_INIT;
	tls_busy = 0;
}
