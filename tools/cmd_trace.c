/* SPDX-License-Identifier: MIT */
/* nipc trace: run a command under libnipc-preload.so.
 *
 * Without --summary nipc only sets the environment and waits: the shim in
 * each traced process writes its own events. With --summary the shim writes
 * JSON Lines into a FIFO that nipc reads while the command runs; nipc then
 * writes the events the user asked for itself and adds the table at the end.
 * A FIFO reached by path (not an inherited descriptor) survives programs
 * that close every descriptor before exec, as Python's subprocess does. */
#include "config.h"

#include "launch.h"
#include "trace_counters.h"
#include "trace_json.h"
#include "../shim/trace_file.h"
#include "../shim/format.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* After CMD exits, descendants still holding the FIFO get this long of
 * silence before nipc stops waiting for their events. */
#define DRAIN_IDLE_MS 2000
#define LINE_MAX_BYTES 65536
#define MAX_OUT_FILES 256

struct opts {
	const char *output;
	const char *filter;
	int json, summary, no_follow, unnamed, counters;
	struct launch l;
	struct trace_counters ctr; /* --counters: the table */
	const char *file;       /* NIPC_TRACE_FILE, NULL: none */
	char trace[4096];       /* NIPC_TRACE: the filter, ",unnamed" */
};

struct row {
	char *key, *op;
	unsigned long long calls, errors, total_ns;
};

struct out_file {
	long pid;
	FILE *f;
};

struct reader {
	const struct opts *o;
	char abs_output[PATH_MAX];
	struct row *rows;
	size_t nrows, cap;
	unsigned long long bad_lines;
	struct out_file files[MAX_OUT_FILES];
	size_t nfiles;
	FILE *single;  /* output without %p, or stderr */
	int warned_files;
	char line[LINE_MAX_BYTES];
	char keybuf[TJ_MAX_TEXT + 2];
	size_t len;
	int overlong;
	struct tj_doc doc;
};

static const char usage_text[] =
	"usage: nipc trace [-o FILE] [--json] [--summary] [--no-follow] [-e LIST]\n"
	"                  [--unnamed] [--counters] [--rules FILE] [--rule LINE]...\n"
	"                  [--namespace NAME] [--] CMD [ARGS...]\n"
	"\n"
	"Run CMD with libnipc-preload.so and report every System V and POSIX\n"
	"IPC call it (and, unless --no-follow, its children) makes, each object\n"
	"named by its key: nipc run with tracing.\n"
	"\n"
	"  -o, --output FILE  write events to FILE (a %p in FILE becomes the pid,\n"
	"                     one file per process); default: standard error\n"
	"      --json         JSON Lines instead of strace-like text\n"
	"  -c, --summary      at the end, print a table per key and operation\n"
	"                     (calls, errors, total and mean time) on stderr\n"
	"      --no-follow    trace only CMD's own process, not its children\n"
	"  -e, --filter LIST  trace only these families/operations, e.g.\n"
	"                     'sysv-shm,sysv-sem' or 'all,-sem_wait,-sem_post'\n"
	"      --unnamed      also trace waits and posts on unnamed semaphores\n"
	"                     (sem_init: thread locks, semaphores in shared\n"
	"                     memory); by default only on named ones (sem_open)\n"
	"      --counters     count the waits and posts of each named semaphore\n"
	"                     (contended calls, time blocked, a histogram) in\n"
	"                     shared memory; print the table at the end on stderr\n"
	LAUNCH_OPTS_HELP
	"  -h, --help         show this help\n"
	"\n"
	"The shim is NIPC_PRELOAD if set, else the build tree's\n"
	"shim/.libs/libnipc-preload.so next to this nipc, else the installed one.\n"
	"Calls the System V emulation handled end with [emulated].\n"
	"Exit status: CMD's (128+N if killed by signal N); 1 if CMD was not\n"
	"started (rules with errors, the emulation unreachable, CMD cannot be\n"
	"run); 2 on a usage error.\n";

static const struct opt trace_opts[] = {
	LAUNCH_OPTS,
	{.name = "output", .short_name = 'o', .has_value = 1, .needs = "a file name"},
	{.name = "filter", .short_name = 'e', .has_value = 1, .needs = "a list"},
	{.name = "json"}, {.name = "summary", .short_name = 'c'}, {.name = "no-follow"},
	{.name = "unnamed"}, {.name = "counters"}, {NULL}
};

static int parse_args(struct opts *o, int argc, char **argv)
{
	struct cmdline c = {.who = "trace", .see = "nipc trace --help", .opts = trace_opts,
			    .flags = CL_STOP_AT_POSITIONAL};
	int rc = parse_cmdline(&c, argc, argv);

	if (rc == CL_HELP)
		fputs(usage_text, stdout);
	if (rc)
		return rc;
	o->output = c.val[LAUNCH_NOPTS + 0];
	o->filter = c.val[LAUNCH_NOPTS + 1];
	o->json = c.seen[LAUNCH_NOPTS + 2] > 0;
	o->summary = c.seen[LAUNCH_NOPTS + 3] > 0;
	o->no_follow = c.seen[LAUNCH_NOPTS + 4] > 0;
	o->unnamed = c.seen[LAUNCH_NOPTS + 5] > 0;
	o->counters = c.seen[LAUNCH_NOPTS + 6] > 0;
	if (!c.nrest)
		return usage_error("trace: no command given (usage: nipc trace [OPTIONS] -- CMD [ARGS...])");
	if (o->output && !*o->output)
		return usage_error("trace: empty output file name");
	if (o->filter && !*o->filter)
		return usage_error("trace: empty filter list");
	if ((size_t)snprintf(o->trace, sizeof o->trace, "%s%s", o->filter ? o->filter : "1",
			     o->unnamed ? ",unnamed" : "") >= sizeof o->trace)
		return usage_error("trace: filter list too long (over %d bytes)", (int)sizeof o->trace - 10);
	o->l.who = "trace";
	launch_take(&o->l, &c);
	return 0;
}

static int absolute_path(const char *path, char *out, size_t len)
{
	char cwd[PATH_MAX];

	if (path[0] == '/') {
		if (strlen(path) >= len)
			return fail("trace: %s: file name too long", path);
		strcpy(out, path);
		return 0;
	}
	if (!getcwd(cwd, sizeof cwd))
		return fail("trace: cannot get the current directory: %s", strerror(errno));
	if ((size_t)snprintf(out, len, "%s/%s", cwd, path) >= len)
		return fail("trace: %s: file name too long", path);
	return 0;
}

/* Opens an output file by the shim's rules for NIPC_TRACE_FILE (no
 * symbolic link to a regular file, no file of another user, new files
 * 0600; /dev/stderr and /dev/fd/N name nipc's own descriptors). -1 with
 * *why on failure. */
static int open_output(const char *path, const char **why)
{
	enum tf_status st;
	int fd = tf_fd_name(path);

	if (fd >= 0) {
		fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		*why = fd < 0 ? strerror(errno) : NULL;
		return fd;
	}
	fd = tf_open(path, &st);
	*why = st == TF_OK ? NULL
	     : st == TF_SYMLINK ? "is a symbolic link (not followed)"
	     : st == TF_OWNER ? "owned by another user"
	     : st == TF_TYPE ? "not a regular file, character device or FIFO"
	     : strerror(errno);
	return fd;
}

static FILE *open_output_file(const char *path, const char **why)
{
	int fd = open_output(path, why);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "a");

	if (fd >= 0 && !f) {
		*why = strerror(errno);
		close(fd);
	}
	return f;
}

/* The shim would only say once per process that it cannot write FILE and
 * carry on untraced: check up front, so a bad -o is a clear error. */
static int check_output(const char *path)
{
	char dir[PATH_MAX];
	const char *why;
	int fd;

	if (!strstr(path, "%p")) {
		fd = open_output(path, &why);
		if (fd < 0)
			return fail("trace: %s: %s", path, why);
		close(fd);
		return 0;
	}
	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	if (access(dir[0] ? dir : "/", W_OK | X_OK))
		return fail("trace: %s: %s", dir[0] ? dir : "/", strerror(errno));
	return 0;
}

/* Runs in the child between fork and exec: tracing's variables. */
static void trace_env(const void *arg)
{
	const struct opts *o = arg;

	setenv("NIPC_TRACE", o->trace, 1);
	setenv("NIPC_TRACE_FORMAT", o->json || o->summary ? "json" : "text", 1);
	setenv("NIPC_TRACE_CHILDREN", o->no_follow ? "0" : "1", 1);
	if (o->file)
		setenv("NIPC_TRACE_FILE", o->file, 1);
	else
		unsetenv("NIPC_TRACE_FILE");
	if (o->counters)
		setenv("NIPC_COUNTERS", o->ctr.name, 1);
}

/* ---- summary mode: events from the FIFO ---- */

/* The number of errno name, 0 if unknown. */
static int errno_num(const char *name)
{
	for (int e = 1; e < 512; e++) {
		const char *n = strerrorname_np(e);

		if (n && !strcmp(n, name))
			return e;
	}
	return 0;
}

static void count(struct reader *r, const char *key, const char *op, int failed,
		  unsigned long long ns)
{
	struct row *w = NULL;

	for (size_t i = 0; i < r->nrows; i++)
		if (!strcmp(r->rows[i].key, key) && !strcmp(r->rows[i].op, op)) {
			w = &r->rows[i];
			break;
		}
	if (!w) {
		char *k = strdup(key), *o = strdup(op);

		if (r->nrows == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 64;
			struct row *rows = realloc(r->rows, cap * sizeof *rows);

			if (!rows) {
				free(k);
				free(o);
				r->bad_lines++;
				return;
			}
			r->rows = rows;
			r->cap = cap;
		}
		if (!k || !o) {
			free(k);
			free(o);
			r->bad_lines++;
			return;
		}
		w = &r->rows[r->nrows++];
		*w = (struct row){k, o, 0, 0, 0};
	}
	w->calls++;
	w->errors += failed != 0;
	w->total_ns += ns;
}

static int is_path_arg(const char *name);

/* A JSON value as the shim's text line shows it: strings of path arguments
 * quoted with C escapes, symbols bare, semop lists space-separated. */
static void put_value(struct out *o, const struct tj_doc *d, const struct tj_node *v,
		      int quote)
{
	switch (v->type) {
	case TJ_NULL:
		fmt_puts(o, "NULL");
		break;
	case TJ_STR:
		if (quote)
			fmt_put_str(o, v->text, 0);
		else
			fmt_puts(o, v->text);
		break;
	case TJ_ARR:
	case TJ_OBJ:
		fmt_putc(o, v->type == TJ_ARR ? '[' : '{');
		for (const struct tj_node *k = tj_child(d, v); k; k = tj_next(d, k)) {
			/* the members of mq_attr and sigevent by name, as strace */
			if (k->name && (!strncmp(k->name, "mq_", 3) || !strncmp(k->name, "sigev_", 6))) {
				fmt_puts(o, k->name);
				fmt_putc(o, '=');
			}
			put_value(o, d, k, k->name && is_path_arg(k->name));
			if (k->next >= 0)
				fmt_puts(o, v->type == TJ_ARR ? " " : ", ");
		}
		fmt_putc(o, v->type == TJ_ARR ? ']' : '}');
		break;
	default:
		fmt_puts(o, v->text);
	}
}

static int is_path_arg(const char *name)
{
	return !strcmp(name, "name") || !strcmp(name, "path") || !strcmp(name, "pathname") ||
	       !strcmp(name, "msg_ptr") || !strcmp(name, "mtext");
}

/* The local time's offset from UTC at sec (nipc may call localtime; the
 * shim takes it once at start-up). */
static long utc_offset_at(long long sec)
{
	time_t t = (time_t)sec;
	struct tm tm;

	return localtime_r(&t, &tm) ? tm.tm_gmtoff : 0;
}

/* The event's key as a text line shows it: a key file found by a search
 * (JSON "key_from":"search") ends in "?". buf, key itself, or NULL. */
static const char *text_key(const struct tj_doc *d, const struct tj_node *ev, char *buf,
			    size_t len)
{
	const char *key = tj_str(tj_get(d, ev, "key")), *from = tj_str(tj_get(d, ev, "key_from"));

	if (!key || !from || strcmp(from, "search"))
		return key;
	snprintf(buf, len, "%s?", key);
	return buf;
}

/* One JSON event as the shim's own text line (the same renderer). */
static void print_text(FILE *f, const struct tj_doc *d, const struct tj_node *ev)
{
	const struct tj_node *args = tj_get(d, ev, "args"), *ret = tj_get(d, ev, "ret");
	const struct tj_node *ts = tj_get(d, ev, "ts"), *emul;
	char keybuf[TJ_MAX_TEXT + 2];
	const char *err = tj_str(tj_get(d, ev, "errno")), *key = text_key(d, ev, keybuf, sizeof keybuf);
	const char *op_name = tj_str(tj_get(d, ev, "op")) ? tj_str(tj_get(d, ev, "op")) : "?";
	const char *tid_env = getenv("NIPC_TRACE_TID");
	char line[LINE_MAX_BYTES];
	struct out o = {line, 0, sizeof line - 1};
	long long sec = 0;
	long nsec = 0;

	if (ts && ts->text) {
		const char *dot = strchr(ts->text, '.');

		sec = strtoll(ts->text, NULL, 10);
		nsec = dot ? strtol(dot + 1, NULL, 10) : 0;
	}
	fmt_line_head(&o, (long)tj_int(tj_get(d, ev, "pid"), 0),
		      tid_env && !strcmp(tid_env, "0") ? -1 : (long)tj_int(tj_get(d, ev, "tid"), 0),
		      sec, nsec, utc_offset_at(sec));
	fmt_puts(&o, op_name);
	fmt_putc(&o, '(');
	for (const struct tj_node *a = tj_child(d, args); a; a = tj_next(d, a)) {
		/* a message's text, not its address: only when the call succeeded */
		put_value(&o, d, a, a->name && is_path_arg(a->name) &&
			  !(err && !strcmp(a->name, "msg_ptr")));
		if (a->next >= 0)
			fmt_puts(&o, ", ");
	}
	fmt_puts(&o, ") = ");
	/* A key_t reads best in hex, as ipcs(1) shows it. */
	if (ret && ret->type == TJ_NUM && !err && !strcmp(op_name, "ftok"))
		fmt_put_hex(&o, (unsigned)tj_int(ret, 0), 8);
	else if (ret)
		put_value(&o, d, ret, 0);
	emul = tj_get(d, ev, "emulated");
	fmt_line_tail(&o, err != NULL, err ? errno_num(err) : 0, err,
		      (unsigned long long)tj_int(tj_get(d, ev, "dur_ns"), 0), key,
		      emul && emul->type == TJ_BOOL && emul->text && !strcmp(emul->text, "true"));
	fmt_end_line(&o);
	fwrite(line, 1, o.n, f);
}

static FILE *event_file(struct reader *r, long pid)
{
	char path[PATH_MAX];
	const char *why;
	FILE *f;

	if (r->single)
		return r->single;
	for (size_t i = 0; i < r->nfiles; i++)
		if (r->files[i].pid == pid)
			return r->files[i].f;
	if (r->nfiles == MAX_OUT_FILES) {
		if (!r->warned_files++)
			fprintf(stderr, "nipc: trace: more than %d processes; further events "
				"go to the last file\n", MAX_OUT_FILES);
		return r->files[r->nfiles - 1].f;
	}
	if (fmt_put_pattern(&(struct out){path, 0, sizeof path}, r->abs_output, pid))
		return NULL;
	if (!(f = open_output_file(path, &why))) {
		if (!r->warned_files++)
			fprintf(stderr, "nipc: trace: %s: %s\n", path, why);
		return NULL;
	}
	r->files[r->nfiles++] = (struct out_file){pid, f};
	return f;
}

static void handle_line(struct reader *r, const char *line, size_t len)
{
	const struct tj_node *ev, *op;
	const char *key, *err;
	FILE *f;

	if (tj_parse(&r->doc, line, len) < 0 || r->doc.node[0].type != TJ_OBJ) {
		r->bad_lines++;
		return;
	}
	ev = &r->doc.node[0];
	op = tj_get(&r->doc, ev, "op");
	if (!tj_str(op)) {
		r->bad_lines++;
		return;
	}
	key = text_key(&r->doc, ev, r->keybuf, sizeof r->keybuf);
	err = tj_str(tj_get(&r->doc, ev, "errno"));
	count(r, key ? key : "-", tj_str(op), err != NULL,
	      (unsigned long long)tj_int(tj_get(&r->doc, ev, "dur_ns"), 0));
	if (!(f = event_file(r, (long)tj_int(tj_get(&r->doc, ev, "pid"), 0))))
		return;
	if (r->o->json) {
		fwrite(line, 1, len, f);
		fputc('\n', f);
	} else {
		print_text(f, &r->doc, ev);
	}
}

static void feed(struct reader *r, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			if (r->overlong)
				r->bad_lines++;
			else if (r->len)
				handle_line(r, r->line, r->len);
			r->len = 0;
			r->overlong = 0;
		} else if (r->len < sizeof r->line) {
			r->line[r->len++] = buf[i];
		} else {
			r->overlong = 1;
		}
	}
}

static int by_total(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c;

	if (x->total_ns != y->total_ns)
		return x->total_ns < y->total_ns ? 1 : -1;
	if ((c = strcmp(x->key, y->key)))
		return c;
	return strcmp(x->op, y->op);
}

static void print_summary(struct reader *r)
{
	unsigned long long calls = 0, errors = 0, total = 0;

	if (r->nrows)
		qsort(r->rows, r->nrows, sizeof *r->rows, by_total);
	fprintf(stderr, "%8s %7s %12s %10s  %-14s %s\n", "calls", "errors", "total(us)",
		"mean(us)", "op", "key");
	for (size_t i = 0; i < r->nrows; i++) {
		const struct row *w = &r->rows[i];

		fprintf(stderr, "%8llu %7llu %12.3f %10.3f  %-14s %s\n", w->calls, w->errors,
			w->total_ns / 1e3, w->total_ns / 1e3 / (double)w->calls, w->op, w->key);
		calls += w->calls;
		errors += w->errors;
		total += w->total_ns;
	}
	fprintf(stderr, "%8s %7s %12s %10s\n", "--------", "-------", "------------", "----------");
	fprintf(stderr, "%8llu %7llu %12.3f %10s  %s\n", calls, errors, total / 1e3, "", "total");
	if (r->bad_lines)
		fprintf(stderr, "nipc: trace: %llu malformed event line(s) ignored\n", r->bad_lines);
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Descendants that outlive CMD still hold the FIFO; a writer without a
 * reader would get SIGPIPE, so a detached child keeps reading (and
 * discarding) until the last of them has closed it. */
static void keep_draining(int rfd)
{
	char buf[4096];
	ssize_t n;
	pid_t pid = fork();

	if (pid != 0)
		return;
	setsid();
	fcntl(rfd, F_SETFL, fcntl(rfd, F_GETFL) & ~O_NONBLOCK);
	do
		n = read(rfd, buf, sizeof buf);
	while (n > 0 || (n < 0 && errno == EINTR));
	_exit(0);
}

/* Reads events until CMD has exited and every other writer has closed the
 * FIFO (or stayed silent for DRAIN_IDLE_MS). Returns CMD's wait status. */
static int read_events(struct reader *r, int rfd, int *wfd, pid_t pid)
{
	char buf[16384];
	int status = 0, done = 0, eof = 0;
	long last = 0;

	for (;;) {
		struct pollfd p = {rfd, POLLIN, 0};
		int rc = poll(&p, 1, 100);
		ssize_t n;

		if (rc < 0 && errno != EINTR)
			break;
		if (rc > 0) {
			n = read(rfd, buf, sizeof buf);
			if (n > 0) {
				feed(r, buf, (size_t)n);
				last = now_ms();
				continue;
			}
			if (n == 0 && done) {
				eof = 1;
				break;
			}
		}
		if (!done) {
			pid_t w = waitpid(pid, &status, WNOHANG);

			if (w == pid || (w < 0 && errno == ECHILD)) {
				done = 1;
				last = now_ms();
				close(*wfd);
				*wfd = -1;
			}
		} else if (now_ms() - last > DRAIN_IDLE_MS) {
			break;
		}
	}
	if (!done)
		waitpid(pid, &status, 0);
	if (!eof)
		keep_draining(rfd);
	return status;
}

static int make_fifo(char *dir, size_t dlen, char *fifo, size_t flen)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || tmp[0] != '/')
		tmp = "/tmp";
	if ((size_t)snprintf(dir, dlen, "%s/nipc-trace-XXXXXX", tmp) >= dlen)
		return fail("trace: TMPDIR too long");
	if (!mkdtemp(dir))
		return fail("trace: cannot make a directory in %s: %s", tmp, strerror(errno));
	snprintf(fifo, flen, "%s/events", dir);
	if (mkfifo(fifo, 0600)) {
		int e = errno;

		rmdir(dir);
		return fail("trace: mkfifo %s: %s", fifo, strerror(e));
	}
	return 0;
}

static int run_summary(struct opts *o)
{
	char dir[PATH_MAX], fifo[PATH_MAX + 16];
	const char *why;
	struct reader *r;
	int rfd, wfd, status, rc = EXIT_FAIL;
	pid_t pid;

	if (!(r = calloc(1, sizeof *r)))
		return fail("trace: out of memory");
	/* a line per write: the traced programs write to the same stderr */
	setvbuf(stderr, NULL, _IOLBF, BUFSIZ);
	r->o = o;
	r->single = stderr;
	if (o->output) {
		if (absolute_path(o->output, r->abs_output, sizeof r->abs_output) ||
		    check_output(r->abs_output))
			goto out;
		r->single = NULL;
		if (!strstr(r->abs_output, "%p") &&
		    !(r->single = open_output_file(r->abs_output, &why))) {
			fail("trace: %s: %s", r->abs_output, why);
			goto out;
		}
	}
	if (make_fifo(dir, sizeof dir, fifo, sizeof fifo))
		goto out;
	/* Our own writer keeps the FIFO from reading as EOF before CMD opens it. */
	rfd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	wfd = rfd < 0 ? -1 : open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (rfd < 0 || wfd < 0) {
		fail("trace: open %s: %s", fifo, strerror(errno));
	} else if (o->file = fifo, !launch_spawn(&o->l, trace_env, o, &pid)) {
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		status = read_events(r, rfd, &wfd, pid);
		if (r->len)
			handle_line(r, r->line, r->len);
		for (size_t i = 0; i < r->nfiles; i++)
			fclose(r->files[i].f);
		if (r->single && r->single != stderr)
			fclose(r->single);
		r->single = NULL;
		fflush(stderr);
		print_summary(r);
		rc = launch_exit_status(status);
	}
	if (rfd >= 0)
		close(rfd);
	if (wfd >= 0)
		close(wfd);
	unlink(fifo);
	rmdir(dir);
out:
	if (r->single && r->single != stderr)
		fclose(r->single);
	for (size_t i = 0; i < r->nrows; i++) {
		free(r->rows[i].key);
		free(r->rows[i].op);
	}
	free(r->rows);
	free(r);
	return rc;
}

int cmd_trace(int argc, char **argv)
{
	struct opts o = {0};
	char file[PATH_MAX];
	int rc;
	pid_t pid;

	if ((rc = parse_args(&o, argc, argv)))
		return rc < 0 ? EXIT_OK : rc;
	if (o.output && (absolute_path(o.output, file, sizeof file) || check_output(file)))
		return EXIT_FAIL;
	if ((rc = launch_prepare(&o.l)))
		return rc;
	if (o.counters && trace_counters_create(&o.ctr))
		return EXIT_FAIL;
	if (o.summary) {
		rc = run_summary(&o);
	} else {
		o.file = o.output ? file : NULL;
		rc = launch_spawn(&o.l, trace_env, &o, &pid) ? EXIT_FAIL : launch_wait(&o.l, pid);
	}
	if (o.counters) {
		fflush(stderr);
		trace_counters_print(&o.ctr, stderr, o.json);
		trace_counters_close(&o.ctr, 1);
	}
	return rc;
}
