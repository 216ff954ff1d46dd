/* SPDX-License-Identifier: MIT */
/* The shim never harms its host: a trace sink without a reader raises no
 * SIGPIPE (nor touches the program's own signals or errno), a closed
 * standard error never sends trace lines into the program's files, trace
 * files are not opened through symbolic links nor created readable by
 * others nor taken from another user, and a semop the kernel refused is
 * never shown with bytes past the caller's array. Real runs of
 * tests/progs/shim_ops under LD_PRELOAD. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_shim_common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static struct tj_doc doc;

static int lines_in(const char *path)
{
	struct ts_lines l;
	int n;

	ts_load(&l, path);
	n = (int)l.n;
	ts_free(&l);
	return n;
}

static void assert_file(const char *path, const char *want)
{
	char *s = ts_slurp(path);

	if (!s || strcmp(s, want))
		fail_msg("%s holds \"%s\", wanted \"%s\"", path, s ? s : "(no file)", want);
	free(s);
}

/* ------------------------------------------------------------- SIGPIPE */

static const char *const pipe_modes[] = {"default", "ignore", "handle", "block", "pending"};

/* shim_ops pipe-MODE with the sink a dead pipe or socket: the program
 * runs to its end, its signals and errno untouched. */
static void run_dead(const char *mode, struct ts_run *r)
{
	char scenario[32], dead[16];
	char *argv[] = {(char *)ts_prog("shim_ops"), scenario, NULL, dead, NULL};
	const char *out = ts_path("pipe.out");
	char *o;
	int st;

	snprintf(scenario, sizeof scenario, "pipe-%s", mode);
	snprintf(dead, sizeof dead, "%d", r->dead_pipe ? r->dead_pipe : r->dead_socket);
	argv[2] = (char *)ts_unique();
	r->out = out;
	st = ts_run(argv, r);
	o = ts_slurp(out);
	if (st != 0 || !o || strcmp(o, "done\n"))
		fail_msg("pipe-%s (sink %s, dead %s on %d): status %d, output:\n%s", mode,
			 r->file ? r->file : "stderr", r->dead_pipe ? "pipe" : "socket",
			 r->dead_pipe ? r->dead_pipe : r->dead_socket, st, o ? o : "(none)");
	free(o);
}

static void test_dead_pipe(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof pipe_modes / sizeof pipe_modes[0]; i++) {
		struct ts_run stderr_pipe = {.preload = 1, .trace = "1", .dead_pipe = 2};
		struct ts_run fd_pipe = {.preload = 1, .trace = "1", .format = "json",
					 .file = "fd:5", .dead_pipe = 5};
		struct ts_run named_pipe = {.preload = 1, .trace = "1", .file = "/dev/fd/6",
					    .dead_pipe = 6};

		run_dead(pipe_modes[i], &stderr_pipe);
		run_dead(pipe_modes[i], &fd_pipe);
		run_dead(pipe_modes[i], &named_pipe);
	}
}

static void test_dead_socket(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof pipe_modes / sizeof pipe_modes[0]; i++) {
		struct ts_run stderr_sock = {.preload = 1, .trace = "1", .dead_socket = 2};
		struct ts_run fd_sock = {.preload = 1, .trace = "1", .file = "fd:5", .dead_socket = 5};

		run_dead(pipe_modes[i], &stderr_sock);
		run_dead(pipe_modes[i], &fd_sock);
	}
}

/* A trace file beyond the file size limit: EFBIG for the shim, no SIGXFSZ
 * for the program. */
static void test_file_size_limit(void **state)
{
	const char *file = ts_path("full.txt");
	struct ts_run r = {.preload = 1, .trace = "1", .file = file, .fsize_limit = 100};
	char *argv[] = {(char *)ts_prog("shim_ops"), "pipe-default", (char *)ts_unique(), NULL};
	struct stat st;

	(void)state;
	unlink(file);
	r.out = ts_path("fsize.out");
	assert_int_equal(ts_run(argv, &r), 0);
	assert_file(r.out, "done\n");
	assert_int_equal(stat(file, &st), 0);
	assert_true(st.st_size <= 100);
}

/* ------------------------------------------------------ standard error */

/* Descriptor 2 closed at start: the program's data file, opened later on
 * descriptor 2, holds only its data, whatever the sink. */
static void test_closed_stderr(void **state)
{
	const char *data = ts_path("data.txt"), *out = ts_path("data.out");
	const char *trace = ts_path("data.trace");
	const char *sinks[] = {NULL, "/dev/stderr", "fd:2", "/dev/fd/2", trace};
	char *argv[] = {(char *)ts_prog("shim_ops"), "data", NULL, (char *)data, NULL};

	(void)state;
	for (size_t i = 0; i < sizeof sinks / sizeof sinks[0]; i++) {
		struct ts_run r = {.preload = 1, .trace = "1", .file = sinks[i], .out = out,
				   .closed = 1u << 2};

		unlink(trace);
		argv[2] = (char *)ts_unique();
		assert_int_equal(ts_run(argv, &r), 0);
		assert_file(out, "fd 2\n");
		assert_file(data, "data 1\ndata 2\n");
		if (sinks[i] == trace)
			assert_int_equal(lines_in(trace), 3);
	}
}

/* A program that closes descriptor 2 itself and opens a data file there:
 * the trace keeps going to the standard error it started with. */
static void test_stderr_closed_later(void **state)
{
	const char *data = ts_path("data2.txt"), *out = ts_path("data2.out");
	const char *err = ts_path("data2.err");
	char *argv[] = {(char *)ts_prog("shim_ops"), "data-close", (char *)ts_unique(),
			(char *)data, NULL};
	struct ts_run r = {.preload = 1, .trace = "1", .format = "json", .out = out, .err = err};
	struct ts_lines l;

	(void)state;
	assert_int_equal(ts_run(argv, &r), 0);
	assert_file(out, "fd 2\n");
	assert_file(data, "data 1\ndata 2\n");
	ts_load(&l, err);
	assert_int_equal(l.n, 3);
	ts_parse(&doc, l.line[0]);
	ts_free(&l);
}

/* ------------------------------------------------------------ the file */

static void run_traced(const char *file, const char *err, int status)
{
	char *argv[] = {(char *)ts_prog("shim_ops"), "pipe-default", (char *)ts_unique(), NULL};
	struct ts_run r = {.preload = 1, .trace = "1", .file = file, .err = err,
			   .out = ts_path("run.out")};

	assert_int_equal(ts_run(argv, &r), status);
	assert_file(r.out, "done\n");
}

static void warned(const char *err, const char *fmt, const char *path)
{
	char want[1024];

	snprintf(want, sizeof want, fmt, path);
	assert_file(err, want);
}

static void test_symlink_not_followed(void **state)
{
	const char *target = ts_path("victim"), *link = ts_path("trace.link");
	const char *gone = ts_path("absent"), *dangling = ts_path("dangling.link");
	const char *err = ts_path("link.err");
	const char *msg = "nipc-preload: NIPC_TRACE_FILE %s is a symbolic link; not followed; "
			  "tracing disabled\n";
	FILE *f;

	(void)state;
	f = fopen(target, "w");
	assert_non_null(f);
	fputs("keep\n", f);
	fclose(f);
	unlink(link);
	assert_int_equal(symlink(target, link), 0);
	run_traced(link, err, 0);
	assert_file(target, "keep\n");
	warned(err, msg, link);
	/* nor created through one */
	unlink(gone);
	unlink(dangling);
	assert_int_equal(symlink(gone, dangling), 0);
	run_traced(dangling, err, 0);
	assert_int_equal(access(gone, F_OK), -1);
	warned(err, msg, dangling);
	/* a link to a character device is fine */
	unlink(link);
	assert_int_equal(symlink("/dev/null", link), 0);
	run_traced(link, err, 0);
	assert_file(err, "");
}

static void test_new_file_private(void **state)
{
	const char *file = ts_path("new.trace");
	struct stat st;
	mode_t old = umask(022);

	(void)state;
	unlink(file);
	run_traced(file, NULL, 0);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(lines_in(file), 4);
	umask(old);
}

static void test_other_owner(void **state)
{
	const char *file = ts_path("theirs"), *err = ts_path("theirs.err");
	int fd;

	(void)state;
	if (geteuid() != 0) {
		print_message("# needs root to give a file away\n");
		skip();
	}
	unlink(file);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0666);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chown(file, 65534, 65534), 0);
	assert_int_equal(chmod(file, 0666), 0);
	run_traced(file, err, 0);
	assert_file(file, "");
	warned(err, "nipc-preload: NIPC_TRACE_FILE %s is owned by another user; tracing disabled\n",
	       file);
}

/* Named descriptors and FIFOs still work. */
static void test_special_files(void **state)
{
	const char *err = ts_path("special.err"), *at7 = ts_path("at7.txt");
	const char *fifo = ts_path("events.fifo"), *flink = ts_path("fifo.link");
	char *argv[] = {(char *)ts_prog("shim_ops"), "pipe-default", NULL, NULL};
	char buf[65536];
	ssize_t n;
	int rfd, lines = 0;

	(void)state;
	run_traced("/dev/stderr", err, 0);
	assert_int_equal(lines_in(err), 4);
	{
		struct ts_run r = {.preload = 1, .trace = "1", .file = "/dev/fd/7", .fd_from = 7,
				   .file_at_fd = at7};

		unlink(at7);
		argv[2] = (char *)ts_unique();
		assert_int_equal(ts_run(argv, &r), 0);
		assert_int_equal(lines_in(at7), 4);
		unlink(at7);
		r.file = "/proc/self/fd/7";
		argv[2] = (char *)ts_unique();
		assert_int_equal(ts_run(argv, &r), 0);
		assert_int_equal(lines_in(at7), 4);
	}
	unlink(fifo);
	unlink(flink);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(symlink(fifo, flink), 0);
	rfd = open(fifo, O_RDONLY | O_NONBLOCK);
	assert_true(rfd >= 0);
	run_traced(fifo, err, 0);
	run_traced(flink, err, 0);
	assert_file(err, "");
	while ((n = read(rfd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	close(rfd);
	assert_int_equal(lines, 8);
}

/* ---------------------------------------------------------------- semop */

static void test_big_sops(void **state)
{
	const char *file = ts_path("sops.json"), *out = ts_path("sops.out");
	char *argv[] = {(char *)ts_prog("shim_ops"), "big-sops", "x", NULL};
	struct ts_run r = {.preload = 1, .trace = "semop,semtimedop", .format = "json",
			   .file = file, .out = out};
	const char *nsops[] = {"2", "100000", "100000", "100000", "100", "3"};
	struct ts_lines l;
	char buf[512];
	int st;

	(void)state;
	unlink(file);
	st = ts_run(argv, &r);
	if (st == 77)
		skip();
	assert_int_equal(st, 0);
	ts_load(&l, file);
	{
		struct ts_expect x[] = {
			{"semop", "IPC_PRIVATE", "0", NULL, NULL},
			{"semop", "IPC_PRIVATE", "-1", "E2BIG", NULL},
			{"semop", "IPC_PRIVATE", "-1", "E2BIG", NULL},
			{"semtimedop", "IPC_PRIVATE", "-1", "EFAULT", NULL},
			{"semop", "IPC_PRIVATE", "-1", "EFAULT", NULL},
			{"semop", "IPC_PRIVATE", "-1", "EFAULT", NULL},
		};

		ts_expect_events(&l, x, 6, 0);
	}
	ts_parse(&doc, l.line[0]);
	assert_string_equal(ts_arg(&doc, "sops", buf, sizeof buf),
			    "[{\"num\":0,\"op\":1,\"flg\":\"0\"},{\"num\":0,\"op\":-1,\"flg\":\"0\"}]");
	/* the others: the count and the address, not the markers (0xa5a5)
	 * after the caller's two operations */
	for (size_t i = 0; i < l.n; i++) {
		ts_parse(&doc, l.line[i]);
		assert_string_equal(ts_arg(&doc, "nsops", buf, sizeof buf), nsops[i]);
		if (i && strncmp(ts_arg(&doc, "sops", buf, sizeof buf), "0x", 2))
			fail_msg("event %zu shows %s", i, buf);
	}
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
		cmocka_unit_test(test_dead_pipe),
		cmocka_unit_test(test_dead_socket),
		cmocka_unit_test(test_file_size_limit),
		cmocka_unit_test(test_closed_stderr),
		cmocka_unit_test(test_stderr_closed_later),
		cmocka_unit_test(test_symlink_not_followed),
		cmocka_unit_test(test_new_file_private),
		cmocka_unit_test(test_other_owner),
		cmocka_unit_test(test_special_files),
		cmocka_unit_test(test_big_sops),
	};

	alarm(600);
	return cmocka_run_group_tests_name("shim_safety", tests, NULL, teardown);
}
