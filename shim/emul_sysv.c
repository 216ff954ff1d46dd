/* SPDX-License-Identifier: MIT */
/* System V shared memory emulated on POSIX shared memory: shmget, shmat,
 * shmdt and shmctl for the keys the rules give backend=posix, and for
 * every id and address the emulation handed out. The shared state is the
 * registry of emul_state.c; this file keeps, per process, its attachments
 * and a cache of backing descriptors (each checked against the segment's
 * inode before use: a program may close or reuse any descriptor).
 *
 * Routing: a key the registry knows is emulated, whatever this process's
 * rules say; other keys go where the rules say. Ids are routed by range
 * (emul_state.c), addresses by this process's attachment table. A call
 * routed to the emulation while the registry cannot be reached fails with
 * ENOSYS (fail closed), as on a kernel without System V IPC.
 *
 * All registry and table updates happen under the registry lock. */
#include "config.h"

#include "shim.h"
#include "emul_state.h"
#include "emul_sysv.h"
#include "rules.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct shim_next shim_emul_calls;
SHIM_HOT_DATA uint64_t shim_emul_ops;

static long pagesz;
/* The state cannot be reached: routed calls fail with ENOSYS. */
static int broken;
static pthread_mutex_t reach_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long shmmax;
/* Every key is emulated: the kernel's indices are not this process's world. */
static int all_emulated;

/* This process's emulated attachments, one entry a piece: a mapping of
 * one shmat that munmap or mremap may have split, moved or resized. The
 * kernel counts such pieces (vmas) in shm_nattch; so does the registry,
 * one record a piece. */
#define LAT_MAX 256
static struct lat {
	uintptr_t addr;
	size_t len;             /* whole pages */
	size_t off;             /* its offset in the segment: shmat gave addr - off */
	uint64_t size;          /* the segment's */
	uint32_t slot, seq;
	uint32_t att;           /* the shmat it comes from, 1 and up */
	int rec;                /* its record in the registry, -1: none */
} lat[LAT_MAX];
static int nlat;
static uint32_t att_serial;
uintptr_t emul_map_lo, emul_map_hi;

/* After a change of the table: the range the hooks check. */
static void bounds(void)
{
	uintptr_t lo = UINTPTR_MAX, hi = 0;

	for (int i = 0; i < nlat; i++) {
		if (lat[i].addr < lo)
			lo = lat[i].addr;
		if (lat[i].addr + lat[i].len > hi)
			hi = lat[i].addr + lat[i].len;
	}
	if (!nlat)
		lo = hi = 0;
	__atomic_store_n(&emul_map_lo, lo, __ATOMIC_RELAXED);
	__atomic_store_n(&emul_map_hi, hi, __ATOMIC_RELAXED);
}

/* Backing descriptors by slot: fd + 1 (0: none), for generation seq. */
static struct {
	int fd1, rw;
	uint32_t seq;
	uint64_t ino;
} fdc[EMUL_NSEG];

/* Attachments made through the kernel: shmdt of an address the
 * emulation does not know goes to the kernel only if there are any. */
static int kernel_att;

#define SHMAT_FAILED ((void *)-1)

static int fail(int e)
{
	errno = e;
	return -1;
}

static void *fail_p(int e)
{
	errno = e;
	return SHMAT_FAILED;
}

static int is_emul_id(int id)
{
	return id >= 0 && (id & (EMUL_IPCMNI - 1)) >= EMUL_IDX_BASE;
}

static int id_of(uint32_t slot, uint32_t seq)
{
	return (int)(seq << 15 | (EMUL_IDX_BASE + slot));
}

/* 0 when the registry is mapped, after creating it if make. -1: errno
 * ENOENT (no registry yet: no emulated object exists), or the state
 * cannot be reached (broken, said once). */
int emul_reach(int make)
{
	int r = 0;

	if (__atomic_load_n(&emul_reg, __ATOMIC_ACQUIRE))
		return 0;
	if (broken) {
		errno = ENOSYS;
		return -1;
	}
	pthread_mutex_lock(&reach_lock);
	if (!emul_reg && (r = emul_state_reach(make)) && errno != ENOENT) {
		broken = 1;
		shim_warn("System V emulation unavailable: %s; calls routed to it fail with ENOSYS",
			  emul_state_why());
		errno = ENOSYS;
	}
	pthread_mutex_unlock(&reach_lock);
	return r;
}

/* An emulated id's registry: -1 with EINVAL when there is none (the id
 * cannot exist), ENOSYS when it cannot be reached. */
static int reach_id(void)
{
	if (!emul_reach(0))
		return 0;
	if (errno == ENOENT)
		errno = EINVAL;
	return -1;
}

/* ------------------------------------------------ registry helpers */

static unsigned nattch(uint32_t slot, uint32_t seq);
static void seg_free(uint32_t slot);
static void peer_check(uint32_t s, struct emul_seg *g);

/* The segment in slot s, NULL if free; a removed one whose last
 * attachment was of a process that died is freed now, as the kernel
 * destroyed it when that process's mapping closed; a live one whose name
 * a POSIX peer unlinked is removed now. */
static struct emul_seg *seg_in(uint32_t s)
{
	struct emul_seg *g = &emul_reg->seg[s];

	if (g->state == ES_LIVE)
		peer_check(s, g);
	if (g->state == ES_DEST && !nattch(s, g->seq))
		seg_free(s);
	return g->state == ES_FREE ? NULL : g;
}

static struct emul_seg *seg_of_id(int id, uint32_t *slot)
{
	uint32_t s = (uint32_t)(id & (EMUL_IPCMNI - 1)) - EMUL_IDX_BASE;
	struct emul_seg *g = seg_in(s);

	if (!g || g->seq != (uint32_t)id >> 15)
		return NULL;
	*slot = s;
	return g;
}

static struct emul_seg *seg_by_key(key_t key, uint32_t *slot)
{
	for (uint32_t s = 0; s < emul_reg->seg_hi && s < EMUL_NSEG; s++) {
		struct emul_seg *g = &emul_reg->seg[s];

		if (g->state == ES_LIVE && g->key == key) {
			peer_check(s, g);
			if (g->state != ES_LIVE)
				continue;
			*slot = s;
			return g;
		}
	}
	return NULL;
}

/* Attachment record i is gone with its process's mapping (exit, exec, a
 * crash): its segment's last detach is by that process, now, as the
 * kernel sets shm_lpid and shm_dtime when an exiting process's mappings
 * close (the time is when the emulation notices). Nothing may be staged. */
static void release(int i)
{
	struct emul_att *a = &emul_reg->att[i];
	struct emul_seg n, *g = &emul_reg->seg[a->slot];

	if (a->slot < EMUL_NSEG && g->state != ES_FREE && g->seq == a->seq) {
		n = *g;
		n.lpid = a->pid;
		n.dtime = time(NULL);
		emul_jput(g, &n, sizeof n);
		emul_jcommit();
	}
	/* after the commit: a crash in between sets them again */
	__atomic_store_n(&a->used, 0, __ATOMIC_RELEASE);
}

static int att_alive(const struct emul_att *a)
{
	return (a->pid == emul_pid && a->start == emul_start) || emul_alive(a->pid, a->start);
}

/* Attachments of live processes; releases those of dead ones. */
static unsigned nattch(uint32_t slot, uint32_t seq)
{
	unsigned n = 0;

	for (int i = 0; i < EMUL_NATT; i++) {
		struct emul_att *a = &emul_reg->att[i];

		if (!a->used || a->slot != slot || a->seq != seq)
			continue;
		if (att_alive(a))
			n++;
		else
			release(i);
	}
	return n;
}

/* A free attachment record; when none is, those of dead processes are
 * released (they are otherwise released when their segment is counted). */
static int free_att(void)
{
	int found = -1;

	for (int i = 0; i < EMUL_NATT; i++)
		if (!emul_reg->att[i].used)
			return i;
	for (int i = 0; i < EMUL_NATT; i++) {
		struct emul_att *a = &emul_reg->att[i];

		if (!att_alive(a)) {
			release(i);
			if (found < 0)
				found = i;
		}
	}
	return found;
}

/* Closes this process's cached descriptor of slot, if it is still ours. */
static void fdc_drop(uint32_t slot)
{
	struct stat st;
	int fd = fdc[slot].fd1 - 1;

	if (fd >= 0 && !fstat(fd, &st) && (uint64_t)st.st_ino == fdc[slot].ino)
		shim_next.close(fd);
	fdc[slot].fd1 = 0;
}

static void seg_free(uint32_t slot)
{
	__atomic_store_n(&emul_reg->seg[slot].state, ES_FREE, __ATOMIC_RELEASE);
	fdc_drop(slot);
}

/* A free slot; removed segments nobody alive has attached are freed. */
static int alloc_slot(void)
{
	int found = -1;

	for (int s = 0; s < EMUL_NSEG; s++)
		if (emul_reg->seg[s].state == ES_FREE)
			return s;
	for (int s = 0; s < EMUL_NSEG; s++) {
		struct emul_seg *g = &emul_reg->seg[s];

		if (g->state == ES_DEST && !nattch((uint32_t)s, g->seq)) {
			seg_free((uint32_t)s);
			if (found < 0)
				found = s;
		}
	}
	return found;
}

/* The cached descriptor name_gone() just checked, for backing_fd() in the
 * same shmat (one fstat, not two); -1: none. */
static int fresh_fd = -1;

/* Whether the live segment's name no longer resolves to its object: a
 * POSIX peer unlinked it (and maybe made another object under it). A
 * descriptor this process holds tells without a lookup (no links left). */
static int name_gone(uint32_t slot, const struct emul_seg *g)
{
	char path[EMUL_NAME_BUF + 16];
	struct stat st;
	int fd = fdc[slot].fd1 - 1;

	if (fd >= 0 && fdc[slot].seq == g->seq && !fstat(fd, &st) && (uint64_t)st.st_ino == g->ino) {
		fresh_fd = fd;
		return st.st_nlink == 0;
	}
	snprintf(path, sizeof path, "/dev/shm%s", g->name);
	if (stat(path, &st))
		return errno == ENOENT;
	return (uint64_t)st.st_ino != g->ino;
}

/* A POSIX peer that unlinks a segment's name removes it, as IPC_RMID
 * would: the key is free at once, the segment lives until its last
 * detach (SHM_DEST, key IPC_PRIVATE). The name is not ours any more:
 * never unlinked by us. */
static void peer_check(uint32_t s, struct emul_seg *g)
{
	struct emul_seg n;

	if (!name_gone(s, g))
		return;
	if (!nattch(s, g->seq)) {
		seg_free(s);
		return;
	}
	n = *g;
	n.state = ES_DEST;
	n.key = IPC_PRIVATE;
	n.mode |= SHM_DEST;
	n.name[0] = 0;
	emul_jput(g, &n, sizeof n);
	emul_jcommit();
}

/* ----------------------------------------------------- permissions */

/* The kernel's ipcperms: flag holds the requested rwx bits in any of the
 * three positions. Root stands for CAP_IPC_OWNER. */
static int denied(const struct emul_seg *g, int flag)
{
	struct emul_perm p = {g->uid, g->gid, g->cuid, g->cgid, g->mode};

	return emul_denied(&p, flag);
}

/* IPC_SET and IPC_RMID: owner or creator; root stands for CAP_SYS_ADMIN. */
static int not_owner(const struct emul_seg *g)
{
	struct emul_perm p = {g->uid, g->gid, g->cuid, g->cgid, g->mode};

	return emul_not_owner(&p);
}

/* Whether this process has capability cap in its effective set. */
static int capable(int cap)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d))
		return geteuid() == 0;
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

/* ------------------------------------------------ backing objects */

static void default_name(char *buf, size_t len, key_t key, int id)
{
	if (key == IPC_PRIVATE)
		snprintf(buf, len, "/nipc.sysv.%s.shm.id%d", emul_ns, id);
	else
		snprintf(buf, len, "/nipc.sysv.%s.shm.0x%08x", emul_ns, (unsigned)key);
}

static int fd_high(int fd)
{
	int hi = fcntl(fd, F_DUPFD_CLOEXEC, 512);

	if (hi < 0)
		return fd;
	shim_next.close(fd);
	return hi;
}

/* Creates the data object. A default name that exists is an orphan of a
 * crash (no live record names it and we hold the lock): replaced. A
 * name= object is taken as it is (a POSIX peer may have made it). */
static int make_backing(const char *name, mode_t mode, size_t size, int named)
{
	struct stat st;
	int fd, flags = O_RDWR | O_CREAT | O_CLOEXEC | (named ? 0 : O_EXCL);

	fd = shim_next.shm_open(name, flags, mode);
	if (fd < 0 && errno == EEXIST) {
		shim_next.shm_unlink(name);
		fd = shim_next.shm_open(name, flags, mode);
	}
	if (fd < 0)
		return -1;
	fchmod(fd, mode);
	if (fstat(fd, &st) || ((size_t)st.st_size < size && shim_next.ftruncate(fd, (off_t)size))) {
		int e = errno;

		shim_next.close(fd);
		if (!named)
			shim_next.shm_unlink(name);
		return fail(e == EFBIG || e == EINVAL ? EINVAL : ENOMEM);
	}
	return fd_high(fd);
}

static void fdc_put(uint32_t slot, int fd, int rw, uint32_t seq, uint64_t ino)
{
	fdc[slot].fd1 = fd + 1;
	fdc[slot].rw = rw;
	fdc[slot].seq = seq;
	fdc[slot].ino = ino;
}

/* A descriptor of the segment's data, read-write if rw. */
static int backing_fd(uint32_t slot, const struct emul_seg *g, int rw)
{
	struct stat st;
	int fd = fdc[slot].fd1 - 1, fresh = fd >= 0 && fd == fresh_fd;

	fresh_fd = -1;
	if (fd >= 0 && fdc[slot].seq == g->seq && (fdc[slot].rw || !rw) &&
	    (fresh || (!fstat(fd, &st) && (uint64_t)st.st_ino == g->ino)))
		return fd;
	if (fd >= 0 && fdc[slot].seq != g->seq)
		fdc_drop(slot);
	fdc[slot].fd1 = 0;
	if (g->state != ES_LIVE)
		return fail(EIDRM);
	fd = shim_next.shm_open(g->name, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0);
	if (fd < 0)
		return fail(errno == ENOENT ? EIDRM : errno);
	if (fstat(fd, &st) || (uint64_t)st.st_ino != g->ino) {
		shim_next.close(fd);
		return fail(EIDRM);
	}
	fd = fd_high(fd);
	fdc_put(slot, fd, rw, g->seq, g->ino);
	return fd;
}

/* ---------------------------------------------------------- shmget */

/* What the rules say about key of family (allocation-free). */
int emul_key_decide(unsigned family, key_t key, struct rules_decision *d)
{
	struct shim_event ev;
	char path[SHIM_NAME_CAP];
	uintptr_t fid;
	struct rules_key k = {
		.family = family,
		.has_keyt = 1,
		.keyt = key,
		.uid = getuid(),
	};

	ev_key_none(&ev);
	ev_key_sysv(&ev, key);
	ev_key_finish(&ev);
	k.text = ev.key;
	if (key != IPC_PRIVATE && names_get(NK_FTOK, (uint32_t)key, &fid, path))
		k.native = path;
	return rules_decide(shim_rules, &k, d);
}

static int get_existing(struct emul_seg *g, uint32_t slot, size_t size, int flg)
{
	if ((flg & IPC_CREAT) && (flg & IPC_EXCL))
		return fail(EEXIST);
	if (size > g->size)
		return fail(EINVAL);
	if (denied(g, flg & 0777))
		return fail(EACCES);
	return id_of(slot, g->seq);
}

static int create(key_t key, size_t size, int flg, const struct rules_decision *d)
{
	struct emul_seg n, *g;
	struct stat st;
	uint32_t seq, hi;
	int s, fd, id;

	if (key != IPC_PRIVATE && !(flg & IPC_CREAT))
		return fail(ENOENT);
	if (size < 1 || size > shmmax)
		return fail(EINVAL);
	if ((s = alloc_slot()) < 0)
		return fail(ENOSPC);
	g = &emul_reg->seg[s];
	seq = g->seq % 0xffff + 1;
	id = id_of((uint32_t)s, seq);
	memset(&n, 0, sizeof n);
	if (d->name[0] && key != IPC_PRIVATE)
		snprintf(n.name, sizeof n.name, "%s", d->name);
	else
		default_name(n.name, sizeof n.name, key, id);
	fd = make_backing(n.name, (mode_t)(flg & 0777), size, d->name[0] && key != IPC_PRIVATE);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st)) {
		shim_next.close(fd);
		return fail(ENOMEM);
	}
	n.state = ES_LIVE;
	n.seq = seq;
	n.key = key;
	n.uid = n.cuid = geteuid();
	n.gid = n.cgid = getegid();
	n.mode = (uint32_t)flg & 0777;
	n.cpid = emul_pid;
	n.size = size;
	n.ctime = time(NULL);
	n.ino = (uint64_t)st.st_ino;
	hi = emul_reg->seg_hi > (uint32_t)s ? emul_reg->seg_hi : (uint32_t)s + 1;
	/* seg_hi first: a holder killed after applying one image shows the
	 * replay in the record itself */
	emul_jput(&emul_reg->seg_hi, &hi, sizeof hi);
	emul_jput(g, &n, sizeof n);
	emul_jcommit();
	fdc_drop((uint32_t)s);
	fdc_put((uint32_t)s, fd, 1, seq, n.ino);
	return id;
}

static int e_shmget(key_t key, size_t size, int flg)
{
	struct rules_decision d;
	struct emul_seg *g = NULL;
	uint32_t slot = 0;
	int posix, r;

	r = emul_key_decide(RF_SYSV_SHM, key, &d);
	posix = d.backend == RB_POSIX;
	if (r < 0 && posix)
		return fail(ENOSYS);
	/* only a creation makes the registry: without one, no key is known */
	if (emul_reach(posix && (key == IPC_PRIVATE || (flg & IPC_CREAT)))) {
		if (!posix)
			return shim_next.shmget(key, size, flg);
		return fail(errno == ENOENT ? ENOENT : ENOSYS);
	}
	if (emul_lock())
		return posix ? fail(ENOSYS) : shim_next.shmget(key, size, flg);
	if (key != IPC_PRIVATE)
		g = seg_by_key(key, &slot);
	if (!g && !posix) {
		emul_unlock();
		return shim_next.shmget(key, size, flg);
	}
	r = g ? get_existing(g, slot, size, flg) : create(key, size, flg, &d);
	emul_unlock();
	shim_tls()->emul_took = 1;
	return r;
}

/* ----------------------------------------------------------- shmat */

static void forget(int i);

static size_t pgup(uint64_t len)
{
	return (size_t)((len + (uint64_t)pagesz - 1) & ~(uint64_t)(pagesz - 1));
}

/* Marks a new vma of segment g as the kernel's shm_open does (atime,
 * lpid; a piece cut off another counts too); with dtime, a closed one
 * (shm_close). Nothing may be staged. */
static void touch(struct emul_seg *g, int opened, int closed)
{
	struct emul_seg n = *g;
	time_t now = time(NULL);

	n.lpid = emul_pid;
	if (opened)
		n.atime = now;
	if (closed)
		n.dtime = now;
	emul_jput(g, &n, sizeof n);
	emul_jcommit();
}

/* Records piece l of an attachment in the registry (counted from now)
 * and in the table. -1: no room (ENOMEM). */
static int add_piece(struct lat l)
{
	struct emul_att at;
	int rec;

	if (nlat == LAT_MAX || (rec = free_att()) < 0)
		return -1;
	at = (struct emul_att){1, l.slot, l.seq, emul_pid, emul_start, l.addr};
	emul_jput(&emul_reg->att[rec], &at, sizeof at);
	emul_jcommit();
	l.rec = rec;
	lat[nlat++] = l;
	return 0;
}

/* [a, a + len) is no longer mapped: pieces inside it are detached, a
 * piece that keeps both ends becomes two (the kernel splits the vma: one
 * more attachment), one that keeps one end shrinks. Pieces of shmat
 * skip are left alone. */
static void cut(uintptr_t a, size_t len, uint32_t skip)
{
	uintptr_t e = a + len;

	/* downwards: forget() moves the last entry, already seen, to i */
	for (int i = nlat - 1; i >= 0; i--) {
		struct lat *l = &lat[i], r;
		uintptr_t le = l->addr + l->len;
		struct emul_seg *g = &emul_reg->seg[l->slot];
		int live = g->state != ES_FREE && g->seq == l->seq;

		if (l->att == skip || le <= a || l->addr >= e)
			continue;
		if (l->addr >= a && le <= e) {
			forget(i);
			continue;
		}
		r = *l;
		if (l->addr < a)
			l->len = a - l->addr;
		else
			l = NULL;
		if (le > e) {
			r.off += e - r.addr;
			r.len = le - e;
			r.addr = e;
			if (!l)
				lat[i] = r;
			else if (live && add_piece(r))
				shim_warn("System V emulation: no room to count a %s attachment", "split");
		}
		if (live)
			touch(g, 1, 1);
	}
}

static void *attach(int id, uintptr_t a, int fixed, int flg)
{
	int rdonly = (flg & SHM_RDONLY) != 0, prot, fd, mflags;
	struct emul_seg *g;
	struct lat l;
	uint32_t slot;
	void *p;

	fresh_fd = -1;
	if (!(g = seg_of_id(id, &slot)))
		return fail_p(EINVAL);
	if (denied(g, (rdonly ? 0444 : 0666) | (flg & SHM_EXEC ? 0111 : 0)))
		return fail_p(EACCES);
	if (nlat == LAT_MAX || free_att() < 0)
		return fail_p(ENOMEM);
	if ((fd = backing_fd(slot, g, !rdonly)) < 0)
		return SHMAT_FAILED;
	/* a dead process's detach came first: released before ours is set */
	nattch(slot, g->seq);
	prot = PROT_READ | (rdonly ? 0 : PROT_WRITE) | (flg & SHM_EXEC ? PROT_EXEC : 0);
	mflags = MAP_SHARED | (fixed ? (flg & SHM_REMAP ? MAP_FIXED : MAP_FIXED_NOREPLACE) : 0);
	p = shim_next.mmap((void *)a, g->size, prot, mflags, fd, 0);
	if (p == MAP_FAILED)
		return fail_p(errno == EEXIST ? EINVAL : errno);
	if (fixed && (uintptr_t)p != a) {
		shim_next.munmap(p, g->size);
		return fail_p(EINVAL);
	}
	if (!++att_serial)
		att_serial = 1;
	l = (struct lat){(uintptr_t)p, pgup(g->size), 0, g->size, slot, g->seq, att_serial, -1};
	if (add_piece(l)) {
		shim_next.munmap(p, g->size);
		return fail_p(ENOMEM);
	}
	touch(g, 1, 0);
	/* SHM_REMAP replaced whatever was there: pieces it covered are gone,
	 * as the kernel counts them (after the new one is recorded, so a
	 * removed segment is not freed under it) */
	if (fixed)
		cut(a, pgup(g->size), att_serial);
	return p;
}

static void *e_shmat(int id, const void *addr, int flg)
{
	uintptr_t a = (uintptr_t)addr;
	int fixed = a != 0;
	void *p;

	if (id < 0)
		return fail_p(EINVAL);
	if (!is_emul_id(id)) {
		p = shim_next.shmat(id, addr, flg);
		if (p != SHMAT_FAILED)
			__atomic_add_fetch(&kernel_att, 1, __ATOMIC_RELAXED);
		return p;
	}
	shim_tls()->emul_took = 1;
	if (a & (uintptr_t)(pagesz - 1)) {
		if (!(flg & SHM_RND))
			return fail_p(EINVAL);
		a &= ~(uintptr_t)(pagesz - 1);
		if (!a && (flg & SHM_REMAP))
			return fail_p(EINVAL);
	} else if (!a && (flg & SHM_REMAP)) {
		return fail_p(EINVAL);
	}
	if (reach_id())
		return SHMAT_FAILED;
	if (emul_lock())
		return fail_p(ENOSYS);
	p = attach(id, a, fixed, flg);
	bounds();
	emul_unlock();
	return p;
}

/* ----------------------------------------------------------- shmdt */

/* Forgets attachment i of this process: its mapping is gone. */
static void forget(int i)
{
	struct lat l = lat[i];
	struct emul_seg n, *g = &emul_reg->seg[l.slot];

	lat[i] = lat[--nlat];
	if (l.rec >= 0)
		__atomic_store_n(&emul_reg->att[l.rec].used, 0, __ATOMIC_RELEASE);
	if (g->state == ES_FREE || g->seq != l.seq)
		return;
	nattch(l.slot, l.seq);
	n = *g;
	n.dtime = time(NULL);
	n.lpid = emul_pid;
	emul_jput(g, &n, sizeof n);
	emul_jcommit();
	if (g->state == ES_DEST && !nattch(l.slot, l.seq))
		seg_free(l.slot);
}

/* The kernel's shmdt: the first piece above addr that shmat put at addr
 * (a piece's address less its offset), and the other pieces of that
 * shmat put there that end within the segment's size from addr. */
static int detach(uintptr_t a)
{
	int first = -1;
	uint32_t att;

	for (int i = 0; i < nlat; i++)
		if (lat[i].addr - lat[i].off == a && (first < 0 || lat[i].addr < lat[first].addr))
			first = i;
	if (first < 0)
		return -1;
	att = lat[first].att;
	shim_next.munmap((void *)lat[first].addr, lat[first].len);
	forget(first);
	for (int i = nlat - 1; i >= 0; i--)
		if (lat[i].att == att && lat[i].addr - lat[i].off == a &&
		    lat[i].addr + lat[i].len - a <= pgup(lat[i].size)) {
			shim_next.munmap((void *)lat[i].addr, lat[i].len);
			forget(i);
		}
	return 0;
}

static int e_shmdt(const void *addr)
{
	int i;

	if (emul_reg && !emul_lock()) {
		i = detach((uintptr_t)addr);
		bounds();
		emul_unlock();
		if (!i) {
			shim_tls()->emul_took = 1;
			return 0;
		}
	}
	if (!__atomic_load_n(&kernel_att, __ATOMIC_RELAXED))
		return fail(EINVAL);
	i = shim_next.shmdt(addr);
	if (!i)
		__atomic_sub_fetch(&kernel_att, 1, __ATOMIC_RELAXED);
	return i;
}

/* ------------------------------------------------- munmap, mremap */

static int emul_maps(uintptr_t addr, size_t len)
{
	uintptr_t end = addr + (len ? len : 1);
	int n = __atomic_load_n(&nlat, __ATOMIC_RELAXED);

	for (int i = 0; i < n && i < LAT_MAX; i++)
		if (lat[i].addr < end && addr < lat[i].addr + lat[i].len)
			return 1;
	return 0;
}

/* An unmapping of (part of) an attachment is a detach of what it
 * unmapped, as the kernel counts vmas. */
static int e_munmap(void *addr, size_t len)
{
	int r = shim_next.munmap(addr, len);
	int e = errno;

	if (r || !emul_reg || emul_lock())
		return r;
	if (emul_maps((uintptr_t)addr, pgup(len))) {
		shim_tls()->emul_took = 1;
		cut((uintptr_t)addr, pgup(len), 0);
		bounds();
	}
	emul_unlock();
	errno = e;
	return r;
}

/* mremap of a piece: shrunk in place, its tail is detached; grown in
 * place, it grows; moved (or copied: MREMAP_DONTUNMAP, old size 0), the
 * new place is a piece of the same shmat (shmdt finds it by its address
 * less its offset, as the kernel's) and the old range, unless kept, is
 * detached. */
static void remapped(uintptr_t o, size_t osz, uintptr_t n, size_t nsz, int flags)
{
	int i, keep = (flags & MREMAP_DONTUNMAP) || !osz;
	struct emul_seg *g;
	struct lat l;

	for (i = 0; i < nlat && !(lat[i].addr <= o && o < lat[i].addr + lat[i].len); i++)
		;
	if (i == nlat)
		return;
	shim_tls()->emul_took = 1;
	l = lat[i];
	g = &emul_reg->seg[l.slot];
	if (n == o && !keep) {
		if (nsz < osz)
			cut(o + nsz, osz - nsz, 0);
		else
			lat[i].len = o - l.addr + nsz;
		return;
	}
	l.off += o - l.addr;
	l.addr = n;
	l.len = nsz;
	if (g->state != ES_FREE && g->seq == l.seq) {
		if (add_piece(l))
			shim_warn("System V emulation: no room to count a %s attachment", "moved");
		touch(g, 1, 0);
	}
	if (!keep)
		cut(o, osz, 0);
}

static void *e_mremap(void *old, size_t osz, size_t nsz, int flags, ...)
{
	void *na = NULL, *p;
	int e;

	if (flags & MREMAP_FIXED) {
		va_list ap;

		va_start(ap, flags);
		na = va_arg(ap, void *);
		va_end(ap);
	}
	p = shim_next.mremap(old, osz, nsz, flags, na);
	e = errno;
	if (p == MAP_FAILED || !emul_reg || emul_lock())
		return p;
	remapped((uintptr_t)old, pgup(osz), (uintptr_t)p, pgup(nsz), flags);
	bounds();
	emul_unlock();
	errno = e;
	return p;
}

/* ---------------------------------------------------------- shmctl */

static void stat_of(const struct emul_seg *g, uint32_t slot, struct shmid_ds *b)
{
	/* first: the release of a dead process's attachments sets lpid, dtime */
	unsigned n = nattch(slot, g->seq);

	memset(b, 0, sizeof *b);
	b->shm_perm.__key = g->key;
	b->shm_perm.uid = g->uid;
	b->shm_perm.gid = g->gid;
	b->shm_perm.cuid = g->cuid;
	b->shm_perm.cgid = g->cgid;
	b->shm_perm.mode = g->mode;
	b->shm_perm.__seq = (unsigned short)g->seq;
	b->shm_segsz = g->size;
	b->shm_atime = g->atime;
	b->shm_dtime = g->dtime;
	b->shm_ctime = g->ctime;
	b->shm_cpid = g->cpid;
	b->shm_lpid = g->lpid;
	b->shm_nattch = n;
}

/* The data object follows the owner, group and mode that IPC_SET gave
 * the segment, so the kernel goes on checking data access as the registry
 * does (only root may give a file to another user: otherwise the owner
 * stays, and the group when this process is not in the new one). A
 * removed segment's object has no name: this process's descriptor, if it
 * has one. An O_PATH descriptor needs no access to the data. */
static void follow_owner(uint32_t slot, const struct emul_seg *g)
{
	char path[EMUL_NAME_BUF + 32];
	struct stat st;
	int fd = fdc[slot].fd1 - 1, own = 0;

	if (fd < 0 || fdc[slot].seq != g->seq) {
		if (!g->name[0])
			return;
		snprintf(path, sizeof path, "/dev/shm%s", g->name);
		if ((fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
			return;
		own = 1;
	}
	if (!fstat(fd, &st) && (uint64_t)st.st_ino == g->ino) {
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		if ((st.st_uid != g->uid || st.st_gid != g->gid) && chown(path, g->uid, g->gid))
			(void)!chown(path, (uid_t)-1, g->gid);
		chmod(path, g->mode & 0777);
	}
	if (own)
		shim_next.close(fd);
}

static int set(struct emul_seg *g, uint32_t slot, const struct shmid_ds *b)
{
	struct emul_seg n;

	if (not_owner(g))
		return fail(EPERM);
	n = *g;
	n.uid = b->shm_perm.uid;
	n.gid = b->shm_perm.gid;
	n.mode = (g->mode & ~0777u) | (b->shm_perm.mode & 0777);
	n.ctime = time(NULL);
	emul_jput(g, &n, sizeof n);
	emul_jcommit();
	follow_owner(slot, g);
	return 0;
}

static unsigned long pages(uint64_t size)
{
	return (unsigned long)((size + (uint64_t)pagesz - 1) / (uint64_t)pagesz);
}

/* SHM_LOCK and SHM_UNLOCK as the kernel checks them: CAP_IPC_LOCK, or
 * the owner or creator, who may lock only with a RLIMIT_MEMLOCK above 0
 * and within it (ENOMEM), counting the segments its real uid locked in
 * this namespace. Only the flag is kept: the pages are not pinned. */
static int lock_seg(struct emul_seg *g, int lock)
{
	int cap = capable(CAP_IPC_LOCK);
	uid_t eu = geteuid(), ru = getuid();
	unsigned long held = 0;
	struct emul_seg n;
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		rl.rlim_cur = RLIM_INFINITY;
	if (!cap && eu != g->uid && eu != g->cuid)
		return fail(EPERM);
	if (!cap && lock && !rl.rlim_cur)
		return fail(EPERM);
	if (!lock == !(g->mode & SHM_LOCKED))
		return 0;
	if (lock && !cap && rl.rlim_cur != RLIM_INFINITY) {
		for (uint32_t s = 0; s < emul_reg->seg_hi && s < EMUL_NSEG; s++) {
			const struct emul_seg *o = &emul_reg->seg[s];

			if (o->state != ES_FREE && (o->mode & SHM_LOCKED) && o->lock_uid == ru)
				held += pages(o->size);
		}
		if (held + pages(g->size) > rl.rlim_cur / (rlim_t)pagesz)
			return fail(ENOMEM);
	}
	n = *g;
	n.mode ^= SHM_LOCKED;
	n.lock_uid = ru;
	emul_jput(g, &n, sizeof n);
	emul_jcommit();
	return 0;
}

static int rmid(struct emul_seg *g, uint32_t slot)
{
	struct emul_seg n;
	char name[EMUL_NAME_BUF];

	if (not_owner(g))
		return fail(EPERM);
	if (g->state == ES_DEST)
		return 0;
	memcpy(name, g->name, sizeof name);
	if (!nattch(slot, g->seq)) {
		seg_free(slot);
	} else {
		n = *g;
		n.state = ES_DEST;
		n.key = IPC_PRIVATE;
		n.mode |= SHM_DEST;
		n.name[0] = 0;
		emul_jput(g, &n, sizeof n);
		emul_jcommit();
	}
	/* after the commit: a crash in between leaves an orphan name, which
	 * the next creator of that name replaces */
	shim_next.shm_unlink(name);
	return 0;
}

/* The highest index in use (live or removed and attached), 0 if none,
 * as the kernel returns it; used ids, pages and resident pages. */
static int usage(int *used, unsigned long *tot, unsigned long *rss)
{
	int hi = 0;

	*used = 0;
	*tot = *rss = 0;
	for (uint32_t s = 0; emul_reg && s < emul_reg->seg_hi && s < EMUL_NSEG; s++) {
		const struct emul_seg *g = &emul_reg->seg[s];
		char path[EMUL_NAME_BUF + 16];
		struct stat st;
		int fd;

		if (g->state == ES_FREE)
			continue;
		++*used;
		hi = EMUL_IDX_BASE + (int)s;
		*tot += pages(g->size);
		/* resident: the pages tmpfs holds for the object (a removed
		 * segment's object: through this process's descriptor only) */
		fd = fdc[s].fd1 - 1;
		if (fd >= 0 && fdc[s].seq == g->seq && !fstat(fd, &st) && (uint64_t)st.st_ino == g->ino) {
			*rss += (unsigned long)st.st_blocks * 512 / (unsigned long)pagesz;
			continue;
		}
		snprintf(path, sizeof path, "/dev/shm%s", g->name);
		if (g->name[0] && !stat(path, &st) && (uint64_t)st.st_ino == g->ino)
			*rss += (unsigned long)st.st_blocks * 512 / (unsigned long)pagesz;
	}
	return hi;
}

/* IPC_INFO and SHM_INFO: the emulation's own capacities and usage.
 * shmmni: its slots; shmseg: the attachments a process may hold; shmall:
 * the pages of the file system that holds the data (/dev/shm). */
static int info(int c, void *buf)
{
	unsigned long tot, rss;
	struct statvfs vfs;
	int used, hi;

	if (!buf)
		return fail(EFAULT);
	if (emul_reach(0) && errno != ENOENT)
		return -1;
	if (emul_reg && emul_lock())
		return fail(ENOSYS);
	hi = usage(&used, &tot, &rss);
	if (emul_reg)
		emul_unlock();
	if (c == IPC_INFO) {
		struct shminfo *i = buf;

		memset(i, 0, sizeof *i);
		i->shmmax = shmmax;
		i->shmmin = 1;
		i->shmmni = EMUL_NSEG;
		i->shmseg = LAT_MAX;
		i->shmall = statvfs("/dev/shm", &vfs) ? ULONG_MAX / (unsigned long)pagesz :
			(unsigned long)(vfs.f_blocks * vfs.f_frsize / (unsigned long)pagesz);
	} else {
		struct shm_info *i = buf;

		memset(i, 0, sizeof *i);
		i->used_ids = used;
		i->shm_tot = tot;
		i->shm_rss = rss;
	}
	return hi;
}

/* SHM_STAT and SHM_STAT_ANY of an emulated index: the segment's id. */
static int stat_idx(int idx, int any, struct shmid_ds *buf)
{
	struct emul_seg *g;
	uint32_t slot = (uint32_t)(idx - EMUL_IDX_BASE);
	int r;

	if (reach_id())
		return -1;
	if (emul_lock())
		return fail(ENOSYS);
	if (!(g = seg_in(slot)))
		r = fail(EINVAL);
	else if (!any && denied(g, 0444))
		r = fail(EACCES);
	else if (!buf)
		r = fail(EFAULT);
	else {
		stat_of(g, slot, buf);
		r = id_of(slot, g->seq);
	}
	emul_unlock();
	return r;
}

static int e_shmctl(int id, int cmd, struct shmid_ds *buf)
{
	int c = cmd & ~IPC_64, r;
	struct emul_seg *g;
	uint32_t slot;

	if (c == IPC_INFO || c == SHM_INFO) {
		shim_tls()->emul_took = 1;
		return info(c, buf);
	}
	/* an index of the emulation's range is the emulation's, any other
	 * the kernel's */
	if (c == SHM_STAT || c == SHM_STAT_ANY) {
		if ((id < EMUL_IDX_BASE || id >= EMUL_IPCMNI) && !all_emulated)
			return shim_next.shmctl(id, cmd, buf);
		shim_tls()->emul_took = 1;
		if (id < EMUL_IDX_BASE || id >= EMUL_IPCMNI)
			return fail(EINVAL);
		return stat_idx(id, c == SHM_STAT_ANY, buf);
	}
	if (id < 0)
		return fail(EINVAL);
	if (!is_emul_id(id))
		return shim_next.shmctl(id, cmd, buf);
	if (c != IPC_STAT && c != IPC_SET && c != IPC_RMID && c != SHM_LOCK && c != SHM_UNLOCK)
		return fail(EINVAL);
	shim_tls()->emul_took = 1;
	if (c == IPC_SET && !buf)
		return fail(EFAULT);
	if (reach_id())
		return -1;
	if (emul_lock())
		return fail(ENOSYS);
	if (!(g = seg_of_id(id, &slot))) {
		r = fail(EINVAL);
	} else if (c == IPC_STAT) {
		if (denied(g, 0444))
			r = fail(EACCES);
		else if (!buf)
			r = fail(EFAULT);
		else {
			stat_of(g, slot, buf);
			r = 0;
		}
	} else if (c == IPC_SET) {
		r = set(g, slot, buf);
	} else if (c == SHM_LOCK || c == SHM_UNLOCK) {
		r = lock_seg(g, c == SHM_LOCK);
	} else {
		r = rmid(g, slot);
	}
	emul_unlock();
	return r;
}

/* ------------------------------------------------- fork and start-up */

/* The child inherits the parent's mappings: each counts as an attachment
 * of the child too (as the kernel counts them). Allocation-free. */
void emul_shm_child(void)
{
	if (nlat && emul_reg && !emul_lock()) {
		for (int i = 0; i < nlat; i++) {
			struct emul_seg *g = &emul_reg->seg[lat[i].slot];
			struct emul_att *a;
			int rec;

			lat[i].rec = -1;
			if (g->state == ES_FREE || g->seq != lat[i].seq || (rec = free_att()) < 0)
				continue;
			a = &emul_reg->att[rec];
			a->slot = lat[i].slot;
			a->seq = lat[i].seq;
			a->pid = emul_pid;
			a->start = emul_start;
			a->addr = lat[i].addr;
			/* published by the last store: no journal needed */
			__atomic_store_n(&a->used, 1, __ATOMIC_RELEASE);
			lat[i].rec = rec;
		}
		emul_unlock();
	}
}

/* A new program image has no attachments: records of this pid and start
 * time are from before an exec. Removed segments they kept are freed. */
void emul_shm_start(void)
{
	int any = 0;

	if (emul_lock())
		return;
	for (int i = 0; i < EMUL_NATT; i++) {
		struct emul_att *a = &emul_reg->att[i];

		if (a->used && a->pid == emul_pid && a->start == emul_start) {
			release(i);
			any = 1;
		}
	}
	for (uint32_t s = 0; any && s < EMUL_NSEG; s++)
		if (emul_reg->seg[s].state == ES_DEST && !nattch(s, emul_reg->seg[s].seq))
			seg_free(s);
	emul_unlock();
}

uint64_t emul_shm_setup(struct shim_next *calls)
{
	long long mx;

	all_emulated = rules_all_emulated(shim_rules, RF_SYSV_SHM);
	calls->shmget = e_shmget;
	calls->shmat = e_shmat;
	calls->shmdt = e_shmdt;
	calls->shmctl = e_shmctl;
	calls->munmap = e_munmap;
	calls->mremap = e_mremap;
	pagesz = sysconf(_SC_PAGESIZE);
	mx = emul_read_num("/proc/sys/kernel/shmmax", 0);
	shmmax = mx > 0 ? (unsigned long long)mx : (unsigned long long)LLONG_MAX;
	return OPBIT(SHMGET) | OPBIT(SHMAT) | OPBIT(SHMDT) | OPBIT(SHMCTL) | OPBIT(MUNMAP) |
	       OPBIT(MREMAP);
}

void emul_fail_closed(void)
{
	broken = 1;
	shim_warn("System V emulation unavailable: %s; calls routed to it fail with ENOSYS",
		  emul_state_why());
}
