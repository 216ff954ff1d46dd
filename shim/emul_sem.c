/* SPDX-License-Identifier: MIT */
/* System V semaphore sets emulated on POSIX shared memory: semget, semop,
 * semtimedop and semctl for the keys the rules give backend=posix, and for
 * every id the emulation handed out.
 *
 * Layout. The registry (emul_state.c) holds, per set, its key, sequence
 * number, size and the name of its object, /nipc.sysv.<ns>.sem.<key or
 * idN>. That object holds everything else (struct shdr): the owner and
 * mode, the times, a robust process-shared mutex, a redo journal, the
 * waiter records, then the values (semval, sempid) and the undo records
 * (pid, start time, semadj[nsems]). Each process maps a set once and
 * caches the mapping by slot (the header's sequence number tells whether
 * it is an id's set): an operation on a cached set makes no system call
 * unless it has to wake or wait.
 *
 * Crash safety. A process may be killed at any instruction. Every update of
 * more than one word under the set's lock is staged in the journal as
 * (offset, word) pairs, committed with one store and applied; the next
 * locker after a dead holder (EOWNERDEAD) applies a committed journal again
 * (the words are absolute, so twice is harmless), drops a staged one,
 * recounts the waiters and wakes them. Single-word records (a waiter, a
 * fresh undo record) are published by their last store.
 *
 * SEM_UNDO. An undo record belongs to a process, named by pid and start
 * time: a fork child's pid differs (nothing inherited), an exec keeps both
 * (kept). It is applied with the kernel's clamping (0..SEMVMX, sempid the
 * dead process) by the process's destructor at exit, or by the first
 * process that finds its owner dead: a semop that would block or fail with
 * EAGAIN, a waiter each time its timed wait (POLL_NS) runs out, and every
 * semctl that reads the set. So a waiter blocked by a process that died
 * holding an undo count is released within about POLL_NS.
 *
 * Waiting. A waiter records what it waits for (GETNCNT/GETZCNT count live
 * records), reads the futex word under the lock and sleeps on it with a
 * timeout of at most POLL_NS. Whoever changes a value while a waiter is
 * recorded bumps the word and wakes everyone; each waiter retries its whole
 * array. Between sleeps the waiter keeps the program's signals blocked;
 * each sleep lets them in atomically (emul_wait.c: ppoll on an io_uring
 * futex wait), so the wait ends with EINTR exactly when a handler ran, as
 * the kernel's semop does, and is never restarted. Where the kernel has
 * no io_uring futex wait, a timed FUTEX_WAIT after a last look for pending
 * signals does nearly the same (struct sigwait).
 *
 * Routing: a key the registry knows is emulated, others go where the rules
 * say; an id is emulated when its index is in the emulation's range and the
 * registry issued its slot and sequence number (live or removed); any
 * other id goes to the kernel when /proc/sysvipc/sem lists it, and fails
 * with EINVAL otherwise (no System V call for a stale or made-up id). */
#include "config.h"

#include "shim.h"
#include "emul_state.h"
#include "emul_sysv.h"
#include "emul_sem.h"
#include "emul_wait.h"
#include "rules.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/single_threaded.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SEMVMX_ 32767
#define SEMAEM_ 32767
#define SET_MAGIC 0x6e736574u
#define SEM_NWAIT 128           /* waiting threads per set (more poll unrecorded) */
#define SEM_NUNDO 128           /* processes with undo entries per set */
#define SEM_OPMAX 4096          /* the most operations one semop may pass */
#define POLL_NS (20 * 1000000L) /* a waiter's longest sleep between sweeps */
#define J_ZERO 0x80000000u      /* journal entry: zero val bytes at off */

struct swait {
	uint32_t used, semnum, zero;
	int32_t pid;
	uint64_t start;
};

struct sval {
	int32_t val, pid;
};

struct sundo {
	uint32_t used;
	int32_t pid;
	uint64_t start;
	int32_t adj[];
};

struct jent {
	uint32_t off;
	int32_t val;
};

/* The head of a set's object; values, journal and undo records follow. */
struct shdr {
	uint32_t magic, nsems;
	uint64_t bytes;
	uint32_t off_v, off_j, off_u, usz, jcap;
	uint32_t removed;       /* IPC_RMID: operations fail, waiters get EIDRM */
	uint32_t futex;         /* bumped when a waiter may go on */
	uint32_t nwait;         /* waiter records in use: a waker makes a system call only then */
	uint32_t undo_hi;       /* no undo record at or above this was ever used */
	uint32_t pgen;          /* bumped by IPC_SET: cached permission checks are redone */
	uint32_t jcommitted, jn;
	int32_t key;
	uint32_t uid, gid, cuid, cgid, mode, seq;
	int64_t otime, ctime;
	char name[EMUL_SNAME];  /* the object's own name */
	pthread_mutex_t lock;   /* robust, process-shared */
	struct swait w[SEM_NWAIT];
};

/* This process's mappings, by registry slot. A mapping is the set of an
 * id when its header's seq (fixed for the object's life) is the id's: the
 * one pointer is read and written atomically, so threads need no lock. */
static struct scache {
	struct shdr *h;
	uint64_t perm;          /* (pgen + 1) << 8 | 4 (may read) | 2 (may alter); 0: not known */
	int undo;               /* this process's undo record + 1 (a hint, checked) */
} sc[EMUL_NSET];
static long semmsl = 32000, semopm = 500, semmns = 32000 * EMUL_NSET;
static enum { SF_NONE, SF_PRE_COMMIT, SF_MID_APPLY } fault;

static int fail(int e)
{
	errno = e;
	return -1;
}

static inline struct sval *vals(struct shdr *h)
{
	return (struct sval *)((char *)h + h->off_v);
}

static inline struct jent *jents(struct shdr *h)
{
	return (struct jent *)((char *)h + h->off_j);
}

static inline struct sundo *undo_at(struct shdr *h, uint32_t i)
{
	return (struct sundo *)((char *)h + h->off_u + (size_t)i * h->usz);
}

static int id_of(uint32_t slot, uint32_t seq)
{
	return (int)(seq << 15 | (EMUL_IDX_BASE + slot));
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static int64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int is_self(int32_t pid, uint64_t start)
{
	return pid == emul_pid && start == emul_start;
}

static int live(int32_t pid, uint64_t start)
{
	return is_self(pid, start) || emul_alive(pid, start);
}

/* ------------------------------------------------------------ journal */

static void jput(struct shdr *h, void *dst, int32_t v)
{
	if (h->jn == h->jcap)
		abort(); /* a caller stages more than the set was sized for: a bug */
	jents(h)[h->jn++] = (struct jent){(uint32_t)((char *)dst - (char *)h), v};
}

static void jput64(struct shdr *h, int64_t *dst, int64_t v)
{
	jput(h, dst, (int32_t)(uint32_t)v);
	jput(h, (char *)dst + 4, (int32_t)(uint32_t)((uint64_t)v >> 32));
}

static void jzero(struct shdr *h, void *dst, size_t len)
{
	if (h->jn == h->jcap)
		abort();
	jents(h)[h->jn++] = (struct jent){(uint32_t)((char *)dst - (char *)h) | J_ZERO,
					  (int32_t)len};
}

static void japply(struct shdr *h)
{
	struct jent *j = jents(h);

	for (uint32_t i = 0; i < h->jn; i++) {
		if (j[i].off & J_ZERO)
			memset((char *)h + (j[i].off & ~J_ZERO), 0, (size_t)j[i].val);
		else
			*(int32_t *)((char *)h + j[i].off) = j[i].val;
		if (fault == SF_MID_APPLY)
			kill(getpid(), SIGKILL);
	}
}

static void jcommit(struct shdr *h)
{
	if (fault == SF_PRE_COMMIT)
		kill(getpid(), SIGKILL);
	__atomic_store_n(&h->jcommitted, 1, __ATOMIC_RELEASE);
	japply(h);
	__atomic_store_n(&h->jcommitted, 0, __ATOMIC_RELEASE);
	h->jn = 0;
}

/* ------------------------------------------------------ lock, waking */

static void count_waiters(struct shdr *h)
{
	uint32_t n = 0;

	for (int i = 0; i < SEM_NWAIT; i++)
		n += h->w[i].used != 0;
	__atomic_store_n(&h->nwait, n, __ATOMIC_RELEASE);
}

static void wake_all(struct shdr *h)
{
	__atomic_add_fetch(&h->futex, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &h->futex, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static void wake(struct shdr *h)
{
	if (__atomic_load_n(&h->nwait, __ATOMIC_ACQUIRE))
		wake_all(h);
}

static int slock(struct shdr *h)
{
	int e = emul_mutex_lock(&h->lock);

	if (e == EOWNERDEAD) {
		if (__atomic_load_n(&h->jcommitted, __ATOMIC_ACQUIRE))
			japply(h);
		__atomic_store_n(&h->jcommitted, 0, __ATOMIC_RELEASE);
		h->jn = 0;
		count_waiters(h);
		e = pthread_mutex_consistent(&h->lock);
		/* the dead holder may have owed the waiters a wake-up */
		wake(h);
	}
	if (e)
		return fail(ENOSYS);
	return 0;
}

static void sunlock(struct shdr *h)
{
	pthread_mutex_unlock(&h->lock);
}

/* ------------------------------------------------------ undo records */

/* Applies undo record u (the kernel's exit_sem: clamped to 0..SEMVMX,
 * sempid its process) and frees it. */
static void undo_apply(struct shdr *h, struct sundo *u)
{
	struct sval *v = vals(h);
	int any = 0;

	for (uint32_t s = 0; s < h->nsems; s++) {
		int32_t nv;

		if (!u->adj[s])
			continue;
		nv = v[s].val + u->adj[s];
		nv = nv < 0 ? 0 : nv > SEMVMX_ ? SEMVMX_ : nv;
		jput(h, &v[s].val, nv);
		jput(h, &v[s].pid, u->pid);
		any = 1;
	}
	jput(h, &u->used, 0);
	jcommit(h);
	if (any)
		wake(h);
}

/* Undo records and waiter records of dead processes: applied, freed.
 * 1 if a value may have changed. */
static int sweep(struct shdr *h)
{
	int changed = 0, waiters = 0;

	for (uint32_t i = 0; i < h->undo_hi; i++) {
		struct sundo *u = undo_at(h, i);

		if (u->used && !live(u->pid, u->start)) {
			undo_apply(h, u);
			changed = 1;
		}
	}
	for (int i = 0; i < SEM_NWAIT; i++)
		if (h->w[i].used && !live(h->w[i].pid, h->w[i].start)) {
			__atomic_store_n(&h->w[i].used, 0, __ATOMIC_RELEASE);
			waiters = 1;
		}
	if (waiters)
		count_waiters(h);
	return changed;
}

static struct sundo *own_undo(struct shdr *h, uint32_t slot)
{
	int i = sc[slot].undo - 1;
	struct sundo *u;

	if (i >= 0 && (uint32_t)i < h->undo_hi) {
		u = undo_at(h, (uint32_t)i);
		if (u->used && is_self(u->pid, u->start))
			return u;
	}
	for (uint32_t k = 0; k < h->undo_hi; k++) {
		u = undo_at(h, k);
		if (u->used && is_self(u->pid, u->start)) {
			sc[slot].undo = (int)k + 1;
			return u;
		}
	}
	return NULL;
}

/* A free undo record: a freed one, else a never-used one; -1 if none. */
static int free_undo(struct shdr *h)
{
	for (uint32_t i = 0; i < h->undo_hi; i++)
		if (!undo_at(h, i)->used)
			return (int)i;
	return h->undo_hi < SEM_NUNDO ? (int)h->undo_hi : -1;
}

/* This process's undo record, made if missing; NULL (ENOMEM) when all
 * are taken by live processes. */
static struct sundo *make_undo(struct shdr *h, uint32_t slot)
{
	struct sundo *u = own_undo(h, slot);
	int i;

	if (u)
		return u;
	if ((i = free_undo(h)) < 0) {
		sweep(h);       /* frees the records of dead processes */
		if ((i = free_undo(h)) < 0) {
			errno = ENOMEM;
			return NULL;
		}
	}
	if ((uint32_t)i == h->undo_hi)
		__atomic_store_n(&h->undo_hi, (uint32_t)i + 1, __ATOMIC_RELEASE);
	u = undo_at(h, (uint32_t)i);
	memset(u->adj, 0, sizeof(int32_t) * h->nsems);
	u->pid = emul_pid;
	u->start = emul_start;
	/* published by the last store: no journal needed */
	__atomic_store_n(&u->used, 1, __ATOMIC_RELEASE);
	sc[slot].undo = i + 1;
	return u;
}

/* -------------------------------------------------------- permissions */

/* The kernel's ipcperms: 0 when the rwx bits of flag are granted. Root
 * stands for CAP_IPC_OWNER. */
static int denied(const struct shdr *h, int flag)
{
	struct emul_perm p = {h->uid, h->gid, h->cuid, h->cgid, h->mode};

	return emul_denied(&p, flag);
}

/* The permission of an operation, cached per set until IPC_SET changes
 * the set (the process's own id changes are not seen: see the manual). */
static int may(struct shdr *h, uint32_t slot, int bits)
{
	uint64_t g = (uint64_t)__atomic_load_n(&h->pgen, __ATOMIC_ACQUIRE) + 1;
	uint64_t p = __atomic_load_n(&sc[slot].perm, __ATOMIC_RELAXED);

	if (p >> 8 != g) {
		p = g << 8 | (denied(h, 0444) ? 0 : 4) | (denied(h, 0222) ? 0 : 2);
		__atomic_store_n(&sc[slot].perm, p, __ATOMIC_RELAXED);
	}
	return ((int)p & bits) == bits;
}

static int not_owner(const struct shdr *h)
{
	struct emul_perm p = {h->uid, h->gid, h->cuid, h->cgid, h->mode};

	return emul_not_owner(&p);
}

/* ------------------------------------------------------------ mapping */

/* Replaces the cached mapping of slot. The old one is unmapped only while
 * the process has one thread (another could be inside a call on it);
 * otherwise it stays mapped, a leak of one removed set's pages. */
static void cache_put(uint32_t slot, struct shdr *h)
{
	struct shdr *old = __atomic_exchange_n(&sc[slot].h, h, __ATOMIC_ACQ_REL);

	__atomic_store_n(&sc[slot].perm, 0, __ATOMIC_RELAXED);
	if (old && old != h && __libc_single_threaded)
		shim_next.munmap(old, old->bytes);
}

/* Maps the set of registry slot (lock held). NULL with errno. */
static struct shdr *map_set(const struct emul_set *s)
{
	struct stat st;
	struct shdr *h;
	int fd = shim_next.shm_open(s->name, O_RDWR | O_CLOEXEC, 0);

	if (fd < 0)
		return errno == ENOENT ? (errno = EINVAL, NULL) : (errno = EACCES, NULL);
	if (fstat(fd, &st) || (uint64_t)st.st_ino != s->ino || (uint64_t)st.st_size != s->bytes) {
		shim_next.close(fd);
		errno = EINVAL;
		return NULL;
	}
	h = shim_next.mmap(NULL, s->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	shim_next.close(fd);
	if (h == MAP_FAILED)
		return NULL;
	if (h->magic != SET_MAGIC) {
		shim_next.munmap(h, s->bytes);
		errno = EINVAL;
		return NULL;
	}
	return h;
}

/* Whether the kernel has a set with this id (id >= 0) or at this index
 * (else), by /proc/sysvipc/sem: an id the emulation does not know goes to
 * the kernel only then, so a stale or made-up id makes no System V call.
 * 1 when the file cannot be read. */
static int kernel_has(int id, int idx)
{
	char buf[8192], *p, *line;
	size_t have = 0;
	ssize_t n;
	int fd = open("/proc/sysvipc/sem", O_RDONLY | O_CLOEXEC), first = 1;

	if (fd < 0)
		return 1;
	while ((n = read(fd, buf + have, sizeof buf - 1 - have)) > 0) {
		have += (size_t)n;
		buf[have] = 0;
		for (line = buf; (p = strchr(line, '\n')); line = p + 1) {
			long key, semid;

			*p = 0;
			if (first) {
				first = 0;
				continue;
			}
			if (sscanf(line, "%ld %ld", &key, &semid) != 2)
				continue;
			if (id >= 0 ? semid == id :
			    ((semid & 0x7fff) == idx || (semid & 0xffffff) == idx)) {
				shim_next.close(fd);
				return 1;
			}
		}
		have = strlen(line);
		memmove(buf, line, have);
		if (have == sizeof buf - 1)
			have = 0;
	}
	shim_next.close(fd);
	return 0;
}

/* The set of an emulated id: 1 (its slot in *slot, mapped), 0 when the id
 * is not the emulation's (the kernel's), -1 with errno. */
static int resolve(int id, uint32_t *slot, struct shdr **hp)
{
	uint32_t idx = (uint32_t)id & (EMUL_IPCMNI - 1), seq = (uint32_t)id >> 15, s;
	struct emul_set *rec;
	struct shdr *h;

	if (id < 0 || idx < EMUL_IDX_BASE)
		return 0;
	s = idx - EMUL_IDX_BASE;
	h = __atomic_load_n(&sc[s].h, __ATOMIC_ACQUIRE);
	if (LIKELY(h && h->seq == seq)) {
		*slot = s;
		*hp = h;
		return 1;
	}
	if (!__atomic_load_n(&emul_reg, __ATOMIC_ACQUIRE) && emul_reach(0))
		return errno == ENOENT ? 0 : -1;
	if (emul_lock())
		return fail(ENOSYS);
	rec = &emul_reg->set[s];
	if (s >= emul_reg->set_hi || rec->seq != seq) {
		emul_unlock();
		return kernel_has(id, -1) ? 0 : fail(EINVAL);
	}
	if (rec->state != ES_LIVE) {
		emul_unlock();
		return fail(EINVAL);
	}
	h = map_set(rec);
	if (h)
		cache_put(s, h);
	emul_unlock();
	if (!h)
		return -1;
	*slot = s;
	*hp = h;
	return 1;
}

/* ----------------------------------------------------------- semget */

static void set_name(char *buf, size_t len, key_t key, int id)
{
	if (key == IPC_PRIVATE)
		snprintf(buf, len, "/nipc.sysv.%s.sem.id%d", emul_ns, id);
	else
		snprintf(buf, len, "/nipc.sysv.%s.sem.0x%08x", emul_ns, (unsigned)key);
}

/* Who may open the set's object: everyone who may read or alter it must
 * write its lock and records, so any System V bit of a class gives rw. */
static mode_t object_mode(unsigned m)
{
	return (mode_t)((m & 0600 ? 0600 : 0) | (m & 060 ? 060 : 0) | (m & 06 ? 06 : 0));
}

static uint64_t layout(struct shdr *h, uint32_t nsems)
{
	uint64_t off = (sizeof *h + 63) & ~(uint64_t)63;

	h->nsems = nsems;
	h->off_v = (uint32_t)off;
	off += sizeof(struct sval) * (uint64_t)nsems;
	h->off_j = (uint32_t)off;
	h->jcap = 2 * nsems + 3 * SEM_OPMAX + SEM_NUNDO + 16;
	off += sizeof(struct jent) * (uint64_t)h->jcap;
	off = (off + 63) & ~(uint64_t)63;
	h->off_u = (uint32_t)off;
	h->usz = (uint32_t)((sizeof(struct sundo) + sizeof(int32_t) * nsems + 7) & ~(size_t)7);
	off += (uint64_t)h->usz * SEM_NUNDO;
	return off;
}

/* A free slot, never-used ones first (as the kernel cycles its indices,
 * an id just removed is not issued again at once); -1 if none. */
static int alloc_slot(void)
{
	if (emul_reg->set_hi < EMUL_NSET)
		return (int)emul_reg->set_hi;
	for (int s = 0; s < EMUL_NSET; s++)
		if (emul_reg->set[s].state == ES_FREE)
			return s;
	return -1;
}

static int create(key_t key, int nsems, int flg)
{
	struct emul_set n, *rec;
	struct shdr tmp, *h;
	struct stat st;
	uint64_t used = 0, bytes;
	uint32_t seq, hi;
	int s, fd, id;

	if (key != IPC_PRIVATE && !(flg & IPC_CREAT))
		return fail(ENOENT);
	if (!nsems)
		return fail(EINVAL);
	for (uint32_t i = 0; i < emul_reg->set_hi; i++)
		if (emul_reg->set[i].state == ES_LIVE)
			used += emul_reg->set[i].nsems;
	if (used + (uint64_t)nsems > (uint64_t)semmns || (s = alloc_slot()) < 0)
		return fail(ENOSPC);
	rec = &emul_reg->set[s];
	seq = rec->seq % 0xffff + 1;
	id = id_of((uint32_t)s, seq);
	memset(&n, 0, sizeof n);
	set_name(n.name, sizeof n.name, key, id);
	bytes = layout(&tmp, (uint32_t)nsems);
	/* a name that exists is an orphan of a crash: no live set names it */
	fd = shim_next.shm_open(n.name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		shim_next.shm_unlink(n.name);
		fd = shim_next.shm_open(n.name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return fail(ENOSPC);
	if (shim_next.ftruncate(fd, (off_t)bytes) || fstat(fd, &st) ||
	    (h = shim_next.mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) ==
		    MAP_FAILED) {
		shim_next.close(fd);
		shim_next.shm_unlink(n.name);
		return fail(ENOMEM);
	}
	fchmod(fd, object_mode((unsigned)flg & 0777));
	shim_next.close(fd);
	layout(h, (uint32_t)nsems);
	h->bytes = bytes;
	h->key = key;
	h->uid = h->cuid = geteuid();
	h->gid = h->cgid = getegid();
	h->mode = (uint32_t)flg & 0777;
	h->seq = seq;
	h->ctime = now_s();
	memcpy(h->name, n.name, sizeof h->name);
	if (emul_init_lock(&h->lock)) {
		shim_next.munmap(h, bytes);
		shim_next.shm_unlink(n.name);
		return fail(ENOMEM);
	}
	h->magic = SET_MAGIC;
	n.state = ES_LIVE;
	n.seq = seq;
	n.key = key;
	n.nsems = (uint32_t)nsems;
	n.bytes = bytes;
	n.ino = (uint64_t)st.st_ino;
	hi = emul_reg->set_hi > (uint32_t)s ? emul_reg->set_hi : (uint32_t)s + 1;
	emul_jput(&emul_reg->set_hi, &hi, sizeof hi);
	emul_jput(rec, &n, sizeof n);
	emul_jcommit();
	cache_put((uint32_t)s, h);
	return id;
}

/* Ends the removal of a set found removed but still registered (its
 * remover died in between). */
static void finish_removal(uint32_t slot)
{
	struct emul_set *rec = &emul_reg->set[slot];

	__atomic_store_n(&rec->state, ES_FREE, __ATOMIC_RELEASE);
	shim_next.shm_unlink(rec->name);
}

/* The live set of key, mapped (registry lock held); -1 if none, -2 with
 * errno when it cannot be mapped (another user's set this one may not
 * open: never taken for a missing one). */
static int set_by_key(key_t key)
{
	for (uint32_t s = 0; s < emul_reg->set_hi; s++) {
		struct emul_set *rec = &emul_reg->set[s];

		if (rec->state != ES_LIVE || rec->key != key)
			continue;
		if (!sc[s].h || sc[s].h->seq != rec->seq) {
			struct shdr *h = map_set(rec);

			if (!h)
				return errno == EINVAL ? -1 : -2;
			cache_put(s, h);
		}
		if (__atomic_load_n(&sc[s].h->removed, __ATOMIC_ACQUIRE)) {
			finish_removal(s);
			continue;
		}
		return (int)s;
	}
	return -1;
}

static int get_existing(uint32_t slot, int nsems, int flg)
{
	struct shdr *h = sc[slot].h;

	if ((flg & IPC_CREAT) && (flg & IPC_EXCL))
		return fail(EEXIST);
	if ((uint32_t)nsems > h->nsems)
		return fail(EINVAL);
	__atomic_store_n(&sc[slot].perm, 0, __ATOMIC_RELAXED); /* semget checks afresh */
	if (denied(h, flg & 0777))
		return fail(EACCES);
	return id_of(slot, h->seq);
}

static int e_semget(key_t key, int nsems, int flg)
{
	struct rules_decision d;
	int posix, r, s = -1;

	r = emul_key_decide(RF_SYSV_SEM, key, &d);
	posix = d.backend == RB_POSIX;
	if (r < 0 && posix)
		return shim_tls()->emul_took = 1, fail(ENOSYS);
	if (posix && (nsems < 0 || nsems > semmsl))
		return shim_tls()->emul_took = 1, fail(EINVAL);
	if (emul_reach(posix && (key == IPC_PRIVATE || (flg & IPC_CREAT)))) {
		if (!posix)
			return shim_next.semget(key, nsems, flg);
		shim_tls()->emul_took = 1;
		return fail(errno == ENOENT ? ENOENT : ENOSYS);
	}
	if (emul_lock())
		return posix ? (shim_tls()->emul_took = 1, fail(ENOSYS)) : shim_next.semget(key, nsems, flg);
	if (key != IPC_PRIVATE)
		s = set_by_key(key);
	if (s == -1 && !posix) {
		emul_unlock();
		return shim_next.semget(key, nsems, flg);
	}
	shim_tls()->emul_took = 1;
	if (nsems < 0 || nsems > semmsl)
		r = fail(EINVAL);
	else if (s == -2)
		r = -1;
	else
		r = s >= 0 ? get_existing((uint32_t)s, nsems, flg) : create(key, nsems, flg);
	emul_unlock();
	return r;
}

/* ------------------------------------------------------------- semop */

/* Tries the whole array against the values (and u, this process's undo
 * record): 0 when it can go through (new values in nv, new semadj in na),
 * 1 when the operation *blk would block, -ERANGE. The kernel's order: a
 * later operation sees the effect of earlier ones on the same semaphore. */
static int try_ops(struct shdr *h, const struct sembuf *s, size_t n, const struct sundo *u,
		   int32_t *nv, int32_t *na, size_t *blk)
{
	struct sval *v = vals(h);

	for (size_t i = 0; i < n; i++) {
		unsigned num = s[i].sem_num;
		int32_t cur = v[num].val, adj = u ? u->adj[num] : 0, op = s[i].sem_op, res;

		for (size_t j = i; j-- > 0;)
			if (s[j].sem_num == num) {
				cur = nv[j];
				adj = na[j];
				break;
			}
		if ((!op && cur) || (res = cur + op) < 0) {
			*blk = i;
			return 1;
		}
		if (res > SEMVMX_)
			return -ERANGE;
		if (s[i].sem_flg & SEM_UNDO) {
			adj -= op;
			if (adj < -SEMAEM_ - 1 || adj > SEMAEM_)
				return -ERANGE;
		}
		nv[i] = res;
		na[i] = adj;
	}
	return 0;
}

static void apply_ops(struct shdr *h, const struct sembuf *s, size_t n, struct sundo *u,
		      const int32_t *nv, const int32_t *na)
{
	struct sval *v = vals(h);

	for (size_t i = 0; i < n; i++) {
		jput(h, &v[s[i].sem_num].val, nv[i]);
		jput(h, &v[s[i].sem_num].pid, emul_pid);
		if (u && (s[i].sem_flg & SEM_UNDO))
			jput(h, &u->adj[s[i].sem_num], na[i]);
	}
	jput64(h, &h->otime, now_s());
	jcommit(h);
}

/* Records (or updates) this thread's wait for operation op; w: its record
 * + 1, 0: none yet. Without a free record the thread polls unrecorded. */
static int wait_rec(struct shdr *h, int w, const struct sembuf *op)
{
	struct swait *r;

	if (!w) {
		for (w = 1; w <= SEM_NWAIT && h->w[w - 1].used; w++)
			;
		if (w > SEM_NWAIT) {
			sweep(h);
			for (w = 1; w <= SEM_NWAIT && h->w[w - 1].used; w++)
				;
			if (w > SEM_NWAIT)
				return 0;
		}
		r = &h->w[w - 1];
		r->pid = emul_pid;
		r->start = emul_start;
	}
	r = &h->w[w - 1];
	r->semnum = op->sem_num;
	r->zero = op->sem_op == 0;
	__atomic_store_n(&r->used, 1, __ATOMIC_RELEASE);
	count_waiters(h);
	return w;
}

static void wait_drop(struct shdr *h, int w)
{
	if (!w)
		return;
	__atomic_store_n(&h->w[w - 1].used, 0, __ATOMIC_RELEASE);
	count_waiters(h);
}

/* Sleeps on the set's futex word while it is seen, at most ns. 0, or
 * EINTR (a handler ran), ETIMEDOUT. */
static int sleep_on(struct shdr *h, uint32_t seen, int64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};

	if (syscall(SYS_futex, &h->futex, FUTEX_WAIT, seen, &ts, NULL, 0))
		return errno == EINTR || errno == ETIMEDOUT ? errno : 0;
	return 0;
}

/* Signals while a semop waits. The kernel's semop fails with EINTR when a
 * handler runs during its wait; a timed FUTEX_WAIT does the same, but a
 * handler that runs while the waiter is between sleeps (taking the lock,
 * sweeping: reads of /proc that SA_RESTART restarts) would go unnoticed.
 * So the waiter blocks the signals the program has not blocked, except
 * those a fault raises and those it ignores, between sleeps; before each sleep it looks for a
 * pending one with a handler (then EINTR: the handler runs when the mask
 * is restored), and unblocks them only for the sleep. What is left, only
 * where emul_wait.c cannot be used: a signal that comes between that
 * last look and the unblocking (a few instructions) runs its handler
 * without ending the wait. */
struct sigwait {
	int masked;
	sigset_t old, all;
	struct ewait *ew, local;        /* the sleep's ring, once it sleeps */
};

/* The value of a "Name:\t<hex>" line of a /proc status text, 0 if none. */
static uint64_t status_mask(const char *text, const char *name)
{
	const char *p = strstr(text, name);
	uint64_t v = 0;

	if (!p)
		return 0;
	for (p += strlen(name); *p == '\t' || *p == ' '; p++)
		;
	for (; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); p++)
		v = v << 4 | (uint64_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
	return v;
}

/* Removes from set the signals this process ignores now (SIG_IGN, or
 * SIG_DFL where the default is to ignore): blocked, they would be kept
 * pending and end the sleep; let in, the kernel drops them, as it does
 * while a real semop waits. SIGCONT stays blocked unless SIG_IGN: a stop
 * and continue between sleeps (SIGSTOP cannot be blocked) then ends the
 * wait with EINTR, as it ends a Linux semop; the price is that a SIGCONT
 * sent to a process that was not stopped does so too. One read of /proc
 * (rt_sigaction costs about 2 us a signal here), or the three other
 * default-ignore signals one by one if it is unreadable. */
static void unblock_ignored(sigset_t *set)
{
	static const int dfl_ign[] = {SIGCHLD, SIGURG, SIGWINCH};
	char text[4096];
	uint64_t ign = 0, cgt = 0;
	ssize_t n = -1;
	int fd = open("/proc/thread-self/status", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, text, sizeof text - 1);
		syscall(SYS_close, fd);
	}
	if (n > 0) {
		text[n] = 0;
		ign = status_mask(text, "\nSigIgn:");
		cgt = status_mask(text, "\nSigCgt:");
		for (size_t i = 0; i < sizeof dfl_ign / sizeof *dfl_ign; i++)
			if (!(cgt >> (dfl_ign[i] - 1) & 1))
				ign |= UINT64_C(1) << (dfl_ign[i] - 1);
	} else {
		for (size_t i = 0; i < sizeof dfl_ign / sizeof *dfl_ign; i++) {
			struct sigaction sa;

			if (!sigaction(dfl_ign[i], NULL, &sa) &&
			    (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN))
				ign |= UINT64_C(1) << (dfl_ign[i] - 1);
		}
	}
	for (int s = 1; s <= 64 && s < NSIG; s++)
		if (ign >> (s - 1) & 1)
			sigdelset(set, s);
}

static void sig_block(struct sigwait *sw)
{
	if (!sw->masked) {
		sigfillset(&sw->all);
		sigdelset(&sw->all, SIGSEGV);
		sigdelset(&sw->all, SIGBUS);
		sigdelset(&sw->all, SIGFPE);
		sigdelset(&sw->all, SIGILL);
		sigdelset(&sw->all, SIGTRAP);
		unblock_ignored(&sw->all);
		pthread_sigmask(SIG_BLOCK, &sw->all, &sw->old);
		sw->masked = 1;
	} else {
		pthread_sigmask(SIG_BLOCK, &sw->all, NULL);
	}
}

static void sig_restore(struct sigwait *sw)
{
	if (sw->masked)
		pthread_sigmask(SIG_SETMASK, &sw->old, NULL);
}

/* A signal pending that the program lets in and handles. */
static int handler_pending(const struct sigwait *sw)
{
	sigset_t p;

	if (sigpending(&p))
		return 0;
	for (int s = 1; s < NSIG; s++) {
		struct sigaction sa;

		if (sigismember(&p, s) != 1 || sigismember(&sw->old, s) == 1 ||
		    sigaction(s, NULL, &sa))
			continue;
		if (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN)
			return 1;
	}
	return 0;
}

/* One sleep of a waiter with signals blocked (sw): in an io_uring with
 * the program's mask set for exactly the sleep (emul_wait.c), else by
 * FUTEX_WAIT after a last look for pending signals, leaving the window
 * described at struct sigwait. 0, EINTR (a handler ran or is pending),
 * ETIMEDOUT. */
static int sleep_sig(struct shdr *h, uint32_t seen, int64_t ns, struct sigwait *sw)
{
	int e;

	if (!sw->ew)
		sw->ew = ewait_get(&sw->local);
	e = ewait_sleep(sw->ew, &h->futex, seen, ns, &sw->old);

	if (e >= 0)
		return e;
	/* the last look, as close to the sleep as it can be */
	if (handler_pending(sw))
		return EINTR;
	sig_restore(sw);
	e = sleep_on(h, seen, ns);
	sig_block(sw);
	return e;
}

/* The set's lock is held on entry; released on return. */
static int op_wait(struct shdr *h, struct sembuf *sops, size_t nsops, struct sundo *u,
		   int alter, int64_t deadline, struct sigwait *sw)
{
	int32_t nv[nsops], na[nsops];
	int w = 0, swept = 0, r, e;
	size_t blk = 0;

	for (;;) {
		uint32_t seen;
		int64_t left;

		r = try_ops(h, sops, nsops, u, nv, na, &blk);
		if (!r) {
			apply_ops(h, sops, nsops, u, nv, na);
			wait_drop(h, w);
			if (alter)
				wake(h);
			sunlock(h);
			return 0;
		}
		if (r < 0) {
			wait_drop(h, w);
			sunlock(h);
			return fail(-r);
		}
		/* a dead process's undo may be what it waits for */
		if (!swept) {
			swept = 1;
			if (sweep(h))
				continue;
		}
		left = deadline < 0 ? POLL_NS : deadline - mono_ns();
		if ((sops[blk].sem_flg & IPC_NOWAIT) || left <= 0) {
			wait_drop(h, w);
			sunlock(h);
			return fail(EAGAIN);
		}
		sig_block(sw);
		w = wait_rec(h, w, &sops[blk]);
		seen = __atomic_load_n(&h->futex, __ATOMIC_ACQUIRE);
		sunlock(h);
		e = sleep_sig(h, seen, left < POLL_NS ? left : POLL_NS, sw);
		if (slock(h))
			return -1;
		if (__atomic_load_n(&h->removed, __ATOMIC_ACQUIRE)) {
			wait_drop(h, w);
			sunlock(h);
			return fail(EIDRM);
		}
		if (e == EINTR || handler_pending(sw)) {
			wait_drop(h, w);
			sunlock(h);
			return fail(EINTR);
		}
		if (e == ETIMEDOUT)
			swept = 0;
	}
}

static int op_locked(struct shdr *h, uint32_t slot, struct sembuf *sops, size_t nsops,
		     int64_t deadline)
{
	struct sigwait sw;      /* masks only set once it waits: not zeroed here */
	struct sundo *u = NULL;
	int undos = 0, alter = 0, r, e;
	unsigned max = 0;

	for (size_t i = 0; i < nsops; i++) {
		if (sops[i].sem_num > max)
			max = sops[i].sem_num;
		undos |= sops[i].sem_flg & SEM_UNDO;
		alter |= sops[i].sem_op != 0;
	}
	if (slock(h))
		return -1;
	if (__atomic_load_n(&h->removed, __ATOMIC_ACQUIRE)) {
		sunlock(h);
		return fail(EINVAL);
	}
	if (max >= h->nsems) {
		sunlock(h);
		return fail(EFBIG);
	}
	if (!may(h, slot, alter ? 2 : 4)) {
		sunlock(h);
		return fail(EACCES);
	}
	if (undos && !(u = make_undo(h, slot))) {
		sunlock(h);
		return -1;
	}
	sw.masked = 0;
	sw.ew = NULL;
	r = op_wait(h, sops, nsops, u, alter, deadline, &sw);
	if (sw.ew)
		ewait_put(sw.ew);
	if (sw.masked) {
		e = errno;
		sig_restore(&sw);
		errno = e;
	}
	return r;
}

static int do_semop(int id, struct sembuf *sops, size_t nsops, const struct timespec *to)
{
	int64_t deadline = -1;
	struct shdr *h = NULL;
	uint32_t slot;
	int r;

	if (id < 0)
		return fail(EINVAL);
	r = resolve(id, &slot, &h);
	if (r <= 0) {
		if (!r)
			return to ? shim_next.semtimedop(id, sops, nsops, to) :
				    shim_next.semop(id, sops, nsops);
		shim_tls()->emul_took = 1;
		return -1;
	}
	shim_tls()->emul_took = 1;
	if (nsops < 1)
		r = fail(EINVAL);
	else if (nsops > (size_t)semopm)
		r = fail(E2BIG);
	else if (!sops)
		r = fail(EFAULT);
	else if (to && (to->tv_sec < 0 || to->tv_nsec < 0 || to->tv_nsec >= 1000000000))
		r = fail(EINVAL);
	else {
		if (to)
			deadline = mono_ns() + (int64_t)to->tv_sec * 1000000000 + to->tv_nsec;
		r = op_locked(h, slot, sops, nsops, deadline);
	}
	return r;
}

static int e_semop(int id, struct sembuf *sops, size_t nsops)
{
	return do_semop(id, sops, nsops, NULL);
}

static int e_semtimedop(int id, struct sembuf *sops, size_t nsops, const struct timespec *to)
{
	return do_semop(id, sops, nsops, to);
}

/* ------------------------------------------------------------ semctl */

static void stat_of(const struct shdr *h, struct semid_ds *b)
{
	memset(b, 0, sizeof *b);
	b->sem_perm.__key = h->key;
	b->sem_perm.uid = h->uid;
	b->sem_perm.gid = h->gid;
	b->sem_perm.cuid = h->cuid;
	b->sem_perm.cgid = h->cgid;
	b->sem_perm.mode = (unsigned short)h->mode;
	b->sem_perm.__seq = (unsigned short)h->seq;
	b->sem_otime = h->otime;
	b->sem_ctime = h->ctime;
	b->sem_nsems = h->nsems;
}

static int count_wait(struct shdr *h, int semnum, int zero)
{
	int n = 0;

	for (int i = 0; i < SEM_NWAIT; i++) {
		struct swait *w = &h->w[i];

		if (w->used && w->semnum == (uint32_t)semnum && w->zero == (uint32_t)zero &&
		    live(w->pid, w->start))
			n++;
	}
	return n;
}

static int set_val(struct shdr *h, int semnum, int val)
{
	struct sval *v = vals(h);

	jput(h, &v[semnum].val, val);
	jput(h, &v[semnum].pid, emul_pid);
	for (uint32_t i = 0; i < h->undo_hi; i++) {
		struct sundo *u = undo_at(h, i);

		if (u->used && u->adj[semnum])
			jput(h, &u->adj[semnum], 0);
	}
	jput64(h, &h->ctime, now_s());
	jcommit(h);
	wake(h);
	return 0;
}

static int set_all(struct shdr *h, const unsigned short *a)
{
	struct sval *v = vals(h);

	for (uint32_t s = 0; s < h->nsems; s++)
		if (a[s] > SEMVMX_)
			return fail(ERANGE);
	for (uint32_t s = 0; s < h->nsems; s++) {
		jput(h, &v[s].val, a[s]);
		jput(h, &v[s].pid, emul_pid);
	}
	for (uint32_t i = 0; i < h->undo_hi; i++) {
		struct sundo *u = undo_at(h, i);

		if (u->used)
			jzero(h, u->adj, sizeof(int32_t) * h->nsems);
	}
	jput64(h, &h->ctime, now_s());
	jcommit(h);
	wake(h);
	return 0;
}

static int ipc_set(struct shdr *h, const struct semid_ds *b)
{
	int fd;

	if (not_owner(h))
		return fail(EPERM);
	if (b->sem_perm.uid == (uid_t)-1 || b->sem_perm.gid == (gid_t)-1)
		return fail(EINVAL);
	jput(h, &h->uid, (int32_t)b->sem_perm.uid);
	jput(h, &h->gid, (int32_t)b->sem_perm.gid);
	jput(h, &h->mode, (int32_t)((h->mode & ~0777u) | (b->sem_perm.mode & 0777)));
	jput(h, &h->pgen, (int32_t)(h->pgen + 1));
	jput64(h, &h->ctime, now_s());
	jcommit(h);
	/* the object follows the mode where this process may change it (its
	 * creator): the new classes can open it */
	fd = shim_next.shm_open(h->name, O_RDWR | O_CLOEXEC, 0);
	if (fd >= 0) {
		fchmod(fd, object_mode(h->mode & 0777));
		shim_next.close(fd);
	}
	return 0;
}

/* IPC_RMID: registry lock, then the set's (the order everywhere). */
static int rmid(struct shdr *h, uint32_t slot)
{
	struct emul_set *rec;

	if (emul_lock())
		return fail(ENOSYS);
	if (slock(h)) {
		emul_unlock();
		return -1;
	}
	rec = &emul_reg->set[slot];
	if (h->removed || rec->state != ES_LIVE || rec->seq != h->seq) {
		sunlock(h);
		emul_unlock();
		return fail(EINVAL);
	}
	if (not_owner(h)) {
		sunlock(h);
		emul_unlock();
		return fail(EPERM);
	}
	__atomic_store_n(&h->removed, 1, __ATOMIC_RELEASE);
	wake_all(h);
	sunlock(h);
	/* a crash here leaves a removed set registered: the next semget of
	 * its key finishes the removal */
	finish_removal(slot);
	emul_unlock();
	return 0;
}

/* The commands on one set (lock held, the set not removed). */
static int ctl_locked(struct shdr *h, uint32_t slot, int semnum, int cmd,
		      union nipc_semun arg)
{
	struct sval *v = vals(h);

	switch (cmd) {
	case IPC_STAT:
	case SEM_STAT:
	case SEM_STAT_ANY:
		if (cmd != SEM_STAT_ANY && !may(h, slot, 4))
			return fail(EACCES);
		sweep(h);
		if (!arg.buf)
			return fail(EFAULT);
		stat_of(h, arg.buf);
		return cmd == IPC_STAT ? 0 : id_of(slot, h->seq);
	case IPC_SET:
		return ipc_set(h, arg.buf);
	case GETALL:
		if (!may(h, slot, 4))
			return fail(EACCES);
		if (!arg.array)
			return fail(EFAULT);
		sweep(h);
		for (uint32_t s = 0; s < h->nsems; s++)
			arg.array[s] = (unsigned short)v[s].val;
		return 0;
	case SETALL:
		if (!may(h, slot, 2))
			return fail(EACCES);
		if (!arg.array)
			return fail(EFAULT);
		return set_all(h, arg.array);
	case SETVAL:
		if (semnum < 0 || (uint32_t)semnum >= h->nsems)
			return fail(EINVAL);
		if (!may(h, slot, 2))
			return fail(EACCES);
		return set_val(h, semnum, arg.val);
	default:
		break;
	}
	if (!may(h, slot, 4))
		return fail(EACCES);
	if (semnum < 0 || (uint32_t)semnum >= h->nsems)
		return fail(EINVAL);
	sweep(h);
	switch (cmd) {
	case GETVAL:
		return v[semnum].val;
	case GETPID:
		return v[semnum].pid;
	case GETNCNT:
		return count_wait(h, semnum, 0);
	case GETZCNT:
		return count_wait(h, semnum, 1);
	default:
		return fail(EINVAL);
	}
}

static int ctl_set(struct shdr *h, uint32_t slot, int semnum, int cmd, union nipc_semun arg)
{
	int r;

	if (cmd == SETVAL && (arg.val < 0 || arg.val > SEMVMX_))
		return fail(ERANGE);
	if (cmd == IPC_SET && !arg.buf)
		return fail(EFAULT);
	if (cmd == IPC_RMID)
		return rmid(h, slot);
	if (slock(h))
		return -1;
	if (__atomic_load_n(&h->removed, __ATOMIC_ACQUIRE))
		r = fail(EINVAL);
	else
		r = ctl_locked(h, slot, semnum, cmd, arg);
	sunlock(h);
	return r;
}

/* IPC_INFO, SEM_INFO: the emulation's own capacities and usage. */
static int info(int cmd, struct seminfo *si)
{
	int hi = 0, sets = 0, sems = 0;

	if (!si)
		return fail(EFAULT);
	if (!emul_reach(0) && !emul_lock()) {
		for (uint32_t s = 0; s < emul_reg->set_hi; s++)
			if (emul_reg->set[s].state == ES_LIVE) {
				hi = EMUL_IDX_BASE + (int)s;
				sets++;
				sems += (int)emul_reg->set[s].nsems;
			}
		emul_unlock();
	}
	memset(si, 0, sizeof *si);
	si->semmni = EMUL_NSET;
	si->semmns = (int)semmns;
	si->semmsl = (int)semmsl;
	si->semopm = (int)semopm;
	si->semvmx = SEMVMX_;
	si->semmnu = (int)semmns;
	si->semmap = (int)semmns;
	si->semume = (int)semopm;
	si->semusz = cmd == SEM_INFO ? sets : 20;
	si->semaem = cmd == SEM_INFO ? sems : SEMAEM_;
	return hi;
}

static int kernel_ctl(int id, int semnum, int cmd, int has, union nipc_semun arg)
{
	return has ? shim_next.semctl(id, semnum, cmd, arg) : shim_next.semctl(id, semnum, cmd);
}

/* SEM_STAT, SEM_STAT_ANY: id is an index. The emulation's indices name
 * its slots; an index whose slot holds no set is the kernel's. */
static int stat_index(int idx, int cmd, union nipc_semun arg)
{
	uint32_t s = (uint32_t)idx - EMUL_IDX_BASE, seq;
	struct shdr *h = NULL;
	int r;

	if (idx < EMUL_IDX_BASE || idx >= EMUL_IDX_BASE + EMUL_NSET || emul_reach(0) ||
	    emul_lock()) {
		if (kernel_has(-1, idx))
			return kernel_ctl(idx, 0, cmd, 1, arg);
		return shim_tls()->emul_took = 1, fail(EINVAL);
	}
	if (emul_reg->set[s].state != ES_LIVE) {
		emul_unlock();
		if (kernel_has(-1, idx))
			return kernel_ctl(idx, 0, cmd, 1, arg);
		return shim_tls()->emul_took = 1, fail(EINVAL);
	}
	seq = emul_reg->set[s].seq;
	emul_unlock();
	shim_tls()->emul_took = 1;
	r = resolve(id_of(s, seq), &s, &h);
	if (r > 0)
		r = ctl_set(h, s, 0, cmd, arg);
	else if (!r)
		r = fail(EINVAL);
	return r;
}

static int has_arg(int cmd)
{
	switch (cmd) {
	case SETVAL: case GETALL: case SETALL: case IPC_STAT: case IPC_SET:
	case IPC_INFO: case SEM_INFO: case SEM_STAT: case SEM_STAT_ANY:
		return 1;
	default:
		return 0;
	}
}

static int e_semctl(int id, int semnum, int cmd, ...)
{
	union nipc_semun arg = {0};
	int has = has_arg(cmd), r;
	struct shdr *h = NULL;
	uint32_t slot;

	if (has) {
		va_list ap;

		va_start(ap, cmd);
		arg = va_arg(ap, union nipc_semun);
		va_end(ap);
	}
	if (id < 0)
		return fail(EINVAL);
	if (cmd == IPC_INFO || cmd == SEM_INFO) {
		shim_tls()->emul_took = 1;
		return info(cmd, arg.info);
	}
	if (cmd == SEM_STAT || cmd == SEM_STAT_ANY)
		return stat_index(id, cmd, arg);
	r = resolve(id, &slot, &h);
	if (!r) {
		r = kernel_ctl(id, semnum, cmd, has, arg);
	} else if (r > 0) {
		shim_tls()->emul_took = 1;
		switch (cmd) {
		case IPC_STAT: case IPC_SET: case IPC_RMID: case GETVAL: case SETVAL:
		case GETALL: case SETALL: case GETPID: case GETNCNT: case GETZCNT:
			r = ctl_set(h, slot, semnum, cmd, arg);
			break;
		default:
			r = fail(EINVAL);
		}
	} else {
		shim_tls()->emul_took = 1;
	}
	return r;
}

/* ----------------------------------------------- exit, fork, start-up */

/* At exit the kernel applies a process's undo entries: the sets this
 * image knows. Entries in sets it never touched (made before an exec) are
 * applied by the next process that finds this one dead. */
__attribute__((destructor)) static void at_exit(void)
{
	if (!emul_start)
		return;
	shim_tls()->busy++;
	for (uint32_t s = 0; s < EMUL_NSET; s++) {
		struct shdr *h = __atomic_load_n(&sc[s].h, __ATOMIC_ACQUIRE);
		struct sundo *u;

		if (!h || slock(h))
			continue;
		if ((u = own_undo(h, s)))
			undo_apply(h, u);
		sunlock(h);
	}
	shim_tls()->busy--;
}

void emul_sem_child(void)
{
	ewait_child();
	for (uint32_t s = 0; s < EMUL_NSET; s++)
		sc[s].undo = 0;
}

static void read_fault(void)
{
	const char *f = getenv("NIPC_EMUL_FAULT");

	if (f && !strcmp(f, "sem-pre-commit"))
		fault = SF_PRE_COMMIT;
	else if (f && !strcmp(f, "sem-mid-apply"))
		fault = SF_MID_APPLY;
}

uint64_t emul_sem_setup(struct shim_next *calls)
{
	long long msl = emul_read_num("/proc/sys/kernel/sem", 0);
	long long opm = emul_read_num("/proc/sys/kernel/sem", 2);

	if (msl > 0)
		semmsl = msl;
	if (opm > 0)
		semopm = opm < SEM_OPMAX ? opm : SEM_OPMAX;
	semmns = semmsl * EMUL_NSET;
	read_fault();
	calls->semget = e_semget;
	calls->semop = e_semop;
	calls->semtimedop = e_semtimedop;
	calls->semctl = e_semctl;
	return OPBIT(SEMGET) | OPBIT(SEMOP) | OPBIT(SEMTIMEDOP) | OPBIT(SEMCTL);
}
