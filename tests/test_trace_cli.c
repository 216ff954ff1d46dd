/* SPDX-License-Identifier: MIT */
/* nipc trace: options, output files, following children, the summary and
 * exit status, driven with tests/progs/trace_posix (a known POSIX shared
 * memory life cycle) under the real shim. */
#include "config.h"

#include "tlib.h"
#include "trace_json.h"

#include <dirent.h>
#include <limits.h>
#include <regex.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static char prog[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	snprintf(prog, sizeof prog, "%s", tl_prog("trace_posix"));
	return 0;
}

/* The four events of one round on `name` (the fd is whatever shm_open gave). */
static void expect_round(const struct tl_events *e, size_t at, const char *name)
{
	struct tl_events one = {e->ev + at, 4};

	assert_true(e->n >= at + 4);
	assert_true(atoi(e->ev[at].ret) >= 0);
	tl_expect_vector(&one, TL_ARGS_LISTED, 0, "trace-events.tsv", "round",
			 TL_VARS("name", name, "fd", e->ev[at].ret));
	char got[128];
	assert_non_null(tl_event_arg(&e->ev[at + 3], "name", got, sizeof got));
	assert_string_equal(got, name);
	assert_non_null(tl_event_arg(&e->ev[at + 1], "length", got, sizeof got));
	assert_string_equal(got, "4096");
}

/* argv (stdout into out, stderr into err; NULL: /dev/null) exits rc, and
 * file (one of them) holds want. */
static void run_holds(const char *const argv[], int rc, const char *out, const char *err,
		      const char *file, const char *want)
{
	char *text;

	assert_int_equal(tl_run_files(argv, out, err), rc);
	text = tl_slurp(file);
	assert_non_null(text);
	if (!strstr(text, want))
		fail_msg("%s %s: '%s', want '%s'", argv[1], argv[2], text, want);
	free(text);
}

/* argv exits 0, and file holds n events: e. */
static void traced(const char *const argv[], const char *file, size_t n, struct tl_events *e)
{
	assert_int_equal(tl_run_files(argv, NULL, NULL), 0);
	assert_int_equal(tl_events_load(e, file), 0);
	if (e->n != n) {
		tl_events_dump(e);
		fail_msg("%zu events, want %zu", e->n, n);
	}
}

static void test_help(void **state)
{
	const char *out = tl_new_path("help.out");
	const char *argv[] = {tl_nipc(), "trace", "--help", NULL};
	char *text;

	(void)state;
	assert_int_equal(tl_run_files(argv, out, NULL), 0);
	text = tl_slurp(out);
	assert_non_null(strstr(text, "usage: nipc trace"));
	assert_non_null(strstr(text, "--summary"));
	free(text);
}

static void test_usage_errors(void **state)
{
	const char *err = tl_new_path("usage.err");
	const char *none[] = {tl_nipc(), "trace", NULL};
	const char *dashdash[] = {tl_nipc(), "trace", "--", NULL};
	const char *bogus[] = {tl_nipc(), "trace", "--bogus", "--", "true", NULL};
	const char *noarg[] = {tl_nipc(), "trace", "-o", NULL};

	(void)state;
	assert_int_equal(tl_run_files(none, NULL, err), 2);
	assert_int_equal(tl_run_files(dashdash, NULL, err), 2);
	assert_int_equal(tl_run_files(noarg, NULL, err), 2);
	run_holds(bogus, 2, NULL, err, err, "unknown option '--bogus'");
	/* a filter too long to take ",unnamed": an error, not a cut list */
	{
		static char lng[5000];
		const char *too_long[] = {tl_nipc(), "trace", "--unnamed", "-e", lng, "--", "true", NULL};

		memset(lng, 'x', sizeof lng - 1);
		run_holds(too_long, 2, NULL, err, err, "filter list too long");
	}
}

static void test_cannot_run(void **state)
{
	const char *err = tl_new_path("norun.err");
	const char *argv[] = {tl_nipc(), "trace", "--", "/nonexistent/nipc-no-such-program", NULL};

	(void)state;
	run_holds(argv, 1, NULL, err, err, "cannot run '/nonexistent/nipc-no-such-program'");
}

static void test_bad_output(void **state)
{
	const char *err = tl_new_path("badout.err");
	const char *plain[] = {tl_nipc(), "trace", "-o", "/nonexistent/nipc/ev", "--", "true", NULL};
	const char *perpid[] = {tl_nipc(), "trace", "-o", "/nonexistent/nipc/ev.%p", "--", "true", NULL};
	const char *sum[] = {tl_nipc(), "trace", "-c", "-o", "/nonexistent/nipc/ev", "--", "true", NULL};

	(void)state;
	run_holds(plain, 1, NULL, err, err, "/nonexistent/nipc/ev: No such file or directory");
	run_holds(perpid, 1, NULL, err, err, "/nonexistent/nipc: No such file or directory");
	assert_int_equal(tl_run_files(sum, NULL, err), 1);
}

/* nipc trace [-C] -o FILE -- ARGS... */
static int run_out(int summary, const char *file, const char *const args[], const char *err)
{
	const char *argv[16] = {tl_nipc(), "trace"};
	int n = 2;

	if (summary)
		argv[n++] = "-C";
	argv[n++] = "-o";
	argv[n++] = file;
	argv[n++] = "--";
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	return tl_run_files(argv, NULL, err);
}

/* -o is opened as the shim opens NIPC_TRACE_FILE: never through a symbolic
 * link to a regular file, never another user's file, new files 0600;
 * /dev/stderr still works. Both without and with --summary (where nipc
 * writes the file itself). */
static void test_output_rules(void **state)
{
	const char *err = tl_new_path("rules.err"), *victim = tl_new_path("victim");
	const char *link = tl_new_path("ev.link"), *marker = tl_new_path("ran");
	const char *fresh = tl_new_path("fresh.jsonl"), *theirs = tl_new_path("theirs");
	char touch[PATH_MAX + 16];
	const char *cmd[] = {"sh", "-c", touch, NULL};
	char *text;
	struct stat st;
	mode_t old;
	FILE *f;

	(void)state;
	snprintf(touch, sizeof touch, "touch '%s'", marker);
	assert_non_null(f = fopen(victim, "w"));
	fputs("keep\n", f);
	fclose(f);
	assert_int_equal(symlink(victim, link), 0);
	for (int summary = 0; summary < 2; summary++) {
		assert_int_equal(run_out(summary, link, cmd, err), 1);
		text = tl_slurp(err);
		assert_non_null(strstr(text, "is a symbolic link"));
		free(text);
		assert_int_equal(access(marker, F_OK), -1);
		text = tl_slurp(victim);
		assert_string_equal(text, "keep\n");
		free(text);
	}
	/* new files: private */
	old = umask(022);
	for (int summary = 0; summary < 2; summary++) {
		unlink(fresh);
		assert_int_equal(run_out(summary, fresh, cmd, NULL), 0);
		assert_int_equal(stat(fresh, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
	}
	umask(old);
	/* /dev/stderr: the events reach nipc's standard error */
	for (int summary = 0; summary < 2; summary++) {
		const char *name = tl_unique_name();
		const char *args[] = {prog, name, NULL};
		char want[128];

		snprintf(want, sizeof want, "shm_unlink(\"%s\") = 0", name);
		assert_int_equal(run_out(summary, "/dev/stderr", args, err), 0);
		text = tl_slurp(err);
		assert_non_null(strstr(text, want));
		free(text);
	}
	if (geteuid() != 0)
		return;
	/* a file of another user */
	unlink(marker);
	assert_non_null(f = fopen(theirs, "w"));
	fclose(f);
	assert_int_equal(chown(theirs, 65534, 65534), 0);
	assert_int_equal(chmod(theirs, 0666), 0);
	for (int summary = 0; summary < 2; summary++) {
		assert_int_equal(run_out(summary, theirs, cmd, err), 1);
		text = tl_slurp(err);
		assert_non_null(strstr(text, "owned by another user"));
		free(text);
		assert_int_equal(access(marker, F_OK), -1);
	}
}

static void test_missing_shim(void **state)
{
	const char *err = tl_new_path("noshim.err");
	const char *argv[] = {tl_nipc(), "trace", "--", "true", NULL};
	const char *env[] = {"NIPC_PRELOAD=/nonexistent/libnipc-preload.so", NULL};
	char *text;

	(void)state;
	assert_int_equal(tl_run(NULL, argv, &(struct tl_opts){.out = NULL, .err = err, .env = env}), 1);
	text = tl_slurp(err);
	assert_non_null(strstr(text, "NIPC_PRELOAD"));
	free(text);
}

static void test_exit_status(void **state)
{
	const char *name = tl_unique_name();
	const char *code[] = {tl_nipc(), "trace", "--", prog, name, "--exit", "7", NULL};
	const char *sig[] = {tl_nipc(), "trace", "--", "sh", "-c", "kill -TERM $$", NULL};
	const char *sum[] = {tl_nipc(), "trace", "--summary", "--", "sh", "-c", "exit 3", NULL};

	(void)state;
	assert_int_equal(tl_run_files(code, NULL, NULL), 7);
	assert_int_equal(tl_run_files(sig, NULL, NULL), 128 + 15);
	assert_int_equal(tl_run_files(sum, NULL, NULL), 3);
}

static void test_text_to_stderr(void **state)
{
	const char *name = tl_unique_name(), *err = tl_new_path("text.err");
	const char *argv[] = {tl_nipc(), "trace", "--", prog, name, "--fail", NULL};
	char want[256], *text;

	(void)state;
	assert_int_equal(tl_run_files(argv, NULL, err), 0);
	text = tl_slurp(err);
	snprintf(want, sizeof want, "shm_open(\"%s\", O_RDWR|O_CREAT|O_EXCL, 0600) = ", name);
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof want, "key=posix:%s\n", name);
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "= -1 ENOENT"));
	assert_null(strstr(text, "{\"v\":1,"));
	free(text);
}

static void test_json_file(void **state)
{
	const char *name = tl_unique_name(), *file = tl_new_path("ev.jsonl");
	const char *argv[] = {tl_nipc(), "trace", "--json", "-o", file, "--",
			prog, name, "--rounds", "2", "--fail", NULL};
	char key[128], oargs[128];
	struct tl_events e;

	(void)state;
	traced(argv, file, 9, &e);
	expect_round(&e, 0, name);
	expect_round(&e, 4, name);
	snprintf(key, sizeof key, "posix:%s", name);
	snprintf(oargs, sizeof oargs, "name=%s;oflag=O_RDWR", name);
	const struct tl_expect last[] = {{"shm_open", key, "-1", "ENOENT", oargs}};
	struct tl_events tail = {e.ev + 8, 1};
	tl_expect_events(&tail, TL_ARGS_LISTED, 0, last, 1);
	for (size_t i = 1; i < e.n; i++)
		assert_int_equal(e.ev[i].pid, e.ev[0].pid);
	tl_events_free(&e);
}

/* Events of the three processes of `trace_posix NAME --fork --exec`. */
static void expect_family(const struct tl_events *e, const char *name)
{
	char sub[80];
	struct tl_events p, f, x;
	long pid = e->ev[0].pid;

	tl_events_select_pid(&p, e, pid);
	assert_int_equal(p.n, 4);
	expect_round(&p, 0, name);
	snprintf(sub, sizeof sub, "posix:%s.f", name);
	tl_events_select_key(&f, e, sub);
	assert_int_equal(f.n, 4);
	expect_round(&f, 0, sub + 6);
	snprintf(sub, sizeof sub, "posix:%s.x", name);
	tl_events_select_key(&x, e, sub);
	assert_int_equal(x.n, 4);
	expect_round(&x, 0, sub + 6);
	assert_int_not_equal(f.ev[0].pid, pid);
	assert_int_not_equal(x.ev[0].pid, pid);
	assert_int_not_equal(x.ev[0].pid, f.ev[0].pid);
	tl_events_free(&p);
	tl_events_free(&f);
	tl_events_free(&x);
}

static void test_follow_children(void **state)
{
	const char *name = tl_unique_name(), *file = tl_new_path("fam.jsonl");
	const char *argv[] = {tl_nipc(), "trace", "--json", "-o", file, "--",
			prog, name, "--fork", "--exec", NULL};
	struct tl_events e;

	(void)state;
	traced(argv, file, 12, &e);
	expect_family(&e, name);
	tl_events_free(&e);
}

static void test_no_follow(void **state)
{
	const char *name = tl_unique_name(), *file = tl_new_path("nofollow.jsonl");
	const char *argv[] = {tl_nipc(), "trace", "--no-follow", "--json", "-o", file,
			"--", prog, name, "--fork", "--exec", NULL};
	struct tl_events e;

	(void)state;
	traced(argv, file, 4, &e);
	expect_round(&e, 0, name);
	tl_events_free(&e);
}

/* -o with %p: one file per process, named by its pid. */
static void check_per_pid(const char *dir, const char *name, int summary, int ff)
{
	char path[PATH_MAX], *tmpl;
	struct tl_events all = {0};
	struct dirent *d;
	DIR *dh;
	int files = 0;

	if (asprintf(&tmpl, ff ? "%s/ev" : "%s/ev.%%p", dir) < 0)
		fail();
	const char *argv[] = {tl_nipc(), "trace", "--json", "-o", tmpl, "--", prog, name,
			"--fork", "--exec", NULL};
	const char *argv_s[] = {tl_nipc(), "trace", "--summary", "--json", "-o", tmpl, "--",
			  prog, name, "--fork", "--exec", NULL};
	const char *argv_ff[] = {tl_nipc(), "trace", "-ff", "--json", "-o", tmpl, "--", prog, name,
			   "--fork", "--exec", NULL};
	assert_int_equal(tl_run_files(ff ? argv_ff : summary ? argv_s : argv, NULL, NULL), 0);
	free(tmpl);
	assert_non_null(dh = opendir(dir));
	all.ev = calloc(16, sizeof *all.ev);
	while ((d = readdir(dh))) {
		struct tl_events e;

		if (strncmp(d->d_name, "ev.", 3))
			continue;
		files++;
		snprintf(path, sizeof path, "%s/%s", dir, d->d_name);
		assert_int_equal(tl_events_load(&e, path), 0);
		assert_int_equal(e.n, 4);
		for (size_t i = 0; i < e.n; i++) {
			assert_int_equal(e.ev[i].pid, atol(d->d_name + 3));
			assert_true(all.n < 16);
			all.ev[all.n++] = e.ev[i];
		}
		free(e.ev);
	}
	closedir(dh);
	assert_int_equal(files, 3);
	/* Files come in directory order; put the parent (first pid to trace) first. */
	for (size_t i = 0; i < all.n; i++)
		if (!strcmp(all.ev[i].op, "shm_open") && !strcmp(all.ev[i].key + 6, name) && i) {
			struct tl_event tmp[4];
			memcpy(tmp, all.ev + i, sizeof tmp);
			memmove(all.ev + 4, all.ev, i * sizeof *all.ev);
			memcpy(all.ev, tmp, sizeof tmp);
			break;
		}
	expect_family(&all, name);
	tl_events_free(&all);
}

static void test_output_per_pid(void **state)
{
	char dir[PATH_MAX];

	(void)state;
	snprintf(dir, sizeof dir, "%s/perpid", tl_scratch());
	assert_int_equal(mkdir(dir, 0700), 0);
	check_per_pid(dir, tl_unique_name(), 0, 0);
	snprintf(dir, sizeof dir, "%s/perpid-summary", tl_scratch());
	assert_int_equal(mkdir(dir, 0700), 0);
	check_per_pid(dir, tl_unique_name(), 1, 0);
}

/* -ff -o FILE: FILE.PID per process, as strace; -f is accepted (children
 * are followed anyway) and contradicts --no-follow. */
static void test_ff_and_f(void **state)
{
	const char *name = tl_unique_name(), *file = tl_new_path("f.jsonl"), *err = tl_new_path("f.err");
	const char *f[] = {tl_nipc(), "trace", "-f", "--json", "-o", file, "--",
		     prog, name, "--fork", "--exec", NULL};
	const char *both[] = {tl_nipc(), "trace", "-f", "--no-follow", "--", "true", NULL};
	char dir[PATH_MAX];
	struct tl_events e;

	(void)state;
	snprintf(dir, sizeof dir, "%s/ff", tl_scratch());
	assert_int_equal(mkdir(dir, 0700), 0);
	check_per_pid(dir, tl_unique_name(), 0, 1);
	traced(f, file, 12, &e);
	expect_family(&e, name);
	tl_events_free(&e);
	run_holds(both, 2, NULL, err, err, "-f follows children, --no-follow does not");
}

/* -o empties an existing file, as strace; -A appends to it. */
static void test_output_truncates_append(void **state)
{
	const char *file = tl_new_path("trunc.jsonl");
	const char *n1 = tl_unique_name(), *n2 = tl_unique_name();
	const char *argv[] = {tl_nipc(), "trace", "--json", "-o", file, "--", prog, n1, NULL};
	const char *app[] = {tl_nipc(), "trace", "-A", "--json", "-o", file, "--", prog, n2, NULL};
	struct tl_events e;
	char *text;
	FILE *f;

	(void)state;
	assert_non_null(f = fopen(file, "w"));
	fputs("{\"old\":\"line from before\"}\n", f);
	fclose(f);
	traced(argv, file, 4, &e);
	expect_round(&e, 0, n1);
	tl_events_free(&e);
	text = tl_slurp(file);
	assert_null(strstr(text, "line from before"));
	free(text);
	traced(app, file, 8, &e);
	expect_round(&e, 0, n1);
	expect_round(&e, 4, n2);
	tl_events_free(&e);
	/* nipc's own descriptor is never emptied: what came before stays */
	{
		const char *err = tl_new_path("own.err");
		char script[PATH_MAX * 2 + 128], want[128];
		const char *sh[] = {"sh", "-c", script, NULL};

		snprintf(script, sizeof script, "echo before >&2; exec '%s' trace -o /dev/stderr -- '%s' %s",
			 tl_nipc(), prog, n1);
		snprintf(want, sizeof want, "shm_unlink(\"%s\") = 0", n1);
		run_holds(sh, 0, NULL, err, err, want);
		text = tl_slurp(err);
		assert_int_equal(strncmp(text, "before\n", 7), 0);
		free(text);
	}
}

/* An unknown -e word is a usage error before CMD runs: CMD would have
 * made a file. The same parser as the shim's, so its words pass. */
static void test_filter_typo(void **state)
{
	const char *err = tl_new_path("typo.err"), *marker = tl_new_path("typo.ran");
	char touch[PATH_MAX + 16];
	const char *typo[] = {tl_nipc(), "trace", "-e", "shm_opn", "--", "sh", "-c", touch, NULL};
	const char *two[] = {tl_nipc(), "trace", "-e", "all,-sem_wiat,posix-shmm", "--", "sh", "-c",
		       touch, NULL};
	const char *good[] = {tl_nipc(), "trace", "-e", "trace=posix-shm,-shm_open,unnamed", "--",
			"sh", "-c", touch, NULL};

	(void)state;
	snprintf(touch, sizeof touch, "touch '%s'", marker);
	run_holds(typo, 2, NULL, err, err, "nipc: trace: -e: unknown word 'shm_opn' (families: ");
	assert_int_equal(access(marker, F_OK), -1);
	run_holds(two, 2, NULL, err, err, "unknown words '-sem_wiat posix-shmm'");
	assert_int_equal(access(marker, F_OK), -1);
	assert_int_equal(tl_run_files(good, NULL, err), 0);
	assert_int_equal(access(marker, F_OK), 0);
}

/* -p: a preload library cannot attach to a running process. */
static void test_attach_refused(void **state)
{
	const char *err = tl_new_path("attach.err");
	const char *p[] = {tl_nipc(), "trace", "-p", "1", NULL};
	const char *lng[] = {tl_nipc(), "trace", "--attach=1", "--", "true", NULL};

	(void)state;
	run_holds(p, 2, NULL, err, err, "nipc cannot attach to a running process");
	run_holds(lng, 2, NULL, err, err, "preload library");
}

/* Every event line of nipc trace OPTS -- prog NAME --fail in TZ=UTC-3 (3
 * hours east) matches re; returns the text (5 lines). */
static char *timed_lines(const char *opt1, const char *opt2, const char *re)
{
	const char *err = tl_new_path("time.err"), *name = tl_unique_name();
	const char *argv[10] = {tl_nipc(), "trace", opt1};
	const char *env[] = {"TZ=UTC-3", NULL};
	char *text, *line, *nl;
	regex_t rx;
	int lines = 0, n = 3;

	if (opt2)
		argv[n++] = opt2;
	argv[n++] = "--";
	argv[n++] = prog;
	argv[n++] = name;
	argv[n++] = "--fail";
	assert_int_equal(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(tl_run(NULL, argv, &(struct tl_opts){.err = err, .env = env}), 0);
	text = tl_slurp(err);
	for (line = text; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		if (regexec(&rx, line, 0, NULL, 0))
			fail_msg("%s %s: '%s' does not match %s", opt1, opt2 ? opt2 : "", line, re);
		*nl = '\n';
		lines++;
	}
	regfree(&rx);
	assert_int_equal(lines, 5);
	return text;
}

/* -t's hour is the local one (TZ=UTC-3), at the start or the end. */
static void local_hour(const char *text, time_t t0)
{
	time_t t1 = time(NULL);
	int h = atoi(strchr(text, ']') + 2);

	assert_true(h == (gmtime(&t0)->tm_hour + 3) % 24 || h == (gmtime(&t1)->tm_hour + 3) % 24);
}

/* -t, -tt, -ttt, -r, -t -r and -T, as strace prints them. */
static void test_time_options(void **state)
{
#define PID "^\\[[0-9]+/[0-9]+\\] "
#define CALL "[a-z_]+\\(.*\\) = [^<>]*"
	time_t t0 = time(NULL);
	char *text;
	long long sec;

	(void)state;
	text = timed_lines("-t", NULL, PID "[0-9]{2}:[0-5][0-9]:[0-6][0-9] " CALL "$");
	local_hour(text, t0);
	free(text);
	text = timed_lines("-tt", NULL, PID "[0-9]{2}:[0-5][0-9]:[0-6][0-9]\\.[0-9]{6} " CALL "$");
	local_hour(text, t0);
	free(text);
	text = timed_lines("-ttt", NULL, PID "[0-9]{10,}\\.[0-9]{6} " CALL "$");
	sec = atoll(strchr(text, ']') + 2);
	assert_true(sec >= (long long)t0 && sec <= (long long)time(NULL));
	free(text);
	text = timed_lines("-r", NULL, PID " *[0-9]+\\.[0-9]{6} " CALL "$");
	/* the first event is 0 after none */
	assert_non_null(strstr(text, "]      0.000000 shm_open("));
	free(text);
	free(timed_lines("-t", "-r", PID "[0-9]{2}:[0-9]{2}:[0-9]{2} \\(\\+ *[0-9]+\\.[0-9]{6}\\) "
			 CALL "$"));
	free(timed_lines("-T", NULL, PID CALL " <[0-9]+\\.[0-9]{6}>$"));
	free(timed_lines("-ttt", "-T", PID "[0-9]+\\.[0-9]{6} " CALL " <[0-9]+\\.[0-9]{6}>$"));
	/* no option: nipc's own line, a duration in us or ms before the key */
	free(timed_lines("--unnamed", NULL, PID "[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6} [a-z_]+\\(.*\\) = "
			 ".* <[0-9]+\\.[0-9](us|ms)> key=.*$"));
#undef PID
#undef CALL
}

struct summary_row {
	unsigned long calls, errors;
	double total, mean;
	char op[32], key[160];
};

/* Parses the table nipc prints after the events; returns the row count. */
static size_t parse_summary(const char *text, struct summary_row *rows, size_t max,
			    unsigned long *tcalls, unsigned long *terrors)
{
	const char *p = strstr(text, "   calls  errors");
	size_t n = 0;

	assert_non_null(p);
	p = strchr(p, '\n') + 1;
	while (*p && strncmp(p, "--------", 8)) {
		assert_true(n < max);
		assert_int_equal(sscanf(p, "%lu %lu %lf %lf %31s %159s", &rows[n].calls,
					&rows[n].errors, &rows[n].total, &rows[n].mean,
					rows[n].op, rows[n].key), 6);
		n++;
		p = strchr(p, '\n') + 1;
	}
	assert_int_equal(strncmp(p, "--------", 8), 0);
	p = strchr(p, '\n') + 1;
	assert_int_equal(sscanf(p, "%lu %lu", tcalls, terrors), 2);
	return n;
}

static void test_summary(void **state)
{
	const char *name = tl_unique_name(), *err = tl_new_path("summary.err");
	const char *argv[] = {tl_nipc(), "trace", "--summary", "--", prog, name,
			"--rounds", "3", "--fail", NULL};
	struct summary_row rows[8];
	unsigned long calls, errors;
	char key[128], want[256], *text;
	size_t n;
	int seen = 0;

	(void)state;
	assert_int_equal(tl_run_files(argv, NULL, err), 0);
	text = tl_slurp(err);
	/* The events themselves still go to stderr, as text. */
	snprintf(want, sizeof want, "shm_unlink(\"%s\") = 0", name);
	assert_non_null(strstr(text, want));
	n = parse_summary(text, rows, 8, &calls, &errors);
	snprintf(key, sizeof key, "posix:%s", name);
	assert_int_equal(n, 4);
	assert_int_equal(calls, 13);
	assert_int_equal(errors, 1);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(rows[i].key, key);
		if (i)
			assert_true(rows[i].total <= rows[i - 1].total);
		assert_true(rows[i].mean * rows[i].calls <= rows[i].total * 1.001 + 0.001);
		if (!strcmp(rows[i].op, "shm_open")) {
			assert_int_equal(rows[i].calls, 4);
			assert_int_equal(rows[i].errors, 1);
			seen |= 1;
		} else {
			assert_int_equal(rows[i].calls, 3);
			assert_int_equal(rows[i].errors, 0);
			seen |= !strcmp(rows[i].op, "ftruncate") << 1 |
				!strcmp(rows[i].op, "close") << 2 |
				!strcmp(rows[i].op, "shm_unlink") << 3;
		}
	}
	assert_int_equal(seen, 15);
	free(text);
}

/* The summary's JSON record (-c --json): one line, parsed into d. */
static const struct tj_node *summary_json(struct tj_doc *d, const char *text)
{
	const struct tj_node *root, *sum;

	assert_int_equal(tj_parse(d, text, strlen(text)), 0);
	root = &d->node[0];
	assert_int_equal(tj_int(tj_get(d, root, "v"), 0), 1);
	assert_non_null(sum = tj_get(d, root, "summary"));
	return sum;
}

/* The row of op in a JSON array of rows, or NULL. */
static const struct tj_node *json_row(const struct tj_doc *d, const struct tj_node *rows,
				      const char *op)
{
	for (const struct tj_node *r = tj_child(d, rows); r; r = tj_next(d, r))
		if (!strcmp(tj_str(tj_get(d, r, "op")), op))
			return r;
	return NULL;
}

/* -c --json -o FILE: FILE holds the summary alone, one JSON record, with
 * the counts per operation and per object; no event anywhere. */
static void test_summary_json_file(void **state)
{
	const char *name = tl_unique_name(), *err = tl_new_path("sj.err"), *file = tl_new_path("sj.jsonl");
	const char *argv[] = {tl_nipc(), "trace", "-c", "--json", "-o", file, "--",
			prog, name, "--rounds", "3", "--fail", NULL};
	static struct tj_doc d;
	const struct tj_node *sum, *row;
	char *text, key[128];

	(void)state;
	assert_int_equal(tl_run_files(argv, NULL, err), 0);
	text = tl_slurp(err);
	assert_string_equal(text, "");
	free(text);
	text = tl_slurp(file);
	assert_non_null(strchr(text, '\n'));
	assert_ptr_equal(strchr(text, '\n') + 1, text + strlen(text));
	sum = summary_json(&d, text);
	assert_int_equal(tj_int(tj_get(&d, sum, "calls"), -1), 13);
	assert_int_equal(tj_int(tj_get(&d, sum, "errors"), -1), 1);
	assert_int_equal(tj_int(tj_get(&d, sum, "delivered"), -1), 13);
	assert_int_equal(tj_int(tj_get(&d, sum, "lost"), -1), 0);
	assert_non_null(row = json_row(&d, tj_get(&d, sum, "ops"), "shm_open"));
	assert_int_equal(tj_int(tj_get(&d, row, "calls"), -1), 4);
	assert_int_equal(tj_int(tj_get(&d, row, "errors"), -1), 1);
	assert_true(tj_num(tj_get(&d, row, "time_pct"), -1) >= 0);
	assert_non_null(row = json_row(&d, tj_get(&d, sum, "ops"), "close"));
	assert_int_equal(tj_int(tj_get(&d, row, "calls"), -1), 3);
	assert_non_null(row = json_row(&d, tj_get(&d, sum, "objects"), "shm_unlink"));
	snprintf(key, sizeof key, "posix:%s", name);
	assert_string_equal(tj_str(tj_get(&d, row, "key")), key);
	assert_int_equal(tj_int(tj_get(&d, row, "calls"), -1), 3);
	free(text);
}

/* --summary --json: every event record carries "v":1, the summary is the
 * last record. */
static void test_summary_json_events(void **state)
{
	const char *name = tl_unique_name(), *err = tl_new_path("sje.err");
	const char *argv[] = {tl_nipc(), "trace", "--summary", "--json", "--", prog, name, NULL};
	static struct tj_doc d;
	const struct tj_node *sum;
	char *text, *line, *next;
	int events = 0;

	(void)state;
	assert_int_equal(tl_run_files(argv, NULL, err), 0);
	text = tl_slurp(err);
	for (line = text; (next = strchr(line, '\n')) && next[1]; line = next + 1) {
		assert_int_equal(strncmp(line, "{\"v\":1,\"ts\":", 12), 0);
		events++;
	}
	assert_int_equal(events, 4);
	sum = summary_json(&d, line);
	assert_int_equal(tj_int(tj_get(&d, sum, "calls"), -1), 4);
	assert_int_equal(tj_int(tj_get(&d, tj_child(&d, tj_get(&d, sum, "ops")), "calls"), -1), 1);
	free(text);
}

struct op_row {
	double pct, secs;
	unsigned long usecs, calls, errors;
	char op[32];
};

/* Parses strace -c's table in text; returns the row count (total last). */
static size_t parse_ops(const char *text, struct op_row *rows, size_t max)
{
	const char *p = strstr(text, "% time     seconds  usecs/call     calls    errors operation\n");
	size_t n = 0;

	assert_non_null(p);
	p = strchr(p, '\n') + 1;
	assert_int_equal(strncmp(p, "------ -----------", 18), 0);
	for (p = strchr(p, '\n') + 1; *p && n < max; p = strchr(p, '\n') + 1) {
		char a[32], b[32], line[160];
		int k;

		if (!strncmp(p, "------", 6))
			continue;
		snprintf(line, sizeof line, "%.*s", (int)strcspn(p, "\n"), p);
		k = sscanf(line, "%lf %lf %lu %lu %31s %31s", &rows[n].pct, &rows[n].secs,
			   &rows[n].usecs, &rows[n].calls, a, b);
		assert_true(k == 5 || k == 6);
		/* errors are blank when none, as strace prints them */
		rows[n].errors = k == 6 ? strtoul(a, NULL, 10) : 0;
		snprintf(rows[n].op, sizeof rows[n].op, "%s", k == 6 ? b : a);
		if (!strcmp(rows[n++].op, "total"))
			break;
	}
	return n;
}

/* -c: the tables only, per operation with the right counts and per object;
 * -C: the events and the tables; -c -o FILE: the tables in FILE. */
static void test_summary_only_and_both(void **state)
{
	const char *name = tl_unique_name(), *err = tl_new_path("c.err"), *file = tl_new_path("c.out");
	const char *only[] = {tl_nipc(), "trace", "-c", "--", prog, name, "--rounds", "3", "--fail",
			      NULL};
	const char *both[] = {tl_nipc(), "trace", "-C", "--", prog, name, "--rounds", "3", "--fail",
			      NULL};
	const char *tofile[] = {tl_nipc(), "trace", "-c", "-o", file, "--", prog, name, NULL};
	struct op_row rows[8];
	double pct = 0;
	char *text;
	size_t n;

	(void)state;
	assert_int_equal(tl_run_files(only, NULL, err), 0);
	text = tl_slurp(err);
	assert_null(strstr(text, "shm_open(\""));
	n = parse_ops(text, rows, 8);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(rows[i].calls, strcmp(rows[i].op, "shm_open") ? 3 : 4);
		assert_int_equal(rows[i].errors, strcmp(rows[i].op, "shm_open") ? 0 : 1);
		if (i)
			assert_true(rows[i].secs <= rows[i - 1].secs);
		pct += rows[i].pct;
	}
	assert_true(pct > 99.9 && pct < 100.1);
	assert_string_equal(rows[4].op, "total");
	assert_int_equal(rows[4].calls, 13);
	assert_int_equal(rows[4].errors, 1);
	/* and the table per object after it */
	assert_non_null(strstr(text, "   calls  errors    total(us)   mean(us)  op             key\n"));
	free(text);

	assert_int_equal(tl_run_files(both, NULL, err), 0);
	text = tl_slurp(err);
	assert_non_null(strstr(text, "shm_open(\""));
	assert_true(strstr(text, "shm_open(\"") < strstr(text, "% time "));
	assert_int_equal(parse_ops(text, rows, 8), 5);
	assert_int_equal(rows[4].calls, 13);
	free(text);

	assert_int_equal(tl_run_files(tofile, NULL, err), 0);
	text = tl_slurp(err);
	assert_string_equal(text, "");
	free(text);
	text = tl_slurp(file);
	assert_int_equal(strncmp(text, "% time ", 7), 0);
	assert_int_equal(parse_ops(text, rows, 8), 5);
	assert_int_equal(rows[4].calls, 4);
	free(text);
}

/* The event lines without the clock and the duration, which differ. */
static char *strip_times(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;
	const char *p = text;

	assert_non_null(out);
	while (*p) {
		const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
		const char *op = strchr(p, ' '), *dur = strstr(p, " <");

		if (p[0] == '[' && op && op < end && (op = strchr(op + 1, ' ')) && op < end &&
		    dur && dur < end) {
			const char *after = strchr(dur, '>') + 1;

			memcpy(o, p, (size_t)(strchr(p, ' ') - p));
			o += strchr(p, ' ') - p;
			memcpy(o, op, (size_t)(dur - op));
			o += dur - op;
			memcpy(o, after, (size_t)(end - after));
			o += end - after;
			*o++ = '\n';
		}
		p = nl ? nl + 1 : end;
	}
	*o = '\0';
	return out;
}

/* "[pid/tid]" becomes "[P]" in place: pids of two runs may differ in
 * length (they wrap). */
static void mask_pids(char *s)
{
	for (char *x = s; (x = strchr(x, '[')); x++) {
		char *end = strchr(x, ']');

		if (!end)
			break;
		x[1] = 'P';
		memmove(x + 2, end, strlen(end) + 1);
	}
}

/* --summary writes the text events itself: in the shim's own format. */
static void test_summary_text_matches_shim(void **state)
{
	const char *name = tl_unique_name(), *e1 = tl_new_path("plain.err"), *e2 = tl_new_path("sum.err");
	/* Both to a file, so the shim's descriptor shifts the program's alike. */
	const char *plain[] = {tl_nipc(), "trace", "-o", e1, "--", prog, name,
			 "--fail", NULL};
	const char *sum[] = {tl_nipc(), "trace", "--summary", "-o", e2, "--", prog,
		       name, "--fail", NULL};
	char *a, *b, *sa, *sb, *pa, *pb;

	(void)state;
	assert_int_equal(tl_run_files(plain, NULL, NULL), 0);
	assert_int_equal(tl_run_files(sum, NULL, NULL), 0);
	a = tl_slurp(e1);
	b = tl_slurp(e2);
	sa = strip_times(a);
	sb = strip_times(b);
	/* Same lines but for the pid in "[pid/tid]". */
	assert_non_null(strstr(sa, "shm_unlink("));
	pa = strchr(sa, ']');
	pb = strchr(sb, ']');
	assert_non_null(pa);
	assert_non_null(pb);
	mask_pids(sa);
	mask_pids(sb);
	assert_string_equal(sa, sb);
	free(a);
	free(b);
	free(sa);
	free(sb);
}

/* What CMD gets: the shim ahead of an existing LD_PRELOAD, the NIPC_TRACE
 * settings of the options, and no NIPC_TRACE_FILE from nipc's own
 * environment when the events go to stderr. */
static void test_environment(void **state)
{
	const char *out = tl_new_path("env.out");
	char *show = "echo \"$LD_PRELOAD|$NIPC_TRACE|${NIPC_TRACE_RING:+ring}|$NIPC_TRACE_CHILDREN|"
		     "${NIPC_TRACE_FILE-unset}\"";
	const char *plain[] = {tl_nipc(), "trace", "--", "sh", "-c", show, NULL};
	const char *opts[] = {tl_nipc(), "trace", "--json", "-e", "sysv-shm,-shmat", "--", "sh",
			"-c", show, NULL};
	const char *env[] = {"LD_PRELOAD=/nonexistent/nipc-test-other.so", "NIPC_TRACE_FILE=/nonexistent/x",
		       NULL};
	char *text;

	(void)state;
	assert_int_equal(tl_run(NULL, plain, &(struct tl_opts){.out = out, .err = NULL, .env = env}), 0);
	text = tl_slurp(out);
	/* An absolute path (the build tree's, links resolved), then the old value. */
	assert_non_null(strstr(text, "/libnipc-preload.so:/nonexistent/nipc-test-other.so|1|ring|1|unset\n"));
	assert_int_equal(text[0], '/');
	free(text);
	run_holds(opts, 0, out, NULL, out, "/libnipc-preload.so|sysv-shm,-shmat|ring|1|unset\n");
	/* --unnamed adds its word to the filter, or to the default */
	opts[3] = "--unnamed";
	opts[4] = "--json";
	run_holds(opts, 0, out, NULL, out, "/libnipc-preload.so|1,unnamed|ring|1|unset\n");
	opts[2] = "-e";
	opts[3] = "posix-sem,-sem_post";
	opts[4] = "--unnamed";
	run_holds(opts, 0, out, NULL, out,
		  "/libnipc-preload.so|posix-sem,-sem_post,unnamed|ring|1|unset\n");
}

/* With --detach, a traced descendant that outlives CMD (and nipc's 2 s
 * wait) keeps writing events into its ring, which nobody reads any more:
 * it is not harmed and finishes its work. (Without --detach nipc waits
 * for it: test_trace_ring's daemon test.) */
static void test_summary_outliving_child(void **state)
{
	const char *name = tl_unique_name(), *marker = tl_new_path("lingered");
	const char *argv[] = {tl_nipc(), "trace", "--detach", "-c", "--", prog, name, "--linger",
			"3", marker, NULL};
	const char *err = tl_new_path("linger.err");
	char *text;
	int i;

	(void)state;
	assert_int_equal(tl_run_files(argv, NULL, err), 0);
	/* nipc is back before the child has done anything. */
	assert_int_equal(access(marker, F_OK), -1);
	text = tl_slurp(err);
	assert_non_null(strstr(text, "\n       4       0 "));
	free(text);
	for (i = 0; i < 100 && access(marker, F_OK); i++)
		usleep(100000);
	assert_int_equal(access(marker, F_OK), 0);
}

static void test_filter(void **state)
{
	const char *name = tl_unique_name(), *file = tl_new_path("filter.jsonl");
	const char *argv[] = {tl_nipc(), "trace", "-e", "shm_unlink", "--json", "-o",
			file, "--", prog, name, "--rounds", "2", NULL};
	struct tl_events e;

	(void)state;
	assert_int_equal(tl_run_files(argv, NULL, NULL), 0);
	assert_int_equal(tl_events_load(&e, file), 0);
	tl_expect_vector(&e, TL_ARGS_LISTED, 0, "trace-events.tsv", "unlinks", TL_VARS("name", name));
	tl_events_free(&e);
}

TL_TESTS("trace_cli", setup, NULL, test_help, test_usage_errors, test_cannot_run, test_bad_output,
	 test_output_rules, test_missing_shim, test_exit_status, test_text_to_stderr,
	 test_json_file, test_follow_children, test_no_follow, test_output_per_pid, test_summary,
	 test_summary_json_file, test_summary_text_matches_shim, test_environment,
	 test_summary_outliving_child, test_filter, test_summary_json_events,
	 test_summary_only_and_both, test_ff_and_f, test_output_truncates_append,
	 test_filter_typo, test_attach_refused, test_time_options)
