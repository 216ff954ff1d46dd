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

#include "nipc.h"
#include "lockrun.h"

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

/* The current test's key. */
static nipc_key *key;

static const char *backend_name(void)
{
	return nipc_key_type(key) == NIPC_KEY_POSIX ? "posix" : "systemv";
}

/* ------------------------------------------------------ leftover objects */

/* What is left of the key ("" if nothing): key file, segment, lock. */
static const char *leftover(void)
{
	static char what[128];
	int shm = TL_SHM_EXISTS(key), sem = TL_SEM_EXISTS(key);

	what[0] = '\0';
	if (nipc_key_type(key) != NIPC_KEY_POSIX) {
		if (access(nipc_key_native(key), F_OK) == 0)
			strcat(what, " key-file");
		if (!shm && !sem && tl_ledger_left())
			strcat(what, " object-of-a-removed-key-file");
	}
	if (shm)
		strcat(what, " segment");
	if (sem)
		strcat(what, " lock-semaphore");
	return what;
}

/* The test fails if the segment or its lock is left. */
static void nothing_left(void)
{
	const char *r = leftover();

	if (r[0])
		fail_msg("%s: left behind:%s", backend_name(), r);
}

static int setup(void **state)
{
	key = tl_key(*(int *)*state);
	alarm(T_TEST);
	return key ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	tl_kill_all();
	tl_ledger_clean();
	nipc_key_free(key);
	key = NULL;
	alarm(0);
	return 0;
}

/* --------------------------------------------------- objhelper processes */

static void helper_start(struct tl_proc *p)
{
	assert_int_equal(TL_OBJHELPER(p, key), 0);
}

/* ------------------------------------------------------- increment runs */

static void worker_start(struct tl_proc *p, const char *idiom, int i)
{
	char type[16], count[16];

	snprintf(type, sizeof type, "%d", nipc_key_type(key));
	snprintf(count, sizeof count, "%d", lock_share(i, WORKERS, TOTAL));
	tl_start_ok(p, TL_ARGV(tl_prog("lockworker"), type, nipc_key_native(key), "--idiom", idiom,
			       "--count", count, "--size", SEG_SIZE),
		    NULL);
}

/* WORKERS lockworkers x INCREMENTS in idiom; the counter must be exact.
 * An objhelper observer stays attached for the run and reads the counter
 * after it: attached from the start for coa-every (or the last detach would
 * remove the counter), else after the workers attached, so that they are
 * the first users of the lock. For attach-once the segment is made first by
 * a process that detaches without removing it, as `nipc shm create` does. */
static void increments(const char *idiom)
{
	struct tl_proc w[WORKERS], obs, maker;
	struct lock_result res[WORKERS];
	unsigned counter;
	char msg[1024] = "", label[64];
	const char *r;

	if (!strcmp(idiom, "attach-once")) {
		helper_start(&maker);
		lock_make(&maker, SEG_SIZE);
	}
	helper_start(&obs);
	if (!strcmp(idiom, "coa-every"))
		lock_ok(&obs, "create " SEG_SIZE);
	/* the first to attach is the one that leaves first */
	worker_start(&w[0], idiom, 0);
	lock_expect_ready(&w[0], backend_name());
	for (int i = 1; i < WORKERS; i++)
		worker_start(&w[i], idiom, i);
	for (int i = 1; i < WORKERS; i++)
		lock_expect_ready(&w[i], backend_name());
	if (strcmp(idiom, "coa-every"))
		lock_ok(&obs, "attach");
	tl_ledger_note();

	long long ms = lock_run(w, WORKERS, T_STALL, lock_observe, &obs, res);

	counter = lock_observer_end(&obs, msg, sizeof msg);
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
	struct tl_proc maker, p1, p2, p3;

	(void)state;
	helper_start(&maker);
	lock_make(&maker, "4096");
	lock_each(helper_start, (struct tl_proc *[]){&p1, &p2, NULL});
	lock_ok_all((struct tl_proc *[]){&p1, &p2, NULL}, "attach");
	tl_ledger_note();
	lock_ok(&p1, "detach");
	lock_ok(&p2, "lock");
	lock_end(&p1);

	helper_start(&p3);
	lock_handover(&p2, &p3, "attach", "P3's attach() (P2 holds)");
	lock_ok(&p3, "lock");
	lock_handover(&p3, &p2, "lock", "P2's lock() (P3 holds)");
	lock_ok(&p2, "unlock");

	lock_each(lock_leave, (struct tl_proc *[]){&p2, &p3, NULL});
	nothing_left();
}

/* ------------------------------------- a failing create while it is held */

/* P1 holds the lock; P2's create() fails with AlreadyExists (it may wait
 * for the lock first) and P2 exits, freeing its handle. P3, attached from
 * before, must wait in lock() all the while, and P4, which opens the lock
 * only after P2's create, must wait in attach() (which takes the lock);
 * both get through once P1 lets go, and the lock still excludes then. */
static void failed_create_keeps_lock(void **state)
{
	struct tl_proc p1, p2, p3, p4;
	const char *r;
	char r2[512];

	(void)state;
	lock_each(helper_start, (struct tl_proc *[]){&p1, &p2, &p3, NULL});
	lock_ok(&p1, "create 4096");
	tl_ledger_note();
	lock_ok(&p3, "attach");
	lock_ok(&p1, "lock");

	tl_write(&p2, "create 4096\nexit\n");
	snprintf(r2, sizeof r2, "%s", tl_cmd(&p2, NULL, T_QUIET));
	r = tl_cmd(&p3, "lock", T_QUIET);
	if (r[0])
		fail_msg("%s: P3's lock() returned '%s' while P1 holds the lock (P2's create: '%s')",
			 backend_name(), r, r2[0] ? r2 : "still waits");
	helper_start(&p4);
	r = tl_cmd(&p4, "attach", T_QUIET);
	if (r[0])
		fail_msg("%s: P4's attach() returned '%s' while P1 holds the lock (P2's create: "
			 "'%s')", backend_name(), r, r2[0] ? r2 : "still waits");
	/* P2 and P4 hold the lock only briefly, P3 until told: wait for P3 */
	lock_ok(&p1, "unlock");
	lock_gets(&p3, "P3's lock() after P1's unlock");
	lock_handover(&p3, &p1, "lock", "P1's lock() (P3 holds)");
	lock_ok(&p1, "unlock");
	if (!r2[0])
		snprintf(r2, sizeof r2, "%s", tl_cmd(&p2, NULL, T_LINE));
	if (strncmp(r2, "err 4 ", 6))
		fail_msg("%s: P2's create: '%s', want AlreadyExists", backend_name(), r2);
	assert_int_equal(tl_wait(&p2, T_LINE), 0);
	tl_proc_free(&p2);
	lock_gets(&p4, "P4's attach() once the lock is free");

	lock_each(lock_leave, (struct tl_proc *[]){&p1, &p3, &p4, NULL});
	nothing_left();
}

/* The same with the CLI: `nipc shm lock KEY` holds, `nipc shm create KEY
 * 4096` fails, a third `nipc shm lock` waits until the holder lets go. */
static void cli_failed_create_keeps_lock(void **state)
{
	struct tl_proc owner, holder, creator, waiter;
	char k[PATH_MAX + 16], line[256];
	char *ks;
	int rc;

	(void)state;
	assert_int_equal(nipc_key_to_string(&ks, key), 0);
	snprintf(k, sizeof k, "%s", ks);
	free(ks);

	tl_start_ok(&owner, TL_ARGV(tl_nipc(), "shm", "create", k, "4096", "--hold"), NULL);
	assert_int_equal(tl_line(&owner, line, sizeof line, T_LINE), 1);
	assert_string_equal(line, "created");
	tl_ledger_note();
	tl_start_ok(&holder, TL_ARGV(tl_nipc(), "shm", "lock", k), NULL);
	assert_int_equal(tl_line(&holder, line, sizeof line, T_LINE), 1);
	assert_string_equal(line, "locked");

	tl_start_ok(&creator, TL_ARGV(tl_nipc(), "shm", "create", k, "4096"), NULL);
	usleep(T_QUIET * 1000);
	tl_start_ok(&waiter, TL_ARGV(tl_nipc(), "shm", "lock", k, "--for", "0"), NULL);
	if ((rc = tl_line(&waiter, line, sizeof line, T_QUIET)) != 0) {
		tl_wait(&waiter, 100);
		fail_msg("%s: a second `nipc shm lock` did not wait while the lock is held: %s "
			 "(the failed create %s) %s", backend_name(), rc > 0 ? line : "exited",
			 tl_running(&creator) ? "still runs" : "has ended", waiter.e.p);
	}

	tl_write(&holder, "\n");
	assert_int_equal(tl_line(&holder, line, sizeof line, T_LINE), 1);
	assert_string_equal(line, "unlocked");
	rc = tl_wait(&holder, T_LINE);
	if (rc != 0)
		fail_msg("%s: the holder's unlock failed: exit %d, %s", backend_name(), rc,
			 holder.e.p);
	rc = tl_wait(&creator, T_LINE);
	if (rc != 1 || !strstr(creator.e.p, "already exists"))
		fail_msg("%s: nipc shm create: exit %d, %s", backend_name(), rc, creator.e.p);
	assert_int_equal(tl_line(&waiter, line, sizeof line, T_LINE), 1);
	assert_string_equal(line, "locked");
	assert_int_equal(tl_wait(&waiter, T_LINE), 0);

	tl_write(&owner, "\n");
	assert_int_equal(tl_wait(&owner, T_LINE), 0);
	tl_proc_free(&holder);
	tl_proc_free(&creator);
	tl_proc_free(&waiter);
	tl_proc_free(&owner);
	nothing_left();
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
	return TL_MAIN("lock", tests, NULL, NULL);
}
