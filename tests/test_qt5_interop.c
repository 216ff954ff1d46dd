/* SPDX-License-Identifier: MIT */
/* Interop with real Qt 5 programs: tests/qt/qt5peer (QSharedMemory and
 * QSystemSemaphore with legacy keys, System V on Debian's Qt 5) against the
 * nipc tool, in both directions: data, the segment lock, last-detach
 * cleanup, semaphore counting, and recovery after a kill -9.
 * Both sides run with TMPDIR set to a private directory, so every key file
 * lives there; teardown removes the objects keyed on those files. */
#include "config.h"

#include "proc_util.h"

#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#define T_LINE 10000  /* ms to wait for an expected line */
#define T_QUIET 300   /* ms a blocked side must stay silent */

static char tmpdir[] = "/tmp/nipc-qt5-XXXXXX";
static char nipc[PATH_MAX], peer[PATH_MAX];
static char name[64];
static int counter;

static int group_setup(void **state)
{
	const char *b = getenv("NIPC_TOP_BUILDDIR");

	(void)state;
	if (!b || !mkdtemp(tmpdir))
		return -1;
	snprintf(nipc, sizeof nipc, "%s/tools/nipc", b);
	snprintf(peer, sizeof peer, "%s/tests/qt/qt5peer", b);
	setenv("TMPDIR", tmpdir, 1);
	return access(nipc, X_OK) || access(peer, X_OK) ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	sysv_cleanup_dir(tmpdir, 0);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	/* Letters matter to the key file name; the counter varies the hash. */
	snprintf(name, sizeof name, "qtinterop%ld.%d", (long)getpid(), ++counter);
	return 0;
}

static pid_t started[16];
static int nstarted;

static int teardown(void **state)
{
	(void)state;
	/* A failed test may leave holders waiting on stdin: kill and reap them. */
	for (int i = 0; i < nstarted; i++) {
		int st;
		if (waitpid(started[i], &st, WNOHANG) == 0) {
			kill(started[i], SIGKILL);
			waitpid(started[i], &st, 0);
		}
	}
	nstarted = 0;
	ipc_noted_remove();
	sysv_cleanup_dir(tmpdir, 1);
	return 0;
}

/* argv from a NULL-terminated list, the program first. */
#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

static void start(struct proc *p, const char *const *argv)
{
	assert_int_equal(proc_start(p, argv), 0);
	if (nstarted < (int)(sizeof started / sizeof started[0]))
		started[nstarted++] = p->pid;
}

/* Reads the next line and checks its first word; returns its number (ns). */
static long long expect(struct proc *p, const char *word)
{
	char line[256];
	int r = proc_line(p, line, sizeof line, T_LINE);
	size_t n = strlen(word);

	if (r != 1) {
		proc_wait(p, 100);
		fail_msg("expected '%s', got %s; stderr: %s", word, r ? "EOF" : "timeout", p->errbuf);
	}
	if (strncmp(line, word, n) || (line[n] && line[n] != ' '))
		fail_msg("expected '%s', got '%s'", word, line);
	return line[n] ? atoll(line + n + 1) : 0;
}

static void expect_quiet(struct proc *p)
{
	char line[256];

	if (proc_line(p, line, sizeof line, T_QUIET) != 0)
		fail_msg("expected the process to be blocked, got '%s'", line);
}

static void finish_ok(struct proc *p)
{
	int rc = proc_wait(p, T_LINE);

	if (rc != 0)
		fail_msg("exit %d, stderr: %s", rc, p->errbuf);
}

/* Runs to completion; out gets stdout. Returns the exit status. */
static int runv(const char *const *argv, const char *in, char *out, size_t outsize, char *err,
		size_t errsize)
{
	char ob[4096], eb[4096];

	return run(argv, in, in ? strlen(in) : 0, out ? out : ob, out ? outsize : sizeof ob, NULL,
		   err ? err : eb, err ? errsize : sizeof eb);
}

static void run_ok(const char *const *argv, const char *in, char *out, size_t outsize)
{
	char err[4096];
	int rc = runv(argv, in, out, outsize, err, sizeof err);

	if (rc != 0)
		fail_msg("%s %s %s: exit %d, stderr: %s", argv[0], argv[1], argv[2], rc, err);
}

static char seg_path[PATH_MAX], lock_path[PATH_MAX];

static void shm_key_path(char *buf, size_t len)
{
	run_ok(ARGV(peer, "shm", "key", name), NULL, buf, len);
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
	ipc_note(seg_path);
	ipc_note(lock_path);
}

/* Nothing of ours is left: no key file, so no object either (and the
 * segment found by a key file removed earlier would not be ours). */
static void assert_clean(const char *shm_path)
{
	assert_false(sysv_shm_exists(shm_path));
	assert_int_equal(dir_entries(tmpdir), 0);
	assert_int_equal(ipc_noted_left(), 0);
}

static void qt_creates_nipc_reads(void **state)
{
	char path[PATH_MAX], out[4096], json[1024];
	struct proc qt;

	(void)state;
	shm_key_path(path, sizeof path);
	start(&qt, ARGV(peer, "shm", "create", name, "64", "--data", "hello from Qt 5"));
	expect(&qt, "created");
	note_keys();

	run_ok(ARGV(nipc, "shm", "cat", "--legacy", name, "--size", "15"), NULL, out, sizeof out);
	assert_string_equal(out, "hello from Qt 5");

	run_ok(ARGV(nipc, "shm", "info", "--legacy", name, "--json"), NULL, json, sizeof json);
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
	run_ok(ARGV(nipc, "shm", "cat", str, "--size", "5"), NULL, out, sizeof out);
	assert_string_equal(out, "hello");

	proc_write(&qt, "\n");
	expect(&qt, "detached");
	finish_ok(&qt);
	assert_clean(path);
}

static void nipc_creates_qt_reads(void **state)
{
	char path[PATH_MAX], out[4096];
	struct proc holder;

	(void)state;
	shm_key_path(path, sizeof path);
	start(&holder, ARGV(nipc, "shm", "create", "--legacy", name, "100", "--hold"));
	expect(&holder, "created");
	note_keys();
	assert_true(sysv_shm_exists(path));

	run_ok(ARGV(nipc, "shm", "write", "--legacy", name), "hello from nipc", NULL, 0);
	run_ok(ARGV(peer, "shm", "cat", name, "--size", "15"), NULL, out, sizeof out);
	assert_string_equal(out, "hello from nipc");
	run_ok(ARGV(peer, "shm", "size", name), NULL, out, sizeof out);
	assert_string_equal(out, "100\n");

	/* And back: Qt writes at an offset, nipc reads it. */
	run_ok(ARGV(peer, "shm", "write", name, "--offset", "6"), "to", NULL, 0);
	run_ok(ARGV(nipc, "shm", "cat", "--legacy", name, "--size", "15"), NULL, out, sizeof out);
	assert_string_equal(out, "hello toom nipc");

	proc_write(&holder, "\n");
	finish_ok(&holder);
	assert_clean(path);
}

/* nipc holds the lock; Qt's lock() must wait until nipc lets go. */
static void nipc_lock_blocks_qt(void **state)
{
	char path[PATH_MAX];
	struct proc owner, holder, qt;

	(void)state;
	shm_key_path(path, sizeof path);
	start(&owner, ARGV(peer, "shm", "create", name, "64"));
	expect(&owner, "created");
	note_keys();

	start(&holder, ARGV(nipc, "shm", "lock", "--legacy", name));
	expect(&holder, "locked");
	start(&qt, ARGV(peer, "shm", "lock", name, "--for", "0"));
	expect(&qt, "trying");
	expect_quiet(&qt);

	long long released = mono_ns();
	proc_write(&holder, "\n");
	long long locked = expect(&qt, "locked");
	assert_true(locked > released);
	expect(&holder, "unlocked");
	finish_ok(&holder);
	finish_ok(&qt);

	proc_write(&owner, "\n");
	finish_ok(&owner);
	assert_clean(path);
}

/* Qt holds the lock; nipc's lock must wait until Qt lets go. */
static void qt_lock_blocks_nipc(void **state)
{
	char path[PATH_MAX];
	struct proc owner, qt, waiter;

	(void)state;
	shm_key_path(path, sizeof path);
	start(&owner, ARGV(nipc, "shm", "create", "--legacy", name, "64", "--hold"));
	expect(&owner, "created");
	note_keys();

	start(&qt, ARGV(peer, "shm", "lock", name));
	expect(&qt, "trying");
	expect(&qt, "locked");
	start(&waiter, ARGV(nipc, "shm", "lock", "--legacy", name, "--for", "0"));
	/* nipc shm write works under the same lock: it waits too. */
	struct proc writer;
	start(&writer, ARGV(nipc, "shm", "write", "--legacy", name));
	proc_write(&writer, "written under the lock");
	proc_close_in(&writer);
	expect_quiet(&waiter);
	assert_true(proc_running(&writer));

	long long released = mono_ns();
	proc_write(&qt, "\n");
	long long unlocking = expect(&qt, "unlocking");
	assert_true(unlocking >= released);
	expect(&waiter, "locked");
	expect(&waiter, "unlocked");
	finish_ok(&waiter);
	finish_ok(&qt);
	finish_ok(&writer);
	char out[64];
	run_ok(ARGV(peer, "shm", "cat", name, "--size", "22"), NULL, out, sizeof out);
	assert_string_equal(out, "written under the lock");

	proc_write(&owner, "\n");
	finish_ok(&owner);
	assert_clean(path);
}

/* Qt creates, nipc attaches; Qt detaches first, nipc last removes all. */
static void last_detach_nipc_removes(void **state)
{
	char path[PATH_MAX];
	struct proc qt, n;

	(void)state;
	shm_key_path(path, sizeof path);
	start(&qt, ARGV(peer, "shm", "create", name, "64"));
	expect(&qt, "created");
	note_keys();
	start(&n, ARGV(nipc, "shm", "attach", "--legacy", name, "--cleanup"));
	expect(&n, "attached");
	assert_int_equal(sysv_shm_nattch(path), 2);

	proc_write(&qt, "\n");
	expect(&qt, "detached");
	finish_ok(&qt);
	assert_int_equal(sysv_shm_nattch(path), 1);

	proc_write(&n, "\n");
	finish_ok(&n);
	assert_clean(path);
}

/* nipc creates, Qt attaches; nipc detaches first, Qt detaches last and
 * removes the segment and its key file. The lock semaphore nipc made is
 * nobody's to remove in Qt 5's eyes (Qt removes only a semaphore its own
 * process made), so it stays with its key file until the next nipc
 * operation on the key finds no segment and removes it. */
static void last_detach_qt_removes(void **state)
{
	char path[PATH_MAX];
	struct proc n, qt;

	(void)state;
	shm_key_path(path, sizeof path);
	start(&n, ARGV(nipc, "shm", "create", "--legacy", name, "64", "--hold"));
	expect(&n, "created");
	note_keys();
	start(&qt, ARGV(peer, "shm", "attach", name));
	expect(&qt, "attached");
	assert_int_equal(sysv_shm_nattch(path), 2);

	proc_write(&n, "\n");
	finish_ok(&n);
	assert_int_equal(sysv_shm_nattch(path), 1);

	proc_write(&qt, "\n");
	expect(&qt, "detached");
	finish_ok(&qt);
	assert_false(sysv_shm_exists(path));
	assert_int_equal(dir_entries(tmpdir), 1); /* the lock's qipc_systemsem_ file */

	char err[512];
	assert_int_equal(runv(ARGV(nipc, "shm", "info", "--legacy", name), NULL, NULL, 0, err,
			      sizeof err), 1);
	assert_non_null(strstr(err, "doesn't exist"));
	assert_clean(path);
}

/* Qt owns the semaphore; nipc and Qt count on it together. Every side that
 * changes the count stays alive (--hold) while it matters: System V undoes
 * a process's operations when it exits (SEM_UNDO, Qt 5 included). */
static void sem_qt_owner(void **state)
{
	struct proc owner, rel, acq, waiter, rel1;

	char path[PATH_MAX];

	(void)state;
	shm_key_path(path, sizeof path);  /* lock_path: the semaphore's key file */
	start(&owner, ARGV(peer, "sem", "create", name, "0"));
	expect(&owner, "created");
	note_keys();

	start(&rel, ARGV(nipc, "sem", "release", "--legacy", name, "2", "--hold"));
	expect(&rel, "released");
	start(&acq, ARGV(peer, "sem", "acquire", name, "2", "--hold"));
	expect(&acq, "trying");
	expect(&acq, "acquired");

	/* Now at 0: nipc's acquire blocks until Qt releases. */
	start(&waiter, ARGV(nipc, "sem", "acquire", "--legacy", name));
	usleep(T_QUIET * 1000);
	assert_true(proc_running(&waiter));
	start(&rel1, ARGV(peer, "sem", "release", name, "--hold"));
	expect(&rel1, "released");
	finish_ok(&waiter);

	proc_close_in(&rel1);
	finish_ok(&rel1);
	proc_close_in(&acq);
	finish_ok(&acq);
	proc_close_in(&rel);
	finish_ok(&rel);
	proc_write(&owner, "\n");
	finish_ok(&owner);
	assert_int_equal(dir_entries(tmpdir), 0);
	assert_int_equal(ipc_noted_left(), 0);
}

/* nipc owns the semaphore; the reverse direction. */
static void sem_nipc_owner(void **state)
{
	struct proc owner, rel, acq, qt, rel1;

	char path[PATH_MAX];

	(void)state;
	shm_key_path(path, sizeof path);  /* lock_path: the semaphore's key file */
	start(&owner, ARGV(nipc, "sem", "create", "--legacy", name, "0", "--hold"));
	expect(&owner, "created");
	note_keys();

	start(&rel, ARGV(peer, "sem", "release", name, "3", "--hold"));
	expect(&rel, "released");
	start(&acq, ARGV(nipc, "sem", "acquire", "--legacy", name, "3", "--hold"));
	expect(&acq, "acquired");

	start(&qt, ARGV(peer, "sem", "acquire", name));
	expect(&qt, "trying");
	expect_quiet(&qt);
	long long released = mono_ns();
	start(&rel1, ARGV(nipc, "sem", "release", "--legacy", name, "--hold"));
	long long acquired = expect(&qt, "acquired");
	assert_true(acquired > released);
	expect(&rel1, "released");
	finish_ok(&qt);

	proc_close_in(&rel1);
	finish_ok(&rel1);
	proc_close_in(&acq);
	finish_ok(&acq);
	proc_close_in(&rel);
	finish_ok(&rel);
	proc_write(&owner, "\n");
	finish_ok(&owner);
	assert_int_equal(dir_entries(tmpdir), 0);
	assert_int_equal(ipc_noted_left(), 0);
}

static void kill9(struct proc *p)
{
	kill(p->pid, SIGKILL);
	assert_int_equal(proc_wait(p, T_LINE), 128 + SIGKILL);
}

/* A Qt creator and a Qt lock holder die by SIGKILL; nipc recovers. */
static void crash_qt_nipc_recovers(void **state)
{
	char path[PATH_MAX], out[256], err[1024];
	struct proc qt, locker;

	(void)state;
	shm_key_path(path, sizeof path);
	start(&qt, ARGV(peer, "shm", "create", name, "64", "--data", "survivor"));
	expect(&qt, "created");
	note_keys();
	start(&locker, ARGV(peer, "shm", "lock", name));
	expect(&locker, "trying");
	expect(&locker, "locked");
	kill9(&locker);
	kill9(&qt);
	assert_int_equal(sysv_shm_nattch(path), 0);

	/* The kernel gave the lock back (SEM_UNDO): nipc can lock and read. */
	run_ok(ARGV(nipc, "shm", "lock", "--legacy", name, "--for", "0"), NULL, out, sizeof out);
	assert_string_equal(out, "locked\nunlocked\n");
	run_ok(ARGV(nipc, "shm", "cat", "--legacy", name, "--size", "8"), NULL, out, sizeof out);
	assert_string_equal(out, "survivor");
	/* As with Qt: the leftover makes create fail... */
	assert_int_equal(runv(ARGV(nipc, "shm", "create", "--legacy", name, "64"), NULL, out,
			      sizeof out, err, sizeof err), 1);
	assert_non_null(strstr(err, "already exists"));
	/* ...until the last detach (nipc's, asked to clean up) removes it. */
	run_ok(ARGV(nipc, "shm", "info", "--legacy", name, "--cleanup"), NULL, out, sizeof out);
	assert_false(sysv_shm_exists(path));

	struct proc again;
	start(&again, ARGV(nipc, "shm", "create", "--legacy", name, "64", "--hold"));
	expect(&again, "created");
	note_keys();
	proc_write(&again, "\n");
	finish_ok(&again);
	assert_clean(path);
}

/* An nipc creator and an nipc lock holder die by SIGKILL; Qt recovers. */
static void crash_nipc_qt_recovers(void **state)
{
	char path[PATH_MAX], out[256];
	struct proc n, locker;

	(void)state;
	shm_key_path(path, sizeof path);
	start(&n, ARGV(nipc, "shm", "create", "--legacy", name, "64", "--hold"));
	expect(&n, "created");
	note_keys();
	run_ok(ARGV(nipc, "shm", "write", "--legacy", name), "survivor", NULL, 0);
	start(&locker, ARGV(nipc, "shm", "lock", "--legacy", name));
	expect(&locker, "locked");
	kill9(&locker);
	kill9(&n);
	assert_int_equal(sysv_shm_nattch(path), 0);

	/* Qt attaches (and stays), locks (SEM_UNDO gave the lock back) and
	 * reads the data; its create fails with AlreadyExists (exit 10 + 4). */
	struct proc att;
	start(&att, ARGV(peer, "shm", "attach", name));
	expect(&att, "attached");
	run_ok(ARGV(peer, "shm", "lock", name, "--for", "0"), NULL, out, sizeof out);
	assert_non_null(strstr(out, "locked"));
	run_ok(ARGV(peer, "shm", "cat", name, "--size", "8"), NULL, out, sizeof out);
	assert_string_equal(out, "survivor");
	assert_int_equal(runv(ARGV(peer, "shm", "create", name, "64"), NULL, NULL, 0, NULL, 0), 14);
	/* Qt's detach, the last, removes the segment. */
	proc_write(&att, "\n");
	expect(&att, "detached");
	finish_ok(&att);
	assert_false(sysv_shm_exists(path));

	struct proc qt;
	start(&qt, ARGV(peer, "shm", "create", name, "64"));
	expect(&qt, "created");
	note_keys();
	proc_write(&qt, "\n");
	finish_ok(&qt);
	assert_clean(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(qt_creates_nipc_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(nipc_creates_qt_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(nipc_lock_blocks_qt, setup, teardown),
		cmocka_unit_test_setup_teardown(qt_lock_blocks_nipc, setup, teardown),
		cmocka_unit_test_setup_teardown(last_detach_nipc_removes, setup, teardown),
		cmocka_unit_test_setup_teardown(last_detach_qt_removes, setup, teardown),
		cmocka_unit_test_setup_teardown(sem_qt_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(sem_nipc_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(crash_qt_nipc_recovers, setup, teardown),
		cmocka_unit_test_setup_teardown(crash_nipc_qt_recovers, setup, teardown),
	};

	return cmocka_run_group_tests_name("qt5_interop", tests, group_setup, group_teardown);
}
