/* SPDX-License-Identifier: MIT */
/* Names of objects for events: what the shim remembers of earlier calls
 * (ftok paths, named semaphores, shm_open descriptors and their mappings,
 * shmat addresses, System V ids) and the keys made from it. A lossy cache,
 * not a ledger: the oldest entry gives way when a table is full. Fixed
 * tables, lock-free (a per-slot sequence count for the names, single words
 * for ids): a signal handler or a fork in the middle of an update can never
 * deadlock, at worst a lookup misses. */
#include "config.h"

#include "shim.h"
#include "nipc.h"
#include "key_fmt.h"
#include "keyfind.h"

#include <sched.h>
#include <string.h>

struct table {
	size_t n;
	uintptr_t *tag;        /* 0 = empty */
	unsigned *seq;         /* odd while a writer fills the slot */
	uintptr_t *aux;
	unsigned *len;          /* the name's length */
	char (*name)[SHIM_NAME_CAP];
	unsigned next;         /* round-robin victim when full */
};

/* A table's slots: tags, sequence counts, aux words and the names'
 * lengths in hot (the descriptors' table: every close of a traced program
 * looks there), the names apart. */
#define TABLE(id, size, hot) \
	hot static uintptr_t id##_tag[size]; \
	hot static unsigned id##_seq[size]; \
	hot static uintptr_t id##_aux[size]; \
	hot static unsigned id##_len[size]; \
	static char id##_name[size][SHIM_NAME_CAP];

TABLE(ftok, SHIM_SLOTS, )
TABLE(sem, SHIM_SEM_SLOTS, )
TABLE(fd, SHIM_SLOTS, SHIM_HOT_DATA)
TABLE(map, SHIM_MAP_SLOTS, )
TABLE(shmat, SHIM_MAP_SLOTS, )
TABLE(mq, SHIM_SLOTS, )

#define T(id, size) {size, id##_tag, id##_seq, id##_aux, id##_len, id##_name, 0}
SHIM_HOT_DATA static struct table tables[NK_COUNT] = {
	[NK_FTOK] = T(ftok, SHIM_SLOTS),
	[NK_SEM] = T(sem, SHIM_SEM_SLOTS),
	[NK_FD] = T(fd, SHIM_SLOTS),
	[NK_MAP] = T(map, SHIM_MAP_SLOTS),
	[NK_SHMAT] = T(shmat, SHIM_MAP_SLOTS),
	[NK_MQ] = T(mq, SHIM_SLOTS),
};

SHIM_HOT_DATA static uint64_t fdbits[SHIM_FD_MAX / 64];

/* Named semaphores per hash of the address, never fewer than the table
 * holds (an entry evicted or updated in place is not subtracted): a zero
 * means "not named" at once, so that tracing the waits and posts of
 * unnamed semaphores costs no table scan to leave them out. */
#define SEM_HINT_BITS 12
static unsigned sem_hint[1 << SEM_HINT_BITS];

static inline __attribute__((always_inline)) unsigned *hint_of(uintptr_t tag)
{
	return &sem_hint[(size_t)(((uint64_t)tag * 0x9e3779b97f4a7c15ull) >> (64 - SEM_HINT_BITS))];
}

static inline __attribute__((always_inline)) void fdbit(uintptr_t fd, int on)
{
	uint64_t bit = 1ull << (fd % 64);

	if (fd >= SHIM_FD_MAX)
		return;
	if (on)
		__atomic_fetch_or(&fdbits[fd / 64], bit, __ATOMIC_RELEASE);
	else
		__atomic_fetch_and(&fdbits[fd / 64], ~bit, __ATOMIC_RELEASE);
}

static inline __attribute__((always_inline)) int fd_is_shm(int fd)
{
	if (fd < 0)
		return 0;
	if (fd >= SHIM_FD_MAX)
		return 1; /* not in the bitmap: let the table decide */
	return (__atomic_load_n(&fdbits[fd / 64], __ATOMIC_ACQUIRE) >> (fd % 64)) & 1;
}

/* Descriptors are stored as fd + 1 so that 0 can mean empty. */
static inline __attribute__((always_inline)) uintptr_t tag_of(enum names_kind k, uintptr_t tag)
{
	return k == NK_FD || k == NK_MQ ? tag + 1 : tag;
}

/* Locks a slot for writing: its sequence count goes odd. */
static inline __attribute__((always_inline)) int lock_slot(struct table *t, size_t i, unsigned *seq)
{
	unsigned s = __atomic_load_n(&t->seq[i], __ATOMIC_RELAXED);

	if (s & 1)
		return 0;
	if (!__atomic_compare_exchange_n(&t->seq[i], &s, s + 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return 0;
	*seq = s;
	return 1;
}

/* Locks a slot for want: its own entry if any, else a free one (searched
 * from a hash of want, so that writers of different tags rarely meet),
 * else (a full table) the next victim. A slot chosen before another writer
 * took it is checked again under the lock. */
static inline __attribute__((always_inline)) size_t slot_hash(const struct table *t, uintptr_t want)
{
	return (size_t)((want * 0x9e3779b97f4a7c15ull) >> 40) & (t->n - 1);
}

SHIM_HOT __attribute__((noinline)) static int claim(struct table *t, uintptr_t want, int fresh,
						    size_t *slot, unsigned *seq)
{
	size_t start = slot_hash(t, want);

	/* pass 0: its own entry, unless it is known to have none */
	for (int pass = fresh; pass < 2; pass++) {
		uintptr_t free_tag = pass == 0 ? want : 0;

		for (size_t j = 0; j < t->n; j++) {
			size_t i = (start + j) & (t->n - 1);
			uintptr_t cur;

			if (__atomic_load_n(&t->tag[i], __ATOMIC_RELAXED) != free_tag || !lock_slot(t, i, seq))
				continue;
			cur = __atomic_load_n(&t->tag[i], __ATOMIC_RELAXED);
			if (cur == want || cur == 0) {
				*slot = i;
				return 1;
			}
			__atomic_store_n(&t->seq[i], *seq, __ATOMIC_RELEASE);
		}
	}
	for (size_t tries = 0; tries < t->n; tries++) {
		size_t i = __atomic_fetch_add(&t->next, 1, __ATOMIC_RELAXED) & (t->n - 1);

		if (lock_slot(t, i, seq)) {
			*slot = i;
			return 1;
		}
	}
	return 0;
}

/* claim()'s first look, inline: the slot of want's hash when it holds
 * want's entry, or is free and want is known to have none elsewhere (the
 * usual case; claim() looks further). */
static inline __attribute__((always_inline)) int claim_first(struct table *t, uintptr_t want, int fresh,
							       size_t *slot, unsigned *seq)
{
	size_t i = slot_hash(t, want);
	uintptr_t cur = __atomic_load_n(&t->tag[i], __ATOMIC_RELAXED);

	if ((cur != want && (cur || !fresh)) || !lock_slot(t, i, seq))
		return 0;
	cur = __atomic_load_n(&t->tag[i], __ATOMIC_RELAXED);
	if (cur != want && (cur || !fresh)) {
		__atomic_store_n(&t->seq[i], *seq, __ATOMIC_RELEASE);
		return 0;
	}
	*slot = i;
	return 1;
}

/* The bodies of names_put_len, names_get and names_del, inline in them and
 * in the descriptors' own copies (names_fd_put, names_fd_take). */
static inline __attribute__((always_inline)) void put_len(enum names_kind k, uintptr_t tag, uintptr_t aux,
							  const char *name, size_t len)
{
	struct table *t = &tables[k];
	uintptr_t want = tag_of(k, tag);
	size_t i;
	unsigned seq;
	int fresh;

	if (k == NK_SEM)
		__atomic_fetch_add(hint_of(tag), 1, __ATOMIC_SEQ_CST);
	/* a descriptor whose bit is clear has no entry (names_del clears it
	 * before the entry goes, and the descriptor is only handed out again
	 * after that) */
	fresh = k == NK_FD && tag < SHIM_FD_MAX && !fd_is_shm((int)tag);
	if (!claim_first(t, want, fresh, &i, &seq) && !claim(t, want, fresh, &i, &seq))
		return;
	if (__atomic_load_n(&t->tag[i], __ATOMIC_RELAXED) != want)
		__atomic_store_n(&t->tag[i], 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	t->aux[i] = aux;
	if (!name)
		len = 0;
	else if (len == SHIM_LEN_UNKNOWN)
		len = shim_strnlen(name, SHIM_NAME_CAP);
	if (len >= SHIM_NAME_CAP)
		len = 0; /* too long to name the object: it stays unnamed */
	shim_copy(t->name[i], name ? name : "", len);
	t->name[i][len] = 0;
	t->len[i] = (unsigned)len;
	__atomic_store_n(&t->tag[i], want, __ATOMIC_RELEASE);
	__atomic_store_n(&t->seq[i], seq + 2, __ATOMIC_RELEASE);
	if (k == NK_FD)
		fdbit(tag, 1);
}

/* A writer holds a slot for a few stores; if it was preempted there, yield
 * to it rather than report a miss (bounded: then it is a miss). */
static inline __attribute__((always_inline)) void wait_writer(int spin)
{
	if (spin >= 64)
		sched_yield();
#if defined(__x86_64__) || defined(__i386__)
	else
		__builtin_ia32_pause();
#endif
}

static inline __attribute__((always_inline)) int get(enum names_kind k, uintptr_t tag, uintptr_t *aux, char *name)
{
	struct table *t = &tables[k];
	uintptr_t want = tag_of(k, tag);
	size_t start = slot_hash(t, want), len;

	if (k == NK_SEM && !__atomic_load_n(hint_of(tag), __ATOMIC_ACQUIRE))
		return 0;
	/* from where claim() puts it: usually the first slot looked at */
	for (size_t j = 0; j < t->n; j++) {
		size_t i = (start + j) & (t->n - 1);

		for (int spin = 0; spin < 128; spin++) {
			unsigned s;

			if (__atomic_load_n(&t->tag[i], __ATOMIC_ACQUIRE) != want)
				break;
			s = __atomic_load_n(&t->seq[i], __ATOMIC_ACQUIRE);
			if (s & 1) {
				wait_writer(spin);
				continue;
			}
			if (aux)
				*aux = t->aux[i];
			/* a torn copy is caught by the sequence check; a torn
			 * length is kept inside the buffer first */
			len = t->len[i];
			if (len >= SHIM_NAME_CAP)
				len = 0;
			if (name) {
				shim_copy(name, t->name[i], len);
				name[len] = 0;
			}
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (__atomic_load_n(&t->seq[i], __ATOMIC_RELAXED) == s &&
			    __atomic_load_n(&t->tag[i], __ATOMIC_RELAXED) == want)
				return 1 + (int)len;
		}
	}
	return 0;
}

static inline __attribute__((always_inline)) void del(enum names_kind k, uintptr_t tag)
{
	struct table *t = &tables[k];
	uintptr_t want = tag_of(k, tag);

	size_t start = slot_hash(t, want);

	if (k == NK_FD)
		fdbit(tag, 0);
	/* from where claim() puts it; a tag has one entry at most */
	for (size_t j = 0; j < t->n; j++) {
		size_t i = (start + j) & (t->n - 1);
		uintptr_t cur = want;

		/* a plain load first: a locked instruction per slot costs more
		 * than the call being traced */
		if (__atomic_load_n(&t->tag[i], __ATOMIC_RELAXED) != want)
			continue;
		if (__atomic_compare_exchange_n(&t->tag[i], &cur, 0, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED) &&
		    k == NK_SEM) {
			unsigned *h = hint_of(tag), v = __atomic_load_n(h, __ATOMIC_RELAXED);

			while (v && !__atomic_compare_exchange_n(h, &v, v - 1, 0, __ATOMIC_RELAXED,
								 __ATOMIC_RELAXED))
				;
		}
		return;
	}
}

SHIM_HOT_PRE int names_fd_is_shm(int fd)
{
	return fd_is_shm(fd);
}

SHIM_HOT void names_put_len(enum names_kind k, uintptr_t tag, uintptr_t aux, const char *name, size_t len)
{
	put_len(k, tag, aux, name, len);
}

SHIM_HOT_PRE int names_get(enum names_kind k, uintptr_t tag, uintptr_t *aux, char *name)
{
	return get(k, tag, aux, name);
}

SHIM_HOT_PRE void names_del(enum names_kind k, uintptr_t tag)
{
	del(k, tag);
}

/* The descriptors' copies, in t_close's page (shim.h): a program's
 * shm_open is followed by its close, and between the two system calls the
 * path runs in the two hooks' pages only. */
SHIM_FD_PAGE void names_fd_put(int fd, const char *name, size_t len)
{
	/* len is measured: put_len's measure is left out of this copy */
	if (!name || len >= SHIM_NAME_CAP)
		len = 0;
	put_len(NK_FD, (uintptr_t)fd, 0, name, len);
}

SHIM_FD_PAGE int names_fd_take(int fd, char *name)
{
	int got;

	if (!fd_is_shm(fd) || !(got = get(NK_FD, (uintptr_t)fd, NULL, name)))
		return 0;
	del(NK_FD, (uintptr_t)fd);
	return got;
}

int names_fd_del_range(unsigned first, unsigned last, char *name)
{
	struct table *t = &tables[NK_FD];
	uintptr_t lowest = 0;
	int n = 0;

	for (size_t i = 0; i < t->n; i++) {
		uintptr_t tag = __atomic_load_n(&t->tag[i], __ATOMIC_RELAXED);

		if (!tag || tag - 1 < first || tag - 1 > last)
			continue;
		if (!lowest || tag < lowest) {
			char tmp[SHIM_NAME_CAP];

			if (names_get(NK_FD, tag - 1, NULL, tmp)) {
				lowest = tag;
				memcpy(name, tmp, sizeof tmp);
			}
		}
		names_del(NK_FD, tag - 1);
		n++;
	}
	return n;
}

/* ------------------------------------------------------ System V ids */

/* One word per entry: bit 63 used, bits 32..62 the id, 0..31 the key_t. */
static uint64_t ids[3][SHIM_ID_SLOTS];
static unsigned id_next[3];

SHIM_HOT_AUX static uint64_t id_word(int id, key_t key)
{
	return 1ull << 63 | (uint64_t)(uint32_t)id << 32 | (uint32_t)key;
}

SHIM_HOT_AUX static int id_match(uint64_t w, int id)
{
	return (w >> 63) && (int)((w >> 32) & 0x7fffffff) == id;
}

SHIM_HOT_AUX void names_id_put(int kind, int id, key_t key)
{
	uint64_t *t = ids[kind % 3];
	uint64_t w = id_word(id, key);

	if (id < 0)
		return;
	for (size_t i = 0; i < SHIM_ID_SLOTS; i++)
		if (id_match(__atomic_load_n(&t[i], __ATOMIC_RELAXED), id)) {
			__atomic_store_n(&t[i], w, __ATOMIC_RELAXED);
			return;
		}
	for (size_t i = 0; i < SHIM_ID_SLOTS; i++) {
		uint64_t zero = 0;

		if (__atomic_compare_exchange_n(&t[i], &zero, w, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return;
	}
	__atomic_store_n(&t[__atomic_fetch_add(&id_next[kind % 3], 1, __ATOMIC_RELAXED) % SHIM_ID_SLOTS],
			 w, __ATOMIC_RELAXED);
}

SHIM_HOT_AUX int names_id_get(int kind, int id, key_t *key)
{
	uint64_t *t = ids[kind % 3];

	for (size_t i = 0; i < SHIM_ID_SLOTS; i++) {
		uint64_t w = __atomic_load_n(&t[i], __ATOMIC_RELAXED);

		if (id_match(w, id)) {
			*key = (key_t)(uint32_t)w;
			return 1;
		}
	}
	return 0;
}

SHIM_HOT_AUX void names_id_del(int kind, int id)
{
	uint64_t *t = ids[kind % 3];

	for (size_t i = 0; i < SHIM_ID_SLOTS; i++) {
		uint64_t w = __atomic_load_n(&t[i], __ATOMIC_RELAXED);

		if (id_match(w, id))
			__atomic_compare_exchange_n(&t[i], &w, 0, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	}
}

/* ------------------------------------------------------------------- keys */

/* Line mode formats the key now; ring mode copies the name and leaves the
 * formatting to the reader (ev_end, ring.c). */
SHIM_HOT static void key_format(struct shim_event *e, int type, const char *native, size_t len)
{
	size_t n = len < sizeof e->key ? len : shim_strnlen(native, sizeof e->key - 1);

	shim_copy(e->key, native, n);
	e->key[n] = 0;
	e->key_type = type;
	e->key_src = NULL;
	e->key_len = SHIM_LEN_UNKNOWN;
}

/* native stays readable until ev_end: in ring mode, not copied. len: its
 * length, if known. */
SHIM_HOT static void key_ref(struct shim_event *e, int type, const char *native, size_t len)
{
	if (shim_policy.sink != SINK_RING) {
		key_format(e, type, native, len);
		return;
	}
	e->key[0] = 0;
	e->key_type = type;
	e->key_src = native;
	e->key_len = len;
}

void ev_key_finish(struct shim_event *e)
{
	if (e->key_src)
		key_format(e, e->key_type, e->key_src, e->key_len);
	if (e->key_type >= 0)
		key_fmt(e->key, sizeof e->key, e->key_type, e->key);
	e->key_type = -1;
}

SHIM_HOT void ev_key_posix(struct shim_event *e, const char *name, size_t len)
{
	if (name)
		key_ref(e, NIPC_KEY_POSIX, name, len);
}

SHIM_HOT_AUX void ev_key_ftok(struct shim_event *e, const char *path, int id)
{
	if (path && (id & 0xff))
		key_ref(e, id & 0xff, path, SHIM_LEN_UNKNOWN);
}

SHIM_HOT_AUX void ev_key_sysv(struct shim_event *e, key_t key)
{
	char path[SHIM_NAME_CAP];
	uintptr_t id;
	struct out o;
	int got;

	if (key != IPC_PRIVATE && (got = names_get(NK_FTOK, (uint32_t)key, &id, path))) {
		key_format(e, (int)id, path, (size_t)got - 1);
		return;
	}
	/* a key whose ftok this process did not make (libnipc's, another
	 * program's): a file that gives it, marked as a guess */
	if (key != IPC_PRIVATE && names_key_candidate(key, path, sizeof path) > 0) {
		key_format(e, ((uint32_t)key >> 24) & 0xff, path, SHIM_LEN_UNKNOWN);
		e->key_searched = 1;
		return;
	}
	/* set here, not where declared: its constants are read from .rodata */
	o = (struct out){e->key, 0, sizeof e->key - 1};
	fmt_put_keyt(&o, key);
	e->key[o.n] = 0;
	e->key_type = -1;
	e->key_src = NULL;
}

SHIM_HOT_AUX void ev_key_id(struct shim_event *e, int kind, int id)
{
	key_t key;
	struct out o;

	if (names_id_get(kind, id, &key)) {
		ev_key_sysv(e, key);
		return;
	}
	o = (struct out){e->key, 0, sizeof e->key - 1};
	fmt_puts(&o, kind == 2 ? "msqid:" : kind ? "semid:" : "shmid:");
	fmt_put_i(&o, id);
	e->key[o.n] = 0;
	e->key_type = -1;
	e->key_src = NULL;
}
