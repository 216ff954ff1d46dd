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
#include "ring_write.h"

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

SHIM_HOT_DATA static struct ring_pool *pool;
/* The pool's parameters, copied at start-up: the hook path reads no page
 * of the pool but its own ring's. */
SHIM_HOT_DATA uint64_t ring_bytes;
SHIM_HOT_DATA static uint32_t when_full;
/* The thread's ring and where it stands: the next record's place, the
 * place the reader's tail last left room up to, and the ring's dropped
 * count (this thread is its only writer), so that an event touches no
 * page of the ring but the record's own: ring, head, room and dropped in
 * the thread's block (shim_tls, shim.h), found once per function. */

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
	shim_tls()->ring = NULL;
}

/* An empty end mark at at (release: after what the caller wrote before). */
static void mark_end(struct ring_hdr *h, uint64_t at)
{
	__atomic_store_n((uint64_t *)ring_rec_at(h, at), 0, __ATOMIC_RELEASE);
}

__attribute__((noinline, cold)) struct ring_hdr *ring_claim(pid_t pid, pid_t tid)
{
	shim_tls_t *t = shim_tls();
	uint32_t n = pool->nrings;

	/* the lowest free: rings whose pages were taken before, so that the
	 * pool's memory is what the most threads traced at once need */
	for (uint32_t at = 0; at < n; at++) {
		struct ring_hdr *h = ring_slot(pool, at);
		uint32_t want = RING_FREE;

		if (__atomic_load_n(&h->state, __ATOMIC_RELAXED) != RING_FREE ||
		    !__atomic_compare_exchange_n(&h->state, &want, RING_CLAIMING, 0,
						 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			continue;
		h->pid = pid;
		h->tid = tid;
		h->gen++;
		h->claim_no = __atomic_add_fetch(&pool->claims, 1, __ATOMIC_RELAXED);
		for (uint32_t u = __atomic_load_n(&pool->used, __ATOMIC_RELAXED);
		     u < at + 1 && !__atomic_compare_exchange_n(&pool->used, &u, at + 1, 0,
								 __ATOMIC_RELAXED, __ATOMIC_RELAXED);)
			;
		/* a ring is freed read and reset (tail 0): its first end mark */
		t->head = 0;
		t->room = pool->ring_bytes;
		t->dropped = __atomic_load_n(&h->dropped, __ATOMIC_RELAXED);
		mark_end(h, 0);
		__atomic_store_n(&h->state, RING_CLAIMED, __ATOMIC_RELEASE);
		/* Once per thread: the ring's pages mapped now, not by a page
		 * fault in some later traced call (no such madvise before Linux
		 * 5.14), and touched, for what a first touch still costs (a
		 * hypervisor filling its shadow page tables: microseconds). */
		madvise(ring_data(h), (size_t)pool->ring_bytes, MADV_POPULATE_WRITE);
		for (uint64_t o = 4096; o < pool->ring_bytes; o += 4096)
			__atomic_store_n(ring_data(h) + o, 0, __ATOMIC_RELAXED);
		return h;
	}
	return NULL;
}

/* An event made without a ring: the pool's count for the process. */
SHIM_HOT_AUX static void lost_noring(pid_t pid)
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

SHIM_HOT static void lost_one(struct ring_hdr *h, pid_t pid)
{
	if (h) {
		shim_tls()->dropped++;
		__atomic_fetch_add(&h->dropped, 1, __ATOMIC_RELEASE);
	} else {
		lost_noring(pid);
	}
}

int ring_on(void)
{
	return pool != NULL;
}

/* A hook entered while this thread is inside the shim: from a signal
 * handler when the caller is not the shim itself. Its event is lost. */
SHIM_HOT_AUX void ring_nested(enum shim_op op, const void *caller, pid_t pid)
{
	if (!pool || !(__atomic_load_n(&shim_trace, __ATOMIC_RELAXED) & (UINT64_C(1) << op)))
		return;
	if ((const char *)caller >= __ehdr_start && (const char *)caller < _etext)
		return;
	lost_one(shim_tls()->ring, pid);
}

/* A non-string argument's data bytes, and its count in *n (strings:
 * rec_str_bytes). */
SHIM_HOT static uint32_t arg_data(const struct shim_arg *a, uint32_t *n)
{
	*n = 0;
	switch (a->kind) {
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
		size_t b = a->n == (size_t)-1 ? (a->s ? shim_strnlen(a->s, SHIM_BUF_SHOWN) : 0) :
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

/* Each argument's data bytes and count in dl, n; the key's bytes in
 * *keylen, or in *key_arg the string argument that holds them whole (a
 * POSIX name: measured once, or not at all when the hook knew its
 * length). */
SHIM_HOT static void rec_size(const struct shim_event *e, size_t *keylen, int *key_arg,
			      uint32_t *dl, uint32_t *n)
{
	size_t known = e->key_src ? e->key_len : SHIM_LEN_UNKNOWN;

	*key_arg = -1;
	for (int i = 0; i < e->nargs; i++) {
		const struct shim_arg *a = &e->arg[i];

		if (a->kind == A_STR) {
			n[i] = 0;
			dl[i] = rec_str_bytes(a->s, i, e->key_src && a->s == e->key_src, known, key_arg);
		} else {
			dl[i] = arg_data(a, &n[i]);
		}
	}
	*keylen = rec_key_bytes(e->key_src ? e->key_src : e->key, known, *key_arg);
}

static int reader_gone(void)
{
	return kill(pool->reader_pid, 0) && errno == ESRCH;
}

/* Whether need more bytes fit after the head: the room last seen, else
 * the reader's tail read again; with --when-full block, waited for while
 * the reader lives. */
__attribute__((noinline, cold)) int ring_room_for(struct ring_hdr *h, uint64_t need)
{
	static const struct timespec nap = {0, 50000};
	shim_tls_t *t = shim_tls();
	int e = *shim_errno();

	for (unsigned i = 1;; i++) {
		t->room = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE) + ring_bytes;
		if (t->head + need <= t->room)
			break;
		if (when_full != RING_BLOCK || (!(i % 256) && reader_gone())) {
			*shim_errno() = e;
			return 0;
		}
		nanosleep(&nap, NULL);
	}
	*shim_errno() = e;
	return 1;
}

SHIM_HOT void ring_end(uint64_t start)
{
	shim_tls_t *t = shim_tls();

	if (LIKELY(t->ring))
		ring_open_mark(t, start);
}

/* No room: the event is lost, and the open mark taken back. */
__attribute__((noinline, cold)) void ring_put_lost(struct ring_hdr *h, pid_t pid)
{
	lost_one(h, pid);
	mark_end(h, shim_tls()->head);
}

/* The open mark moves to the start, then the pad is published. */
__attribute__((noinline, cold)) void ring_put_pad(struct ring_hdr *h, uint64_t head, uint64_t pad,
						  uint64_t t0)
{
	struct ring_rec *r = ring_rec_at(h, head + pad);

	r->t0 = t0;
	__atomic_store_n(&r->commit, RING_OPEN, __ATOMIC_RELAXED);
	__atomic_store_n(&r->len, 0, __ATOMIC_RELAXED);
	r = ring_rec_at(h, head);
	__atomic_store_n((uint64_t *)r, (uint64_t)RING_PAD << 32 | (uint32_t)pad, __ATOMIC_RELEASE);
}

SHIM_HOT void ring_put(const struct shim_event *e)
{
	shim_tls_t *t = shim_tls();
	struct ring_hdr *h = t->ring;
	size_t keylen;
	int key_arg;
	uint32_t dl[SHIM_MAX_ARGS], n[SHIM_MAX_ARGS];
	struct rec_arg a[SHIM_MAX_ARGS];
	struct rec_head hd;

	if (UNLIKELY(!h)) {
		/* ev_begin found none free: the next event looks again */
		lost_noring(e->pid);
		return;
	}
	rec_size(e, &keylen, &key_arg, dl, n);
	for (int i = 0; i < e->nargs; i++) {
		a[i].kind = e->arg[i].kind;
		a[i].namelen = e->arg[i].namelen;
		a[i].name = e->arg[i].name;
		a[i].v = (uint64_t)e->arg[i].u;
		a[i].data = e->arg[i].p;
		a[i].dl = dl[i];
		a[i].n = n[i];
	}
	hd.op = (uint16_t)e->op;
	hd.flags = (e->failed ? RR_FAILED : 0) | (e->emulated ? RR_EMULATED : 0) |
		   (e->key_searched ? RR_SEARCHED : 0);
	hd.rk = (uint8_t)e->rk;
	hd.err = e->err;
	hd.key_arg = key_arg;
	hd.key_type = e->key_type;
	hd.dur = e->dur;
	hd.ret = e->rk == R_INT || e->rk == R_KEYT ? (uint64_t)e->ret.i : (uint64_t)(uintptr_t)e->ret.p;
	ring_write(t, h, &hd, a, e->nargs, e->key_src ? e->key_src : e->key, keylen, e->t0, e->pid);
}
