/* SPDX-License-Identifier: MIT */
/* The shim on real, unmodified programs: python3's multiprocessing
 * (shared_memory and Semaphore, through its C modules _posixshmem and
 * _multiprocessing) and util-linux ipcmk/ipcrm. Each test pins the exact
 * sequence of events the program causes, as JSON Lines from `nipc trace`. */
#include "config.h"

#include "tlib.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#ifndef PYTHON3
#define PYTHON3 "python3"
#endif

static const char *prog_path(const char *name)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof buf, "%s/tests/progs/%s", tl_srcdir(), name);
	return buf;
}

/* First line of a file, without the newline, into buf. */
static void first_line(const char *path, char *buf, size_t len)
{
	char *text = tl_slurp(path), *nl;

	assert_non_null(text);
	if ((nl = strchr(text, '\n')))
		*nl = '\0';
	assert_true(strlen(text) < len);
	strcpy(buf, text);
	free(text);
}

/* Every event with a key that names an IPC object (not a plain descriptor
 * or an unnamed semaphore) in e. */
static size_t object_events(const struct tl_events *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->n; i++)
		n += e->ev[i].has_key;
	return n;
}

/* configure found no python3: nothing to run the Python cases with. */
static void need_python(void)
{
	if (PYTHON3[0])
		return;
	print_message("# configure found no python3: Python cases not run\n");
	skip();
}

static void test_python_shared_memory(void **state)
{
	const char *file = tl_new_path("py-shm.jsonl"), *out = tl_new_path("py-shm.out");
	const char *argv[] = {tl_nipc(), "trace", "--json", "-o", file, "--",
			PYTHON3, prog_path("trace_py_shm.py"), "8192", NULL};
	char name[64], key[80];
	struct tl_events e, k;
	int rc;

	(void)state;
	need_python();
	rc = tl_run_files(argv, out, NULL);
	first_line(out, name, sizeof name);
	if (name[0] == '/' || !strncmp(name, "psm_", 4)) {
		char slashed[72];

		snprintf(slashed, sizeof slashed, "%s%s", name[0] == '/' ? "" : "/", name);
		tl_ledger_posix(slashed);
	}
	assert_int_equal(rc, 0);
	/* Python prints the name without its leading slash. */
	assert_int_equal(strncmp(name, "psm_", 4), 0);
	assert_int_equal(tl_events_load(&e, file), 0);
	snprintf(key, sizeof key, "posix:/%s", name);
	tl_events_select_key(&k, &e, key);
	assert_true(k.n >= 1);
	assert_true(k.n >= 3);
	tl_expect_vector(&k, TL_ARGS_LISTED, 0, "trace-events.tsv", "py-shm",
			 TL_VARS("name", name, "fd", k.ev[0].ret, "addr", k.ev[2].ret));
	assert_true(atoi(k.ev[0].ret) >= 0);
	/* Nothing else in the whole process tree touched a named object, and
	 * no other event (Python's unnamed thread locks) is traced. */
	assert_int_equal(object_events(&e), k.n);
	assert_int_equal(e.n, k.n);
	for (size_t i = 1; i < k.n; i++)
		assert_int_equal(k.ev[i].pid, k.ev[0].pid);
	tl_events_free(&k);
	tl_events_free(&e);
}

static void test_python_semaphore(void **state)
{
	const char *file = tl_new_path("py-sem.jsonl"), *out = tl_new_path("py-sem.out");
	const char *argv[] = {tl_nipc(), "trace", "--json", "-o", file, "--",
			PYTHON3, prog_path("trace_py_sem.py"), NULL};
	char name[64], line[128];
	struct tl_events e, k;

	(void)state;
	need_python();
	assert_int_equal(tl_run_files(argv, out, NULL), 0);
	first_line(out, line, sizeof line);
	assert_string_equal(line, "second acquire: False");
	assert_int_equal(tl_events_load(&e, file), 0);
	tl_events_select_key(&k, &e, "posix:/mp-");
	assert_true(k.n >= 1);
	assert_non_null(tl_event_arg(&k.ev[0], "name", name, sizeof name));
	tl_expect_vector(&k, TL_ARGS_LISTED, 0, "trace-events.tsv", "py-sem", TL_VARS("name", name));
	/* Every sem_t call names the semaphore sem_open returned. */
	for (size_t i = 2; i < k.n; i++) {
		char sem[64];

		assert_non_null(tl_event_arg(&k.ev[i], "sem", sem, sizeof sem));
		assert_string_equal(sem, k.ev[0].ret);
	}
	assert_int_equal(object_events(&e), k.n);
	/* Python's own thread locks (unnamed semaphores) are left out... */
	assert_int_equal(e.n, k.n);
	tl_events_free(&k);
	tl_events_free(&e);
	/* ...unless asked for: then hundreds of waits and posts, keyless. */
	{
		const char *unnamed[] = {tl_nipc(), "trace", "--json", "--unnamed", "-o", file,
				   "--", PYTHON3, prog_path("trace_py_sem.py"), NULL};
		size_t keyless = 0;

		unlink(file);
		assert_int_equal(tl_run_files(unnamed, out, NULL), 0);
		first_line(out, line, sizeof line);
		assert_string_equal(line, "second acquire: False");
		assert_int_equal(tl_events_load(&e, file), 0);
		for (size_t i = 0; i < e.n; i++)
			keyless += !e.ev[i].has_key && !strncmp(e.ev[i].op, "sem_", 4);
		assert_true(keyless > 100);
		assert_int_equal(e.n - keyless, object_events(&e));
		tl_events_free(&e);
	}
}

/* -c reads the events from a FIFO it names in the environment;
 * Python's resource tracker is spawned with every other descriptor closed,
 * which a FIFO reached by path survives. The table counts one call of each
 * of the six operations on the segment. */
static void test_python_summary(void **state)
{
	const char *out = tl_new_path("py-sum.out"), *err = tl_new_path("py-sum.err");
	const char *argv[] = {tl_nipc(), "trace", "-c", "-e", "posix-shm",
			"--", PYTHON3, prog_path("trace_py_shm.py"), NULL};
	static const char *const ops[] = {"shm_open", "ftruncate", "mmap", "munmap", "close",
					  "shm_unlink"};
	char name[64], key[80], *text, *p;
	int rc;

	(void)state;
	need_python();
	rc = tl_run_files(argv, out, err);
	first_line(out, name, sizeof name);
	if (!strncmp(name, "psm_", 4)) {
		char slashed[72];

		snprintf(slashed, sizeof slashed, "/%s", name);
		tl_ledger_posix(slashed);
	}
	assert_int_equal(rc, 0);
	text = tl_slurp(err);
	snprintf(key, sizeof key, "posix:/%s\n", name);
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		char row[160];
		int found = 0;

		for (p = text; (p = strstr(p, key)); p++) {
			const char *bol = p;
			unsigned long calls, errors;

			while (bol > text && bol[-1] != '\n')
				bol--;
			if (sscanf(bol, "%lu %lu %*f %*f %159s", &calls, &errors, row) == 3 &&
			    !strcmp(row, ops[i])) {
				assert_int_equal(calls, 1);
				assert_int_equal(errors, 0);
				found++;
			}
		}
		if (found != 1)
			fail_msg("no single row for %s %s in:\n%s", ops[i], key, text);
	}
	assert_non_null(p = strstr(text, "\n       6       0 "));
	assert_non_null(strstr(p, "total"));
	assert_null(strstr(text, "nipc-preload"));
	free(text);
}

/* Runs ipcmk/ipcrm under nipc trace; returns the exit status. */
static int traced(const char *file, const char *out, const char *const cmd[])
{
	const char *argv[16] = {tl_nipc(), "trace", "--json", "-o", file, "--"};
	size_t n = 6;

	for (size_t i = 0; cmd[i]; i++) {
		assert_true(n < 15);
		argv[n++] = cmd[i];
	}
	argv[n] = NULL;
	return tl_run_files(argv, out, NULL);
}

static int id_from(const char *out, const char *prefix)
{
	char line[128];

	first_line(out, line, sizeof line);
	assert_int_equal(strncmp(line, prefix, strlen(prefix)), 0);
	return atoi(line + strlen(prefix));
}

static void check_hex_key(const char *key)
{
	assert_int_equal(strlen(key), 10);
	assert_int_equal(strncmp(key, "0x", 2), 0);
	assert_int_equal(strspn(key + 2, "0123456789abcdef"), 8);
}

/* ipcmk makes an object, ipcrm removes it by id (and, for a segment,
 * fails to remove it again): each call traced with the object's key. */
static const struct ipcmk_case {
	const char *kind;            /* "shm" or "sem": file names */
	const char *mk[4];           /* ipcmk's arguments */
	const char *said, *get, *get_args;
	const char *rm_opt, *ctl, *idkey, *idarg;
	int again;                   /* remove again: EINVAL, exit 1 */
} ipcmk_cases[] = {
	{"m", {"ipcmk", "-M", "4096", NULL}, "Shared memory id: ", "shmget",
	 "size=4096;shmflg=IPC_CREAT|0644", "-m", "shmctl", "shmid:%d", "shmid=%d;cmd=IPC_RMID", 1},
	{"s", {"ipcmk", "-S", "1", NULL}, "Semaphore id: ", "semget",
	 "nsems=1;semflg=IPC_CREAT|0644", "-s", "semctl", "semid:%d",
	 "semid=%d;semnum=0;cmd=IPC_RMID", 0},
};

static void test_ipcmk(void **state)
{
	(void)state;
	for (size_t i = 0; i < TL_LEN(ipcmk_cases); i++) {
		const struct ipcmk_case *c = &ipcmk_cases[i];
		char f1[32], f2[32], f3[32], out[32], idstr[32], idkey[48], ret[32], idarg[64];
		char k[16];
		struct tl_events e;
		int id;

		snprintf(f1, sizeof f1, "mk-%s.jsonl", c->kind);
		snprintf(f2, sizeof f2, "rm-%s.jsonl", c->kind);
		snprintf(f3, sizeof f3, "rm-%s2.jsonl", c->kind);
		snprintf(out, sizeof out, "mk-%s.out", c->kind);
		assert_int_equal(traced(tl_new_path(f1), tl_new_path(out), c->mk), 0);
		id = id_from(tl_path(out), c->said);
		if (c->kind[0] == 'm')
			tl_ledger_shmid(id);
		else
			tl_ledger_semid(id);
		assert_int_equal(tl_events_load(&e, tl_path(f1)), 0);
		assert_int_equal(e.n, 1);
		check_hex_key(e.ev[0].key);
		snprintf(ret, sizeof ret, "%d", id);
		const struct tl_expect mkx[] = {{c->get, e.ev[0].key, ret, NULL, c->get_args}};
		tl_expect_events(&e, TL_ARGS_LISTED, 0, mkx, 1);
		assert_non_null(tl_event_arg(&e.ev[0], "key", k, sizeof k));
		tl_events_free(&e);

		snprintf(idstr, sizeof idstr, "%d", id);
		const char *rm[] = {"ipcrm", c->rm_opt, idstr, NULL};
		assert_int_equal(traced(tl_new_path(f2), NULL, rm), 0);
		snprintf(idkey, sizeof idkey, c->idkey, id);
		snprintf(idarg, sizeof idarg, c->idarg, id);
		const struct tl_expect rmx[] = {{c->ctl, idkey, "0", NULL, idarg}};
		assert_int_equal(tl_events_load(&e, tl_path(f2)), 0);
		tl_expect_events(&e, TL_ARGS_LISTED, 0, rmx, 1);
		tl_events_free(&e);
		if (!c->again)
			continue;
		/* Removing it again fails in the kernel; ipcrm says so and exits 1. */
		assert_int_equal(traced(tl_new_path(f3), NULL, rm), 1);
		const struct tl_expect again[] = {{c->ctl, idkey, "-1", "EINVAL", idarg}};
		assert_int_equal(tl_events_load(&e, tl_path(f3)), 0);
		tl_expect_events(&e, TL_ARGS_LISTED, 0, again, 1);
		tl_events_free(&e);
	}
}

/* ipcrm -M KEY looks the id up by key first: the id's events then carry
 * the key the process saw, not "shmid:N". */
static void test_ipcrm_by_key(void **state)
{
	const char *f1 = tl_new_path("mk-k.jsonl"), *f2 = tl_new_path("rm-k.jsonl"),
		   *out = tl_new_path("mk-k.out");
	const char *mk[] = {"ipcmk", "-M", "8192", NULL};
	struct tl_events e;
	char key[sizeof e.ev[0].key], ret[32];
	int id;

	(void)state;
	assert_int_equal(traced(f1, out, mk), 0);
	id = id_from(out, "Shared memory id: ");
	tl_ledger_shmid(id);
	assert_int_equal(tl_events_load(&e, f1), 0);
	assert_int_equal(e.n, 1);
	snprintf(key, sizeof key, "%s", e.ev[0].key);
	check_hex_key(key);
	tl_events_free(&e);

	const char *rm[] = {"ipcrm", "-M", key, NULL};
	assert_int_equal(traced(f2, NULL, rm), 0);
	snprintf(ret, sizeof ret, "%d", id);
	assert_int_equal(tl_events_load(&e, f2), 0);
	tl_expect_vector(&e, TL_ARGS_LISTED, 0, "trace-events.tsv", "ipcrm-key",
			 TL_VARS("key", key, "id", ret));
	tl_events_free(&e);
}

TL_TESTS("trace_programs", NULL, NULL, test_python_shared_memory, test_python_semaphore,
	 test_python_summary, test_ipcmk, test_ipcrm_by_key)
