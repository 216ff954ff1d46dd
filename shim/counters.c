/* SPDX-License-Identifier: MIT */
/* Per-object counters (counters.h): with NIPC_COUNTERS=/NAME the waits and
 * posts on named semaphores are counted into a shared-memory table, with
 * or without tracing. The counted calls are reached by the hot hooks'
 * pointer (no dispatcher, no naming): a lookup of the sem_t in a
 * per-process map filled by sem_open, then atomic adds. A wait first tries
 * sem_trywait: when that takes the semaphore the wait did not block (no
 * clock read); else it is contended, and the real wait is timed. The
 * program's semantics are kept: glibc's own checks that come before its
 * fast path (a bad deadline or clock: EINVAL; a pending cancellation) come
 * first here too, errno is what the real call leaves, and the waiting is
 * done by the real function. */
#include "config.h"

#include "shim.h"
#include "counters.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

SHIM_HOT_DATA uint64_t shim_count_ops;
struct shim_next shim_count_calls;

static struct nipc_ctr_table *table;

/* sem_t * → slot, open addressing; a key of 0 ends a probe, TOMB and BUSY
 * (a slot being filled) do not. Never an aligned pointer. */
#define MAP_SIZE 1024
#define TOMB ((uintptr_t)1)
#define BUSY ((uintptr_t)2)
static uintptr_t map_key[MAP_SIZE];
static struct nipc_ctr_slot *map_val[MAP_SIZE];

static size_t hash(const void *p)
{
	return (size_t)(((uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ull) >> 54) & (MAP_SIZE - 1);
}

static inline struct nipc_ctr_slot *slot_of(const sem_t *s)
{
	size_t h = hash(s);

	for (size_t i = 0; i < MAP_SIZE; i++, h = (h + 1) & (MAP_SIZE - 1)) {
		uintptr_t k = __atomic_load_n(&map_key[h], __ATOMIC_ACQUIRE);

		if (k == (uintptr_t)s)
			return map_val[h];
		if (!k)
			return NULL;
	}
	return NULL;
}

static void map_put(const sem_t *s, struct nipc_ctr_slot *v)
{
	size_t h = hash(s);

	if (slot_of(s))
		return;
	for (size_t i = 0; i < MAP_SIZE; i++, h = (h + 1) & (MAP_SIZE - 1)) {
		uintptr_t k = __atomic_load_n(&map_key[h], __ATOMIC_RELAXED);

		if ((k == 0 || k == TOMB) &&
		    __atomic_compare_exchange_n(&map_key[h], &k, BUSY, 0, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			map_val[h] = v;
			__atomic_store_n(&map_key[h], (uintptr_t)s, __ATOMIC_RELEASE);
			return;
		}
	}
}

static void map_del(const sem_t *s)
{
	size_t h = hash(s);

	for (size_t i = 0; i < MAP_SIZE; i++, h = (h + 1) & (MAP_SIZE - 1)) {
		uintptr_t k = __atomic_load_n(&map_key[h], __ATOMIC_ACQUIRE);

		if (k == (uintptr_t)s) {
			__atomic_store_n(&map_key[h], TOMB, __ATOMIC_RELEASE);
			return;
		}
		if (!k)
			return;
	}
}

/* The table's slot for name: its own, else a free one claimed. */
static struct nipc_ctr_slot *slot_for(const char *name)
{
	size_t len = strnlen(name, NIPC_CTR_NAME);

	if (len == NIPC_CTR_NAME)
		return NULL;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < NIPC_CTR_SLOTS; i++) {
			struct nipc_ctr_slot *c = &table->slot[i];
			uint32_t st = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);

			if (st == NIPC_CTR_READY && !memcmp(c->name, name, len + 1))
				return c;
			if (pass == 1 && st == NIPC_CTR_FREE &&
			    __atomic_compare_exchange_n(&c->state, &st, NIPC_CTR_CLAIMED, 0,
							__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
				memcpy(c->name, name, len + 1);
				__atomic_store_n(&c->state, NIPC_CTR_READY, __ATOMIC_RELEASE);
				return c;
			}
		}
	__atomic_fetch_add(&table->full, 1, __ATOMIC_RELAXED);
	return NULL;
}

void counters_sem_open(const sem_t *s, const char *name)
{
	struct nipc_ctr_slot *c;

	if (table && name && (c = slot_for(name)))
		map_put(s, c);
}

void counters_sem_forget(const sem_t *s)
{
	if (table)
		map_del(s);
}

/* ------------------------------------------------------ the counted calls */

static inline void add(uint64_t *p, uint64_t v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static inline uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static inline unsigned bucket(uint64_t ns)
{
	unsigned b = ns ? 64 - (unsigned)__builtin_clzll(ns) : 1;

	return b < NIPC_CTR_BUCKETS ? b : NIPC_CTR_BUCKETS - 1;
}

/* The wait's try: 0 it took the semaphore (errno kept); 1 it would block. */
static inline int try_first(struct nipc_ctr_slot *c, sem_t *s)
{
	int err = errno;

	if (REAL(sem_trywait)(s) == 0) {
		errno = err;
		add(&c->hist[0], 1);
		return 0;
	}
	errno = err;
	add(&c->contended, 1);
	return 1;
}

static inline void blocked(struct nipc_ctr_slot *c, uint64_t t0)
{
	uint64_t dt = now_ns() - t0;

	add(&c->blocked_ns, dt);
	add(&c->hist[bucket(dt)], 1);
}

static int k_sem_wait(sem_t *s)
{
	struct nipc_ctr_slot *c = slot_of(s);
	uint64_t t0;
	int r;

	if (!c)
		return REAL(sem_wait)(s);
	/* sem_wait acts on a pending cancellation even when it would not block */
	pthread_testcancel();
	if (!try_first(c, s))
		return 0;
	t0 = now_ns();
	r = REAL(sem_wait)(s);
	blocked(c, t0);
	return r;
}

static int valid_ts(const struct timespec *ts)
{
	return ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000;
}

static int k_sem_timedwait(sem_t *s, const struct timespec *abstime)
{
	struct nipc_ctr_slot *c = slot_of(s);
	uint64_t t0;
	int r;

	/* glibc answers a bad deadline with EINVAL before trying */
	if (!c || !valid_ts(abstime))
		return REAL(sem_timedwait)(s, abstime);
	pthread_testcancel();
	if (!try_first(c, s))
		return 0;
	t0 = now_ns();
	r = REAL(sem_timedwait)(s, abstime);
	blocked(c, t0);
	return r;
}

static int k_sem_clockwait(sem_t *s, clockid_t clock, const struct timespec *abstime)
{
	struct nipc_ctr_slot *c = slot_of(s);
	uint64_t t0;
	int r;

	if (!c || (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME) || !valid_ts(abstime))
		return REAL(sem_clockwait)(s, clock, abstime);
	pthread_testcancel();
	if (!try_first(c, s))
		return 0;
	t0 = now_ns();
	r = REAL(sem_clockwait)(s, clock, abstime);
	blocked(c, t0);
	return r;
}

static int k_sem_trywait(sem_t *s)
{
	struct nipc_ctr_slot *c = slot_of(s);
	int r = REAL(sem_trywait)(s);

	if (c) {
		if (r && errno == EAGAIN)
			add(&c->contended, 1);
		add(&c->hist[0], 1);
	}
	return r;
}

static int k_sem_post(sem_t *s)
{
	struct nipc_ctr_slot *c = slot_of(s);

	if (c)
		add(&c->posts, 1);
	return REAL(sem_post)(s);
}

/* ---------------------------------------------------------------- set-up */

/* NIPC_COUNTERS=/NAME: the table, made if it does not exist (0600) and
 * make is set. */
static struct nipc_ctr_table *open_table(const char *name, int make)
{
	struct nipc_ctr_table *t;
	struct stat st;
	int fd = REAL(shm_open)(name, O_RDWR | (make ? O_CREAT : 0) | O_CLOEXEC, 0600);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || (st.st_size < (off_t)sizeof *t &&
			       REAL(ftruncate)(fd, (off_t)sizeof *t))) {
		REAL(close)(fd);
		return NULL;
	}
	t = REAL(mmap)(NULL, sizeof *t, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	REAL(close)(fd);
	if (t == MAP_FAILED)
		return NULL;
	/* a new table: the first process to see it empty sets the header */
	{
		uint32_t zero = 0;

		if (__atomic_load_n(&t->magic, __ATOMIC_ACQUIRE) == 0 &&
		    __atomic_compare_exchange_n(&t->version, &zero, NIPC_CTR_VERSION, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			nipc_ctr_table_init(t);
	}
	for (int spin = 0; spin < 1000 && !__atomic_load_n(&t->magic, __ATOMIC_ACQUIRE); spin++)
		sched_yield();
	if (!nipc_ctr_table_ok(t)) {
		REAL(munmap)(t, sizeof *t);
		errno = EPROTO;
		return NULL;
	}
	return t;
}

void counters_init(void)
{
	const char *name = getenv("NIPC_COUNTERS");
	/* under nipc trace (its ring named) the table is nipc's: a process
	 * started after nipc removed it neither makes it again nor warns */
	int owned = getenv("NIPC_TRACE_RING") != NULL;

	if (!name || !*name)
		return;
	if (name[0] != '/' || !(table = open_table(name, !owned))) {
		if (owned && errno == ENOENT)
			return;
		shim_warn(errno == EPROTO ? "NIPC_COUNTERS: %s is not a counters table of this "
			  "version; not counting" : "NIPC_COUNTERS: cannot open the table %s; not counting",
			  name);
		return;
	}
	shim_count_calls = shim_next;
	shim_count_calls.sem_wait = k_sem_wait;
	shim_count_calls.sem_timedwait = k_sem_timedwait;
	shim_count_calls.sem_trywait = k_sem_trywait;
	shim_count_calls.sem_post = k_sem_post;
	if (shim_next.sem_clockwait)
		shim_count_calls.sem_clockwait = k_sem_clockwait;
	shim_count_ops = OPBIT(SEM_WAIT) | OPBIT(SEM_TIMEDWAIT) | OPBIT(SEM_TRYWAIT) |
			 OPBIT(SEM_POST) | OPBIT(SEM_CLOCKWAIT);
}
