/* SPDX-License-Identifier: MIT */
/* The producer side of the trace ring (ring.h): under `nipc trace` each
 * traced thread copies its events as binary records into its own ring in
 * the reader's shared-memory pool. The hook path makes no system call
 * (save when blocking on a full ring), takes no lock, formats nothing:
 * the record is the event's op, result, time, arguments (with the bytes of
 * strings, timeouts and semop lists) and key, as ev_end has them. The pool
 * is a mapping only: its descriptor is closed at once. */
#include "config.h"

#include "shim.h"
#include "ring.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static struct ring_pool *pool;
/* The pool's parameters, copied at start-up: the hook path reads no page
 * of the pool but its own ring's. */
static uint64_t ring_bytes;
static uint32_t when_full;
static __thread struct ring_hdr *my_ring __attribute__((tls_model("initial-exec")));

/* The shim's own code: a hook called from there while busy is the shim's
 * own call, not the program's (the linker's symbols for this object). */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char _etext[] __attribute__((visibility("hidden")));

int ring_init(const char *name)
{
	struct ring_pool head;
	struct stat st;
	void *p;
	int fd = REAL(shm_open)(name, O_RDWR | O_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || (size_t)st.st_size < sizeof head ||
	    pread(fd, &head, sizeof head, 0) != (ssize_t)sizeof head ||
	    head.magic != RING_MAGIC || head.version != RING_VERSION ||
	    head.pool_bytes != (uint64_t)st.st_size) {
		REAL(close)(fd);
		return -1;
	}
	p = REAL(mmap)(NULL, (size_t)head.pool_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	REAL(close)(fd);
	if (p == MAP_FAILED)
		return -1;
	pool = p;
	ring_bytes = pool->ring_bytes;
	when_full = pool->when_full;
#if defined(__x86_64__)
	shim_clock_tsc = pool->clock == RING_CLOCK_TSC;
#endif
	return 0;
}

void ring_after_fork(void)
{
	my_ring = NULL;
}

static struct ring_hdr *claim(pid_t pid, pid_t tid)
{
	uint32_t n = pool->nrings;

	for (uint32_t i = 0, at = (uint32_t)tid % n; i < n; i++, at = at + 1 == n ? 0 : at + 1) {
		struct ring_hdr *h = ring_slot(pool, at);
		uint32_t want = RING_FREE;

		if (__atomic_load_n(&h->state, __ATOMIC_RELAXED) != RING_FREE ||
		    !__atomic_compare_exchange_n(&h->state, &want, RING_CLAIMING, 0,
						 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			continue;
		h->pid = pid;
		h->tid = tid;
		h->gen++;
		h->open_end = 0;
		__atomic_store_n(&h->state, RING_CLAIMED, __ATOMIC_RELEASE);
		/* Once per thread: the ring's pages mapped now, not by a page
		 * fault in some later traced call (no such madvise before Linux
		 * 5.14), and touched, for what a first touch still costs (a
		 * hypervisor filling its shadow page tables: microseconds). */
		madvise(ring_data(h), (size_t)pool->ring_bytes, MADV_POPULATE_WRITE);
		for (uint64_t o = 0; o < pool->ring_bytes; o += 4096)
			__atomic_store_n(ring_data(h) + o, 0, __ATOMIC_RELAXED);
		return h;
	}
	return NULL;
}

/* An event made without a ring: the pool's count for the process. */
static void lost_noring(pid_t pid)
{
	for (int i = 0; i < RING_NORING_SLOTS; i++) {
		struct ring_noring *s = &pool->noring[i];
		int32_t cur = __atomic_load_n(&s->pid, __ATOMIC_ACQUIRE), zero = 0;

		if (!cur && __atomic_compare_exchange_n(&s->pid, &zero, pid, 0, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE))
			cur = pid;
		else if (!cur)
			cur = zero;
		if (cur == pid) {
			__atomic_fetch_add(&s->n, 1, __ATOMIC_RELEASE);
			return;
		}
	}
	__atomic_fetch_add(&pool->noring_other, 1, __ATOMIC_RELEASE);
}

static void lost_one(struct ring_hdr *h, pid_t pid)
{
	if (h)
		__atomic_fetch_add(&h->dropped, 1, __ATOMIC_RELEASE);
	else
		lost_noring(pid);
}

int ring_on(void)
{
	return pool != NULL;
}

/* A hook entered while this thread is inside the shim: from a signal
 * handler when the caller is not the shim itself. Its event is lost. */
void ring_nested(enum shim_op op, const void *caller, pid_t pid)
{
	if (!pool || !(__atomic_load_n(&shim_trace, __ATOMIC_RELAXED) & (UINT64_C(1) << op)))
		return;
	if ((const char *)caller >= __ehdr_start && (const char *)caller < _etext)
		return;
	lost_one(my_ring, pid);
}

static uint32_t arg_data(const struct shim_arg *a, uint32_t *n)
{
	*n = 0;
	switch (a->kind) {
	case A_STR:
		return a->s ? (uint32_t)strnlen(a->s, SHIM_STR_MAX + 1) + 1 : 0;
	case A_TS:
		return a->ts ? (uint32_t)sizeof(struct timespec) : 0;
	case A_SOPS:
		*n = (uint32_t)a->n;
		if (!a->sops)
			return 0;
		return (uint32_t)((a->n < SHIM_SOPS_SHOWN ? a->n : SHIM_SOPS_SHOWN) *
				  sizeof(struct sembuf));
	case A_BUF:
	case A_MSGBUF: {
		/* the bytes the formatter shows; a C string's length, not -1 */
		size_t b = a->n == (size_t)-1 ? (a->s ? strnlen(a->s, SHIM_BUF_SHOWN) : 0) :
			   a->n < SHIM_BUF_SHOWN ? a->n : SHIM_BUF_SHOWN;

		*n = (uint32_t)(a->n == (size_t)-1 ? b : a->n);
		if (!a->p)
			return 0;
		return (uint32_t)(b + (a->kind == A_MSGBUF ? sizeof(long) : 0));
	}
	case A_MQATTR:
		return a->p ? (uint32_t)sizeof(struct mq_attr) : 0;
	case A_SIGEV:
		return a->p ? (uint32_t)sizeof(struct sigevent) : 0;
	case A_UINTP:
		return a->p ? (uint32_t)sizeof(unsigned) : 0;
	default:
		return 0;
	}
}

static uint64_t rec_size(const struct shim_event *e, size_t keylen)
{
	uint64_t len = sizeof(struct ring_rec);
	uint32_t n;

	for (int i = 0; i < e->nargs; i++)
		len += RING_ARG_SIZE(strlen(e->arg[i].name), arg_data(&e->arg[i], &n));
	return len + RING_ALIGN(keylen);
}

static int reader_gone(void)
{
	return kill(pool->reader_pid, 0) && errno == ESRCH;
}

/* Waits for room (--when-full block) while the reader lives. */
static int wait_room(struct ring_hdr *h, uint64_t need)
{
	static const struct timespec nap = {0, 50000};
	int e = errno;

	for (unsigned i = 1;; i++) {
		if (h->head + need - __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE) <= ring_bytes)
			break;
		if (!(i % 256) && reader_gone()) {
			errno = e;
			return -1;
		}
		nanosleep(&nap, NULL);
	}
	errno = e;
	return 0;
}

static void fill(struct ring_rec *r, const struct shim_event *e, const struct ring_hdr *h,
		 size_t keylen)
{
	unsigned char *p = (unsigned char *)(r + 1);

	r->dropped = __atomic_load_n(&h->dropped, __ATOMIC_RELAXED);
	r->op = (uint16_t)e->op;
	r->nargs = (uint8_t)e->nargs;
	r->flags = (e->failed ? RR_FAILED : 0) | (e->emulated ? RR_EMULATED : 0) |
		   (e->key_searched ? RR_SEARCHED : 0);
	r->err = e->err;
	r->rk = (uint8_t)e->rk;
	r->key_type = (int16_t)e->key_type;
	r->keylen = (uint32_t)keylen;
	r->t0 = e->t0;
	r->dur = e->dur;
	r->ret = e->rk == R_INT || e->rk == R_KEYT ? (uint64_t)e->ret.i : (uint64_t)(uintptr_t)e->ret.p;
	for (int i = 0; i < e->nargs; i++) {
		const struct shim_arg *a = &e->arg[i];
		struct ring_arg *ra = (struct ring_arg *)p;
		size_t nl = strlen(a->name);
		uint32_t n, dl = arg_data(a, &n);

		ra->kind = (uint8_t)a->kind;
		ra->namelen = (uint8_t)nl;
		ra->datalen = (uint16_t)dl;
		ra->n = n;
		ra->v = (uint64_t)a->u;
		memcpy(ra + 1, a->name, nl);
		if (dl) {
			memcpy((unsigned char *)ra + RING_ARG_DATA(nl), a->p, dl);
			if (a->kind == A_STR)
				((unsigned char *)ra)[RING_ARG_DATA(nl) + dl - 1] = 0;
		}
		p += RING_ARG_SIZE(nl, dl);
	}
	memcpy(p, e->key, keylen);
}

void ring_begin(pid_t pid, pid_t tid)
{
	if (UNLIKELY(!my_ring))
		my_ring = claim(pid, tid);
}

void ring_end(uint64_t start)
{
	if (LIKELY(my_ring != NULL))
		__atomic_store_n(&my_ring->open_end, start, __ATOMIC_RELEASE);
}

void ring_put(const struct shim_event *e)
{
	struct ring_hdr *h = my_ring;
	size_t keylen;
	uint64_t len, head, pos, pad, size;
	struct ring_rec *r;

	if (UNLIKELY(!h)) {
		/* ring_begin found none free: the next event looks again */
		lost_noring(e->pid);
		return;
	}
	keylen = strlen(e->key);
	len = rec_size(e, keylen);
	size = ring_bytes;
	head = h->head;
	pos = head & (size - 1);
	pad = pos + len > size ? size - pos : 0;
	if (UNLIKELY(pad + len > size ||
		     head + pad + len - __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE) > size) &&
	    (pad + len > size || when_full != RING_BLOCK || wait_room(h, pad + len))) {
		lost_one(h, e->pid);
		__atomic_store_n(&h->open_end, 0, __ATOMIC_RELEASE);
		return;
	}
	if (pad) {
		r = (struct ring_rec *)(ring_data(h) + pos);
		r->len = (uint32_t)pad;
		r->commit = RING_PAD;
		head += pad;
		pos = 0;
	}
	r = (struct ring_rec *)(ring_data(h) + pos);
	r->len = (uint32_t)len;
	__atomic_store_n(&r->commit, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&h->head, head + len, __ATOMIC_RELEASE);
	fill(r, e, h, keylen);
	__atomic_store_n(&r->commit, RING_COMMIT, __ATOMIC_RELEASE);
	__atomic_store_n(&h->open_end, 0, __ATOMIC_RELEASE);
	/* The next record's lines, fetched for writing now: a store that
	 * misses the cache would stall the program's next atomic operation
	 * (every semaphore call has one) until the line arrives. */
	pos = (head + len) & (size - 1);
	__builtin_prefetch(ring_data(h) + pos, 1, 3);
	__builtin_prefetch(ring_data(h) + ((pos + 64) & (size - 1)), 1, 3);
	__builtin_prefetch(ring_data(h) + ((pos + 128) & (size - 1)), 1, 3);
}
