/* SPDX-License-Identifier: MIT */
/* The segment lock excludes, with real processes on both backends:
 * locked increments by tests/progs/lockworker in every idiom a program uses
 * (attach once; create-or-attach once; create-or-attach for every
 * increment) must add up exactly; a create() that fails with AlreadyExists
 * while the lock is held (library and `nipc shm create`) leaves the holder
 * its exclusion; and nothing is left behind afterwards. Every wait is
 * bounded: a hang fails the test, its processes are killed and its objects
 * removed. */
#include "config.h"

#include "lockrun.h"
#include "objutil.h"

#include <errno.h>
#include <limits.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* WORKERS x INCREMENTS increments in all, in uneven shares (lock_share),
 * so that workers leave one by one while the others still work. Measured
 * here (2 cores, loaded): under a second per run, 5 s for coa-every (8 s
 * with ASan); the whole program 17 s (29 s with ASan). Bounds are generous:
 * a run is hung only when the counter stops moving. */
#define WORKERS 6
#define INCREMENTS 3000
#define TOTAL (WORKERS * INCREMENTS)
#define SEG_SIZE "64"
#define T_LINE 10000  /* ms for a reply that comes at once */
#define T_QUIET 300   /* ms a blocked process must stay blocked */
#define T_STALL 10000 /* ms without an increment while workers run: a hang */
#define T_TEST 180    /* s for one test, then everything is killed */

static int SYSV = NIPC_KEY_SYSTEMV, POSIX = NIPC_KEY_POSIX;

static char worker_prog[PATH_MAX], helper_prog[PATH_MAX], nipc_prog[PATH_MAX];

/* The current test's key, its ftok key_t (System V) and every process it
 * started, for the teardown. */
static nipc_key *key;
static long kt = -1;
static pid_t pids[32];
static int npids;

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

static void on_alarm(int sig)
{
	static const char msg[] = "test_lock: timed out, killing its processes\n";

	(void)sig;
	(void)!write(2, msg, sizeof msg - 1);
	for (int i = 0; i < npids; i++)
		kill(pids[i], SIGKILL);
	obj_cleanup();
	_exit(99);
}

static void start(struct proc *p, const char *const *argv)
{
	assert_int_equal(proc_start(p, argv), 0);
	if (npids < (int)(sizeof pids / sizeof pids[0]))
		pids[npids++] = p->pid;
}

static const char *backend_name(void)
{
	return nipc_key_type(key) == NIPC_KEY_POSIX ? "posix" : "systemv";
}

/* ------------------------------------------------------ leftover objects */

/* Remembers what the key names while its objects exist: a key file removed
 * too early would hide them from ftok. */
static void note_key(void)
{
	if (nipc_key_type(key) == NIPC_KEY_POSIX)
		return;
	ipc_note(nipc_key_native(key));
	if (kt == -1)
		nipc_ftok(&kt, nipc_key_native(key), nipc_key_type(key));
}

/* What is left of the key ("" if nothing): key file, segment, lock. */
static const char *leftover(void)
{
	static char what[128];
	int shm = obj_shm_exists(key), sem = obj_sem_exists(key);

	what[0] = '\0';
	if (nipc_key_type(key) != NIPC_KEY_POSIX) {
		if (access(nipc_key_native(key), F_OK) == 0)
			strcat(what, " key-file");
		if (!shm && !sem && ipc_noted_left())
			strcat(what, " object-of-a-removed-key-file");
	}
	if (shm)
		strcat(what, " segment");
	if (sem)
		strcat(what, " lock-semaphore");
	return what;
}

static void remove_key(void)
{
	int id;

	if (!key)
		return;
	if (nipc_key_type(key) == NIPC_KEY_POSIX) {
		shm_unlink(nipc_key_native(key));
		sem_unlink(nipc_key_native(key));
		return;
	}
	note_key();
	ipc_noted_remove();
	/* by key only while the key file still has it: another test's new key
	 * file may have our old inode, and so our old key */
	long now;

	if (kt != -1 && nipc_ftok(&now, nipc_key_native(key), nipc_key_type(key)) == 0 &&
	    now == kt) {
		if ((id = shmget(kt, 0, 0)) >= 0)
			shmctl(id, IPC_RMID, NULL);
		if ((id = semget(kt, 0, 0)) >= 0)
			semctl(id, 0, IPC_RMID);
	}
	unlink(nipc_key_native(key));
}

static int group_setup(void **state)
{
	const char *b = getenv("NIPC_TOP_BUILDDIR");

	(void)state;
	if (!b || obj_setup() < 0)
		return -1;
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	snprintf(worker_prog, sizeof worker_prog, "%s/tests/progs/lockworker", b);
	snprintf(helper_prog, sizeof helper_prog, "%s/tests/progs/objhelper", b);
	snprintf(nipc_prog, sizeof nipc_prog, "%s/tools/nipc", b);
	return access(worker_prog, X_OK) || access(helper_prog, X_OK) || access(nipc_prog, X_OK);
}

static int setup(void **state)
{
	key = obj_key(*(int *)*state);
	kt = -1;
	alarm(T_TEST);
	return key ? 0 : -1;
}

static int teardown(void **state)
{
	int st;

	(void)state;
	for (int i = 0; i < npids; i++)
		if (waitpid(pids[i], &st, WNOHANG) == 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], &st, 0);
		}
	npids = 0;
	remove_key();
	nipc_key_free(key);
	key = NULL;
	alarm(0);
	return 0;
}

/* --------------------------------------------------- objhelper processes */

static void helper_start(struct proc *p)
{
	char type[16];

	snprintf(type, sizeof type, "%d", nipc_key_type(key));
	start(p, ARGV(helper_prog, type, nipc_key_native(key)));
}

static void cmd_ok(struct proc *p, const char *c)
{
	const char *r = lock_cmd(p, c, T_LINE);

	if (strcmp(r, "ok"))
		fail_msg("%s: objhelper '%s' replied '%s'", backend_name(), c, r);
}

static void helper_end(struct proc *p)
{
	proc_write(p, "exit\n");
	int rc = proc_wait(p, T_LINE);

	if (rc != 0)
		fail_msg("objhelper exit %d: %s", rc, p->errbuf);
}

/* ------------------------------------------------------- increment runs */

static void worker_start(struct proc *p, const char *idiom, int i)
{
	char type[16], count[16];

	snprintf(type, sizeof type, "%d", nipc_key_type(key));
	snprintf(count, sizeof count, "%d", lock_share(i, WORKERS, TOTAL));
	start(p, ARGV(worker_prog, type, nipc_key_native(key), "--idiom", idiom, "--count", count,
		      "--size", SEG_SIZE));
}

static void expect_ready(struct proc *p)
{
	if (!lock_ready(p, T_LINE)) {
		proc_wait(p, 100);
		fail_msg("%s: worker not ready: %s", backend_name(), p->errbuf);
	}
}

/* The counter as the observer reads it (no lock needed), -1 if it cannot. */
static long observe(void *obs)
{
	unsigned v;

	return sscanf(lock_cmd(obs, "counter", T_LINE), "ok %u", &v) == 1 ? (long)v : -1;
}

/* WORKERS lockworkers x INCREMENTS in idiom; the counter must be exact.
 * An objhelper observer stays attached for the run and reads the counter
 * after it: attached from the start for coa-every (or the last detach would
 * remove the counter), else after the workers attached, so that they are
 * the first users of the lock. For attach-once the segment is made first by
 * a process that detaches without removing it, as `nipc shm create` does. */
static void increments(const char *idiom)
{
	struct proc w[WORKERS], obs, maker;
	struct lock_result res[WORKERS];
	unsigned counter = 0;
	char msg[1024] = "", label[64];
	const char *r;

	if (!strcmp(idiom, "attach-once")) {
		helper_start(&maker);
		cmd_ok(&maker, "create " SEG_SIZE);
		cmd_ok(&maker, "cleanup 0");
		cmd_ok(&maker, "detach");
		helper_end(&maker);
	}
	helper_start(&obs);
	if (!strcmp(idiom, "coa-every"))
		cmd_ok(&obs, "create " SEG_SIZE);
	/* the first to attach is the one that leaves first */
	worker_start(&w[0], idiom, 0);
	expect_ready(&w[0]);
	for (int i = 1; i < WORKERS; i++)
		worker_start(&w[i], idiom, i);
	for (int i = 1; i < WORKERS; i++)
		expect_ready(&w[i]);
	if (strcmp(idiom, "coa-every"))
		cmd_ok(&obs, "attach");
	note_key();

	long long ms = lock_run(w, WORKERS, T_STALL, observe, &obs, res);

	r = lock_cmd(&obs, "counter", T_LINE);
	if (sscanf(r, "ok %u", &counter) != 1)
		lock_addf(msg, sizeof msg, "observer: counter: '%s'; ", r);
	r = lock_cmd(&obs, "detach", T_LINE);
	if (strcmp(r, "ok"))
		lock_addf(msg, sizeof msg, "observer: detach: '%s'; ", r);
	proc_write(&obs, "exit\n");
	if (proc_wait(&obs, T_LINE) != 0)
		lock_addf(msg, sizeof msg, "observer: exit: %.200s; ", obs.errbuf);
	snprintf(label, sizeof label, "%s %s", backend_name(), idiom);
	lock_judge(msg, sizeof msg, label, res, WORKERS, TOTAL, counter, ms, T_STALL);
	r = leftover();
	if (r[0])
		lock_addf(msg, sizeof msg, "left behind:%s", r);
	if (msg[0])
		fail_msg("%s: %s", label, msg);
}

static void attach_once(void **state)
{
	(void)state;
	increments("attach-once");
}

static void coa_once(void **state)
{
	(void)state;
	increments("coa-once");
}

static void coa_every(void **state)
{
	(void)state;
	increments("coa-every");
}

/* ----------------------------------------- the first attacher leaves */

/* The lock lives as long as the segment: P1, the first to attach after its
 * maker left, detaches and then frees its handle while P2 holds the lock;
 * P2 keeps its exclusion (a newcomer's attach, which takes the lock, waits)
 * and its unlock works. */
static void first_attacher_leaves(void **state)
{
	struct proc maker, p1, p2, p3;
	const char *r;

	(void)state;
	helper_start(&maker);
	cmd_ok(&maker, "create 4096");
	cmd_ok(&maker, "cleanup 0");
	cmd_ok(&maker, "detach");
	helper_end(&maker);
	helper_start(&p1);
	helper_start(&p2);
	cmd_ok(&p1, "attach");
	cmd_ok(&p2, "attach");
	note_key();
	cmd_ok(&p1, "detach");
	cmd_ok(&p2, "lock");
	helper_end(&p1);

	helper_start(&p3);
	r = lock_cmd(&p3, "attach", T_QUIET);
	if (r[0])
		fail_msg("%s: P3's attach() returned '%s' while P2 holds the lock", backend_name(), r);
	cmd_ok(&p2, "unlock");
	r = lock_cmd(&p3, NULL, T_LINE);
	if (strcmp(r, "ok"))
		fail_msg("%s: P3's attach() once the lock is free: '%s'", backend_name(), r);
	cmd_ok(&p3, "lock");
	r = lock_cmd(&p2, "lock", T_QUIET);
	if (r[0])
		fail_msg("%s: P2's lock() returned '%s' while P3 holds the lock", backend_name(), r);
	cmd_ok(&p3, "unlock");
	r = lock_cmd(&p2, NULL, T_LINE);
	if (strcmp(r, "ok"))
		fail_msg("%s: P2's lock() after P3's unlock: '%s'", backend_name(), r);
	cmd_ok(&p2, "unlock");

	cmd_ok(&p2, "detach");
	cmd_ok(&p3, "detach");
	helper_end(&p2);
	helper_end(&p3);
	r = leftover();
	if (r[0])
		fail_msg("%s: left behind:%s", backend_name(), r);
}

/* ------------------------------------- a failing create while it is held */

/* P1 holds the lock; P2's create() fails with AlreadyExists (it may wait
 * for the lock first) and P2 exits, freeing its handle. P3, attached from
 * before, must wait in lock() all the while, and P4, which opens the lock
 * only after P2's create, must wait in attach() (which takes the lock);
 * both get through once P1 lets go, and the lock still excludes then. */
static void failed_create_keeps_lock(void **state)
{
	struct proc p1, p2, p3, p4;
	const char *r;
	char r2[512];

	(void)state;
	helper_start(&p1);
	helper_start(&p2);
	helper_start(&p3);
	cmd_ok(&p1, "create 4096");
	note_key();
	cmd_ok(&p3, "attach");
	cmd_ok(&p1, "lock");

	proc_write(&p2, "create 4096\nexit\n");
	snprintf(r2, sizeof r2, "%s", lock_cmd(&p2, NULL, T_QUIET));
	r = lock_cmd(&p3, "lock", T_QUIET);
	if (r[0])
		fail_msg("%s: P3's lock() returned '%s' while P1 holds the lock (P2's create: '%s')",
			 backend_name(), r, r2[0] ? r2 : "still waits");
	helper_start(&p4);
	r = lock_cmd(&p4, "attach", T_QUIET);
	if (r[0])
		fail_msg("%s: P4's attach() returned '%s' while P1 holds the lock (P2's create: "
			 "'%s')", backend_name(), r, r2[0] ? r2 : "still waits");
	/* P2 and P4 hold the lock only briefly, P3 until told: wait for P3 */
	cmd_ok(&p1, "unlock");
	r = lock_cmd(&p3, NULL, T_LINE);
	if (strcmp(r, "ok"))
		fail_msg("%s: P3's lock() after P1's unlock: '%s'", backend_name(), r);
	r = lock_cmd(&p1, "lock", T_QUIET);
	if (r[0])
		fail_msg("%s: P1's lock() returned '%s' while P3 holds the lock", backend_name(), r);
	cmd_ok(&p3, "unlock");
	r = lock_cmd(&p1, NULL, T_LINE);
	if (strcmp(r, "ok"))
		fail_msg("%s: P1's lock() after P3's unlock: '%s'", backend_name(), r);
	cmd_ok(&p1, "unlock");
	if (!r2[0])
		snprintf(r2, sizeof r2, "%s", lock_cmd(&p2, NULL, T_LINE));
	if (strncmp(r2, "err 4 ", 6))
		fail_msg("%s: P2's create: '%s', want AlreadyExists", backend_name(), r2);
	assert_int_equal(proc_wait(&p2, T_LINE), 0);
	r = lock_cmd(&p4, NULL, T_LINE);
	if (strcmp(r, "ok"))
		fail_msg("%s: P4's attach() once the lock is free: '%s'", backend_name(), r);

	cmd_ok(&p1, "detach");
	cmd_ok(&p3, "detach");
	cmd_ok(&p4, "detach");
	helper_end(&p1);
	helper_end(&p3);
	helper_end(&p4);
	r = leftover();
	if (r[0])
		fail_msg("%s: left behind:%s", backend_name(), r);
}

/* The same with the CLI: `nipc shm lock KEY` holds, `nipc shm create KEY
 * 4096` fails, a third `nipc shm lock` waits until the holder lets go. */
static void cli_failed_create_keeps_lock(void **state)
{
	struct proc owner, holder, creator, waiter;
	char k[PATH_MAX + 16], line[256];
	char *ks;
	int rc;

	(void)state;
	assert_int_equal(nipc_key_to_string(&ks, key), 0);
	snprintf(k, sizeof k, "%s", ks);
	free(ks);

	start(&owner, ARGV(nipc_prog, "shm", "create", k, "4096", "--hold"));
	assert_int_equal(proc_line(&owner, line, sizeof line, T_LINE), 1);
	assert_string_equal(line, "created");
	note_key();
	start(&holder, ARGV(nipc_prog, "shm", "lock", k));
	assert_int_equal(proc_line(&holder, line, sizeof line, T_LINE), 1);
	assert_string_equal(line, "locked");

	start(&creator, ARGV(nipc_prog, "shm", "create", k, "4096"));
	usleep(T_QUIET * 1000);
	start(&waiter, ARGV(nipc_prog, "shm", "lock", k, "--for", "0"));
	if ((rc = proc_line(&waiter, line, sizeof line, T_QUIET)) != 0) {
		proc_wait(&waiter, 100);
		fail_msg("%s: a second `nipc shm lock` did not wait while the lock is held: %s "
			 "(the failed create %s) %s", backend_name(), rc > 0 ? line : "exited",
			 proc_running(&creator) ? "still runs" : "has ended", waiter.errbuf);
	}

	proc_write(&holder, "\n");
	assert_int_equal(proc_line(&holder, line, sizeof line, T_LINE), 1);
	assert_string_equal(line, "unlocked");
	rc = proc_wait(&holder, T_LINE);
	if (rc != 0)
		fail_msg("%s: the holder's unlock failed: exit %d, %s", backend_name(), rc,
			 holder.errbuf);
	rc = proc_wait(&creator, T_LINE);
	if (rc != 1 || !strstr(creator.errbuf, "already exists"))
		fail_msg("%s: nipc shm create: exit %d, %s", backend_name(), rc, creator.errbuf);
	assert_int_equal(proc_line(&waiter, line, sizeof line, T_LINE), 1);
	assert_string_equal(line, "locked");
	assert_int_equal(proc_wait(&waiter, T_LINE), 0);

	proc_write(&owner, "\n");
	assert_int_equal(proc_wait(&owner, T_LINE), 0);
	const char *left = leftover();
	if (left[0])
		fail_msg("%s: left behind:%s", backend_name(), left);
}

int main(void)
{
#define BOTH(f) \
	{#f " (systemv)", f, setup, teardown, &SYSV}, \
	{#f " (posix)", f, setup, teardown, &POSIX}
	const struct CMUnitTest tests[] = {
		BOTH(attach_once),
		BOTH(coa_once),
		BOTH(coa_every),
		BOTH(first_attacher_leaves),
		BOTH(failed_create_keeps_lock),
		BOTH(cli_failed_create_keeps_lock),
	};

	/* e.g. NIPC_TEST_FILTER="coa_every*": only those, for tuning */
	if (getenv("NIPC_TEST_FILTER"))
		cmocka_set_test_filter(getenv("NIPC_TEST_FILTER"));
	return cmocka_run_group_tests_name("lock", tests, group_setup, NULL);
}
