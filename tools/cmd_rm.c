/* SPDX-License-Identifier: MIT */
/* nipc rm — removes one IPC object whole (a Qt object: its segment, its
 * lock semaphore, its key files), refusing while a live process uses it. */
#include "config.h"

#include "common.h"
#include "procscan.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <semaphore.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: nipc rm KEY... [--force]\n"
	"       nipc rm --legacy NAME [--type TYPE] [--force]\n"
	"Removes each KEY's object whole: the segment, its lock semaphore and (System V)\n"
	"its key files, or a semaphore alone. KEY is a string form (posix:/app,\n"
	"systemv:/tmp/app), a System V key (0x5100408b: its segment and semaphore set)\n"
	"or id (shmid:N, semid:N). An object a live process uses (a System V segment\n"
	"attached, a POSIX segment or semaphore mapped or open, a System V semaphore\n"
	"with waiters or a live last operator) is left alone (exit 4) unless --force.\n"
	"Nothing there: exit 3.\n";

/* The parts of one KEY's object. */
struct part {
	const char *what;    /* "segment", "semaphore" */
	int sysv, shm;       /* System V or POSIX; segment or semaphore */
	long id;             /* System V id */
	char name[512];      /* POSIX name ("/x"), for messages and unlink */
};

struct target {
	const char *arg;
	struct part p[4];
	int n;
	char files[2][4096]; /* System V key files */
	int nfiles;
};

static int pid_alive(long pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static void add_sysv(struct target *t, int shm, long id)
{
	for (int i = 0; i < t->n; i++)
		if (t->p[i].sysv && t->p[i].shm == shm && t->p[i].id == id)
			return;
	t->p[t->n++] = (struct part){shm ? "segment" : "semaphore set", 1, shm, id, ""};
}

static void add_obj(struct target *t, const nipc_obj *o, int shm)
{
	if (nipc_obj_id(o) >= 0) {
		add_sysv(t, shm, nipc_obj_id(o));
		return;
	}
	struct part *p = &t->p[t->n++];
	*p = (struct part){shm ? "segment" : "semaphore", 0, shm, -1, ""};
	snprintf(p->name, sizeof p->name, "%s", nipc_obj_name(o));
}

/* A System V key file of a key: removed only if it is an empty regular
 * file, as Qt makes them (a KEY may name any path). */
static void add_file(struct target *t, const nipc_key *k)
{
	struct stat st;
	const char *path = nipc_key_native(k);

	if (!nipc_key_type_is_systemv(nipc_key_type(k)) || !path || lstat(path, &st) < 0 ||
	    !S_ISREG(st.st_mode) || st.st_size != 0)
		return;
	for (int i = 0; i < t->nfiles; i++)
		if (!strcmp(t->files[i], path))
			return;
	snprintf(t->files[t->nfiles++], sizeof t->files[0], "%s", path);
}

static void add_key(struct target *t, const nipc_key *k, nipc_kind kind)
{
	nipc_obj *o = NULL;

	if (nipc_obj_stat(&o, k, kind) == 0)
		add_obj(t, o, kind == NIPC_KIND_SHM);
	nipc_obj_free(o);
	add_file(t, k);
}

/* Finds the parts of ka: EXIT_OK (t->n may be 0), or after a message. */
static int resolve(struct target *t, struct key_arg *ka)
{
	long num;
	int form = ka->string ? raw_form(ka->string, &num) : RAW_NONE, rc;

	t->arg = ka->string ? ka->string : ka->legacy;
	if (form == RAW_BAD)
		return usage_error("rm: invalid key '%s' (0xKEY, shmid:N, semid:N or a string form)",
				   ka->string);
	if (form == RAW_SHMID || form == RAW_SEMID) {
		struct shmid_ds sd;
		struct semid_ds ss;
		union { int val; struct semid_ds *buf; } arg = {.buf = &ss};
		if (form == RAW_SHMID ? shmctl((int)num, IPC_STAT, &sd) == 0
				      : semctl((int)num, 0, IPC_STAT, arg) == 0)
			add_sysv(t, form == RAW_SHMID, num);
		return EXIT_OK;
	}
	if (form == RAW_KEY) {
		int id;
		if (num && (id = shmget((key_t)num, 0, 0)) >= 0)
			add_sysv(t, 1, id);
		if (num && (id = semget((key_t)num, 0, 0)) >= 0)
			add_sysv(t, 0, id);
		return EXIT_OK;
	}
	nipc_key *shm_key, *sem_key = NULL;
	if ((rc = key_arg_make(ka, NIPC_KIND_SHM, "rm", &shm_key)))
		return rc;
	/* The lock's key as libnipc derives it: the legacy semaphore key of a
	 * legacy name, else the same key in the semaphores' namespace. */
	if (ka->legacy && (rc = key_arg_make(ka, NIPC_KIND_SEM, "rm", &sem_key))) {
		nipc_key_free(shm_key);
		return rc;
	}
	add_key(t, shm_key, NIPC_KIND_SHM);
	add_key(t, sem_key ? sem_key : shm_key, NIPC_KIND_SEM);
	nipc_key_free(shm_key);
	nipc_key_free(sem_key);
	return EXIT_OK;
}

/* Why p is in use ("" if not), into why. */
static void in_use(const struct part *p, const struct procscan *u, char *why, size_t len)
{
	*why = '\0';
	if (p->sysv && p->shm) {
		struct shmid_ds ds;
		if (shmctl((int)p->id, IPC_STAT, &ds) == 0 && ds.shm_nattch > 0)
			snprintf(why, len, "%lu attachment(s), last by pid %ld",
				 (unsigned long)ds.shm_nattch, (long)ds.shm_lpid);
		return;
	}
	if (p->sysv) {
		int ncnt = semctl((int)p->id, 0, GETNCNT), zcnt = semctl((int)p->id, 0, GETZCNT);
		long pid = semctl((int)p->id, 0, GETPID);
		if (ncnt > 0 || zcnt > 0)
			snprintf(why, len, "%d process(es) waiting on it", ncnt + zcnt);
		else if (pid > 0 && pid != (long)getpid() && pid_alive(pid))
			snprintf(why, len, "its last operator, pid %ld, is alive", pid);
		return;
	}
	char path[600];
	struct stat st;
	const struct procscan_proc *procs;
	int idx[8], nprocs;
	snprintf(path, sizeof path, "/dev/shm/%s%s", p->shm ? "" : "sem.", p->name + 1);
	if (!u || stat(path, &st) < 0)
		return;
	int n = procscan_users(u, st.st_dev, st.st_ino, idx, 8);
	if (n <= 0)
		return;
	procs = procscan_procs(u, &nprocs);
	int k = snprintf(why, len, "mapped or open by pid");
	for (int i = 0; i < n && i < 8 && k > 0 && (size_t)k < len; i++)
		k += snprintf(why + k, len - (size_t)k, "%s %ld", i ? "," : "", (long)procs[idx[i]].pid);
	if (n > 8 && k > 0 && (size_t)k < len)
		snprintf(why + k, len - (size_t)k, " and %d more", n - 8);
}

static int remove_part(const struct part *p)
{
	union { int val; struct semid_ds *buf; } arg = {0};

	if (p->sysv)
		return p->shm ? shmctl((int)p->id, IPC_RMID, NULL) : semctl((int)p->id, 0, IPC_RMID, arg);
	return p->shm ? shm_unlink(p->name) : sem_unlink(p->name);
}

static void describe(const struct part *p, char *buf, size_t len)
{
	if (p->sysv)
		snprintf(buf, len, "%s %sid:%ld", p->what, p->shm ? "shm" : "sem", p->id);
	else
		snprintf(buf, len, "%s %s", p->what, p->name);
}

static int rm_one(struct target *t, const struct procscan *u, int force)
{
	char why[256], d[600];
	int rc = EXIT_OK, busy = 0;

	if (!t->n && !t->nfiles)
		return say(EXIT_NOTFOUND, "rm: nothing named %s", t->arg);
	for (int i = 0; i < t->n; i++) {
		in_use(&t->p[i], u, why, sizeof why);
		if (*why) {
			describe(&t->p[i], d, sizeof d);
			say(force ? EXIT_OK : EXIT_INUSE, "rm: %s: %s is in use: %s%s", t->arg, d, why,
			    force ? "; removing it anyway (--force)" : "");
			busy = 1;
		}
	}
	if (busy && !force)
		return say(EXIT_INUSE, "rm: %s: left in place (--force removes it anyway)", t->arg);
	for (int i = 0; i < t->n; i++) {
		describe(&t->p[i], d, sizeof d);
		if (remove_part(&t->p[i]) < 0 && errno != ENOENT && errno != EINVAL && errno != EIDRM)
			rc = fail("rm: %s: cannot remove %s: %s", t->arg, d, strerror(errno));
		else
			printf("removed %s\n", d);
	}
	for (int i = 0; i < t->nfiles; i++) {
		if (unlink(t->files[i]) < 0 && errno != ENOENT)
			rc = fail("rm: %s: cannot remove key file %s: %s", t->arg, t->files[i],
				  strerror(errno));
		else
			printf("removed key file %s\n", t->files[i]);
	}
	return rc;
}

static const struct opt rm_opts[] = {KEY_ARG_OPTS, {.name = "force"}, {NULL}};

int cmd_rm(int argc, char **argv)
{
	struct cmdline c = {.who = "rm", .see = "nipc rm --help", .opts = rm_opts,
			    .max_pos = CL_MAX_POS, .flags = CL_ONCE};
	int rc = parse_cmdline(&c, argc, argv), worst = EXIT_OK, force;
	struct procscan *u;

	if (rc == CL_HELP) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	force = c.seen[2];
	if (c.val[0] && c.npos)
		return usage_error("rm: give either KEYs or --legacy NAME, not both");
	if (!c.val[0] && !c.npos)
		return usage_error("rm: missing KEY (a string form such as posix:/app, 0xKEY, "
				   "shmid:N, semid:N, or --legacy NAME)");
	if (c.val[1] && !c.val[0])
		return usage_error("rm: --type applies to --legacy NAME only");
	if (!(u = procscan_new()))
		return fail("rm: cannot read /proc to see who uses the objects: %s", strerror(errno));
	for (int i = 0; i < (c.val[0] ? 1 : c.npos); i++) {
		struct key_arg ka = {c.val[0] ? NULL : c.pos[i], c.val[0], c.val[1]};
		struct target *t = calloc(1, sizeof *t);
		if (!t) {
			worst = fail("rm: out of memory");
			break;
		}
		rc = resolve(t, &ka);
		if (!rc)
			rc = rm_one(t, u, force);
		free(t);
		if (rc > worst)
			worst = rc;
	}
	procscan_free(u);
	flush_stdout();
	return worst;
}
