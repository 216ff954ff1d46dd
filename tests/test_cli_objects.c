/* SPDX-License-Identifier: MIT */
/* nipc shm / nipc sem, run as real processes ($NIPC_TOP_BUILDDIR/tools/nipc)
 * on both backends: every subcommand, holding and signals, the lock between
 * processes, error exits (1) and usage errors (2). Every object is named
 * per run (pid + counter) and removed in teardown even when a test fails. */
#include "config.h"

#include "tlib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/mman.h>
#include <unistd.h>


static const char *tmpdir, *nipc;
static int counter;

/* The key of the current test and, for POSIX, its name for cleanup. */
static char key[PATH_MAX + 16], posix_name[64], sysv_path[PATH_MAX];


#define ARGV TL_ARGV

/* Key files (and nipc's legacy ones) go to the scratch directory. */
static int group_setup(void **state)
{
	(void)state;
	tmpdir = tl_scratch();
	nipc = tl_nipc();
	setenv("TMPDIR", tmpdir, 1);
	return access(nipc, X_OK) ? -1 : 0;
}

static int setup(void **state)
{
	int posix = !*state || *state == tl_posix;

	counter++;
	snprintf(posix_name, sizeof posix_name, "/nipc-test-%ld-%d", (long)getpid(), counter);
	snprintf(sysv_path, sizeof sysv_path, "%s/k%d", tmpdir, counter);
	tl_ledger_posix(posix_name);
	if (posix)
		snprintf(key, sizeof key, "posix:%s", posix_name);
	else
		snprintf(key, sizeof key, "systemv:%s", sysv_path);
	return 0;
}

/* Objects still alive under a key the test saw, or of its POSIX name, are
 * a failure, even when their key file is gone (ftok could not find them
 * any more); those of the other key files are removed too. */
static int teardown(void **state)
{
	int left;

	(void)state;
	tl_kill_all();
	left = tl_ledger_left();
	tl_ledger_dir(tmpdir);
	tl_ledger_clean();
	tl_scratch_empty();
	if (left)
		fprintf(stderr, "teardown: %d object(s) were left behind\n", left);
	return left ? -1 : 0;
}

static int is_posix(void)
{
	return !strncmp(key, "posix:", 6);
}

/* The System V segment or semaphore of the key, noted in the ledger while
 * its key file is there. */
static int sysv_exists(int sem)
{
	key_t k = ftok(sysv_path, 'Q');

	tl_ledger_file(sysv_path);
	tl_ledger_note();
	return k != -1 && (sem ? semget(k, 0, 0) : shmget(k, 0, 0)) != -1;
}

static int shm_exists(void)
{
	if (is_posix()) {
		int fd = shm_open(posix_name, O_RDONLY, 0);
		if (fd >= 0)
			close(fd);
		return fd >= 0;
	}
	return sysv_exists(0);
}

static int sem_exists(void)
{
	char path[128];

	if (is_posix()) {
		snprintf(path, sizeof path, "/dev/shm/sem.%s", posix_name + 1);
		return access(path, F_OK) == 0;
	}
	return sysv_exists(1);
}

static void start(struct tl_proc *p, const char *const *argv)
{
	assert_int_equal(tl_start(p, argv, NULL), 0);
}

/* start, then its first line is want. */
static void started(struct tl_proc *p, const char *const *argv, const char *want)
{
	start(p, argv);
	tl_expect_line(p, want);
}

static char out[8192], err[4096];
static size_t outlen;

/* Runs nipc with args; output in out/err. Returns the exit status. */
static int nipcv(const char *const *argv, const char *in)
{
	struct tl_opts o = {.in = in};

	return tl_run_buf(argv, &o, out, sizeof out, &outlen, err, sizeof err);
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
	fails(NIPC(NULL, "shm", "create", "posix:", "10"), 1, "nipc: shm create: cannot create", NULL);
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
		assert_non_null(strstr(out, "\"attachments\":0,\"key_t\":null,\"shmid\":null,"));
	} else {
		assert_non_null(strstr(out, "\"type\":\"systemv\",\"type_id\":81,"));
		/* Created without --hold: nobody else is attached. */
		assert_non_null(strstr(out, "\"attachments\":0,"));
		key_t kt = ftok(sysv_path, 'Q');
		snprintf(want, sizeof want, "\"key_t\":%ld,", (long)kt);
		assert_non_null(strstr(out, want));
	}
	ok(NIPC(NULL, "shm", "info", key));
	assert_non_null(strstr(out, "size:        64\n"));

	fails(NIPC(NULL, "shm", "create", key, "64"), 1, "nipc: shm create: cannot create the segment:",
	      "already exists");
	fails(NIPC(NULL, "shm", "create", key, "0"), 1, "nipc: shm create: cannot create the segment:", NULL);
	/* Readers never remove; --cleanup makes the last detach remove it. */
	assert_true(shm_exists());
	ok(NIPC(NULL, "shm", "info", key, "--cleanup"));
	assert_false(shm_exists());
	fails(NIPC(NULL, "shm", "cat", key), 3, "nipc: shm cat: no segment", NULL);
	fails(NIPC("x", "shm", "write", key), 3, "nipc: shm write: cannot attach to the segment",
	      "doesn't exist");
}

static void create_hold(void **state)
{
	struct tl_proc p;

	(void)state;
	started(&p, ARGV(nipc, "shm", "create", key, "4096", "--hold"), "created");
	assert_true(shm_exists());
	ok(NIPC(NULL, "shm", "info", key, "--json"));
	assert_non_null(strstr(out, "\"size\":4096,\"attachments\":1,"));
	ok(NIPC("held", "shm", "write", key));
	tl_let_go(&p, "the holder");
	assert_false(shm_exists());

	/* EOF ends the hold too. */
	started(&p, ARGV(nipc, "shm", "create", key, "10", "--hold"), "created");
	tl_close_in(&p);
	tl_expect_exit(&p, 0);
	assert_false(shm_exists());
}

static void create_hold_no_cleanup(void **state)
{
	struct tl_proc p;

	(void)state;
	started(&p, ARGV(nipc, "shm", "create", key, "10", "--hold", "--no-cleanup"), "created");
	tl_let_go(&p, "the holder");
	assert_true(shm_exists());
	ok(NIPC(NULL, "shm", "cat", key, "--cleanup"));
	assert_false(shm_exists());
}

static void hold_signals(void **state)
{
	struct tl_proc p;

	(void)state;
	started(&p, ARGV(nipc, "shm", "create", key, "10", "--hold"), "created");
	kill(p.pid, SIGTERM);
	tl_expect_exit(&p, 0);
	assert_false(shm_exists());

	started(&p, ARGV(nipc, "shm", "create", key, "10", "--hold"), "created");
	kill(p.pid, SIGINT);
	tl_expect_exit(&p, 0);
	assert_false(shm_exists());
}

static void lock_blocks(void **state)
{
	struct tl_proc owner, holder, waiter;

	(void)state;
	started(&owner, ARGV(nipc, "shm", "create", key, "10", "--hold"), "created");

	ok(NIPC(NULL, "shm", "lock", key, "--for", "50"));
	assert_string_equal(out, "locked\nunlocked\n");

	started(&holder, ARGV(nipc, "shm", "lock", key), "locked");
	start(&waiter, ARGV(nipc, "shm", "lock", key, "--for", "0"));
	tl_expect_quiet(&waiter);
	/* The lock also guards cat and write. */
	struct tl_proc reader;
	start(&reader, ARGV(nipc, "shm", "cat", key, "--size", "1"));
	tl_expect_quiet(&reader);
	tl_lock_handover(&holder, &waiter);
	tl_expect_exit(&reader, 0);

	/* SIGINT during --for releases early and detaches cleanly. */
	started(&holder, ARGV(nipc, "shm", "lock", key, "--for", "600000"), "locked");
	kill(holder.pid, SIGINT);
	tl_expect_line(&holder, "unlocked");
	tl_expect_exit(&holder, 0);
	ok(NIPC(NULL, "shm", "lock", key, "--for", "0"));

	tl_let_go(&owner, "the owner");
	assert_false(shm_exists());
}

static void attach_last_removes(void **state)
{
	struct tl_proc owner, att;

	(void)state;
	started(&owner, ARGV(nipc, "shm", "create", key, "10", "--hold"), "created");
	started(&att, ARGV(nipc, "shm", "attach", key, "--cleanup"), "attached");
	tl_let_go(&owner, "the owner");
	assert_true(shm_exists());
	tl_let_go(&att, "the attacher");
	assert_false(shm_exists());

	fails(NIPC(NULL, "shm", "attach", key), 3, "nipc: shm attach: cannot attach to the segment",
	      NULL);
}

static void lock_missing_segment(void **state)
{
	(void)state;
	fails(NIPC(NULL, "shm", "lock", key, "--for", "0"), 3, "nipc: shm lock:", NULL);
	fails(NIPC(NULL, "shm", "info", key), 3, "nipc: shm info:", NULL);
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
	fails(NIPC(NULL, "shm", "cat", "--legacy", name), 3, "nipc: shm cat: no segment", NULL);

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
	tl_ledger_posix(posix_name);
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
	struct tl_proc owner, a1, r3, a3, waiter, r1, r1b;

	(void)state;
	started(&owner, ARGV(nipc, "sem", "create", key, "1", "--hold"), "created");
	assert_true(sem_exists());

	started(&a1, ARGV(nipc, "sem", "acquire", key, "--hold"), "acquired");
	started(&r3, ARGV(nipc, "sem", "release", key, "3", "--hold"), "released");
	started(&a3, ARGV(nipc, "sem", "acquire", key, "3", "--hold"), "acquired");

	start(&waiter, ARGV(nipc, "sem", "acquire", key, "2"));
	tl_expect_blocked(&waiter);
	started(&r1, ARGV(nipc, "sem", "release", key, "--hold"), "released");
	tl_expect_blocked(&waiter);
	started(&r1b, ARGV(nipc, "sem", "release", key, "--hold"), "released");
	tl_expect_exit(&waiter, 0);
	assert_int_equal(waiter.o.len, 0);  /* quiet without --hold */

	struct tl_proc *holders[] = {&r1b, &r1, &a3, &r3, &a1};
	for (size_t i = 0; i < sizeof holders / sizeof holders[0]; i++) {
		kill(holders[i]->pid, i % 2 ? SIGTERM : SIGINT);
		tl_expect_exit(holders[i], 0);
	}
	tl_let_go(&owner, "the owner");
	assert_false(sem_exists());
}

/* What a plain release (no --hold) leaves: POSIX keeps it; System V undoes
 * it when the releasing process exits (SEM_UNDO, as Qt 5). */
static void sem_release_lifetime(void **state)
{
	struct tl_proc owner, waiter;

	(void)state;
	started(&owner, ARGV(nipc, "sem", "create", key, "0", "--hold"), "created");
	/* A plain release lasts on both backends (no SEM_UNDO). */
	ok(NIPC(NULL, "sem", "release", key));
	start(&waiter, ARGV(nipc, "sem", "acquire", key));
	tl_expect_exit(&waiter, 0);
	/* With --undo, System V takes it back when nipc exits, as Qt. */
	ok(NIPC(NULL, "sem", "release", key, "--undo"));
	start(&waiter, ARGV(nipc, "sem", "acquire", key));
	if (is_posix()) {
		tl_expect_exit(&waiter, 0);
	} else {
		/* (A release while someone waits is taken at once, before the
		 * releaser exits, so it is not undone.) */
		tl_expect_blocked(&waiter);
		struct tl_proc r;
		started(&r, ARGV(nipc, "sem", "release", key, "--undo", "--hold"), "released");
		tl_expect_exit(&waiter, 0);
		tl_close_in(&r);
		tl_expect_exit(&r, 0);
	}
	tl_let_go(&owner, "the owner");
	assert_false(sem_exists());
}

static void sem_create_stays(void **state)
{
	(void)state;
	ok(NIPC(NULL, "sem", "create", key, "2"));
	assert_true(sem_exists());
	ok(NIPC(NULL, "sem", "acquire", key, "2"));

	/* A new owner resets the value and removes it when it ends. */
	struct tl_proc owner;
	started(&owner, ARGV(nipc, "sem", "create", key, "1", "--hold"), "created");
	ok(NIPC(NULL, "sem", "acquire", key));
	kill(owner.pid, SIGTERM);
	tl_expect_exit(&owner, 0);
	assert_false(sem_exists());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TL_BOTH(usage_errors),
		cmocka_unit_test_setup_teardown(bad_keys, setup, teardown),
		TL_BOTH(create_write_cat_info),
		TL_BOTH(create_hold),
		TL_BOTH(create_hold_no_cleanup),
		TL_BOTH(hold_signals),
		TL_BOTH(lock_blocks),
		TL_BOTH(attach_last_removes),
		TL_BOTH(lock_missing_segment),
		cmocka_unit_test_setup_teardown(legacy_keys, setup, teardown),
		TL_BOTH(sem_count),
		TL_BOTH(sem_release_lifetime),
		TL_BOTH(sem_create_stays),
	};

	return TL_MAIN("cli_objects", tests, group_setup, NULL);
}
