/* SPDX-License-Identifier: MIT */
/* The IPC objects of the host, their users and verdicts (objects.h): the
 * collection shared by nipc ls and nipc clean. */
#include "config.h"

#include "common.h"
#include "objects.h"
#include "../shim/emul_state.h"
#include "../shim/ledger.h"
#include "../shim/rules.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const verdict_names[4] = {"in-use", "orphan", "idle", "unknown"};

struct obj *objs;
size_t nobjs;
static size_t cobjs;
struct procscan *ps;
static const char *who = "ls";
static long long btime;
static long hz;

static struct obj *new_obj(const char *type)
{
	if (nobjs == cobjs) {
		size_t c = cobjs ? cobjs * 2 : 256;
		struct obj *o = realloc(objs, c * sizeof *o);

		if (!o)
			return NULL;
		objs = o;
		cobjs = c;
	}
	struct obj *o = &objs[nobjs++];
	memset(o, 0, sizeof *o);
	o->type = type;
	o->nattch = o->nsems = -1;
	o->id = o->qt_lock = -1;
	return o;
}

void obj_free(struct obj *o)
{
	free(o->name);
	free(o->keyfile);
	free(o->qt_lockfile);
}

/* A string of the object's; an allocation failure leaves it NULL (the
 * cell reads "-"). */
static void set_str(char **dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_str(char **dst, const char *fmt, ...)
{
	va_list ap;

	free(*dst);
	va_start(ap, fmt);
	if (vasprintf(dst, fmt, ap) < 0)
		*dst = NULL;
	va_end(ap);
}

/* ---------------------------------------------------------- liveness */

/* Alive and started no later than at (epoch seconds): a pid reused after
 * the object was made reads as dead. at 0: alive is enough. The start is
 * rounded down, and a second of slack covers btime moving with the clock
 * (it is the wall clock minus the uptime, recomputed at each read). */
static const struct procscan_proc *alive_since(pid_t pid, long long at)
{
	const struct procscan_proc *p = pid > 0 ? procscan_find(ps, pid) : NULL;

	if (!p || (at && btime + (long long)(p->start / (uint64_t)hz) > at + 1))
		return NULL;
	return p;
}

static void set_creator(struct obj *o)
{
	const struct procscan_proc *p;

	if (o->cpid <= 0)
		return;
	p = alive_since(o->cpid, o->ctime);
	o->creator = p ? 1 : 2;
	if (p)
		memcpy(o->ccomm, p->comm, sizeof o->ccomm);
}

/* The users of every object, each object's in one run. */
static const struct procscan_proc **upool;
static size_t nupool, cupool;

const struct procscan_proc *obj_user(const struct obj *o, int i)
{
	return upool[o->user_at + (unsigned)i];
}

static void add_user(struct obj *o, const struct procscan_proc *p)
{
	for (int i = 0; i < o->nshown; i++)
		if (upool[o->user_at + (unsigned)i] == p)
			return;
	o->nusers++;
	if (o->nshown == MAXU || (size_t)UINT_MAX - MAXU < nupool)
		return;
	if (nupool + MAXU >= cupool) {
		size_t c = cupool ? cupool * 2 : 1024;
		const struct procscan_proc **nu = realloc(upool, c * sizeof *nu);

		if (!nu)
			return;
		upool = nu;
		cupool = c;
	}
	/* objects take their users in turn; one that comes back moves its
	 * run to the end */
	if (o->nshown && o->user_at + (unsigned)o->nshown != nupool) {
		memcpy(&upool[nupool], &upool[o->user_at], (size_t)o->nshown * sizeof *upool);
		o->user_at = (unsigned)nupool;
		nupool += (size_t)o->nshown;
	}
	if (!o->nshown)
		o->user_at = (unsigned)nupool;
	upool[nupool++] = p;
	o->nshown++;
}

static void users_of(struct obj *o, dev_t dev, ino_t ino)
{
	int idx[MAXU], nprocs;
	const struct procscan_proc *procs = procscan_procs(ps, &nprocs);
	int n = procscan_users(ps, dev, ino, idx, MAXU);

	for (int i = 0; i < n && i < MAXU; i++)
		add_user(o, &procs[idx[i]]);
	if (n > MAXU)
		o->nusers = n;
}

/* Could another user's process that nipc cannot read use o? One of its
 * owner's, or any if the mode lets others in. A process of nipc's own
 * user that it cannot read (one outside its namespace, hardened by a
 * security module) is not counted: nipc has the privilege it could
 * have, and that process shows nowhere, as with fuser or lsof. */
static int hidden_users(const struct obj *o)
{
	static int done, any, nuids;
	static uid_t uids[64];
	int n;
	const struct procscan_proc *p;

	if (!done) {
		p = procscan_procs(ps, &n);
		for (int i = 0; i < n; i++) {
			int k = 0;

			if (!p[i].unreadable || p[i].uid == geteuid())
				continue;
			any = 1;
			while (k < nuids && uids[k] != p[i].uid)
				k++;
			if (k == nuids && nuids < 64)
				uids[nuids++] = p[i].uid;
			else if (k == nuids)
				any = 2;        /* too many users to list: all count */
		}
		done = 1;
	}
	if (!any)
		return 0;
	if (o->mode & 066 || any == 2)
		return 1;
	for (int k = 0; k < nuids; k++)
		if (uids[k] == o->uid)
			return 1;
	return 0;
}

/* -------------------------------------------------- /proc/sysvipc/... */

enum { F_KEY, F_ID, F_PERMS, F_SIZE, F_NSEMS, F_CPID, F_LPID, F_NATTCH, F_UID,
       F_CTIME, F_OTIME, F_QNUM, F_CBYTES, F_LSPID, F_LRPID, F_ATIME, F_DTIME,
       F_STIME, F_RTIME, F_N };
static const char *const field_names[F_N] = {
	"key", "", "perms", "size", "nsems", "cpid", "lpid", "nattch", "uid",
	"ctime", "otime", "qnum", "cbytes", "lspid", "lrpid", "atime", "dtime",
	"stime", "rtime",
};

/* Reads a /proc/sysvipc file: the columns found by name in its header
 * (the second is the id: shmid, semid, msqid). fill() takes what the
 * kernel says of an object; it runs while /proc is scanned, so it must
 * not look at the scan (the judge_*() functions do, after). */
static int read_sysvipc(const char *path, const char *type, int (*fill)(struct obj *, long long *))
{
	FILE *f = fopen(path, "re");
	char line[1024];
	int col[32], ncol = 0;

	if (!f)
		return errno == ENOENT ? 0 : -1;
	if (!fgets(line, sizeof line, f)) {
		fclose(f);
		return 0;
	}
	for (char *s, *t = strtok_r(line, " \t\n", &s); t && ncol < 32; t = strtok_r(NULL, " \t\n", &s)) {
		col[ncol] = -1;
		for (int k = 0; k < F_N; k++)
			if (ncol == 1 ? k == F_ID : !strcmp(t, field_names[k]))
				col[ncol] = k;
		ncol++;
	}
	while (fgets(line, sizeof line, f)) {
		long long v[F_N];
		char *s, *t = strtok_r(line, " \t\n", &s);
		struct obj *o;

		for (int k = 0; k < F_N; k++)
			v[k] = -1;
		for (int i = 0; t && i < ncol; i++, t = strtok_r(NULL, " \t\n", &s))
			if (col[i] >= 0)
				v[col[i]] = strtoll(t, NULL, col[i] == F_PERMS ? 8 : 10);
		if (!(o = new_obj(type))) {
			fclose(f);
			errno = ENOMEM;
			return -1;
		}
		o->has_key = o->has_id = 1;
		o->key = (int32_t)v[F_KEY];
		o->id = v[F_ID];
		o->mode = (unsigned)v[F_PERMS];
		o->uid = (uid_t)v[F_UID];
		o->ctime = v[F_CTIME];
		/* last use: creation or IPC_SET, and each attach, detach,
		 * semop, msgsnd or msgrcv (the times of the kind that has them) */
		o->used = o->ctime;
		for (int k = F_OTIME; k < F_N; k++)
			if ((k == F_OTIME || k >= F_ATIME) && v[k] > o->used)
				o->used = v[k];
		if (fill(o, v) < 0) {
			fclose(f);
			errno = ENOMEM;
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static int read_shm(struct obj *o, long long *v)
{
	o->size = (unsigned long long)v[F_SIZE];
	o->nattch = v[F_NATTCH];
	o->cpid = (pid_t)v[F_CPID];
	o->lpid = (pid_t)v[F_LPID];
	if (o->nattch > 0) {
		o->verdict = V_INUSE;
		o->why = "attached";
	} else {
		o->verdict = V_IDLE;
		o->why = "no attachment";
	}
	return 0;
}

/* The semaphores' last operators (GETPID), for every set, in one pool. */
static pid_t *sempids;
static size_t nsempids, csempids;

static int read_sem(struct obj *o, long long *v)
{
	union semun { int val; void *buf; } arg = {0};

	o->nsems = v[F_NSEMS];
	o->otime = v[F_OTIME];
	o->sempid = nsempids;
	for (int i = 0; i < o->nsems; i++) {
		int n = semctl((int)o->id, i, GETNCNT, arg), z = semctl((int)o->id, i, GETZCNT, arg);
		int p = semctl((int)o->id, i, GETPID, arg);

		if (n < 0 || z < 0 || p < 0) {
			o->denied = 1;
			break;
		}
		o->waiters += n + z;
		if (nsempids == csempids) {
			size_t c = csempids ? csempids * 2 : 1024;
			pid_t *np = realloc(sempids, c * sizeof *np);

			if (!np)
				return -1;
			sempids = np;
			csempids = c;
		}
		sempids[nsempids++] = p;
		o->nsempid++;
	}
	return 0;
}

static int read_msg(struct obj *o, long long *v)
{
	o->size = (unsigned long long)(v[F_CBYTES] > 0 ? v[F_CBYTES] : 0);
	o->nattch = -1;
	o->lspid = (pid_t)v[F_LSPID];
	o->lrpid = (pid_t)v[F_LRPID];
	o->lpid = o->lspid > 0 ? o->lspid : o->lrpid;
	return 0;
}

static void judge_shm(struct obj *o)
{
	set_creator(o);
	users_of(o, PROCSCAN_SYSV_DEV, (ino_t)o->id);
}

static void judge_sem(struct obj *o)
{
	int live_op = 0;
	pid_t last = 0;

	for (int i = 0; i < o->nsempid; i++) {
		pid_t p = sempids[o->sempid + (size_t)i];

		if (p > 0) {
			const struct procscan_proc *pp = alive_since(p, o->otime > 0 ? o->otime : 0);

			last = p;
			if (pp) {
				live_op = 1;
				o->lpid = p;
				add_user(o, pp);
			}
		}
	}
	if (!o->lpid)
		o->lpid = last;
	if (o->waiters) {
		o->verdict = V_INUSE;
		o->why = "waiters";
	} else if (live_op) {
		o->verdict = V_INUSE;
		o->why = "last operator alive";
	} else if (o->denied) {
		o->verdict = V_UNKNOWN;
		o->why = "no permission to read it";
	} else if (o->otime <= 0) {
		o->verdict = V_IDLE;
		o->why = "never operated on";
	} else {
		o->verdict = V_UNKNOWN;
		o->why = "no evidence (last operator gone)";
	}
}

static void judge_msg(struct obj *o)
{
	const struct procscan_proc *p;
	pid_t pids[2] = {o->lspid, o->lrpid};

	o->verdict = V_IDLE;
	o->why = "no live sender or receiver";
	for (int k = 0; k < 2; k++)
		if (pids[k] > 0 && (p = alive_since(pids[k], 0))) {
			add_user(o, p);
			o->verdict = V_INUSE;
			o->why = "last sender or receiver alive";
		}
}

/* ------------------------------------------------------------- POSIX */

static int is_emul_name(const char *n)
{
	return !strncmp(n, "nipc.sysv.", 10) || !strncmp(n, "nipc.ledger.", 12);
}

/* The shim's creation ledger (shim/ledger.h), mapped once; NULL: none. */
static struct ledger_head *ledger;
static int ledger_tried;

/* What the ledger says of a POSIX object: its creator (pid, alive by
 * start time, command), and an orphan when its policy removes it and the
 * creator is dead. */
static void from_ledger(struct obj *o, unsigned fam)
{
	const struct ledger_rec *r = NULL;

	if (!ledger_tried) {
		ledger_tried = 1;
		ledger = ledger_open(0);
	}
	if (!ledger)
		return;
	for (int i = 0; i < LEDGER_SLOTS && !r; i++)
		if (__atomic_load_n(&ledger->rec[i].state, __ATOMIC_ACQUIRE) == LR_LIVE &&
		    ledger->rec[i].family == fam && ledger->rec[i].dev == (uint64_t)o->dev &&
		    ledger->rec[i].ino == (uint64_t)o->ino)
			r = &ledger->rec[i];
	if (!r)
		return;
	o->cpid = r->pid;
	o->creator = ledger_alive(r->pid, r->start) ? 1 : 2;
	memcpy(o->ccomm, r->comm, sizeof o->ccomm);
	o->ccomm[sizeof o->ccomm - 1] = 0;
	if (o->verdict == V_IDLE && o->creator == 2 &&
	    (r->cleanup == RC_EXIT || r->cleanup == RC_LAST_DETACH)) {
		o->verdict = V_ORPHAN;
		o->why = r->cleanup == RC_EXIT ? "ledger: cleanup=exit, creator dead"
					       : "ledger: cleanup=last-detach, creator dead";
	}
}

static int read_dir(const char *dir, int mq)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		struct obj *o;
		int sem = !mq && !strncmp(e->d_name, "sem.", 4);

		if (e->d_name[0] == '.' || (!mq && is_emul_name(e->d_name)) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (!(o = new_obj(mq ? "posix-mq" : sem ? "posix-sem" : "posix-shm"))) {
			closedir(d);
			return -1;
		}
		set_str(&o->name, "posix:/%s", e->d_name + (sem ? 4 : 0));
		o->uid = st.st_uid;
		o->mode = st.st_mode & 07777;
		o->size = (unsigned long long)st.st_size;
		o->ctime = st.st_ctime;
		/* last use: the newest of its times (a write through a mapping
		 * need not move mtime; atime moves as the mount's policy says) */
		o->used = st.st_ctime > st.st_mtime ? st.st_ctime : st.st_mtime;
		if (st.st_atime > o->used)
			o->used = st.st_atime;
		o->dev = st.st_dev;
		o->ino = st.st_ino;
	}
	closedir(d);
	return 0;
}

static void judge_posix(struct obj *o)
{
	int sem = !strcmp(o->type, "posix-sem"), mq = !strcmp(o->type, "posix-mq");

	users_of(o, o->dev, o->ino);
	if (o->nusers) {
		o->verdict = V_INUSE;
		o->why = sem ? "open" : mq ? "open" : "mapped or open";
	} else if (hidden_users(o)) {
		o->verdict = V_UNKNOWN;
		o->why = "processes unreadable without privilege";
	} else {
		o->verdict = V_IDLE;
		o->why = "not mapped or open";
	}
	if (!mq)
		from_ledger(o, sem ? RF_POSIX_SEM : RF_POSIX_SHM);
}

/* ---------------------------------------------- the System V emulation */

static void emul_registry(const char *file)
{
	char path[PATH_MAX];
	struct stat st;
	struct emul_reg *r;
	int fd;

	snprintf(path, sizeof path, "/dev/shm/%s", file);
	/* read-only: the lock is never taken; a torn read shows a stale row */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		say(0, "%s: cannot read the emulation's registry %s: %s", who, path, strerror(errno));
		return;
	}
	if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof *r) {
		close(fd);
		say(0, "%s: %s: not a registry this nipc reads (size)", who, path);
		return;
	}
	r = mmap(NULL, sizeof *r, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (r == MAP_FAILED)
		return;
	if (r->magic != EMUL_MAGIC || r->version != EMUL_VERSION || r->bytes != sizeof *r ||
	    r->idx_base != EMUL_IDX_BASE || r->nseg != EMUL_NSEG || r->natt != EMUL_NATT) {
		say(0, "%s: %s: registry version %u, this nipc reads %u: its objects are not listed",
		    who, path, r->magic == EMUL_MAGIC ? r->version : 0, EMUL_VERSION);
		munmap(r, sizeof *r);
		return;
	}
	for (uint32_t s = 0; s < EMUL_NSEG && s < r->seg_hi; s++) {
		struct emul_seg seg = r->seg[s];
		struct obj *o;

		if (seg.state != ES_LIVE && seg.state != ES_DEST)
			continue;
		if (!(o = new_obj("sysv-shm")))
			break;
		o->emulated = 1;
		o->has_key = o->has_id = 1;
		o->key = seg.key;
		o->id = (long long)seg.seq << 15 | (EMUL_IDX_BASE + s);
		o->uid = seg.uid;
		o->mode = seg.mode;
		o->size = seg.size;
		o->cpid = seg.cpid;
		o->lpid = seg.lpid;
		o->ctime = seg.ctime;
		seg.name[EMUL_NAME_BUF - 1] = 0;
		set_str(&o->name, "posix:%s", seg.name);
		o->nattch = 0;
		for (uint32_t a = 0; a < EMUL_NATT; a++) {
			struct emul_att at = r->att[a];
			const struct procscan_proc *p;

			if (!at.used || at.slot != s || at.seq != seg.seq)
				continue;
			p = procscan_find(ps, at.pid);
			if (p && p->start == at.start) {
				o->nattch++;
				add_user(o, p);
			}
		}
		set_creator(o);
		o->verdict = o->nattch ? V_INUSE : V_IDLE;
		o->why = o->nattch ? "attached (live attachment records)" : "no live attachment";
	}
	for (uint32_t s = 0; s < EMUL_NSET && s < r->set_hi; s++) {
		struct emul_set set = r->set[s];
		struct obj *o;

		if (set.state != ES_LIVE)
			continue;
		if (!(o = new_obj("sysv-sem")))
			break;
		o->emulated = 1;
		o->has_key = o->has_id = 1;
		o->key = set.key;
		o->id = (long long)set.seq << 15 | (EMUL_IDX_BASE + s);
		o->nsems = set.nsems;
		set.name[EMUL_SNAME - 1] = 0;
		set_str(&o->name, "posix:%s", set.name);
		snprintf(path, sizeof path, "/dev/shm%s", set.name);
		if (stat(path, &st) == 0) {
			o->uid = st.st_uid;
			o->mode = st.st_mode & 0777;
			o->ctime = st.st_ctime;
			users_of(o, st.st_dev, st.st_ino);
		}
		o->verdict = o->nusers ? V_INUSE : V_UNKNOWN;
		o->why = o->nusers ? "mapped by a live process" : "no evidence";
	}
	munmap(r, sizeof *r);
}

/* take: the objects of every registry; else only how many there are. */
static int emul_registries(int take)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (is_emul_name(e->d_name) && len > 14 && !strcmp(e->d_name + len - 4, ".reg")) {
			n++;
			if (take)
				emul_registry(e->d_name);
		}
	}
	closedir(d);
	return n;
}

/* ------------------------------------------------------ Qt key files */

/* Qt's QDir::tempPath(): $TMPDIR or /tmp, canonical (a directory whose
 * name leaves no room for a key file's is not searched). */
static const char *temp_dir(void)
{
	static char dir[PATH_MAX / 2];
	char real[PATH_MAX];
	const char *t = getenv("TMPDIR");

	if (!t || !*t)
		t = "/tmp";
	if (!realpath(t, real) || strlen(real) >= sizeof dir)
		return NULL;
	return strcpy(dir, real);
}

static struct obj *find_key(const char *type, int32_t key)
{
	for (size_t i = 0; i < nobjs; i++)
		if (objs[i].has_key && objs[i].key == key && !strcmp(objs[i].type, type))
			return &objs[i];
	return NULL;
}

/* ftok(path, 'Q') from the file's device and inode, as glibc computes it. */
static int32_t qt_ftok(const struct stat *st)
{
	return (int32_t)((uint32_t)'Q' << 24 | ((uint32_t)st->st_dev & 0xff) << 16 |
			 ((uint32_t)st->st_ino & 0xffff));
}

/* Qt 5's last-detach rule leaves nothing once the last process detaches:
 * a segment without attachment whose key file and lock (its semaphore and
 * key file) are still there was abandoned by a process that died. */
static void qt_keyfiles(void)
{
	const char *dir = temp_dir();
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;
	struct stat st, lst;
	int keyed = 0;          /* segments with a key file */

	if (!d)
		return;
	while ((e = readdir(d))) {
		int shm = !strncmp(e->d_name, "qipc_sharedmemory_", 18);
		char path[PATH_MAX / 2 + 300];
		struct obj *o;

		if ((!shm && strncmp(e->d_name, "qipc_systemsem_", 15)) ||
		    fstatat(dirfd(d), e->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		o = find_key(shm ? "sysv-shm" : "sysv-sem", qt_ftok(&st));
		if (o && !o->keyfile) {
			set_str(&o->keyfile, "%s", path);
			keyed += shm;
			continue;
		}
		if (!(o = new_obj("qt-keyfile")))
			break;
		set_str(&o->keyfile, "%s", path);
		o->uid = st.st_uid;
		o->mode = st.st_mode & 07777;
		o->ctime = st.st_ctime;
		o->has_key = 1;
		o->key = qt_ftok(&st);
		o->verdict = V_IDLE;
		o->why = "key file of no object";
	}
	closedir(d);
	/* the orphan rule, once every key file is attached */
	for (size_t i = 0; keyed && i < nobjs; i++) {
		struct obj *o = &objs[i], *lo;
		const char *base;
		char lock[PATH_MAX / 2 + 300];

		if (strcmp(o->type, "sysv-shm") || o->emulated || !o->keyfile || o->nattch != 0)
			continue;
		base = strrchr(o->keyfile, '/') + 1 + 18;
		snprintf(lock, sizeof lock, "%s/qipc_systemsem_%s", dir, base);
		if (stat(lock, &lst) < 0 || !(lo = find_key("sysv-sem", qt_ftok(&lst))))
			continue;
		o->verdict = V_ORPHAN;
		o->why = "Qt segment without attachment, lock and key files left";
		o->qt_lock = lo->id;
		set_str(&o->qt_lockfile, "%s", lock);
		if (lo->verdict != V_INUSE) {
			lo->verdict = V_ORPHAN;
			lo->why = "lock of an orphan Qt segment";
		}
	}
}

/* The /proc pass, on a thread of its own while the kernel's objects are
 * read: the two are independent until the objects are judged. */
struct scan_job {
	struct procscan *ps;
	int maps_only, err;
};

static void *scan_thread(void *arg)
{
	struct scan_job *j = arg;

	j->ps = procscan_new_maps(j->maps_only);
	j->err = errno;
	return NULL;
}

static void reverse(size_t lo, size_t hi)
{
	while (lo + 1 < hi) {
		struct obj t = objs[lo];

		objs[lo++] = objs[--hi];
		objs[hi] = t;
	}
}

/* Moves objs[from, to) before objs[at, from), keeping the order of each. */
static void move_before(size_t at, size_t from, size_t to)
{
	reverse(at, from);
	reverse(from, to);
	reverse(at, to);
}

int objects_collect(int (*wanted)(const char *type), const char *prefix)
{
	struct scan_job job = {NULL, 0, 0};
	sigset_t all, old;
	pthread_t scanner;
	int rc = 0, err = 0, threaded;
	size_t posix_at, emul_at;

#define WANT(t) (!wanted || wanted(t))
	who = prefix;
	btime = procscan_btime();
	hz = procscan_hz();
	/* descriptors hold POSIX objects and the files of the emulation's
	 * semaphore sets, nothing of the kernel's System V objects */
	job.maps_only = !WANT("posix-shm") && !WANT("posix-sem") && !WANT("posix-mq") &&
			!((WANT("sysv-shm") || WANT("sysv-sem")) && emul_registries(0));
	/* signals stay the main thread's */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	threaded = pthread_create(&scanner, NULL, scan_thread, &job) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!threaded)
		scan_thread(&job);
	/* the sources of the families asked for (Qt's segments need their locks) */
	if ((WANT("sysv-shm") && read_sysvipc("/proc/sysvipc/shm", "sysv-shm", read_shm) < 0) ||
	    ((WANT("sysv-sem") || WANT("sysv-shm")) &&
	     read_sysvipc("/proc/sysvipc/sem", "sysv-sem", read_sem) < 0) ||
	    (WANT("sysv-msg") && read_sysvipc("/proc/sysvipc/msg", "sysv-msg", read_msg) < 0))
		err = errno ? errno : EIO;
	posix_at = nobjs;
	if (WANT("posix-shm") || WANT("posix-sem"))
		read_dir("/dev/shm", 0);
	if (WANT("posix-mq"))
		read_dir("/dev/mqueue", 1);
	if (threaded)
		pthread_join(scanner, NULL);
	if (!(ps = job.ps)) {
		objects_free();
		return fail("%s: cannot scan /proc: %s", who, strerror(job.err));
	}
	if (err)
		rc = fail("%s: cannot read /proc/sysvipc: %s", who, strerror(err));
	for (size_t i = 0; i < nobjs; i++)
		if (i >= posix_at)
			judge_posix(&objs[i]);
		else if (!strcmp(objs[i].type, "sysv-shm"))
			judge_shm(&objs[i]);
		else if (!strcmp(objs[i].type, "sysv-sem"))
			judge_sem(&objs[i]);
		else
			judge_msg(&objs[i]);
	/* the emulation's objects are listed after the kernel's System V ones */
	emul_at = nobjs;
	if (WANT("sysv-shm") || WANT("sysv-sem"))
		emul_registries(1);
	move_before(posix_at, emul_at, nobjs);
	if (WANT("sysv-shm") || WANT("sysv-sem") || WANT("qt-keyfile"))
		qt_keyfiles();
#undef WANT
	return rc;
}

void objects_free(void)
{
	for (size_t i = 0; i < nobjs; i++)
		obj_free(&objs[i]);
	free(objs);
	objs = NULL;
	nobjs = cobjs = 0;
	procscan_free(ps);
	ps = NULL;
	free(sempids);
	sempids = NULL;
	nsempids = csempids = 0;
	free(upool);
	upool = NULL;
	nupool = cupool = 0;
}
