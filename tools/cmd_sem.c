/* SPDX-License-Identifier: MIT */
/* nipc sem — create, acquire and release system semaphores, interoperable
 * with Qt's QSystemSemaphore (same keys, same counter). */
#include "config.h"

#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <string.h>
#include <sys/sem.h>
#include <time.h>

static const char usage_text[] =
	"usage: nipc sem create  KEY INITIAL [--hold]\n"
	"       nipc sem acquire KEY [N] [--hold] [--undo] [--create] [--timeout MS]\n"
	"       nipc sem release KEY [N] [--hold] [--undo] [--create]\n"
	"       nipc sem info    KEY [--json]\n"
	"KEY is a string form (posix:/app, systemv:/tmp/app) or --legacy NAME\n"
	"[--type TYPE]: Qt 5's legacy semaphore key of NAME (QSystemSemaphore(NAME));\n"
	"info also takes a System V key (0x5100408b) or id (semid:N), as ipcs prints.\n"
	"create sets the value to INITIAL. With --hold it stays the owner until a\n"
	"line or EOF on stdin (or SIGINT/SIGTERM), then removes the semaphore, as\n"
	"Qt's owner does; without --hold the semaphore is left in place.\n"
	"acquire takes N (default 1; blocks, at most MS milliseconds with --timeout);\n"
	"release gives N. Both change the value for good; --undo makes them as Qt\n"
	"does on System V (SEM_UNDO: undone when nipc exits; with --hold, kept until\n"
	"a line or EOF on stdin). A semaphore that does not exist is an error (exit 3)\n"
	"unless --create, which makes it (value 0) and leaves it in place.\n"
	"info prints the value and, for System V, the waiters, the pid of the last\n"
	"operation, owner and mode; it creates nothing.\n";

/* A plain `create` (or --create) leaves the semaphore in place by never
 * closing its owner; the handle stays reachable here (volatile: the store
 * must not be optimised away, or leak checkers would report it). */
static nipc_sem *volatile left_in_place;

static int sem_fail(const char *who, nipc_sem *sem, const char *what)
{
	int rc = say(nipc_sem_error(sem) == NIPC_SEM_ERR_NOT_FOUND ? EXIT_NOTFOUND : EXIT_FAIL,
		     "%s: cannot %s: %s", who, what, nipc_sem_error_reason(sem));

	nipc_sem_free(sem);
	return rc;
}

enum { S_HOLD = 2, S_UNDO, S_CREATE, S_TIMEOUT, S_JSON };
static const struct opt sem_opts[] = {
	KEY_ARG_OPTS, {.name = "hold"}, {.name = "undo"}, {.name = "create"},
	{.name = "timeout", .has_value = 1}, {.name = "json"}, {NULL}
};

static const struct {
	const char *verb;
	unsigned allowed; /* bits of sem_opts past the KEY's two */
	int max_pos;
} verbs[] = {
	{"create", 1u << S_HOLD, 2},
	{"acquire", 1u << S_HOLD | 1u << S_UNDO | 1u << S_CREATE | 1u << S_TIMEOUT, 2},
	{"release", 1u << S_HOLD | 1u << S_UNDO | 1u << S_CREATE, 2},
	{"info", 1u << S_JSON, 1},
};

static long long mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Takes n, within ms in all (ms < 0: for ever); on a timeout gives back
 * what it took, so a failed acquire changes nothing (one it made stays). */
static int acquire(const char *who, nipc_sem *sem, unsigned long long n, long long ms, int made)
{
	long long end = mono_ms() + ms;
	unsigned long long i;

	for (i = 0; i < n; i++) {
		long long left = ms < 0 ? -1 : end - mono_ms();
		int err = nipc_sem_acquire_timeout(sem, ms < 0 ? -1 : left < 0 ? 0 : (int)left);
		if (err == -NIPC_ETIMEDOUT) {
			if (i)
				nipc_sem_release(sem, (int)i);
			if (made)
				left_in_place = sem;
			else
				nipc_sem_free(sem);
			return say(EXIT_TIMEOUT, "%s: timed out after %lld ms (took none)", who, ms);
		}
		if (err < 0)
			return sem_fail(who, sem, "acquire");
	}
	return EXIT_OK;
}

static void json_long(const char *name, long v)
{
	printf(",\"%s\":", name);
	if (v >= 0)
		printf("%ld", v);
	else
		fputs("null", stdout);
}

/* What sem info prints; -1 where not known. */
struct sem_info {
	const char *backend, *name;
	long value, ncnt, zcnt, pid, uid, gid, id, key_t;
	unsigned mode;
};

static void sysv_fill(struct sem_info *si, int id)
{
	struct semid_ds ds;
	union { int val; struct semid_ds *buf; } arg = {.buf = &ds};

	si->id = id;
	si->value = semctl(id, 0, GETVAL);
	si->ncnt = semctl(id, 0, GETNCNT);
	si->zcnt = semctl(id, 0, GETZCNT);
	si->pid = semctl(id, 0, GETPID);
	if (semctl(id, 0, IPC_STAT, arg) == 0) {
		si->uid = (long)ds.sem_perm.uid;
		si->gid = (long)ds.sem_perm.gid;
		si->mode = ds.sem_perm.mode & 0777;
		si->key_t = (long)ds.sem_perm.__key;
	}
}

static int print_info(const char *who, struct sem_info *si, int json)
{
	if (si->value < 0)
		return fail("%s: cannot read the value: %s", who, strerror(errno));
	if (json) {
		fputs("{\"backend\":", stdout);
		json_string(stdout, si->backend);
		fputs(",\"name\":", stdout);
		json_string(stdout, si->name);
		json_long("value", si->value);
		json_long("ncnt", si->ncnt);
		json_long("zcnt", si->zcnt);
		json_long("pid", si->pid);
		json_long("uid", si->uid);
		json_long("gid", si->gid);
		printf(",\"mode\":\"%04o\"", si->mode);
		json_long("semid", si->id);
		printf(",\"key_t\":");
		if (si->id >= 0)
			printf("%ld}\n", si->key_t);
		else
			puts("null}");
		return EXIT_OK;
	}
	printf("backend:     %s\n", si->backend);
	if (si->name)
		printf("name:        %s\n", si->name);
	printf("value:       %ld\n", si->value);
	if (si->id >= 0)
		printf("waiters:     %ld (for a count), %ld (for zero)\nlast op pid: %ld\n"
		       "key_t:       0x%08lx\nsemid:       %ld\n", si->ncnt, si->zcnt, si->pid,
		       (unsigned long)(unsigned)si->key_t, si->id);
	printf("owner:       %ld:%ld\nmode:        %04o\n", si->uid, si->gid, si->mode);
	return EXIT_OK;
}

static int do_info(const char *who, struct key_arg *ka, int json)
{
	struct sem_info si = {.value = -1, .ncnt = -1, .zcnt = -1, .pid = -1, .uid = -1,
			      .gid = -1, .id = -1, .key_t = -1};
	long num;
	int form = ka->string ? raw_form(ka->string, &num) : RAW_NONE;

	if (form == RAW_SHMID || form == RAW_BAD)
		return usage_error("%s: '%s' is not a semaphore key (0xKEY, semid:N or a string form)",
				   who, ka->string);
	if (form == RAW_KEY && !num)
		return usage_error("%s: key 0x00000000 is IPC_PRIVATE; name the set by semid:N", who);
	if (form != RAW_NONE) {
		int id = form == RAW_SEMID ? (int)num : semget((key_t)num, 0, 0);
		struct semid_ds ds;
		union { int val; struct semid_ds *buf; } arg = {.buf = &ds};
		if (id < 0 || semctl(id, 0, IPC_STAT, arg) < 0)
			return say(errno == EACCES || errno == EPERM ? EXIT_FAIL : EXIT_NOTFOUND,
				   "%s: no semaphore set %s: %s", who, ka->string,
				   errno == EACCES || errno == EPERM ? strerror(errno) : "doesn't exist");
		si.backend = "systemv";
		sysv_fill(&si, id);
		return print_info(who, &si, json);
	}
	nipc_key *key;
	nipc_obj *o = NULL;
	int rc = key_arg_make(ka, NIPC_KIND_SEM, who, &key), err;
	if (rc)
		return rc;
	err = nipc_obj_stat(&o, key, NIPC_KIND_SEM);
	nipc_key_free(key);
	if (err == -NIPC_ENOTFOUND)
		return say(EXIT_NOTFOUND, "%s: no semaphore %s", who,
			   ka->string ? ka->string : ka->legacy);
	if (err < 0)
		return fail("%s: cannot look the semaphore up: %s", who, nipc_strerror(err));
	si.backend = nipc_obj_backend(o);
	si.uid = nipc_obj_uid(o);
	si.gid = nipc_obj_gid(o);
	si.mode = nipc_obj_mode(o);
	if (nipc_obj_id(o) >= 0) {
		sysv_fill(&si, (int)nipc_obj_id(o));
	} else {
		/* Opened without O_CREAT: nothing can come into being. */
		sem_t *ps = sem_open(nipc_obj_name(o), 0);
		int v;
		si.name = nipc_obj_name(o);
		if (ps != SEM_FAILED) {
			if (sem_getvalue(ps, &v) == 0)
				si.value = v;
			sem_close(ps);
		}
	}
	rc = print_info(who, &si, json);
	nipc_obj_free(o);
	return rc;
}

/* 1 if the semaphore of key exists (or it cannot be told), else 0. */
static int sem_exists(const nipc_key *key)
{
	nipc_obj *o = NULL;
	int err = nipc_obj_stat(&o, key, NIPC_KIND_SEM);

	nipc_obj_free(o);
	return err != -NIPC_ENOTFOUND;
}

int cmd_sem(int argc, char **argv)
{
	struct key_arg ka = {0};
	const char *verb, *num;
	char who[32];
	int hold, mode, creating, v, made = 0;
	unsigned long long n = 1, tmo = 0;
	struct opt opts[sizeof sem_opts / sizeof sem_opts[0]];
	int map[sizeof sem_opts / sizeof sem_opts[0]], seen[8] = {0}, k, j = 0;
	const char *val[8] = {0};
	struct cmdline c = {.who = who, .see = "nipc sem --help", .opts = opts, .flags = CL_ONCE};

	if (argc < 2)
		return usage_error("sem: missing subcommand\n%s", usage_text);
	verb = argv[1];
	if (is_help(verb)) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if ((v = FIND_ROW(verbs, verb)) < 0)
		return usage_error("sem: unknown subcommand '%s' (create, acquire, release, info)", verb);
	snprintf(who, sizeof who, "sem %s", verb);
	for (k = 0; sem_opts[k].name; k++)
		if (k < 2 || (verbs[v].allowed & 1u << k)) {
			map[j] = k;
			opts[j++] = sem_opts[k];
		}
	opts[j] = (struct opt){NULL};
	c.max_pos = verbs[v].max_pos;
	int prc = parse_cmdline(&c, argc - 1, argv + 1);
	if (prc == CL_HELP) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (prc)
		return prc;
	for (k = 0; k < j; k++) {
		seen[map[k]] = c.seen[k];
		val[map[k]] = c.val[k];
	}
	/* key_arg_take reads the KEY's options from the first two slots. */
	key_arg_take(&ka, &c, verbs[v].max_pos - 1);
	if (!strcmp(verb, "info"))
		return do_info(who, &ka, seen[S_JSON]);
	creating = !strcmp(verb, "create");
	hold = seen[S_HOLD];
	num = c.npos ? c.pos[0] : NULL;
	if (creating && !num)
		return usage_error("%s: missing INITIAL value", who);
	if (num && parse_num(num, creating ? 0 : 1, INT_MAX, &n) < 0)
		return usage_error("%s: %s must be a number in %d..%d, not '%s'", who,
				   creating ? "INITIAL" : "N", creating ? 0 : 1, INT_MAX, num);
	if (val[S_TIMEOUT] && parse_num(val[S_TIMEOUT], 0, INT_MAX, &tmo) < 0)
		return usage_error("%s: --timeout must be a number of milliseconds, not '%s'", who,
				   val[S_TIMEOUT]);

	nipc_key *key;
	int rc = key_arg_make(&ka, NIPC_KIND_SEM, who, &key);
	if (rc != EXIT_OK)
		return rc;
	/* Qt's Open mode would make a missing one (value 0) and remove it
	 * again at exit: an acquire would wait for nothing. */
	if (!creating && !sem_exists(key)) {
		if (!seen[S_CREATE]) {
			nipc_key_free(key);
			return say(EXIT_NOTFOUND, "%s: no semaphore %s (--create makes it, value 0)",
				   who, ka.string ? ka.string : ka.legacy);
		}
		made = 1;
	}
	nipc_sem *sem = NULL;
	mode = creating ? NIPC_SEM_CREATE : NIPC_SEM_OPEN;
	int err = nipc_sem_new(&sem, key, creating ? (int)n : 0, mode);
	nipc_key_free(key);
	if (err == -NIPC_EINVAL || err == -NIPC_ENOMEM || !sem)
		return fail("%s: %s", who, nipc_strerror(err));
	if (err < 0 || nipc_sem_error(sem))
		return sem_fail(who, sem, creating ? "create the semaphore" : "open the semaphore");
	nipc_sem_set_undo(sem, seen[S_UNDO] > 0);

	if (creating) {
		if (!hold) {
			left_in_place = sem;
			return EXIT_OK;
		}
		catch_stop_signals();
		puts("created");
		flush_stdout();
		wait_line_or_signal();
	} else {
		if (!strcmp(verb, "acquire")) {
			if ((rc = acquire(who, sem, n, val[S_TIMEOUT] ? (long long)tmo : -1, made)))
				return rc;
		} else if (nipc_sem_release(sem, (int)n) < 0) {
			return sem_fail(who, sem, "release");
		}
		if (hold) {
			catch_stop_signals();
			puts(verb[0] == 'a' ? "acquired" : "released");
			flush_stdout();
			wait_line_or_signal();
		}
		if (made) {
			left_in_place = sem;
			return EXIT_OK;
		}
	}
	nipc_sem_free(sem);
	return EXIT_OK;
}
