/* SPDX-License-Identifier: MIT */
/* The reader side of the trace ring pool (ring_read.h, shim/ring.h).
 *
 * Each poll drains every claimed ring up to its head, copying records into
 * a queue; the queue is sorted by the time each event ended (records are
 * committed then) and the part older than the merge window is handed over.
 * A ring whose thread is dead is drained once more (a record cut by the
 * kill is counted lost), its remaining losses are reported, and it is
 * reset and freed for another thread. */
#include "config.h"

#include "ring_read.h"
#include "common.h"
#include "../shim/ring.h"
#include "../shim/key_fmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Events that ended this long before a poll began are handed over after
 * it: a record is committed right after its event ends, so by then every
 * ring holding an older one has been read (the slack covers a thread
 * preempted between the two). */
#define MERGE_WINDOW_NS 10000000ull

struct item {
	uint64_t tend;          /* CLOCK_MONOTONIC ns the event ended */
	uint64_t t0, dur;       /* its start, CLOCK_MONOTONIC, and duration, ns */
	uint64_t seq;
	long pid, tid;
	unsigned long long lost;        /* a loss marker when rec is NULL */
	struct ring_rec *rec;
};

struct ring_seen {
	uint32_t gen;           /* the claim this state belongs to */
	uint64_t dropped;       /* losses already reported */
	uint64_t last_tend;
	int broken;             /* a wild record: not read further */
};

struct pid_lost {
	long pid;
	unsigned long long n;
};

/* A claimed ring as one poll saw it. */
struct claimed {
	int32_t pid, tid;
	uint64_t claim_no;
	uint32_t i;
};

struct ring_reader {
	char name[64];
	struct ring_pool *pool;
	struct ring_seen *seen;
	struct claimed *cl;     /* nrings: this poll's claimed rings */
	unsigned char *superseded; /* nrings: a later claim has its pid and tid */
	uint64_t noring_seen[RING_NORING_SLOTS], noring_other_seen;
	struct item *q;
	size_t nq, capq;
	uint64_t seq;
	unsigned long long delivered, lost;
	struct pid_lost *pl;
	size_t npl, cappl;
	int tsc;                /* records count TSC ticks */
	uint64_t tsc0, mono0;   /* a TSC reading and the monotonic time with it */
	uint64_t tsc_last, mono_last;   /* the latest such pair */
	struct timespec off;    /* CLOCK_REALTIME minus CLOCK_MONOTONIC */
	int have_off;
	double ns_per_tick;
};

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t ticks(void)
{
#if defined(__x86_64__)
	return __builtin_ia32_rdtsc();
#else
	return 0;
#endif
}

/* An invariant TSC (x86-64, constant and nonstop): the shim may time
 * events with it. NIPC_TRACE_CLOCK=monotonic says no. */
static int tsc_usable(void)
{
#if defined(__x86_64__)
	const char *env = getenv("NIPC_TRACE_CLOCK");
	char line[4096];
	int constant = 0, nonstop = 0;
	FILE *f;

	if (env && !strcmp(env, "monotonic"))
		return 0;
	if (!(f = fopen("/proc/cpuinfo", "r")))
		return 0;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "flags", 5)) {
			constant = strstr(line, " constant_tsc") != NULL;
			nonstop = strstr(line, " nonstop_tsc") != NULL;
			break;
		}
	fclose(f);
	return constant && nonstop;
#else
	return 0;
#endif
}

/* A TSC reading and the monotonic time at that moment (the midpoint of two
 * readings around the clock's). */
static int clock_pair(uint64_t *t, uint64_t *m)
{
	/* a pair taken across a preemption is worth nothing: the closest
	 * of a few */
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 8; i++) {
		uint64_t a = ticks(), mm = mono_ns(), b = ticks();

		if (b - a < best) {
			best = b - a;
			*m = mm;
			*t = a + (b - a) / 2;
		}
		if (best < 2000)
			break;
	}
	return best < 20000 ? 0 : -1;
}

/* The TSC's rate against the monotonic clock, over 2 ms at the start and
 * over the whole run later; times are converted from the latest reading,
 * so an error in the rate scales with an event's age when read (a poll
 * interval), not with the length of the run. */
static void calibrate(struct ring_reader *r)
{
	uint64_t t, m;
	int tries = 0;

	if (clock_pair(&t, &m) && r->tsc0)
		return;
	if (!r->tsc0) {
		const struct timespec nap = {0, 2000000};

		/* a rate from bad pairs would misdate the first events */
		while (clock_pair(&t, &m) && ++tries < 100)
			;
		r->tsc0 = t;
		r->mono0 = m;
		do
			nanosleep(&nap, NULL);
		while (clock_pair(&t, &m) && ++tries < 200);
	}
	if (t > r->tsc0 && m > r->mono0)
		r->ns_per_tick = (double)(m - r->mono0) / (double)(t - r->tsc0);
	r->tsc_last = t;
	r->mono_last = m;
}

static uint64_t to_mono(const struct ring_reader *r, uint64_t v)
{
	if (!r->tsc)
		return v;
	return r->mono_last + (uint64_t)(int64_t)((double)(int64_t)(v - r->tsc_last) * r->ns_per_tick);
}

static uint64_t to_ns(const struct ring_reader *r, uint64_t v)
{
	return r->tsc ? (uint64_t)((double)v * r->ns_per_tick) : v;
}

int ring_parse_size(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K': n <<= 10; end++; break;
	case 'm': case 'M': n <<= 20; end++; break;
	case 'g': case 'G': n <<= 30; end++; break;
	default: break;
	}
	if (*end == 'i' && end[-1] != 0 && (end[1] == 'B' || end[1] == 0))
		end += end[1] == 'B' ? 2 : 1;
	else if (*end == 'B')
		end++;
	if (*end)
		return -1;
	*v = n;
	return 0;
}

void ring_name_make(char *name, size_t len)
{
	static unsigned counter;

	snprintf(name, len, "/nipc-trace-%ld-%u-%lx", (long)getpid(), counter++,
		 (unsigned long)mono_ns() & 0xffffff);
}

uint64_t ring_round_bytes(uint64_t ring_bytes)
{
	uint64_t bytes = 4096;

	while (bytes < ring_bytes)
		bytes <<= 1;
	return bytes;
}

struct ring_reader *ring_reader_new(const char *name, uint64_t ring_bytes, unsigned nrings,
				    int when_full)
{
	struct ring_reader *r = calloc(1, sizeof *r);
	uint64_t bytes = ring_round_bytes(ring_bytes), total;
	int fd;

	if (!r) {
		fail("trace: out of memory");
		return NULL;
	}
	total = RING_POOL_BYTES + (uint64_t)nrings * (RING_HDR_BYTES + bytes);
	snprintf(r->name, sizeof r->name, "%s", name);
	r->seen = calloc(nrings, sizeof *r->seen);
	r->cl = calloc(nrings, sizeof *r->cl);
	r->superseded = calloc(nrings, 1);
	if (!r->cl || !r->superseded) {
		free(r->seen);
		r->seen = NULL;
	}
	fd = r->seen ? shm_open(r->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
	if (fd < 0) {
		fail("trace: cannot create the trace buffer %s: %s", r->name,
		     strerror(r->seen ? errno : ENOMEM));
		free(r->seen);
		free(r->cl);
		free(r->superseded);
		free(r);
		return NULL;
	}
	if (ftruncate(fd, (off_t)total) ||
	    (r->pool = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		fail("trace: cannot map a trace buffer of %llu bytes: %s",
		     (unsigned long long)total, strerror(errno));
		close(fd);
		shm_unlink(r->name);
		free(r->seen);
		free(r->cl);
		free(r->superseded);
		free(r);
		return NULL;
	}
	close(fd);
	r->pool->version = RING_VERSION;
	r->pool->nrings = nrings;
	r->pool->ring_bytes = bytes;
	r->pool->slot_bytes = RING_HDR_BYTES + bytes;
	r->pool->pool_bytes = total;
	r->pool->when_full = (uint32_t)when_full;
	r->pool->reader_pid = (int32_t)getpid();
	r->tsc = tsc_usable();
	if (r->tsc) {
		calibrate(r);
		r->pool->clock = RING_CLOCK_TSC;
	}
	__atomic_store_n(&r->pool->magic, RING_MAGIC, __ATOMIC_RELEASE);
	return r;
}

const char *ring_reader_name(const struct ring_reader *r)
{
	return r->name;
}

static void push(struct ring_reader *r, const struct item *it)
{
	if (r->nq == r->capq) {
		size_t cap = r->capq ? r->capq * 2 : 1024;
		struct item *q = realloc(r->q, cap * sizeof *q);

		if (!q) {
			/* no memory to keep it: still counted */
			if (it->rec) {
				free(it->rec);
				r->lost++;
			} else {
				r->lost += it->lost;
			}
			return;
		}
		r->q = q;
		r->capq = cap;
	}
	r->q[r->nq] = *it;
	r->q[r->nq++].seq = r->seq++;
}

static void note_lost(struct ring_reader *r, long pid, long tid, unsigned long long n,
		      uint64_t at)
{
	if (!n)
		return;
	push(r, &(struct item){.tend = at, .pid = pid, .tid = tid, .lost = n});
}

static int alive(pid_t pid, pid_t tid)
{
	return !syscall(SYS_tgkill, pid, tid, 0) || errno == EPERM;
}

/* Reads ring i up to its end mark; dead: its thread is gone for good.
 * *open: the start of an event that ended and is not in yet, else 0. */
static size_t drain(struct ring_reader *r, uint32_t i, int dead, uint64_t *open)
{
	struct ring_hdr *h = ring_slot(r->pool, i);
	struct ring_seen *s = &r->seen[i];
	uint64_t size = r->pool->ring_bytes, tail = h->tail;
	unsigned char *data = ring_data(h);
	size_t n = 0;

	*open = 0;
	if (s->gen != h->gen) {
		*s = (struct ring_seen){.gen = h->gen};
		s->last_tend = mono_ns();
	}
	while (!s->broken) {
		uint64_t pos = tail & (size - 1);
		struct ring_rec *rec = (struct ring_rec *)(data + pos);
		uint32_t commit = __atomic_load_n(&rec->commit, __ATOMIC_ACQUIRE), len;

		if (commit != RING_COMMIT && commit != RING_PAD) {
			if (commit == RING_OPEN) {
				uint64_t t0 = rec->t0;

				/* the record may have come in meanwhile */
				if (__atomic_load_n(&rec->commit, __ATOMIC_ACQUIRE) != RING_OPEN)
					continue;
				*open = t0;
			}
			/* a length without a commit word: being written, or
			 * cut by a kill if the writer is dead */
			len = __atomic_load_n(&rec->len, __ATOMIC_ACQUIRE);
			if (!dead || !len)
				break;
			*open = 0;
			commit = 0;
		} else {
			len = rec->len;
		}
		if (len < 8 || len % 8 || len > size - pos) {
			/* a wild length: the rest of this ring cannot be trusted */
			note_lost(r, h->pid, h->tid, 1, s->last_tend);
			s->broken = 1;
			break;
		}
		if (commit == RING_PAD) {
			tail += len;
			continue;
		}
		if (commit != RING_COMMIT) {
			note_lost(r, h->pid, h->tid, 1, s->last_tend);
			tail += len;
			continue;
		}
		struct ring_rec *copy = malloc(len);
		uint64_t t0 = to_mono(r, rec->t0), dur = to_ns(r, rec->dur), tend = t0 + dur;

		if (rec->dropped > s->dropped) {
			note_lost(r, h->pid, h->tid, rec->dropped - s->dropped, tend);
			s->dropped = rec->dropped;
		}
		if (copy) {
			memcpy(copy, rec, len);
			push(r, &(struct item){.tend = tend, .t0 = t0, .dur = dur, .pid = h->pid,
					       .tid = h->tid, .rec = copy});
		} else {
			note_lost(r, h->pid, h->tid, 1, tend);
		}
		s->last_tend = tend;
		tail += len;
		n++;
	}
	__atomic_store_n(&h->tail, tail, __ATOMIC_RELEASE);
	return n;
}

/* The thread is gone and its ring read: the rest of its losses, and the
 * ring free for another thread. */
static void retire(struct ring_reader *r, uint32_t i)
{
	struct ring_hdr *h = ring_slot(r->pool, i);
	struct ring_seen *s = &r->seen[i];
	uint64_t dropped = __atomic_load_n(&h->dropped, __ATOMIC_ACQUIRE);

	if (dropped > s->dropped)
		note_lost(r, h->pid, h->tid, dropped - s->dropped, s->last_tend);
	h->pid = h->tid = 0;
	h->dropped = 0;
	h->tail = 0;
	*s = (struct ring_seen){0};
	__atomic_store_n(&h->state, RING_FREE, __ATOMIC_RELEASE);
}

static void poll_noring(struct ring_reader *r)
{
	struct ring_pool *p = r->pool;
	uint64_t now = mono_ns(), v;

	for (int i = 0; i < RING_NORING_SLOTS; i++) {
		v = __atomic_load_n(&p->noring[i].n, __ATOMIC_ACQUIRE);
		if (v > r->noring_seen[i]) {
			note_lost(r, __atomic_load_n(&p->noring[i].pid, __ATOMIC_ACQUIRE), 0,
				  v - r->noring_seen[i], now);
			r->noring_seen[i] = v;
		}
	}
	v = __atomic_load_n(&p->noring_other, __ATOMIC_ACQUIRE);
	if (v > r->noring_other_seen) {
		note_lost(r, 0, 0, v - r->noring_other_seen, now);
		r->noring_other_seen = v;
	}
}

static int by_time(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->tend != y->tend)
		return x->tend < y->tend ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void add_pid_lost(struct ring_reader *r, long pid, unsigned long long n)
{
	for (size_t i = 0; i < r->npl; i++)
		if (r->pl[i].pid == pid) {
			r->pl[i].n += n;
			return;
		}
	if (r->npl == r->cappl) {
		size_t cap = r->cappl ? r->cappl * 2 : 16;
		struct pid_lost *pl = realloc(r->pl, cap * sizeof *pl);

		if (!pl)
			return;
		r->pl = pl;
		r->cappl = cap;
	}
	r->pl[r->npl++] = (struct pid_lost){pid, n};
}

/* Record i back into the event the shim had (pointers into the record). */
static void decode(const struct item *it, struct shim_event *e, char names[][256],
		   const struct timespec *off)
{
	const struct ring_rec *rec = it->rec;
	const unsigned char *p = (const unsigned char *)(rec + 1);
	uint64_t rt;

	uint16_t datalen[SHIM_MAX_ARGS] = {0};

	memset(e, 0, offsetof(struct shim_event, key));
	e->op = (enum shim_op)(rec->op < OP_COUNT ? rec->op : 0);
	e->pid = (pid_t)it->pid;
	e->tid = (pid_t)it->tid;
	rt = it->t0 + (uint64_t)off->tv_sec * 1000000000u + (uint64_t)off->tv_nsec;
	e->ts.tv_sec = (time_t)(rt / 1000000000u);
	e->ts.tv_nsec = (long)(rt % 1000000000u);
	e->t0 = it->t0;
	e->dur = it->dur;
	e->rk = (enum ret_kind)rec->rk;
	if (e->rk == R_INT || e->rk == R_KEYT)
		e->ret.i = (long long)rec->ret;
	else
		e->ret.p = (const void *)(uintptr_t)rec->ret;
	e->failed = (rec->flags & RR_FAILED) != 0;
	e->emulated = (rec->flags & RR_EMULATED) != 0;
	e->key_searched = (rec->flags & RR_SEARCHED) != 0;
	e->err = rec->err;
	e->nargs = rec->nargs > SHIM_MAX_ARGS ? SHIM_MAX_ARGS : rec->nargs;
	for (int i = 0; i < rec->nargs; i++) {
		const struct ring_arg *ra = (const struct ring_arg *)p;
		const unsigned char *data = (const unsigned char *)ra + RING_ARG_DATA(ra->namelen);

		if (i < SHIM_MAX_ARGS) {
			struct shim_arg *a = &e->arg[i];

			memcpy(names[i], ra + 1, ra->namelen);
			names[i][ra->namelen] = 0;
			a->name = names[i];
			a->kind = (enum arg_kind)ra->kind;
			a->u = ra->v;
			a->n = ra->n;
			datalen[i] = ra->datalen;
			if (a->kind == A_STR || a->kind == A_TS || a->kind == A_SOPS ||
			    a->kind == A_BUF || a->kind == A_MSGBUF || a->kind == A_MQATTR ||
			    a->kind == A_SIGEV || a->kind == A_UINTP)
				a->p = ra->datalen ? (const void *)data : NULL;
		}
		p += RING_ARG_SIZE(ra->namelen, ra->datalen);
	}
	if (rec->flags & RR_KEY_ARG) {
		/* the key is a string argument's bytes (NUL included) */
		const struct shim_arg *a = rec->key_arg < e->nargs ? &e->arg[rec->key_arg] : NULL;
		size_t n = 0;

		if (a && a->kind == A_STR && a->p)
			n = strnlen(a->p, datalen[rec->key_arg]);
		if (n >= sizeof e->key)
			n = sizeof e->key - 1;
		if (n)
			memcpy(e->key, a->p, n);
		e->key[n] = 0;
	} else if (rec->keylen >= sizeof e->key) {
		memcpy(e->key, p, sizeof e->key - 1);
		e->key[sizeof e->key - 1] = 0;
	} else {
		memcpy(e->key, p, rec->keylen);
		e->key[rec->keylen] = 0;
	}
	e->key_type = -1;
	if (rec->key_type >= 0)
		key_fmt(e->key, sizeof e->key, rec->key_type, e->key);
}

/* The real time and the monotonic time at one moment: the closest of a
 * few readings (one taken across a preemption would shift the dates). */
static uint64_t realtime_pair(struct timespec *rt, struct timespec *mt)
{
	uint64_t best = UINT64_MAX;

	clock_gettime(CLOCK_REALTIME, rt);
	clock_gettime(CLOCK_MONOTONIC, mt);
	for (int i = 0; i < 8 && best > 2000; i++) {
		struct timespec a, r, b;
		uint64_t gap;

		clock_gettime(CLOCK_MONOTONIC, &a);
		clock_gettime(CLOCK_REALTIME, &r);
		clock_gettime(CLOCK_MONOTONIC, &b);
		gap = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000u + (uint64_t)(b.tv_nsec - a.tv_nsec);
		if (gap < best) {
			best = gap;
			*rt = r;
			*mt = a;
		}
	}
	return best;
}

static void hand_over(struct ring_reader *r, int final, uint64_t limit, const struct ring_sink *s)
{
	static struct shim_event e;
	static char names[SHIM_MAX_ARGS][256];
	struct timespec rt, mt, off;
	if (final)
		limit = UINT64_MAX;
	size_t i;

	/* the dates follow the real time's adjustments, from a pair taken
	 * within 20 us (else the last such pair's) */
	if (realtime_pair(&rt, &mt) < 20000 || !r->have_off) {
		r->off.tv_sec = rt.tv_sec - mt.tv_sec;
		r->off.tv_nsec = rt.tv_nsec - mt.tv_nsec;
		if (r->off.tv_nsec < 0) {
			r->off.tv_sec--;
			r->off.tv_nsec += 1000000000;
		}
		r->have_off = 1;
	}
	off = r->off;
	if (r->nq > 1)
		qsort(r->q, r->nq, sizeof *r->q, by_time);
	for (i = 0; i < r->nq && r->q[i].tend <= limit; i++) {
		struct item *it = &r->q[i];

		if (it->rec) {
			decode(it, &e, names, &off);
			r->delivered++;
			if (s->event)
				s->event(s->arg, &e);
			free(it->rec);
		} else {
			uint64_t t = it->tend + (uint64_t)off.tv_sec * 1000000000u + (uint64_t)off.tv_nsec;
			struct timespec ts = {(time_t)(t / 1000000000u), (long)(t % 1000000000u)};

			r->lost += it->lost;
			add_pid_lost(r, it->pid, it->lost);
			if (s->lost)
				s->lost(s->arg, it->pid, it->tid, it->lost, &ts);
		}
	}
	if (i) {
		memmove(r->q, r->q + i, (r->nq - i) * sizeof *r->q);
		r->nq -= i;
	}
}

/* The slots a poll looks at: those claimed at least once (the shim keeps
 * the mark; a slot claimed after it is read is seen by the next poll),
 * every slot in the last poll. */
static uint32_t slots_used(const struct ring_reader *r, int final)
{
	uint32_t u = __atomic_load_n(&r->pool->used, __ATOMIC_ACQUIRE);

	return final || u > r->pool->nrings ? r->pool->nrings : u;
}

static int by_owner(const void *a, const void *b)
{
	const struct claimed *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->claim_no < y->claim_no ? -1 : x->claim_no > y->claim_no;
}

/* Rings whose pid and tid a later claim has too: a former image's (the
 * thread exec'd: it lives on, so its old ring never looks dead) or a dead
 * thread's whose tid came back. Their writers are gone. */
static void find_superseded(struct ring_reader *r, uint32_t end)
{
	size_t n = 0;

	memset(r->superseded, 0, end);
	for (uint32_t i = 0; i < end; i++) {
		struct ring_hdr *h = ring_slot(r->pool, i);

		if (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) != RING_CLAIMED)
			continue;
		r->cl[n++] = (struct claimed){h->pid, h->tid, h->claim_no, i};
	}
	if (n > 1)
		qsort(r->cl, n, sizeof *r->cl, by_owner);
	for (size_t k = 0; k + 1 < n; k++)
		if (r->cl[k].pid == r->cl[k + 1].pid && r->cl[k].tid == r->cl[k + 1].tid)
			r->superseded[r->cl[k].i] = 1;
}

size_t ring_reader_poll(struct ring_reader *r, int final, const struct ring_sink *s)
{
	size_t n = 0;
	uint64_t limit;
	uint32_t end;

	if (r->tsc)
		calibrate(r);
	limit = mono_ns() - MERGE_WINDOW_NS;
	end = slots_used(r, final);
	find_superseded(r, end);

	for (uint32_t i = 0; i < end; i++) {
		struct ring_hdr *h = ring_slot(r->pool, i);
		uint64_t open;
		int dead;

		if (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) != RING_CLAIMED)
			continue;
		/* dead first: then every record it made is visible; the last
		 * poll takes the rest of every ring, a record still being
		 * written (or of a zombie killed while writing) is lost */
		dead = r->superseded[i] || !alive(h->pid, h->tid);
		/* An event that ended but is not in yet holds back the later
		 * ones: its open mark is where the reading stops. An event
		 * that ended before this poll began has its mark or its
		 * record in by now (the mark is made before its end is
		 * timed). */
		n += drain(r, i, dead || final, &open);
		if (dead || final)
			retire(r, i);
		else if (open && to_mono(r, open) <= limit)
			limit = to_mono(r, open) - 1;
	}
	poll_noring(r);
	hand_over(r, final, limit, s);
	return n;
}

int ring_reader_live(struct ring_reader *r)
{
	for (uint32_t i = 0, end = slots_used(r, 0); i < end; i++) {
		struct ring_hdr *h = ring_slot(r->pool, i);

		if (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) != RING_FREE &&
		    alive(h->pid, h->tid))
			return 1;
	}
	return 0;
}

void ring_reader_counts(const struct ring_reader *r, unsigned long long *delivered,
			unsigned long long *lost)
{
	*delivered = r->delivered;
	*lost = r->lost;
}

int ring_reader_pid_lost(const struct ring_reader *r, size_t i, long *pid,
			 unsigned long long *n)
{
	if (i >= r->npl)
		return 0;
	*pid = r->pl[i].pid;
	*n = r->pl[i].n;
	return 1;
}

void ring_name_unlink(const char *name)
{
	char path[96];
	size_t n = strnlen(name, sizeof path - 9);

	memcpy(path, "/dev/shm", 8);
	memcpy(path + 8, name, n);
	path[8 + n] = 0;
	unlink(path);
}

void ring_reader_unlink(const struct ring_reader *r)
{
	ring_name_unlink(r->name);
}

void ring_reader_free(struct ring_reader *r)
{
	if (!r)
		return;
	shm_unlink(r->name);
	munmap(r->pool, r->pool->pool_bytes);
	for (size_t i = 0; i < r->nq; i++)
		free(r->q[i].rec);
	free(r->q);
	free(r->seen);
	free(r->cl);
	free(r->superseded);
	free(r->pl);
	free(r);
}
