/* SPDX-License-Identifier: MIT */
/* The shim never harms its host: a trace sink without a reader raises no
 * SIGPIPE (nor touches the program's own signals or errno), a closed
 * standard error never sends trace lines into the program's files, trace
 * files are not opened through symbolic links nor created readable by
 * others nor taken from another user, and a semop the kernel refused is
 * never shown with bytes past the caller's array. Real runs of
 * tests/progs/shim_ops under LD_PRELOAD. */
#include "config.h"

#include "tlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static int lines_in(const char *path)
{
	struct tl_lines l;
	int n;

	tl_lines_load(&l, path);
	n = (int)l.n;
	tl_lines_free(&l);
	return n;
}

static void assert_file(const char *path, const char *want)
{
	char *s = tl_slurp(path);

	if (!s || strcmp(s, want))
		fail_msg("%s holds \"%s\", wanted \"%s\"", path, s ? s : "(no file)", want);
	free(s);
}

/* ------------------------------------------------------------- SIGPIPE */

static const char *const pipe_modes[] = {"default", "ignore", "handle", "block", "pending"};

/* shim_ops pipe-MODE with the sink a dead pipe or socket: the program
 * runs to its end, its signals and errno untouched. */
static void run_dead(const char *mode, struct tl_opts *r)
{
	char scenario[32], dead[16];
	const char *argv[] = {tl_prog("shim_ops"), scenario, NULL, dead, NULL};
	const char *out = tl_path("pipe.out");
	char *o;
	int st;

	snprintf(scenario, sizeof scenario, "pipe-%s", mode);
	snprintf(dead, sizeof dead, "%d", r->dead_pipe ? r->dead_pipe : r->dead_socket);
	argv[2] = tl_unique_name();
	r->out = out;
	st = tl_run(NULL, argv, r);
	o = tl_slurp(out);
	if (st != 0 || !o || strcmp(o, "done\n"))
		fail_msg("pipe-%s (sink %s, dead %s on %d): status %d, output:\n%s", mode,
			 r->trace_file ? r->trace_file : "stderr", r->dead_pipe ? "pipe" : "socket",
			 r->dead_pipe ? r->dead_pipe : r->dead_socket, st, o ? o : "(none)");
	free(o);
}

static void test_dead_pipe(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof pipe_modes / sizeof pipe_modes[0]; i++) {
		struct tl_opts stderr_pipe = {.preload = 1, .trace = "1", .dead_pipe = 2};
		struct tl_opts fd_pipe = {.preload = 1, .trace = "1", .trace_format = "json",
					 .trace_file = "fd:5", .dead_pipe = 5};
		struct tl_opts named_pipe = {.preload = 1, .trace = "1", .trace_file = "/dev/fd/6",
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
		struct tl_opts stderr_sock = {.preload = 1, .trace = "1", .dead_socket = 2};
		struct tl_opts fd_sock = {.preload = 1, .trace = "1", .trace_file = "fd:5", .dead_socket = 5};

		run_dead(pipe_modes[i], &stderr_sock);
		run_dead(pipe_modes[i], &fd_sock);
	}
}

/* A trace file beyond the file size limit: EFBIG for the shim, no SIGXFSZ
 * for the program. */
static void test_file_size_limit(void **state)
{
	const char *file = tl_path("full.txt");
	struct tl_opts r = {.preload = 1, .trace = "1", .trace_file = file, .fsize_limit = 100};
	const char *argv[] = {tl_prog("shim_ops"), "pipe-default", tl_unique_name(), NULL};
	struct stat st;

	(void)state;
	unlink(file);
	r.out = tl_path("fsize.out");
	assert_int_equal(tl_run(NULL, argv, &r), 0);
	assert_file(r.out, "done\n");
	assert_int_equal(stat(file, &st), 0);
	assert_true(st.st_size <= 100);
}

/* ------------------------------------------------------ standard error */

/* Descriptor 2 closed at start: the program's data file, opened later on
 * descriptor 2, holds only its data, whatever the sink. */
static void test_closed_stderr(void **state)
{
	const char *data = tl_path("data.txt"), *out = tl_path("data.out");
	const char *trace = tl_path("data.trace");
	const char *sinks[] = {NULL, "/dev/stderr", "fd:2", "/dev/fd/2", trace};
	const char *argv[] = {tl_prog("shim_ops"), "data", NULL, data, NULL};

	(void)state;
	for (size_t i = 0; i < sizeof sinks / sizeof sinks[0]; i++) {
		struct tl_opts r = {.preload = 1, .trace = "1", .trace_file = sinks[i], .out = out,
				   .closed = 1u << 2};

		unlink(trace);
		argv[2] = tl_unique_name();
		assert_int_equal(tl_run(NULL, argv, &r), 0);
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
	const char *data = tl_path("data2.txt"), *out = tl_path("data2.out");
	const char *err = tl_path("data2.err");
	const char *argv[] = {tl_prog("shim_ops"), "data-close", tl_unique_name(),
			data, NULL};
	struct tl_opts r = {.preload = 1, .trace = "1", .trace_format = "json", .out = out, .err = err};
	struct tl_events l;

	(void)state;
	assert_int_equal(tl_run(NULL, argv, &r), 0);
	assert_file(out, "fd 2\n");
	assert_file(data, "data 1\ndata 2\n");
	tl_events_load(&l, err);
	assert_int_equal(l.n, 3);
	tl_events_free(&l);
}

/* ------------------------------------------------------------ the file */

static void run_traced(const char *file, const char *err, int status)
{
	const char *argv[] = {tl_prog("shim_ops"), "pipe-default", tl_unique_name(), NULL};
	struct tl_opts r = {.preload = 1, .trace = "1", .trace_file = file, .err = err,
			   .out = tl_path("run.out")};

	assert_int_equal(tl_run(NULL, argv, &r), status);
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
	const char *target = tl_path("victim"), *link = tl_path("trace.link");
	const char *gone = tl_path("absent"), *dangling = tl_path("dangling.link");
	const char *err = tl_path("link.err");
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
	const char *file = tl_path("new.trace");
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
	const char *file = tl_path("theirs"), *err = tl_path("theirs.err");
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
	const char *err = tl_path("special.err"), *at7 = tl_path("at7.txt");
	const char *fifo = tl_path("events.fifo"), *flink = tl_path("fifo.link");
	const char *argv[] = {tl_prog("shim_ops"), "pipe-default", NULL, NULL};
	char buf[65536];
	ssize_t n;
	int rfd, lines = 0;

	(void)state;
	run_traced("/dev/stderr", err, 0);
	assert_int_equal(lines_in(err), 4);
	{
		struct tl_opts r = {.preload = 1, .trace = "1", .trace_file = "/dev/fd/7", .fd_from = 7,
				   .file_at_fd = at7};

		unlink(at7);
		argv[2] = tl_unique_name();
		assert_int_equal(tl_run(NULL, argv, &r), 0);
		assert_int_equal(lines_in(at7), 4);
		unlink(at7);
		r.trace_file = "/proc/self/fd/7";
		argv[2] = tl_unique_name();
		assert_int_equal(tl_run(NULL, argv, &r), 0);
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
	const char *file = tl_path("sops.json"), *out = tl_path("sops.out");
	const char *argv[] = {tl_prog("shim_ops"), "big-sops", "x", NULL};
	struct tl_opts r = {.preload = 1, .trace = "semop,semtimedop", .trace_format = "json",
			   .trace_file = file, .out = out};
	const char *nsops[] = {"2", "100000", "100000", "100000", "100", "3"};
	struct tl_events l;
	char buf[512];
	int st;

	(void)state;
	unlink(file);
	st = tl_run(NULL, argv, &r);
	if (st == 77)
		skip();
	assert_int_equal(st, 0);
	tl_events_load(&l, file);
	{
		struct tl_expect x[] = {
			{"semop", "IPC_PRIVATE", "0", NULL, NULL},
			{"semop", "IPC_PRIVATE", "-1", "E2BIG", NULL},
			{"semop", "IPC_PRIVATE", "-1", "E2BIG", NULL},
			{"semtimedop", "IPC_PRIVATE", "-1", "EFAULT", NULL},
			{"semop", "IPC_PRIVATE", "-1", "EFAULT", NULL},
			{"semop", "IPC_PRIVATE", "-1", "EFAULT", NULL},
		};

		tl_expect_events(&l, TL_ARGS_ALL, 0, x, 6);
	}
	assert_string_equal(tl_event_arg(&l.ev[0], "sops", buf, sizeof buf),
			    "[{\"num\":0,\"op\":1,\"flg\":\"0\"},{\"num\":0,\"op\":-1,\"flg\":\"0\"}]");
	/* the others: the count and the address, not the markers (0xa5a5)
	 * after the caller's two operations */
	for (size_t i = 0; i < l.n; i++) {
		assert_string_equal(tl_event_arg(&l.ev[i], "nsops", buf, sizeof buf), nsops[i]);
		if (i && strncmp(tl_event_arg(&l.ev[i], "sops", buf, sizeof buf), "0x", 2))
			fail_msg("event %zu shows %s", i, buf);
	}
	tl_events_free(&l);
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
	return TL_MAIN("shim_safety", tests, NULL, NULL);
}
