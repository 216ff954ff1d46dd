/* SPDX-License-Identifier: MIT */
/* System V semaphore sets emulated on POSIX (shim/emul_sem.c): the same
 * case program against the kernel and under NIPC_RULES backend=posix
 * gives the same lines (the exhaustive comparison is test_emul_sem_diff);
 * no System V semaphore call of either program reaches the kernel; a
 * process killed in the middle of an update leaves the registry and the
 * set usable; a waiter blocked by a process that dies holding an undo
 * count goes on; 4 processes increment a counter under the semaphore while
 * they are killed at random. Every run uses its own emulation namespace,
 * removed (registry included) at the end even when a test fails. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <unistd.h>

#include "tlib.h"

static char prog[PATH_MAX], cases[PATH_MAX];
static struct tl_emul em;
static char out[65536], err[65536];
static key_t key0;
static int counter;

/* ------------------------------------------------------------ helpers */

static key_t next_keys(void)
{
	return key0 + (key_t)(16 * counter++);
}

static int run(int emul, const char *extra, const char *const *argv)
{
	struct tl_opts o = tl_emul_opts(&em, em.rules, emul, extra);
	size_t len;

	return tl_run_buf(argv, &o, out, sizeof out, &len, err, sizeof err);
}

static int run_key(int emul, const char *extra, const char *what, key_t key, const char *a,
		   const char *b)
{
	char k[32];
	const char *argv[] = {prog, what, k, a, b, NULL};

	snprintf(k, sizeof k, "%#x", (unsigned)key);
	return run(emul, extra, argv);
}

static void expect_out(const char *what, key_t key, const char *a, const char *b,
		       const char *want)
{
	run_key(1, NULL, what, key, a, b);
	assert_string_equal(out, want);
}

/* Kernel sets of a key range, removed (after a kernel run). */
static void kernel_clean(key_t k)
{
	for (int i = 0; i < 16; i++) {
		int id = semget(k + i, 0, 0);

		if (id >= 0) {
			tl_ledger_semid(id);
			semctl(id, 0, IPC_RMID);
		}
	}
}

static int setup(void **state)
{
	(void)state;
	alarm(300);
	snprintf(prog, sizeof prog, "%s", tl_prog("sysv_sem_worker"));
	snprintf(cases, sizeof cases, "%s", tl_prog("sysv_sem_cases"));
	key0 = (key_t)(0x4f000000 | ((unsigned)getpid() & 0xffff) << 8);
	return tl_emul_init(&em, "s", "sysv-sem backend=posix\n");
}

static int teardown(void **state)
{
	(void)state;
	tl_kill_all();
	tl_emul_leftovers(&em, 1);
	unlink(em.rules);
	return 0;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Runs argv (its key argument filled in) against the kernel, then under
 * the emulation: the same output, and nothing left behind. */
static void diff_runs(const char *const *argv_k, const char *const *argv_e, key_t kk, int min)
{
	static char kern[65536];
	int st;

	st = run(0, NULL, argv_k);
	kernel_clean(kk);
	assert_int_equal(st, 0);
	assert_true(count_lines(out) >= min);
	strcpy(kern, out);
	st = run(1, NULL, argv_e);
	if (strcmp(kern, out)) {
		fprintf(stderr, "# kernel:\n%s# emulated:\n%s# stderr:\n%s", kern, out, err);
		fail_msg("the emulation differs from the kernel");
	}
	assert_int_equal(st, 0);
	assert_string_equal(err, "");
	assert_int_equal(tl_emul_leftovers(&em, 0), 0);
}

/* ------------------------------------------------------------ tests */

/* The worker's cases (semget, semop, semctl, SEM_UNDO through fork, exit
 * and exec, waiters, EINTR, EIDRM) give the kernel's lines. */
static void test_emul_sem_basic_diff(void **state)
{
	char k1[32], k2[32];
	key_t a = next_keys(), b = next_keys();
	const char *ak[] = {prog, "basic", k1, NULL}, *ae[] = {prog, "basic", k2, NULL};

	(void)state;
	snprintf(k1, sizeof k1, "%#x", (unsigned)a);
	snprintf(k2, sizeof k2, "%#x", (unsigned)b);
	diff_runs(ak, ae, a, 60);
}

/* Runs what (KEY) of the program p under strace: no System V semaphore
 * call reaches the kernel. SEM_STAT walks every index up to the highest
 * in use: one that finds a kernel set (another program's, made meanwhile)
 * goes to the kernel, rightly, and is not counted. */
static void no_kernel_calls(const char *p, const char *what, int min)
{
	char k[32], tr[PATH_MAX], line[1024];
	const char *argv[] = {"/usr/bin/strace", "-f", "-qq", "-e",
			      "trace=semget,semop,semtimedop,semctl", "-o", tr,
			      p, what, k, NULL};
	FILE *f;
	int st, calls = 0;

	if (access(argv[0], X_OK))
		skip();
	snprintf(k, sizeof k, "%#x", (unsigned)next_keys());
	snprintf(tr, sizeof tr, "%s", tl_new_path("emul-sem.strace"));
	st = run(1, NULL, argv);
	assert_int_equal(st, 0);
	f = fopen(tr, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f)) {
		if (!strstr(line, "sem") || strstr(line, "--- SIG") || strstr(line, "+++"))
			continue;
		if (strstr(line, "SEM_STAT") && !strstr(line, "= -1"))
			continue;
		fprintf(stderr, "# reached the kernel: %s", line);
		calls++;
	}
	fclose(f);
	unlink(tr);
	assert_int_equal(calls, 0);
	assert_true(count_lines(out) >= min);
	assert_int_equal(tl_emul_leftovers(&em, 0), 0);
}

static void test_emul_sem_no_kernel_calls(void **state)
{
	(void)state;
	no_kernel_calls(prog, "basic", 60);
}

static void test_emul_sem_cases_no_kernel_calls(void **state)
{
	(void)state;
	if (access(cases, X_OK))
		skip();
	no_kernel_calls(cases, "cases", 200);
}

/* A semop killed in the middle of its update (journal committed, partly
 * applied) or before its commit, holding the set's lock: the next process
 * repairs, the dead process's undo is applied, the set works. */
static void crash_in_semop(const char *fault)
{
	key_t k = next_keys();
	char env[64];

	snprintf(env, sizeof env, "NIPC_EMUL_FAULT=%s", fault);
	expect_out("create", k, "1", "3", "create: 0\n");
	assert_int_equal(run_key(1, env, "op", k, "-2", NULL), 128 + SIGKILL);
	expect_out("get", k, NULL, NULL, "get: 3\n");
	expect_out("op", k, "-3", NULL, "op: 0\n");
	expect_out("get", k, NULL, NULL, "get: 3\n");
	expect_out("rm", k, NULL, NULL, "rm: 0\n");
	assert_int_equal(tl_emul_leftovers(&em, 0), 0);
}

static void test_emul_sem_crash_mid_apply(void **state)
{
	(void)state;
	crash_in_semop("sem-mid-apply");
}

static void test_emul_sem_crash_pre_commit(void **state)
{
	(void)state;
	crash_in_semop("sem-pre-commit");
}

/* semget killed while applying its registry update: the set exists for
 * the next process, which can use and remove it. */
static void test_emul_sem_crash_in_registry(void **state)
{
	key_t k = next_keys();

	(void)state;
	assert_int_equal(run_key(1, "NIPC_EMUL_FAULT=mid-apply", "create", k, "1", "1"),
			 128 + SIGKILL);
	expect_out("get", k, NULL, NULL, "get: 0\n");
	expect_out("op", k, "1", NULL, "op: 0\n");
	expect_out("rm", k, NULL, NULL, "rm: 0\n");
	assert_int_equal(tl_emul_leftovers(&em, 0), 0);
}

/* A routed call that cannot reach the state fails with ENOSYS, and the
 * shim says why once. */
static void test_emul_sem_fail_closed(void **state)
{
	int st;

	(void)state;
	st = run_key(1, "NIPC_NAMESPACE=bad/name", "create", next_keys(), "1", "1");
	assert_true(st >= 0 && st < 128);
	assert_string_equal(out, "create: ENOSYS\n");
	assert_non_null(strstr(err, "System V emulation unavailable"));
}

static void start(struct tl_proc *p, const char *what, key_t key, const char *a, const char *b)
{
	char k[32];
	struct tl_opts o = tl_emul_opts(&em, em.rules, 1, NULL);

	snprintf(k, sizeof k, "%#x", (unsigned)key);
	assert_int_equal(tl_start(p, TL_ARGV(prog, what, k, a, b), &o), 0);
}

/* A holder killed with SIGKILL while it holds the semaphore with
 * SEM_UNDO: the blocked waiter goes on. */
static void test_emul_sem_dead_holder(void **state)
{
	struct tl_proc h, w;
	key_t k = next_keys();

	(void)state;
	expect_out("create", k, "1", "1", "create: 0\n");
	start(&h, "hold", k, NULL, NULL);
	tl_expect_line(&h, "held: 0");
	start(&w, "wait", k, NULL, NULL);
	tl_expect_blocked(&w);
	kill(h.pid, SIGKILL);
	tl_expect_line(&w, "got: 0");
	tl_expect_exit(&w, 0);
	assert_int_equal(tl_wait(&h, 10000), 128 + SIGKILL);
	tl_proc_free(&h);
	tl_proc_free(&w);
	expect_out("get", k, NULL, NULL, "get: 1\n");
	expect_out("rm", k, NULL, NULL, "rm: 0\n");
	assert_int_equal(tl_emul_leftovers(&em, 0), 0);
}

/* A signal sent the moment a waiter is recorded reaches it just before
 * or as it sleeps: 300 times the handler must end the semop with EINTR,
 * under the kernel and under the emulation. Then a stop and a continue,
 * which end a Linux semop with EINTR too, and a fork after a sleep: the
 * child inherits no ring of the emulation's. Where the kernel has no
 * io_uring futex wait the emulation falls back to a sleep with a window
 * of a few instructions (nipc-preload(7)); this machine's kernel has it. */
static void test_emul_sem_eintr_exact(void **state)
{
	key_t k = next_keys();
	char key[32];
	const char *argv[] = {prog, "eintr", key, "300", NULL};
	const char *stop[] = {prog, "stopped", key, NULL};
	const char *ring[] = {prog, "forkring", key, NULL};

	(void)state;
	snprintf(key, sizeof key, "%#x", (unsigned)k);
	for (int emul = 0; emul <= 1; emul++) {
		assert_int_equal(run(emul, NULL, argv), 0);
		if (!emul)
			kernel_clean(k);
		if (strcmp(out, "eintr: 300, not: 0\n"))
			fprintf(stderr, "# %s: %s# %s\n", emul ? "emulated" : "kernel", out, err), fail();
		assert_int_equal(run(emul, NULL, stop), 0);
		if (!emul)
			kernel_clean(k);
		if (strcmp(out, "after stop: EINTR\n"))
			fprintf(stderr, "# %s: %s# %s\n", emul ? "emulated" : "kernel", out, err), fail();
		assert_int_equal(run(emul, NULL, ring), 0);
		if (!emul)
			kernel_clean(k);
		if (strcmp(out, "semop: 0, rings in a fork child: 0\n"))
			fprintf(stderr, "# %s: %s# %s\n", emul ? "emulated" : "kernel", out, err), fail();
	}
	assert_int_equal(tl_emul_leftovers(&em, 0), 0);
}

#define T_PROCS 4
#define T_INCS 1000
#define T_KILLS 12

/* 4 processes x 1,000 increments under the semaphore with SEM_UNDO, 12
 * of them killed with SIGKILL at random moments and started again: every
 * process ends (no stuck waiter) and the counter lies in [increments
 * logged, increments logged + kills]. */
static void test_emul_sem_torture(void **state)
{
	char file[PATH_MAX], log[PATH_MAX + 8], n[16];
	struct tl_proc p[T_PROCS];
	key_t k = next_keys();
	long count = -1, logged;
	int fd, kills = 0, st;
	char *text;

	(void)state;
	snprintf(file, sizeof file, "%s", tl_new_path("emul-sem.counter"));
	snprintf(log, sizeof log, "%s.log", file);
	fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(n, sizeof n, "%d", T_INCS);
	expect_out("create", k, "1", "1", "create: 0\n");
	for (int i = 0; i < T_PROCS; i++)
		start(&p[i], "torture", k, file, n);
	srand((unsigned)getpid());
	while (kills < T_KILLS) {
		int v = rand() % T_PROCS, tries = 0;

		usleep((useconds_t)(500 + rand() % 3000));
		while (!tl_running(&p[v]) && tries++ < T_PROCS)
			v = (v + 1) % T_PROCS;
		if (!tl_running(&p[v]))
			break;
		kill(p[v].pid, SIGKILL);
		st = tl_wait(&p[v], 10000);
		tl_proc_free(&p[v]);
		/* it may have finished just before the kill */
		assert_true(st == 128 + SIGKILL || st == 0);
		kills += st != 0;
		start(&p[v], "torture", k, file, n);
	}
	for (int i = 0; i < T_PROCS; i++) {
		st = tl_wait(&p[i], 120000);
		tl_proc_free(&p[i]);
		assert_int_equal(st, 0);
	}
	fd = open(file, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &count, sizeof count, 0), (ssize_t)sizeof count);
	close(fd);
	text = tl_slurp(log);
	assert_non_null(text);
	logged = count_lines(text);
	free(text);
	fprintf(stderr, "# %d kills, %ld increments logged, counter %ld\n", kills, logged, count);
	assert_true(kills >= 1);
	assert_true(logged >= (long)T_PROCS * T_INCS);
	assert_true(count >= logged && count <= logged + kills);
	expect_out("get", k, NULL, NULL, "get: 1\n");
	expect_out("rm", k, NULL, NULL, "rm: 0\n");
	unlink(file);
	unlink(log);
	assert_int_equal(tl_emul_leftovers(&em, 0), 0);
}

TL_TESTS("emul_sem", setup, teardown, test_emul_sem_basic_diff,
	 test_emul_sem_no_kernel_calls, test_emul_sem_cases_no_kernel_calls,
	 test_emul_sem_crash_mid_apply,
	 test_emul_sem_crash_pre_commit, test_emul_sem_crash_in_registry,
	 test_emul_sem_fail_closed,
	 test_emul_sem_dead_holder, test_emul_sem_eintr_exact, test_emul_sem_torture)
