/* SPDX-License-Identifier: MIT */
/* The shim on real, unmodified programs: python3's multiprocessing
 * (shared_memory and Semaphore, through its C modules _posixshmem and
 * _multiprocessing) and util-linux ipcmk/ipcrm. Each test pins the exact
 * sequence of events the program causes, as JSON Lines from `nipc trace`. */
#include "config.h"

#include "tlib.h"
#include "trace_json.h"
#include "../shim/counters.h"

#include <fcntl.h>

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

/* ipcmk makes an object, ipcrm removes it by id (and, for a segment or a
 * queue, fails to remove it again): each call traced with the object's
 * key, which ipcrm never saw: the shim finds it in /proc/sysvipc by the
 * id. Once the object is gone the id is all there is. */
static const struct ipcmk_case {
	const char *kind;            /* "m", "s" or "q": file names */
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
	{"q", {"ipcmk", "-Q", NULL}, "Message queue id: ", "msgget",
	 "msgflg=IPC_CREAT|0644", "-q", "msgctl", "msqid:%d", "msqid=%d;cmd=IPC_RMID", 1},
};

static void test_ipcmk(void **state)
{
	(void)state;
	for (size_t i = 0; i < TL_LEN(ipcmk_cases); i++) {
		const struct ipcmk_case *c = &ipcmk_cases[i];
		char f1[32], f2[32], f3[32], out[32], idstr[32], idkey[48], ret[32], idarg[64];
		char k[16], mkkey[1024];
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
		else if (c->kind[0] == 'q')
			tl_ledger_msqid(id);
		else
			tl_ledger_semid(id);
		assert_int_equal(tl_events_load(&e, tl_path(f1)), 0);
		assert_int_equal(e.n, 1);
		check_hex_key(e.ev[0].key);
		snprintf(ret, sizeof ret, "%d", id);
		const struct tl_expect mkx[] = {{c->get, e.ev[0].key, ret, NULL, c->get_args}};
		tl_expect_events(&e, TL_ARGS_LISTED, 0, mkx, 1);
		assert_non_null(tl_event_arg(&e.ev[0], "key", k, sizeof k));
		snprintf(mkkey, sizeof mkkey, "%s", e.ev[0].key);
		tl_events_free(&e);

		snprintf(idstr, sizeof idstr, "%d", id);
		const char *rm[] = {"ipcrm", c->rm_opt, idstr, NULL};
		assert_int_equal(traced(tl_new_path(f2), NULL, rm), 0);
		snprintf(idkey, sizeof idkey, c->idkey, id);
		snprintf(idarg, sizeof idarg, c->idarg, id);
		const struct tl_expect rmx[] = {{c->ctl, mkkey, "0", NULL, idarg}};
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

/* ipcrm -M KEY (-Q KEY) looks the id up by key first: the id's events
 * then carry the key the process saw. */
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

	/* a message queue: ipcmk -Q, ipcrm -Q KEY */
	{
		const char *mkq[] = {"ipcmk", "-Q", NULL};

		f1 = tl_new_path("mk-kq.jsonl");
		f2 = tl_new_path("rm-kq.jsonl");
		assert_int_equal(traced(f1, out, mkq), 0);
		id = id_from(out, "Message queue id: ");
		tl_ledger_msqid(id);
		assert_int_equal(tl_events_load(&e, f1), 0);
		assert_int_equal(e.n, 1);
		snprintf(key, sizeof key, "%s", e.ev[0].key);
		check_hex_key(key);
		tl_events_free(&e);
	}
	{
		const char *rmq[] = {"ipcrm", "-Q", key, NULL};

		assert_int_equal(traced(f2, NULL, rmq), 0);
		snprintf(ret, sizeof ret, "%d", id);
		assert_int_equal(tl_events_load(&e, f2), 0);
		tl_expect_vector(&e, TL_ARGS_LISTED, 0, "trace-events.tsv", "ipcrm-key-q",
				 TL_VARS("key", key, "id", ret));
		tl_events_free(&e);
	}
}

/* Every message queue call, System V and POSIX, of tests/progs/trace_mq:
 * strace's forms, the queue named by its key or its POSIX name, the
 * descriptor from mq_open naming the queue in the later calls. Selected by
 * family, -e msg. */
static void test_message_queues(void **state)
{
	const char *file = tl_new_path("mq.jsonl"), *out = tl_new_path("mq.out");
	const char *name = tl_unique_name();
	const char *argv[] = {tl_nipc(), "trace", "--json", "-e", "msg", "-o", file, "--",
			      tl_prog("trace_mq"), name, NULL};
	char line[64], id[16];
	struct tl_events e;
	int rc;

	(void)state;
	rc = tl_run_files(argv, out, NULL);
	first_line(out, line, sizeof line);
	if (!strncmp(line, "msqid ", 6))
		tl_ledger_msqid(atoi(line + 6));
	assert_int_equal(rc, 0);
	assert_int_equal(strncmp(line, "msqid ", 6), 0);
	snprintf(id, sizeof id, "%d", atoi(line + 6));
	assert_int_equal(tl_events_load(&e, file), 0);
	assert_true(e.n > 5);
	tl_expect_vector(&e, TL_ARGS_LISTED, 0, "trace-events.tsv", "mq",
			 TL_VARS("id", id, "name", name, "fd", e.ev[5].ret));
	tl_events_free(&e);

	/* -e sysv-msg: the System V calls only; -e posix-mq,-mq_notify */
	{
		const char *sysv[] = {tl_nipc(), "trace", "--json", "-e", "sysv-msg", "-o", file,
				      "--", tl_prog("trace_mq"), name, NULL};
		const char *posix[] = {tl_nipc(), "trace", "--json", "-e", "posix-mq,-mq_notify",
				       "-o", file, "--", tl_prog("trace_mq"), name, NULL};

		unlink(file);
		assert_int_equal(tl_run_files(sysv, out, NULL), 0);
		assert_int_equal(tl_events_load(&e, file), 0);
		assert_int_equal(e.n, 5);
		for (size_t i = 0; i < e.n; i++)
			assert_int_equal(strncmp(e.ev[i].op, "msg", 3), 0);
		tl_events_free(&e);
		/* the group word: System V's queues with the rest of sysv */
		{
			const char *grp[] = {tl_nipc(), "trace", "--json", "-e", "sysv,-msgctl", "-o",
					     file, "--", tl_prog("trace_mq"), name, NULL};

			unlink(file);
			assert_int_equal(tl_run_files(grp, out, NULL), 0);
			assert_int_equal(tl_events_load(&e, file), 0);
			tl_expect_ops(&e, 0, "IPC_PRIVATE",
				      "msgget=* msgsnd=0 msgrcv=4 msgrcv=-1/ENOMSG");
			tl_events_free(&e);
		}
		unlink(file);
		assert_int_equal(tl_run_files(posix, out, NULL), 0);
		assert_int_equal(tl_events_load(&e, file), 0);
		assert_int_equal(e.n, 8);
		for (size_t i = 0; i < e.n; i++) {
			assert_int_equal(strncmp(e.ev[i].op, "mq_", 3), 0);
			assert_string_not_equal(e.ev[i].op, "mq_notify");
		}
		tl_events_free(&e);
	}

	/* a queue descriptor inherited across exec: the new image never saw
	 * its mq_open, the shim names it through /proc */
	{
		const char *ex[] = {tl_nipc(), "trace", "--json", "-e", "posix-mq", "-o", file, "--",
				    tl_prog("trace_mq"), "exec", name, NULL};
		char key[128];
		struct tl_events c;

		unlink(file);
		assert_int_equal(tl_run_files(ex, out, NULL), 0);
		assert_int_equal(tl_events_load(&e, file), 0);
		assert_true(e.n == 5);
		snprintf(key, sizeof key, "posix:%s", name);
		tl_events_select_pid(&c, &e, e.ev[1].pid);
		assert_true(c.n == 2 && c.ev[0].pid != e.ev[0].pid);
		tl_expect_ops(&c, 0, key, "mq_send=0 mq_close=0");
		tl_events_free(&c);
		tl_events_free(&e);
	}
}

/* A text line with its numbers left out (pids, times, durations, ids and
 * addresses differ from run to run; the forms must not). */
/* The file's event lines (those of a pid, "[...") without digits and
 * without the duration's unit (<.us>, <.ms>): what two runs share. */
static char *digitless(const char *path)
{
	char *t = tl_slurp(path), *w = t;
	int line_start = 1, keep = 1;

	assert_non_null(t);
	for (const char *r = t; *r; r++) {
		if (line_start)
			keep = *r == '[';
		line_start = *r == '\n';
		if (!keep)
			continue;
		if (r[0] == '0' && r[1] == 'x') {
			r += 2;
			while (strchr("0123456789abcdef", *r) && *r)
				r++;
			r--;
			continue;
		}
		if (*r == '<' && strchr(r, '>')) {
			r = strchr(r, '>');
			continue;
		}
		if (!(*r >= '0' && *r <= '9'))
			*w++ = *r;
	}
	*w = 0;
	return t;
}

/* -C writes the same event lines as a plain trace, then the tables:
 * message queue arguments (messages quoted only when the call succeeded,
 * mq_attr and sigevent with their member names) included. */
static void test_summary_text_mq(void **state)
{
	const char *name = tl_unique_name(), *p1 = tl_new_path("mqp.txt"), *p2 = tl_new_path("mqs.txt");
	const char *plain[] = {tl_nipc(), "trace", "-o", p1, "--", tl_prog("trace_mq"), name, NULL};
	const char *sum[] = {tl_nipc(), "trace", "-C", "-o", p2, "--", tl_prog("trace_mq"), name, NULL};
	const char *out = tl_new_path("mqx.out");
	char line[64], *a, *b;

	(void)state;
	assert_int_equal(tl_run_files(plain, out, NULL), 0);
	first_line(out, line, sizeof line);
	assert_int_equal(tl_run_files(sum, out, tl_new_path("mqs.err")), 0);
	a = digitless(p1);
	b = digitless(p2);
	assert_non_null(strstr(a, "mq_notify(, {sigev_signo=SIGUSR, sigev_notify=SIGEV_SIGNAL})"));
	assert_string_equal(a, b);
	free(a);
	free(b);
}

/* A real peer: Debian's sysv_ipc module (python3-sysv-ipc) on a queue of
 * an ftok key: every call named by the key file, the message as sent. */
static void test_python_msg_queue(void **state)
{
	const char *file = tl_new_path("pymsg.jsonl"), *out = tl_new_path("pymsg.out");
	const char *kf = tl_keyfile("pymsg"), *python;
	char key[PATH_MAX + 16], line[64], id[16];
	struct tl_events e;
	int rc;

	(void)state;
	python = tl_need_python_module(PYTHON3, "sysv_ipc", "python3-sysv-ipc");
	assert_non_null(kf);
	{
		const char *argv[] = {tl_nipc(), "trace", "--json", "-e", "msg,ftok", "-o", file, "--",
				      python, prog_path("trace_py_msg.py"), kf, NULL};

		rc = tl_run_files(argv, out, NULL);
	}
	first_line(out, line, sizeof line);
	if (!strncmp(line, "msqid ", 6))
		tl_ledger_msqid(atoi(line + 6));
	assert_int_equal(rc, 0);
	snprintf(id, sizeof id, "%d", atoi(line + 6));
	snprintf(key, sizeof key, "systemv:%s", kf);
	assert_int_equal(tl_events_load(&e, file), 0);
	{
		const struct tl_expect x[] = {
			{"ftok", key, "*", NULL, NULL},
			{"msgget", key, id, NULL, "msgflg=IPC_CREAT|IPC_EXCL|0600"},
			{"msgsnd", key, "0", NULL, "msgp={\"mtype\":3,\"mtext\":\"hello\"};msgsz=5"},
			{"msgrcv", key, "5", NULL, "msgp={\"mtype\":3,\"mtext\":\"hello\"}"},
			{"msgctl", key, "0", NULL, "cmd=IPC_RMID"},
		};

		tl_expect_events(&e, TL_ARGS_LISTED, 0, x, TL_LEN(x));
	}
	tl_events_free(&e);
}

/* libnipc computes ftok itself, so the shim never sees a key file of the
 * nipc tool's: it finds one in TMPDIR whose ftok gives the key, and marks
 * it found so (text "key=systemv:FILE?", JSON "key_from":"search"). ipcrm
 * -s ID, which saw neither the key nor the file, names the set the same
 * way through /proc/sysvipc. */
static void test_key_candidate(void **state)
{
	const char *file = tl_new_path("kc.jsonl"), *out = tl_new_path("kc.out");
	const char *text = tl_new_path("kc.txt");
	char legacy[64], kf[PATH_MAX + 16], idstr[16], *t;
	struct tl_events e;
	int id;

	(void)state;
	tl_ledger_dir(tl_scratch());
	snprintf(legacy, sizeof legacy, "kc%ld", (long)getpid());
	setenv("TMPDIR", tl_scratch_real(), 1);
	{
		const char *mk[] = {tl_nipc(), "trace", "--json", "-e", "sysv-sem", "-o", file, "--",
				    tl_nipc(), "sem", "create", "--legacy", legacy, "1", NULL};

		assert_int_equal(tl_run_files(mk, out, NULL), 0);
	}
	unsetenv("TMPDIR");
	tl_ledger_note();
	assert_int_equal(tl_events_load(&e, file), 0);
	assert_true(e.n >= 1);
	assert_string_equal(e.ev[0].op, "semget");
	/* Qt keeps the letters of a legacy name, then its SHA-1 */
	snprintf(kf, sizeof kf, "systemv:%s/qipc_systemsem_kc", tl_scratch_real());
	if (strncmp(e.ev[0].key, kf, strlen(kf)))
		fail_msg("key %s, not a candidate %s...", e.ev[0].key, kf);
	assert_non_null(tl_event_field(&e.ev[0], "key_from", idstr, sizeof idstr));
	assert_string_equal(idstr, "search");
	snprintf(kf, sizeof kf, "%s", e.ev[0].key);
	id = atoi(e.ev[0].ret);
	assert_true(id >= 0);
	tl_events_free(&e);

	/* ipcrm -s ID, in text: the same file, marked with a "?" */
	snprintf(idstr, sizeof idstr, "%d", id);
	setenv("TMPDIR", tl_scratch_real(), 1);
	{
		const char *rm[] = {tl_nipc(), "trace", "-o", text, "--", "ipcrm", "-s", idstr, NULL};

		assert_int_equal(tl_run_files(rm, NULL, NULL), 0);
	}
	unsetenv("TMPDIR");
	t = tl_slurp(text);
	assert_non_null(t);
	assert_non_null(strstr(t, "semctl("));
	assert_non_null(strstr(t, "IPC_RMID) = 0"));
	strcat(kf, "?\n");
	if (!strstr(t, kf))
		fail_msg("no key=%s in %s", kf, t);
	free(t);
}

/* The counters row of name in a --counters --json stderr file. */
static void counters_row(const char *err, const char *key, unsigned long long *v)
{
	static const char *const fields[] = {"calls", "posts", "waits", "contended", "blocked_ns"};
	static struct tj_doc d;
	struct tl_lines l;
	int found = 0;

	assert_int_equal(tl_lines_load(&l, err), 0);
	for (size_t i = 0; i < l.n; i++) {
		const struct tj_node *h, *b;
		unsigned long long sum = 0;

		if (tj_parse(&d, l.line[i], strlen(l.line[i])) < 0 || !tj_get(&d, &d.node[0], "counters"))
			continue;
		if (!tj_str(tj_get(&d, &d.node[0], "key")) ||
		    strcmp(tj_str(tj_get(&d, &d.node[0], "key")), key))
			continue;
		found++;
		for (size_t f = 0; f < TL_LEN(fields); f++)
			v[f] = (unsigned long long)tj_int(tj_get(&d, &d.node[0], fields[f]), -1);
		/* the histogram's buckets add up to the waits; one blocked 200 ms */
		h = tj_get(&d, &d.node[0], "wait_hist");
		assert_non_null(h);
		v[5] = 0;
		for (b = tj_child(&d, h); b; b = tj_next(&d, b)) {
			const struct tj_node *lo = tj_child(&d, b), *n = tj_next(&d, lo);

			sum += (unsigned long long)tj_int(n, 0);
			if (tj_int(lo, 0) >= 1 << 26)
				v[5] += (unsigned long long)tj_int(n, 0);
		}
		assert_int_equal(sum, v[2]);
	}
	tl_lines_free(&l);
	if (found != 1)
		fail_msg("%d counters rows for %s in %s", found, key, err);
}

/* --counters on a known contended workload in two processes (tests/progs/
 * ctr_sem: the waiter and an exec'd poster): the exact numbers of posts and
 * waits, contention where it was forced, the first wait's 200 ms in the
 * histogram, and nothing left of the table. The counted calls keep their
 * meaning: the program checks every result. */
static void test_counters(void **state)
{
	const char *out = tl_new_path("ctr.out"), *err = tl_new_path("ctr.err");
	const char *name = tl_unique_name();
	const char *argv[] = {tl_nipc(), "trace", "--counters", "--json", "-e", "ftok", "--",
			      tl_prog("ctr_sem"), name, "200", NULL};
	char key[128], line[16], *text;
	unsigned long long v[6];

	(void)state;
	snprintf(key, sizeof key, "posix:%s", name);
	assert_int_equal(tl_run_files(argv, out, err), 0);
	first_line(out, line, sizeof line);
	assert_string_equal(line, "done");
	counters_row(err, key, v);
	assert_int_equal(v[0], 401);
	assert_int_equal(v[1], 200);
	assert_int_equal(v[2], 201);
	/* the first wait (the poster sleeps first), the last trywait */
	assert_true(v[3] >= 2 && v[3] <= 201);
	assert_true(v[4] >= 100000000ull);
	assert_true(v[5] >= 1);

	/* text: a header, the row, its histogram */
	{
		const char *targv[] = {tl_nipc(), "trace", "--counters", "-o", "/dev/null", "--",
				       tl_prog("ctr_sem"), name, "20", NULL};

		assert_int_equal(tl_run_files(targv, out, err), 0);
		text = tl_slurp(err);
		assert_non_null(strstr(text, "   calls    posts    waits contended   blocked(us)  key\n"));
		assert_non_null(strstr(text, "      41       20       21 "));
		assert_non_null(strstr(text, "         waits: no-block:"));
		free(text);
	}
}

/* Always-on counting without nipc trace and without tracing: the shim
 * alone with NIPC_COUNTERS makes the table, and another process reads it
 * (the layout of shim/counters.h). */
static void test_counters_alone(void **state)
{
	const char *table = tl_unique_name(), *name = tl_unique_name();
	char env[128];
	const char *envv[] = {env, NULL};
	struct tl_opts o = {.env = envv, .preload = 1, .out = tl_new_path("ca.out"),
			    .err = tl_new_path("ca.err")};
	const char *argv[] = {tl_prog("ctr_sem"), name, "50", NULL};
	struct tl_proc p;
	struct nipc_ctr_table *t;
	unsigned long long posts = 0, waits = 0;
	int fd, rows = 0;

	(void)state;
	snprintf(env, sizeof env, "NIPC_COUNTERS=%s", table);
	assert_int_equal(tl_run(&p, argv, &o), 0);
	tl_proc_free(&p);
	fd = shm_open(table, O_RDONLY, 0);
	assert_true(fd >= 0);
	t = mmap(NULL, sizeof *t, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(t != MAP_FAILED);
	assert_true(nipc_ctr_table_ok(t));
	for (int i = 0; i < NIPC_CTR_SLOTS; i++) {
		if (t->slot[i].state != NIPC_CTR_READY)
			continue;
		assert_string_equal(t->slot[i].name, name);
		rows++;
		posts += t->slot[i].posts;
		for (int b = 0; b < NIPC_CTR_BUCKETS; b++)
			waits += t->slot[i].hist[b];
	}
	munmap(t, sizeof *t);
	assert_true(rows >= 1);
	assert_int_equal(posts, 50);
	assert_int_equal(waits, 51);
	/* nipc counters prints it, as nipc trace --counters does, and removes it */
	{
		const char *rd[] = {tl_nipc(), "counters", table, "--json", "--remove", NULL};
		unsigned long long v[6];
		char key[128];

		snprintf(key, sizeof key, "posix:%s", name);
		assert_int_equal(tl_run_files(rd, tl_new_path("ca2.out"), NULL), 0);
		counters_row(tl_path("ca2.out"), key, v);
		assert_int_equal(v[0], 101);
		assert_int_equal(v[1], 50);
		assert_int_equal(v[2], 51);
		assert_int_equal(tl_run_files(rd, NULL, NULL), 3);
	}
	shm_unlink(table);
	/* no trace line anywhere */
	{
		char *e = tl_slurp(tl_path("ca.err"));

		assert_non_null(e);
		assert_string_equal(e, "");
		free(e);
	}
}

/* Counting keeps every answer: the calls where glibc decides before trying
 * (a bad deadline or clock on an available semaphore: EINVAL, nothing
 * taken), errno after a successful wait, a failed try, timeouts. The same
 * output natively, counted alone (the hot hooks' path) and counted while
 * traced (the dispatcher's path). */
static void test_counters_semantics(void **state)
{
	const char *name = tl_unique_name(), *table = tl_unique_name();
	char env[128], *native, *counted, *traced_out;
	const char *envv[] = {env, NULL};
	const char *argv[] = {tl_prog("ctr_sem"), "check", name, NULL};
	const char *targv[] = {tl_nipc(), "trace", "--counters", "-o", "/dev/null", "--",
			       tl_prog("ctr_sem"), "check", name, NULL};
	struct tl_opts plain = {.out = tl_new_path("cs1.out")};
	struct tl_opts shim = {.env = envv, .preload = 1, .out = tl_new_path("cs2.out")};
	struct tl_proc p;

	(void)state;
	snprintf(env, sizeof env, "NIPC_COUNTERS=%s", table);
	assert_int_equal(tl_run(&p, argv, &plain), 0);
	tl_proc_free(&p);
	assert_int_equal(tl_run(&p, argv, &shim), 0);
	tl_proc_free(&p);
	shm_unlink(table);
	assert_int_equal(tl_run_files(targv, tl_new_path("cs3.out"), tl_new_path("cs3.err")), 0);
	native = tl_slurp(tl_path("cs1.out"));
	counted = tl_slurp(tl_path("cs2.out"));
	traced_out = tl_slurp(tl_path("cs3.out"));
	assert_non_null(strstr(native, "timedwait bad deadline: -1 EINVAL value 1\n"));
	assert_string_equal(counted, native);
	assert_string_equal(traced_out, native);
	free(native);
	free(counted);
	free(traced_out);
}

TL_TESTS("trace_programs", NULL, NULL, test_python_shared_memory, test_python_semaphore,
	 test_python_summary, test_ipcmk, test_ipcrm_by_key, test_message_queues,
	 test_key_candidate, test_counters, test_counters_alone, test_python_msg_queue,
	 test_counters_semantics, test_summary_text_mq)
