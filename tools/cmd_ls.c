/* SPDX-License-Identifier: MIT */
/* nipc ls — every IPC object in one table: System V (kernel and the
 * shim's emulation), POSIX, Qt key files, with the processes that use
 * each, its creator's liveness and a verdict (nipc(1), VERDICTS). */
#include "config.h"

#include "common.h"
#include "procscan.h"
#include "../shim/emul_state.h"
#include "../shim/ledger.h"
#include "../shim/rules.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SHM_DEST
#define SHM_DEST 01000
#endif
#ifndef SHM_LOCKED
#define SHM_LOCKED 02000
#endif

static const char usage_text[] =
	"usage: nipc ls [-o COLUMNS] [--json] [-b] [--verdict V] [--family F]\n"
	"               [--key GLOB] [--user USER]\n"
	"Lists System V segments, semaphore sets and message queues (the kernel's\n"
	"and the emulation's), POSIX segments, named semaphores and message queues,\n"
	"and Qt key files, with the processes using each and a verdict:\n"
	"in-use, orphan, idle or unknown (see nipc(1)).\n"
	"  -o, --output COLUMNS  comma-separated columns (--list-columns names them)\n"
	"  --json                one JSON array, every column unless -o\n"
	"  -b, --bytes           sizes in bytes\n"
	"  --verdict V           only objects with verdict V (repeatable)\n"
	"  --family F            sysv, sysv-shm, sysv-sem, sysv-msg, posix, posix-shm,\n"
	"                        posix-sem, posix-mq, shm, sem, msg, qt-keyfile, all\n"
	"                        (repeatable)\n"
	"  --key GLOB            key (0x...), id or name matches GLOB\n"
	"  --user USER           owned by USER (a name or a uid)\n"
	"  --list-columns        the columns and what they show\n";

enum verdict { V_INUSE, V_ORPHAN, V_IDLE, V_UNKNOWN };
static const char *const verdict_names[] = {"in-use", "orphan", "idle", "unknown"};

enum { MAXU = 16 };

struct obj {
	const char *type;
	int emulated;
	int has_key, has_id;
	int32_t key;
	long long id;
	char *name;                /* NULL: none */
	char *keyfile;
	uid_t uid;
	unsigned mode;
	unsigned long long size;
	long long nattch, nsems;   /* -1: not applicable */
	pid_t cpid, lpid;
	long long ctime;
	int creator;               /* 0: not known, 1 alive, 2 dead */
	int nusers;
	const struct procscan_proc *user[MAXU];
	char ccomm[16];
	enum verdict verdict;
	const char *why;
	dev_t dev;                 /* POSIX: the file */
	ino_t ino;
};

static struct obj *objs;
static size_t nobjs, cobjs;
static struct procscan *ps;
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
	o->id = -1;
	return o;
}

static void free_obj(struct obj *o)
{
	free(o->name);
	free(o->keyfile);
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

static void add_user(struct obj *o, const struct procscan_proc *p)
{
	for (int i = 0; i < o->nusers && i < MAXU; i++)
		if (o->user[i] == p)
			return;
	if (o->nusers < MAXU) {
		o->user[o->nusers] = p;
	}
	o->nusers++;
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
       F_CTIME, F_OTIME, F_QNUM, F_CBYTES, F_LSPID, F_LRPID, F_N };
static const char *const field_names[F_N] = {
	"key", "", "perms", "size", "nsems", "cpid", "lpid", "nattch", "uid",
	"ctime", "otime", "qnum", "cbytes", "lspid", "lrpid",
};

/* Reads a /proc/sysvipc file: the columns found by name in its header
 * (the second is the id: shmid, semid, msqid). */
static int read_sysvipc(const char *path, const char *type, void (*fill)(struct obj *, long long *))
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
			return -1;
		}
		o->has_key = o->has_id = 1;
		o->key = (int32_t)v[F_KEY];
		o->id = v[F_ID];
		o->mode = (unsigned)v[F_PERMS];
		o->uid = (uid_t)v[F_UID];
		o->ctime = v[F_CTIME];
		fill(o, v);
	}
	fclose(f);
	return 0;
}

static void fill_shm(struct obj *o, long long *v)
{
	o->size = (unsigned long long)v[F_SIZE];
	o->nattch = v[F_NATTCH];
	o->cpid = (pid_t)v[F_CPID];
	o->lpid = (pid_t)v[F_LPID];
	set_creator(o);
	users_of(o, PROCSCAN_SYSV_DEV, (ino_t)o->id);
	if (o->nattch > 0) {
		o->verdict = V_INUSE;
		o->why = "attached";
	} else {
		o->verdict = V_IDLE;
		o->why = "no attachment";
	}
}

static void fill_sem(struct obj *o, long long *v)
{
	union semun { int val; void *buf; } arg = {0};
	int waiters = 0, denied = 0, live_op = 0;
	pid_t last = 0;

	o->nsems = v[F_NSEMS];
	for (int i = 0; i < o->nsems; i++) {
		int n = semctl((int)o->id, i, GETNCNT, arg), z = semctl((int)o->id, i, GETZCNT, arg);
		int p = semctl((int)o->id, i, GETPID, arg);

		if (n < 0 || z < 0 || p < 0) {
			denied = 1;
			break;
		}
		waiters += n + z;
		if (p > 0) {
			const struct procscan_proc *pp = alive_since(p, v[F_OTIME] > 0 ? v[F_OTIME] : 0);

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
	if (waiters) {
		o->verdict = V_INUSE;
		o->why = "waiters";
	} else if (live_op) {
		o->verdict = V_INUSE;
		o->why = "last operator alive";
	} else if (denied) {
		o->verdict = V_UNKNOWN;
		o->why = "no permission to read it";
	} else if (v[F_OTIME] <= 0) {
		o->verdict = V_IDLE;
		o->why = "never operated on";
	} else {
		o->verdict = V_UNKNOWN;
		o->why = "no evidence (last operator gone)";
	}
}

static void fill_msg(struct obj *o, long long *v)
{
	const struct procscan_proc *p;

	o->size = (unsigned long long)(v[F_CBYTES] > 0 ? v[F_CBYTES] : 0);
	o->nattch = -1;
	o->lpid = (pid_t)(v[F_LSPID] > 0 ? v[F_LSPID] : v[F_LRPID]);
	o->verdict = V_IDLE;
	o->why = "no live sender or receiver";
	for (int k = F_LSPID; k <= F_LRPID; k++)
		if (v[k] > 0 && (p = alive_since((pid_t)v[k], 0))) {
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
		o->dev = st.st_dev;
		o->ino = st.st_ino;
		users_of(o, st.st_dev, st.st_ino);
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
	closedir(d);
	return 0;
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
		say(0, "ls: cannot read the emulation's registry %s: %s", path, strerror(errno));
		return;
	}
	if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof *r) {
		close(fd);
		say(0, "ls: %s: not a registry this nipc reads (size)", path);
		return;
	}
	r = mmap(NULL, sizeof *r, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (r == MAP_FAILED)
		return;
	if (r->magic != EMUL_MAGIC || r->version != EMUL_VERSION || r->bytes != sizeof *r ||
	    r->idx_base != EMUL_IDX_BASE || r->nseg != EMUL_NSEG || r->natt != EMUL_NATT) {
		say(0, "ls: %s: registry version %u, this nipc reads %u: its objects are not listed",
		    path, r->magic == EMUL_MAGIC ? r->version : 0, EMUL_VERSION);
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

static void emul_registries(void)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (is_emul_name(e->d_name) && n > 14 && !strcmp(e->d_name + n - 4, ".reg"))
			emul_registry(e->d_name);
	}
	closedir(d);
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
	for (size_t i = 0; i < nobjs; i++) {
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
		if (lo->verdict != V_INUSE) {
			lo->verdict = V_ORPHAN;
			lo->why = "lock of an orphan Qt segment";
		}
	}
}

/* ------------------------------------------------------------ output */

enum col { C_TYPE, C_KEY, C_ID, C_NAME, C_KEYFILE, C_OWNER, C_PERMS, C_SIZE, C_NATTCH,
	   C_NSEMS, C_STATUS, C_CPID, C_LPID, C_COMMAND, C_CTIME, C_USERS, C_CREATOR,
	   C_EMULATED, C_VERDICT, C_WHY, C_N };

static const struct {
	const char *name, *help;
} cols[C_N] = {
	[C_TYPE] = {"TYPE", "family: sysv-shm, sysv-sem, sysv-msg, posix-shm, posix-sem, posix-mq, qt-keyfile"},
	[C_KEY] = {"KEY", "System V key"},
	[C_ID] = {"ID", "System V id"},
	[C_NAME] = {"NAME", "nipc's string form (POSIX name; the emulation's backing object)"},
	[C_KEYFILE] = {"KEYFILE", "a Qt key file whose ftok() is the key: a candidate, ftok is lossy"},
	[C_OWNER] = {"OWNER", "owner's user name"},
	[C_PERMS] = {"PERMS", "permissions"},
	[C_SIZE] = {"SIZE", "size (System V message queue: bytes queued)"},
	[C_NATTCH] = {"NATTCH", "attachments (System V segments)"},
	[C_NSEMS] = {"NSEMS", "semaphores in the set"},
	[C_STATUS] = {"STATUS", "dest (removed, still attached), locked (SHM_LOCK)"},
	[C_CPID] = {"CPID", "creator's pid"},
	[C_LPID] = {"LPID", "last operator's pid"},
	[C_COMMAND] = {"COMMAND", "creator's command, if it is alive"},
	[C_CTIME] = {"CTIME", "last change (creation, IPC_SET; POSIX: the file's)"},
	[C_USERS] = {"USERS", "processes that map, hold or are attached to it: pid/command"},
	[C_CREATOR] = {"CREATOR", "creator alive or dead (pid and start time against CTIME)"},
	[C_EMULATED] = {"EMULATED", "an object of the shim's System V emulation"},
	[C_VERDICT] = {"VERDICT", "in-use, orphan, idle, unknown"},
	[C_WHY] = {"WHY", "the evidence behind the verdict"},
};

static const enum col default_cols[] = {C_TYPE, C_KEY, C_ID, C_NAME, C_OWNER, C_PERMS,
					C_SIZE, C_NATTCH, C_USERS, C_CREATOR, C_VERDICT};

static int bytes;

static void human(char *b, size_t n, unsigned long long v)
{
	static const char units[] = "KMGTPE";
	double d = (double)v;
	int u = -1;

	if (bytes || v < 1024) {
		snprintf(b, n, "%llu", v);
		return;
	}
	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	if (d < 10 && (unsigned long long)(d * 10) % 10)
		snprintf(b, n, "%.1f%c", d, units[u]);
	else
		snprintf(b, n, "%.0f%c", d, units[u]);
}

/* getpwuid reads the user database each time: the last few answers kept. */
static void owner(char *b, size_t n, uid_t uid)
{
	static struct { uid_t uid; int used; char name[64]; } cache[8];
	static unsigned next;
	struct passwd *pw;

	for (int i = 0; i < 8; i++)
		if (cache[i].used && cache[i].uid == uid) {
			snprintf(b, n, "%s", cache[i].name);
			return;
		}
	pw = getpwuid(uid);
	if (pw)
		snprintf(b, n, "%s", pw->pw_name);
	else
		snprintf(b, n, "%u", (unsigned)uid);
	cache[next % 8].uid = uid;
	cache[next % 8].used = 1;
	snprintf(cache[next % 8].name, sizeof cache[0].name, "%s", b);
	next++;
}

static int is_na(const struct obj *o, enum col c)
{
	int sysv = !strncmp(o->type, "sysv", 4), key = !strcmp(o->type, "qt-keyfile");

	switch (c) {
	case C_KEY: return !o->has_key;
	case C_ID: return !o->has_id;
	case C_NAME: return !o->name;
	case C_KEYFILE: return !o->keyfile;
	case C_SIZE: return !strcmp(o->type, "sysv-sem") || !strcmp(o->type, "posix-sem") || key;
	case C_NATTCH: return o->nattch < 0;
	case C_NSEMS: return o->nsems < 0;
	case C_CPID: return o->cpid <= 0;
	case C_LPID: return o->lpid <= 0;
	case C_COMMAND: return o->creator != 1;
	case C_CREATOR: return !o->creator;
	case C_USERS: return key;
	case C_STATUS: return !sysv;
	default: return 0;
	}
}

/* The text of a cell; json: the JSON value. */
static void cell(char *b, size_t n, const struct obj *o, enum col c, int json)
{
	size_t k = 0;

	b[0] = 0;
	if (is_na(o, c)) {
		snprintf(b, n, json ? "null" : "-");
		return;
	}
	switch (c) {
	case C_TYPE: snprintf(b, n, "%s", o->type); break;
	case C_KEY: snprintf(b, n, "0x%08x", (unsigned)o->key); break;
	case C_ID: snprintf(b, n, "%lld", o->id); break;
	case C_NAME: snprintf(b, n, "%s", o->name); break;
	case C_KEYFILE: snprintf(b, n, json ? "%s" : "%s?", o->keyfile); break;
	case C_OWNER: owner(b, n, o->uid); break;
	case C_PERMS:
		if (json)
			snprintf(b, n, "%04o", o->mode & 0777);
		else
			for (int i = 0; i < 9; i++)
				b[k++] = (o->mode >> (8 - i)) & 1 ? "rwx"[i % 3] : '-', b[k] = 0;
		break;
	case C_SIZE:
		if (json)
			snprintf(b, n, "%llu", o->size);
		else
			human(b, n, o->size);
		break;
	case C_NATTCH: snprintf(b, n, "%lld", o->nattch); break;
	case C_NSEMS: snprintf(b, n, "%lld", o->nsems); break;
	case C_STATUS:
		snprintf(b, n, "%s%s%s", o->mode & SHM_DEST && !strcmp(o->type, "sysv-shm") ? "dest" : "",
			 (o->mode & SHM_DEST) && (o->mode & SHM_LOCKED) ? "," : "",
			 o->mode & SHM_LOCKED && !strcmp(o->type, "sysv-shm") ? "locked" : "");
		break;
	case C_CPID: snprintf(b, n, "%d", (int)o->cpid); break;
	case C_LPID: snprintf(b, n, "%d", (int)o->lpid); break;
	case C_COMMAND: snprintf(b, n, "%s", o->ccomm); break;
	case C_CTIME: snprintf(b, n, "%lld", o->ctime); break;
	case C_USERS:
		for (int i = 0; i < o->nusers && i < MAXU && k + 40 < n; i++)
			k += (size_t)snprintf(b + k, n - k, "%s%d/%s", i ? "," : "",
					      (int)o->user[i]->pid, o->user[i]->comm);
		if (o->nusers > MAXU)
			snprintf(b + k, n - k, ",+%d", o->nusers - MAXU);
		else if (!o->nusers)
			snprintf(b, n, json ? "[]" : "-");
		break;
	case C_CREATOR:
		if (json)
			snprintf(b, n, "{\"pid\":%d,\"alive\":%s}", (int)o->cpid, o->creator == 1 ? "true" : "false");
		else
			snprintf(b, n, "%d:%s", (int)o->cpid, o->creator == 1 ? "alive" : "dead");
		break;
	case C_EMULATED: snprintf(b, n, "%s", o->emulated ? (json ? "true" : "yes") : (json ? "false" : "no")); break;
	case C_VERDICT: snprintf(b, n, "%s", verdict_names[o->verdict]); break;
	case C_WHY: snprintf(b, n, "%s", o->why ? o->why : ""); break;
	default: break;
	}
}

static int is_json_string(enum col c)
{
	return c != C_ID && c != C_SIZE && c != C_NATTCH && c != C_NSEMS && c != C_CPID &&
	       c != C_LPID && c != C_CTIME && c != C_USERS && c != C_CREATOR && c != C_EMULATED;
}

static void json_users(const struct obj *o)
{
	fputc('[', stdout);
	for (int i = 0; i < o->nusers && i < MAXU; i++) {
		printf("%s{\"pid\":%d,\"command\":", i ? "," : "", (int)o->user[i]->pid);
		json_string(stdout, o->user[i]->comm);
		fputc('}', stdout);
	}
	fputc(']', stdout);
}

static void print_json(const enum col *sel, int nsel)
{
	char b[4096];
	int has_type = 0;

	for (int j = 0; j < nsel; j++)
		has_type |= sel[j] == C_TYPE;
	fputs("[", stdout);
	for (size_t i = 0; i < nobjs; i++) {
		const struct obj *o = &objs[i];

		fputs(i ? ",\n {" : "\n {", stdout);
		if (!has_type) {
			fputs("\"type\":", stdout);
			json_string(stdout, o->type);
		}
		for (int j = 0; j < nsel; j++) {
			char lower[16];
			size_t k;

			for (k = 0; cols[sel[j]].name[k]; k++)
				lower[k] = (char)(cols[sel[j]].name[k] | 0x20);
			lower[k] = 0;
			printf("%s\"%s\":", j || !has_type ? "," : "", lower);
			if (sel[j] == C_USERS && !is_na(o, C_USERS)) {
				json_users(o);
				continue;
			}
			cell(b, sizeof b, o, sel[j], 1);
			if (is_json_string(sel[j]) && !is_na(o, sel[j]))
				json_string(stdout, b);
			else
				fputs(b, stdout);
		}
		fputc('}', stdout);
	}
	fputs(nobjs ? "\n]\n" : "]\n", stdout);
}

static void put_cell(const char *s, size_t w, int last)
{
	if (last)
		printf("%s\n", s);
	else
		printf("%-*s ", (int)w, s);
}

static void print_table(const enum col *sel, int nsel)
{
	size_t w[C_N] = {0};
	char b[4096];

	for (int j = 0; j < nsel; j++)
		w[j] = strlen(cols[sel[j]].name);
	for (size_t i = 0; i < nobjs; i++)
		for (int j = 0; j < nsel; j++) {
			cell(b, sizeof b, &objs[i], sel[j], 0);
			if (strlen(b) > w[j])
				w[j] = strlen(b);
		}
	for (int j = 0; j < nsel; j++)
		put_cell(cols[sel[j]].name, w[j], j + 1 == nsel);
	for (size_t i = 0; i < nobjs; i++)
		for (int j = 0; j < nsel; j++) {
			cell(b, sizeof b, &objs[i], sel[j], 0);
			put_cell(b, w[j], j + 1 == nsel);
		}
}

/* ----------------------------------------------------------- filters */

static const struct {
	const char *name, *types;
} families[] = {
	{"all", "sysv-shm sysv-sem sysv-msg posix-shm posix-sem posix-mq qt-keyfile"},
	{"sysv", "sysv-shm sysv-sem sysv-msg"},
	{"posix", "posix-shm posix-sem posix-mq"},
	{"shm", "sysv-shm posix-shm"},
	{"sem", "sysv-sem posix-sem"},
	{"msg", "sysv-msg posix-mq"},
	{"sysv-shm", "sysv-shm"}, {"sysv-sem", "sysv-sem"}, {"sysv-msg", "sysv-msg"},
	{"posix-shm", "posix-shm"}, {"posix-sem", "posix-sem"}, {"posix-mq", "posix-mq"},
	{"qt-keyfile", "qt-keyfile"},
};

static int word_in(const char *list, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = list; (p = strstr(p, w)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
	return 0;
}

static const char *fam[16], *verd[8];

static int nfams;

/* Objects of type are asked for (by --family, or no --family at all). */
static int wanted(const char *type)
{
	for (int i = 0; i < nfams; i++)
		if (word_in(families[FIND_ROW(families, fam[i])].types, type))
			return 1;
	return !nfams;
}

static int keep(const struct obj *o, int nfam, int nverd, const char *glob, long uid)
{
	int ok = !nfam;
	char b[64];

	for (int i = 0; i < nfam; i++)
		ok |= word_in(families[FIND_ROW(families, fam[i])].types, o->type);
	if (!ok)
		return 0;
	for (ok = !nverd; nverd--;)
		ok |= !strcmp(verd[nverd], verdict_names[o->verdict]);
	if (!ok || (uid >= 0 && o->uid != (uid_t)uid))
		return 0;
	if (!glob)
		return 1;
	snprintf(b, sizeof b, "0x%08x", (unsigned)o->key);
	if (o->has_key && !fnmatch(glob, b, 0))
		return 1;
	snprintf(b, sizeof b, "%lld", o->id);
	if (o->has_id && !fnmatch(glob, b, 0))
		return 1;
	return (o->name && !fnmatch(glob, o->name, 0)) ||
	       (o->keyfile && !fnmatch(glob, o->keyfile, 0));
}

static int parse_cols(const char *s, enum col *sel, int *nsel)
{
	char buf[512], *save, *t;

	snprintf(buf, sizeof buf, "%s", s);
	*nsel = 0;
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int found = -1;

		for (int c = 0; c < C_N; c++)
			if (!strcasecmp(t, cols[c].name))
				found = c;
		if (found < 0)
			return usage_error("ls: unknown column '%s' (see nipc ls --list-columns)", t);
		if (*nsel == C_N)
			return usage_error("ls: too many columns");
		sel[(*nsel)++] = (enum col)found;
	}
	return *nsel ? EXIT_OK : usage_error("ls: -o needs at least one column");
}

static const struct opt ls_opts[] = {
	{.name = "output", .short_name = 'o', .has_value = 1, .needs = "a list of columns"},
	{.name = "json"},
	{.name = "bytes", .short_name = 'b'},
	{.name = "verdict", .has_value = 1, .list = verd, .list_max = 8},
	{.name = "family", .has_value = 1, .list = fam, .list_max = 16},
	{.name = "key", .has_value = 1, .needs = "a glob"},
	{.name = "user", .has_value = 1},
	{.name = "list-columns"},
	{NULL}};

int cmd_ls(int argc, char **argv)
{
	struct cmdline c = {.who = "ls", .see = "nipc ls --help", .opts = ls_opts};
	enum col sel[C_N];
	int nsel, rc = parse_cmdline(&c, argc, argv);
	long uid = -1;
	size_t k = 0;

	if (rc == CL_HELP) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	if (c.seen[7]) {
		for (int i = 0; i < C_N; i++)
			printf("%-9s %s\n", cols[i].name, cols[i].help);
		return EXIT_OK;
	}
	bytes = c.seen[2];
	for (int i = 0; i < c.seen[3]; i++)
		if (FIND_ROW(verdict_names, verd[i]) < 0)
			return usage_error("ls: unknown verdict '%s' (in-use, orphan, idle, unknown)", verd[i]);
	for (int i = 0; i < c.seen[4]; i++)
		if (FIND_ROW(families, fam[i]) < 0)
			return usage_error("ls: unknown family '%s' (see nipc ls --help)", fam[i]);
	if (c.val[6]) {
		struct passwd *pw = getpwnam(c.val[6]);
		unsigned long long u;

		if (pw)
			uid = (long)pw->pw_uid;
		else if (parse_num(c.val[6], 0, UINT32_MAX - 1, &u) == 0)
			uid = (long)u;
		else
			return usage_error("ls: unknown user '%s'", c.val[6]);
	}
	if (c.val[0]) {
		if ((rc = parse_cols(c.val[0], sel, &nsel)))
			return rc;
	} else if (c.seen[1]) {
		for (nsel = 0; nsel < C_N; nsel++)
			sel[nsel] = (enum col)nsel;
	} else {
		nsel = (int)(sizeof default_cols / sizeof default_cols[0]);
		memcpy(sel, default_cols, sizeof default_cols);
	}
	btime = procscan_btime();
	hz = procscan_hz();
	if (!(ps = procscan_new()))
		return fail("ls: cannot scan /proc: %s", strerror(errno));
	/* the sources of the families asked for (Qt's segments need their locks) */
	nfams = c.seen[4];
	if ((wanted("sysv-shm") && read_sysvipc("/proc/sysvipc/shm", "sysv-shm", fill_shm) < 0) ||
	    ((wanted("sysv-sem") || wanted("sysv-shm")) &&
	     read_sysvipc("/proc/sysvipc/sem", "sysv-sem", fill_sem) < 0) ||
	    (wanted("sysv-msg") && read_sysvipc("/proc/sysvipc/msg", "sysv-msg", fill_msg) < 0))
		rc = fail("ls: cannot read /proc/sysvipc: %s", strerror(errno));
	if (wanted("sysv-shm") || wanted("sysv-sem"))
		emul_registries();
	if (wanted("posix-shm") || wanted("posix-sem"))
		read_dir("/dev/shm", 0);
	if (wanted("posix-mq"))
		read_dir("/dev/mqueue", 1);
	if (wanted("sysv-shm") || wanted("sysv-sem") || wanted("qt-keyfile"))
		qt_keyfiles();
	for (size_t i = 0; i < nobjs; i++)
		if (keep(&objs[i], c.seen[4], c.seen[3], c.val[5], uid))
			objs[k++] = objs[i];
		else
			free_obj(&objs[i]);
	nobjs = k;
	if (c.seen[1])
		print_json(sel, nsel);
	else
		print_table(sel, nsel);
	for (size_t i = 0; i < nobjs; i++)
		free_obj(&objs[i]);
	procscan_free(ps);
	free(objs);
	return rc;
}
