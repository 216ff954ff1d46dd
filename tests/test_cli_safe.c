/* SPDX-License-Identifier: MIT */
/* The operator's CLI is safe to use (nipc(1)): inspection creates nothing
 * (a Python segment, a bare System V segment), raw System V keys and ids,
 * System V semaphore operations that last, a missing semaphore is NotFound,
 * --timeout, 1024-based sizes, errors in operator terms. Real processes:
 * nipc, python3; every object is removed in teardown. */
#include "config.h"

#include "tlib.h"

#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

static char out[8192], err[4096];
static size_t outlen;

static int nipcv(const char *const *argv)
{
	struct tl_opts o = {.timeout = 20};

	return tl_run_buf(argv, &o, out, sizeof out, &outlen, err, sizeof err);
}

#define NIPC(...) nipcv(TL_ARGV(tl_nipc(), __VA_ARGS__))

static void ok(int rc)
{
	if (rc != 0)
		fail_msg("exit %d, stderr: %s", rc, err);
}

static void fails(int rc, int want, const char *text)
{
	if (rc != want)
		fail_msg("exit %d (wanted %d), stderr: %s", rc, want, err);
	if (text && !strstr(err, text))
		fail_msg("stderr lacks '%s': %s", text, err);
	if (strstr(err, "nipc_"))
		fail_msg("stderr names a library function: %s", err);
}

static int group_setup(void **state)
{
	(void)state;
	setenv("TMPDIR", tl_key_dir("tmp"), 1);
	return 0;
}

static int posix_sem_file(const char *name)
{
	char path[256];

	snprintf(path, sizeof path, "/dev/shm/sem.%s", name + 1);
	return access(path, F_OK) == 0;
}

/* A segment made by Python's multiprocessing.shared_memory (its resource
 * tracker told to forget it), holding "hello": inspected, nothing new. */
static void inspect_python_segment(void **state)
{
	const char *name = tl_native(0);
	char key[128], script[512];

	(void)state;
	snprintf(key, sizeof key, "posix:%s", name);
	snprintf(script, sizeof script,
		 "from multiprocessing import shared_memory, resource_tracker\n"
		 "m = shared_memory.SharedMemory(name='%s', create=True, size=100)\n"
		 "m.buf[:5] = b'hello'\n"
		 "resource_tracker.unregister(m._name, 'shared_memory')\n"
		 "m.close()\n", name + 1);
	ok(nipcv(TL_ARGV("python3", "-c", script)));
	assert_true(tl_shm_exists(name, 0));

	ok(NIPC("shm", "info", key));
	assert_non_null(strstr(out, "size:        100\n"));
	assert_non_null(strstr(out, "lock:        none"));
	ok(NIPC("shm", "info", key, "--json"));
	assert_non_null(strstr(out, "\"lock\":false"));
	ok(NIPC("shm", "cat", key, "--size", "5"));
	assert_int_equal(outlen, 5);
	assert_memory_equal(out, "hello", 5);
	assert_non_null(strstr(err, "read without the lock"));
	assert_false(posix_sem_file(name));
	assert_false(tl_sem_exists(name, 0));
	assert_true(tl_shm_exists(name, 0));
	shm_unlink(name);
}

/* A bare System V segment under a key file: info and cat by key, by raw
 * key and by shmid make no semaphore; raw forms that name nothing: 3. */
static void inspect_sysv_raw(void **state)
{
	const char *path = tl_native(1);
	char key[512], raw[32], id[32];
	key_t k;
	int shmid;

	(void)state;
	close(open(path, O_CREAT | O_WRONLY, 0600));
	k = ftok(path, 'Q');
	assert_int_not_equal(k, -1);
	shmid = shmget(k, 8192, IPC_CREAT | IPC_EXCL | 0600);
	assert_true(shmid >= 0);
	tl_ledger_shmid(shmid);
	char *p = shmat(shmid, NULL, 0);
	assert_true(p != (void *)-1);
	memcpy(p, "sysv!", 5);
	shmdt(p);
	snprintf(key, sizeof key, "systemv:%s", path);
	snprintf(raw, sizeof raw, "0x%08x", (unsigned)k);
	snprintf(id, sizeof id, "shmid:%d", shmid);

	ok(NIPC("shm", "info", key));
	assert_non_null(strstr(out, "size:        8192\n"));
	ok(NIPC("shm", "cat", key, "--size", "5"));
	assert_memory_equal(out, "sysv!", 5);
	ok(NIPC("shm", "info", raw, "--json"));
	char want[64];
	snprintf(want, sizeof want, "\"shmid\":%d", shmid);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "\"size\":8192"));
	ok(NIPC("shm", "info", id));
	assert_non_null(strstr(out, raw));
	ok(NIPC("shm", "cat", id, "--size", "5"));
	assert_memory_equal(out, "sysv!", 5);
	assert_non_null(strstr(err, "read without the lock"));
	assert_int_equal(semget(k, 0, 0), -1);

	fails(NIPC("shm", "info", "shmid:x"), 2, "invalid key");
	fails(NIPC("shm", "info", "0x0"), 2, "IPC_PRIVATE");
	fails(NIPC("sem", "info", "0x00000000"), 2, "IPC_PRIVATE");
	fails(NIPC("shm", "cat", "semid:1"), 2, "semaphore");
	shmctl(shmid, IPC_RMID, NULL);
	fails(NIPC("shm", "info", id), 3, "no segment");
	fails(NIPC("shm", "cat", raw), 3, "no segment");
	assert_int_equal(semget(k, 0, 0), -1);
}

/* A segment nipc made has its lock: cat reads under it, says nothing. */
static void inspect_under_lock(void **state)
{
	char key[128];

	(void)state;
	snprintf(key, sizeof key, "posix:%s", tl_native(0));
	ok(NIPC("shm", "create", key, "1K"));
	ok(NIPC("shm", "info", key, "--json"));
	assert_non_null(strstr(out, "\"size\":1024"));
	assert_non_null(strstr(out, "\"lock\":true"));
	ok(NIPC("shm", "cat", key, "--size", "1k"));
	assert_int_equal(outlen, 1024);
	assert_null(strstr(err, "without the lock"));
	ok(NIPC("shm", "info", key, "--cleanup"));
	fails(NIPC("shm", "cat", key), 3, "no segment");
}

/* A System V release lasts after nipc exits; --undo's does not. */
static void sem_lasting(void **state)
{
	const char *path = tl_native(1);
	char key[512];

	(void)state;
	snprintf(key, sizeof key, "systemv:%s", path);
	ok(NIPC("sem", "create", key, "0"));
	ok(NIPC("sem", "release", key, "2"));
	ok(NIPC("sem", "info", key));
	assert_non_null(strstr(out, "value:       2\n"));
	ok(NIPC("sem", "acquire", key, "--timeout", "5000"));
	ok(NIPC("sem", "info", key, "--json"));
	assert_non_null(strstr(out, "\"value\":1,"));
	assert_non_null(strstr(out, "\"ncnt\":0,"));
	/* Two are not there: the timeout gives back the one it took. */
	fails(NIPC("sem", "acquire", key, "2", "--timeout", "200"), 5, "timed out");
	ok(NIPC("sem", "info", key));
	assert_non_null(strstr(out, "value:       1\n"));
	ok(NIPC("sem", "release", key, "--undo"));
	ok(NIPC("sem", "info", key));
	assert_non_null(strstr(out, "value:       1\n"));
	ok(NIPC("sem", "acquire", key));
	fails(NIPC("sem", "acquire", key, "--timeout", "0"), 5, "timed out");
	ok(NIPC("sem", "info", key));
	assert_non_null(strstr(out, "value:       0\n"));
	int id = semget(ftok(path, 'Q'), 0, 0);
	assert_true(id >= 0);
	char sid[32];
	snprintf(sid, sizeof sid, "semid:%d", id);
	ok(NIPC("sem", "info", sid));
	assert_non_null(strstr(out, "value:       0\n"));
	semctl(id, 0, IPC_RMID);
}

/* acquire/release of a semaphore that is not there: NotFound, nothing
 * made; --create makes it and it stays. */
static void sem_missing(void **state)
{
	const char *name = tl_native(0), *path = tl_native(1);
	char pkey[128], skey[512];

	(void)state;
	snprintf(pkey, sizeof pkey, "posix:%s", name);
	snprintf(skey, sizeof skey, "systemv:%s", path);
	fails(NIPC("sem", "acquire", pkey), 3, "no semaphore");
	fails(NIPC("sem", "release", pkey), 3, "--create");
	fails(NIPC("sem", "info", pkey), 3, "no semaphore");
	assert_false(posix_sem_file(name));
	fails(NIPC("sem", "release", skey), 3, "no semaphore");
	assert_false(tl_sem_exists(path, 'Q'));
	ok(NIPC("sem", "release", pkey, "--create"));
	ok(NIPC("sem", "info", pkey, "--json"));
	assert_non_null(strstr(out, "\"value\":1,"));
	ok(NIPC("sem", "acquire", pkey, "--timeout", "5000"));
	sem_unlink(name);
}

/* shm lock --timeout: a held lock makes it exit 5. */
static void lock_timeout(void **state)
{
	struct tl_proc holder;
	char key[128];

	(void)state;
	snprintf(key, sizeof key, "posix:%s", tl_native(0));
	ok(NIPC("shm", "create", key, "64"));
	tl_start_ok(&holder, TL_ARGV(tl_nipc(), "shm", "lock", key), "locked");
	fails(NIPC("shm", "lock", key, "--timeout", "200", "--for", "0"), 5, "timed out");
	tl_let_go(&holder, "the holder");
	ok(NIPC("shm", "lock", key, "--timeout", "5000", "--for", "0"));
	ok(NIPC("shm", "info", key, "--cleanup"));
}

static void sizes_and_messages(void **state)
{
	char key[128];

	(void)state;
	snprintf(key, sizeof key, "posix:%s", tl_native(0));
	fails(NIPC("shm", "create", key, "4X"), 2, "SIZE");
	fails(NIPC("shm", "create", key, "K"), 2, "SIZE");
	fails(NIPC("shm", "create", key, "99999999999G"), 2, "SIZE");
	fails(NIPC("shm", "cat", key, "--size", "1Q"), 2, "--size");
	ok(NIPC("shm", "create", key, "1M"));
	ok(NIPC("shm", "info", key));
	assert_non_null(strstr(out, "size:        1048576\n"));
	fails(NIPC("shm", "create", key, "4K"), 1, "cannot create the segment: already exists");
	ok(NIPC("shm", "info", key, "--cleanup"));
	fails(NIPC("shm", "write", key), 3, "cannot attach to the segment");
	fails(NIPC("shm", "info", "myapp"), 1, "did you mean 'posix:/myapp'");
	fails(NIPC("shm", "cat", "/myapp"), 1, "did you mean 'posix:/myapp'");
	fails(NIPC("sem", "info", "myapp"), 1, "--legacy myapp");
}

/* nipc rm: refuses while a live process attaches, maps or holds open;
 * afterwards removes the Qt object whole (segment, lock, key file). */
static void rm_refuses_live(void **state)
{
	const char *name = tl_native(0), *path = tl_native(1);
	char pkey[128], skey[512], script[512];
	struct tl_proc holder, waiter;

	(void)state;
	snprintf(pkey, sizeof pkey, "posix:%s", name);
	snprintf(skey, sizeof skey, "systemv:%s", path);

	/* System V: attached by a live nipc; then the whole object goes. */
	ok(NIPC("shm", "create", skey, "4K"));
	tl_start_ok(&holder, TL_ARGV(tl_nipc(), "shm", "attach", skey), "attached");
	fails(NIPC("rm", skey), 4, "in use: 1 attachment");
	assert_true(tl_shm_exists(path, 'Q'));
	tl_let_go(&holder, "the attacher");
	assert_true(tl_shm_exists(path, 'Q'));
	ok(NIPC("rm", skey));
	assert_non_null(strstr(out, "removed segment shmid:"));
	assert_non_null(strstr(out, "removed semaphore set semid:"));
	assert_non_null(strstr(out, "removed key file"));
	assert_false(tl_leftover(path, 'Q'));
	fails(NIPC("rm", skey), 3, "nothing named");

	/* POSIX: open but not mapped (a python3 holding a descriptor). */
	ok(NIPC("shm", "create", pkey, "64"));
	snprintf(script, sizeof script,
		 "import os, sys\nfd = os.open('/dev/shm/%s', os.O_RDONLY)\n"
		 "print('open', flush=True)\nsys.stdin.readline()\n", name + 1);
	tl_start_ok(&holder, TL_ARGV("python3", "-c", script), "open");
	fails(NIPC("rm", pkey), 4, "mapped or open by pid");
	assert_true(tl_shm_exists(name, 0));
	tl_let_go(&holder, "python3");
	ok(NIPC("rm", pkey));
	assert_false(tl_shm_exists(name, 0));
	assert_false(posix_sem_file(name));

	/* A named semaphore open in a live process; --force removes anyway. */
	ok(NIPC("sem", "create", pkey, "1"));
	tl_start_ok(&holder, TL_ARGV(tl_nipc(), "sem", "acquire", pkey, "--hold"), "acquired");
	fails(NIPC("rm", pkey), 4, "semaphore");
	assert_true(posix_sem_file(name));
	ok(NIPC("rm", pkey, "--force"));
	assert_false(posix_sem_file(name));
	tl_let_go(&holder, "the acquirer");

	/* A System V semaphore someone waits on. */
	ok(NIPC("sem", "create", skey, "0"));
	tl_start_ok(&waiter, TL_ARGV(tl_nipc(), "sem", "acquire", skey), NULL);
	tl_expect_waits(&waiter, "the waiter", 300);
	fails(NIPC("rm", skey), 4, "waiting");
	ok(NIPC("sem", "release", skey));
	tl_finish_ok(&waiter, "the waiter");
	/* ... or whose last operator is alive (a holder, say) */
	ok(NIPC("sem", "release", skey));
	tl_start_ok(&holder, TL_ARGV(tl_nipc(), "sem", "acquire", skey, "--hold"), "acquired");
	fails(NIPC("rm", skey), 4, "last operator");
	tl_let_go(&holder, "the holder");
	ok(NIPC("rm", skey));
	assert_false(tl_leftover(path, 'Q'));
}

/* nipc rm by raw key and id, by legacy name; several KEYs at once. */
static void rm_forms(void **state)
{
	const char *path = tl_native(1);
	char raw[32], id[32], legacy[64];
	key_t k;
	int shmid, semid;

	(void)state;
	close(open(path, O_CREAT | O_WRONLY, 0600));
	k = ftok(path, 'Q');
	shmid = shmget(k, 64, IPC_CREAT | IPC_EXCL | 0600);
	semid = semget(k, 1, IPC_CREAT | IPC_EXCL | 0600);
	assert_true(shmid >= 0 && semid >= 0);
	tl_ledger_shmid(shmid);
	tl_ledger_semid(semid);
	snprintf(raw, sizeof raw, "0x%08x", (unsigned)k);
	ok(NIPC("rm", raw));
	assert_int_equal(shmget(k, 0, 0), -1);
	assert_int_equal(semget(k, 0, 0), -1);
	assert_int_equal(access(path, F_OK), 0); /* a raw key names no file */
	fails(NIPC("rm", raw), 3, "nothing named");

	shmid = shmget(k, 64, IPC_CREAT | IPC_EXCL | 0600);
	semid = semget(k, 1, IPC_CREAT | IPC_EXCL | 0600);
	assert_true(shmid >= 0 && semid >= 0);
	tl_ledger_shmid(shmid);
	tl_ledger_semid(semid);
	snprintf(id, sizeof id, "shmid:%d", shmid);
	char sid[32];
	snprintf(sid, sizeof sid, "semid:%d", semid);
	ok(NIPC("rm", id, sid));
	assert_int_equal(shmget(k, 0, 0), -1);
	assert_int_equal(semget(k, 0, 0), -1);
	fails(NIPC("rm", id, "shmid:x"), 3, "nothing named");
	fails(NIPC("rm"), 2, "missing KEY");
	fails(NIPC("rm", "myapp"), 1, "did you mean");

	/* (the teardowns empty scratch: the directory is made again) */
	setenv("TMPDIR", tl_key_dir("tmp"), 1);
	snprintf(legacy, sizeof legacy, "rm%ld", (long)getpid());
	ok(NIPC("shm", "create", "--legacy", legacy, "64"));
	ok(NIPC("shm", "cat", "--legacy", legacy));
	assert_true(tl_dir_entries(getenv("TMPDIR")) > 0);
	ok(NIPC("rm", "--legacy", legacy));
	assert_int_equal(tl_dir_entries(getenv("TMPDIR")), 0);
	fails(NIPC("shm", "info", "--legacy", legacy), 3, "no segment");
}

/* The lines of tests/vectors/cli-safe-usage.tsv. */
static void usage_vectors(void **state)
{
	char path[4096];
	struct tl_lines l;
	int cases = 0;

	(void)state;
	snprintf(path, sizeof path, "%s/tests/vectors/cli-safe-usage.tsv", tl_srcdir());
	assert_int_equal(tl_lines_load(&l, path), 0);
	for (size_t i = 0; i < l.n; i++) {
		const char *argv[16] = {tl_nipc()};
		char *line = strdup(l.line[i]), *f[16];
		int nf = 0;

		if (!line[0] || line[0] == '#') {
			free(line);
			continue;
		}
		for (char *p = line, *t; nf < 16 && (t = strsep(&p, "\t"));)
			f[nf++] = t;
		assert_true(nf >= 3);
		for (int k = 2; k < nf; k++)
			argv[k - 1] = f[k];
		print_message("# nipc %s ...\n", f[2]);
		fails(nipcv(argv), atoi(f[0]), f[1]);
		free(line);
		cases++;
	}
	tl_lines_free(&l);
	assert_true(cases >= 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(inspect_python_segment, tl_teardown),
		cmocka_unit_test_teardown(inspect_sysv_raw, tl_teardown),
		cmocka_unit_test_teardown(inspect_under_lock, tl_teardown),
		cmocka_unit_test_teardown(sem_lasting, tl_teardown),
		cmocka_unit_test_teardown(sem_missing, tl_teardown),
		cmocka_unit_test_teardown(lock_timeout, tl_teardown),
		cmocka_unit_test_teardown(sizes_and_messages, tl_teardown),
		cmocka_unit_test_teardown(rm_refuses_live, tl_teardown),
		cmocka_unit_test_teardown(rm_forms, tl_teardown),
		cmocka_unit_test_teardown(usage_vectors, tl_teardown),
	};

	alarm(300);
	return TL_MAIN("cli_safe", tests, group_setup, NULL);
}
