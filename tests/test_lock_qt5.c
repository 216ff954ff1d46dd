/* SPDX-License-Identifier: MIT */
/* The segment lock shared with real Qt 5 programs (tests/qt/qt5peer: Qt 5's
 * QSharedMemory, System V with a legacy key): nipc and Qt 5 workers add to
 * one counter under the lock and the total is exact; and what a Qt 5
 * create() on a segment that exists still does to nipc holders, observed
 * with semctl and asserted. Both sides run with TMPDIR set to a private
 * directory, so every key file lives there; teardown removes the objects
 * keyed on those files and kills every process left. */
#include "config.h"

#include "nipc.h"
#include "lockrun.h"

#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>


/* 3 nipc + 3 Qt 5 workers, WORKERS x INCREMENTS in all (lock_share). */
#define WORKERS 6
#define INCREMENTS 3000
#define TOTAL (WORKERS * INCREMENTS)
#define T_LINE 10000
#define T_QUIET 300
#define T_STALL 10000
#define T_TEST 180

static char peer[PATH_MAX];
static char name[64], seg_path[PATH_MAX], lock_path[PATH_MAX];
static int counter;

/* The segment's key file as Qt 5 names it, and its lock's. */
static void key_paths(void)
{
	struct tl_proc p;
	const char *base;

	if (tl_run(&p, TL_ARGV(peer, "shm", "key", name), NULL))
		fail_msg("qt5peer shm key: %s", p.e.p);
	snprintf(seg_path, sizeof seg_path, "%.*s", (int)strcspn(p.o.p, "\n"), p.o.p);
	tl_proc_free(&p);
	base = strstr(seg_path, "/qipc_sharedmemory_");
	assert_non_null(base);
	snprintf(lock_path, sizeof lock_path, "%.*s/qipc_systemsem_%s", (int)(base - seg_path),
		 seg_path, base + strlen("/qipc_sharedmemory_"));
}

static int setup(void **state)
{
	(void)state;
	snprintf(name, sizeof name, "qtlock%ld.%d", (long)getpid(), ++counter);
	alarm(T_TEST);
	setenv("TMPDIR", tl_key_dir("tmp"), 1);
	snprintf(peer, sizeof peer, "%s/tests/qt/qt5peer", tl_builddir());
	key_paths();
	return 0;
}

static int teardown(void **state)
{
	alarm(0);
	return tl_teardown(state);
}

/* What is left ("" if nothing): key files, noted or keyed objects. */
static const char *leftover(void)
{
	static char what[128];

	what[0] = '\0';
	if (tl_dir_entries(tl_path("tmp")) > 0)
		strcat(what, " key-files");
	if (tl_shm_exists(seg_path, 'Q'))
		strcat(what, " segment");
	if (tl_sem_exists(lock_path, 'Q'))
		strcat(what, " lock-semaphore");
	if (tl_ledger_left())
		strcat(what, " noted-objects");
	return what;
}

/* The test fails if the segment or its lock is left. */
static void nothing_left(void)
{
	const char *r = leftover();

	if (r[0])
		fail_msg("left behind:%s", r);
}

/* ------------------------------------------------------ objhelper (nipc) */

static void helper_start(struct tl_proc *p)
{
	assert_int_equal(tl_objhelper(p, NIPC_KEY_SYSTEMV, seg_path, name), 0);
}

/* ---------------------------------------------------- mixed increments */

static void worker_start(struct tl_proc *p, int i)
{
	char type[16], count[16];

	snprintf(type, sizeof type, "%d", NIPC_KEY_SYSTEMV);
	snprintf(count, sizeof count, "%d", lock_share(i, WORKERS, TOTAL));
	if (i % 2)
		tl_start_ok(p, TL_ARGV(peer, "shm", "inc", name, count), NULL);
	else
		tl_start_ok(p, TL_ARGV(tl_prog("lockworker"), type, seg_path, name, "--idiom",
				       "attach-once", "--count", count),
			    NULL);
}

/* nipc workers (even) and Qt 5 workers (odd) each attach once; the segment
 * is made first by an nipc process that leaves it (as `nipc shm create`
 * without --hold), and an nipc observer attaches after the workers and
 * reads the counter at the end. */
static void mixed_increments(void **state)
{
	struct tl_proc w[WORKERS], maker, obs;
	struct lock_result res[WORKERS];
	unsigned n;
	char msg[1024] = "";
	const char *r;

	(void)state;
	helper_start(&maker);
	lock_make(&maker, "64");
	/* the first to attach is the one that leaves first */
	worker_start(&w[0], 0);
	lock_expect_ready(&w[0], "nipc");
	for (int i = 1; i < WORKERS; i++)
		worker_start(&w[i], i);
	for (int i = 1; i < WORKERS; i++)
		lock_expect_ready(&w[i], i % 2 ? "Qt 5" : "nipc");
	helper_start(&obs);
	lock_ok(&obs, "attach");
	tl_ledger_note();

	long long ms = lock_run(w, WORKERS, T_STALL, lock_observe, &obs, res);

	n = lock_observer_end(&obs, msg, sizeof msg);
	lock_judge(msg, sizeof msg, "systemv legacy, 3 nipc + 3 Qt 5, attach-once", res, WORKERS,
		   TOTAL, n, ms, T_STALL);
	r = leftover();
	if (r[0])
		lock_addf(msg, sizeof msg, "left behind:%s", r);
	if (msg[0])
		fail_msg("%s", msg);
}

/* ------------------------------------- Qt 5's create() on a live segment */

union semun {
	int val;
	struct semid_ds *buf;
};

/* The lock semaphore's id under its key file now, or -1. */
static int lock_id(void)
{
	key_t k = ftok(lock_path, 'Q');

	return k == -1 ? -1 : semget(k, 0, 0);
}

static int sem_value(int id)
{
	return semctl(id, 0, GETVAL);
}

static int sem_gone(int id)
{
	struct semid_ds ds;

	return semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}) < 0;
}

static void expect_line(struct tl_proc *p, const char *word)
{
	char line[256];
	size_t n = strlen(word);

	if (tl_line(p, line, sizeof line, T_LINE) != 1) {
		tl_wait(p, 100);
		fail_msg("expected '%s': %s", word, p->e.p);
	}
	if (strncmp(line, word, n) || (line[n] && line[n] != ' '))
		fail_msg("expected '%s', got '%s'", word, line);
}

/* Qt 5's create() on an existing segment opens the lock in Create mode: it
 * sets the live semaphore to 1 (SETVAL, which also drops every holder's
 * SEM_UNDO), takes and gives it, fails with AlreadyExists, and its
 * destructor removes the semaphore and its key file although the segment
 * lives. nipc cannot prevent that; this test pins down what nipc holders
 * see, step by step. */
static void qt5_create_breaks_live_lock(void **state)
{
	struct tl_proc p1, p3, p4, qt;
	const char *r;
	int id;

	(void)state;
	lock_each(helper_start, (struct tl_proc *[]){&p1, &p3, &p4, NULL});
	lock_ok(&p1, "create 64");
	tl_ledger_note();
	lock_ok_all((struct tl_proc *[]){&p3, &p4, NULL}, "attach");
	lock_ok(&p1, "lock");
	id = lock_id();
	assert_true(id >= 0);
	assert_int_equal(sem_value(id), 0);

	/* Qt's create fails; its QSharedMemory (and lock handle) still lives */
	tl_start_ok(&qt, TL_ARGV(peer, "shm", "create", name, "64", "--wait-failed"), NULL);
	expect_line(&qt, "failed");
	assert_int_equal(lock_id(), id);
	assert_int_equal(sem_value(id), 1); /* SETVAL 1 under P1's hold */
	/* so a second nipc process gets the lock while P1 holds it */
	r = tl_cmd(&p3, "lock", T_QUIET);
	if (strcmp(r, "ok"))
		fail_msg("P3's lock after Qt's create: '%s' (the lock still excluded)", r);
	lock_ok(&p3, "unlock");
	/* P1's unlock now counts on top of the SETVAL: the lock admits two */
	lock_ok(&p1, "unlock");
	assert_int_equal(sem_value(id), 2);
	lock_ok(&p3, "lock");
	lock_ok(&p4, "lock");
	assert_int_equal(sem_value(id), 0);
	lock_ok(&p3, "unlock");
	lock_ok(&p4, "unlock");

	/* Qt's destructor removes the lock and its key file; the segment stays */
	tl_write(&qt, "\n");
	assert_int_equal(tl_wait(&qt, T_LINE), 10 + NIPC_EEXIST);
	tl_proc_free(&qt);
	assert_true(sem_gone(id));
	assert_int_equal(access(lock_path, F_OK), -1);
	assert_true(tl_shm_exists(seg_path, 'Q'));
	assert_int_equal(tl_shm_nattch(seg_path, 'Q'), 3);

	/* nipc makes a new lock on the next use, and it excludes again */
	lock_ok(&p1, "lock");
	tl_ledger_note();
	assert_int_not_equal(lock_id(), id);
	assert_int_equal(sem_value(lock_id()), 0);
	lock_handover(&p1, &p3, "lock", "P3's lock (P1 holds the new lock)");
	lock_ok(&p3, "unlock");

	lock_each(lock_leave, (struct tl_proc *[]){&p1, &p3, &p4, NULL});
	nothing_left();
}

/* The same removal while an nipc process holds the lock: a later locker
 * makes a new lock and gets it at once (Qt 5's doing), the holder's unlock
 * fails (there is nothing to give back), and after that failed unlock the
 * holder is not locked: its next lock() waits for the new holder. */
static void qt5_create_removes_held_lock(void **state)
{
	struct tl_proc p1, p3, qt;
	const char *r;
	int id;

	(void)state;
	lock_each(helper_start, (struct tl_proc *[]){&p1, &p3, NULL});
	lock_ok(&p1, "create 64");
	tl_ledger_note();
	lock_ok(&p3, "attach");
	lock_ok(&p1, "lock");
	id = lock_id();

	tl_start_ok(&qt, TL_ARGV(peer, "shm", "create", name, "64"), NULL);
	assert_int_equal(tl_wait(&qt, T_LINE), 10 + NIPC_EEXIST);
	tl_proc_free(&qt);
	assert_true(sem_gone(id));
	assert_int_equal(access(lock_path, F_OK), -1);

	lock_ok(&p3, "lock");
	tl_ledger_note();
	assert_int_not_equal(lock_id(), id);
	r = tl_cmd(&p1, "unlock", T_LINE);
	if (strncmp(r, "err 6 ", 6))
		fail_msg("P1's unlock of the removed lock: '%s', want LockError", r);
	lock_handover(&p3, &p1, "lock", "P1's lock after its failed unlock (P3 holds)");
	lock_ok(&p1, "unlock");

	lock_each(lock_leave, (struct tl_proc *[]){&p1, &p3, NULL});
	nothing_left();
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

TL_MAIN_OF("lock_qt5", T(mixed_increments), T(qt5_create_breaks_live_lock),
	   T(qt5_create_removes_held_lock))
