/* SPDX-License-Identifier: MIT */
/* The trace ring pool: the layout of the shared-memory segment that
 * `nipc trace` creates and every traced process maps (NIPC_TRACE_RING).
 * Shared by the shim (the producers, shim/ring.c) and nipc (the reader,
 * tools/ring_read.c); header-only layout, no code but inline helpers.
 *
 * The segment is a pool header, then nrings slots. A traced thread claims
 * a free slot (CAS FREE -> CLAIMING, then its pid and tid, then CLAIMED)
 * and is its only producer. Records are variable-sized, 8-byte aligned,
 * and never straddle the end of the data area (a pad record fills the
 * rest). The producer never touches the slot's header page on its way:
 * where its next record goes, the ring holds an end mark (a record
 * header whose commit word is 0), and the reader reads records from its
 * tail until it meets that mark. To write a record, the producer writes
 * the end mark after it, then its length (release), its body, and its
 * commit word (release); it reads the reader's tail only when the room it
 * last saw runs out. Between a traced call's end and its record, the end
 * mark is an open mark (RING_OPEN, with the event's start time): the
 * reader holds back events that ended later until that record is in.
 * A record with a length but no commit word when its producer is dead
 * was cut by a kill: counted lost, and skipped by its length.
 *
 * Loss: `dropped` counts events the thread made but did not record (ring
 * full, pool exhausted before a claim, a hook entered from a signal
 * handler inside the shim). It only grows; each record carries its value
 * at the time, so the reader reports the difference at the point of loss,
 * and the rest when the ring is retired. Events a process made without
 * any ring are counted in the pool's per-process table. */
#ifndef NIPC_SHIM_RING_H
#define NIPC_SHIM_RING_H

#include <stdint.h>

#define RING_ENV "NIPC_TRACE_RING"
#define RING_MAGIC UINT64_C(0x314752434e50494e) /* "NIPCRG1" */
#define RING_VERSION 4

enum ring_state { RING_FREE = 0, RING_CLAIMING = 1, RING_CLAIMED = 2 };
enum ring_full { RING_DISCARD = 0, RING_BLOCK = 1 };
/* Records' times: CLOCK_MONOTONIC ns, or the TSC (x86-64 with an invariant
 * TSC: a fraction of a vDSO clock read where the clock source is not the
 * TSC, as in many VMs), which the reader converts. */
enum ring_clock { RING_CLOCK_MONO = 0, RING_CLOCK_TSC = 1 };

#define RING_COMMIT 0x52454321u /* a record's commit word once it is whole */
#define RING_PAD 0x50414421u    /* the rest of the data area is unused */
#define RING_OPEN 0x4e45504fu   /* end mark: an event ended, its record not in */
/* Room the end mark takes after the last record: its length, commit word
 * and start time. A record that would leave less before the end of the
 * data area takes the rest. */
#define RING_MARK_BYTES 16u

#define RING_NORING_SLOTS 64

/* Events a process made when the pool had no free ring for its thread. */
struct ring_noring {
	int32_t pid;
	uint32_t pad_;
	uint64_t n;
};

struct ring_pool {
	uint64_t magic;
	uint32_t version;
	uint32_t nrings;
	uint64_t ring_bytes;    /* data bytes per ring, a power of two */
	uint64_t slot_bytes;    /* header + data */
	uint64_t pool_bytes;    /* the whole segment */
	uint32_t when_full;     /* enum ring_full */
	int32_t reader_pid;     /* producers stop blocking once it is gone */
	uint32_t clock;         /* enum ring_clock: what records' t0 and dur count */
	uint32_t pad_;
	uint64_t noring_other;  /* no ring, and no table slot left */
	struct ring_noring noring[RING_NORING_SLOTS];
	uint64_t claims;        /* rings claimed so far: each claim's number */
	/* Slots below this one have been claimed (a claim takes the lowest
	 * free slot): the reader looks at these only. */
	uint32_t used;
	uint32_t pad2_;
} __attribute__((aligned(64)));

struct ring_hdr {
	uint32_t state;         /* enum ring_state */
	int32_t pid, tid;
	uint32_t gen;           /* claims so far: a reader notices reuse */
	uint64_t dropped;       /* events made but not recorded (only grows) */
	/* The claim's number in the pool: of two claimed rings of one pid and
	 * tid, the earlier is a former image's (before an exec) or a dead
	 * thread's whose tid came back; its writer is gone. */
	uint64_t claim_no;
	uint64_t tail __attribute__((aligned(64)));    /* reader: bytes consumed */
} __attribute__((aligned(64)));

#define RING_HDR_BYTES 4096 /* a page: the data area is page-aligned */
_Static_assert(sizeof(struct ring_hdr) <= RING_HDR_BYTES, "ring header fits its slot");
#define RING_POOL_BYTES 4096
_Static_assert(sizeof(struct ring_pool) <= RING_POOL_BYTES, "pool header fits a page");

/* One event. The body is the arguments, each a struct ring_arg then its
 * name bytes then its data bytes, 8-aligned; then the key's bytes. */
struct ring_rec {
	uint32_t len;           /* bytes, header included, a multiple of 8; 0 in an end mark */
	uint32_t commit;        /* 0, RING_COMMIT, RING_PAD or RING_OPEN */
	uint64_t t0;            /* start, in the pool's clock (an open mark's too) */
	uint64_t dropped;       /* the ring's dropped count when this was made */
	uint16_t op;
	uint8_t nargs;
	uint8_t flags;          /* RR_* */
	int32_t err;
	uint8_t rk;             /* enum ret_kind */
	uint8_t key_arg;        /* RR_KEY_ARG: the argument whose string is the key */
	int16_t key_type;       /* -1: the key is text, else its native name (key_fmt.h) */
	uint32_t keylen;
	uint64_t dur;           /* in the pool's clock */
	uint64_t ret;
};

#define RR_FAILED 1u
#define RR_EMULATED 2u
#define RR_SEARCHED 4u     /* the key's file was found by a search (keyfind.h) */
#define RR_KEY_ARG 8u      /* the key's bytes are argument key_arg's string (keylen 0) */

struct ring_arg {
	uint8_t kind;           /* enum arg_kind */
	uint8_t namelen;
	uint16_t datalen;       /* bytes of data (RING_ARG_DATA): A_STR (NUL included), A_TS, ... */
	uint32_t n;             /* A_SOPS: the call's count */
	uint64_t v;             /* the value (pointer, integer); a string's NULL-ness */
};

#define RING_ALIGN(n) (((n) + 7u) & ~(uint64_t)7u)
/* An argument's data starts 8-aligned after its name (a timespec, an
 * mq_attr read in place); the next argument after the data. */
#define RING_ARG_DATA(nl) RING_ALIGN(sizeof(struct ring_arg) + (nl))
#define RING_ARG_SIZE(nl, dl) RING_ALIGN(RING_ARG_DATA(nl) + (dl))

static inline struct ring_hdr *ring_slot(const struct ring_pool *p, uint32_t i)
{
	return (struct ring_hdr *)((char *)p + RING_POOL_BYTES + (uint64_t)i * p->slot_bytes);
}

static inline unsigned char *ring_data(struct ring_hdr *h)
{
	return (unsigned char *)h + RING_HDR_BYTES;
}

#endif
