/* SPDX-License-Identifier: MIT */
/* nipc shm / nipc sem, run as real processes ($NIPC_TOP_BUILDDIR/tools/nipc)
 * on both backends: every subcommand, holding and signals, the lock between
 * processes, error exits (1) and usage errors (2). Every object is named
 * per run (pid + counter) and removed in teardown even when a test fails. */
#include "config.h"

#include "proc_util.h"

#include <errno.h>
#include <fcntl.h>
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
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#define T_LINE 10000
#define T_QUIET 300

static char tmpdir[] = "/tmp/nipc-cli-XXXXXX";
static char nipc[PATH_MAX];
static int counter;

/* The key of the current test and, for POSIX, its name for cleanup. */
static char key[PATH_MAX + 16], posix_name[64], sysv_path[PATH_MAX];

enum backend { POSIX, SYSV };
static enum backend be_posix = POSIX, be_sysv = SYSV;

static pid_t started[16];
static int nstarted;

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

static int group_setup(void **state)
{
	const char *b = getenv("NIPC_TOP_BUILDDIR");

	(void)state;
	if (!b || !mkdtemp(tmpdir))
		return -1;
	snprintf(nipc, sizeof nipc, "%s/tools/nipc", b);
	setenv("TMPDIR", tmpdir, 1);
	return access(nipc, X_OK) ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	sysv_cleanup_dir(tmpdir, 0);
	return 0;
}

static int setup(void **state)
{
	enum backend be = state && *state ? *(enum backend *)*state : POSIX;

	counter++;
	snprintf(posix_name, sizeof posix_name, "/nipc-test-%ld-%d", (long)getpid(), counter);
	snprintf(sysv_path, sizeof sysv_path, "%s/k%d", tmpdir, counter);
	if (be == POSIX)
		snprintf(key, sizeof key, "posix:%s", posix_name);
	else
		snprintf(key, sizeof key, "systemv:%s", sysv_path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < nstarted; i++) {
		int st;
		if (waitpid(started[i], &st, WNOHANG) == 0) {
			kill(started[i], SIGKILL);
			waitpid(started[i], &st, 0);
		}
	}
	nstarted = 0;
	/* Objects still alive under a key the test saw are a failure, even
	 * when their key file is gone (ftok could not find them any more). */
	int left = ipc_noted_left();
	ipc_noted_remove();
	if (shm_unlink(posix_name) == 0)
		left++;
	if (sem_unlink(posix_name) == 0)
		left++;
	sysv_cleanup_dir(tmpdir, 1);
	if (left)
		fprintf(stderr, "teardown: %d object(s) were left behind\n", left);
	return left ? -1 : 0;
}

static int is_posix(void)
{
	return !strncmp(key, "posix:", 6);
}

static int shm_exists(void)
{
	if (is_posix()) {
		int fd = shm_open(posix_name, O_RDONLY, 0);
		if (fd >= 0)
			close(fd);
		return fd >= 0;
	}
	ipc_note(sysv_path);
	return sysv_shm_exists(sysv_path);
}

static int sem_exists(void)
{
	char path[128];

	if (is_posix()) {
		snprintf(path, sizeof path, "/dev/shm/sem.%s", posix_name + 1);
		return access(path, F_OK) == 0;
	}
	ipc_note(sysv_path);
	return sysv_sem_exists(sysv_path);
}

static void start(struct proc *p, const char *const *argv)
{
	assert_int_equal(proc_start(p, argv), 0);
	if (nstarted < (int)(sizeof started / sizeof started[0]))
		started[nstarted++] = p->pid;
}

static void expect(struct proc *p, const char *want)
{
	char line[256];
	int r = proc_line(p, line, sizeof line, T_LINE);

	if (r != 1) {
		proc_wait(p, 100);
		fail_msg("expected '%s', got %s; stderr: %s", want, r ? "EOF" : "timeout", p->errbuf);
	}
	assert_string_equal(line, want);
}

static void expect_quiet(struct proc *p)
{
	char line[256];

	if (proc_line(p, line, sizeof line, T_QUIET) != 0)
		fail_msg("expected the process to be blocked, got '%s'", line);
}

static void finish(struct proc *p, int want)
{
	int rc = proc_wait(p, T_LINE);

	if (rc != want)
		fail_msg("exit %d (wanted %d), stderr: %s", rc, want, p->errbuf);
}

/* The process must still be blocked after T_QUIET ms. */
static void still_blocked(struct proc *p)
{
	usleep(T_QUIET * 1000);
	if (!proc_running(p)) {
		int rc = proc_wait(p, 100);
		fail_msg("expected a blocked process, it exited %d: %s", rc, p->errbuf);
	}
}

static char out[8192], err[4096];
static size_t outlen;

/* Runs nipc with args; output in out/err. Returns the exit status. */
static int nipcv(const char *const *argv, const char *in)
{
	return run(argv, in, in ? strlen(in) : 0, out, sizeof out, &outlen, err, sizeof err);
}

#define NIPC(in, ...) nipcv(ARGV(nipc, __VA_ARGS__), in)

static void ok(int rc)
{
	if (rc != 0)
		fail_msg("exit %d, stderr: %s", rc, err);
}

static void fails(int rc, int want, const char *prefix, const char *text)
{
	if (rc != want)
		fail_msg("exit %d (wanted %d), stderr: %s", rc, want, err);
	if (strncmp(err, prefix, strlen(prefix)))
		fail_msg("stderr does not start with '%s': %s", prefix, err);
	if (text && !strstr(err, text))
		fail_msg("stderr lacks '%s': %s", text, err);
}

/* ------------------------------------------------------------ usage */

static void usage_errors(void **state)
{
	(void)state;
	ok(NIPC(NULL, "shm", "--help"));
	assert_non_null(strstr(out, "usage: nipc shm create"));
	ok(NIPC(NULL, "shm", "cat", "--help"));
	assert_non_null(strstr(out, "nipc shm cat"));
	ok(NIPC(NULL, "sem", "--help"));
	assert_non_null(strstr(out, "usage: nipc sem create"));
	ok(NIPC(NULL, "sem", "acquire", "-h"));

	fails(NIPC(NULL, "shm"), 2, "nipc: shm:", "missing subcommand");
	fails(NIPC(NULL, "shm", "frobnicate"), 2, "nipc: shm:", "unknown subcommand");
	fails(NIPC(NULL, "shm", "create"), 2, "nipc: shm create:", "missing");
	fails(NIPC(NULL, "shm", "create", key), 2, "nipc: shm create:", "missing");
	fails(NIPC(NULL, "shm", "create", key, "12x"), 2, "nipc: shm create:", "SIZE");
	fails(NIPC(NULL, "shm", "create", key, "-1"), 2, "nipc: shm create:", NULL);
	fails(NIPC(NULL, "shm", "create", key, "10", "--no-cleanup"), 2, "nipc: shm create:",
	      "--no-cleanup");
	fails(NIPC(NULL, "shm", "create", key, "10", "extra"), 2, "nipc: shm create:", "unexpected");
	fails(NIPC(NULL, "shm", "cat", key, "--size"), 2, "nipc: shm cat:", "needs a value");
	fails(NIPC(NULL, "shm", "cat", key, "--size", "x"), 2, "nipc: shm cat:", "--size");
	fails(NIPC(NULL, "shm", "cat", key, "--offset", "1"), 2, "nipc: shm cat:", "unknown option");
	fails(NIPC(NULL, "shm", "write", key, "--offset", "-3"), 2, "nipc: shm write:", NULL);
	fails(NIPC(NULL, "shm", "lock", key, "--for", "soon"), 2, "nipc: shm lock:", "--for");
	fails(NIPC(NULL, "shm", "info", key, "--json", "--json"), 2, "nipc: shm info:", "twice");
	fails(NIPC(NULL, "shm", "info", key, "--legacy", "app"), 2, "nipc: shm info:", "not both");
	fails(NIPC(NULL, "shm", "info", "--legacy"), 2, "nipc: shm info:", "needs a value");
	fails(NIPC(NULL, "shm", "info", "--legacy", "app", "--type", "bogus"), 2,
	      "nipc: shm info:", "unknown key type");
	fails(NIPC(NULL, "shm", "info", key, "--type", "posix"), 2, "nipc: shm info:", "--type");

	fails(NIPC(NULL, "sem"), 2, "nipc: sem:", "missing subcommand");
	fails(NIPC(NULL, "sem", "bump", key), 2, "nipc: sem:", "unknown subcommand");
	fails(NIPC(NULL, "sem", "create", key), 2, "nipc: sem create:", "INITIAL");
	fails(NIPC(NULL, "sem", "create", key, "x"), 2, "nipc: sem create:", "INITIAL");
	fails(NIPC(NULL, "sem", "create", key, "1", "--bogus"), 2, "nipc: sem create:", "unknown option");
	fails(NIPC(NULL, "sem", "acquire", key, "0"), 2, "nipc: sem acquire:", "N must");
	fails(NIPC(NULL, "sem", "release", key, "1", "2"), 2, "nipc: sem release:", "unexpected");
	fails(NIPC(NULL, "sem", "release", key, "--json"), 2, "nipc: sem release:", "unknown option");
	fails(NIPC(NULL, "sem", "release", key, "--hold", "--hold"), 2, "nipc: sem release:",
	      "--hold given twice");
	fails(NIPC(NULL, "sem", "release"), 2, "nipc: sem release:", "missing KEY");
	assert_false(shm_exists());
	assert_false(sem_exists());
}

static void bad_keys(void **state)
{
	(void)state;
	fails(NIPC(NULL, "shm", "info", "bogus:x"), 1, "nipc: shm info:", "invalid key");
	fails(NIPC(NULL, "shm", "cat", "posix:/a?b=c"), 1, "nipc: shm cat:", "invalid key");
	fails(NIPC(NULL, "sem", "release", "nonsense"), 1, "nipc: sem release:", "invalid key");
	fails(NIPC(NULL, "shm", "cat", "--legacy", ""), 1, "nipc: shm cat:", "empty");
	/* An empty native key is a KeyError from the library. */
	fails(NIPC(NULL, "shm", "create", "posix:", "10"), 1, "nipc: shm create: nipc_shm_create", NULL);
}

/* ------------------------------------------------------- shared memory */

static void create_write_cat_info(void **state)
{
	(void)state;
	ok(NIPC(NULL, "shm", "create", key, "64"));
	assert_int_equal(outlen, 0);
	assert_true(shm_exists());

	ok(NIPC("hello", "shm", "write", key));
	ok(NIPC(NULL, "shm", "cat", key, "--size", "5"));
	assert_int_equal(outlen, 5);
	assert_memory_equal(out, "hello", 5);
	ok(NIPC(NULL, "shm", "cat", key));
	assert_int_equal(outlen, 64);
	assert_memory_equal(out, "hello\0\0", 7);
	ok(NIPC(NULL, "shm", "cat", key, "--size", "0"));
	assert_int_equal(outlen, 0);

	/* Exactly to the end fits; one byte more is refused and writes nothing. */
	ok(NIPC("wxyz", "shm", "write", key, "--offset", "60"));
	fails(NIPC("WXYZ", "shm", "write", key, "--offset", "61"), 1, "nipc: shm write:", "larger");
	fails(NIPC("", "shm", "write", key, "--offset", "65"), 1, "nipc: shm write:", "beyond");
	ok(NIPC(NULL, "shm", "cat", key));
	assert_memory_equal(out + 60, "wxyz", 4);

	ok(NIPC(NULL, "shm", "info", key, "--json"));
	char want[PATH_MAX + 64];
	snprintf(want, sizeof want, "\"string\":\"%s\"", key);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "\"size\":64,"));
	assert_non_null(strstr(out, "\"legacy\":null"));
	assert_true(out[0] == '{' && !strcmp(out + outlen - 2, "}\n"));
	if (is_posix()) {
		assert_non_null(strstr(out, "\"type\":\"posix\",\"type_id\":256,"));
		assert_non_null(strstr(out, "\"attachments\":0,\"key_t\":null}"));
	} else {
		assert_non_null(strstr(out, "\"type\":\"systemv\",\"type_id\":81,"));
		/* Created without --hold: nobody else is attached. */
		assert_non_null(strstr(out, "\"attachments\":0,"));
		key_t kt = ftok(sysv_path, 'Q');
		snprintf(want, sizeof want, "\"key_t\":%ld}", (long)kt);
		assert_non_null(strstr(out, want));
	}
	ok(NIPC(NULL, "shm", "info", key));
	assert_non_null(strstr(out, "size:        64\n"));

	fails(NIPC(NULL, "shm", "create", key, "64"), 1, "nipc: shm create: nipc_shm_create:",
	      "already exists");
	fails(NIPC(NULL, "shm", "create", key, "0"), 1, "nipc: shm create: nipc_shm_create:", NULL);
	/* Readers never remove; --cleanup makes the last detach remove it. */
	assert_true(shm_exists());
	ok(NIPC(NULL, "shm", "info", key, "--cleanup"));
	assert_false(shm_exists());
	fails(NIPC(NULL, "shm", "cat", key), 1, "nipc: shm cat: nipc_shm_attach", NULL);
	fails(NIPC("x", "shm", "write", key), 1, "nipc: shm write: nipc_shm_attach", NULL);
}

static void create_hold(void **state)
{
	struct proc p;

	(void)state;
	start(&p, ARGV(nipc, "shm", "create", key, "4096", "--hold"));
	expect(&p, "created");
	assert_true(shm_exists());
	ok(NIPC(NULL, "shm", "info", key, "--json"));
	assert_non_null(strstr(out, "\"size\":4096,\"attachments\":1,"));
	ok(NIPC("held", "shm", "write", key));
	proc_write(&p, "\n");
	finish(&p, 0);
	assert_false(shm_exists());

	/* EOF ends the hold too. */
	start(&p, ARGV(nipc, "shm", "create", key, "10", "--hold"));
	expect(&p, "created");
	proc_close_in(&p);
	finish(&p, 0);
	assert_false(shm_exists());
}

static void create_hold_no_cleanup(void **state)
{
	struct proc p;

	(void)state;
	start(&p, ARGV(nipc, "shm", "create", key, "10", "--hold", "--no-cleanup"));
	expect(&p, "created");
	proc_write(&p, "\n");
	finish(&p, 0);
	assert_true(shm_exists());
	ok(NIPC(NULL, "shm", "cat", key, "--cleanup"));
	assert_false(shm_exists());
}

static void hold_signals(void **state)
{
	struct proc p;

	(void)state;
	start(&p, ARGV(nipc, "shm", "create", key, "10", "--hold"));
	expect(&p, "created");
	kill(p.pid, SIGTERM);
	finish(&p, 0);
	assert_false(shm_exists());

	start(&p, ARGV(nipc, "shm", "create", key, "10", "--hold"));
	expect(&p, "created");
	kill(p.pid, SIGINT);
	finish(&p, 0);
	assert_false(shm_exists());
}

static void lock_blocks(void **state)
{
	struct proc owner, holder, waiter;

	(void)state;
	start(&owner, ARGV(nipc, "shm", "create", key, "10", "--hold"));
	expect(&owner, "created");

	ok(NIPC(NULL, "shm", "lock", key, "--for", "50"));
	assert_string_equal(out, "locked\nunlocked\n");

	start(&holder, ARGV(nipc, "shm", "lock", key));
	expect(&holder, "locked");
	start(&waiter, ARGV(nipc, "shm", "lock", key, "--for", "0"));
	expect_quiet(&waiter);
	/* The lock also guards cat and write. */
	struct proc reader;
	start(&reader, ARGV(nipc, "shm", "cat", key, "--size", "1"));
	expect_quiet(&reader);
	proc_write(&holder, "\n");
	expect(&holder, "unlocked");
	finish(&holder, 0);
	expect(&waiter, "locked");
	expect(&waiter, "unlocked");
	finish(&waiter, 0);
	finish(&reader, 0);

	/* SIGINT during --for releases early and detaches cleanly. */
	start(&holder, ARGV(nipc, "shm", "lock", key, "--for", "600000"));
	expect(&holder, "locked");
	kill(holder.pid, SIGINT);
	expect(&holder, "unlocked");
	finish(&holder, 0);
	ok(NIPC(NULL, "shm", "lock", key, "--for", "0"));

	proc_write(&owner, "\n");
	finish(&owner, 0);
	assert_false(shm_exists());
}

static void attach_last_removes(void **state)
{
	struct proc owner, att;

	(void)state;
	start(&owner, ARGV(nipc, "shm", "create", key, "10", "--hold"));
	expect(&owner, "created");
	start(&att, ARGV(nipc, "shm", "attach", key, "--cleanup"));
	expect(&att, "attached");
	proc_write(&owner, "\n");
	finish(&owner, 0);
	assert_true(shm_exists());
	proc_write(&att, "\n");
	finish(&att, 0);
	assert_false(shm_exists());

	fails(NIPC(NULL, "shm", "attach", key), 1, "nipc: shm attach: nipc_shm_attach", NULL);
}

static void lock_missing_segment(void **state)
{
	(void)state;
	fails(NIPC(NULL, "shm", "lock", key, "--for", "0"), 1, "nipc: shm lock:", NULL);
	fails(NIPC(NULL, "shm", "info", key), 1, "nipc: shm info:", NULL);
	assert_false(shm_exists());
}

/* --legacy NAME: Qt 5's legacy key, System V in TMPDIR by default, or of
 * another --type. */
static void legacy_keys(void **state)
{
	char name[64], want[PATH_MAX + 64];

	(void)state;
	snprintf(name, sizeof name, "cli%ld.%d", (long)getpid(), counter);
	ok(NIPC(NULL, "shm", "create", "--legacy", name, "32"));
	ok(NIPC(NULL, "shm", "info", "--legacy", name, "--json"));
	snprintf(want, sizeof want, "\"native\":\"%s/qipc_sharedmemory_cli", tmpdir);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof want, "\"legacy\":\"%s\"", name);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "\"type\":\"systemv\""));
	ok(NIPC(NULL, "shm", "info", "--type", "systemv", "--legacy", name, "--cleanup"));
	fails(NIPC(NULL, "shm", "cat", "--legacy", name), 1, "nipc: shm cat: nipc_shm_attach", NULL);

	/* POSIX legacy key "/qipc_sharedmemory_<letters><sha1>"; remember its
	 * name for teardown before anything can fail. */
	ok(NIPC(NULL, "shm", "create", "--legacy", name, "--type", "posix", "32"));
	ok(NIPC(NULL, "shm", "info", "--legacy", name, "--type", "posix", "--json"));
	char *native = strstr(out, "\"native\":\"/qipc_sharedmemory_cli");
	assert_non_null(native);
	native += strlen("\"native\":\"");
	size_t n = strcspn(native, "\"");
	assert_true(n < sizeof posix_name);
	memcpy(posix_name, native, n);
	posix_name[n] = 0;
	assert_non_null(strstr(out, "\"type\":\"posix\""));
	ok(NIPC("legacy", "shm", "write", "--legacy", name, "--type", "posix"));
	ok(NIPC(NULL, "shm", "cat", "--legacy", name, "--type", "posix", "--size", "6"));
	assert_string_equal(out, "legacy");
	ok(NIPC(NULL, "shm", "info", "--legacy", name, "--type", "posix", "--cleanup"));
	int fd = shm_open(posix_name, O_RDONLY, 0);
	assert_int_equal(fd, -1);
}

/* ---------------------------------------------------------- semaphores */

/* Holders (--hold) keep their operations alive: on System V the kernel
 * undoes them when the process exits. */
static void sem_count(void **state)
{
	struct proc owner, a1, r3, a3, waiter, r1, r1b;

	(void)state;
	start(&owner, ARGV(nipc, "sem", "create", key, "1", "--hold"));
	expect(&owner, "created");
	assert_true(sem_exists());

	start(&a1, ARGV(nipc, "sem", "acquire", key, "--hold"));
	expect(&a1, "acquired");
	start(&r3, ARGV(nipc, "sem", "release", key, "3", "--hold"));
	expect(&r3, "released");
	start(&a3, ARGV(nipc, "sem", "acquire", key, "3", "--hold"));
	expect(&a3, "acquired");

	start(&waiter, ARGV(nipc, "sem", "acquire", key, "2"));
	still_blocked(&waiter);
	start(&r1, ARGV(nipc, "sem", "release", key, "--hold"));
	expect(&r1, "released");
	still_blocked(&waiter);
	start(&r1b, ARGV(nipc, "sem", "release", key, "--hold"));
	expect(&r1b, "released");
	finish(&waiter, 0);
	assert_int_equal(waiter.len, 0);  /* quiet without --hold */

	struct proc *holders[] = {&r1b, &r1, &a3, &r3, &a1};
	for (size_t i = 0; i < sizeof holders / sizeof holders[0]; i++) {
		kill(holders[i]->pid, i % 2 ? SIGTERM : SIGINT);
		finish(holders[i], 0);
	}
	proc_write(&owner, "\n");
	finish(&owner, 0);
	assert_false(sem_exists());
}

/* What a plain release (no --hold) leaves: POSIX keeps it; System V undoes
 * it when the releasing process exits (SEM_UNDO, as Qt 5). */
static void sem_release_lifetime(void **state)
{
	struct proc owner, waiter;

	(void)state;
	start(&owner, ARGV(nipc, "sem", "create", key, "0", "--hold"));
	expect(&owner, "created");
	ok(NIPC(NULL, "sem", "release", key));
	start(&waiter, ARGV(nipc, "sem", "acquire", key));
	if (is_posix()) {
		finish(&waiter, 0);
	} else {
		/* (A release while someone waits is taken at once, before the
		 * releaser exits, so it is not undone.) */
		still_blocked(&waiter);
		struct proc r;
		start(&r, ARGV(nipc, "sem", "release", key, "--hold"));
		expect(&r, "released");
		finish(&waiter, 0);
		proc_close_in(&r);
		finish(&r, 0);
	}
	proc_write(&owner, "\n");
	finish(&owner, 0);
	assert_false(sem_exists());
}

static void sem_create_stays(void **state)
{
	(void)state;
	ok(NIPC(NULL, "sem", "create", key, "2"));
	assert_true(sem_exists());
	ok(NIPC(NULL, "sem", "acquire", key, "2"));

	/* A new owner resets the value and removes it when it ends. */
	struct proc owner;
	start(&owner, ARGV(nipc, "sem", "create", key, "1", "--hold"));
	expect(&owner, "created");
	ok(NIPC(NULL, "sem", "acquire", key));
	kill(owner.pid, SIGTERM);
	finish(&owner, 0);
	assert_false(sem_exists());
}

int main(void)
{
#define BOTH(f) \
	{#f " (posix)", f, setup, teardown, &be_posix}, \
	{#f " (systemv)", f, setup, teardown, &be_sysv}
	const struct CMUnitTest tests[] = {
		BOTH(usage_errors),
		cmocka_unit_test_setup_teardown(bad_keys, setup, teardown),
		BOTH(create_write_cat_info),
		BOTH(create_hold),
		BOTH(create_hold_no_cleanup),
		BOTH(hold_signals),
		BOTH(lock_blocks),
		BOTH(attach_last_removes),
		BOTH(lock_missing_segment),
		cmocka_unit_test_setup_teardown(legacy_keys, setup, teardown),
		BOTH(sem_count),
		BOTH(sem_release_lifetime),
		BOTH(sem_create_stays),
	};

	return cmocka_run_group_tests_name("cli_objects", tests, group_setup, group_teardown);
}
