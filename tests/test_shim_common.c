/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_shim_common.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <semaphore.h>

extern char **environ;

static char scratch_dir[PATH_MAX];

static const char *builddir(void)
{
	const char *v = getenv("NIPC_TOP_BUILDDIR");

	if (!v || v[0] != '/') {
		fprintf(stderr, "NIPC_TOP_BUILDDIR must be an absolute path (run through make check)\n");
		abort();
	}
	return v;
}

const char *ts_prog(const char *name)
{
	static char buf[8][PATH_MAX];
	static int i;
	char *b = buf[i++ % 8];

	snprintf(b, PATH_MAX, "%s/tests/progs/%s", builddir(), name);
	return b;
}

const char *ts_shim(void)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof buf, "%s/shim/.libs/libnipc-preload.so", builddir());
	return buf;
}

/* ---------------------------------------------------------------- cleanup */

#define MAX_CLEAN 256
static char *clean_names[MAX_CLEAN];
static size_t n_names;
static struct { char *path; int id; } clean_sysv[MAX_CLEAN];
static size_t n_sysv;

void ts_cleanup_name(const char *name)
{
	if (n_names < MAX_CLEAN)
		clean_names[n_names++] = strdup(name);
}

void ts_cleanup_sysv(const char *path, int id)
{
	if (n_sysv < MAX_CLEAN) {
		clean_sysv[n_sysv].path = strdup(path);
		clean_sysv[n_sysv++].id = id;
	}
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void ts_cleanup(void)
{
	for (size_t i = 0; i < n_names; i++) {
		char sub[512];

		shm_unlink(clean_names[i]);
		sem_unlink(clean_names[i]);
		/* the forked and exec'd children's names */
		snprintf(sub, sizeof sub, "%s.f", clean_names[i]);
		shm_unlink(sub);
		snprintf(sub, sizeof sub, "%s.x", clean_names[i]);
		shm_unlink(sub);
		snprintf(sub, sizeof sub, "%s.x.f", clean_names[i]);
		shm_unlink(sub);
		free(clean_names[i]);
	}
	n_names = 0;
	for (size_t i = 0; i < n_sysv; i++) {
		key_t k = ftok(clean_sysv[i].path, clean_sysv[i].id);
		int id;

		if (k != -1 && (id = shmget(k, 0, 0)) >= 0)
			shmctl(id, IPC_RMID, NULL);
		if (k != -1 && (id = semget(k, 0, 0)) >= 0)
			semctl(id, 0, IPC_RMID);
		free(clean_sysv[i].path);
	}
	n_sysv = 0;
	if (scratch_dir[0])
		nftw(scratch_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	scratch_dir[0] = 0;
}

const char *ts_scratch(void)
{
	static int registered;
	const char *tmp = getenv("TMPDIR");

	if (scratch_dir[0])
		return scratch_dir;
	if (!tmp || tmp[0] != '/')
		tmp = "/tmp";
	snprintf(scratch_dir, sizeof scratch_dir, "%s/nipc-shim-test-XXXXXX", tmp);
	if (!mkdtemp(scratch_dir)) {
		fprintf(stderr, "mkdtemp %s: %s\n", scratch_dir, strerror(errno));
		abort();
	}
	chmod(scratch_dir, 0755);
	if (!registered++)
		atexit(ts_cleanup);
	return scratch_dir;
}

static int key_unused(key_t k)
{
	return k != -1 && shmget(k, 0, 0) < 0 && errno == ENOENT && semget(k, 0, 0) < 0 &&
	       errno == ENOENT;
}

const char *ts_sysv_keyfile(const char *name)
{
	static char buf[4][PATH_MAX];
	static int n;
	char *b = buf[n++ % 4];

	for (int i = 0; i < 1000; i++) {
		int fd;

		snprintf(b, PATH_MAX, "%s/%s.%d", ts_scratch(), name, i);
		fd = open(b, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			continue;
		close(fd);
		/* a colliding file stays, so the next one gets another inode */
		if (key_unused(ftok(b, 'Q')) && key_unused(ftok(b, 7))) {
			ts_cleanup_sysv(b, 'Q');
			ts_cleanup_sysv(b, 7);
			return b;
		}
	}
	return NULL;
}

const char *ts_path(const char *name)
{
	static char buf[8][PATH_MAX];
	static int i;
	char *b = buf[i++ % 8];

	snprintf(b, PATH_MAX, "%s/%s", ts_scratch(), name);
	return b;
}

const char *ts_unique(void)
{
	static char buf[8][64];
	static int i, n;
	char *b = buf[i++ % 8];

	snprintf(b, 64, "/nipc-test-%ld-%d", (long)getpid(), ++n);
	ts_cleanup_name(b);
	ts_scratch();
	return b;
}

/* ---------------------------------------------------------------- running */

static void add_env(char **env, size_t *n, const char *name, const char *value)
{
	char *s;

	if (!value)
		return;
	if (asprintf(&s, "%s=%s", name, value) < 0)
		abort();
	env[(*n)++] = s;
}

static char **child_env(const struct ts_run *r)
{
	size_t n = 0, cap = 16;
	char **env;

	for (char **e = environ; *e; e++)
		cap++;
	env = calloc(cap, sizeof *env);
	if (!env)
		abort();
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "LD_PRELOAD=", 11) && strncmp(*e, "NIPC_TRACE", 10) &&
		    strncmp(*e, "ASAN_OPTIONS=", 13))
			env[n++] = *e;
	add_env(env, &n, "NIPC_TRACE", r->trace);
	add_env(env, &n, "NIPC_TRACE_FILE", r->file);
	add_env(env, &n, "NIPC_TRACE_FORMAT", r->format);
	add_env(env, &n, "NIPC_TRACE_CHILDREN", r->children);
	for (int i = 0; i < 4 && r->extra[i]; i++)
		env[n++] = (char *)r->extra[i];
	if (r->preload) {
#ifdef NIPC_ASAN_RUNTIME
		char pre[2 * PATH_MAX];

		/* An ASan-built shim needs the ASan runtime loaded first. */
		snprintf(pre, sizeof pre, "%s:%s", NIPC_ASAN_RUNTIME, ts_shim());
		add_env(env, &n, "LD_PRELOAD", pre);
		add_env(env, &n, "ASAN_OPTIONS", "detect_leaks=0");
#else
		add_env(env, &n, "LD_PRELOAD", ts_shim());
#endif
	}
	env[n] = NULL;
	return env;
}

static void redirect(int fd, const char *path)
{
	int f = open(path ? path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (f < 0 || dup2(f, fd) < 0)
		_exit(126);
	if (f != fd)
		close(f);
}

/* Puts the writing end of a pipe (or one end of a socket pair) on fd, with
 * the other end closed: writing there fails with EPIPE (and SIGPIPE). */
static int dead_end(int fd, int socket)
{
	int p[2];

	if (socket ? socketpair(AF_UNIX, SOCK_STREAM, 0, p) : pipe(p))
		return -1;
	close(p[0]);
	if (p[1] != fd) {
		if (dup2(p[1], fd) < 0)
			return -1;
		close(p[1]);
	}
	return 0;
}

int ts_run(char *const argv[], const struct ts_run *r)
{
	char **env = child_env(r);
	int st, timeout = r->timeout ? r->timeout : 60;
	struct timespec nap = {0, 2000000};
	long waited = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		redirect(1, r->out);
		redirect(2, r->err);
		if (r->fd_from > 0) {
			int f = open(r->file_at_fd, O_WRONLY | O_CREAT | O_APPEND, 0644);

			if (f < 0 || dup2(f, r->fd_from) < 0)
				_exit(126);
		}
		if (r->dead_pipe > 0 && dead_end(r->dead_pipe, 0))
			_exit(126);
		if (r->dead_socket > 0 && dead_end(r->dead_socket, 1))
			_exit(126);
		for (int fd = 0; fd < 32; fd++)
			if (r->closed & 1u << fd)
				close(fd);
		if (r->fsize_limit > 0) {
			struct rlimit rl = {(rlim_t)r->fsize_limit, (rlim_t)r->fsize_limit};

			if (setrlimit(RLIMIT_FSIZE, &rl))
				_exit(126);
		}
		if (r->uid && (setgroups(0, NULL) || setgid(r->uid) || setuid(r->uid)))
			_exit(126);
		execve(argv[0], argv, env);
		_exit(127);
	}
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (++waited > timeout * 500L) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			fprintf(stderr, "# %s: killed after %d s\n", argv[0], timeout);
			break;
		}
		nanosleep(&nap, NULL);
	}
	for (size_t i = 0; env[i]; i++)
		if (!strncmp(env[i], "NIPC_TRACE", 10) || !strncmp(env[i], "LD_PRELOAD=", 11) ||
		    !strncmp(env[i], "ASAN_OPTIONS=", 13)) {
			int extra = 0;

			for (int j = 0; j < 4 && r->extra[j]; j++)
				extra |= env[i] == r->extra[j];
			if (!extra)
				free(env[i]);
		}
	free(env);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

/* ------------------------------------------------------------------ lines */

char *ts_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	{
		FILE *m = open_memstream(&buf, &len);
		char chunk[65536];
		size_t got;

		while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
			fwrite(chunk, 1, got, m);
		fclose(m);
	}
	fclose(f);
	return buf;
}

void ts_load(struct ts_lines *l, const char *path)
{
	char *all = ts_slurp(path), *p, *nl;
	size_t cap = 0;

	l->line = NULL;
	l->n = 0;
	if (!all)
		return;
	for (p = all; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl); /* every line ends with a newline */
		if (l->n == cap) {
			cap = cap ? cap * 2 : 64;
			l->line = realloc(l->line, cap * sizeof *l->line);
			assert_non_null(l->line);
		}
		l->line[l->n++] = strndup(p, (size_t)(nl - p));
	}
	free(all);
}

void ts_free(struct ts_lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->line[i]);
	free(l->line);
	l->line = NULL;
	l->n = 0;
}

static const char *const required[] = {
	"ts", "pid", "tid", "op", "args", "ret", "errno", "dur_ns", "key"
};

void ts_parse(struct tj_doc *d, const char *line)
{
	const struct tj_node *n;
	size_t i = 0;

	if (tj_parse(d, line, strlen(line)) != 0 || d->node[0].type != TJ_OBJ)
		fail_msg("not a JSON object: %s", line);
	for (n = tj_child(d, &d->node[0]); n && i < 9; n = tj_next(d, n), i++)
		if (strcmp(n->name, required[i]))
			fail_msg("key %zu is %s, not %s: %s", i, n->name, required[i], line);
	if (i != 9)
		fail_msg("missing keys: %s", line);
}

struct sbuf {
	char *p;
	size_t n, len;
};

static void sput(struct sbuf *b, const char *s)
{
	size_t l = strlen(s);

	if (b->n + l >= b->len)
		l = b->len - 1 - b->n;
	memcpy(b->p + b->n, s, l);
	b->n += l;
	b->p[b->n] = 0;
}

static void render(const struct tj_doc *d, const struct tj_node *n, struct sbuf *b, int quote)
{
	const struct tj_node *c;
	int first = 1;

	switch (n->type) {
	case TJ_NULL:
		sput(b, "null");
		return;
	case TJ_STR:
		if (quote)
			sput(b, "\"");
		sput(b, n->text);
		if (quote)
			sput(b, "\"");
		return;
	case TJ_NUM:
	case TJ_BOOL:
		sput(b, n->text);
		return;
	case TJ_ARR:
	case TJ_OBJ:
		sput(b, n->type == TJ_ARR ? "[" : "{");
		for (c = tj_child(d, n); c; c = tj_next(d, c)) {
			if (!first)
				sput(b, ",");
			first = 0;
			if (n->type == TJ_OBJ) {
				sput(b, "\"");
				sput(b, c->name);
				sput(b, "\":");
			}
			render(d, c, b, 1);
		}
		sput(b, n->type == TJ_ARR ? "]" : "}");
		return;
	}
}

const char *ts_field(const struct tj_doc *d, const char *name, char *buf, size_t len)
{
	const struct tj_node *n = tj_get(d, &d->node[0], name);
	struct sbuf b = {buf, 0, len};

	buf[0] = 0;
	if (!n)
		return NULL;
	render(d, n, &b, 0);
	return buf;
}

const char *ts_arg(const struct tj_doc *d, const char *name, char *buf, size_t len)
{
	const struct tj_node *args = tj_get(d, &d->node[0], "args");
	const struct tj_node *n = args ? tj_get(d, args, name) : NULL;
	struct sbuf b = {buf, 0, len};

	buf[0] = 0;
	if (!n)
		return NULL;
	render(d, n, &b, 0);
	return buf;
}

/* "name=value;…" of all the arguments. */
static void render_args(const struct tj_doc *d, char *buf, size_t len)
{
	const struct tj_node *args = tj_get(d, &d->node[0], "args");
	struct sbuf b = {buf, 0, len};

	buf[0] = 0;
	for (const struct tj_node *c = args ? tj_child(d, args) : NULL; c; c = tj_next(d, c)) {
		if (b.n)
			sput(&b, ";");
		sput(&b, c->name);
		sput(&b, "=");
		render(d, c, &b, 0);
	}
}

static int match_event(const struct tj_doc *d, const struct ts_expect *x, long pid, char *why, size_t wlen)
{
	char got[4096];

	ts_field(d, "op", got, sizeof got);
	if (strcmp(got, x->op))
		return snprintf(why, wlen, "op %s, wanted %s", got, x->op), 0;
	ts_field(d, "pid", got, sizeof got);
	if (pid && atol(got) != pid)
		return snprintf(why, wlen, "pid %s, wanted %ld", got, pid), 0;
	ts_field(d, "key", got, sizeof got);
	if (strcmp(got, x->key ? x->key : "null"))
		return snprintf(why, wlen, "key %s, wanted %s", got, x->key ? x->key : "null"), 0;
	ts_field(d, "ret", got, sizeof got);
	if (strcmp(x->ret, "*") && (!strcmp(x->ret, "ptr") ? strncmp(got, "0x", 2) : strcmp(got, x->ret)))
		return snprintf(why, wlen, "ret %s, wanted %s", got, x->ret), 0;
	ts_field(d, "errno", got, sizeof got);
	if (strcmp(got, x->err ? x->err : "null"))
		return snprintf(why, wlen, "errno %s, wanted %s", got, x->err ? x->err : "null"), 0;
	if (x->args) {
		render_args(d, got, sizeof got);
		if (strcmp(got, x->args))
			return snprintf(why, wlen, "args %s, wanted %s", got, x->args), 0;
	}
	return 1;
}

void ts_expect_events(const struct ts_lines *l, const struct ts_expect *x, size_t n, long pid)
{
	static struct tj_doc d;
	char why[8192];
	int ok = l->n == n;

	for (size_t i = 0; ok && i < n; i++) {
		ts_parse(&d, l->line[i]);
		if (!match_event(&d, &x[i], pid, why, sizeof why)) {
			print_message("# event %zu: %s\n", i, why);
			ok = 0;
		}
	}
	if (!ok) {
		print_message("# wanted %zu events, got %zu:\n", n, l->n);
		for (size_t i = 0; i < l->n; i++)
			print_message("#   %s\n", l->line[i]);
		fail_msg("events differ");
	}
}
