/* SPDX-License-Identifier: MIT */
/* nipc run and the launcher nipc trace shares with it, with real
 * processes: rules reach children and grandchildren, file lines come
 * before --rule lines, bad rules or an unreachable emulation stop the
 * program before it starts, exit status and signals, nothing left behind,
 * --namespace, the [emulated] mark; and bad NIPC_RULES inside a process
 * (tracing-only ones pass, acting ones fail closed). */
#include "config.h"

#include "tlib.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char cases[PATH_MAX], ns[32];
static unsigned key_base;
static int nkeys;
static size_t olen_;     /* tl_run_buf wants it */

static const char *new_key(void)
{
	static char buf[8][16];
	static int i;
	char *k = buf[i++ % 8];

	snprintf(k, sizeof buf[0], "0x%08x", key_base + (unsigned)nkeys++);
	return k;
}

/* Removes what the tests made: kernel segments of our keys, and the
 * emulation's namespace (its registry and data objects). */
static void cleanup(void)
{
	char key[16], prefix[64];
	DIR *d;
	struct dirent *e;

	for (int i = 0; i < nkeys; i++) {
		snprintf(key, sizeof key, "0x%08x", key_base + (unsigned)i);
		tl_run_files(TL_ARGV(cases, "rm", key), NULL, NULL);
	}
	snprintf(prefix, sizeof prefix, "nipc.sysv.%s.", ns);
	if (!(d = opendir("/dev/shm")))
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix))) {
			char path[PATH_MAX];

			snprintf(path, sizeof path, "/dev/shm/%s", e->d_name);
			unlink(path);
		}
	closedir(d);
}

/* Entries of /dev/shm of our namespace. */
static int ns_objects(void)
{
	char prefix[64];
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	int n = 0;

	snprintf(prefix, sizeof prefix, "nipc.sysv.%s.", ns);
	while (d && (e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	if (d)
		closedir(d);
	return n;
}

static int setup(void **state)
{
	(void)state;
	alarm(240);
	snprintf(cases, sizeof cases, "%s", tl_prog("sysv_shm_cases"));
	snprintf(ns, sizeof ns, "trun%d", (int)getpid());
	key_base = 0x7d000000u | ((unsigned)getpid() & 0xffffu) << 8;
	return access(tl_nipc(), X_OK) || access(cases, X_OK);
}

static int teardown(void **state)
{
	(void)state;
	cleanup();
	return 0;
}

static int run(const char *const argv[], char *out, size_t olen, char *err, size_t elen)
{
	struct tl_opts o = {.env = TL_ENV("NIPC_RULES", "NIPC_RULES_TEXT", "NIPC_NAMESPACE"),
			    .timeout = 60};

	size_t n;

	return tl_run_buf(argv, &o, out, olen, &n, err, elen);
}

static const char *write_file(const char *name, const char *text)
{
	const char *path = tl_new_path(name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void has(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("'%s' does not hold '%s'", text, want);
}

/* The rules are the program's, its children's and grandchildren's: a
 * segment a grandchild makes under backend=posix is not the kernel's. */
static void test_rules_reach_descendants(void **state)
{
	char out[4096], err[4096], rule[128], cmd[PATH_MAX * 3];
	const char *key = new_key();

	(void)state;
	snprintf(rule, sizeof rule, "sysv-shm %s backend=posix", key);
	snprintf(cmd, sizeof cmd, "sh -c '%s create %s'", cases, key);
	assert_int_equal(run(TL_ARGV(tl_nipc(), "run", "--namespace", ns, "--rule", rule, "--",
				     "sh", "-c", cmd), out, sizeof out, err, sizeof err), 0);
	assert_string_equal(out, "create: ok\n");
	/* not in the kernel */
	assert_int_equal(run(TL_ARGV(cases, "get", key), out, sizeof out, err, sizeof err), 0);
	assert_string_equal(out, "get: ENOENT\n");
	/* a grandchild under the same rules sees it, and removes it */
	snprintf(cmd, sizeof cmd, "sh -c '%s get %s && %s rm %s'", cases, key, cases, key);
	assert_int_equal(run(TL_ARGV(tl_nipc(), "run", "--namespace", ns, "--rule", rule, "--",
				     "sh", "-c", cmd), out, sizeof out, err, sizeof err), 0);
	assert_string_equal(out, "get: ok\nrm: ok\n");
	assert_string_equal(err, "");
}

/* File lines first, then --rule lines in order (first match per kind);
 * nipc trace takes the launcher's options; emulated calls are marked. */
static void test_order_and_mark(void **state)
{
	char out[4096], err[8192], file_rule[128], cmd[PATH_MAX * 5];
	const char *k1 = new_key(), *k2 = new_key();
	const char *rules, *trace = tl_new_path("order.trace");
	char *text, *l1, *l2;

	(void)state;
	snprintf(file_rule, sizeof file_rule, "sysv-shm %s backend=kernel\n", k1);
	rules = write_file("order.rules", file_rule);
	snprintf(cmd, sizeof cmd, "%1$s create %2$s && %1$s create %3$s && %1$s rm %2$s && "
		 "%1$s rm %3$s", cases, k1, k2);
	assert_int_equal(run(TL_ARGV(tl_nipc(), "trace", "-e", "shmget", "-o", trace,
				     "--rules", rules, "--rule", "sysv-shm backend=posix",
				     "--rule", "sysv-shm backend=kernel", "--namespace", ns, "--",
				     "sh", "-c", cmd), out, sizeof out, err, sizeof err), 0);
	assert_string_equal(out, "create: ok\ncreate: ok\nrm: ok\nrm: ok\n");
	text = tl_slurp(trace);
	assert_non_null(text);
	/* k1: the file's backend=kernel; k2: the first --rule's backend=posix */
	l1 = strstr(text, k1);
	l2 = strstr(text, k2);
	assert_non_null(l1);
	assert_non_null(l2);
	*strchrnul(l1, '\n') = 0;
	*strchrnul(l2, '\n') = 0;
	if (strstr(l1, "[emulated]") || !strstr(l2, " [emulated]"))
		fail_msg("kernel line '%s', emulated line '%s'", l1, l2);
	free(text);
	/* the JSON field, and --summary renders the same mark */
	snprintf(cmd, sizeof cmd, "%1$s create %2$s && %1$s rm %2$s", cases, k2);
	assert_int_equal(run(TL_ARGV(tl_nipc(), "trace", "--json", "-e", "shmget", "--rules", rules,
				     "--rule", "sysv-shm backend=posix", "--namespace", ns, "--",
				     "sh", "-c", cmd), out, sizeof out, err, sizeof err), 0);
	has(err, "\"key\":\"");
	has(err, "\"emulated\":true}");
	assert_int_equal(run(TL_ARGV(tl_nipc(), "trace", "-C", "-e", "shmget", "--rules", rules,
				     "--rule", "sysv-shm backend=posix", "--namespace", ns, "--",
				     "sh", "-c", cmd), out, sizeof out, err, sizeof err), 0);
	has(err, " [emulated]\n");
}

/* Bad rules stop the program before it starts: it never runs. */
static void test_bad_rules_stop(void **state)
{
	char out[4096], err[4096], want[PATH_MAX + 128];
	const char *marker = tl_new_path("marker");
	const char *bad = write_file("bad.rules", "all trace\nsysv-shm backend=posix frob\n");
	const char *good = write_file("good.rules", "all trace\n");

	(void)state;
	assert_int_equal(run(TL_ARGV(tl_nipc(), "run", "--rules", bad, "--", "touch", marker),
			     out, sizeof out, err, sizeof err), 1);
	snprintf(want, sizeof want, "%s:2:24: unknown action 'frob'", bad);
	has(err, want);
	has(err, "nipc: run: the rules have errors; not starting 'touch'");
	assert_int_equal(access(marker, F_OK), -1);
	/* a --rule's errors read --rule N:1:COL */
	assert_int_equal(run(TL_ARGV(tl_nipc(), "trace", "--rules", good, "--rule", "all trace",
				     "--rule", "sysv frob", "--", "touch", marker),
			     out, sizeof out, err, sizeof err), 1);
	has(err, "--rule 2:1:6: unknown action 'frob'");
	has(err, "nipc: trace: the rules have errors; not starting 'touch'");
	assert_int_equal(access(marker, F_OK), -1);
	/* an unreadable file */
	assert_int_equal(run(TL_ARGV(tl_nipc(), "run", "--rules", "/nonexistent/rules", "--",
				     "touch", marker), out, sizeof out, err, sizeof err), 1);
	has(err, "/nonexistent/rules: cannot open: No such file or directory");
	assert_int_equal(access(marker, F_OK), -1);
	/* the environment's NIPC_RULES is checked the same way */
	char env[PATH_MAX + 16];
	struct tl_opts o = {.env = TL_ENV(env, "NIPC_RULES_TEXT"), .timeout = 60};

	snprintf(env, sizeof env, "NIPC_RULES=%s", bad);
	assert_int_equal(tl_run_buf(TL_ARGV(tl_nipc(), "run", "--", "touch", marker), &o, out,
				    sizeof out, &olen_, err, sizeof err), 1);
	assert_int_equal(access(marker, F_OK), -1);
	/* warnings do not stop it */
	const char *warn = write_file("warn.rules", "all trace\nposix trace\n");

	assert_int_equal(run(TL_ARGV(tl_nipc(), "run", "--rules", warn, "--", "touch", marker),
			     out, sizeof out, err, sizeof err), 0);
	has(err, ":2:1: warning: ");
	assert_int_equal(access(marker, F_OK), 0);
	unlink(marker);
}

/* Rules that route System V to the emulation need its state: a registry
 * that cannot be opened stops the program (fail closed). */
static void test_emulation_unreachable(void **state)
{
	char out[4096], err[4096], reg[PATH_MAX];
	const char *marker = tl_new_path("marker");
	FILE *f;

	(void)state;
	snprintf(reg, sizeof reg, "/dev/shm/nipc.sysv.%s.reg", ns);
	assert_non_null(f = fopen(reg, "w"));
	fputs("not a registry", f);
	fclose(f);
	assert_int_equal(run(TL_ARGV(tl_nipc(), "run", "--namespace", ns, "--rule",
				     "sysv backend=posix", "--", "touch", marker),
			     out, sizeof out, err, sizeof err), 1);
	has(err, "whose state cannot be reached");
	has(err, "is not a registry of this version; not starting 'touch'");
	assert_int_equal(access(marker, F_OK), -1);
	/* rules that do not route there do not need it */
	assert_int_equal(run(TL_ARGV(tl_nipc(), "run", "--namespace", ns, "--rule", "sysv trace",
				     "--", "touch", marker), out, sizeof out, err, sizeof err), 0);
	assert_int_equal(access(marker, F_OK), 0);
	unlink(marker);
	unlink(reg);
	/* a missing registry is fine, and the check leaves nothing behind */
	assert_int_equal(run(TL_ARGV(tl_nipc(), "run", "--namespace", ns, "--rule",
				     "sysv backend=posix", "--", "true"),
			     out, sizeof out, err, sizeof err), 0);
	assert_int_equal(ns_objects(), 0);
}

static void test_exit_status(void **state)
{
	char out[4096], err[4096];

	(void)state;
	assert_int_equal(run(TL_ARGV(tl_nipc(), "run", "--", "sh", "-c", "exit 7"),
			     out, sizeof out, err, sizeof err), 7);
	assert_int_equal(run(TL_ARGV(tl_nipc(), "run", "--rule", "all trace", "--", "sh", "-c",
				     "kill -TERM $$"), out, sizeof out, err, sizeof err), 128 + 15);
	assert_int_equal(run(TL_ARGV(tl_nipc(), "trace", "-e", "shm_open", "--", "sh", "-c",
				     "kill -KILL $$"), out, sizeof out, err, sizeof err), 128 + 9);
	assert_int_equal(run(TL_ARGV(tl_nipc(), "run", "--", "/nonexistent/program"),
			     out, sizeof out, err, sizeof err), 1);
	has(err, "nipc: run: cannot run '/nonexistent/program': No such file or directory");
	assert_int_equal(run(TL_ARGV(tl_nipc(), "run"), out, sizeof out, err, sizeof err), 2);
	has(err, "run: no command given");
	assert_int_equal(run(TL_ARGV(tl_nipc(), "run", "--rules"), out, sizeof out, err,
			     sizeof err), 2);
	has(err, "--rules needs a file name");
	assert_int_equal(run(TL_ARGV(tl_nipc(), "run", "--rules", "a", "--rules", "b", "--", "true"),
			     out, sizeof out, err, sizeof err), 2);
	assert_int_equal(run(TL_ARGV(tl_nipc(), "run", "--help"), out, sizeof out, err,
			     sizeof err), 0);
	has(out, "usage: nipc run [--rules FILE] [--rule LINE]... [--namespace NAME]");
	assert_int_equal(run(TL_ARGV(tl_nipc(), "trace", "--help"), out, sizeof out, err,
			     sizeof err), 0);
	has(out, "--namespace NAME");
}

/* The rules travel in the environment: no file is made (TMPDIR stays
 * empty), and the program sees exactly the lines, file first. */
static void test_nothing_left(void **state)
{
	char out[4096], err[4096], tmpenv[PATH_MAX + 8];
	const char *dir = tl_new_path("tmpdir");
	const char *rules = write_file("left.rules", "# a comment\nposix trace");
	struct tl_opts o = {.env = TL_ENV(tmpenv, "NIPC_RULES", "NIPC_RULES_TEXT",
					  "NIPC_NAMESPACE"), .timeout = 60};

	(void)state;
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(tmpenv, sizeof tmpenv, "TMPDIR=%s", dir);
	assert_int_equal(tl_run_buf(TL_ARGV(tl_nipc(), "run", "--rules", rules, "--rule",
					    "all notrace", "--", "sh", "-c",
					    "printf '%s|%s' \"$NIPC_RULES_TEXT\" \"${NIPC_RULES-unset}\""),
				    &o, out, sizeof out, &olen_, err, sizeof err), 0);
	assert_string_equal(out, "# a comment\nposix trace\nall notrace\n|unset");
	assert_int_equal(tl_dir_entries(dir), 0);
	rmdir(dir);
}

static void test_namespace(void **state)
{
	char out[4096], err[4096], longname[64];

	(void)state;
	assert_int_equal(run(TL_ARGV(tl_nipc(), "run", "--namespace", "team_a-1", "--", "sh", "-c",
				     "echo \"$NIPC_NAMESPACE\""), out, sizeof out, err, sizeof err), 0);
	assert_string_equal(out, "team_a-1\n");
	memset(longname, 'n', 41);
	longname[41] = 0;
	static const char *const bad[] = {"a/b", "", "a.b", "a b", NULL};
	for (int i = 0; bad[i]; i++) {
		assert_int_equal(run(TL_ARGV(tl_nipc(), "run", "--namespace", bad[i], "--", "true"),
				     out, sizeof out, err, sizeof err), 2);
		has(err, "a namespace is 1 to 40 letters, digits, '_' or '-'");
	}
	assert_int_equal(run(TL_ARGV(tl_nipc(), "run", "--namespace", longname, "--", "true"),
			     out, sizeof out, err, sizeof err), 2);
	longname[40] = 0;
	assert_int_equal(run(TL_ARGV(tl_nipc(), "trace", "-e", "shm_open", "--namespace", longname,
				     "--", "true"), out, sizeof out, err, sizeof err), 0);
}

/* Inside a process that got bad rules anyway (no nipc run): tracing-only
 * rules warn and pass through; acting ones fail their families closed. */
static void test_bad_rules_in_process(void **state)
{
	char out[4096], err[4096], env[PATH_MAX + 16], nsenv[64];
	const char *key = new_key();
	const char *acting = write_file("acting.rules", "sysv-shm backend=posix frob\n");
	const char *tracing = write_file("tracing.rules", "all trace frob\n");
	struct tl_opts o = {.env = TL_ENV(env, nsenv, "NIPC_RULES_TEXT",
					  "ASAN_OPTIONS=detect_leaks=0"),
			    .preload = 1, .timeout = 60};

	(void)state;
	snprintf(nsenv, sizeof nsenv, "NIPC_NAMESPACE=%s", ns);
	snprintf(env, sizeof env, "NIPC_RULES=%s", acting);
	assert_int_equal(tl_run_buf(TL_ARGV(cases, "create", key), &o, out, sizeof out, &olen_, err,
				    sizeof err), 0);
	assert_string_equal(out, "create: ENOSYS\n");
	has(err, "the rules act, so sysv-shm calls fail with ENOSYS (fail closed");
	/* and nothing was made, here or in the kernel */
	assert_int_equal(run(TL_ARGV(cases, "get", key), out, sizeof out, err, sizeof err), 0);
	assert_string_equal(out, "get: ENOENT\n");
	snprintf(env, sizeof env, "NIPC_RULES=%s", tracing);
	assert_int_equal(tl_run_buf(TL_ARGV(cases, "create", key), &o, out, sizeof out, &olen_, err,
				    sizeof err), 0);
	assert_string_equal(out, "create: ok\n");
	has(err, "; rules ignored (nipc rules check");
	assert_int_equal(run(TL_ARGV(cases, "rm", key), out, sizeof out, err, sizeof err), 0);
	assert_string_equal(out, "rm: ok\n");
	/* NIPC_RULES_TEXT (what nipc run passes) the same way */
	snprintf(env, sizeof env, "NIPC_RULES_TEXT=sysv-sem backend=posix frob");
	assert_int_equal(tl_run_buf(TL_ARGV(cases, "create", key), &o, out, sizeof out, &olen_, err,
				    sizeof err), 0);
	assert_string_equal(out, "create: ok\n");
	has(err, "NIPC_RULES_TEXT:1:24: unknown action 'frob'");
	has(err, "so sysv-sem calls fail with ENOSYS");
	assert_int_equal(run(TL_ARGV(cases, "rm", key), out, sizeof out, err, sizeof err), 0);
}

TL_TESTS("run", setup, teardown, test_rules_reach_descendants, test_order_and_mark,
	 test_bad_rules_stop, test_emulation_unreachable, test_exit_status, test_nothing_left,
	 test_namespace, test_bad_rules_in_process)
