/* SPDX-License-Identifier: MIT */
/* The emulation's shared state, without a daemon.
 *
 * Layout. One POSIX shared memory object per emulation namespace,
 * /nipc.sysv.<ns>.reg (ns: NIPC_NAMESPACE, else "u<uid>"), holding struct
 * emul_reg: a header (magic, version, size, the id range), a robust
 * process-shared mutex, a redo journal, a table of segments and a table of
 * attachments. Each segment's bytes are a POSIX object of their own
 * (/nipc.sysv.<ns>.shm.<key or id>, or the rule's name=), created with
 * the System V mode, so the kernel checks data access; the registry holds
 * what the kernel would keep (key, owner, mode, times, pids).
 *
 * Creation. Only when a call is routed to the emulation (a process that
 * makes no System V call leaves nothing behind). The creator builds the registry under a temporary name and
 * links it to the final name (/dev/shm, where glibc keeps POSIX shared
 * memory): a registry is visible only when complete; a loser of the race
 * unlinks its copy and opens the winner's.
 *
 * Ids. An emulated id is seq << 15 | (EMUL_IDX_BASE + slot). The kernel
 * gives a new object the lowest free index (older kernels) or cycles below
 * max(in_use * 3/2, 64) (newer ones), with in_use < shmmni: below
 * emul_kernel_idx_limit(shmmni). With shmmni small enough that this stays
 * below EMUL_IDX_BASE, no kernel id has an index in our range, whether the
 * index takes 15 bits or 24 (ipcmni_extend): our low 24 bits are at least
 * our index. Checked at start-up; the emulation refuses otherwise.
 * Not covered: ids forced through /proc/sys/kernel/shm_next_id.
 *
 * Invariants (under the lock):
 *  - a LIVE segment's key is unique among LIVE segments (IPC_PRIVATE
 *    aside) and its name exists; a DEST segment has key IPC_PRIVATE, no
 *    name, SHM_DEST in its mode and lives while an attachment of a live
 *    process names it; a FREE slot is ignored whatever it holds.
 *  - an attachment counts while used, its (slot, seq) names the segment
 *    and (pid, start) is alive: liveness is the process's start time,
 *    never a descriptor (programs close every descriptor).
 *  - the journal is empty, or committed and not yet fully applied.
 *
 * Crash windows. A process may die at any instruction:
 *  - holding the lock: the next locker gets EOWNERDEAD, replays a
 *    committed journal (or drops a staged one: nothing was written yet),
 *    marks the mutex consistent. Single-word stores (att.used = 0,
 *    seg.state = FREE) need no journal.
 *  - between creating a backing object and committing its record: the
 *    name is an orphan; the next creator of that name (it holds the lock,
 *    and no LIVE record names it) unlinks it and creates it again.
 *  - between committing a removal and unlinking the name: the same.
 *  - with attachments: they stop counting when the process is seen dead;
 *    a DEST segment is freed by the next sweep.
 *  - waiting for the lock, just woken by an unlock: the wake-up is lost;
 *    waits are bounded (emul_mutex_lock), the others take the lock on
 *    their next try.
 *
 * Cooperative, not enforcing: any process that can write the registry can
 * corrupt it; the data objects carry the System V mode and are checked by
 * the kernel.
 *
 * Test hook: NIPC_EMUL_FAULT=pre-commit|mid-apply kills the process with
 * SIGKILL at that point of its first journaled update. */
#include "config.h"

#include "shim.h"
#include "emul_state.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct emul_reg *emul_reg;
char emul_ns[EMUL_NS_MAX + 1];
pid_t emul_pid;
uint64_t emul_start;

static char why[256];
static enum { F_NONE, F_PRE_COMMIT, F_MID_APPLY } fault;

const char *emul_state_why(void)
{
	return why;
}

/* ------------------------------------------------------------ liveness */

static int read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, cap - 1);
	shim_next.close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return (int)n;
}

uint64_t emul_proc_start(pid_t pid)
{
	char path[32], buf[1024], *p;
	unsigned v = (unsigned)pid;
	char num[12], *q = num + sizeof num;
	uint64_t start = 0;
	int field;

	*--q = 0;
	do
		*--q = (char)('0' + v % 10);
	while (v /= 10);
	strcpy(path, "/proc/");
	strcat(path, q);
	strcat(path, "/stat");
	if (read_small(path, buf, sizeof buf) < 0)
		return 0;
	/* the command may hold spaces and parentheses: fields follow the last ')' */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	p += 2;
	if (*p == 'Z' || *p == 'X')
		return 0;
	for (field = 3; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	while (*p >= '0' && *p <= '9')
		start = start * 10 + (uint64_t)(*p++ - '0');
	return start;
}

int emul_alive(pid_t pid, uint64_t start)
{
	return pid > 0 && start && emul_proc_start(pid) == start;
}

void emul_state_child(void)
{
	emul_pid = getpid();
	emul_start = emul_proc_start(emul_pid);
}

/* ------------------------------------------------------------- locking */

static void japply(struct emul_reg *r)
{
	unsigned char *base = (unsigned char *)r;
	uint32_t off = 0;

	for (uint32_t i = 0; i < r->j.n; i++) {
		memcpy(base + r->j.e[i].off, r->j.data + off, r->j.e[i].len);
		off += r->j.e[i].len;
		if (fault == F_MID_APPLY)
			kill(getpid(), SIGKILL);
	}
}

static void jclear(struct emul_reg *r)
{
	__atomic_store_n(&r->j.committed, 0, __ATOMIC_RELEASE);
	r->j.n = 0;
	r->j.used = 0;
}

/* The holder died: finish its committed update, forget a staged one. */
static void repair(struct emul_reg *r)
{
	if (__atomic_load_n(&r->j.committed, __ATOMIC_ACQUIRE)) {
		japply(r);
		r->repairs++;
	}
	jclear(r);
}

/* A robust futex can lose a wake-up: the unlocker wakes one waiter; if
 * that waiter is killed before it takes the lock and a newcomer takes it
 * first (without FUTEX_WAITERS, which only a woken waiter sets again),
 * the next unlock wakes nobody and the other waiters sleep on a free lock
 * for good. The kernel's exit handling wakes someone only when the lock
 * is free at that moment. So no wait is unbounded: each ends after
 * EMUL_LOCK_RETRY_NS and tries again. The uncontended path is a trylock. */
int emul_mutex_lock(pthread_mutex_t *m)
{
	struct timespec t;
	int e = pthread_mutex_trylock(m);

	while (e == EBUSY || e == ETIMEDOUT) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_nsec += EMUL_LOCK_RETRY_NS;
		if (t.tv_nsec >= 1000000000) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000;
		}
		e = pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &t);
	}
	return e;
}

int emul_lock(void)
{
	int e = emul_mutex_lock(&emul_reg->lock);

	if (e == EOWNERDEAD) {
		repair(emul_reg);
		e = pthread_mutex_consistent(&emul_reg->lock);
	}
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

void emul_unlock(void)
{
	pthread_mutex_unlock(&emul_reg->lock);
}

void emul_jput(void *dst, const void *src, size_t len)
{
	struct emul_journal *j = &emul_reg->j;

	if (j->n == EMUL_JMAX || j->used + len > sizeof j->data)
		abort(); /* a caller stages more than it may: a bug */
	j->e[j->n].off = (uint32_t)((unsigned char *)dst - (unsigned char *)emul_reg);
	j->e[j->n].len = (uint32_t)len;
	memcpy(j->data + j->used, src, len);
	j->used += (uint32_t)len;
	j->n++;
}

void emul_jcommit(void)
{
	if (fault == F_PRE_COMMIT)
		kill(getpid(), SIGKILL);
	__atomic_store_n(&emul_reg->j.committed, 1, __ATOMIC_RELEASE);
	japply(emul_reg);
	jclear(emul_reg);
}

/* ------------------------------------------------------------ the ids */

long emul_kernel_idx_limit(long mni)
{
	long lim = mni + mni / 2 + 1;

	return lim < 64 ? 64 : lim;
}

long long emul_read_num(const char *path, int nth)
{
	char buf[128], *p = buf, *end;
	long long v = -1;

	if (read_small(path, buf, sizeof buf) < 0)
		return -1;
	for (int i = 0; i <= nth; i++) {
		v = strtoll(p, &end, 10);
		if (end == p)
			return -1;
		p = end;
	}
	return v;
}

/* The kernel's semaphore sets now: the lines of /proc/sysvipc/sem after
 * its header (0 without System V IPC in the kernel). */
static long kernel_sets(void)
{
	char buf[4096];
	long lines = 0;
	ssize_t n;
	int fd = open("/proc/sysvipc/sem", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	shim_next.close(fd);
	return lines > 0 ? lines - 1 : 0;
}

/* shm: kernel.shmmni bounds the kernel's indices for good.
 *
 * sem: the default semmni (32000) would make any range issuable, so the
 * bound is the number of kernel sets now: the kernel gives a new set an
 * index below max(in_use * 3/2, 64) (or the lowest free one), so while
 * fewer than 21163 kernel sets exist no kernel set has an index at
 * EMUL_IDX_BASE or above. Refused only when that many exist at start-up.
 * Should the kernel's sets grow past that later, an id in the range is
 * still resolved through the registry (emul_sem.c): only an id whose slot
 * and sequence the registry issued is emulated, any other goes to the
 * kernel; a collision needs a kernel set with our index and our sequence
 * number at once. */
static int check_ids(int shm, int sem)
{
	long shmmni = (long)emul_read_num("/proc/sys/kernel/shmmni", 0);
	long sets = sem ? kernel_sets() : 0;

	if (shm && shmmni < 0) {
		snprintf(why, sizeof why, "cannot read /proc/sys/kernel/shmmni");
		return -1;
	}
	if (shm && emul_kernel_idx_limit(shmmni) > EMUL_IDX_BASE) {
		snprintf(why, sizeof why,
			 "kernel.shmmni=%ld lets the kernel issue segment ids that emulated ids use "
			 "(index %d and up); it must be at most %d",
			 shmmni, EMUL_IDX_BASE, (EMUL_IDX_BASE - 1) * 2 / 3);
		return -1;
	}
	if (sem && emul_kernel_idx_limit(sets) > EMUL_IDX_BASE) {
		snprintf(why, sizeof why,
			 "%ld kernel semaphore sets exist: the kernel may issue set ids that emulated "
			 "ids use (index %d and up); at most %d may exist",
			 sets, EMUL_IDX_BASE, (EMUL_IDX_BASE - 1) * 2 / 3);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------- the registry */

static int ns_init(void)
{
	const char *ns = getenv("NIPC_NAMESPACE");

	if (!ns || !*ns) {
		snprintf(emul_ns, sizeof emul_ns, "u%u", (unsigned)getuid());
		return 0;
	}
	if (strlen(ns) > EMUL_NS_MAX || ns[strspn(ns, "abcdefghijklmnopqrstuvwxyz"
						  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")]) {
		snprintf(why, sizeof why,
			 "NIPC_NAMESPACE must be 1 to %d letters, digits, '_' or '-'", EMUL_NS_MAX);
		return -1;
	}
	strcpy(emul_ns, ns);
	return 0;
}

int emul_init_lock(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	int e;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	e = pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	return e;
}

static struct emul_reg *map_fd(int fd)
{
	void *p = shim_next.mmap(NULL, sizeof(struct emul_reg), PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* A complete registry under a temporary name, linked to the final one. */
static struct emul_reg *create(const char *name, mode_t mode)
{
	char tmp[160], from[192], to[192];
	struct emul_reg *r;
	int fd;

	snprintf(tmp, sizeof tmp, "%s.%d", name, (int)emul_pid);
	fd = shim_next.shm_open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return NULL;
	if (fchmod(fd, mode) || ftruncate(fd, sizeof *r) || !(r = map_fd(fd))) {
		shim_next.close(fd);
		shim_next.shm_unlink(tmp);
		return NULL;
	}
	shim_next.close(fd);
	r->version = EMUL_VERSION;
	r->bytes = sizeof *r;
	r->idx_base = EMUL_IDX_BASE;
	r->nseg = EMUL_NSEG;
	r->natt = EMUL_NATT;
	r->nset = EMUL_NSET;
	if (emul_init_lock(&r->lock)) {
		shim_next.munmap(r, sizeof *r);
		shim_next.shm_unlink(tmp);
		return NULL;
	}
	__atomic_store_n(&r->magic, EMUL_MAGIC, __ATOMIC_RELEASE);
	snprintf(from, sizeof from, "/dev/shm%s", tmp);
	snprintf(to, sizeof to, "/dev/shm%s", name);
	if (link(from, to)) {
		int e = errno;

		shim_next.munmap(r, sizeof *r);
		shim_next.shm_unlink(tmp);
		errno = e;
		return NULL;
	}
	shim_next.shm_unlink(tmp);
	return r;
}

static struct emul_reg *open_existing(const char *name)
{
	struct emul_reg *r;
	struct stat st;
	int fd = shim_next.shm_open(name, O_RDWR | O_CLOEXEC, 0);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || (size_t)st.st_size != sizeof *r) {
		shim_next.close(fd);
		snprintf(why, sizeof why, "%s is not a registry of this version", name);
		errno = EPROTO;
		return NULL;
	}
	r = map_fd(fd);
	shim_next.close(fd);
	if (r && (r->magic != EMUL_MAGIC || r->version != EMUL_VERSION || r->bytes != sizeof *r ||
		  r->idx_base != EMUL_IDX_BASE)) {
		shim_next.munmap(r, sizeof *r);
		snprintf(why, sizeof why, "%s is not a registry of this version", name);
		errno = EPROTO;
		return NULL;
	}
	return r;
}

static void read_fault(void)
{
	const char *f = getenv("NIPC_EMUL_FAULT");

	if (f && !strcmp(f, "pre-commit"))
		fault = F_PRE_COMMIT;
	else if (f && !strcmp(f, "mid-apply"))
		fault = F_MID_APPLY;
}

static mode_t reg_mode;

int emul_state_init(int shm, int sem)
{
	emul_state_child();
	read_fault();
	if (!emul_start) {
		snprintf(why, sizeof why, "cannot read /proc/self/stat (liveness needs /proc)");
		return -1;
	}
	if (ns_init() || check_ids(shm, sem))
		return -1;
	reg_mode = getenv("NIPC_NAMESPACE") && *getenv("NIPC_NAMESPACE") ? 0660 : 0600;
	return 0;
}

int emul_state_reach(int make)
{
	char name[128];
	struct emul_reg *r = NULL;
	const char *desc;

	snprintf(name, sizeof name, "/nipc.sysv.%s.reg", emul_ns);
	for (int tries = 0; tries < 3 && !r; tries++) {
		r = open_existing(name);
		if (r || errno != ENOENT || !make)
			break;
		r = create(name, reg_mode);
		if (!r && errno != EEXIST)
			break;
	}
	if (!r) {
		if (errno == ENOENT && !make)
			return -1;
		/* strerrordesc_np: no allocation, unlike strerror for odd values */
		desc = strerrordesc_np(errno);
		if (!why[0])
			snprintf(why, sizeof why, "cannot open or create the registry %s: %s", name,
				 desc ? desc : "unknown error");
		return -1;
	}
	__atomic_store_n(&emul_reg, r, __ATOMIC_RELEASE);
	return 0;
}

int emul_state_probe(void)
{
	char name[128], tmp[160];
	struct emul_reg *r;
	const char *desc;
	int fd;

	snprintf(name, sizeof name, "/nipc.sysv.%s.reg", emul_ns);
	r = open_existing(name);
	if (r) {
		shim_next.munmap(r, sizeof *r);
		return 0;
	}
	if (errno == ENOENT) {
		/* what create() needs: a new object beside the final name */
		snprintf(tmp, sizeof tmp, "%s.probe.%d", name, (int)emul_pid);
		fd = shim_next.shm_open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, reg_mode);
		if (fd >= 0) {
			shim_next.close(fd);
			shim_next.shm_unlink(tmp);
			return 0;
		}
	}
	desc = strerrordesc_np(errno);
	if (!why[0])
		snprintf(why, sizeof why, "cannot open or create the registry %s: %s", name,
			 desc ? desc : "unknown error");
	return -1;
}

/* ------------------------------------------------------- permissions */

static int in_group(gid_t g)
{
	gid_t v[256];
	int n;

	if (getegid() == g)
		return 1;
	n = getgroups(256, v);
	for (int i = 0; i < n; i++)
		if (v[i] == g)
			return 1;
	return 0;
}

int emul_denied(const struct emul_perm *p, int flag)
{
	unsigned req = ((unsigned)flag >> 6 | (unsigned)flag >> 3 | (unsigned)flag) & 7;
	unsigned granted = p->mode;
	uid_t eu = geteuid();

	if (eu == p->cuid || eu == p->uid)
		granted >>= 6;
	else if (in_group(p->cgid) || in_group(p->gid))
		granted >>= 3;
	return (req & ~granted & 7) && eu != 0;
}

int emul_not_owner(const struct emul_perm *p)
{
	uid_t eu = geteuid();

	return eu != 0 && eu != p->uid && eu != p->cuid;
}
