/* SPDX-License-Identifier: MIT */
/* nipc clean — removes orphan IPC objects (and with --idle, idle ones not
 * used for a while), never one in use or unknown, each by a race-safe
 * path: POSIX objects are quarantined under a hidden name and rechecked,
 * System V segments made inaccessible (mode 0) and rechecked, Qt objects
 * removed whole under their Qt lock (nipc(1), nipc clean). */
#include "config.h"

#include "common.h"
#include "objects.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: nipc clean [--idle AGE] [--dry-run] [--json] [--key GLOB]\n"
	"Removes orphan IPC objects; with --idle, idle ones unused for AGE too.\n"
	"Objects in use, and objects nipc cannot see enough of, are never removed.\n"
	"  --idle AGE    also idle objects last used AGE ago or longer: 30s, 10m,\n"
	"                2h, 7d\n"
	"  --dry-run     say what would be removed, remove nothing\n"
	"  --json        one JSON object: every object looked at, and the counts\n"
	"  --key GLOB    only objects whose key (0x...), id, name or key file\n"
	"                matches GLOB (repeatable: any of them)\n";

enum result { R_REMOVED, R_WOULD, R_GONE, R_KEPT, R_FAILED };
static const char *const result_names[] = {"removed", "would-remove", "already-gone", "kept", "failed"};

static int dry_run, json;
static long long idle_age = -1;
static int shm_dir = -1;
static unsigned counts[5];

/* An AGE: a number and a unit, s, m, h or d. */
static int parse_age(const char *s, long long *out)
{
	static const struct { char unit; long long secs; } units[] = {
		{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	char *end;
	long long n;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	n = strtoll(s, &end, 10);
	if (errno || end[0] == 0 || end[1] != 0)
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (*end == units[i].unit) {
			if (n > LLONG_MAX / units[i].secs)
				return -1;
			*out = n * units[i].secs;
			return 0;
		}
	return -1;
}

/* Test hook (nipc(1), ENVIRONMENT): NIPC_CLEAN_PAUSE_MS makes clean say
 * where it is on stderr and sleep, before and after it quarantines. */
static void pause_hook(const char *where, const struct obj *o)
{
	const char *v = getenv("NIPC_CLEAN_PAUSE_MS");
	unsigned long long ms;

	if (!v || parse_num(v, 0, 600000, &ms))
		return;
	say(0, "clean: test hook: pause %s %s %lld", where, o->type, o->id);
	usleep((useconds_t)(ms * 1000));
}

static void ident(char *b, size_t n, const struct obj *o)
{
	if (o->name)
		snprintf(b, n, "%s", o->name);
	else if (o->has_key)
		snprintf(b, n, "0x%08x id %lld", (unsigned)o->key, o->id);
	else
		snprintf(b, n, "%s", o->keyfile ? o->keyfile : "?");
}

static const char *globs[8];

static int match(const struct obj *o, const char *glob)
{
	char b[64];

	snprintf(b, sizeof b, "0x%08x", (unsigned)o->key);
	if (o->has_key && !fnmatch(glob, b, 0))
		return 1;
	snprintf(b, sizeof b, "%lld", o->id);
	if (o->has_id && !fnmatch(glob, b, 0))
		return 1;
	return (o->name && !fnmatch(glob, o->name, 0)) ||
	       (o->keyfile && !fnmatch(glob, o->keyfile, 0));
}

static int matches(const struct obj *o, int nglobs)
{
	for (int i = 0; i < nglobs; i++)
		if (match(o, globs[i]))
			return 1;
	return !nglobs;
}

/* ------------------------------------------------------------- POSIX */

/* Users of (dev, ino) now: a fresh pass over /proc (maps and fds). */
static int users_now(dev_t dev, ino_t ino)
{
	struct procscan *p = procscan_new();
	int n, idx[1];

	if (!p)
		return -1;
	n = procscan_users(p, dev, ino, idx, 1);
	procscan_free(p);
	return n;
}

static enum result remove_posix(const struct obj *o, const char **why)
{
	int sem = !strcmp(o->type, "posix-sem");
	char file[NAME_MAX + 1], q[NAME_MAX + 1];
	struct stat st;
	int n;

	if (snprintf(file, sizeof file, "%s%s", sem ? "sem." : "", o->name + 7) >= (int)sizeof file)
		return *why = "name too long", R_FAILED;
	if (snprintf(q, sizeof q, ".nipc-quarantine.%s.%ld", file, (long)getpid()) >= (int)sizeof q)
		snprintf(q, sizeof q, ".nipc-quarantine.%llu.%ld", (unsigned long long)o->ino, (long)getpid());
	pause_hook("before-quarantine", o);
	/* new openers get ENOENT from here on; what already holds it keeps it */
	if (renameat2(shm_dir, file, shm_dir, q, RENAME_NOREPLACE) < 0) {
		if (errno == ENOENT)
			return *why = "removed by another process", R_GONE;
		*why = errno == EPERM || errno == EACCES ? "not permitted" : strerror(errno);
		return errno == EPERM || errno == EACCES ? R_KEPT : R_FAILED;
	}
	if (fstatat(shm_dir, q, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    st.st_dev != o->dev || st.st_ino != o->ino) {
		*why = "a new object took the name since the scan: put back";
		n = 1;
	} else {
		pause_hook("in-quarantine", o);
		n = users_now(o->dev, o->ino);
		if (n)
			*why = n < 0 ? "cannot rescan /proc: put back" : "a user appeared: put back";
	}
	if (n) {
		if (renameat2(shm_dir, q, shm_dir, file, RENAME_NOREPLACE) < 0) {
			say(0, "clean: cannot put /dev/shm/%s back as /dev/shm/%s: %s; it stays under that name",
			    q, file, strerror(errno));
			return R_FAILED;
		}
		return R_KEPT;
	}
	if (unlinkat(shm_dir, q, 0) < 0)
		return *why = strerror(errno), R_FAILED;
	return R_REMOVED;
}

/* ---------------------------------------------------------- System V */

/* A field of id's line in /proc/sysvipc/FILE (readable whatever the
 * object's mode): -1 when the id is gone, -2 when unreadable. */
static long long sysvipc_field(const char *file, long long id, const char *field)
{
	FILE *f = fopen(file, "re");
	char line[1024];
	long long v = -1;
	int col = -1, i = 0;

	if (!f)
		return -2;
	if (fgets(line, sizeof line, f))
		for (char *s, *t = strtok_r(line, " \t\n", &s); t; t = strtok_r(NULL, " \t\n", &s), i++)
			if (!strcmp(t, field))
				col = i;
	while (col >= 0 && fgets(line, sizeof line, f)) {
		char *s, *t = strtok_r(line, " \t\n", &s);
		long long f2[32];

		for (i = 0; t && i < 32; t = strtok_r(NULL, " \t\n", &s), i++)
			f2[i] = strtoll(t, NULL, 10);
		if (i > col && f2[1] == id) {
			v = f2[col];
			break;
		}
	}
	fclose(f);
	return v;
}

static enum result remove_shm(const struct obj *o, const char **why)
{
	struct shmid_ds ds;
	unsigned short mode;
	long long n;

	pause_hook("before-quarantine", o);
	if (shmctl((int)o->id, IPC_STAT, &ds) < 0) {
		if (errno == EINVAL || errno == EIDRM)
			return *why = "removed by another process", R_GONE;
		return *why = "not permitted", R_KEPT;
	}
	if (ds.shm_perm.__key != o->key)
		return *why = "a new object took the id since the scan", R_KEPT;
	/* mode 0 now: another clean's quarantine; the mode to restore is the scan's */
	mode = ds.shm_perm.mode & 0777 ? ds.shm_perm.mode : (unsigned short)(o->mode & 0777);
	ds.shm_perm.mode = 0;
	/* no new shmget or shmat (but root's) from here on */
	if (shmctl((int)o->id, IPC_SET, &ds) < 0) {
		if (errno == EINVAL || errno == EIDRM)
			return *why = "removed by another process", R_GONE;
		return *why = "not permitted", R_KEPT;
	}
	pause_hook("in-quarantine", o);
	n = sysvipc_field("/proc/sysvipc/shm", o->id, "nattch");
	if (n == -1)
		return *why = "removed by another process", R_GONE;
	if (n != 0) {
		ds.shm_perm.mode = mode;
		shmctl((int)o->id, IPC_SET, &ds);
		return *why = n < 0 ? "cannot read /proc/sysvipc/shm" : "attached meanwhile: mode restored", R_KEPT;
	}
	if (shmctl((int)o->id, IPC_RMID, NULL) < 0) {
		if (errno == EINVAL || errno == EIDRM)
			return *why = "removed by another process", R_GONE;
		return *why = strerror(errno), R_FAILED;
	}
	return R_REMOVED;
}

static enum result remove_sem(const struct obj *o, const char **why)
{
	struct semid_ds ds;
	union semun { int val; struct semid_ds *buf; } arg = {.buf = &ds};
	unsigned short mode;
	long long n;

	pause_hook("before-quarantine", o);
	if (semctl((int)o->id, 0, IPC_STAT, arg) < 0) {
		if (errno == EINVAL || errno == EIDRM)
			return *why = "removed by another process", R_GONE;
		return *why = "not permitted", R_KEPT;
	}
	if (ds.sem_perm.__key != o->key || ds.sem_otime != 0)
		return *why = "operated on since the scan", R_KEPT;
	for (int i = 0; i < (int)ds.sem_nsems; i++)
		if (semctl((int)o->id, i, GETNCNT) != 0 || semctl((int)o->id, i, GETZCNT) != 0)
			return *why = "a process waits on it", R_KEPT;
	mode = ds.sem_perm.mode & 0777 ? ds.sem_perm.mode : (unsigned short)(o->mode & 0777);
	ds.sem_perm.mode = 0;
	/* no new semop (but root's) from here on */
	if (semctl((int)o->id, 0, IPC_SET, arg) < 0) {
		if (errno == EINVAL || errno == EIDRM)
			return *why = "removed by another process", R_GONE;
		return *why = "not permitted", R_KEPT;
	}
	pause_hook("in-quarantine", o);
	n = sysvipc_field("/proc/sysvipc/sem", o->id, "otime");
	if (n == -1)
		return *why = "removed by another process", R_GONE;
	if (n != 0) {
		ds.sem_perm.mode = mode;
		semctl((int)o->id, 0, IPC_SET, arg);
		return *why = n < 0 ? "cannot read /proc/sysvipc/sem" : "operated on meanwhile: mode restored", R_KEPT;
	}
	if (semctl((int)o->id, 0, IPC_RMID) < 0) {
		if (errno == EINVAL || errno == EIDRM)
			return *why = "removed by another process", R_GONE;
		return *why = strerror(errno), R_FAILED;
	}
	return R_REMOVED;
}

/* A Qt key file nipc may remove: the name Qt gives one, a regular empty
 * file as Qt makes it, of the object's owner, whose ftok is key. */
static void remove_keyfile(const char *path, int32_t key, uid_t uid)
{
	const char *base = strrchr(path, '/');
	struct stat st;

	if (!base || (strncmp(base + 1, "qipc_sharedmemory_", 18) && strncmp(base + 1, "qipc_systemsem_", 15)))
		return;
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != 0 || st.st_uid != uid ||
	    (int32_t)((uint32_t)'Q' << 24 | ((uint32_t)st.st_dev & 0xff) << 16 |
		      ((uint32_t)st.st_ino & 0xffff)) != key) {
		say(0, "clean: %s: not removed: not the key file Qt makes for 0x%08x", path, (unsigned)key);
		return;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		say(0, "clean: cannot remove the key file %s: %s", path, strerror(errno));
}

/* A Qt segment whole: under its Qt lock (taken without waiting, as Qt
 * takes it, undone if nipc dies), the segment, then the lock, then both
 * key files. */
static enum result remove_qt(const struct obj *o, const char **why)
{
	struct sembuf take = {0, -1, IPC_NOWAIT | SEM_UNDO};
	struct semid_ds ds;
	union semun { int val; struct semid_ds *buf; } arg = {.buf = &ds};
	int lock = (int)o->qt_lock, locked;
	enum result r;

	locked = semop(lock, &take, 1) == 0;
	if (!locked && errno == EAGAIN)
		return *why = "its Qt lock is held", R_KEPT;
	/* a lock removed meanwhile leaves the segment's own checks */
	if (!locked && errno != EINVAL && errno != EIDRM)
		return *why = "cannot take its Qt lock", R_KEPT;
	if (locked && (semctl(lock, 0, GETNCNT) > 0 || semctl(lock, 0, GETZCNT) > 0)) {
		take.sem_op = 1;
		semop(lock, &take, 1);
		return *why = "a process waits for its Qt lock", R_KEPT;
	}
	r = remove_shm(o, why);
	if (r != R_REMOVED) {
		if (locked) {
			take.sem_op = 1;
			semop(lock, &take, 1);
		}
		return r;
	}
	if (semctl(lock, 0, IPC_STAT, arg) == 0) {
		remove_keyfile(o->qt_lockfile, ds.sem_perm.__key, o->uid);
		semctl(lock, 0, IPC_RMID);
	}
	remove_keyfile(o->keyfile, o->key, o->uid);
	*why = "Qt segment, its lock and key files";
	return R_REMOVED;
}

/* -------------------------------------------------------- the verdicts */

/* A Qt lock semaphore (by its key file's name) whose segment, named
 * from the same Qt key, is in use or unknown. */
static int paired_in_use(const struct obj *o)
{
	const char *base = o->keyfile ? strrchr(o->keyfile, '/') : NULL;

	if (strcmp(o->type, "sysv-sem") || !base || strncmp(base + 1, "qipc_systemsem_", 15))
		return 0;
	for (size_t i = 0; i < nobjs; i++) {
		const char *b = objs[i].keyfile ? strrchr(objs[i].keyfile, '/') : NULL;

		if (!strcmp(objs[i].type, "sysv-shm") && b && !strncmp(b + 1, "qipc_sharedmemory_", 18) &&
		    (size_t)(b - objs[i].keyfile) == (size_t)(base - o->keyfile) &&
		    !strncmp(objs[i].keyfile, o->keyfile, (size_t)(base - o->keyfile)) &&
		    !strcmp(b + 19, base + 16))
			return objs[i].verdict == V_INUSE || objs[i].verdict == V_UNKNOWN;
	}
	return 0;
}

/* Whether o may go, and why (or why not). */
static int removable(const struct obj *o, time_t now, const char **why)
{
	static char buf[128];

	if (o->verdict == V_INUSE || o->verdict == V_UNKNOWN)
		return *why = o->why, 0;
	if (o->emulated)
		return *why = "emulated objects are listed, not cleaned yet", 0;
	if (!strcmp(o->type, "qt-keyfile"))
		return *why = "a key file goes only with its Qt object", 0;
	if (!strcmp(o->type, "sysv-msg") || !strcmp(o->type, "posix-mq"))
		return *why = "message queues are not cleaned yet", 0;
	if (o->verdict == V_ORPHAN) {
		if (!strcmp(o->type, "sysv-shm") && o->qt_lock >= 0)
			return *why = o->why, 1;
		/* the ledger's evidence: a dead creator's cleanup=exit or
		 * last-detach object */
		if (!strncmp(o->type, "posix-", 6))
			return *why = o->why, 1;
		return *why = "orphan Qt lock: goes with its segment", 0;
	}
	if (paired_in_use(o))
		return *why = "the lock of a Qt segment in use", 0;
	/* idle */
	if (idle_age < 0)
		return *why = "idle (--idle AGE removes it)", 0;
	if (now - o->used < idle_age) {
		snprintf(buf, sizeof buf, "idle, last used %llds ago", (long long)(now - o->used));
		return *why = buf, 0;
	}
	snprintf(buf, sizeof buf, "%s, idle %llds", o->why, (long long)(now - o->used));
	return *why = buf, 1;
}

static enum result clean_one(const struct obj *o, const char **why)
{
	/* *why stays the reason for removal unless a removal says otherwise */
	if (dry_run)
		return R_WOULD;
	if (!strcmp(o->type, "posix-shm") || !strcmp(o->type, "posix-sem"))
		return remove_posix(o, why);
	if (!strcmp(o->type, "sysv-shm"))
		return o->qt_lock >= 0 && o->verdict == V_ORPHAN ? remove_qt(o, why) : remove_shm(o, why);
	if (!strcmp(o->type, "sysv-sem"))
		return remove_sem(o, why);
	return *why = "not cleaned", R_KEPT;
}

static void report(const struct obj *o, enum result r, const char *why, int first)
{
	char id[PATH_MAX + 64];

	counts[r]++;
	ident(id, sizeof id, o);
	if (r == R_REMOVED)
		syslog(LOG_USER | LOG_NOTICE, "clean: removed %s %s (%s)", o->type, id, why);
	if (!json) {
		printf("%-12s %-9s %-8s %s: %s\n", result_names[r], o->type, verdict_names[o->verdict], id, why);
		return;
	}
	printf("%s\n  {\"type\":", first ? "" : ",");
	json_string(stdout, o->type);
	if (o->has_key)
		printf(",\"key\":\"0x%08x\"", (unsigned)o->key);
	if (o->has_id)
		printf(",\"id\":%lld", o->id);
	printf(",\"name\":");
	json_string(stdout, o->name);
	printf(",\"keyfile\":");
	json_string(stdout, o->keyfile);
	printf(",\"verdict\":\"%s\",\"action\":\"%s\",\"why\":", verdict_names[o->verdict], result_names[r]);
	json_string(stdout, why);
	fputc('}', stdout);
}

/* Two cleans at once: one scans and removes while the other waits, then
 * scans what is left. Without the lock file the removal steps still race
 * safely: one rename or IPC_RMID wins, the other finds the object gone. */
static int serialize(void)
{
	int fd = openat(shm_dir, ".nipc-clean.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0)
		fd = openat(shm_dir, ".nipc-clean.lock", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;

	/* a lock file another user made could be held forever: not waited for */
	if (fd >= 0 && (fstat(fd, &st) < 0 || (st.st_uid != 0 && st.st_uid != geteuid()))) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		return 0;   /* the removal steps are safe without it (see above) */
	for (int i = 0; i < 600; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		usleep(50000);
	}
	close(fd);
	return fail("clean: another nipc clean has held /dev/shm/.nipc-clean.lock for 30 s");
}

static const struct opt clean_opts[] = {
	{.name = "idle", .has_value = 1, .needs = "an age (30s, 10m, 2h, 7d)"},
	{.name = "dry-run", .short_name = 'n'},
	{.name = "json"},
	{.name = "key", .has_value = 1, .needs = "a glob", .list = globs, .list_max = 8},
	{NULL}};

int cmd_clean(int argc, char **argv)
{
	struct cmdline c = {.who = "clean", .see = "nipc clean --help", .opts = clean_opts};
	int rc = parse_cmdline(&c, argc, argv), first = 1;
	time_t now;

	if (rc == CL_HELP) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	if (c.val[0] && parse_age(c.val[0], &idle_age))
		return usage_error("clean: --idle '%s' is not an age (a number and s, m, h or d: 30s, 10m, 2h, 7d)",
				   c.val[0]);
	dry_run = c.seen[1];
	json = c.seen[2];
	if ((shm_dir = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return fail("clean: cannot open /dev/shm: %s", strerror(errno));
	if (!dry_run && (rc = serialize()))
		return rc;
	rc = objects_collect(NULL, "clean");
	if (!ps)
		return rc;
	openlog("nipc", LOG_PID, LOG_USER);
	now = time(NULL);
	if (json)
		fputs("{\"objects\":[", stdout);
	for (size_t i = 0; i < nobjs; i++) {
		const struct obj *o = &objs[i];
		const char *why;
		enum result r;

		if (!matches(o, c.seen[3]))
			continue;
		if (!removable(o, now, &why))
			r = R_KEPT;
		else
			r = clean_one(o, &why);
		if (r == R_FAILED)
			rc = EXIT_FAIL;
		report(o, r, why, first);
		first = 0;
	}
	if (json)
		printf("%s],\"removed\":%u,\"would_remove\":%u,\"already_gone\":%u,\"kept\":%u,\"failed\":%u}\n",
		       first ? "" : "\n", counts[R_REMOVED], counts[R_WOULD], counts[R_GONE], counts[R_KEPT],
		       counts[R_FAILED]);
	else
		printf("%u removed, %u would be removed, %u already gone, %u kept, %u failed\n",
		       counts[R_REMOVED], counts[R_WOULD], counts[R_GONE], counts[R_KEPT], counts[R_FAILED]);
	closelog();
	objects_free();
	close(shm_dir);
	return rc;
}
