/* SPDX-License-Identifier: MIT */
/* Configuration: the environment, read once at start-up into shim_policy. */
#include "config.h"

#include "shim.h"
#include "rules.h"
#include "trace_file.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <semaphore.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

SHIM_HOT_DATA struct shim_policy shim_policy = {.fd = -1};
/* NIPC_TRACE_FILE as given, when it has a %p to expand again after fork. */
static char file_pattern[PATH_MAX];

/* Unknown words are named in one warning. */
static uint64_t parse_filter(const char *s, int *unnamed)
{
	char unknown[256];
	struct out u = {unknown, 0, sizeof unknown - 1};
	uint64_t mask = shim_filter_parse(s, unnamed, &u);

	if (u.n) {
		unknown[u.n] = 0;
		shim_warn("NIPC_TRACE: ignoring unknown words: %s", unknown);
	}
	return mask;
}

/* The shim's own copy of descriptor fd (-1: none), named what in a
 * warning; what NULL is the default sink, standard error, which when
 * closed can neither take lines nor a warning. */
static int adopt_fd(int fd, const char *what)
{
	int d;

	if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
		if (what)
			shim_warn("NIPC_TRACE_FILE: %s is not an open descriptor; tracing disabled", what);
		return -1;
	}
	d = out_dup_high(fd);
	if (d < 0)
		shim_warn("no descriptor left for the trace of %s; tracing disabled",
			  what ? what : "standard error");
	return d;
}

static int open_file(const char *pat, pid_t pid)
{
	static const char *const why_msg[] = {
		[TF_ERRNO] = "cannot open NIPC_TRACE_FILE %s; tracing disabled",
		[TF_SYMLINK] = "NIPC_TRACE_FILE %s is a symbolic link; not followed; tracing disabled",
		[TF_OWNER] = "NIPC_TRACE_FILE %s is owned by another user; tracing disabled",
		[TF_TYPE] = "NIPC_TRACE_FILE %s is not a regular file, character device or FIFO; "
			    "tracing disabled",
	};
	char path[PATH_MAX];
	struct out o = {path, 0, sizeof path};
	enum tf_status why;
	int fd, hi;

	if (fmt_put_pattern(&o, pat, pid)) {
		shim_warn("NIPC_TRACE_FILE is too long: %s; tracing disabled", pat);
		return -1;
	}
	fd = tf_fd_name(path);
	if (fd >= 0)
		return adopt_fd(fd, path);
	fd = tf_open(path, &why);
	if (fd < 0) {
		shim_warn(why_msg[why], path);
		return -1;
	}
	hi = out_dup_high(fd);
	close(fd);
	if (hi < 0)
		shim_warn("no descriptor left for the trace of %s; tracing disabled", path);
	return hi;
}

static int parse_fd(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > INT_MAX)
		return -1;
	return (int)v;
}

static enum out_kind kind_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? OUT_PLAIN : out_kind_of(&st);
}

/* Every descriptor sink is the shim's own, high and close-on-exec, so a
 * program that closes, reuses or redirects its own descriptors (2
 * included) gets no trace lines in its files. */
static int open_sink(const char *file)
{
	struct shim_policy *p = &shim_policy;

	if (!file || !*file) {
		p->fd = adopt_fd(2, NULL);
	} else if (!strcmp(file, "syslog")) {
		p->sink = SINK_SYSLOG;
		openlog("nipc", LOG_PID, LOG_USER);
		return 0;
	} else if (!strncmp(file, "fd:", 3)) {
		p->fd = adopt_fd(parse_fd(file + 3), file);
	} else {
		p->fd = open_file(file, p->root_pid);
		if (strstr(file, "%p") && strlen(file) < sizeof file_pattern)
			strcpy(file_pattern, file);
	}
	if (p->fd < 0)
		return -1;
	p->sink = SINK_FD;
	p->kind = kind_of(p->fd);
	guard_set(p->fd);
	return 0;
}

/* Removes this library's entries from LD_PRELOAD in place (the string only
 * shrinks), so exec'd children start without it. */
static void strip_preload(void)
{
	char *v = getenv("LD_PRELOAD"), *w, *r;
	Dl_info info;
	const char *self, *base;
	size_t blen;

	if (!v || !dladdr((void *)strip_preload, &info) || !info.dli_fname)
		return;
	self = info.dli_fname;
	base = strrchr(self, '/') ? strrchr(self, '/') + 1 : self;
	blen = strlen(base);
	for (r = w = v; *r;) {
		size_t len = strcspn(r, ": ");
		const char *eb = r + len;
		const char *b = eb;

		while (b > r && b[-1] != '/')
			b--;
		if (len && !((size_t)(eb - b) == blen && !memcmp(b, base, blen))) {
			if (w != v)
				*w++ = ':';
			memmove(w, r, len);
			w += len;
		}
		r += len;
		while (*r == ':' || *r == ' ')
			r++;
	}
	*w = 0;
}

int shim_policy_child(void)
{
	struct shim_policy *p = &shim_policy;

	if (!p->children) {
		/* untraced, it must not hold the sink open (a pipe's reader
		 * waits for every writer to go) */
		if (p->sink == SINK_FD) {
			guard_set(-1);
			guard_close_own(p->fd);
			p->fd = -1;
		}
		return -1;
	}
	if (file_pattern[0]) {
		int fd;

		shim_tls()->busy++;
		fd = open_file(file_pattern, getpid());
		guard_set(fd);
		guard_close_own(p->fd);
		shim_tls()->busy--;
		p->fd = fd;
		if (fd < 0)
			return -1;
		p->kind = kind_of(fd);
	}
	return 0;
}

uint64_t shim_policy_init(void)
{
	struct shim_policy *p = &shim_policy;
	const char *trace, *fmt, *ch, *tid, *ring;
	uint64_t mask;

	p->root_pid = getpid();
	trace = getenv("NIPC_TRACE");
	if (!trace || !*trace || !strcmp(trace, "0"))
		return 0;
	out_note_stderr();
	mask = parse_filter(trace, &p->unnamed);
	fmt = getenv("NIPC_TRACE_FORMAT");
	if (fmt && !strcmp(fmt, "json"))
		p->json = 1;
	else if (fmt && *fmt && strcmp(fmt, "text"))
		shim_warn("NIPC_TRACE_FORMAT: unknown format %s; using text", fmt);
	ch = getenv("NIPC_TRACE_CHILDREN");
	p->children = !(ch && !strcmp(ch, "0"));
	tid = getenv("NIPC_TRACE_TID");
	p->tid = !(tid && !strcmp(tid, "0"));
	if (!p->children)
		strip_preload();
	if (!mask)
		return 0;
	ring = getenv("NIPC_TRACE_RING");
	if (ring && *ring) {
		/* the reader is gone (a child started after nipc trace
		 * ended): untraced, and silently */
		if (ring_init(ring))
			return 0;
		p->sink = SINK_RING;
	} else if (open_sink(getenv("NIPC_TRACE_FILE"))) {
		return 0;
	}
	p->trace = mask;
	return mask;
}

struct rules *shim_rules;
SHIM_HOT_DATA uint64_t shim_deny_ops;
struct shim_next shim_deny_calls;

/* Fail closed: ENOSYS, what a kernel without System V IPC answers, and
 * what glibc's shm_open and sem_open answer without a POSIX shared memory
 * file system. */
static int deny(void)
{
	errno = ENOSYS;
	return -1;
}

static int d_shmget(key_t k, size_t s, int f) { (void)k; (void)s; (void)f; return deny(); }
static void *d_shmat(int id, const void *a, int f) { (void)id; (void)a; (void)f; deny(); return (void *)-1; }
static int d_shmdt(const void *a) { (void)a; return deny(); }
static int d_shmctl(int id, int c, struct shmid_ds *b) { (void)id; (void)c; (void)b; return deny(); }
static int d_semget(key_t k, int n, int f) { (void)k; (void)n; (void)f; return deny(); }
static int d_semop(int id, struct sembuf *s, size_t n) { (void)id; (void)s; (void)n; return deny(); }
static int d_semtimedop(int id, struct sembuf *s, size_t n, const struct timespec *t)
{
	(void)id; (void)s; (void)n; (void)t;
	return deny();
}
static int d_semctl(int id, int n, int c, ...) { (void)id; (void)n; (void)c; return deny(); }
static int d_shm_open(const char *n, int f, mode_t m) { (void)n; (void)f; (void)m; return deny(); }
static int d_unlink(const char *n) { (void)n; return deny(); }
static sem_t *d_sem_open(const char *n, int f, ...) { (void)n; (void)f; deny(); return SEM_FAILED; }

/* The ops of the families fam that fail closed, with their table. Message
 * queues (System V and POSIX) are interposed for tracing only: no rule acts
 * on them in the shim, so they never fail closed. */
static void deny_families(unsigned fam)
{
	shim_deny_calls = shim_next;
	if (fam & RF_SYSV_SHM) {
		shim_deny_ops |= OPBIT(SHMGET) | OPBIT(SHMAT) | OPBIT(SHMDT) | OPBIT(SHMCTL);
		shim_deny_calls.shmget = d_shmget;
		shim_deny_calls.shmat = d_shmat;
		shim_deny_calls.shmdt = d_shmdt;
		shim_deny_calls.shmctl = d_shmctl;
	}
	if (fam & RF_SYSV_SEM) {
		shim_deny_ops |= OPBIT(SEMGET) | OPBIT(SEMOP) | OPBIT(SEMTIMEDOP) | OPBIT(SEMCTL);
		shim_deny_calls.semget = d_semget;
		shim_deny_calls.semop = d_semop;
		shim_deny_calls.semtimedop = d_semtimedop;
		shim_deny_calls.semctl = d_semctl;
	}
	if (fam & RF_POSIX_SHM) {
		shim_deny_ops |= OPBIT(SHM_OPEN) | OPBIT(SHM_UNLINK);
		shim_deny_calls.shm_open = d_shm_open;
		shim_deny_calls.shm_unlink = d_unlink;
	}
	if (fam & RF_POSIX_SEM) {
		shim_deny_ops |= OPBIT(SEM_OPEN) | OPBIT(SEM_UNLINK);
		shim_deny_calls.sem_open = d_sem_open;
		shim_deny_calls.sem_unlink = d_unlink;
	}
}

/* The families of fam that fail closed, as "sysv-shm sysv-sem". */
static void family_words(unsigned fam, char *buf, size_t len)
{
	static const unsigned denied[] = {RF_SYSV_SHM, RF_SYSV_SEM, RF_POSIX_SHM, RF_POSIX_SEM};
	struct out o = {buf, 0, len - 1};

	for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++)
		if (fam & denied[i]) {
			if (o.n)
				fmt_putc(&o, ' ');
			fmt_puts(&o, rules_family_name(denied[i]));
		}
	buf[o.n < len ? o.n : len - 1] = 0;
}

void shim_rules_init(void)
{
	const char *path = getenv("NIPC_RULES"), *text = getenv("NIPC_RULES_TEXT");
	const struct rules_diag *d;
	struct rules *r;
	char first[600], fams[80];
	unsigned acting;
	size_t n, i;
	int lost;

	if (path && !*path)
		path = NULL;
	if (text && !*text)
		text = NULL;
	if (!path && !text)
		return;
	out_note_stderr();
	if (!(r = rules_new())) {
		shim_warn("NIPC_RULES: out of memory; rules ignored", NULL);
		return;
	}
	if (path)
		rules_add_file(r, path);
	/* out of memory: what was lost may have acted */
	lost = text && rules_add_text(r, "NIPC_RULES_TEXT", text);
	if (!rules_finish(r) && !lost) {
		shim_rules = r;
		return;
	}
	d = rules_diags(r, &n);
	for (i = 0; i < n && d[i].severity != RS_ERROR; i++)
		;
	if (i == n)
		snprintf(first, sizeof first, "%s: out of memory", path ? path : "NIPC_RULES_TEXT");
	else if (!d[i].line)
		snprintf(first, sizeof first, "%s: %s", d[i].source, d[i].msg);
	else
		snprintf(first, sizeof first, "%s:%u:%u: %s", d[i].source, d[i].line, d[i].col,
			 d[i].msg);
	acting = rules_acting(r) | (lost ? RF_SYSV : 0);
	rules_free(r);
	family_words(acting, fams, sizeof fams);
	if (!fams[0]) {
		shim_warn("NIPC_RULES: %s; rules ignored (nipc rules check shows every error)", first);
		return;
	}
	deny_families(acting);
	/* shim_warn takes one string */
	n = strlen(first);
	snprintf(first + n, sizeof first - n, "; the rules act, so %s calls fail with ENOSYS", fams);
	shim_warn("NIPC_RULES: %s (fail closed; nipc rules check shows every error)", first);
}
