/* SPDX-License-Identifier: MIT */
/* The shim on a real Qt 5 program (tests/progs/trace_qt5_shm, built from
 * Debian's qtbase5-dev): QSharedMemory with a legacy key is System V with a
 * lock semaphore. The exact call sequence of create + lock + unlock +
 * detach is pinned, every object named by the key Qt's own
 * QNativeIpcKey::toString() would print: systemv:<TMPDIR>/qipc_…. */
#include "config.h"

#include "tlib.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

/* Ids the program created, for the ledger. */
static void note_ids(const struct tl_events *e)
{
	for (size_t i = 0; i < e->n; i++) {
		int id = atoi(e->ev[i].ret);

		if (id >= 0 && !strcmp(e->ev[i].op, "shmget"))
			tl_ledger_shmid(id);
		if (id >= 0 && !strcmp(e->ev[i].op, "semget"))
			tl_ledger_semid(id);
	}
}

static void test_qt5_shared_memory_with_lock(void **state)
{
	char file[PATH_MAX], out[PATH_MAX], prog[PATH_MAX], tmpenv[PATH_MAX + 8];
	char native[PATH_MAX], sempath[PATH_MAX];
	char name[64], *p;
	struct tl_events e;
	int rc;

	(void)state;
	snprintf(file, sizeof file, "%s/qt5.jsonl", tl_scratch());
	snprintf(out, sizeof out, "%s/qt5.out", tl_scratch());
	snprintf(prog, sizeof prog, "%s/tests/progs/trace_qt5_shm", tl_builddir());
	/* Key files go to the scratch directory: Qt 5 puts them in TMPDIR. */
	snprintf(tmpenv, sizeof tmpenv, "TMPDIR=%s", tl_scratch());
	snprintf(name, sizeof name, "nipc test %ld", (long)getpid());
	const char *argv[] = {tl_nipc(), "trace", "--json", "-o", file, "--", prog, name, NULL};
	const char *env[] = {tmpenv, NULL};

	rc = tl_run(NULL, argv, &(struct tl_opts){.out = out, .err = NULL, .env = env});
	assert_int_equal(tl_events_load(&e, file), 0);
	note_ids(&e);
	assert_int_equal(rc, 0);

	p = tl_slurp(out);
	assert_non_null(p);
	assert_true(strlen(p) > 1 && strlen(p) < sizeof native);
	strcpy(native, p);
	free(p);
	native[strcspn(native, "\n")] = '\0';
	/* <TMPDIR>/qipc_sharedmemory_<letters><sha1>, the lock beside it; Qt
	 * resolves symbolic links in TMPDIR. */
	char real[PATH_MAX];
	assert_non_null(realpath(tl_scratch(), real));
	assert_int_equal(strncmp(native, real, strlen(real)), 0);
	p = strstr(native, "/qipc_sharedmemory_nipctest");
	assert_non_null(p);
	snprintf(sempath, sizeof sempath, "%.*s/qipc_systemsem_%s", (int)(p - native), native,
		 p + strlen("/qipc_sharedmemory_"));

	/* the ids and the address as this run gave them */
	assert_true(e.n >= 12);
	char semid[64], shmid[64], shmat_ret[64];
	snprintf(semid, sizeof semid, "%s", e.ev[1].ret);
	assert_true(atoi(semid) >= 0);
	snprintf(shmid, sizeof shmid, "%s", e.ev[9].ret);
	assert_true(atoi(shmid) >= 0);
	snprintf(shmat_ret, sizeof shmat_ret, "%s", e.ev[11].ret);
	tl_expect_vector(&e, TL_ARGS_LISTED, 0, "trace-events.tsv", "qt5-shm",
			 TL_VARS("shm", native, "sem", sempath, "semid", semid, "shmid", shmid, "addr",
				 shmat_ret));
	/* ftok's result is the key_t the next semget/shmget used. */
	char k1[64], k2[64];
	assert_non_null(tl_event_arg(&e.ev[1], "key", k1, sizeof k1));
	snprintf(k2, sizeof k2, "0x%08x", (unsigned)atol(e.ev[0].ret));
	assert_string_equal(k1, k2);
	assert_non_null(tl_event_arg(&e.ev[9], "key", k1, sizeof k1));
	snprintf(k2, sizeof k2, "0x%08x", (unsigned)atol(e.ev[8].ret));
	assert_string_equal(k1, k2);
	/* Qt removed everything: nothing is left for the teardown. */
	assert_int_equal(shmctl(atoi(shmid), IPC_STAT, &(struct shmid_ds){0}), -1);
	assert_int_equal(semctl(atoi(semid), 0, GETVAL), -1);
	assert_int_equal(access(native, F_OK), -1);
	assert_int_equal(access(sempath, F_OK), -1);
	tl_events_free(&e);
}

TL_TESTS("trace_qt5", NULL, NULL, test_qt5_shared_memory_with_lock)
