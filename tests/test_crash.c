/* SPDX-License-Identifier: MIT */
/* A process killed with SIGKILL while attached, while holding a segment's
 * lock, and inside every crash window of the lock protocol, on both
 * backends: afterwards every operation of a new process ends within T_OP
 * (none blocks for ever), the lock still excludes, and Qt's recovery idiom
 * (create fails with AlreadyExists → attach → detach) leaves nothing
 * behind. Windows inside the library are reached through its fault points
 * (objhelper's NIPC_TEST_FAULT), windows at a system call with strace's
 * syscall injection. */
#include "config.h"

#include "nipc.h"
#include "tlib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>


#define T_OP 10000     /* ms: generous bound for one operation after a crash */
#define T_WAITING 500  /* ms a second locker must stay blocked */
static int SYSV = NIPC_KEY_SYSTEMV, POSIX = NIPC_KEY_POSIX;

#define TYPE (*(int *)*state)

/* Keys of the running test, freed by its teardown even when it fails. */
static nipc_key *keys[8];

static nipc_key *kept(nipc_key *k)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!keys[i])
			return keys[i] = k;
	fail_msg("too many keys in one test");
	return NULL;
}

static nipc_key *new_key(int type)
{
	nipc_key *k = tl_key(type);

	assert_non_null(k);
	return kept(k);
}

/* cmd must answer "ok..." within T_OP. */
static void op_ok(struct tl_proc *c, const char *cmd)
{
	const char *r = tl_cmd(c, cmd, T_OP);

	if (strncmp(r, "ok", 2))
		fail_msg("'%s' -> '%s'%s", cmd, r, *r ? "" : " (no answer within 10 s: blocks)");
}

static void killed(struct tl_proc *c)
{
	assert_int_equal(tl_kill(c), 128 + SIGKILL);
}

/* What of key is left, for messages. */
static const char *what_left(const nipc_key *k)
{
	static char buf[64];

	snprintf(buf, sizeof buf, "%s%s%s",
		 nipc_key_type_is_systemv(nipc_key_type(k)) &&
				 access(nipc_key_native(k), F_OK) == 0 ? " key-file" : "",
		 TL_SHM_EXISTS(k) ? " segment" : "", TL_SEM_EXISTS(k) ? " lock-semaphore" : "");
	return buf[0] ? buf : " nothing";
}

static void nothing_left(const nipc_key *k, const char *after)
{
	if (TL_LEFTOVER(k))
		fail_msg("left after %s:%s", after, what_left(k));
}

/* create fails with AlreadyExists, attach, detach: all gone */
static void recover(const nipc_key *k)
{
	nipc_shm *shm;

	assert_int_equal(nipc_shm_new(&shm, k), 0);
	assert_int_equal(nipc_shm_create(shm, 64, NIPC_SHM_READWRITE), -NIPC_EEXIST);
	assert_string_equal(nipc_shm_error_string(shm), "nipc_shm_create: already exists");
	assert_int_equal(nipc_shm_attach(shm, NIPC_SHM_READWRITE), 0);
	assert_int_equal(nipc_shm_detach(shm), 0);
	nipc_shm_free(shm);
	assert_false(TL_LEFTOVER(k));
}

/* ------------------------------------------------ after any crash */

static char *key_text(const nipc_key *k)
{
	char *s = NULL;

	assert_int_equal(nipc_key_to_string(&s, k), 0);
	return s;
}

/* `nipc shm info KEY [--cleanup]` ends within 10 s (found or not). */
static void info_ends(const nipc_key *k, int cleanup)
{
	char *ks = key_text(k), err[512] = "";
	int st = tl_run_text(TL_ARGV(tl_nipc(), "shm", "info", ks, cleanup ? "--cleanup" : NULL),
			     NULL, 0, err, sizeof err);

	err[strcspn(err, "\n")] = '\0';
	print_message("# nipc shm info%s: exit %d %s\n", cleanup ? " --cleanup" : "", st, err);
	free(ks);
	if (st < 0)
		fail_msg("nipc shm info still running after 10 s: blocks");
	if (st != 0 && st != 1 && st != 3) /* 3: no segment */
		fail_msg("nipc shm info: exit %d", st);
}

/* Qt's recovery idiom in a new process ends within T_OP and leaves
 * nothing behind. */
static void recovered(const nipc_key *k)
{
	struct tl_proc d;

	tl_ledger_note();
	assert_int_equal(TL_OBJHELPER(&d, k), 0);
	op_ok(&d, "recover");
	assert_int_equal(tl_end(&d, "exit"), 0);
	nothing_left(k, "the recovery idiom");
}

/* b holds the lock: c waits, also while d's create-or-attach (a create
 * that fails with AlreadyExists) runs, and gets it when b gives it back. */
static void excludes(struct tl_proc *b, struct tl_proc *c, struct tl_proc *d)
{
	char dr[128];
	const char *r;

	op_ok(b, "lock");
	assert_int_equal(tl_send(d, "open 64"), 0);
	snprintf(dr, sizeof dr, "%s", tl_cmd(d, NULL, T_WAITING)); /* may wait for b */
	assert_int_equal(tl_send(c, "lock"), 0);
	r = tl_cmd(c, NULL, T_WAITING);
	if (*r)
		fail_msg("a second locker got '%s' while the first held the lock%s: no exclusion",
			 r, *dr ? " (after a failed create)" : "");
	op_ok(b, "unlock");
	r = tl_cmd(c, NULL, T_OP);
	if (strcmp(r, "ok"))
		fail_msg("the waiting locker: '%s' after the holder unlocked%s", r,
			 *r ? "" : " (no answer within 10 s)");
	op_ok(c, "unlock");
	if (!*dr)
		snprintf(dr, sizeof dr, "%s", tl_cmd(d, NULL, T_OP));
	if (strcmp(dr, "ok attached"))
		fail_msg("create-or-attach while the lock was held: '%s'", dr);
}

/* Whatever a crash left of k: info, create-or-attach and lock of new
 * processes end in time, the lock excludes, and after those are killed
 * too the recovery idiom leaves nothing; `info --cleanup` on nothing
 * leaves nothing either. */
static void usable_after_crash(const nipc_key *k)
{
	struct tl_proc b, c, d;

	tl_ledger_note();
	info_ends(k, 0);
	assert_int_equal(TL_OBJHELPER(&b, k), 0);
	assert_int_equal(TL_OBJHELPER(&c, k), 0);
	assert_int_equal(TL_OBJHELPER(&d, k), 0);
	op_ok(&b, "open 64");
	op_ok(&c, "open 64");
	excludes(&b, &c, &d);
	tl_ledger_note();
	killed(&b);
	killed(&c);
	killed(&d);
	recovered(k);
	info_ends(k, 1);
	nothing_left(k, "nipc shm info --cleanup on a key with nothing");
}

/* ------------------------------------------- killed while attached */

static void killed_while_attached(void **state)
{
	nipc_key *k = new_key(TYPE);
	struct tl_proc c;

	TL_OBJHELPER_OK(&c, k, "create 64");
	killed(&c);
	assert_true(TL_SHM_EXISTS(k));
	recover(k);
}

static void killed_while_holding_lock(void **state)
{
	nipc_key *k = new_key(TYPE);
	struct tl_proc c;
	nipc_shm *shm;

	TL_OBJHELPER_OK(&c, k, "create 64");
	assert_true(tl_cmd_ok(&c, "lock"));
	killed(&c);
	alarm(30); /* a deadlock fails the test instead of hanging it */
	recover(k);

	/* the lock works again afterwards */
	assert_int_equal(nipc_shm_new(&shm, k), 0);
	assert_int_equal(nipc_shm_create(shm, 64, NIPC_SHM_READWRITE), 0);
	assert_int_equal(nipc_shm_lock(shm), 0);
	assert_int_equal(nipc_shm_unlock(shm), 0);
	nipc_shm_free(shm);
	alarm(120);
	assert_false(TL_LEFTOVER(k));
}

/* System V legacy key (the lock has a key file of its own), after a crash
 * left segment, lock and both key files: a create() that fails with
 * AlreadyExists while another process holds the lock leaves that lock as it
 * is (same semaphore, still held, its key file there) and excludes a third
 * locker; after the freed failed creator the lock is still there; the
 * recovery idiom then removes everything. */
static void failed_create_leaves_lock(void **state)
{
	char name[64];
	struct tl_proc c, h, p, q;
	nipc_key *k, *lk;
	long lkt;
	int id, val;
	const char *r;
	char pr[128];

	snprintf(name, sizeof name, "crash%d", (int)getpid());
	/* the children make the lock's key file in $TMPDIR too (teardown
	 * restores it) */
	setenv("TMPDIR", tl_key_dir("legacy"), 1);
	assert_int_equal(nipc_key_legacy_make(&k, name, NIPC_KIND_SHM, NIPC_KEY_SYSTEMV,
					      NIPC_OS_HOST, NULL), 0);
	kept(k);
	assert_int_equal(nipc_key_legacy_make(&lk, name, NIPC_KIND_SEM, NIPC_KEY_SYSTEMV,
					      NIPC_OS_HOST, NULL), 0);
	kept(lk);
	TL_OBJHELPER_OK(&c, k, "create 64");
	killed(&c);
	assert_true(TL_SHM_EXISTS(k));
	assert_true(TL_SEM_EXISTS(lk));
	assert_int_equal(access(nipc_key_native(k), F_OK), 0);
	assert_int_equal(access(nipc_key_native(lk), F_OK), 0);
	assert_int_equal(nipc_ftok(&lkt, nipc_key_native(lk), NIPC_KEY_SYSTEMV), 0);
	assert_true((id = semget(lkt, 0, 0)) >= 0);

	assert_int_equal(TL_OBJHELPER(&h, k), 0);
	op_ok(&h, "attach rw");
	op_ok(&h, "lock");
	assert_int_equal(semctl(id, 0, GETVAL), 0);
	assert_int_equal(TL_OBJHELPER(&p, k), 0);
	assert_int_equal(TL_OBJHELPER(&q, k), 0);
	assert_int_equal(tl_send(&p, "create 64"), 0);
	snprintf(pr, sizeof pr, "%s", tl_cmd(&p, NULL, T_WAITING));
	if (*pr && strncmp(pr, "err 4 ", 6))
		fail_msg("create on an existing segment: '%s'", pr);
	if (semget(lkt, 0, 0) != id)
		fail_msg("the failed create replaced the held lock (id %d, now %d)", id,
			 semget(lkt, 0, 0));
	if ((val = semctl(id, 0, GETVAL)) != 0)
		fail_msg("the failed create reset the held lock to %d", val);
	if (access(nipc_key_native(lk), F_OK))
		fail_msg("the failed create removed the lock's key file");
	assert_int_equal(tl_send(&q, "lock"), 0);
	r = tl_cmd(&q, NULL, T_WAITING);
	if (*r)
		fail_msg("a third locker got '%s' while the first held the lock: no exclusion", r);
	op_ok(&h, "unlock");
	/* the waiting locker and the waiting creator may get the lock in
	 * either order: the creator's answer may come after q's unlock */
	r = tl_cmd(&q, NULL, T_OP);
	if (strcmp(r, "ok"))
		fail_msg("the waiting locker: '%s' after the holder unlocked", r);
	op_ok(&q, "unlock");
	if (!*pr && strncmp(r = tl_cmd(&p, NULL, T_OP), "err 4 ", 6))
		fail_msg("create on an existing segment, after the unlock: '%s'", r);
	assert_int_equal(tl_end(&p, "exit"), 0);
	if (semget(lkt, 0, 0) != id)
		fail_msg("freeing the failed creator removed the lock");
	assert_int_equal(access(nipc_key_native(lk), F_OK), 0);
	assert_true(TL_SHM_EXISTS(k));

	killed(&h);
	killed(&q);
	recovered(k);
	nothing_left(lk, "the recovery idiom (lock key)");
}

/* A holder dies while others wait for the lock: exactly one of them takes
 * it over, and the counter they share stays exact. */
static void killed_holder_then_counter(void **state)
{
	enum { N = 3, EACH = 200 };
	nipc_key *k = new_key(TYPE);
	struct tl_proc holder, c[N];
	nipc_shm *shm;
	char cmd[32];

	assert_int_equal(nipc_shm_new(&shm, k), 0);
	assert_int_equal(nipc_shm_create(shm, 64, NIPC_SHM_READWRITE), 0);
	for (int i = 0; i < N; i++) {
		TL_OBJHELPER_OK(&c[i], k, "attach rw");
	}
	TL_OBJHELPER_OK(&holder, k, "attach rw");
	assert_true(tl_cmd_ok(&holder, "lock"));
	snprintf(cmd, sizeof cmd, "inc %d", EACH);
	for (int i = 0; i < N; i++)
		assert_int_equal(tl_send(&c[i], cmd), 0);
	usleep(100000);
	for (int i = 0; i < N; i++)
		assert_string_equal(tl_cmd(&c[i], NULL, 0), ""); /* all waiting */
	killed(&holder);
	for (int i = 0; i < N; i++)
		assert_string_equal(tl_cmd(&c[i], NULL, 60000), "ok");
	assert_int_equal(*(uint32_t *)nipc_shm_data(shm), N * EACH);
	assert_int_equal(nipc_shm_lock(shm), 0);
	assert_int_equal(nipc_shm_unlock(shm), 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(tl_end(&c[i], "exit"), 0);
	nipc_shm_free(shm);
	assert_false(TL_LEFTOVER(k));
}

/* ------------------------------------------ fault points (lib/internal.h) */

struct window {
	const char *point;
	int *type;
	const char *before; /* commands before the fault is armed, ';' between */
	const char *fatal;  /* the command that reaches the point */
	int at_start;       /* armed by NIPC_TEST_FAULT, not by "fault" */
};

/* The objhelper on c must die of SIGKILL at point while running cmd. */
static void dies_at(struct tl_proc *c, const char *cmd, const char *point)
{
	const char *r;
	char got[128];
	int st;

	assert_int_equal(tl_send(c, cmd), 0);
	r = tl_cmd(c, NULL, T_OP);
	if (*r && strcmp(r, "(eof)")) {
		snprintf(got, sizeof got, "%s", r);
		tl_kill(c);
		fail_msg("'%s' answered '%s': fault point %s not reached", cmd, got, point);
	}
	st = tl_wait(c, T_OP);
	tl_proc_free(c);
	if (st == -1)
		fail_msg("'%s' still running after 10 s: blocks before fault point %s", cmd, point);
	if (st != 128 + SIGKILL)
		fail_msg("'%s' ended with status %d, not killed at %s", cmd, st, point);
}

static void crash(const nipc_key *k, const struct window *w)
{
	char cmds[128], arm[96], *save = NULL;
	struct tl_proc c;

	if (w->at_start)
		setenv("NIPC_TEST_FAULT", w->point, 1);
	assert_int_equal(TL_OBJHELPER(&c, k), 0);
	unsetenv("NIPC_TEST_FAULT");
	snprintf(cmds, sizeof cmds, "%s", w->before ? w->before : "");
	for (char *cmd = strtok_r(cmds, ";", &save); cmd; cmd = strtok_r(NULL, ";", &save))
		op_ok(&c, cmd);
	tl_ledger_note();
	if (!w->at_start) {
		snprintf(arm, sizeof arm, "fault %s", w->point);
		op_ok(&c, arm);
	}
	dies_at(&c, w->fatal, w->point);
	tl_ledger_note();
}

/* Killed at the point twice: the recovery idiom cleans the first state
 * up, new processes use the second one. */
static void crash_window(void **state)
{
	const struct window *w = *state;
	nipc_key *k = new_key(*w->type);

	crash(k, w);
	print_message("# killed at %s:%s left\n", w->point, what_left(k));
	recovered(k);
	crash(k, w);
	usable_after_crash(k);
}

static const struct window w_sysv_lock_made = {"sysv-lock-made", &SYSV, NULL, "create 64", 1};
static const struct window w_posix_lock_taken_in_create = {"posix-lock-taken", &POSIX, NULL, "create 64", 1};
static const struct window w_posix_lock_taken = {"posix-lock-taken", &POSIX, "create 64", "lock", 0};
static const struct window w_posix_lock_posted = {"posix-lock-posted", &POSIX, "create 64;lock", "unlock", 0};
static const struct window w_seg_removed_sysv = {"seg-removed", &SYSV, "create 64", "detach", 0};
static const struct window w_seg_removed_posix = {"seg-removed", &POSIX, "create 64", "detach", 0};
static const struct window w_lock_removed_sysv = {"lock-removed", &SYSV, "create 64", "detach", 0};
static const struct window w_lock_removed_posix = {"lock-removed", &POSIX, "create 64", "detach", 0};

/* ------------------------------------- system call windows (strace) */

static char strace_bin[PATH_MAX];

/* LeakSanitizer cannot run under ptrace: off for traced sanitizer builds. */
static const char *no_leak_check(void)
{
	static char env[512];
	const char *old = getenv("ASAN_OPTIONS");

	snprintf(env, sizeof env, "ASAN_OPTIONS=%s%sdetect_leaks=0", old ? old : "", old ? ":" : "");
	return env;
}

/* "" when strace can trace here, else why not. */
static const char *strace_unusable(void)
{
	static char why[256];
	static int checked;
	char err[256] = "";
	const char *path = getenv("PATH");

	if (checked)
		return why;
	checked = 1;
	snprintf(why, sizeof why, "strace is not installed");
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(strace_bin, sizeof strace_bin, "%.*s/strace", (int)n, p);
		if (n && access(strace_bin, X_OK) == 0) {
			int st = tl_run_text(TL_ARGV(strace_bin, "-f", "-o", "/dev/null", "true"),
					     NULL, 0, err, sizeof err);

			if (st == 0)
				why[0] = '\0';
			else
				snprintf(why, sizeof why, "strace cannot trace here (ptrace?): %s", err);
			break;
		}
		p += n + !!p[n];
	}
	why[strcspn(why, "\n")] = '\0';
	return why;
}

#define NEED_STRACE()                                                  \
	do {                                                           \
		if (*strace_unusable()) {                              \
			print_message("# SKIP: %s\n", strace_unusable()); \
			skip();                                        \
		}                                                      \
	} while (0)

/* `nipc shm create KEY SIZE` under strace tracing set; its log (malloc'd). */
static char *strace_create(const nipc_key *k, const char *size, const char *set)
{
	char log[PATH_MAX], err[512], *ks = key_text(k), *text;
	int fd, st;
	struct stat sb;

	snprintf(log, sizeof log, "%s", tl_new_path("strace.log"));
	assert_true((fd = open(log, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0);
	st = tl_run_text(TL_ARGV(strace_bin, "-f", "-y", "-o", log, "-E", no_leak_check(), "-e", set,
				 tl_nipc(), "shm", "create", ks, size),
			 NULL, 0, err, sizeof err);
	free(ks);
	unlink(log);
	if (st != 0) {
		close(fd);
		fail_msg("traced nipc shm create: exit %d: %s", st, err);
	}
	assert_int_equal(fstat(fd, &sb), 0);
	text = calloc(1, (size_t)sb.st_size + 1);
	assert_non_null(text);
	assert_int_equal(pread(fd, text, (size_t)sb.st_size, 0), sb.st_size);
	close(fd);
	return text;
}

/* The system call name of a strace line (after a pid, if any); the rest. */
static const char *call_name(const char *line, char *name, size_t size)
{
	size_t n;

	line += strspn(line, "0123456789 ");
	n = strcspn(line, "(");
	snprintf(name, size, "%.*s", (int)n, line);
	return line + n;
}

/* `nipc shm create KEY SIZE` under strace injecting SIGKILL at the n-th call
 * of sc: it must die. */
static void killed_by_strace(const nipc_key *k, const char *size, const char *sc, int n)
{
	char inject[96], err[512], *ks = key_text(k);
	int st;

	snprintf(inject, sizeof inject, "inject=%s:signal=SIGKILL:when=%d", sc, n);
	st = tl_run_text(TL_ARGV(strace_bin, "-f", "-o", "/dev/null", "-E", no_leak_check(), "-e",
				 inject, tl_nipc(), "shm", "create", ks, size),
			 NULL, 0, err, sizeof err);
	free(ks);
	tl_ledger_note();
	if (st == 0)
		fail_msg("nipc shm create ran to the end: no %d-th %s", n, sc);
	if (st < 0)
		fail_msg("nipc shm create still running after 10 s");
}

/* The first semop/semtimedop/semctl after the semget(IPC_EXCL) that made
 * the lock, in a dry run on another key: sc and its count. */
static void sysv_init_call(char *sc, size_t size, int *n)
{
	nipc_key *dry = new_key(SYSV);
	char *log = strace_create(dry, "64", "trace=semget,semop,semtimedop,semctl"), name[32];
	int made = 0, semop_n = 0, semtimedop_n = 0, semctl_n = 0;

	*n = 0;
	for (char *save, *line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *rest = call_name(line, name, sizeof name);
		int *cnt = !strcmp(name, "semop") ? &semop_n
			   : !strcmp(name, "semtimedop") ? &semtimedop_n
			   : !strcmp(name, "semctl") ? &semctl_n : NULL;

		if (!strcmp(name, "semget")) {
			const char *res = strstr(rest, ") = ");

			made |= strstr(rest, "IPC_EXCL") && res && res[4] != '-';
		} else if (cnt) {
			++*cnt;
			if (made) {
				snprintf(sc, size, "%s", name);
				*n = *cnt;
				break;
			}
		}
	}
	free(log);
	if (!*n)
		fail_msg("no semop/semtimedop/semctl after a semget(IPC_EXCL) in nipc shm create");
}

/* Item 3: the System V lock's creator killed between semget(IPC_EXCL) and
 * its initialisation leaves a semaphore at 0 never operated on (sem_otime
 * 0) and no holder: attach, lock, info and the recovery idiom must still
 * end, and the lock exclude. */
static void sysv_lock_creator_killed_before_init(void **state)
{
	nipc_key *k = new_key(SYSV);
	struct semid_ds ds;
	char sc[32];
	long kt;
	int n, id = -1;

	NEED_STRACE();
	sysv_init_call(sc, sizeof sc, &n);
	print_message("# the lock's first %s after semget(IPC_EXCL): call %d\n", sc, n);
	for (int round = 0; round < 2; round++) {
		killed_by_strace(k, "64", sc, n);
		if (nipc_ftok(&kt, nipc_key_native(k), NIPC_KEY_SYSTEMV) < 0 ||
		    (id = semget(kt, 0, 0)) < 0 || semctl(id, 0, IPC_STAT, &ds) < 0)
			fail_msg("no lock semaphore after the kill:%s", what_left(k));
		if (semctl(id, 0, GETVAL) != 0 || ds.sem_otime != 0)
			fail_msg("the kill missed the window: value %d, sem_otime %ld",
				 semctl(id, 0, GETVAL), (long)ds.sem_otime);
		if (round == 0)
			recovered(k);
		else
			usable_after_crash(k);
	}
}

/* In the initial PID namespace (its nsfs inode number is fixed) every
 * process has a pid, so GETPID 0 means "no last operator". */
static int all_pids_visible(void)
{
	struct stat sb;

	return stat("/proc/self/ns/pid", &sb) == 0 && sb.st_ino == 0xEFFFFFFCU;
}

/* The System V lock's maker killed before it initialised the lock, then a
 * process that waited for it with SEM_UNDO gone (one that gave up, or was
 * killed waiting): the kernel's exit_sem() sets sem_otime of every set the
 * exiting process has an undo entry for, even one adjusting nothing, and
 * leaves the last operator alone. The lock at 0 then has a sem_otime and no
 * last operator (GETPID 0); new processes must still get it. */
static void sysv_lock_made_then_waiter_gone(void **state)
{
	struct sembuf down = {.sem_num = 0, .sem_op = -1, .sem_flg = SEM_UNDO | IPC_NOWAIT};
	nipc_key *k = new_key(SYSV);
	struct semid_ds ds;
	int id = -1, st = -1;
	pid_t pid;
	long kt;

	if (!all_pids_visible()) {
		print_message("# SKIP: not in the initial PID namespace: GETPID 0 is ambiguous here\n");
		skip();
	}
	crash(k, &w_sysv_lock_made);
	if (nipc_ftok(&kt, nipc_key_native(k), NIPC_KEY_SYSTEMV) < 0 || (id = semget(kt, 0, 0)) < 0)
		fail_msg("no lock semaphore after the kill:%s", what_left(k));
	if ((pid = fork()) == 0)
		_exit(semop(id, &down, 1) < 0 && errno == EAGAIN ? 0 : 1);
	assert_true(pid > 0);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	assert_int_equal(st, 0);
	assert_int_equal(semctl(id, 0, IPC_STAT, &ds), 0);
	if (semctl(id, 0, GETVAL) != 0 || ds.sem_otime == 0 || semctl(id, 0, GETPID) != 0)
		fail_msg("not the state under test: value %d, sem_otime %ld, sempid %d",
			 semctl(id, 0, GETVAL), (long)ds.sem_otime, semctl(id, 0, GETPID));
	usable_after_crash(k);
}

#define SEG_SIZE "12288"

/* Item 5: the POSIX creator killed at the ftruncate that sizes its segment
 * (found in a dry run): nothing is visible under the name, and the key is
 * usable. */
static void posix_creator_killed_at_ftruncate(void **state)
{
	nipc_key *k = new_key(POSIX);
	char path[PATH_MAX], name[32];
	struct stat st;
	int n = 0, calls = 0;

	NEED_STRACE();
	nipc_key *dry = new_key(POSIX);
	char *log = strace_create(dry, SEG_SIZE, "trace=ftruncate");

	for (char *save, *line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *rest = call_name(line, name, sizeof name);

		if (strcmp(name, "ftruncate"))
			continue;
		calls++;
		if (!n && strstr(rest, ", " SEG_SIZE ")"))
			n = calls;
	}
	free(log);
	if (!n)
		fail_msg("no ftruncate to " SEG_SIZE " bytes in nipc shm create");
	print_message("# the segment's ftruncate: call %d\n", n);
	snprintf(path, sizeof path, "/dev/shm%s", nipc_key_native(k));
	for (int round = 0; round < 2; round++) {
		killed_by_strace(k, SEG_SIZE, "ftruncate", n);
		if (stat(path, &st) == 0)
			fail_msg("a half-made segment (%lld bytes) is visible under %s",
				 (long long)st.st_size, nipc_key_native(k));
		if (round == 0)
			recovered(k);
		else
			usable_after_crash(k);
	}
}

/* System V semaphores (id, key) that exist now, from /proc/sysvipc/sem. */
struct sems {
	int n;
	int id[1024];
	key_t key[1024];
	unsigned cuid[1024];
};

static void sems_now(struct sems *s)
{
	FILE *f = fopen("/proc/sysvipc/sem", "r");
	char line[512];

	s->n = 0;
	assert_non_null(f);
	while (fgets(line, sizeof line, f) && s->n < 1024) {
		int key, id;
		unsigned perms, cuid;
		unsigned long nsems;
		unsigned uid, gid;

		if (sscanf(line, "%d %d %o %lu %u %u %u", &key, &id, &perms, &nsems, &uid, &gid,
			   &cuid) == 7) {
			s->key[s->n] = (key_t)key;
			s->cuid[s->n] = cuid;
			s->id[s->n++] = id;
		}
	}
	fclose(f);
}

/* Item 6: `nipc sem create systemv:PATH 40000` (beyond SEMVMX) fails and
 * leaves neither a semaphore nor the key file it made; with a key file
 * made beforehand, no semaphore under its key. */
#define ODD_ID 167 /* 0xa7: an ftok project id only this test uses */

static void sysv_failed_sem_create_undone(void **state)
{
	nipc_key *k = new_key(SYSV);
	static struct sems before, after;
	char ks[PATH_MAX + 16], err[512];
	long dirkey, kt;
	int st, fd;

	/* A project id no other test uses: keys of files in the run's
	 * directory then share ftok's upper 16 bits with no other test's, so a
	 * semaphore another test makes meanwhile is never taken for ours (nor
	 * removed: that broke a parallel chaos run). */
	snprintf(ks, sizeof ks, "systemv-%d:%s", ODD_ID, nipc_key_native(k));
	assert_int_equal(nipc_ftok(&dirkey, tl_path("keys"), ODD_ID), 0);
	sems_now(&before);
	st = tl_run_text(TL_ARGV(tl_nipc(), "sem", "create", ks, "40000"), NULL, 0, err, sizeof err);
	err[strcspn(err, "\n")] = '\0';
	print_message("# nipc sem create %s 40000: exit %d: %s\n", ks, st, err);
	assert_int_equal(st, 1);
	sems_now(&after);
	for (int i = 0; i < after.n; i++) {
		int old = 0;

		for (int j = 0; j < before.n; j++)
			old |= before.id[j] == after.id[i] && before.key[j] == after.key[i];
		if (!old && after.cuid[i] == geteuid() &&
		    ((unsigned)after.key[i] & 0xffff0000u) == ((unsigned)dirkey & 0xffff0000u)) {
			semctl(after.id[i], 0, IPC_RMID);
			fail_msg("semaphore left: id %d, key %#x (the key file is %s)", after.id[i],
				 (unsigned)after.key[i],
				 access(nipc_key_native(k), F_OK) ? "gone" : "there");
		}
	}
	if (access(nipc_key_native(k), F_OK) == 0)
		fail_msg("the key file it made is left");

	/* a key file that was there before stays; no semaphore under it */
	assert_true((fd = open(nipc_key_native(k), O_CREAT | O_EXCL | O_RDONLY, 0600)) >= 0);
	close(fd);
	tl_ledger_note();
	assert_int_equal(nipc_ftok(&kt, nipc_key_native(k), ODD_ID), 0);
	st = tl_run_text(TL_ARGV(tl_nipc(), "sem", "create", ks, "40000"), NULL, 0, err, sizeof err);
	assert_int_equal(st, 1);
	if (semget(kt, 0, 0) >= 0)
		fail_msg("semaphore left under the key of a key file made beforehand");
}

/* Item 5: a 0-byte POSIX segment made by someone else (shm_open(O_CREAT)
 * and no ftruncate yet, as Python and Qt 6 make theirs) is theirs: create
 * says AlreadyExists, attach InvalidSize, and neither they, the recovery
 * idiom nor `info --cleanup` remove it. */
static void foreign_empty_posix_segment_kept(void **state)
{
	nipc_key *k = new_key(POSIX);
	char path[PATH_MAX];
	struct tl_proc c;
	struct stat st;
	const char *r;
	int fd;

	snprintf(path, sizeof path, "/dev/shm%s", nipc_key_native(k));
	assert_true((fd = shm_open(nipc_key_native(k), O_RDWR | O_CREAT | O_EXCL, 0600)) >= 0);
	close(fd);
	assert_int_equal(TL_OBJHELPER(&c, k), 0);
	r = tl_cmd(&c, "create 64", T_OP);
	if (strncmp(r, "err 4 ", 6))
		fail_msg("create on a foreign 0-byte segment: '%s', not AlreadyExists", r);
	r = tl_cmd(&c, "attach rw", T_OP);
	if (strncmp(r, "err 2 ", 6))
		fail_msg("attach to a foreign 0-byte segment: '%s', not InvalidSize", r);
	r = tl_cmd(&c, "attach ro", T_OP);
	if (strncmp(r, "err 2 ", 6))
		fail_msg("read-only attach to a foreign 0-byte segment: '%s', not InvalidSize", r);
	r = tl_cmd(&c, "recover", T_OP);
	if (!strncmp(r, "ok", 2) || !*r)
		fail_msg("the recovery idiom on a foreign 0-byte segment: '%s'", r);
	assert_int_equal(tl_end(&c, "exit"), 0);
	info_ends(k, 1);
	if (stat(path, &st) < 0)
		fail_msg("the foreign 0-byte segment was removed");
	assert_int_equal(st.st_size, 0);
}

/* Item 7: "/." and "/.." name /dev/shm itself and its parent: KeyError,
 * and nothing under /dev/shm is opened or made for them. */
static const char *const dot_sems[] = {"/dev/shm/sem..", "/dev/shm/sem..."};
static int dot_sem_made[2];

static void posix_dot_names_are_key_errors(void **state)
{
	static const char *const names[] = {"/.", "/.."};
	const char *const *sems = dot_sems;

	for (int i = 0; i < 2; i++)
		dot_sem_made[i] = access(sems[i], F_OK) != 0; /* teardown removes it */
	for (int i = 0; i < 2; i++) {
		static const char *const ops[] = {"create", "attach", "read-only attach",
						  "semaphore create", "semaphore open"};
		nipc_key *k;
		nipc_shm *shm;
		nipc_sem *sem;
		int r[5];

		assert_int_equal(nipc_key_new(&k, NIPC_KEY_POSIX, names[i]), 0);
		kept(k);
		assert_int_equal(nipc_shm_new(&shm, k), 0);
		r[0] = nipc_shm_create(shm, 64, NIPC_SHM_READWRITE);
		r[1] = nipc_shm_attach(shm, NIPC_SHM_READWRITE);
		r[2] = nipc_shm_attach(shm, NIPC_SHM_READONLY);
		nipc_shm_free(shm);
		r[3] = nipc_sem_new(&sem, k, 1, NIPC_SEM_CREATE);
		nipc_sem_free(sem);
		r[4] = nipc_sem_new(&sem, k, 1, NIPC_SEM_OPEN);
		nipc_sem_free(sem);
		for (int j = 0; j < 5; j++)
			if (r[j] != -NIPC_EKEY)
				fail_msg("posix:%s: %s gives %s, not KeyError", names[i], ops[j],
					 r[j] ? nipc_err_name(r[j]) : "success");
		if (dot_sem_made[i] && access(sems[i], F_OK) == 0)
			fail_msg("%s was made for posix:%s", sems[i], names[i]);
	}
	if (*strace_unusable()) {
		print_message("# not traced: %s\n", strace_unusable());
		return;
	}
	for (int i = 0; i < 2; i++) {
		char log[PATH_MAX], key[16], text[8192] = "", want[32];
		ssize_t n;
		int fd;

		snprintf(log, sizeof log, "%s", tl_new_path("strace.log"));
		assert_true((fd = open(log, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0);
		snprintf(key, sizeof key, "posix:%s", names[i]);
		tl_run_text(TL_ARGV(strace_bin, "-f", "-o", log, "-E", no_leak_check(), "-e",
				    "trace=open,openat,openat2", tl_nipc(), "shm", "info", key),
			    NULL, 0, NULL, 0);
		unlink(log);
		n = pread(fd, text, sizeof text - 1, 0);
		close(fd);
		text[n > 0 ? n : 0] = '\0';
		snprintf(want, sizeof want, "\"/dev/shm%s\"", names[i]);
		if (strstr(text, want))
			fail_msg("nipc shm info %s opens %s", key, want);
		if (dot_sem_made[i] && access(sems[i], F_OK) == 0)
			fail_msg("nipc shm info %s made %s", key, sems[i]);
	}
}

/* ------------------------------------------------------------ the run */

static char *tmpdir;

static int group_setup(void **state)
{
	if (getenv("TMPDIR"))
		tmpdir = strdup(getenv("TMPDIR"));
	return 0;
}

static int group_teardown(void **state)
{
	free(tmpdir);
	return 0;
}

static int test_setup(void **state)
{
	alarm(120); /* a deadlock fails the run instead of hanging it */
	return 0;
}

/* Every child and object of the test goes, even when it failed. */
static int test_teardown(void **state)
{
	tl_kill_all();
	tl_ledger_clean();
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		nipc_key_free(keys[i]);
		keys[i] = NULL;
	}
	if (tmpdir)
		setenv("TMPDIR", tmpdir, 1);
	else
		unsetenv("TMPDIR");
	for (int i = 0; i < 2; i++)
		if (dot_sem_made[i]) {
			unlink(dot_sems[i]);
			dot_sem_made[i] = 0;
		}
	return 0;
}

#define T(name, f, s) {name, f, test_setup, test_teardown, (void *)(s)}
#define BOTH(f) T(#f "_sysv", f, &SYSV), T(#f "_posix", f, &POSIX)
#define WINDOW(w) T("crash_at_" #w, crash_window, &w_##w)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(killed_while_attached),
		BOTH(killed_while_holding_lock),
		BOTH(killed_holder_then_counter),
		T("failed_create_leaves_lock", failed_create_leaves_lock, NULL),
		WINDOW(sysv_lock_made),
		WINDOW(posix_lock_taken_in_create),
		WINDOW(posix_lock_taken),
		WINDOW(posix_lock_posted),
		WINDOW(seg_removed_sysv),
		WINDOW(seg_removed_posix),
		WINDOW(lock_removed_sysv),
		WINDOW(lock_removed_posix),
		T("sysv_lock_creator_killed_before_init", sysv_lock_creator_killed_before_init, NULL),
		T("sysv_lock_made_then_waiter_gone", sysv_lock_made_then_waiter_gone, NULL),
		T("posix_creator_killed_at_ftruncate", posix_creator_killed_at_ftruncate, NULL),
		T("sysv_failed_sem_create_undone", sysv_failed_sem_create_undone, NULL),
		T("foreign_empty_posix_segment_kept", foreign_empty_posix_segment_kept, NULL),
		T("posix_dot_names_are_key_errors", posix_dot_names_are_key_errors, NULL),
	};

	return TL_MAIN("crash", tests, group_setup, group_teardown);
}
