/* SPDX-License-Identifier: MIT */
/* Interop with real Qt 5 programs: tests/qt/qt5peer (QSharedMemory and
 * QSystemSemaphore with legacy keys, System V on Debian's Qt 5) against the
 * nipc tool, in both directions: data, the segment lock, last-detach
 * cleanup, semaphore counting, and recovery after a kill -9.
 * Both sides run with TMPDIR set to a private directory, so every key file
 * lives there; teardown removes the objects keyed on those files. */
#include "config.h"

#include "tlib.h"

#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define T_LINE 10000  /* ms to wait for an expected line */
#define T_QUIET 300   /* ms a blocked side must stay silent */

static char tmpdir[PATH_MAX], peer[PATH_MAX];
static char name[64];
static int counter;

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "%s", tl_path("tmp"));
	snprintf(peer, sizeof peer, "%s/tests/qt/qt5peer", tl_builddir());
	setenv("TMPDIR", tmpdir, 1);
	return access(peer, X_OK) ? -1 : 0;
}

static int setup(void **state)
{
	(void)state;
	/* Letters matter to the key file name; the counter varies the hash. */
	snprintf(name, sizeof name, "qtinterop%ld.%d", (long)getpid(), ++counter);
	tl_key_dir("tmp");
	return 0;
}

/* The next line's first word; returns its number (ns). */
static long long expect(struct tl_proc *p, const char *word)
{
	return atoll(tl_expect(p, word, T_LINE));
}

static char seg_path[PATH_MAX], lock_path[PATH_MAX];

static void shm_key_path(char *buf, size_t len)
{
	tl_run_ok(TL_ARGV(peer, "shm", "key", name), NULL, 0, buf, len);
	buf[strcspn(buf, "\n")] = 0;
	assert_int_equal(strncmp(buf, tmpdir, strlen(tmpdir)), 0);
	/* Qt 5's lock: the semaphore legacy key of the same name. */
	const char *base = strstr(buf, "/qipc_sharedmemory_");
	assert_non_null(base);
	snprintf(seg_path, sizeof seg_path, "%s", buf);
	snprintf(lock_path, sizeof lock_path, "%.*s/qipc_systemsem_%s", (int)(base - buf), buf,
		 base + strlen("/qipc_sharedmemory_"));
}

/* Notes the keys of the segment and of its lock while their files exist,
 * so the end of the test can check the objects by key (ipcs-style). */
static void note_keys(void)
{
	tl_ledger_note();
}

/* The segment's key file into path; owner started, says "created". */
static void begin(char *path, struct tl_proc *owner, const char *const argv[])
{
	shm_key_path(path, PATH_MAX);
	tl_start_ok(owner, argv, "created");
	note_keys();
}

/* Nothing of ours is left: no key file, so no object either (and the
 * segment found by a key file removed earlier would not be ours). */
static void assert_clean(const char *shm_path)
{
	assert_false(tl_shm_exists(shm_path, 'Q'));
	assert_int_equal(tl_dir_entries(tmpdir), 0);
	assert_int_equal(tl_ledger_left(), 0);
}

/* The last process that keeps the segment lets go: nothing is left. */
static void last_lets_go(struct tl_proc *p, const char *what, const char *shm_path)
{
	tl_let_go(p, what);
	assert_clean(shm_path);
}

static void qt_creates_nipc_reads(void **state)
{
	char path[PATH_MAX], out[4096], json[1024];
	struct tl_proc qt;

	(void)state;
	begin(path, &qt, TL_ARGV(peer, "shm", "create", name, "64", "--data", "hello from Qt 5"));

	tl_run_ok(TL_ARGV(tl_nipc(), "shm", "cat", "--legacy", name, "--size", "15"),
		  NULL, 0, out, sizeof out);
	assert_string_equal(out, "hello from Qt 5");

	tl_run_ok(TL_ARGV(tl_nipc(), "shm", "info", "--legacy", name, "--json"),
		  NULL, 0, json, sizeof json);
	char want[PATH_MAX + 32];
	snprintf(want, sizeof want, "\"native\":\"%s\"", path);
	assert_non_null(strstr(json, want));
	assert_non_null(strstr(json, "\"type\":\"systemv\""));
	assert_non_null(strstr(json, "\"size\":64,"));
	assert_non_null(strstr(json, "\"attachments\":1,"));

	/* The string form nipc prints (with ?legacyKey=) names the same
	 * segment and the same lock as --legacy. */
	char *str = strstr(json, "\"string\":\"");
	assert_non_null(str);
	str += strlen("\"string\":\"");
	str[strcspn(str, "\"")] = 0;
	assert_non_null(strstr(str, "?legacyKey="));
	tl_run_ok(TL_ARGV(tl_nipc(), "shm", "cat", str, "--size", "5"), NULL, 0, out, sizeof out);
	assert_string_equal(out, "hello");

	tl_write(&qt, "\n");
	expect(&qt, "detached");
	tl_finish_ok(&qt, "qt");
	assert_clean(path);
}

static void nipc_creates_qt_reads(void **state)
{
	char path[PATH_MAX], out[4096];
	struct tl_proc holder;

	(void)state;
	begin(path, &holder, TL_ARGV(tl_nipc(), "shm", "create", "--legacy", name, "100",
				     "--hold"));
	assert_true(tl_shm_exists(path, 'Q'));

	tl_run_ok(TL_ARGV(tl_nipc(), "shm", "write", "--legacy", name),
		  "hello from nipc", 0, NULL, 0);
	tl_run_ok(TL_ARGV(peer, "shm", "cat", name, "--size", "15"), NULL, 0, out, sizeof out);
	assert_string_equal(out, "hello from nipc");
	tl_run_ok(TL_ARGV(peer, "shm", "size", name), NULL, 0, out, sizeof out);
	assert_string_equal(out, "100\n");

	/* And back: Qt writes at an offset, nipc reads it. */
	tl_run_ok(TL_ARGV(peer, "shm", "write", name, "--offset", "6"), "to", 0, NULL, 0);
	tl_run_ok(TL_ARGV(tl_nipc(), "shm", "cat", "--legacy", name, "--size", "15"),
		  NULL, 0, out, sizeof out);
	assert_string_equal(out, "hello toom nipc");

	last_lets_go(&holder, "holder", path);
}

/* nipc holds the lock; Qt's lock() must wait until nipc lets go. */
static void nipc_lock_blocks_qt(void **state)
{
	char path[PATH_MAX];
	struct tl_proc owner, holder, qt;

	(void)state;
	begin(path, &owner, TL_ARGV(peer, "shm", "create", name, "64"));

	tl_start_ok(&holder, TL_ARGV(tl_nipc(), "shm", "lock", "--legacy", name), "locked");
	tl_start_ok(&qt, TL_ARGV(peer, "shm", "lock", name, "--for", "0"), "trying");
	tl_expect_waits(&qt, "qt", T_QUIET);

	long long released = tl_mono_ns();
	tl_write(&holder, "\n");
	long long locked = expect(&qt, "locked");
	assert_true(locked > released);
	expect(&holder, "unlocked");
	tl_finish_ok(&holder, "holder");
	tl_finish_ok(&qt, "qt");

	last_lets_go(&owner, "owner", path);
}

/* Qt holds the lock; nipc's lock must wait until Qt lets go. */
static void qt_lock_blocks_nipc(void **state)
{
	char path[PATH_MAX];
	struct tl_proc owner, qt, waiter;

	(void)state;
	begin(path, &owner, TL_ARGV(tl_nipc(), "shm", "create", "--legacy", name, "64", "--hold"));

	tl_start_ok(&qt, TL_ARGV(peer, "shm", "lock", name), "trying");
	expect(&qt, "locked");
	tl_start_ok(&waiter, TL_ARGV(tl_nipc(), "shm", "lock", "--legacy", name, "--for", "0"),
		    NULL);
	/* nipc shm write works under the same lock: it waits too. */
	struct tl_proc writer;
	tl_start_ok(&writer, TL_ARGV(tl_nipc(), "shm", "write", "--legacy", name), NULL);
	tl_write(&writer, "written under the lock");
	tl_close_in(&writer);
	tl_expect_waits(&waiter, "waiter", T_QUIET);
	assert_true(tl_running(&writer));

	long long released = tl_mono_ns();
	tl_write(&qt, "\n");
	long long unlocking = expect(&qt, "unlocking");
	assert_true(unlocking >= released);
	expect(&waiter, "locked");
	expect(&waiter, "unlocked");
	tl_finish_ok(&waiter, "waiter");
	tl_finish_ok(&qt, "qt");
	tl_finish_ok(&writer, "writer");
	char out[64];
	tl_run_ok(TL_ARGV(peer, "shm", "cat", name, "--size", "22"), NULL, 0, out, sizeof out);
	assert_string_equal(out, "written under the lock");

	last_lets_go(&owner, "owner", path);
}

/* Qt creates, nipc attaches; Qt detaches first, nipc last removes all. */
static void last_detach_nipc_removes(void **state)
{
	char path[PATH_MAX];
	struct tl_proc qt, n;

	(void)state;
	begin(path, &qt, TL_ARGV(peer, "shm", "create", name, "64"));
	tl_start_ok(&n, TL_ARGV(tl_nipc(), "shm", "attach", "--legacy", name, "--cleanup"),
		    "attached");
	assert_int_equal(tl_shm_nattch(path, 'Q'), 2);

	tl_write(&qt, "\n");
	expect(&qt, "detached");
	tl_finish_ok(&qt, "qt");
	assert_int_equal(tl_shm_nattch(path, 'Q'), 1);

	last_lets_go(&n, "n", path);
}

/* nipc creates, Qt attaches; nipc detaches first, Qt detaches last and
 * removes the segment and its key file. The lock semaphore nipc made is
 * nobody's to remove in Qt 5's eyes (Qt removes only a semaphore its own
 * process made), so it stays with its key file until the next nipc
 * operation on the key finds no segment and removes it. */
static void last_detach_qt_removes(void **state)
{
	char path[PATH_MAX];
	struct tl_proc n, qt;

	(void)state;
	begin(path, &n, TL_ARGV(tl_nipc(), "shm", "create", "--legacy", name, "64", "--hold"));
	tl_start_ok(&qt, TL_ARGV(peer, "shm", "attach", name), "attached");
	assert_int_equal(tl_shm_nattch(path, 'Q'), 2);

	tl_let_go(&n, "n");
	assert_int_equal(tl_shm_nattch(path, 'Q'), 1);

	tl_write(&qt, "\n");
	expect(&qt, "detached");
	tl_finish_ok(&qt, "qt");
	assert_false(tl_shm_exists(path, 'Q'));
	assert_int_equal(tl_dir_entries(tmpdir), 1); /* the lock's qipc_systemsem_ file */

	char err[512];
	assert_int_equal(tl_run_text(TL_ARGV(tl_nipc(), "shm", "info", "--legacy", name), NULL, 0,
				     err, sizeof err), 3); /* NotFound */
	assert_non_null(strstr(err, "no segment"));
	/* Inspection changes nothing: the lock Qt 5 left stays, for rm. */
	assert_int_equal(tl_dir_entries(tmpdir), 1);
	assert_int_equal(tl_run_text(TL_ARGV(tl_nipc(), "rm", "--legacy", name), NULL, 0, err,
				     sizeof err), 0);
	assert_clean(path);
}

/* The semaphore holders end (stdin closed), the owner last: nothing is left. */
static void sem_end(struct tl_proc *rel1, struct tl_proc *acq, struct tl_proc *rel,
		    struct tl_proc *owner)
{
	struct tl_proc *held[] = {rel1, acq, rel};

	for (size_t i = 0; i < TL_LEN(held); i++) {
		tl_close_in(held[i]);
		tl_finish_ok(held[i], "a semaphore holder");
	}
	tl_let_go(owner, "owner");
	assert_int_equal(tl_dir_entries(tmpdir), 0);
	assert_int_equal(tl_ledger_left(), 0);
}

/* Qt owns the semaphore; nipc and Qt count on it together. Every side that
 * changes the count stays alive (--hold) while it matters: System V undoes
 * a process's operations when it exits (SEM_UNDO, Qt 5 included). */
static void sem_qt_owner(void **state)
{
	struct tl_proc owner, rel, acq, waiter, rel1;

	char path[PATH_MAX];

	(void)state;
	shm_key_path(path, sizeof path);  /* lock_path: the semaphore's key file */
	tl_start_ok(&owner, TL_ARGV(peer, "sem", "create", name, "0"), "created");
	note_keys();

	tl_start_ok(&rel, TL_ARGV(tl_nipc(), "sem", "release", "--legacy", name, "2", "--hold"),
		    "released");
	tl_start_ok(&acq, TL_ARGV(peer, "sem", "acquire", name, "2", "--hold"), "trying");
	expect(&acq, "acquired");

	/* Now at 0: nipc's acquire blocks until Qt releases. */
	tl_start_ok(&waiter, TL_ARGV(tl_nipc(), "sem", "acquire", "--legacy", name), NULL);
	usleep(T_QUIET * 1000);
	assert_true(tl_running(&waiter));
	tl_start_ok(&rel1, TL_ARGV(peer, "sem", "release", name, "--hold"), "released");
	tl_finish_ok(&waiter, "waiter");

	sem_end(&rel1, &acq, &rel, &owner);
}

/* nipc owns the semaphore; the reverse direction. */
static void sem_nipc_owner(void **state)
{
	struct tl_proc owner, rel, acq, qt, rel1;

	char path[PATH_MAX];

	(void)state;
	shm_key_path(path, sizeof path);  /* lock_path: the semaphore's key file */
	tl_start_ok(&owner, TL_ARGV(tl_nipc(), "sem", "create", "--legacy", name, "0", "--hold"),
		    "created");
	note_keys();

	tl_start_ok(&rel, TL_ARGV(peer, "sem", "release", name, "3", "--hold"), "released");
	tl_start_ok(&acq, TL_ARGV(tl_nipc(), "sem", "acquire", "--legacy", name, "3", "--hold"),
		    "acquired");

	tl_start_ok(&qt, TL_ARGV(peer, "sem", "acquire", name), "trying");
	tl_expect_waits(&qt, "qt", T_QUIET);
	long long released = tl_mono_ns();
	tl_start_ok(&rel1, TL_ARGV(tl_nipc(), "sem", "release", "--legacy", name, "--hold"), NULL);
	long long acquired = expect(&qt, "acquired");
	assert_true(acquired > released);
	expect(&rel1, "released");
	tl_finish_ok(&qt, "qt");

	sem_end(&rel1, &acq, &rel, &owner);
}

static void kill9(struct tl_proc *p)
{
	kill(p->pid, SIGKILL);
	assert_int_equal(tl_wait(p, T_LINE), 128 + SIGKILL);
}

/* A Qt creator and a Qt lock holder die by SIGKILL; nipc recovers. */
static void crash_qt_nipc_recovers(void **state)
{
	char path[PATH_MAX], out[256], err[1024];
	struct tl_proc qt, locker;

	(void)state;
	begin(path, &qt, TL_ARGV(peer, "shm", "create", name, "64", "--data", "survivor"));
	tl_start_ok(&locker, TL_ARGV(peer, "shm", "lock", name), "trying");
	expect(&locker, "locked");
	kill9(&locker);
	kill9(&qt);
	assert_int_equal(tl_shm_nattch(path, 'Q'), 0);

	/* The kernel gave the lock back (SEM_UNDO): nipc can lock and read. */
	tl_run_ok(TL_ARGV(tl_nipc(), "shm", "lock", "--legacy", name, "--for", "0"),
		  NULL, 0, out, sizeof out);
	assert_string_equal(out, "locked\nunlocked\n");
	tl_run_ok(TL_ARGV(tl_nipc(), "shm", "cat", "--legacy", name, "--size", "8"),
		  NULL, 0, out, sizeof out);
	assert_string_equal(out, "survivor");
	/* As with Qt: the leftover makes create fail... */
	assert_int_equal(tl_run_text(TL_ARGV(tl_nipc(), "shm", "create", "--legacy", name, "64"),
				     out, sizeof out, err, sizeof err), 1);
	assert_non_null(strstr(err, "already exists"));
	/* ...until the last detach (nipc's, asked to clean up) removes it. */
	tl_run_ok(TL_ARGV(tl_nipc(), "shm", "info", "--legacy", name, "--cleanup"),
		  NULL, 0, out, sizeof out);
	assert_false(tl_shm_exists(path, 'Q'));

	struct tl_proc again;
	tl_start_ok(&again, TL_ARGV(tl_nipc(), "shm", "create", "--legacy", name, "64", "--hold"),
		    "created");
	note_keys();
	last_lets_go(&again, "again", path);
}

/* An nipc creator and an nipc lock holder die by SIGKILL; Qt recovers. */
static void crash_nipc_qt_recovers(void **state)
{
	char path[PATH_MAX], out[256];
	struct tl_proc n, locker;

	(void)state;
	begin(path, &n, TL_ARGV(tl_nipc(), "shm", "create", "--legacy", name, "64", "--hold"));
	tl_run_ok(TL_ARGV(tl_nipc(), "shm", "write", "--legacy", name), "survivor", 0, NULL, 0);
	tl_start_ok(&locker, TL_ARGV(tl_nipc(), "shm", "lock", "--legacy", name), "locked");
	kill9(&locker);
	kill9(&n);
	assert_int_equal(tl_shm_nattch(path, 'Q'), 0);

	/* Qt attaches (and stays), locks (SEM_UNDO gave the lock back) and
	 * reads the data; its create fails with AlreadyExists (exit 10 + 4). */
	struct tl_proc att;
	tl_start_ok(&att, TL_ARGV(peer, "shm", "attach", name), "attached");
	tl_run_ok(TL_ARGV(peer, "shm", "lock", name, "--for", "0"), NULL, 0, out, sizeof out);
	assert_non_null(strstr(out, "locked"));
	tl_run_ok(TL_ARGV(peer, "shm", "cat", name, "--size", "8"), NULL, 0, out, sizeof out);
	assert_string_equal(out, "survivor");
	assert_int_equal(tl_run_text(TL_ARGV(peer, "shm", "create", name, "64"), NULL, 0, NULL, 0),
			 14);
	/* Qt's detach, the last, removes the segment. */
	tl_write(&att, "\n");
	expect(&att, "detached");
	tl_finish_ok(&att, "att");
	assert_false(tl_shm_exists(path, 'Q'));

	struct tl_proc qt;
	tl_start_ok(&qt, TL_ARGV(peer, "shm", "create", name, "64"), "created");
	note_keys();
	last_lets_go(&qt, "qt", path);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, tl_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(qt_creates_nipc_reads),
		T(nipc_creates_qt_reads),
		T(nipc_lock_blocks_qt),
		T(qt_lock_blocks_nipc),
		T(last_detach_nipc_removes),
		T(last_detach_qt_removes),
		T(sem_qt_owner),
		T(sem_nipc_owner),
		T(crash_qt_nipc_recovers),
		T(crash_nipc_qt_recovers),
	};

	return TL_MAIN("qt5_interop", tests, group_setup, NULL);
}
