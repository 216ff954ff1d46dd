/* SPDX-License-Identifier: MIT */
/* nipc trace: run a command under libnipc-preload.so.
 *
 * nipc creates the trace buffer (a pool of rings in POSIX shared memory,
 * shim/ring.h) and names it in NIPC_TRACE_RING; each traced thread copies
 * its events into a ring of its own, and nipc reads them, merges them in
 * time order, formats them with the shim's own renderer and writes them
 * (standard error, or -o), with every lost event accounted for in place.
 * The buffer is removed when nipc ends, killed included (a watchdog
 * process removes it then). */
#include "config.h"

#include "launch.h"
#include "ring_read.h"
#include "trace_counters.h"
#include "../shim/trace_file.h"
#include "../shim/format.h"
#include "../shim/ring.h"

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

/* With --detach: after CMD exits, descendants still tracing get this long
 * of silence before nipc stops waiting for their events. */
#define DRAIN_IDLE_MS 2000
#define POLL_MS 5
#define LINE_MAX_BYTES 65536
#define MAX_OUT_FILES 256
#define RING_BYTES_DEFAULT (256 * 1024)
#define RING_BYTES_MIN (16 * 1024)
#define RING_BYTES_MAX (UINT64_C(1) << 30)
/* Rings in the pool: one per traced thread alive, or ended and not yet
 * read to its end (a fork-and-exec storm ends thousands a second). By
 * default 1024 (at most 256 GiB of sparse pool), never fewer than 128. */
#define RING_COUNT_DEFAULT 1024u
#define RING_COUNT_FLOOR 128u
#define RING_COUNT_MAX 65536u
#define RING_POOL_SPAN (UINT64_C(256) << 30)

struct opts {
	const char *output;
	const char *filter;
	int json, summary, no_follow, unnamed, counters;
	int events;             /* not -c: the events are written */
	int append, per_pid;    /* -A, -ff */
	struct fmt_prefix pfx;  /* -t, -tt, -ttt, -r, -T */
	uint64_t buffer_size;   /* bytes per ring */
	unsigned rings;         /* rings in the pool */
	int when_full;          /* enum ring_full */
	struct launch l;
	struct trace_counters ctr; /* --counters: the table */
	const char *ring;       /* NIPC_TRACE_RING */
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
	int tid;                /* show thread ids in text */
	long long off_sec;      /* the cached local time offset's second */
	long off;
	struct out_file files[MAX_OUT_FILES];
	size_t nfiles;
	FILE *single;  /* output without %p, or stderr */
	int warned_files;
	struct timespec prev;   /* -r: the previous event's time */
};

static const char usage_text[] =
	"usage: nipc trace [-o FILE [-A]] [-f|-ff] [--json] [-c|-C] [-t|-tt|-ttt] [-r] [-T]\n"
	"                  [--no-follow] [-e LIST] [--unnamed] [--counters]\n"
	"                  [--buffer-size SIZE] [--rings N] [--when-full discard|block]\n"
	"                  [--rules FILE] [--rule LINE]...\n"
	"                  [--namespace NAME] [--] CMD [ARGS...]\n"
	"\n"
	"Run CMD with libnipc-preload.so and report every System V and POSIX\n"
	"IPC call it (and, unless --no-follow, its children) makes, each object\n"
	"named by its key: nipc run with tracing.\n"
	"\n"
	"  -o, --output FILE  write events to FILE, emptied first (a %p in FILE\n"
	"                     becomes the pid, one file per process); default:\n"
	"                     standard error\n"
	"  -A, --append       append to FILE instead of emptying it\n"
	"  -f                 follow children (the default; see --no-follow)\n"
	"  -ff                with -o: one file per process, FILE.PID\n"
	"      --json         JSON Lines instead of strace-like text (\"v\":1)\n"
	"  -c, --summary-only no events: at the end, tables per operation (calls,\n"
	"                     errors, time, % time, as strace -c) and per object\n"
	"  -C, --summary      the events and, at the end, those tables; both go to\n"
	"                     FILE (stderr with %p or -ff); JSON with --json\n"
	"  -t, -tt, -ttt      time of day, with microseconds, or seconds since the\n"
	"                     epoch with microseconds, before each line\n"
	"  -r                 time since the previous event before each line\n"
	"  -T                 the time spent in the call, <S.uuuuuu>, at the end\n"
	"                     (any of -t -r -T: strace's line; none: nipc's, with\n"
	"                     HH:MM:SS.uuuuuu and <dur> in us or ms before key=)\n"
	"      --no-follow    trace only CMD's own process, not its children\n"
	"  -e, --filter LIST  trace only these families/operations, e.g.\n"
	"                     'sysv-shm,sysv-sem' or 'all,-sem_wait,-sem_post'\n"
	"                     (a leading 'trace=' is allowed; an unknown word is\n"
	"                     a usage error)\n"
	"      --unnamed      also trace waits and posts on unnamed semaphores\n"
	"                     (sem_init: thread locks, semaphores in shared\n"
	"                     memory); by default only on named ones (sem_open)\n"
	"      --counters     count the waits and posts of each named semaphore\n"
	"                     (contended calls, time blocked, a histogram) in\n"
	"                     shared memory; print the table at the end on stderr\n"
	"      --buffer-size SIZE  each traced thread's ring buffer (K, M suffixes;\n"
	"                     default 256K, at least 16K)\n"
	"      --rings N      rings in the pool: traced threads alive at once, plus\n"
	"                     those ended and not yet read (default 1024; 512\n"
	"                     with --buffer-size 512M, 256 with 1G)\n"
	"      --when-full discard|block  a full ring drops the event (counted and\n"
	"                     shown as lost; the default) or makes the thread wait\n"
	LAUNCH_OPTS_HELP
	"  -h, --help         show this help\n"
	"\n"
	"The shim is NIPC_PRELOAD if set, else the build tree's\n"
	"shim/.libs/libnipc-preload.so next to this nipc, else the installed one.\n"
	"-p PID is refused: the tracer is a preload library, loaded when a\n"
	"program starts, so nipc cannot attach to a running process.\n"
	"Calls the System V emulation handled end with [emulated]. Events that\n"
	"could not be recorded are shown where they were lost, as\n"
	"'--- lost N events (pid P) ---' ({\"lost\":N} in JSON), and counted in\n"
	"the summary: delivered plus lost is every event the programs made.\n"
	"Exit status: CMD's (128+N if killed by signal N); 1 if CMD was not\n"
	"started (rules with errors, the emulation unreachable, CMD cannot be\n"
	"run); 2 on a usage error.\n";

static const struct opt trace_opts[] = {
	LAUNCH_OPTS,
	{.name = "output", .short_name = 'o', .has_value = 1, .needs = "a file name"},
	{.name = "filter", .short_name = 'e', .has_value = 1, .needs = "a list"},
	{.name = "json"}, {.name = "summary", .short_name = 'C'}, {.name = "no-follow"},
	{.name = "unnamed"},
	{.name = "buffer-size", .has_value = 1, .once = 1, .needs = "a size"},
	{.name = "when-full", .has_value = 1, .once = 1, .needs = "discard or block"},
	{.name = "summary-only", .short_name = 'c'}, {.name = "append", .short_name = 'A'},
	{.name = "follow-forks", .short_name = 'f'}, {.name = "output-separately"},
	{.name = "timestamps", .short_name = 't'}, {.name = "syscall-times", .short_name = 'T'},
	{.name = "relative-timestamps", .short_name = 'r'},
	{.name = "attach", .short_name = 'p', .has_value = 1, .needs = "a pid"},
	{.name = "counters"},
	{.name = "rings", .has_value = 1, .once = 1, .needs = "a number"},
	{NULL}
};

/* strace's bundled flags, "-ff", "-ttt", "-cf": one argument per letter,
 * when every letter is an option without a value. The options only, up to
 * CMD; NULL if out of memory. */
static char **split_flags(int *pargc, char **argv)
{
	static char letter[128][3];
	int argc = *pargc, n = 0, i;
	char **v = calloc((size_t)argc * 8 + 1, sizeof *v);

	if (!v)
		return NULL;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const struct opt *t = NULL;
		size_t k;

		if (i && (a[0] != '-' || !a[1] || !strcmp(a, "--")))
			break;
		for (k = 1; i && a[1] != '-' && a[k] && k < 8; k++) {
			for (t = trace_opts; t->name && t->short_name != a[k]; t++)
				;
			if (!t->name || t->has_value || (a[k] & 0x80))
				break;
		}
		if (i && a[1] != '-' && k > 2 && !a[k]) {
			for (k = 1; a[k]; k++) {
				letter[(int)a[k]][0] = '-';
				letter[(int)a[k]][1] = a[k];
				v[n++] = letter[(int)a[k]];
			}
			continue;
		}
		v[n++] = argv[i];
		/* an option's value is never split */
		for (t = trace_opts; i && t->name; t++)
			if (t->has_value && i + 1 < argc &&
			    ((a[1] == '-' && !strcmp(a + 2, t->name)) ||
			     (a[1] != '-' && a[1] == t->short_name && !a[2])))
				v[n++] = argv[++i];
	}
	while (i < argc)
		v[n++] = argv[i++];
	*pargc = n;
	return v;
}

/* -e's words, checked with the shim's own parser before CMD starts. */
static int check_filter(const char *list)
{
	char bad[256], fams[256];
	struct out u = {bad, 0, sizeof bad - 1}, f = {fams, 0, sizeof fams - 1};
	int unnamed;

	shim_filter_parse(list, &unnamed, &u);
	if (!u.n)
		return 0;
	bad[u.n] = 0;
	for (int i = 0; i < FAM_COUNT; i++) {
		fmt_puts(&f, shim_family_name((enum shim_family)i));
		fmt_puts(&f, ", ");
	}
	fams[f.n] = 0;
	return usage_error("trace: -e: unknown %s '%s' (families: %sall; or call names such "
			   "as shm_open; a leading '-' excludes)",
			   strchr(bad, ' ') ? "words" : "word", bad, fams);
}

static int parse_args(struct opts *o, int argc, char **argv)
{
	struct cmdline c = {.who = "trace", .see = "nipc trace --help", .opts = trace_opts,
			    .flags = CL_STOP_AT_POSITIONAL};
	int rc = parse_cmdline(&c, argc, argv);
	unsigned long long n;
	uint64_t span;

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
	if (c.val[LAUNCH_NOPTS + 15])
		return usage_error("trace: -p %s: nipc cannot attach to a running process: its "
				   "tracer is a preload library, loaded when a program starts; "
				   "start the program under nipc trace instead",
				   c.val[LAUNCH_NOPTS + 15]);
	if (o->summary && c.seen[LAUNCH_NOPTS + 8])
		return usage_error("trace: -c (summary only) and -C (events and summary) "
				   "exclude each other");
	o->summary |= c.seen[LAUNCH_NOPTS + 8] > 0;
	o->events = !c.seen[LAUNCH_NOPTS + 8];
	o->append = c.seen[LAUNCH_NOPTS + 9] > 0;
	if ((c.seen[LAUNCH_NOPTS + 10] || c.seen[LAUNCH_NOPTS + 11]) && o->no_follow)
		return usage_error("trace: -f follows children, --no-follow does not: give one");
	o->per_pid = c.seen[LAUNCH_NOPTS + 10] > 1 || c.seen[LAUNCH_NOPTS + 11];
	if (c.seen[LAUNCH_NOPTS + 12] || c.seen[LAUNCH_NOPTS + 13] || c.seen[LAUNCH_NOPTS + 14]) {
		int t = c.seen[LAUNCH_NOPTS + 12];

		o->pfx.strace = !t ? 4 : t > 3 ? 3 : t;
		o->pfx.dur = c.seen[LAUNCH_NOPTS + 13] > 0;
		o->pfx.rel = c.seen[LAUNCH_NOPTS + 14] > 0;
	}
	if (o->filter && !strncmp(o->filter, "trace=", 6))
		o->filter += 6;
	o->buffer_size = RING_BYTES_DEFAULT;
	if (c.val[LAUNCH_NOPTS + 6] &&
	    (ring_parse_size(c.val[LAUNCH_NOPTS + 6], &o->buffer_size) ||
	     o->buffer_size < RING_BYTES_MIN || o->buffer_size > RING_BYTES_MAX))
		return usage_error("trace: --buffer-size '%s': a size from 16K to 1G",
				   c.val[LAUNCH_NOPTS + 6]);
	span = RING_POOL_SPAN / ring_round_bytes(o->buffer_size);
	o->rings = span > RING_COUNT_DEFAULT ? RING_COUNT_DEFAULT :
		   span < RING_COUNT_FLOOR ? RING_COUNT_FLOOR : (unsigned)span;
	if (c.val[LAUNCH_NOPTS + 17]) {
		if (parse_num(c.val[LAUNCH_NOPTS + 17], 1, RING_COUNT_MAX, &n))
			return usage_error("trace: --rings '%s': a number from 1 to %u",
					   c.val[LAUNCH_NOPTS + 17], RING_COUNT_MAX);
		o->rings = (unsigned)n;
	}
	if (c.val[LAUNCH_NOPTS + 7] && !strcmp(c.val[LAUNCH_NOPTS + 7], "block"))
		o->when_full = RING_BLOCK;
	else if (c.val[LAUNCH_NOPTS + 7] && strcmp(c.val[LAUNCH_NOPTS + 7], "discard"))
		return usage_error("trace: --when-full '%s': discard or block",
				   c.val[LAUNCH_NOPTS + 7]);
	o->counters = c.seen[LAUNCH_NOPTS + 16] > 0;
	if (!c.nrest)
		return usage_error("trace: no command given (usage: nipc trace [OPTIONS] -- CMD [ARGS...])");
	if (o->output && !*o->output)
		return usage_error("trace: empty output file name");
	if (o->filter && !*o->filter)
		return usage_error("trace: empty filter list");
	if ((size_t)snprintf(o->trace, sizeof o->trace, "%s%s", o->filter ? o->filter : "1",
			     o->unnamed ? ",unnamed" : "") >= sizeof o->trace)
		return usage_error("trace: filter list too long (over %d bytes)", (int)sizeof o->trace - 10);
	if (check_filter(o->trace))
		return EXIT_USAGE;
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

/* A regular file is emptied first, as strace's -o, unless append (-A);
 * never one of nipc's own descriptors (/dev/stderr: 2>>log stays). */
static FILE *open_output_file(const char *path, const char **why, int append)
{
	int fd = open_output(path, why);
	struct stat st;
	FILE *f;

	if (fd >= 0 && !append && tf_fd_name(path) < 0 && !fstat(fd, &st) && S_ISREG(st.st_mode) &&
	    ftruncate(fd, 0)) {
		*why = strerror(errno);
		close(fd);
		return NULL;
	}
	f = fd < 0 ? NULL : fdopen(fd, "a");
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
	setenv("NIPC_TRACE_CHILDREN", o->no_follow ? "0" : "1", 1);
	setenv(RING_ENV, o->ring, 1);
	unsetenv("NIPC_TRACE_FILE");
	if (o->counters)
		setenv("NIPC_COUNTERS", o->ctr.name, 1);
}

/* ---- the reader's side: events from the rings ---- */

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

/* The local time's offset from UTC at sec (nipc may call localtime; the
 * shim takes it once at start-up). */
static long utc_offset_at(long long sec)
{
	time_t t = (time_t)sec;
	struct tm tm;

	return localtime_r(&t, &tm) ? tm.tm_gmtoff : 0;
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
	if (!(f = open_output_file(path, &why, r->o->append))) {
		if (!r->warned_files++)
			fprintf(stderr, "nipc: trace: %s: %s\n", path, why);
		return NULL;
	}
	r->files[r->nfiles++] = (struct out_file){pid, f};
	return f;
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

/* The rows rolled up per operation (key unused), by total time; the
 * count of them, or 0 if out of memory. */
static size_t per_op(const struct reader *r, struct row **out)
{
	struct row *ops = calloc(r->nrows + 1, sizeof *ops);
	size_t n = 0, j;

	*out = ops;
	for (size_t i = 0; ops && i < r->nrows; i++) {
		const struct row *w = &r->rows[i];

		for (j = 0; j < n && strcmp(ops[j].op, w->op); j++)
			;
		if (j == n)
			ops[n++] = (struct row){"", w->op, 0, 0, 0};
		ops[j].calls += w->calls;
		ops[j].errors += w->errors;
		ops[j].total_ns += w->total_ns;
	}
	if (n)
		qsort(ops, n, sizeof *ops, by_total);
	return n;
}

/* strace -c's table, per operation. */
static void print_ops(FILE *f, const struct row *ops, size_t n, unsigned long long total)
{
	static const char rule[] = "------ ----------- ----------- --------- --------- ----------------\n";
	unsigned long long calls = 0, errors = 0;

	fputs("% time     seconds  usecs/call     calls    errors operation\n", f);
	fputs(rule, f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%6.2f %11.6f %11llu %9llu %9.0llu %s\n",
			total ? 100.0 * (double)ops[i].total_ns / (double)total : 0.0,
			ops[i].total_ns / 1e9, ops[i].total_ns / 1000 / ops[i].calls,
			ops[i].calls, ops[i].errors, ops[i].op);
		calls += ops[i].calls;
		errors += ops[i].errors;
	}
	fputs(rule, f);
	fprintf(f, "%6.2f %11.6f %11llu %9llu %9.0llu total\n", 100.0, total / 1e9,
		calls ? total / 1000 / calls : 0, calls, errors);
}

static void print_rows_json(FILE *f, const struct row *w, size_t n, int keys,
			    unsigned long long total)
{
	for (size_t i = 0; i < n; i++, w++) {
		fprintf(f, "%s{", i ? "," : "");
		if (keys) {
			fputs("\"key\":", f);
			json_string(f, w->key);
			fputc(',', f);
		}
		fputs("\"op\":", f);
		json_string(f, w->op);
		fprintf(f, ",\"calls\":%llu,\"errors\":%llu,\"total_ns\":%llu,\"mean_ns\":%llu",
			w->calls, w->errors, w->total_ns, w->total_ns / w->calls);
		if (!keys)
			fprintf(f, ",\"time_pct\":%.2f",
				total ? 100.0 * (double)w->total_ns / (double)total : 0.0);
		fputc('}', f);
	}
}

/* The summary as one JSON Lines record: {"v":1,"summary":{...}}. */
static void print_summary_json(FILE *f, const struct reader *r, const struct ring_reader *rr,
			       const struct row *ops, size_t nops, unsigned long long total)
{
	unsigned long long calls = 0, errors = 0, delivered, lost, n;
	long pid;

	for (size_t i = 0; i < nops; i++) {
		calls += ops[i].calls;
		errors += ops[i].errors;
	}
	ring_reader_counts(rr, &delivered, &lost);
	fputs("{\"v\":" FMT_JSON_V ",\"summary\":{\"ops\":[", f);
	print_rows_json(f, ops, nops, 0, total);
	fputs("],\"objects\":[", f);
	print_rows_json(f, r->rows, r->nrows, 1, total);
	fprintf(f, "],\"calls\":%llu,\"errors\":%llu,\"total_ns\":%llu,\"delivered\":%llu,"
		"\"lost\":%llu,\"lost_by_pid\":[", calls, errors, total, delivered, lost);
	for (size_t i = 0; ring_reader_pid_lost(rr, i, &pid, &n); i++)
		fprintf(f, "%s{\"pid\":%ld,\"lost\":%llu}", i ? "," : "", pid, n);
	fputs("]}}\n", f);
}

/* The tables, per operation (strace -c's) and per object and operation. */
static void print_summary(FILE *f, struct reader *r, const struct ring_reader *rr)
{
	unsigned long long calls = 0, errors = 0, total = 0;
	struct row *ops;
	size_t nops;

	if (r->nrows)
		qsort(r->rows, r->nrows, sizeof *r->rows, by_total);
	for (size_t i = 0; i < r->nrows; i++)
		total += r->rows[i].total_ns;
	nops = per_op(r, &ops);
	if (r->o->json) {
		print_summary_json(f, r, rr, ops, nops, total);
		free(ops);
		return;
	}
	print_ops(f, ops, nops, total);
	free(ops);
	fputc('\n', f);
	fprintf(f, "%8s %7s %12s %10s  %-14s %s\n", "calls", "errors", "total(us)",
		"mean(us)", "op", "key");
	for (size_t i = 0; i < r->nrows; i++) {
		const struct row *w = &r->rows[i];

		fprintf(f, "%8llu %7llu %12.3f %10.3f  %-14s %s\n", w->calls, w->errors,
			w->total_ns / 1e3, w->total_ns / 1e3 / (double)w->calls, w->op, w->key);
		calls += w->calls;
		errors += w->errors;
	}
	fprintf(f, "%8s %7s %12s %10s\n", "--------", "-------", "------------", "----------");
	fprintf(f, "%8llu %7llu %12.3f %10s  %s\n", calls, errors, total / 1e3, "", "total");
}

/* The losses, after the table: how many of the events made were lost,
 * and by which processes. */
static void print_lost(FILE *f, const struct ring_reader *rr, int summary)
{
	unsigned long long delivered, lost, n;
	long pid;

	ring_reader_counts(rr, &delivered, &lost);
	if (!lost)
		return;
	if (summary)
		fprintf(f, "%8llu %7s %12s %10s  %s (of %llu events made):", lost, "", "", "",
			"lost", delivered + lost);
	else
		fprintf(f, "nipc: trace: %llu of %llu events lost:", lost, delivered + lost);
	for (size_t i = 0; ring_reader_pid_lost(rr, i, &pid, &n); i++)
		if (pid)
			fprintf(f, " pid %ld: %llu", pid, n);
		else
			fprintf(f, " unknown process: %llu", n);
	fputc('\n', f);
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void put_line(FILE *f, struct out *o)
{
	fmt_end_line(o);
	fwrite(o->p, 1, o->n, f);
}

static void on_event(void *arg, const struct shim_event *e)
{
	struct reader *r = arg;
	char line[LINE_MAX_BYTES];
	struct out o = {line, 0, sizeof line - 1};
	FILE *f;

	struct fmt_prefix pfx = r->o->pfx;
	long long ns;

	count(r, e->key[0] ? e->key : "-", shim_op_name(e->op), e->failed, e->dur);
	if (!r->o->events || !(f = event_file(r, e->pid)))
		return;
	if (!r->o->json && (long long)e->ts.tv_sec != r->off_sec) {
		r->off_sec = e->ts.tv_sec;
		r->off = utc_offset_at(e->ts.tv_sec);
	}
	ns = r->prev.tv_sec ? (long long)(e->ts.tv_sec - r->prev.tv_sec) * 1000000000 +
			      (e->ts.tv_nsec - r->prev.tv_nsec) : 0;
	r->prev = e->ts;
	pfx.utc_offset = r->off;
	pfx.tid = r->tid;
	pfx.rel_ns = ns > 0 ? (unsigned long long)ns : 0;
	format_event(&o, e, r->o->json, &pfx);
	put_line(f, &o);
}

/* A loss in place: "--- lost N events (pid P) ---", or {"lost":N,...}. */
static void on_lost(void *arg, long pid, long tid, unsigned long long n,
		    const struct timespec *ts)
{
	struct reader *r = arg;
	char line[256];
	struct out o = {line, 0, sizeof line - 1};
	FILE *f;

	if (!r->o->events || !(f = pid || r->single ? event_file(r, pid) : stderr))
		return;
	if (r->o->json) {
		fmt_puts(&o, "{\"v\":" FMT_JSON_V ",\"ts\":");
		fmt_put_i(&o, (long long)ts->tv_sec);
		fmt_putc(&o, '.');
		fmt_put_u(&o, (unsigned long long)ts->tv_nsec, 9);
		fmt_puts(&o, ",\"pid\":");
		fmt_put_i(&o, pid);
		fmt_puts(&o, ",\"tid\":");
		fmt_put_i(&o, tid);
		fmt_puts(&o, ",\"lost\":");
		fmt_put_u(&o, n, 1);
		fmt_putc(&o, '}');
	} else {
		fmt_puts(&o, "--- lost ");
		fmt_put_u(&o, n, 1);
		fmt_puts(&o, n == 1 ? " event (" : " events (");
		if (pid) {
			fmt_puts(&o, "pid ");
			fmt_put_i(&o, pid);
		} else {
			fmt_puts(&o, "unknown process");
		}
		fmt_puts(&o, ") ---");
	}
	put_line(f, &o);
}

/* ---- the buffer's life ---- */

static struct ring_reader *live_pool;

static void on_term(int sig)
{
	if (live_pool)
		ring_reader_unlink(live_pool);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A process that outlives nipc only to remove the buffer's name when nipc
 * ends in any way (SIGKILL included): it waits for the end of a pipe only
 * nipc holds. Double-forked before CMD starts, so it is never one of the
 * processes nipc waits for. */
static int start_watchdog(const char *name, const char *name2)
{
	int p[2], st, null;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[1]);
		if (fork() != 0)
			_exit(0);
		setsid();
		/* nobody waits for the end of nipc's output because of us */
		null = open("/dev/null", O_RDWR);
		for (int fd = 0; fd < 3 && null >= 0; fd++)
			dup2(null, fd);
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		ring_name_unlink(name);
		if (name2)
			ring_name_unlink(name2);
		_exit(0);
	}
	close(p[0]);
	waitpid(pid, &st, 0);
	/* p[1] stays open until nipc ends */
	return 0;
}

/* Reads the rings until CMD has exited and, as the subreaper of its tree
 * (launch.c), every descendant too, daemons included; with --detach,
 * until CMD has exited and the traced threads left are gone or silent
 * for DRAIN_IDLE_MS. Returns CMD's wait status. */
static int read_rings(struct reader *r, struct ring_reader *rr, pid_t pid)
{
	const struct ring_sink sink = {on_event, on_lost, r};
	const struct timespec nap = {0, POLL_MS * 1000000L};
	int status = 0, done = 0, st, all = !r->o->l.detach;
	long last = now_ms();

	for (;;) {
		pid_t w;

		if (ring_reader_poll(rr, 0, &sink))
			last = now_ms();
		/* CMD, and the orphans of its tree re-parented to nipc */
		while ((w = waitpid(all ? -1 : pid, &st, WNOHANG)) > 0)
			if (w == pid) {
				status = st;
				done = 1;
				last = now_ms();
			}
		if (w < 0 && errno == ECHILD) {
			if (!done) {
				done = 1;
				last = now_ms();
			}
			if (all)
				break;
		}
		if (done && !all && (!ring_reader_live(rr) || now_ms() - last > DRAIN_IDLE_MS))
			break;
		nanosleep(&nap, NULL);
	}
	/* what the processes wrote last, and what the merge window held */
	ring_reader_poll(rr, 0, &sink);
	ring_reader_poll(rr, 1, &sink);
	return status;
}

static int run_ring(struct opts *o)
{
	const char *why;
	struct reader *r;
	struct ring_reader *rr = NULL;
	char name[64];
	const char *tid_env = getenv("NIPC_TRACE_TID");
	int status, rc = EXIT_FAIL;
	FILE *sum;
	pid_t pid;

	if (!(r = calloc(1, sizeof *r)))
		return fail("trace: out of memory");
	r->o = o;
	r->single = stderr;
	r->tid = !(tid_env && !strcmp(tid_env, "0"));
	r->off_sec = -1;
	if (o->output) {
		if (absolute_path(o->output, r->abs_output, sizeof r->abs_output))
			goto out;
		/* -ff: FILE.PID, unless FILE says where the pid goes */
		if (o->per_pid && !strstr(r->abs_output, "%p") &&
		    strlen(r->abs_output) + 4 > sizeof r->abs_output) {
			fail("trace: %s: file name too long", o->output);
			goto out;
		}
		if (o->per_pid && !strstr(r->abs_output, "%p"))
			strcat(r->abs_output, ".%p");
		if (check_output(r->abs_output))
			goto out;
		r->single = NULL;
		if (!strstr(r->abs_output, "%p") &&
		    !(r->single = open_output_file(r->abs_output, &why, o->append))) {
			fail("trace: %s: %s", r->abs_output, why);
			goto out;
		}
	}
	/* the watchdog first: no moment when a killed nipc leaves the buffer */
	ring_name_make(name, sizeof name);
	if (o->counters)
		trace_counters_name(&o->ctr);
	if (start_watchdog(name, o->counters ? o->ctr.name : NULL)) {
		fail("trace: cannot start: %s", strerror(errno));
		goto out;
	}
	if (o->counters && trace_counters_create(&o->ctr))
		goto out;
	if (!(rr = ring_reader_new(name, o->buffer_size, o->rings, o->when_full)))
		goto out;
	live_pool = rr;
	signal(SIGTERM, on_term);
	signal(SIGHUP, on_term);
	o->ring = ring_reader_name(rr);
	if (!launch_spawn(&o->l, trace_env, o, &pid)) {
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		status = read_rings(r, rr, pid);
		for (size_t i = 0; i < r->nfiles; i++)
			fclose(r->files[i].f);
		r->nfiles = 0;
		fflush(stderr);
		/* as strace: the summary goes where the events go, one file */
		sum = r->single ? r->single : stderr;
		if (o->summary)
			print_summary(sum, r, rr);
		if (!(o->summary && o->json))
			print_lost(o->summary ? sum : stderr, rr, o->summary);
		if (r->single && r->single != stderr)
			fclose(r->single);
		r->single = NULL;
		rc = launch_exit_status(status);
	}
out:
	if (rr) {
		live_pool = NULL;
		ring_reader_free(rr);
	}
	if (r->single && r->single != stderr)
		fclose(r->single);
	for (size_t i = 0; i < r->nfiles; i++)
		fclose(r->files[i].f);
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
	char **args = split_flags(&argc, argv);
	int rc;

	if (!args)
		return fail("trace: out of memory");
	if ((rc = parse_args(&o, argc, args)) || (rc = launch_prepare(&o.l))) {
		free(args);
		return rc < 0 ? EXIT_OK : rc;
	}
	rc = run_ring(&o);
	if (o.counters && o.ctr.t) {
		fflush(stderr);
		trace_counters_print(&o.ctr, stderr, o.json);
		trace_counters_close(&o.ctr, 1);
	}
	free(args);
	return rc;
}
