/* SPDX-License-Identifier: MIT */
/* The one writer of a ring record (ring.h's layout), inline in both of its
 * callers: ring_put (ring.c), which writes any event from its shim_event,
 * and the hooks' lean path (hooks.c), which writes a successful call's
 * record straight from the hook's own arguments. There the arguments'
 * kinds, names and count are constants of the hook: the writer compiles
 * into the hook, unrolled, with no loop over kinds and no shim_event, so
 * that the path after the real call runs in the hook's own page (after a
 * system call, each further page of code or data is a TLB miss where
 * page-table isolation has no PCID). Only hooks.c and ring.c include it. */
#ifndef NIPC_SHIM_RING_WRITE_H
#define NIPC_SHIM_RING_WRITE_H

#include "shim.h"
#include "ring.h"

/* One argument as the record holds it: data bytes at data (dl of them;
 * a string's NUL included, and written as 0 whatever the caller's byte).
 * The hooks record their arguments in this form (kind, name, v, and cnt:
 * an A_SOPS count, an A_BUF or A_MSGBUF size), the record's fields
 * filled in by lean_leave, or the event's arguments made from them
 * (hooks.c). */
struct rec_arg {
	enum arg_kind kind;
	unsigned namelen;
	const char *name;
	uint64_t v;
	const void *data;
	uint32_t dl, n;
	size_t cnt;
};

/* The record's header fields that the caller decides. */
struct rec_head {
	uint16_t op;
	uint8_t flags;
	uint8_t rk;
	int32_t err;
	int key_arg;            /* the string argument that holds the key, or -1 */
	int key_type;
	uint64_t dur, ret;
};

/* The ring's line at p + off fetched for writing, if it is in p's page: a
 * prefetch into the next page costs here as much as the whole record
 * (bench_ring: the calls whose record ended within 128 bytes of a page's
 * end were this VM's p99, 150 ns above the others), a store does not.
 * 4096 bytes: a page, or a part of a larger one. */
static inline __attribute__((always_inline)) void ring_prefetch(const unsigned char *p, size_t off)
{
	if ((((uintptr_t)p + off) ^ (uintptr_t)p) < 4096)
		__builtin_prefetch(p + off, 1, 3);
}

/* The lines of a record at p that a shm_open's 152 bytes can reach past
 * its first (which the caller stores into), fetched for writing within
 * p's page. */
static inline __attribute__((always_inline)) void ring_prefetch_rec(const unsigned char *p)
{
	ring_prefetch(p, 64);
	ring_prefetch(p, 128);
	ring_prefetch(p, 192);
}

/* The most bytes of a key a record holds: what an event's key holds. */
#define REC_KEY_CAP sizeof(((struct shim_event *)0)->key)

/* String argument i's data bytes, its NUL included (0 for a null string):
 * the key's length when the string is the key and that length is known,
 * else measured up to SHIM_STR_MAX. The first string that holds the key
 * whole (not cut at SHIM_STR_MAX) becomes *key_arg. */
static inline __attribute__((always_inline)) uint32_t rec_str_bytes(const char *s, int i, int is_key,
								    size_t known, int *key_arg)
{
	uint32_t dl;

	if (!s)
		return 0;
	dl = (uint32_t)(is_key && LIKELY(known <= SHIM_STR_MAX) ? known : shim_strnlen(s, SHIM_STR_MAX + 1)) + 1;
	if (is_key && dl - 1 <= SHIM_STR_MAX && *key_arg < 0)
		*key_arg = i;
	return dl;
}

/* The key's bytes after the arguments: none when argument key_arg holds
 * it; known if known, else measured. */
static inline __attribute__((always_inline)) size_t rec_key_bytes(const char *key, size_t known,
								  int key_arg)
{
	if (key_arg >= 0)
		return 0;
	return known < REC_KEY_CAP ? known : shim_strnlen(key, REC_KEY_CAP - 1);
}

/* ring.c's: the data area's size, and the slow paths. */
SHIM_HIDDEN extern uint64_t ring_bytes;
/* Whether need more bytes fit after the head (the reader's tail read
 * again; with --when-full block, waited for). */
SHIM_HIDDEN int ring_room_for(struct ring_hdr *h, uint64_t need);
/* No room: the event is lost, and the open mark taken back. */
SHIM_HIDDEN void ring_put_lost(struct ring_hdr *h, pid_t pid);
/* The rest of the data area skipped: the open mark moves to its start. */
SHIM_HIDDEN void ring_put_pad(struct ring_hdr *h, uint64_t head, uint64_t pad, uint64_t t0);

static inline __attribute__((always_inline)) struct ring_rec *ring_rec_at(struct ring_hdr *h,
									 uint64_t at)
{
	return (struct ring_rec *)(ring_data(h) + (at & (ring_bytes - 1)));
}

/* The record of an event that started at t0, in thread t's ring h: args
 * (nargs of them), then keylen bytes of key unless key_arg names the
 * argument that holds it. */
static inline __attribute__((always_inline)) void
ring_write(shim_tls_t *t, struct ring_hdr *h, const struct rec_head *hd, const struct rec_arg *a,
	   int nargs, const char *key, size_t keylen, uint64_t t0, pid_t pid)
{
	uint64_t head = t->head, size = ring_bytes, len = sizeof(struct ring_rec), pos, pad, end;
	struct ring_rec *r;
	unsigned char *p;

#pragma GCC unroll 8
	for (int i = 0; i < nargs; i++)
		len += RING_ARG_SIZE(a[i].namelen, a[i].dl);
	len += RING_ALIGN(keylen);
	pos = head & (size - 1);
	pad = pos + len > size ? size - pos : 0;
	/* never an end mark that would not fit before the end */
	end = (pad ? 0 : pos) + len;
	if (UNLIKELY(size - end < RING_MARK_BYTES && end != size))
		len += size - end;
	if (UNLIKELY(pad + len > size) ||
	    (UNLIKELY(head + pad + len + RING_MARK_BYTES > t->room) &&
	     !ring_room_for(h, pad + len + RING_MARK_BYTES))) {
		ring_put_lost(h, pid);
		return;
	}
	if (UNLIKELY(pad)) {
		ring_put_pad(h, head, pad, t0);
		head += pad;
	}
	r = ring_rec_at(h, head);
	/* the end mark after it first: a length seen means a mark there */
	__atomic_store_n((uint64_t *)ring_rec_at(h, head + len), 0, __ATOMIC_RELAXED);
	__atomic_store_n(&r->len, (uint32_t)len, __ATOMIC_RELEASE);
	r->dropped = t->dropped;
	r->op = hd->op;
	r->nargs = (uint8_t)nargs;
	r->flags = hd->flags | (hd->key_arg >= 0 ? RR_KEY_ARG : 0);
	r->err = hd->err;
	r->rk = hd->rk;
	r->key_arg = (uint8_t)(hd->key_arg >= 0 ? hd->key_arg : 0);
	r->key_type = (int16_t)hd->key_type;
	r->keylen = (uint32_t)keylen;
	r->dur = hd->dur;
	r->ret = hd->ret;
	p = (unsigned char *)(r + 1);
#pragma GCC unroll 8
	for (int i = 0; i < nargs; i++) {
		struct ring_arg *ra = (struct ring_arg *)p;
		size_t nl = a[i].namelen;

		ra->kind = (uint8_t)a[i].kind;
		ra->namelen = (uint8_t)nl;
		ra->datalen = (uint16_t)a[i].dl;
		ra->n = a[i].n;
		ra->v = a[i].v;
		shim_copy(ra + 1, a[i].name, nl);
		if (a[i].dl) {
			shim_copy((unsigned char *)ra + RING_ARG_DATA(nl), a[i].data, a[i].dl);
			if (a[i].kind == A_STR)
				((unsigned char *)ra)[RING_ARG_DATA(nl) + a[i].dl - 1] = 0;
		}
		p += RING_ARG_SIZE(nl, a[i].dl);
	}
	if (keylen)
		shim_copy(p, key, keylen);
	__atomic_store_n(&r->commit, RING_COMMIT, __ATOMIC_RELEASE);
	head += len;
	t->head = head;
	/* The next record's lines, fetched for writing now: a store that
	 * misses the cache would stall the program's next atomic operation
	 * (every semaphore call has one) until the line arrives. Its first
	 * line holds the end mark just written. */
	pos = head & (size - 1);
	ring_prefetch_rec(ring_data(h) + pos);
}

/* The event's end, before its end is timed (and, in the general path,
 * before its naming, which may search): the end mark after the last
 * record becomes an open mark with its start, so that the reader holds
 * back the events that ended after it until its record is in. */
static inline __attribute__((always_inline)) void ring_open_mark(shim_tls_t *t, uint64_t start)
{
	struct ring_rec *r = ring_rec_at(t->ring, t->head);

	/* the record's next lines, fetched while the call's naming runs */
	ring_prefetch_rec((const unsigned char *)r);
	r->t0 = start;
	__atomic_store_n(&r->commit, RING_OPEN, __ATOMIC_RELEASE);
}

#endif
