/* SPDX-License-Identifier: MIT */
/* tlib: scratch directories, the process runner, the trace-event loader and
 * expectations, and the ledger of IPC objects; see tlib.h. */
#include "config.h"

#include "tlib.h"
#include "trace_json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <mqueue.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		abort();
	return p;
}

/* A static rotating buffer: the result stays valid for the next 7 calls. */
#define ROT 8
static char *rot(char (*bufs)[PATH_MAX], int *i)
{
	return bufs[(*i)++ % ROT];
}

/* dir + sub + name in the next of the caller's rotating buffers. */
static const char *join(char (*bufs)[PATH_MAX], int *i, const char *dir, const char *sub,
			const char *name)
{
	char *b = rot(bufs, i);

	snprintf(b, PATH_MAX, "%s%s%s", dir, sub, name);
	return b;
}

/* ---------------------------------------------------------------- paths */

static const char *env_dir(const char *name)
{
	const char *v = getenv(name);

	if (!v || v[0] != '/') {
		fprintf(stderr, "%s must be an absolute path (run through make check)\n", name);
		abort();
	}
	return v;
}

const char *tl_builddir(void)
{
	return env_dir("NIPC_TOP_BUILDDIR");
}

const char *tl_srcdir(void)
{
	return env_dir("NIPC_TOP_SRCDIR");
}

const char *tl_prog(const char *name)
{
	static char buf[ROT][PATH_MAX];
	static int i;

	return join(buf, &i, tl_builddir(), "/tests/progs/", name);
}

const char *tl_nipc(void)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof buf, "%s/tools/nipc", tl_builddir());
	return buf;
}

const char *tl_shim(void)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof buf, "%s/shim/.libs/libnipc-preload.so", tl_builddir());
	return buf;
}

int tl_shim_asan(void)
{
#ifdef NIPC_ASAN_RUNTIME
	return 1;
#else
	return 0;
#endif
}

long long tl_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* -------------------------------------------------------------- scratch */

static char scratch_dir[PATH_MAX];

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

/* The scratch directory's contents (not the directory itself). */
static int rm_inside(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	return f->level ? rm_one(path, st, flag, f) : 0;
}

void tl_scratch_empty(void)
{
	if (scratch_dir[0])
		nftw(scratch_dir, rm_inside, 16, FTW_DEPTH | FTW_PHYS);
}

void tl_scratch_remove(void)
{
	if (scratch_dir[0])
		nftw(scratch_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	scratch_dir[0] = 0;
}

static void at_exit(void);

const char *tl_scratch(void)
{
	const char *tmp = getenv("TMPDIR");

	if (scratch_dir[0])
		return scratch_dir;
	if (!tmp || tmp[0] != '/')
		tmp = "/tmp";
	snprintf(scratch_dir, sizeof scratch_dir, "%s/nipc-test-%ld-XXXXXX", tmp, (long)getpid());
	if (!mkdtemp(scratch_dir)) {
		fprintf(stderr, "mkdtemp %s: %s\n", scratch_dir, strerror(errno));
		abort();
	}
	chmod(scratch_dir, 0755);
	at_exit();
	return scratch_dir;
}

const char *tl_scratch_real(void)
{
	static char real[PATH_MAX];

	if (!real[0] && !realpath(tl_scratch(), real))
		abort();
	return real;
}

const char *tl_new_path(const char *name)
{
	const char *p = tl_path(name);

	unlink(p);
	return p;
}

const char *tl_path(const char *name)
{
	static char buf[ROT][PATH_MAX];
	static int i;

	return join(buf, &i, tl_scratch(), "/", name);
}

int tl_run_buf(const char *const argv[], const struct tl_opts *o, char *out, size_t outsize,
	       size_t *outlen, char *err, size_t errsize)
{
	struct tl_proc p;
	int rc = tl_run(&p, argv, o);
	size_t n = p.o.len < outsize - 1 ? p.o.len : outsize - 1;

	memcpy(out, p.o.p, n);
	out[n] = 0;
	*outlen = n;
	snprintf(err, errsize, "%s", p.e.p);
	tl_proc_free(&p);
	return rc;
}

const char *tl_need_python_module(const char *configured, const char *module, const char *package)
{
	static char python[PATH_MAX];
	const char *cand[] = {"/usr/bin/python3", configured};
	char code[128];

	snprintf(code, sizeof code, "import %s", module);
	python[0] = 0;
	for (size_t i = 0; i < TL_LEN(cand) && !python[0]; i++) {
		const char *argv[] = {cand[i], "-c", code, NULL};

		if (cand[i] && cand[i][0] && !access(cand[i], X_OK) &&
		    tl_run(NULL, argv, &(struct tl_opts){.timeout = 60}) == 0)
			snprintf(python, sizeof python, "%s", cand[i]);
	}
	if (!python[0]) {
		print_message("# no python3 with the %s module (package %s): not run\n", module, package);
		skip();
	}
	return python;
}

static char pg_bin[PATH_MAX];

const char *tl_need_postgres(void)
{
	DIR *d = opendir("/usr/lib/postgresql");
	struct dirent *e;
	int best = 0;

	while (d && (e = readdir(d))) {
		char path[PATH_MAX];

		snprintf(path, sizeof path, "/usr/lib/postgresql/%s/bin/postgres", e->d_name);
		if (atoi(e->d_name) > best && !access(path, X_OK)) {
			best = atoi(e->d_name);
			snprintf(pg_bin, sizeof pg_bin, "/usr/lib/postgresql/%s/bin", e->d_name);
		}
	}
	if (d)
		closedir(d);
	if (!best) {
		print_message("# no /usr/lib/postgresql/*/bin/postgres (package postgresql): not run\n");
		skip();
	}
	return pg_bin;
}

const char *tl_pg(const char *prog)
{
	static char buf[4][PATH_MAX + 64];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", pg_bin, prog);
	return buf[i];
}

int tl_run_files(const char *const argv[], const char *out, const char *err)
{
	struct tl_opts o = {.out = out ? out : "/dev/null", .err = err ? err : "/dev/null"};

	return tl_run(NULL, argv, &o);
}

char *tl_slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[65536];

	if (!f)
		return NULL;
	buf = xrealloc(NULL, 1);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		buf = xrealloc(buf, len + n + 1);
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	buf[len] = 0;
	return buf;
}

int tl_lines_load(struct tl_lines *l, const char *path)
{
	char *all = tl_slurp(path), *p, *nl;
	size_t cap = 0;

	l->line = NULL;
	l->n = 0;
	if (!all)
		return -1;
	for (p = all; *p; p = nl + 1) {
		if (!(nl = strchr(p, '\n'))) {
			free(all);
			fail_msg("%s: the last line has no newline", path);
		}
		if (l->n == cap) {
			cap = cap ? cap * 2 : 64;
			l->line = xrealloc(l->line, cap * sizeof *l->line);
		}
		if (!(l->line[l->n++] = strndup(p, (size_t)(nl - p))))
			abort();
	}
	free(all);
	return 0;
}

void tl_lines_free(struct tl_lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->line[i]);
	free(l->line);
	l->line = NULL;
	l->n = 0;
}

int tl_dir_entries(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

char *tl_unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; w++) {
		unsigned x;

		if (r[0] == '\\' && r[1] == 'x' && sscanf(r + 2, "%2x", &x) == 1) {
			*w = (char)x;
			r += 4;
		} else {
			*w = r[0] == '\\' && r[1] == '\\' ? *r++ : *r;
			r++;
		}
	}
	*w = 0;
	return s;
}

/* ------------------------------------------------------------ processes */

#define MAX_CHILDREN 64
static pid_t children[MAX_CHILDREN];

static void track(pid_t pid, pid_t old)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] == old) {
			children[i] = pid;
			return;
		}
}

void tl_adopt(pid_t pid)
{
	track(pid, 0);
}

void tl_forget(pid_t pid)
{
	track(0, pid);
}

void tl_kill_all(void)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
			children[i] = 0;
		}
}

static int env_named(const char *e, const char *name)
{
	size_t n = strcspn(name, "=");

	return !strncmp(e, name, n) && e[n] == '=';
}

static int inherited(const char *e, const struct tl_opts *o)
{
	if (env_named(e, "LD_PRELOAD") || !strncmp(e, "NIPC_TRACE", 10) ||
	    (o->preload && env_named(e, "ASAN_OPTIONS")))
		return 0;
	for (size_t i = 0; o->env && o->env[i]; i++)
		if (env_named(e, o->env[i]))
			return 0;
	return 1;
}

static void add_env(char **env, size_t *n, const char *name, const char *value)
{
	char *s;

	if (!value)
		return;
	if (asprintf(&s, "%s=%s", name, value) < 0)
		abort();
	env[(*n)++] = s;
}

/* The child's environment (allocated in the child only). */
static char **child_env(const struct tl_opts *o)
{
	size_t n = 0, cap = 8;
	char **env;

	for (char **e = environ; *e; e++)
		cap++;
	for (size_t i = 0; o->env && o->env[i]; i++)
		cap++;
	env = xrealloc(NULL, cap * sizeof *env);
	for (char **e = environ; *e; e++)
		if (inherited(*e, o))
			env[n++] = *e;
	add_env(env, &n, "NIPC_TRACE", o->trace);
	add_env(env, &n, "NIPC_TRACE_FILE", o->trace_file);
	add_env(env, &n, "NIPC_TRACE_FORMAT", o->trace_format);
	add_env(env, &n, "NIPC_TRACE_CHILDREN", o->trace_children);
	for (size_t i = 0; o->env && o->env[i]; i++)
		if (strchr(o->env[i], '='))
			env[n++] = (char *)o->env[i];
	if (o->preload) {
		static char pre[2 * PATH_MAX + 16];
#ifdef NIPC_ASAN_RUNTIME
		/* An ASan-built shim needs the ASan runtime loaded first. */
		snprintf(pre, sizeof pre, "LD_PRELOAD=%s:%s", NIPC_ASAN_RUNTIME, tl_shim());
		env[n++] = (char *)"ASAN_OPTIONS=detect_leaks=0";
#else
		snprintf(pre, sizeof pre, "LD_PRELOAD=%s", tl_shim());
#endif
		env[n++] = pre;
	}
	env[n] = NULL;
	return env;
}

static void to_file(int fd, const char *path)
{
	int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

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

static void child(const char *const argv[], const struct tl_opts *o, const int in[2],
		  const int out[2], const int err[2])
{
	char **env = child_env(o);

	signal(SIGPIPE, o->sigpipe_ignore ? SIG_IGN : SIG_DFL);
	if (dup2(in[0], 0) < 0)
		_exit(126);
	if (o->out)
		to_file(1, o->out);
	else if (dup2(out[1], 1) < 0)
		_exit(126);
	if (o->err)
		to_file(2, o->err);
	else if (dup2(err[1], 2) < 0)
		_exit(126);
	if (o->fd_from > 0) {
		int f = open(o->file_at_fd, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (f < 0 || dup2(f, o->fd_from) < 0)
			_exit(126);
	}
	if (o->dead_pipe > 0 && dead_end(o->dead_pipe, 0))
		_exit(126);
	if (o->dead_socket > 0 && dead_end(o->dead_socket, 1))
		_exit(126);
	for (int fd = 0; fd < 32; fd++)
		if (o->closed & 1u << fd)
			close(fd);
	if (o->fsize_limit > 0) {
		struct rlimit rl = {(rlim_t)o->fsize_limit, (rlim_t)o->fsize_limit};

		if (setrlimit(RLIMIT_FSIZE, &rl))
			_exit(126);
	}
	if (o->uid && (setgroups(0, NULL) || setgid(o->uid) || setuid(o->uid)))
		_exit(126);
	execvpe(argv[0], (char *const *)argv, env);
	dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Output buffers not freed yet: a process a test never frees keeps its
 * output until the end (it may be read after tl_wait), then it is freed. */
static char **live;
static size_t n_live;

/* The slot of buffer p (NULL: a free slot, made if none). */
static size_t live_slot(const char *p)
{
	for (size_t i = 0; i < n_live; i++)
		if (live[i] == p)
			return i;
	live = xrealloc(live, (n_live + 1) * sizeof *live);
	live[n_live] = NULL;
	return n_live++;
}

static void buf_resize(struct tl_buf *b, size_t cap)
{
	size_t i = live_slot(b->p);

	b->cap = cap;
	b->p = xrealloc(b->p, cap);
	live[i] = b->p;
}

static void buf_init(struct tl_buf *b)
{
	b->p = NULL;
	buf_resize(b, 4096);
	b->p[0] = 0;
	b->len = 0;
}

static void buf_free(struct tl_buf *b)
{
	if (b->p)
		live[live_slot(b->p)] = NULL;
	free(b->p);
	b->p = NULL;
	b->len = 0;
}

int tl_start(struct tl_proc *p, const char *const argv[], const struct tl_opts *o)
{
	static const struct tl_opts none;
	int in[2], out[2] = {-1, -1}, err[2] = {-1, -1};

	if (!o)
		o = &none;
	memset(p, 0, sizeof *p);
	p->in = p->out = p->err = -1;
	buf_init(&p->o);
	buf_init(&p->e);
	/* A child that ends early must not kill the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(in, O_CLOEXEC))
		return -1;
	if ((!o->out && pipe2(out, O_CLOEXEC)) || (!o->err && pipe2(err, O_CLOEXEC))) {
		close(in[0]);
		close(in[1]);
		close_fd(&out[0]);
		close_fd(&out[1]);
		return -1;
	}
	fflush(NULL);
	p->pid = fork();
	if (p->pid == 0)
		child(argv, o, in, out, err);
	close(in[0]);
	close_fd(&out[1]);
	close_fd(&err[1]);
	p->in = in[1];
	p->out = out[0];
	p->err = err[0];
	if (p->pid < 0) {
		tl_close_in(p);
		close_fd(&p->out);
		close_fd(&p->err);
		return -1;
	}
	track(p->pid, 0);
	fcntl(p->in, F_SETFL, O_NONBLOCK);
	if (p->out >= 0)
		fcntl(p->out, F_SETFL, O_NONBLOCK);
	if (p->err >= 0)
		fcntl(p->err, F_SETFL, O_NONBLOCK);
	if (o->closed & 1)
		tl_close_in(p);
	return 0;
}

void tl_close_in(struct tl_proc *p)
{
	close_fd(&p->in);
	p->feed_len = 0;
}

/* Reads what fd has now into b; closes fd at EOF. */
static void drain(int *fd, struct tl_buf *b)
{
	ssize_t n;

	while (*fd >= 0) {
		if (b->cap - b->len < 4097)
			buf_resize(b, b->cap * 2);
		n = read(*fd, b->p + b->len, b->cap - b->len - 1);
		if (n > 0) {
			b->len += (size_t)n;
			b->p[b->len] = 0;
		} else if (n == 0 || errno != EINTR) {
			if (n == 0 || errno != EAGAIN)
				close_fd(fd);
			return;
		}
	}
}

/* Writes what it can of the pending stdin data. */
static void feed(struct tl_proc *p)
{
	while (p->in >= 0 && p->feed_len) {
		ssize_t w = write(p->in, p->feed, p->feed_len);

		if (w > 0) {
			p->feed += w;
			p->feed_len -= (size_t)w;
		} else if (errno == EAGAIN) {
			return;
		} else if (errno != EINTR) {
			tl_close_in(p);
		}
	}
}

/* Waits up to ms for any of the pipes, then reads and writes what it can. */
static void pump(struct tl_proc *p, int ms)
{
	struct pollfd f[3];
	int n = 0;

	if (p->in >= 0 && p->feed_len)
		f[n++] = (struct pollfd){p->in, POLLOUT, 0};
	if (p->out >= 0)
		f[n++] = (struct pollfd){p->out, POLLIN, 0};
	if (p->err >= 0)
		f[n++] = (struct pollfd){p->err, POLLIN, 0};
	if (poll(f, (nfds_t)n, ms) < 0 && errno != EINTR)
		usleep(1000);
	feed(p);
	drain(&p->out, &p->o);
	drain(&p->err, &p->e);
}

int tl_write(struct tl_proc *p, const char *s)
{
	p->feed = s;
	p->feed_len = strlen(s);
	while (p->in >= 0 && p->feed_len)
		pump(p, 100);
	return p->feed_len ? -1 : 0;
}

int tl_line(struct tl_proc *p, char *line, size_t len, int timeout_ms)
{
	long long deadline = tl_mono_ns() + timeout_ms * 1000000LL;

	for (;;) {
		char *nl = memchr(p->o.p, '\n', p->o.len);
		long long left;

		if (nl) {
			size_t n = (size_t)(nl - p->o.p);

			snprintf(line, len, "%.*s", (int)n, p->o.p);
			p->o.len -= n + 1;
			memmove(p->o.p, nl + 1, p->o.len + 1);
			return 1;
		}
		if (p->out < 0)
			return -1;
		left = (deadline - tl_mono_ns()) / 1000000;
		if (left <= 0)
			return 0;
		pump(p, (int)(left < 50 ? left : 50));
	}
}

int tl_running(const struct tl_proc *p)
{
	siginfo_t si;

	memset(&si, 0, sizeof si);
	return p->pid > 0 && waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid == 0;
}

int tl_wait(struct tl_proc *p, int timeout_ms)
{
	long long deadline = tl_mono_ns() + timeout_ms * 1000000LL;
	int st = 0, killed = 0;
	pid_t r, pid = p->pid;

	if (!p->feed_len)
		tl_close_in(p);
	if (p->pid <= 0)
		return p->status = -1;
	while ((r = waitpid(p->pid, &st, WNOHANG)) != p->pid) {
		if (r < 0 && errno != EINTR)
			break;
		if (!killed && tl_mono_ns() > deadline) {
			kill(p->pid, SIGKILL);
			killed = 1;
			print_message("# pid %ld killed after %d ms\n", (long)p->pid, timeout_ms);
		}
		pump(p, 5);
		if (!p->feed_len)
			tl_close_in(p);
	}
	track(0, p->pid);
	tl_close_in(p);
	/* what the child wrote before it ended; a grandchild may keep the
	 * pipes open, so not until EOF */
	drain(&p->out, &p->o);
	drain(&p->err, &p->e);
	close_fd(&p->out);
	close_fd(&p->err);
	p->pid = 0;
	tl_ledger_note();
	if (killed || r != pid)
		p->status = -1;
	else
		p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return p->status;
}

int tl_run(struct tl_proc *p, const char *const argv[], const struct tl_opts *o)
{
	struct tl_proc mine;
	int rc;

	if (!p)
		p = &mine;
	if (tl_start(p, argv, o) < 0) {
		rc = -1;
	} else {
		if (o && o->in && p->in >= 0) {
			p->feed = o->in;
			p->feed_len = o->in_len ? o->in_len : strlen(o->in);
		}
		rc = tl_wait(p, (o && o->timeout ? o->timeout : 120) * 1000);
	}
	if (p == &mine)
		tl_proc_free(p);
	return rc;
}

void tl_expect_line(struct tl_proc *p, const char *want)
{
	char line[4096];
	int r = tl_line(p, line, sizeof line, TL_T_WAIT);

	if (r != 1) {
		tl_wait(p, 100);
		fail_msg("expected '%s', got %s; stderr: %s", want, r ? "EOF" : "timeout", p->e.p);
	}
	assert_string_equal(line, want);
}

void tl_expect_quiet(struct tl_proc *p)
{
	char line[4096];

	if (tl_line(p, line, sizeof line, TL_T_QUIET) != 0)
		fail_msg("expected the process to be blocked, got '%s'", line);
}

void tl_expect_blocked(struct tl_proc *p)
{
	usleep(TL_T_QUIET * 1000);
	if (!tl_running(p)) {
		int rc = tl_wait(p, 100);

		fail_msg("expected a blocked process, it exited %d: %s", rc, p->e.p);
	}
}

void tl_expect_exit(struct tl_proc *p, int want)
{
	int rc = tl_wait(p, TL_T_WAIT);

	if (rc != want)
		fail_msg("exit %d (wanted %d), stderr: %s", rc, want, p->e.p);
}

void tl_lock_handover(struct tl_proc *holder, struct tl_proc *waiter)
{
	tl_write(holder, "\n");
	tl_expect_line(holder, "unlocked");
	tl_expect_exit(holder, 0);
	tl_expect_line(waiter, "locked");
	tl_expect_line(waiter, "unlocked");
	tl_expect_exit(waiter, 0);
}

int tl_run_text(const char *const argv[], char *out, size_t outsize, char *err, size_t errsize)
{
	struct tl_opts o = {.timeout = 10};
	struct tl_proc p;
	int rc = tl_run(&p, argv, &o);

	if (out && outsize)
		snprintf(out, outsize, "%s", p.o.p);
	if (err && errsize)
		snprintf(err, errsize, "%s", p.e.p);
	tl_proc_free(&p);
	return rc;
}

const char *tl_expect(struct tl_proc *p, const char *word, int timeout_ms)
{
	static char line[4096];
	size_t n = strlen(word);
	int r = tl_line(p, line, sizeof line, timeout_ms);

	if (r != 1) {
		if (r)
			tl_wait(p, 100);
		fail_msg("expected '%s' within %d ms, got %s; stderr: %s", word, timeout_ms,
			 r ? "EOF" : "nothing", p->e.p);
	}
	if (strncmp(line, word, n) || (line[n] && line[n] != ' '))
		fail_msg("expected '%s', got '%s'", word, line);
	return line[n] ? line + n + 1 : line + n;
}

void tl_start_ok(struct tl_proc *p, const char *const argv[], const char *word)
{
	if (tl_start(p, argv, NULL) < 0)
		fail_msg("cannot start %s", argv[0]);
	if (word)
		tl_expect(p, word, 10000);
}

void tl_let_go(struct tl_proc *p, const char *what)
{
	if (tl_write(p, "\n") < 0)
		fail_msg("%s: its stdin is closed", what);
	tl_finish_ok(p, what);
}

void tl_expect_waits(struct tl_proc *p, const char *what, int ms)
{
	char line[4096];
	int r = tl_line(p, line, sizeof line, ms);

	if (r == 1)
		fail_msg("%s got through while it should wait: '%s'", what, line);
	if (r < 0 || !tl_running(p)) {
		tl_wait(p, 100);
		fail_msg("%s ended while it should wait: %s", what, p->e.p);
	}
}

void tl_finish_ok(struct tl_proc *p, const char *what)
{
	int rc = tl_wait(p, 10000);

	if (rc != 0)
		fail_msg("%s: exit %d, stderr: %s", what, rc, p->e.p);
	tl_proc_free(p);
}

size_t tl_run_ok(const char *const argv[], const char *in, size_t in_len, char *out,
		 size_t outsize)
{
	struct tl_opts o = {.in = in, .in_len = in_len};
	struct tl_proc p;
	size_t n;
	int rc = tl_run(&p, argv, &o);

	if (rc != 0)
		fail_msg("%s %s %s: exit %d, stderr: %s", argv[0], argv[1],
			 argv[1] ? argv[2] : "", rc, p.e.p);
	n = p.o.len;
	if (out && outsize) {
		memcpy(out, p.o.p, n < outsize ? n : outsize - 1);
		out[n < outsize ? n : outsize - 1] = 0;
	}
	tl_proc_free(&p);
	return n;
}

void tl_proc_free(struct tl_proc *p)
{
	if (p->pid > 0)
		kill(p->pid, SIGKILL), tl_wait(p, 1000);
	buf_free(&p->o);
	buf_free(&p->e);
}

/* --------------------------------------------------------- trace events */

static struct tj_doc doc;

static const struct tj_node *parse_line(const char *line)
{
	if (tj_parse(&doc, line, strlen(line)) < 0 || doc.node[0].type != TJ_OBJ)
		fail_msg("not a JSON object: %s", line);
	return &doc.node[0];
}

static void copy_text(char *dst, size_t len, const char *src, const char *line)
{
	if (!src || strlen(src) >= len)
		fail_msg("a field is missing or too long: %s", line);
	strcpy(dst, src);
}

static const struct tj_node *typed(const struct tj_node *root, const char *name, int t1, int t2,
				   const char *line)
{
	const struct tj_node *n = tj_get(&doc, root, name);

	if (!n || ((int)n->type != t1 && (int)n->type != t2))
		fail_msg("field %s has the wrong type: %s", name, line);
	return n;
}

static void parse_event(struct tl_event *ev, const char *line)
{
	/* The contract's keys, in the contract's order ("v": its version). */
	static const char *const keys[] = {"v", "ts", "pid", "tid", "op", "args", "ret",
					   "errno", "dur_ns", "key"};
	const struct tj_node *root = parse_line(line), *n = tj_child(&doc, root);

	for (size_t i = 0; i < TL_LEN(keys); i++, n = tj_next(&doc, n))
		if (!n || strcmp(n->name, keys[i]))
			fail_msg("event lacks key '%s' in position %zu: %s", keys[i], i, line);
	/* and the optional ones, in order: a key file found by a search */
	if (n && !strcmp(n->name, "key_from")) {
		if (n->type != TJ_STR || strcmp(n->text, "search"))
			fail_msg("key_from is not \"search\": %s", line);
		n = tj_next(&doc, n);
	}
	if (n)
		fail_msg("event has more keys than the contract's: %s", line);
	if (tj_int(typed(root, "v", TJ_NUM, TJ_NUM, line), 0) != 1)
		fail_msg("event of another schema version than 1: %s", line);
	ev->ts = tj_num(typed(root, "ts", TJ_NUM, TJ_NUM, line), -1);
	typed(root, "args", TJ_OBJ, TJ_OBJ, line);
	ev->pid = (long)tj_int(tj_get(&doc, root, "pid"), -1);
	ev->tid = (long)tj_int(tj_get(&doc, root, "tid"), -1);
	ev->dur_ns = tj_int(tj_get(&doc, root, "dur_ns"), -1);
	if (ev->pid <= 0 || ev->tid <= 0 || ev->dur_ns < 0)
		fail_msg("bad pid, tid or dur_ns: %s", line);
	copy_text(ev->op, sizeof ev->op, tj_str(tj_get(&doc, root, "op")), line);
	copy_text(ev->ret, sizeof ev->ret, typed(root, "ret", TJ_NUM, TJ_STR, line)->text, line);
	n = typed(root, "errno", TJ_NULL, TJ_STR, line);
	copy_text(ev->err, sizeof ev->err, n->type == TJ_STR ? n->text : "", line);
	n = typed(root, "key", TJ_NULL, TJ_STR, line);
	ev->has_key = n->type == TJ_STR;
	copy_text(ev->key, sizeof ev->key, ev->has_key ? n->text : "", line);
	ev->line = strdup(line);
	if (!ev->line)
		abort();
}

int tl_events_load(struct tl_events *e, const char *path)
{
	struct tl_lines l;
	int rc = tl_lines_load(&l, path);

	e->n = 0;
	e->ev = xrealloc(NULL, (l.n + 1) * sizeof *e->ev);
	for (size_t i = 0; i < l.n; i++, e->n++)
		parse_event(&e->ev[i], l.line[i]);
	tl_lines_free(&l);
	return rc;
}

void tl_events_free(struct tl_events *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->ev[i].line);
	free(e->ev);
	e->ev = NULL;
	e->n = 0;
}

static void select_if(struct tl_events *dst, const struct tl_events *src,
		      int (*keep)(const struct tl_event *, const void *), const void *arg)
{
	dst->ev = xrealloc(NULL, (src->n + 1) * sizeof *dst->ev);
	dst->n = 0;
	for (size_t i = 0; i < src->n; i++)
		if (keep(&src->ev[i], arg)) {
			dst->ev[dst->n] = src->ev[i];
			dst->ev[dst->n++].line = strdup(src->ev[i].line);
		}
}

static int key_has_prefix(const struct tl_event *ev, const void *prefix)
{
	return ev->has_key && !strncmp(ev->key, prefix, strlen(prefix));
}

static int pid_is(const struct tl_event *ev, const void *pid)
{
	return ev->pid == *(const long *)pid;
}

void tl_events_select_key(struct tl_events *dst, const struct tl_events *src, const char *prefix)
{
	select_if(dst, src, key_has_prefix, prefix);
}

void tl_events_select_pid(struct tl_events *dst, const struct tl_events *src, long pid)
{
	select_if(dst, src, pid_is, &pid);
}

void tl_events_dump(const struct tl_events *e)
{
	for (size_t i = 0; i < e->n; i++)
		print_message("# event %zu: %s\n", i, e->ev[i].line);
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

/* Strings unquoted at the top, quoted inside arrays and objects. */
static void render(const struct tj_node *n, struct sbuf *b, int quote)
{
	const char *q = quote ? "\"" : "";

	switch (n->type) {
	case TJ_NULL:
		sput(b, "null");
		return;
	case TJ_STR:
		sput(b, q);
		sput(b, n->text);
		sput(b, q);
		return;
	case TJ_NUM:
	case TJ_BOOL:
		sput(b, n->text);
		return;
	case TJ_ARR:
	case TJ_OBJ:
		sput(b, n->type == TJ_ARR ? "[" : "{");
		for (const struct tj_node *c = tj_child(&doc, n); c; c = tj_next(&doc, c)) {
			if (c != tj_child(&doc, n))
				sput(b, ",");
			if (n->type == TJ_OBJ) {
				sput(b, "\"");
				sput(b, c->name);
				sput(b, "\":");
			}
			render(c, b, 1);
		}
		sput(b, n->type == TJ_ARR ? "]" : "}");
		return;
	}
}

static const char *member(const struct tj_node *obj, const char *name, char *buf, size_t len)
{
	const struct tj_node *n = obj ? tj_get(&doc, obj, name) : NULL;
	struct sbuf b = {buf, 0, len};

	buf[0] = 0;
	if (!n)
		return NULL;
	render(n, &b, 0);
	return buf;
}

const char *tl_event_field(const struct tl_event *ev, const char *name, char *buf, size_t len)
{
	return member(parse_line(ev->line), name, buf, len);
}

const char *tl_event_arg(const struct tl_event *ev, const char *name, char *buf, size_t len)
{
	return member(tj_get(&doc, parse_line(ev->line), "args"), name, buf, len);
}

/* "name=value;…" of all the arguments. */
static void render_args(const struct tl_event *ev, char *buf, size_t len)
{
	const struct tj_node *args = tj_get(&doc, parse_line(ev->line), "args");
	struct sbuf b = {buf, 0, len};

	buf[0] = 0;
	for (const struct tj_node *c = tj_child(&doc, args); c; c = tj_next(&doc, c)) {
		if (b.n)
			sput(&b, ";");
		sput(&b, c->name);
		sput(&b, "=");
		render(c, &b, 0);
	}
}

/* Each listed name=value against the event; 1 if all match. */
static int listed_args(const struct tl_event *ev, const char *spec, char *why, size_t wlen)
{
	char copy[4096], got[4096], *item, *save = NULL;

	if (strlen(spec) >= sizeof copy)
		fail_msg("expected arguments too long: %s", spec);
	strcpy(copy, spec);
	for (item = strtok_r(copy, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(item, '=');

		if (!eq)
			fail_msg("expected argument without '=': %s", item);
		*eq = 0;
		if (!tl_event_arg(ev, item, got, sizeof got))
			return snprintf(why, wlen, "no argument %s", item), 0;
		if (strcmp(got, eq + 1))
			return snprintf(why, wlen, "argument %s is '%s', wanted '%s'", item, got,
					eq + 1), 0;
	}
	return 1;
}

static int match_event(const struct tl_event *ev, const struct tl_expect *x, enum tl_args mode,
		       long pid, char *why, size_t wlen)
{
	const char *key = x->key ? x->key : "null", *err = x->err ? x->err : "null";
	char got[4096];

	if (strcmp(ev->op, x->op))
		return snprintf(why, wlen, "op %s, wanted %s", ev->op, x->op), 0;
	if (pid && ev->pid != pid)
		return snprintf(why, wlen, "pid %ld, wanted %ld", ev->pid, pid), 0;
	if (x->key ? !ev->has_key || strcmp(ev->key, x->key) : ev->has_key)
		return snprintf(why, wlen, "key %s, wanted %s", ev->has_key ? ev->key : "null",
				key), 0;
	if (strcmp(x->ret, "*") &&
	    (!strcmp(x->ret, "ptr") ? strncmp(ev->ret, "0x", 2) : strcmp(ev->ret, x->ret)))
		return snprintf(why, wlen, "ret %s, wanted %s", ev->ret, x->ret), 0;
	if (strcmp(ev->err, x->err ? x->err : ""))
		return snprintf(why, wlen, "errno %s, wanted %s", ev->err[0] ? ev->err : "null",
				err), 0;
	if (!x->args)
		return 1;
	if (mode == TL_ARGS_LISTED)
		return listed_args(ev, x->args, why, wlen);
	render_args(ev, got, sizeof got);
	if (strcmp(got, x->args))
		return snprintf(why, wlen, "args %s, wanted %s", got, x->args), 0;
	return 1;
}

void tl_expect_events(const struct tl_events *e, enum tl_args mode, long pid,
		      const struct tl_expect *x, size_t n)
{
	char why[8192];
	int ok = e->n == n;

	for (size_t i = 0; i < n && i < e->n; i++)
		if (!match_event(&e->ev[i], &x[i], mode, pid, why, sizeof why)) {
			print_message("# event %zu (%s): %s\n", i, e->ev[i].op, why);
			ok = 0;
			break;
		}
	if (!ok) {
		print_message("# wanted %zu events, got %zu:\n", n, e->n);
		tl_events_dump(e);
		fail_msg("events differ");
	}
}

void tl_expect_ops(const struct tl_events *e, long pid, const char *key, const char *ops)
{
	char *copy = strdup(ops), *item, *save = NULL;
	struct tl_expect *x = NULL;
	size_t n = 0;

	if (!copy)
		abort();
	for (item = strtok_r(copy, " \n", &save); item; item = strtok_r(NULL, " \n", &save)) {
		char *ret = strchr(item, '='), *err;

		if (!ret)
			fail_msg("expected op without '=': %s", item);
		*ret++ = 0;
		if ((err = strchr(ret, '/')))
			*err++ = 0;
		x = xrealloc(x, (n + 1) * sizeof *x);
		x[n++] = (struct tl_expect){item, key, ret, err, NULL};
	}
	tl_expect_events(e, TL_ARGS_ALL, pid, x, n);
	free(x);
	free(copy);
}

/* field with every ${NAME} replaced by the value of "NAME=value" in vars;
 * "-" is NULL. malloc'd. */
static char *vector_field(const char *field, const char *const vars[], const char *where)
{
	char *p = NULL;
	size_t size;
	FILE *m;

	if (!strcmp(field, "-"))
		return NULL;
	if (!(m = open_memstream(&p, &size)))
		abort();
	while (*field) {
		const char *end, *v = NULL;
		size_t len;

		if (strncmp(field, "${", 2) || !(end = strchr(field, '}'))) {
			fputc(*field++, m);
			continue;
		}
		len = (size_t)(end - field - 2);
		for (size_t i = 0; vars && vars[i] && !v; i++)
			if (!strncmp(vars[i], field + 2, len) && vars[i][len] == '=')
				v = vars[i] + len + 1;
		if (!v)
			fail_msg("%s: no value for %.*s", where, (int)len + 3, field);
		fputs(v, m);
		field = end + 1;
	}
	fclose(m);
	return p;
}

const char *const *tl_vars(const char *const *nv)
{
	static char buf[16][PATH_MAX + 64];
	static const char *v[17];
	size_t n = 0;

	for (; nv[0] && nv[1]; nv += 2, n++) {
		if (n == 16)
			fail_msg("tl_vars: more than 16 values");
		snprintf(buf[n], sizeof buf[n], "%s=%s", nv[0], nv[1]);
		v[n] = buf[n];
	}
	v[n] = NULL;
	return v;
}

void tl_expect_vector(const struct tl_events *e, enum tl_args mode, long pid, const char *file,
		      const char *name, const char *const vars[])
{
	char path[PATH_MAX], where[PATH_MAX + 32];
	struct tl_lines l;
	struct tl_expect *x = NULL;
	char **keep = NULL;
	size_t n = 0, nk = 0;

	snprintf(path, sizeof path, "%s/tests/vectors/%s", tl_srcdir(), file);
	if (tl_lines_load(&l, path) < 0)
		fail_msg("cannot read %s", path);
	for (size_t i = 0; i < l.n; i++) {
		char *f[6] = {NULL}, *line = l.line[i], *t;
		const char *v[5];
		size_t nf = 0;

		if (line[0] == '#' || !line[0])
			continue;
		while (nf < 6 && (t = strsep(&line, "\t")))
			f[nf++] = t;
		if (strcmp(f[0], name))
			continue;
		if (nf < 4)
			fail_msg("%s:%zu: fewer than op, key and ret", path, i + 1);
		snprintf(where, sizeof where, "%s:%zu", path, i + 1);
		keep = xrealloc(keep, (nk + 5) * sizeof *keep);
		for (size_t j = 0; j < 5; j++)
			v[j] = keep[nk++] = f[j + 1] ? vector_field(f[j + 1], vars, where) : NULL;
		x = xrealloc(x, (n + 1) * sizeof *x);
		x[n++] = (struct tl_expect){v[0], v[1], v[2], v[3], v[4]};
	}
	if (!n)
		fail_msg("%s: no events for %s", path, name);
	tl_expect_events(e, mode, pid, x, n);
	for (size_t i = 0; i < nk; i++)
		free(keep[i]);
	free(keep);
	free(x);
	tl_lines_free(&l);
}

/* --------------------------------------------------------------- ledger */

static const int proj_ids[] = {TL_PROJ_IDS};

static char **names, **dirs;
static size_t n_names, n_dirs;
static struct file {
	char *path;
	dev_t dev;
	ino_t ino;
} *files;
static size_t n_files;
/* Objects by id, with the key they had when seen: the kernel reuses ids
 * only after many others, a key may be another test's a minute later. */
static struct obj {
	int sem, id;
	key_t key;
} *objs;
static size_t n_objs;

const char *tl_unique_name(void)
{
	static char buf[ROT][PATH_MAX];
	static int i, n;
	char *b = rot(buf, &i);

	snprintf(b, PATH_MAX, "/nipc-test-%ld-%d", (long)getpid(), ++n);
	tl_ledger_posix(b);
	return b;
}

void tl_ledger_posix(const char *name)
{
	names = xrealloc(names, (n_names + 1) * sizeof *names);
	if (!(names[n_names++] = strdup(name)))
		abort();
	at_exit();
}

void tl_ledger_file(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	for (size_t i = 0; i < n_files; i++)
		if (files[i].dev == st.st_dev && files[i].ino == st.st_ino &&
		    !strcmp(files[i].path, path))
			return;
	files = xrealloc(files, (n_files + 1) * sizeof *files);
	files[n_files++] = (struct file){strdup(path), st.st_dev, st.st_ino};
	if (!files[n_files - 1].path)
		abort();
	at_exit();
}

void tl_ledger_dir(const char *dir)
{
	for (size_t i = 0; i < n_dirs; i++)
		if (!strcmp(dirs[i], dir))
			return;
	dirs = xrealloc(dirs, (n_dirs + 1) * sizeof *dirs);
	if (!(dirs[n_dirs++] = strdup(dir)))
		abort();
	at_exit();
}

/* The files in the registered directories now. */
static void scan_dirs(void)
{
	char path[PATH_MAX];
	struct dirent *e;

	for (size_t i = 0; i < n_dirs; i++) {
		DIR *d = opendir(dirs[i]);

		while (d && (e = readdir(d)))
			if ((size_t)snprintf(path, sizeof path, "%s/%s", dirs[i], e->d_name) <
			    sizeof path)
				tl_ledger_file(path);
		if (d)
			closedir(d);
	}
}

static void note_obj(int sem, int id, key_t key)
{
	if (id < 0)
		return;
	for (size_t i = 0; i < n_objs; i++)
		if (objs[i].sem == sem && objs[i].id == id)
			return;
	objs = xrealloc(objs, (n_objs + 1) * sizeof *objs);
	objs[n_objs++] = (struct obj){sem, id, key};
	at_exit();
}

/* The permissions of a segment / a semaphore set / a message queue (sem
 * 0, 1, 2): 0, or -1 if it is gone. */
static int ipc_perm_of(int sem, int id, struct ipc_perm *perm)
{
	struct shmid_ds sd;
	struct semid_ds md;
	struct msqid_ds qd;
	union {
		int val;
		struct semid_ds *buf;
	} arg = {.buf = &md};

	if (sem == 2) {
		if (msgctl(id, IPC_STAT, &qd) < 0)
			return -1;
		*perm = qd.msg_perm;
		return 0;
	}
	if (sem ? semctl(id, 0, IPC_STAT, arg) < 0 : shmctl(id, IPC_STAT, &sd) < 0)
		return -1;
	*perm = sem ? md.sem_perm : sd.shm_perm;
	return 0;
}

/* Key of the object, or -1 if it is gone. */
static int obj_key(int sem, int id, key_t *key)
{
	struct ipc_perm perm;

	if (ipc_perm_of(sem, id, &perm) < 0)
		return -1;
	*key = perm.__key;
	return 0;
}

void tl_ledger_shmid(int id)
{
	key_t k;

	if (obj_key(0, id, &k) == 0)
		note_obj(0, id, k);
}

void tl_ledger_semid(int id)
{
	key_t k;

	if (obj_key(1, id, &k) == 0)
		note_obj(1, id, k);
}

void tl_ledger_msqid(int id)
{
	key_t k;

	if (obj_key(2, id, &k) == 0)
		note_obj(2, id, k);
}

void tl_ledger_note(void)
{
	scan_dirs();
	for (size_t i = 0; i < n_files; i++) {
		struct stat st;

		/* a file made again (another inode) has other keys */
		if (stat(files[i].path, &st) < 0 || st.st_dev != files[i].dev ||
		    st.st_ino != files[i].ino)
			continue;
		for (size_t j = 0; j < TL_LEN(proj_ids); j++) {
			key_t k = ftok(files[i].path, proj_ids[j]);

			if (k == -1)
				continue;
			note_obj(0, shmget(k, 0, 0), k);
			note_obj(1, semget(k, 0, 0), k);
		}
	}
}

static int key_unused(key_t k)
{
	return k != -1 && shmget(k, 0, 0) < 0 && errno == ENOENT && semget(k, 0, 0) < 0 &&
	       errno == ENOENT;
}

const char *tl_keyfile(const char *name)
{
	static char buf[ROT][PATH_MAX];
	static int n;
	char *b = rot(buf, &n);

	for (int i = 0; i < 1000; i++) {
		size_t j = 0;
		int fd;

		snprintf(b, PATH_MAX, "%s/%s.%d", tl_scratch(), name, i);
		fd = open(b, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			continue;
		close(fd);
		/* ftok keeps 16 bits of the inode: another test's file can
		 * share a key; a colliding file stays, so the next one gets
		 * another inode */
		while (j < TL_LEN(proj_ids) && key_unused(ftok(b, proj_ids[j])))
			j++;
		if (j == TL_LEN(proj_ids)) {
			tl_ledger_file(b);
			return b;
		}
	}
	return NULL;
}

/* Entry e of /dev/shm is registered name n's (a segment or "sem." a
 * semaphore), or one named after it: n.SUFFIX (a child's, say). */
static int posix_match(const char *e, const char *n, int *sem)
{
	size_t len = strlen(n + 1);

	*sem = !strncmp(e, "sem.", 4);
	e += *sem ? 4 : 0;
	return !strncmp(e, n + 1, len) && (e[len] == 0 || e[len] == '.');
}

/* What is left: counted, and with rm removed (a diagnostic each). */
static int left(int rm)
{
	struct dirent *d;
	DIR *dir;
	int n = 0, sem;

	tl_ledger_note();
	for (size_t i = 0; i < n_objs; i++) {
		key_t k;

		if (obj_key(objs[i].sem, objs[i].id, &k) < 0 || k != objs[i].key)
			continue;
		n++;
		if (!rm)
			continue;
		print_message("# ledger: removing System V %s id %d key 0x%08x\n",
			      objs[i].sem == 2 ? "message queue" : objs[i].sem ? "semaphore set" : "segment",
			      objs[i].id, (unsigned)objs[i].key);
		if (objs[i].sem == 2)
			msgctl(objs[i].id, IPC_RMID, NULL);
		else if (objs[i].sem)
			semctl(objs[i].id, 0, IPC_RMID);
		else
			shmctl(objs[i].id, IPC_RMID, NULL);
	}
	/* POSIX message queues of the registered names (no /dev/mqueue needed) */
	for (size_t i = 0; i < n_names; i++) {
		mqd_t q = mq_open(names[i], O_RDONLY);

		if (q == (mqd_t)-1)
			continue;
		mq_close(q);
		n++;
		if (!rm)
			continue;
		print_message("# ledger: removing POSIX message queue %s\n", names[i]);
		mq_unlink(names[i]);
	}
	if (!n_names || !(dir = opendir("/dev/shm")))
		return n;
	while ((d = readdir(dir))) {
		char name[NAME_MAX + 2];
		size_t i = 0;

		while (i < n_names && !posix_match(d->d_name, names[i], &sem))
			i++;
		if (i == n_names)
			continue;
		n++;
		if (!rm)
			continue;
		snprintf(name, sizeof name, "/%s", d->d_name + (sem ? 4 : 0));
		print_message("# ledger: removing POSIX %s %s\n", sem ? "semaphore" : "segment",
			      name);
		if (sem)
			sem_unlink(name);
		else
			shm_unlink(name);
	}
	closedir(dir);
	return n;
}

int tl_ledger_left(void)
{
	return left(0);
}

int tl_ledger_clean(void)
{
	int n = left(1);

	for (size_t i = 0; i < n_names; i++)
		free(names[i]);
	for (size_t i = 0; i < n_files; i++)
		free(files[i].path);
	for (size_t i = 0; i < n_dirs; i++)
		free(dirs[i]);
	free(dirs);
	dirs = NULL;
	n_dirs = 0;
	free(names);
	free(files);
	free(objs);
	names = NULL;
	files = NULL;
	objs = NULL;
	n_names = n_files = n_objs = 0;
	return n;
}

/* --------------------------------------------------------- nipc objects */

const char *tl_native(int sysv)
{
	static char buf[ROT][PATH_MAX];
	static int i, n;
	const char *keys;
	char *b;

	if (!sysv)
		return tl_unique_name();
	keys = tl_key_dir("keys");
	b = rot(buf, &i);
	snprintf(b, PATH_MAX, "%s/k.%d", keys, ++n);
	unlink(b);
	return b;
}

const char *tl_key_dir(const char *name)
{
	const char *d = tl_path(name);

	if (mkdir(d, 0755) < 0 && errno != EEXIST)
		abort();
	tl_ledger_dir(d);
	return d;
}

int tl_teardown(void **state)
{
	(void)state;
	tl_kill_all();
	tl_ledger_clean();
	tl_scratch_empty();
	return 0;
}

/* glibc's ftok(3) of a file seen earlier */
static key_t ftok_of(dev_t dev, ino_t ino, int proj)
{
	return (key_t)((ino & 0xffff) | ((dev & 0xff) << 16) | ((unsigned)(proj & 0xff) << 24));
}

static int sysv_exists(const char *native, int proj, int sem)
{
	key_t k = ftok(native, proj), now;

	if (k != -1 && (sem ? semget(k, 0, 0) : shmget(k, 0, 0)) >= 0)
		return 1;
	tl_ledger_note();
	for (size_t i = 0; i < n_files; i++) {
		if (strcmp(files[i].path, native))
			continue;
		k = ftok_of(files[i].dev, files[i].ino, proj);
		for (size_t j = 0; j < n_objs; j++)
			if (objs[j].sem == sem && objs[j].key == k &&
			    obj_key(sem, objs[j].id, &now) == 0 && now == k)
				return 1;
	}
	return 0;
}

static int posix_exists(const char *native, const char *prefix)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "/dev/shm/%s%s", prefix, native + (native[0] == '/'));
	return access(path, F_OK) == 0;
}

int tl_shm_exists(const char *native, int proj)
{
	return proj ? sysv_exists(native, proj, 0) : posix_exists(native, "");
}

int tl_sem_exists(const char *native, int proj)
{
	return proj ? sysv_exists(native, proj, 1) : posix_exists(native, "sem.");
}

int tl_leftover(const char *native, int proj)
{
	return (proj && access(native, F_OK) == 0) || tl_shm_exists(native, proj) ||
	       tl_sem_exists(native, proj);
}

int tl_file_mode(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (int)(st.st_mode & 07777);
}

int tl_obj_mode(const char *native, int proj, int sem)
{
	char path[PATH_MAX];
	struct ipc_perm perm;
	key_t k;
	int id;

	if (!proj) {
		snprintf(path, sizeof path, "/dev/shm/%s%s", sem ? "sem." : "",
			 native + (native[0] == '/'));
		return tl_file_mode(path);
	}
	if ((k = ftok(native, proj)) == -1)
		return -1;
	id = sem ? semget(k, 0, 0) : shmget(k, 0, 0);
	return id < 0 || ipc_perm_of(sem, id, &perm) < 0 ? -1 : (int)(perm.mode & 0777);
}

long tl_shm_nattch(const char *path, int proj)
{
	struct shmid_ds ds;
	key_t k = ftok(path, proj);
	int id = k == -1 ? -1 : shmget(k, 0, 0);

	return id < 0 || shmctl(id, IPC_STAT, &ds) < 0 ? -1 : (long)ds.shm_nattch;
}

int tl_objhelper(struct tl_proc *p, int type, const char *native, const char *legacy)
{
	char t[16];

	snprintf(t, sizeof t, "%d", type);
	return tl_start(p, TL_ARGV(tl_prog("objhelper"), t, native, legacy), NULL);
}

int tl_send(struct tl_proc *p, const char *line)
{
	return tl_write(p, line) < 0 || tl_write(p, "\n") < 0 ? -1 : 0;
}

const char *tl_cmd(struct tl_proc *p, const char *cmd, int timeout_ms)
{
	static char line[1024];
	int r;

	if (cmd && tl_send(p, cmd) < 0)
		return "(eof)";
	r = tl_line(p, line, sizeof line, timeout_ms);
	return r == 1 ? line : r == 0 ? "" : "(eof)";
}

int tl_cmd_ok(struct tl_proc *p, const char *cmd)
{
	const char *r = tl_cmd(p, cmd, 10000);

	if (strcmp(r, "ok"))
		print_message("# pid %ld: %s -> '%s'\n", (long)p->pid, cmd, r);
	return strcmp(r, "ok") == 0;
}

int tl_end(struct tl_proc *p, const char *last)
{
	long pid = (long)p->pid;

	if (p->pid > 0 && last)
		tl_send(p, last);
	tl_close_in(p);
	if (tl_wait(p, 10000))
		print_message("# pid %ld: status %d: %s\n", pid, p->status, p->e.p);
	tl_proc_free(p);
	return p->status;
}

int tl_kill(struct tl_proc *p)
{
	if (p->pid > 0)
		kill(p->pid, SIGKILL);
	return tl_end(p, NULL);
}

void tl_pump_all(struct tl_proc *p, size_t n, int ms)
{
	struct pollfd *f = xrealloc(NULL, (2 * n + 1) * sizeof *f);
	nfds_t nf = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i].out >= 0)
			f[nf++] = (struct pollfd){p[i].out, POLLIN, 0};
		if (p[i].err >= 0)
			f[nf++] = (struct pollfd){p[i].err, POLLIN, 0};
	}
	if (!nf || (poll(f, nf, ms) < 0 && errno != EINTR))
		usleep(nf ? 1000 : (useconds_t)ms * 1000);
	free(f);
	for (size_t i = 0; i < n; i++) {
		feed(&p[i]);
		drain(&p[i].out, &p[i].o);
		drain(&p[i].err, &p[i].e);
	}
}

/* ----------------------------------------------------------------- main */

char tl_posix[] = "posix", tl_sysv[] = "systemv";

static pid_t owner;

/* Only in the process that registered: a forked child that calls exit()
 * must not remove its parent's objects. */
static void cleanup(void)
{
	if (getpid() != owner)
		return;
	tl_kill_all();
	tl_ledger_clean();
	tl_scratch_remove();
	for (size_t i = 0; i < n_live; i++)
		free(live[i]);
	free(live);
	live = NULL;
	n_live = 0;
}

static void at_exit(void)
{
	static int registered;

	if (!registered++) {
		owner = getpid();
		atexit(cleanup);
	}
}

/* alarm() ends a deadlock: clean up even then (not async-signal-safe, but
 * the process is ending anyway). */
static void on_alarm(int sig)
{
	static const char msg[] = "# timed out: cleaning up\n";

	(void)sig;
	(void)!write(1, msg, sizeof msg - 1);
	cleanup();
	_exit(99);
}

static CMFixtureFunction group_teardown;

/* The group's teardown runs first: it may be what removes the objects. */
static void ledger_test(void **state)
{
	int n;

	if (group_teardown && group_teardown(state))
		fail_msg("group teardown failed");
	tl_kill_all();
	n = tl_ledger_clean();
	if (n)
		fail_msg("%d IPC object(s) left by the tests above", n);
}

int tl_main(const char *name, const struct CMUnitTest *tests, size_t n, CMFixtureFunction setup,
	    CMFixtureFunction teardown)
{
	struct CMUnitTest *all = xrealloc(NULL, (n + 1) * sizeof *all);
	int rc;

	cmocka_set_message_output(CM_OUTPUT_TAP);
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	at_exit();
	group_teardown = teardown;
	memcpy(all, tests, n * sizeof *all);
	all[n] = (struct CMUnitTest){"ipc_ledger", ledger_test, NULL, NULL, NULL};
	rc = _cmocka_run_group_tests(name, all, n + 1, setup, NULL);
	free(all);
	return rc;
}

/* fn_names: the functions' names as the preprocessor wrote them, one a comma. */
int tl_main_fns(const char *name, const char *fn_names, const CMUnitTestFunction *f, size_t n,
		CMFixtureFunction setup, CMFixtureFunction teardown)
{
	struct CMUnitTest *t = xrealloc(NULL, n * sizeof *t);
	char *all = strdup(fn_names), *save = NULL, *w;
	size_t i;
	int rc;

	if (!all)
		abort();
	w = strtok_r(all, ", \t\n", &save);
	for (i = 0; i < n && w; i++, w = strtok_r(NULL, ", \t\n", &save))
		t[i] = (struct CMUnitTest){w, f[i], NULL, NULL, NULL};
	if (i != n || w) {
		fprintf(stderr, "tl_main_fns: %zu functions, names '%s'\n", n, fn_names);
		exit(99);
	}
	rc = tl_main(name, t, n, setup, teardown);
	free(all);
	free(t);
	return rc;
}

/* ------------------------------------------------------- the emulation */

int tl_emul_init(struct tl_emul *e, const char *prefix, const char *text)
{
	char reg[96];
	FILE *f;

	snprintf(e->ns, sizeof e->ns, "%s%d", prefix, (int)getpid());
	snprintf(e->rules, sizeof e->rules, "%s", tl_path("emul.rules"));
	snprintf(reg, sizeof reg, "/nipc.sysv.%s", e->ns);
	tl_ledger_posix(reg);
	if (!(f = fopen(e->rules, "w")))
		return -1;
	fputs(text, f);
	return fclose(f) ? -1 : 0;
}

struct tl_opts tl_emul_opts(const struct tl_emul *e, const char *rules, int emul,
			    const char *extra)
{
	static char rl[PATH_MAX + 16], nsv[96];
	static const char *env[4];
	struct tl_opts o = {.env = env, .preload = emul, .timeout = 60};
	int other_ns = extra && !strncmp(extra, "NIPC_NAMESPACE=", 15);

	snprintf(rl, sizeof rl, "NIPC_RULES=%s", rules);
	snprintf(nsv, sizeof nsv, "NIPC_NAMESPACE=%s", e->ns);
	env[0] = emul ? rl : "NIPC_RULES";
	env[1] = !emul ? "NIPC_NAMESPACE" : other_ns ? extra : nsv;
	env[2] = other_ns ? NULL : extra;
	env[3] = NULL;
	return o;
}

int tl_emul_leftovers(const struct tl_emul *e, int remove_all)
{
	char pre[96], path[PATH_MAX];
	struct dirent *d;
	DIR *dir = opendir("/dev/shm");
	int n = 0;

	if (!dir)
		return 0;
	snprintf(pre, sizeof pre, "nipc.sysv.%s.", e->ns);
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, pre, strlen(pre)))
			continue;
		if (strcmp(d->d_name + strlen(pre), "reg")) {
			n++;
			fprintf(stderr, "# left behind: /dev/shm/%s\n", d->d_name);
		}
		if (remove_all) {
			snprintf(path, sizeof path, "/dev/shm/%s", d->d_name);
			unlink(path);
		}
	}
	closedir(dir);
	return n;
}
