/* SPDX-License-Identifier: MIT */
/* The shim across processes and threads: fork, exec, NIPC_TRACE_CHILDREN,
 * per-pid files, fd:N, setup failure, calls before the shim's constructor,
 * callers bound to either glibc version, secure execution, and 8 threads
 * with 1,000 forks under load. */
#include "config.h"

#include "tlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* "child N" / "exec N" from a shim_ops output file. */
static long pid_in(const char *out, const char *what)
{
	char *s = tl_slurp(out), *p;
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

static void expect_round(const struct tl_events *l, size_t at, const char *name, long pid)
{
	char k[256];
	struct tl_events sub = {l->ev + at, 3};

	snprintf(k, sizeof k, "posix:%s", name);
	{
		struct tl_expect x[] = {
			{"shm_open", k, "*", NULL, NULL},
			{"close", k, "0", NULL, NULL},
			{"shm_unlink", k, "0", NULL, NULL},
		};
		assert_true(l->n >= at + 3);
		tl_expect_events(&sub, TL_ARGS_ALL, pid, x, 3);
	}
}

/* A file per process with %p; the forked child's events carry its pid. */
static void test_fork_pid_files(void **state)
{
	const char *name = tl_unique_name(), *out = tl_path("fork.out");
	const char *argv[] = {tl_prog("shim_ops"), "fork", name, NULL};
	struct tl_opts r = {.preload = 1, .trace = "posix-shm", .trace_format = "json",
			   .trace_file = tl_path("t.%p"), .out = out};
	char sub[256], path[256];
	struct tl_events l;
	long child;
	pid_t parent;

	(void)state;
	assert_int_equal(tl_run(NULL, argv, &r), 0);
	child = pid_in(out, "child");
	snprintf(sub, sizeof sub, "%s.f", name);
	snprintf(path, sizeof path, "t.%ld", child);
	tl_events_load(&l, tl_path(path));
	assert_int_equal(l.n, 3);
	expect_round(&l, 0, sub, child);
	tl_events_free(&l);
	/* the parent's file: the pid in its name is the one in its events */
	parent = (pid_t)pid_in(out, "pid");
	snprintf(path, sizeof path, "t.%ld", (long)parent);
	tl_events_load(&l, tl_path(path));
	assert_int_equal(l.n, 6);
	expect_round(&l, 0, name, parent);
	expect_round(&l, 3, name, parent);
	tl_events_free(&l);
}

/* One file for all: the child's lines sit between the parent's. */
static void test_fork_one_file(void **state)
{
	const char *name = tl_unique_name(), *out = tl_path("fork1.out"), *file = tl_path("one.json");
	const char *argv[] = {tl_prog("shim_ops"), "fork", name, NULL};
	struct tl_opts r = {.preload = 1, .trace = "posix-shm", .trace_format = "json", .trace_file = file, .out = out};
	char sub[256];
	struct tl_events l;
	long child, parent;

	(void)state;
	unlink(file);
	assert_int_equal(tl_run(NULL, argv, &r), 0);
	child = pid_in(out, "child");
	tl_events_load(&l, file);
	assert_int_equal(l.n, 9);
	parent = l.ev[0].pid;
	assert_int_not_equal(parent, child);
	snprintf(sub, sizeof sub, "%s.f", name);
	expect_round(&l, 0, name, parent);
	expect_round(&l, 3, sub, child);
	expect_round(&l, 6, name, parent);
	tl_events_free(&l);
}

static void test_fd_sink(void **state)
{
	const char *name = tl_unique_name(), *file = tl_path("fd7.json");
	const char *argv[] = {tl_prog("shim_ops"), "fork", name, NULL};
	struct tl_opts r = {.preload = 1, .trace = "shm_open", .trace_format = "json", .trace_file = "fd:7",
			   .fd_from = 7, .file_at_fd = file};
	struct tl_events l;

	(void)state;
	unlink(file);
	assert_int_equal(tl_run(NULL, argv, &r), 0);
	tl_events_load(&l, file);
	assert_int_equal(l.n, 3);
	for (size_t i = 0; i < l.n; i++)
		assert_string_equal(l.ev[i].op, "shm_open");
	tl_events_free(&l);
}

static void run_exec(const char *children, struct tl_events *l, long *parent, long *child,
		     long *execd, char **out_text)
{
	const char *name = tl_unique_name(), *out = tl_path("exec.out"), *file = tl_path("exec.json");
	const char *argv[] = {tl_prog("shim_ops"), "exec", name, NULL};
	struct tl_opts r = {.preload = 1, .trace = "posix-shm", .trace_format = "json", .trace_file = file,
			   .out = out, .trace_children = children};

	unlink(file);
	assert_int_equal(tl_run(NULL, argv, &r), 0);
	*child = pid_in(out, "child");
	*execd = pid_in(out, "exec");
	*out_text = tl_slurp(out);
	tl_events_load(l, file);
	assert_true(l->n > 0);
	*parent = l->ev[0].pid;
}

static void test_children_on(void **state)
{
	struct tl_events l;
	long parent, child, execd;
	char *out;

	(void)state;
	run_exec(NULL, &l, &parent, &child, &execd, &out);
	assert_int_equal(l.n, 12);
	assert_int_equal(l.ev[3].pid, child);
	assert_int_equal(l.ev[6].pid, parent);
	assert_int_equal(l.ev[9].pid, execd);
	for (size_t i = 9; i < 12; i++)
		assert_int_equal(l.ev[i].pid, execd);
	assert_non_null(strstr(out, "libnipc-preload.so"));
	free(out);
	tl_events_free(&l);
}

static void test_children_off(void **state)
{
	struct tl_events l;
	long parent, child, execd;
	char *out, *env;

	(void)state;
	run_exec("0", &l, &parent, &child, &execd, &out);
	/* the parent's two rounds only: the forked and exec'd children are silent */
	assert_int_equal(l.n, 6);
	for (size_t i = 0; i < l.n; i++)
		assert_int_equal(l.ev[i].pid, parent);
	env = strstr(out, "LD_PRELOAD=");
	assert_non_null(env);
	assert_null(strstr(env, "libnipc-preload"));
	free(out);
	tl_events_free(&l);
}

/* An unusable trace file: one warning, then a silent pass-through. */
static void test_setup_failure(void **state)
{
	static const char not_open[] = " is not an open descriptor; tracing disabled";
	const struct {
		const char *file, *before, *after;
	} c[] = {
		{tl_path("no/such/dir/t.json"), "cannot open NIPC_TRACE_FILE ", "; tracing disabled"},
		{"fd:99", "NIPC_TRACE_FILE: ", not_open},
		{"fd:x", "NIPC_TRACE_FILE: ", not_open},
	};
	const char *err = tl_path("setup.err");

	(void)state;
	for (size_t i = 0; i < TL_LEN(c); i++) {
		const char *argv[] = {tl_prog("shim_ops"), "posix-shm", tl_unique_name(), NULL};
		struct tl_opts r = {.preload = 1, .trace = "1", .trace_file = c[i].file, .err = err};
		char want[512], *e;

		assert_int_equal(tl_run(NULL, argv, &r), 0);
		e = tl_slurp(err);
		snprintf(want, sizeof want, "nipc-preload: %s%s%s\n", c[i].before, c[i].file,
			 c[i].after);
		assert_string_equal(e, want);
		free(e);
	}
}

/* Calls made before the shim's constructor reach libc (untraced); later
 * calls are traced as usual. */
/* Runs argv[0] NAME as r says (its trace file fresh): every event on
 * posix:NAME, the operations ops. */
static void run_expect_ops(const char **argv, const struct tl_opts *r, const char *ops)
{
	struct tl_events l;
	char k[256];

	unlink(r->trace_file);
	assert_int_equal(tl_run(NULL, argv, r), 0);
	tl_events_load(&l, r->trace_file);
	snprintf(k, sizeof k, "posix:%s", argv[1]);
	tl_expect_ops(&l, 0, k, ops);
	tl_events_free(&l);
}

static void test_before_constructor(void **state)
{
	const char *argv[] = {tl_prog("shim_early"), tl_unique_name(), NULL};
	struct tl_opts r = {.preload = 1, .trace = "1", .trace_format = "json",
			    .trace_file = tl_path("early.json")};

	(void)state;
	run_expect_ops(argv, &r, "shm_open=* ftruncate=0 close=0 shm_unlink=0 sem_open=ptr "
		       "sem_post=0 sem_wait=0 sem_close=0 sem_unlink=0");
	/* and with tracing off */
	r.trace = NULL;
	argv[1] = tl_unique_name();
	assert_int_equal(tl_run(NULL, argv, &r), 0);
}

/* 1 if readelf lists needle among prog's dynamic symbols, 0 if not, -1 if
 * it cannot tell. */
static int dynsym_has(const char *prog, const char *needle)
{
	struct tl_proc p;
	int rc = tl_run(&p, TL_ARGV("readelf", "-W", "--dyn-syms", prog), NULL);
	int found = rc ? -1 : strstr(p.o.p, needle) != NULL;

	tl_proc_free(&p);
	return found;
}

/* Binaries bound to sem_open@GLIBC_2.2.5 and to sem_open@GLIBC_2.34. */
static void check_version(const char *prog, const char *ver)
{
	const char *out = tl_path("ver.out"), *err = tl_path("ver.err");
	const char *argv[] = {tl_prog(prog), tl_unique_name(), NULL};
	struct tl_opts r = {.preload = 1, .trace = "1", .trace_format = "json",
			    .trace_file = tl_path("ver.json"), .out = out, .err = err,
			    .env = TL_ENV("NIPC_TRACE_DEBUG=1")};
	char needle[64], *o, *e;

	snprintf(needle, sizeof needle, "sem_open@%s", ver);
	if (dynsym_has(tl_prog(prog), "sem_open") < 0)
		print_message("# readelf unavailable: trusting the .symver directives\n");
	else
		assert_int_equal(dynsym_has(tl_prog(prog), needle), 1);
	run_expect_ops(argv, &r, "sem_open=ptr sem_post=0 sem_close=0 sem_unlink=0 shm_open=* "
		       "close=0 shm_unlink=0");
	/* Both libc versions are one function, and the shim calls exactly it. */
	o = tl_slurp(out);
	e = tl_slurp(err);
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
	const char *out = tl_path("sec.out"), *copy = tl_path("shim_secure_suid");
	const char *trace = tl_path("pub/sec.json");
	const char *argv[] = {copy, tl_shim(), tl_unique_name(), NULL};
	struct tl_opts r = {.trace = "1", .trace_format = "json", .trace_file = trace, .out = out};
	struct statvfs sv;
	char *o;
	struct tl_events l;

	(void)state;
	if (tl_shim_asan()) {
		print_message("# an ASan-built shim cannot be dlopen'd into a plain program\n");
		skip();
	}
	if (geteuid() != 0 || statvfs(tl_scratch(), &sv) || (sv.f_flag & ST_NOSUID)) {
		print_message("# needs root and a suid-capable $TMPDIR\n");
		skip();
	}
	assert_int_equal(tl_run(NULL, TL_ARGV("cp", tl_prog("shim_secure"), copy), NULL), 0);
	assert_int_equal(mkdir(tl_path("pub"), 0777), 0);
	assert_int_equal(chmod(tl_path("pub"), 0777), 0);
	/* the control: not secure, traced */
	assert_int_equal(tl_run(NULL, argv, &r), 0);
	o = tl_slurp(out);
	assert_string_equal(o, "secure=0\n");
	free(o);
	tl_events_load(&l, trace);
	assert_int_equal(l.n, 2);
	tl_events_free(&l);
	unlink(trace);
	/* setuid root, run as nobody */
	assert_int_equal(chown(copy, 0, 0), 0);
	assert_int_equal(chmod(copy, 04755), 0);
	r.uid = 65534;
	argv[2] = tl_unique_name();
	assert_int_equal(tl_run(NULL, argv, &r), 0);
	o = tl_slurp(out);
	assert_string_equal(o, "secure=1\n");
	free(o);
	assert_null(tl_slurp(trace));
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
	const char *name = tl_unique_name(), *file = tl_path("stress.json");
	const char *argv[] = {tl_prog("shim_stress"), name, "1000", "1000", "1000", NULL};
	struct tl_opts r = {.preload = 1, .trace = "1,unnamed", .trace_format = "json", .trace_file = file, .timeout = 150};
	static const char *const sem_ops[] = {"sem_post", "sem_wait"};
	static const char *const shm_ops[] = {"shm_open", "close", "shm_unlink"};
	struct { long tid, n; } th[8] = {{0, 0}};
	struct tl_events l;
	long pid = 0;
	int nth = 0;

	(void)state;
	unlink(file);
	assert_int_equal(tl_run(NULL, argv, &r), 0);
	tl_events_load(&l, file);
	assert_int_equal(l.n, 8 * (2 * ITERS + 3 * SHM_ITERS));
	for (size_t i = 0; i < l.n; i++) {
		const struct tl_event *ev = &l.ev[i];
		long tid = ev->tid, n;
		int t;
		const char *want;

		if (!pid)
			pid = ev->pid;
		assert_int_equal(ev->pid, pid);
		for (t = 0; t < nth && th[t].tid != tid; t++)
			;
		if (t == nth) {
			assert_true(nth < 8);
			th[nth++].tid = tid;
		}
		n = th[t].n++;
		want = n < 2 * ITERS ? sem_ops[n % 2] : shm_ops[(n - 2 * ITERS) % 3];
		if (strcmp(ev->op, want))
			fail_msg("line %zu: thread %ld's event %ld is %s, not %s", i, tid, n, ev->op, want);
		assert_string_equal(ev->err, "");
	}
	assert_int_equal(nth, 8);
	for (int t = 0; t < 8; t++)
		assert_int_equal(th[t].n, 2 * ITERS + 3 * SHM_ITERS);
	tl_events_free(&l);
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

	return TL_MAIN("shim_proc", tests, NULL, NULL);
}
