/* SPDX-License-Identifier: MIT */
/* The shim across processes and threads: fork, exec, NIPC_TRACE_CHILDREN,
 * per-pid files, fd:N, setup failure, calls before the shim's constructor,
 * callers bound to either glibc version, secure execution, and 8 threads
 * with 1,000 forks under load. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_shim_common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static struct tj_doc doc;

static const char *field(const char *line, const char *name)
{
	static char buf[4096];

	ts_parse(&doc, line);
	return ts_field(&doc, name, buf, sizeof buf);
}

/* "child N" / "exec N" from a shim_ops output file. */
static long pid_in(const char *out, const char *what)
{
	char *s = ts_slurp(out), *p;
	char pat[32];
	long v = 0;

	assert_non_null(s);
	snprintf(pat, sizeof pat, "%s ", what);
	p = strstr(s, pat);
	if (p)
		v = atol(p + strlen(pat));
	free(s);
	assert_true(v > 0);
	return v;
}

static void expect_round(const struct ts_lines *l, size_t at, const char *name, long pid)
{
	char k[256];
	struct ts_lines sub = {l->line + at, 3};

	snprintf(k, sizeof k, "posix:%s", name);
	{
		struct ts_expect x[] = {
			{"shm_open", k, "*", NULL, NULL},
			{"close", k, "0", NULL, NULL},
			{"shm_unlink", k, "0", NULL, NULL},
		};
		assert_true(l->n >= at + 3);
		ts_expect_events(&sub, x, 3, pid);
	}
}

/* A file per process with %p; the forked child's events carry its pid. */
static void test_fork_pid_files(void **state)
{
	const char *name = ts_unique(), *out = ts_path("fork.out");
	char *argv[] = {(char *)ts_prog("shim_ops"), "fork", (char *)name, NULL};
	struct ts_run r = {.preload = 1, .trace = "posix-shm", .format = "json",
			   .file = ts_path("t.%p"), .out = out};
	char sub[256], path[256];
	struct ts_lines l;
	long child;
	pid_t parent;

	(void)state;
	assert_int_equal(ts_run(argv, &r), 0);
	child = pid_in(out, "child");
	snprintf(sub, sizeof sub, "%s.f", name);
	snprintf(path, sizeof path, "t.%ld", child);
	ts_load(&l, ts_path(path));
	assert_int_equal(l.n, 3);
	expect_round(&l, 0, sub, child);
	ts_free(&l);
	/* the parent's file: the pid in its name is the one in its events */
	parent = (pid_t)pid_in(out, "pid");
	snprintf(path, sizeof path, "t.%ld", (long)parent);
	ts_load(&l, ts_path(path));
	assert_int_equal(l.n, 6);
	expect_round(&l, 0, name, parent);
	expect_round(&l, 3, name, parent);
	ts_free(&l);
}

/* One file for all: the child's lines sit between the parent's. */
static void test_fork_one_file(void **state)
{
	const char *name = ts_unique(), *out = ts_path("fork1.out"), *file = ts_path("one.json");
	char *argv[] = {(char *)ts_prog("shim_ops"), "fork", (char *)name, NULL};
	struct ts_run r = {.preload = 1, .trace = "posix-shm", .format = "json", .file = file, .out = out};
	char sub[256];
	struct ts_lines l;
	long child, parent;

	(void)state;
	unlink(file);
	assert_int_equal(ts_run(argv, &r), 0);
	child = pid_in(out, "child");
	ts_load(&l, file);
	assert_int_equal(l.n, 9);
	parent = atol(field(l.line[0], "pid"));
	assert_int_not_equal(parent, child);
	snprintf(sub, sizeof sub, "%s.f", name);
	expect_round(&l, 0, name, parent);
	expect_round(&l, 3, sub, child);
	expect_round(&l, 6, name, parent);
	ts_free(&l);
}

static void test_fd_sink(void **state)
{
	const char *name = ts_unique(), *file = ts_path("fd7.json");
	char *argv[] = {(char *)ts_prog("shim_ops"), "fork", (char *)name, NULL};
	struct ts_run r = {.preload = 1, .trace = "shm_open", .format = "json", .file = "fd:7",
			   .fd_from = 7, .file_at_fd = file};
	struct ts_lines l;

	(void)state;
	unlink(file);
	assert_int_equal(ts_run(argv, &r), 0);
	ts_load(&l, file);
	assert_int_equal(l.n, 3);
	for (size_t i = 0; i < l.n; i++)
		assert_string_equal(field(l.line[i], "op"), "shm_open");
	ts_free(&l);
}

static void run_exec(const char *children, struct ts_lines *l, long *parent, long *child,
		     long *execd, char **out_text)
{
	const char *name = ts_unique(), *out = ts_path("exec.out"), *file = ts_path("exec.json");
	char *argv[] = {(char *)ts_prog("shim_ops"), "exec", (char *)name, NULL};
	struct ts_run r = {.preload = 1, .trace = "posix-shm", .format = "json", .file = file,
			   .out = out, .children = children};

	unlink(file);
	assert_int_equal(ts_run(argv, &r), 0);
	*child = pid_in(out, "child");
	*execd = pid_in(out, "exec");
	*out_text = ts_slurp(out);
	ts_load(l, file);
	assert_true(l->n > 0);
	*parent = atol(field(l->line[0], "pid"));
}

static void test_children_on(void **state)
{
	struct ts_lines l;
	long parent, child, execd;
	char *out;

	(void)state;
	run_exec(NULL, &l, &parent, &child, &execd, &out);
	assert_int_equal(l.n, 12);
	assert_int_equal(atol(field(l.line[3], "pid")), child);
	assert_int_equal(atol(field(l.line[6], "pid")), parent);
	assert_int_equal(atol(field(l.line[9], "pid")), execd);
	for (size_t i = 9; i < 12; i++)
		assert_int_equal(atol(field(l.line[i], "pid")), execd);
	assert_non_null(strstr(out, "libnipc-preload.so"));
	free(out);
	ts_free(&l);
}

static void test_children_off(void **state)
{
	struct ts_lines l;
	long parent, child, execd;
	char *out, *env;

	(void)state;
	run_exec("0", &l, &parent, &child, &execd, &out);
	/* the parent's two rounds only: the forked and exec'd children are silent */
	assert_int_equal(l.n, 6);
	for (size_t i = 0; i < l.n; i++)
		assert_int_equal(atol(field(l.line[i], "pid")), parent);
	env = strstr(out, "LD_PRELOAD=");
	assert_non_null(env);
	assert_null(strstr(env, "libnipc-preload"));
	free(out);
	ts_free(&l);
}

/* An unusable trace file: one warning, then a silent pass-through. */
static void test_setup_failure(void **state)
{
	const char *err = ts_path("setup.err");
	char *argv[] = {(char *)ts_prog("shim_ops"), "posix-shm", (char *)ts_unique(), NULL};
	struct ts_run r = {.preload = 1, .trace = "1", .file = ts_path("no/such/dir/t.json"), .err = err};
	char want[512], *e;

	(void)state;
	assert_int_equal(ts_run(argv, &r), 0);
	e = ts_slurp(err);
	snprintf(want, sizeof want, "nipc-preload: cannot open NIPC_TRACE_FILE %s; tracing disabled\n",
		 ts_path("no/such/dir/t.json"));
	assert_string_equal(e, want);
	free(e);
	r.file = "fd:99";
	argv[2] = (char *)ts_unique();
	assert_int_equal(ts_run(argv, &r), 0);
	e = ts_slurp(err);
	assert_string_equal(e, "nipc-preload: NIPC_TRACE_FILE: fd:99 is not an open descriptor; tracing disabled\n");
	free(e);
	r.file = "fd:x";
	argv[2] = (char *)ts_unique();
	assert_int_equal(ts_run(argv, &r), 0);
	e = ts_slurp(err);
	assert_string_equal(e, "nipc-preload: NIPC_TRACE_FILE: fd:x is not an open descriptor; tracing disabled\n");
	free(e);
}

/* Calls made before the shim's constructor reach libc (untraced); later
 * calls are traced as usual. */
static void test_before_constructor(void **state)
{
	const char *name = ts_unique(), *file = ts_path("early.json");
	char *argv[] = {(char *)ts_prog("shim_early"), (char *)name, NULL};
	struct ts_run r = {.preload = 1, .trace = "1", .format = "json", .file = file};
	struct ts_lines l;
	char k[256];

	(void)state;
	unlink(file);
	assert_int_equal(ts_run(argv, &r), 0);
	ts_load(&l, file);
	snprintf(k, sizeof k, "posix:%s", name);
	{
		struct ts_expect x[] = {
			{"shm_open", k, "*", NULL, NULL}, {"ftruncate", k, "0", NULL, NULL},
			{"close", k, "0", NULL, NULL}, {"shm_unlink", k, "0", NULL, NULL},
			{"sem_open", k, "ptr", NULL, NULL}, {"sem_post", k, "0", NULL, NULL},
			{"sem_wait", k, "0", NULL, NULL}, {"sem_close", k, "0", NULL, NULL},
			{"sem_unlink", k, "0", NULL, NULL},
		};
		ts_expect_events(&l, x, sizeof x / sizeof x[0], 0);
	}
	ts_free(&l);
	/* and with tracing off */
	r.trace = NULL;
	argv[1] = (char *)ts_unique();
	assert_int_equal(ts_run(argv, &r), 0);
}

static int cmd_output_has(const char *cmd, const char *needle)
{
	char buf[1024];
	int found = 0;
	FILE *p = popen(cmd, "r");

	if (!p)
		return -1;
	while (fgets(buf, sizeof buf, p))
		found |= strstr(buf, needle) != NULL;
	return pclose(p) == 0 ? found : -1;
}

/* Binaries bound to sem_open@GLIBC_2.2.5 and to sem_open@GLIBC_2.34. */
static void check_version(const char *prog, const char *ver)
{
	const char *name = ts_unique(), *file = ts_path("ver.json"), *out = ts_path("ver.out");
	const char *err = ts_path("ver.err");
	char *argv[] = {(char *)ts_prog(prog), (char *)name, NULL};
	struct ts_run r = {.preload = 1, .trace = "1", .format = "json", .file = file, .out = out,
			   .err = err, .extra = {"NIPC_TRACE_DEBUG=1"}};
	char cmd[1024], needle[64], k[256], *o, *e;
	struct ts_lines l;

	snprintf(cmd, sizeof cmd, "readelf -W --dyn-syms '%s' 2>/dev/null", ts_prog(prog));
	snprintf(needle, sizeof needle, "sem_open@%s", ver);
	if (cmd_output_has(cmd, "sem_open") < 0)
		print_message("# readelf unavailable: trusting the .symver directives\n");
	else
		assert_int_equal(cmd_output_has(cmd, needle), 1);
	unlink(file);
	assert_int_equal(ts_run(argv, &r), 0);
	ts_load(&l, file);
	snprintf(k, sizeof k, "posix:%s", name);
	{
		struct ts_expect x[] = {
			{"sem_open", k, "ptr", NULL, NULL}, {"sem_post", k, "0", NULL, NULL},
			{"sem_close", k, "0", NULL, NULL}, {"sem_unlink", k, "0", NULL, NULL},
			{"shm_open", k, "*", NULL, NULL}, {"close", k, "0", NULL, NULL},
			{"shm_unlink", k, "0", NULL, NULL},
		};
		ts_expect_events(&l, x, sizeof x / sizeof x[0], 0);
	}
	ts_free(&l);
	/* Both libc versions are one function, and the shim calls exactly it. */
	o = ts_slurp(out);
	e = ts_slurp(err);
	assert_non_null(o);
	assert_non_null(e);
	for (const char *sym = "sem_open"; sym; sym = !strcmp(sym, "sem_open") ? "sem_post"
		     : !strcmp(sym, "sem_post") ? "shm_open" : NULL) {
		char pat[64], a[32], b[32], line[128];
		const char *p;

		snprintf(pat, sizeof pat, "%s ", sym);
		p = strstr(o, pat);
		assert_non_null(p);
		assert_int_equal(sscanf(p + strlen(pat), "%31s %31s", a, b), 2);
		assert_string_equal(a, b);
		snprintf(line, sizeof line, "nipc-preload: real %s = %s\n", sym, a);
		if (!strstr(e, line))
			fail_msg("%s not in the shim's resolution table:\n%s", line, e);
	}
	free(o);
	free(e);
}

static void test_glibc_versions(void **state)
{
	(void)state;
	check_version("shim_ver_old", "GLIBC_2.2.5");
	check_version("shim_ver_new", "GLIBC_2.34");
}

/* A setuid-root program run by nobody has AT_SECURE: NIPC_* is ignored. */
static void test_secure_execution(void **state)
{
	const char *out = ts_path("sec.out"), *copy = ts_path("shim_secure_suid");
	const char *trace = ts_path("pub/sec.json");
	char *argv[] = {(char *)copy, (char *)ts_shim(), (char *)ts_unique(), NULL};
	struct ts_run r = {.trace = "1", .format = "json", .file = trace, .out = out};
	struct statvfs sv;
	char cmd[2048], *o;
	struct ts_lines l;

	(void)state;
#ifdef NIPC_ASAN_RUNTIME
	print_message("# an ASan-built shim cannot be dlopen'd into a plain program\n");
	skip();
#endif
	if (geteuid() != 0 || statvfs(ts_scratch(), &sv) || (sv.f_flag & ST_NOSUID)) {
		print_message("# needs root and a suid-capable $TMPDIR\n");
		skip();
	}
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", ts_prog("shim_secure"), copy);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(mkdir(ts_path("pub"), 0777), 0);
	assert_int_equal(chmod(ts_path("pub"), 0777), 0);
	/* the control: not secure, traced */
	assert_int_equal(ts_run(argv, &r), 0);
	o = ts_slurp(out);
	assert_string_equal(o, "secure=0\n");
	free(o);
	ts_load(&l, trace);
	assert_int_equal(l.n, 2);
	ts_free(&l);
	unlink(trace);
	/* setuid root, run as nobody */
	assert_int_equal(chown(copy, 0, 0), 0);
	assert_int_equal(chmod(copy, 04755), 0);
	r.uid = 65534;
	argv[2] = (char *)ts_unique();
	assert_int_equal(ts_run(argv, &r), 0);
	o = ts_slurp(out);
	assert_string_equal(o, "secure=1\n");
	free(o);
	assert_null(ts_slurp(trace));
}

/* 8 threads × (1,000 sem_post+sem_wait on unnamed semaphores, traced with
 * "unnamed", 1,000 shm_open+close+shm_unlink) while the main thread forks
 * 1,000 times: every line whole and parsable,
 * the exact count per thread, in each thread's order. */
#define ITERS 1000
#define SHM_ITERS 1000
#define FORKS 1000

static void test_threads_and_forks(void **state)
{
	const char *name = ts_unique(), *file = ts_path("stress.json");
	char *argv[] = {(char *)ts_prog("shim_stress"), (char *)name, "1000", "1000", "1000", NULL};
	struct ts_run r = {.preload = 1, .trace = "1,unnamed", .format = "json", .file = file, .timeout = 150};
	static const char *const sem_ops[] = {"sem_post", "sem_wait"};
	static const char *const shm_ops[] = {"shm_open", "close", "shm_unlink"};
	struct { long tid, n; } th[8] = {{0, 0}};
	struct ts_lines l;
	long pid = 0;
	int nth = 0;

	(void)state;
	for (int t = 0; t < 8; t++) {
		char sub[128];

		snprintf(sub, sizeof sub, "%s.%d", name, t);
		ts_cleanup_name(sub);
	}
	unlink(file);
	assert_int_equal(ts_run(argv, &r), 0);
	ts_load(&l, file);
	assert_int_equal(l.n, 8 * (2 * ITERS + 3 * SHM_ITERS));
	for (size_t i = 0; i < l.n; i++) {
		char buf[64];
		long tid, n;
		int t;
		const char *want;

		ts_parse(&doc, l.line[i]);
		if (!pid)
			pid = atol(ts_field(&doc, "pid", buf, sizeof buf));
		assert_int_equal(atol(ts_field(&doc, "pid", buf, sizeof buf)), pid);
		tid = atol(ts_field(&doc, "tid", buf, sizeof buf));
		for (t = 0; t < nth && th[t].tid != tid; t++)
			;
		if (t == nth) {
			assert_true(nth < 8);
			th[nth++].tid = tid;
		}
		n = th[t].n++;
		want = n < 2 * ITERS ? sem_ops[n % 2] : shm_ops[(n - 2 * ITERS) % 3];
		if (strcmp(ts_field(&doc, "op", buf, sizeof buf), want))
			fail_msg("line %zu: thread %ld's event %ld is %s, not %s", i, tid, n, buf, want);
		assert_string_equal(ts_field(&doc, "errno", buf, sizeof buf), "null");
	}
	assert_int_equal(nth, 8);
	for (int t = 0; t < 8; t++)
		assert_int_equal(th[t].n, 2 * ITERS + 3 * SHM_ITERS);
	ts_free(&l);
}

static int teardown(void **state)
{
	(void)state;
	ts_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fork_pid_files),
		cmocka_unit_test(test_fork_one_file),
		cmocka_unit_test(test_fd_sink),
		cmocka_unit_test(test_children_on),
		cmocka_unit_test(test_children_off),
		cmocka_unit_test(test_setup_failure),
		cmocka_unit_test(test_before_constructor),
		cmocka_unit_test(test_glibc_versions),
		cmocka_unit_test(test_secure_execution),
		cmocka_unit_test(test_threads_and_forks),
	};

	return cmocka_run_group_tests_name("shim_proc", tests, NULL, teardown);
}
