/* SPDX-License-Identifier: MIT */
/* System V semaphore sets, differential: tests/progs/sysv_sem_cases
 * against the kernel gives the lines of tests/vectors/sysv-sem-cases.txt
 * (as root; as another user the lines it can check), and under NIPC_RULES
 * "sysv-sem backend=posix" the same lines as against the kernel, in its
 * own emulation namespace, removed (registry included) at the end. Where
 * the shim does not emulate semaphore sets yet (a set created under the
 * rules shows up in /proc/sysvipc/sem), the emulated run is skipped. */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <unistd.h>

#include "tlib.h"

static char prog[PATH_MAX];
static struct tl_emul em;
static char out[65536], err[65536], kern[65536];
static key_t key0;
static int counter;

/* ------------------------------------------------------------ helpers */

/* A fresh range of 16 keys. */
static key_t next_keys(void)
{
	return key0 + (key_t)(16 * counter++);
}

/* Runs prog WHAT KEY, against the kernel or under the shim with the rules
 * and the namespace: the status as tl_run gives it, out and err filled. */
static int run_one(int emul, const char *what, key_t key)
{
	struct tl_opts o = tl_emul_opts(&em, em.rules, emul, NULL);
	char k[32];
	size_t len;

	snprintf(k, sizeof k, "%#x", (unsigned)key);
	return tl_run_buf(TL_ARGV(prog, what, k), &o, out, sizeof out, &len, err, sizeof err);
}

/* Kernel sets of the key range, removed: how many there were. */
static int kernel_clean(key_t k)
{
	int n = 0;

	for (int i = 0; i < 16; i++) {
		int id = semget(k + i, 0, 0);

		if (id >= 0) {
			tl_ledger_semid(id);
			semctl(id, 0, IPC_RMID);
			n++;
		}
	}
	return n;
}

/* Whether key k is a kernel semaphore set now (/proc/sysvipc/sem). */
static int in_kernel(key_t k)
{
	FILE *f = fopen("/proc/sysvipc/sem", "r");
	char line[512];
	long key;
	int found = 0;

	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%ld", &key) == 1 && (key_t)key == k)
			found = 1;
	fclose(f);
	return found;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The first line where a and b differ, both sides, on stderr. */
static void show_first_diff(const char *a, const char *b, const char *na, const char *nb)
{
	const char *a0 = a;
	int line = 1;

	for (; *a && *a == *b; a++, b++)
		line += *a == '\n';
	while (a > a0 && a[-1] != '\n')
		a--, b--;
	fprintf(stderr, "# first difference, line %d:\n# %s: %.*s\n# %s: %.*s\n", line, na,
		(int)strcspn(a, "\n"), a, nb, (int)strcspn(b, "\n"), b);
}

/* The kernel's output in kern (one run per test program). */
static void kernel_run(void)
{
	key_t k;
	int st;

	if (*kern)
		return;
	k = next_keys();
	st = run_one(0, "cases", k);
	assert_int_equal(kernel_clean(k), 0);
	if (st != 0)
		fprintf(stderr, "# status %d, stderr:\n%s# stdout:\n%s", st, err, out);
	assert_int_equal(st, 0);
	assert_string_equal(err, "");
	strcpy(kern, out);
}

/* Whether semaphore sets under the rules are emulated: a set made under
 * them must not be a kernel set. When it is, it is removed. */
static int emulated(void)
{
	key_t k = next_keys();

	run_one(1, "create", k);
	if (in_kernel(k)) {
		kernel_clean(k);
		return 0;
	}
	assert_string_equal(out, "create: ok\n");
	assert_int_equal(run_one(1, "rm", k), 0);
	assert_string_equal(out, "rm: ok\n");
	return 1;
}

static int setup(void **state)
{
	(void)state;
	alarm(200);
	snprintf(prog, sizeof prog, "%s", tl_prog("sysv_sem_cases"));
	key0 = (key_t)(0x4d000000 | ((unsigned)getpid() & 0xffff) << 8);
	return tl_emul_init(&em, "d", "sysv-sem backend=posix\n");
}

static int teardown(void **state)
{
	(void)state;
	tl_emul_leftovers(&em, 1);
	unlink(em.rules);
	return 0;
}

/* ------------------------------------------------------------ tests */

/* Against the kernel every case gives the recorded line: the recording
 * is what the emulation is held to. */
static void test_sem_cases_kernel(void **state)
{
	char path[PATH_MAX];
	static char want[65536];
	const char *rec;
	FILE *f;
	size_t n;

	(void)state;
	kernel_run();
	assert_true(count_lines(kern) >= 250);
	assert_null(strstr(kern, "=bad"));
	assert_non_null(strstr(kern, "\nend: ok\n"));
	if (geteuid() != 0) {
		/* the cases as another uid are skipped; the rest must agree */
		assert_non_null(strstr(kern, "\nother: skipped (not root)\n"));
		return;
	}
	snprintf(path, sizeof path, "%s/tests/vectors/sysv-sem-cases.txt", tl_srcdir());
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(want, 1, sizeof want - 1, f);
	want[n] = 0;
	fclose(f);
	/* past the comment lines at the top */
	for (rec = want; *rec == '#'; rec += strcspn(rec, "\n") + (rec[strcspn(rec, "\n")] != 0))
		;
	if (strcmp(kern, rec)) {
		show_first_diff(rec, kern, "recorded", "kernel");
		fail_msg("the kernel differs from tests/vectors/sysv-sem-cases.txt");
	}
}

/* Under backend=posix every case gives the kernel's line, nothing reaches
 * the kernel and the emulation leaves nothing behind. */
static void test_sem_cases_emulated(void **state)
{
	key_t k;
	int st;

	(void)state;
	kernel_run();
	if (!emulated()) {
		fprintf(stderr, "# skipped: a set made under \"sysv-sem backend=posix\" is a "
				"kernel set (/proc/sysvipc/sem): semaphore sets are not emulated here\n");
		skip();
	}
	k = next_keys();
	st = run_one(1, "cases", k);
	if (strcmp(kern, out)) {
		show_first_diff(kern, out, "kernel", "emulated");
		fprintf(stderr, "# emulated:\n%s# stderr:\n%s", out, err);
		kernel_clean(k);
		fail_msg("the emulation differs from the kernel");
	}
	assert_int_equal(st, 0);
	assert_string_equal(err, "");
	assert_int_equal(kernel_clean(k), 0);
	assert_int_equal(tl_emul_leftovers(&em, 0), 0);
}

TL_TESTS("emul_sem_diff", setup, teardown, test_sem_cases_kernel, test_sem_cases_emulated)
