/* SPDX-License-Identifier: MIT */
/* Helpers shared by the nipc subcommands: messages, the argument parser,
 * standard descriptors and stdout, KEY arguments, numbers, stop signals. */
#include "config.h"

#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* One write per message: stderr may be a pipe shared with other writers
 * (a traced program and its tracer), and a line cut in three would come
 * out interleaved with theirs. */
int say(int rc, const char *fmt, ...)
{
	char buf[16384]; /* room for a few paths of PATH_MAX */
	int n = snprintf(buf, sizeof buf, "nipc: ");
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(buf);
	buf[n++] = '\n';
	buf[n] = '\0';
	fputs(buf, stderr);
	return rc;
}

void json_string(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		/* a run that needs no escape in one write */
		size_t n = 0;

		while (p[n] >= 0x20 && p[n] != 0x7f && p[n] != '"' && p[n] != '\\')
			n++;
		if (n) {
			fwrite(p, 1, n, f);
			p += n - 1;
			continue;
		}
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void std_fds_fill(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free number is fd. Not close-on-exec: a command
		 * nipc trace runs inherits it too. */
		if (open("/dev/null", fd ? O_RDONLY : O_WRONLY) != fd) {
			fail("cannot open /dev/null on closed descriptor %d: %s", fd, strerror(errno));
			exit(EXIT_FAIL);
		}
	}
}

/* errno of the first failed write to stdout, 0 if none or unknown. */
static int stdout_errno;

static int stdout_result(int ok)
{
	if (!ok && !stdout_errno)
		stdout_errno = errno;
	return ok ? 0 : -1;
}

int write_stdout(const void *buf, size_t len)
{
	return stdout_result(fwrite(buf, 1, len, stdout) == len);
}

int flush_stdout(void)
{
	return stdout_result(fflush(stdout) == 0);
}

int close_stdout(int rc)
{
	int failed = flush_stdout() < 0 || ferror(stdout);

	if (fclose(stdout) != 0) {
		stdout_result(0);
		failed = 1;
	}
	if (!failed)
		return rc;
	if (stdout_errno)
		fail("write error: %s", strerror(stdout_errno));
	else
		fail("write error");
	return rc == EXIT_OK ? EXIT_FAIL : rc;
}

int is_help(const char *arg)
{
	return arg && (!strcmp(arg, "-h") || !strcmp(arg, "--help"));
}

static int is_option(const char *arg)
{
	return arg[0] == '-' && arg[1];
}

/* The option arg names (after its dashes: len bytes of a long name, or
 * one letter), or NULL. */
static const struct opt *find_opt(const struct opt *t, const char *arg, size_t len, int lng)
{
	for (; t->name; t++)
		if (lng ? strlen(t->name) == len && !strncmp(t->name, arg, len)
			: t->short_name && t->short_name == arg[0])
			return t;
	return NULL;
}

/* The "who: " of a message; none at the top level. */
#define WHO(c) (c)->who ? (c)->who : "", (c)->who ? ": " : ""

/* 1 if arg is an option whose value is the next argument. */
static int takes_next(const struct opt *t, const char *arg)
{
	int lng = arg[0] == '-' && arg[1] == '-';
	const struct opt *o = is_option(arg) ? find_opt(t, arg + 1 + lng, strlen(arg + 1 + lng), lng)
					     : NULL;

	return o && o->has_value && (lng || !arg[2]);
}

static int unknown_option(const struct cmdline *c, const char *arg)
{
	if (c->see)
		return usage_error("%s%sunknown option '%s' (see %s)", WHO(c), arg, c->see);
	return usage_error("%s%sunknown option '%s'", WHO(c), arg);
}

/* One option at argv[*i]; advances *i past a separate value. */
static int take_option(struct cmdline *c, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *val = NULL;
	int lng = arg[1] == '-';
	const char *name = arg + 1 + lng;
	size_t len = lng ? strcspn(name, "=") : 1;
	const struct opt *o = find_opt(c->opts, name, len, lng);

	if (!o)
		return unknown_option(c, arg);
	if (lng && name[len] == '=')
		val = name + len + 1;
	else if (!lng && name[1])
		val = name + 1;
	if (val && !o->has_value)
		return unknown_option(c, arg);
	if (o->has_value && !val) {
		if (*i + 1 >= argc)
			return usage_error("%s%s%s needs %s", WHO(c), arg, o->needs ? o->needs : "a value");
		val = argv[++*i];
	}
	int k = (int)(o - c->opts), alen = (int)(name - arg + len);
	if ((o->once || (c->flags & CL_ONCE)) && c->seen[k])
		return usage_error("%s%s%.*s given twice", WHO(c), alen, arg);
	if (o->list && c->seen[k] == o->list_max)
		return usage_error("%s%smore than %d %.*s", WHO(c), o->list_max, alen, arg);
	if (o->list)
		o->list[c->seen[k]] = val;
	c->seen[k]++;
	c->val[k] = val;
	return EXIT_OK;
}

int parse_cmdline(struct cmdline *c, int argc, char **argv)
{
	int stop = c->flags & CL_STOP_AT_POSITIONAL, i, rc;

	memset(c->val, 0, sizeof c->val);
	memset(c->seen, 0, sizeof c->seen);
	c->npos = 0;
	c->rest = NULL;
	c->nrest = 0;
	/* Help wins over any error, wherever it stands among the options (not
	 * as the value of one: -o --help names a file). */
	for (i = 1; i < argc && strcmp(argv[i], "--") && (!stop || is_option(argv[i])); i++) {
		if (is_help(argv[i]))
			return CL_HELP;
		if (takes_next(c->opts, argv[i]))
			i++;
	}
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "--")) {
			i++;
			break;
		}
		if (is_option(arg)) {
			if ((rc = take_option(c, argc, argv, &i)))
				return rc;
			continue;
		}
		if (stop)
			break;
		if (c->npos == c->max_pos || c->npos == CL_MAX_POS)
			return usage_error("%s%sunexpected argument '%s'", WHO(c), arg);
		c->pos[c->npos++] = argv[i];
	}
	if (stop) {
		c->rest = argv + i;
		c->nrest = argc - i;
		return EXIT_OK;
	}
	for (; i < argc; i++) {
		if (c->npos == c->max_pos || c->npos == CL_MAX_POS)
			return usage_error("%s%sunexpected argument '%s'", WHO(c), argv[i]);
		c->pos[c->npos++] = argv[i];
	}
	return EXIT_OK;
}

int find_name(const void *table, size_t n, size_t stride, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		const char *const *row = (const char *const *)((const char *)table + i * stride);

		if (!strcmp(*row, name))
			return (int)i;
	}
	return -1;
}

void key_arg_take(struct key_arg *ka, struct cmdline *c, int want)
{
	ka->legacy = c->val[0];
	ka->type = c->val[1];
	ka->string = NULL;
	if (c->npos && (!ka->legacy || c->npos > want)) {
		ka->string = c->pos[0];
		memmove(c->pos, c->pos + 1, (size_t)--c->npos * sizeof *c->pos);
	}
}

int key_arg_make(const struct key_arg *ka, nipc_kind kind, const char *who, nipc_key **out)
{
	int type, err;

	*out = NULL;
	if (ka->legacy && ka->string)
		return usage_error("%s: give either KEY or --legacy NAME, not both", who);
	if (!ka->legacy && !ka->string)
		return usage_error("%s: missing KEY (a string form such as posix:/app, or --legacy NAME)", who);
	if (ka->string) {
		if (ka->type)
			return usage_error("%s: --type applies to --legacy NAME only", who);
		err = nipc_key_from_string(out, ka->string);
		if (err < 0 && !strchr(ka->string, ':'))
			return fail("%s: invalid key '%s': a key names its type first; did you mean "
				    "'posix:%s%s' (or --legacy %s for Qt 5's key of that name)?", who,
				    ka->string, ka->string[0] == '/' ? "" : "/", ka->string,
				    ka->string);
		if (err < 0)
			return fail("%s: invalid key '%s': %s", who, ka->string, nipc_strerror(err));
		return EXIT_OK;
	}
	type = nipc_key_legacy_default_type(NIPC_OS_HOST);
	if (ka->type && !(type = nipc_key_type_from_name(ka->type)))
		return usage_error("%s: unknown key type '%s' (systemv, systemv-N, posix)", who, ka->type);
	if (!*ka->legacy)
		return fail("%s: empty legacy name", who);
	err = nipc_key_legacy_make(out, ka->legacy, kind, type, NIPC_OS_HOST, NULL);
	if (err < 0)
		return fail("%s: cannot make the legacy key of '%s': %s", who, ka->legacy, nipc_strerror(err));
	return EXIT_OK;
}

int raw_form(const char *s, long *num)
{
	unsigned long long n;
	char *end;
	int form;

	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2)) {
		errno = 0;
		n = strtoull(s + 2, &end, 16);
		if (!s[2] || *end || errno || n > 0xffffffffULL)
			return RAW_BAD;
		*num = (long)(int)(unsigned)n;
		return RAW_KEY;
	}
	if (!strncmp(s, "shmid:", 6))
		form = RAW_SHMID;
	else if (!strncmp(s, "semid:", 6))
		form = RAW_SEMID;
	else
		return RAW_NONE;
	if (parse_num(s + 6, 0, 0x7fffffff, &n) < 0)
		return RAW_BAD;
	*num = (long)n;
	return form;
}

int parse_size(const char *s, unsigned long long max, unsigned long long *out)
{
	static const char units[] = "KMGT";
	unsigned long long n, mul = 1;
	char *end;
	const char *u;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		if (end[1] || !(u = strchr(units, end[0] & ~0x20)) || !(end[0] & ~0x20))
			return -1;
		mul = 1ULL << (10 * (u - units + 1));
	}
	if (n > max / mul)
		return -1;
	*out = n * mul;
	return 0;
}

int parse_num(const char *s, unsigned long long min, unsigned long long max,
	      unsigned long long *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end || *out < min || *out > max ? -1 : 0;
}

volatile sig_atomic_t stop_signal;
static sigset_t wait_mask;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

void catch_stop_signals(void)
{
	struct sigaction sa;
	sigset_t block;

	/* Blocked except inside ppoll, so a signal arriving just before the
	 * wait cannot be missed. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void wait_line_or_signal(void)
{
	struct pollfd pfd = {0, POLLIN, 0};
	char c;

	while (!stop_signal) {
		int r = ppoll(&pfd, 1, NULL, &wait_mask);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (pfd.revents & POLLNVAL))
			return;
		ssize_t n = read(0, &c, 1);
		if (n == 0 || (n == 1 && c == '\n') || (n < 0 && errno != EINTR && errno != EAGAIN))
			return;
	}
}

void sleep_ms_or_signal(unsigned long long ms)
{
	struct timespec now, end, left;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)(ms / 1000);
	end.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	while (!stop_signal) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = end.tv_sec - now.tv_sec;
		left.tv_nsec = end.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		if (left.tv_sec < 0)
			return;
		if (ppoll(NULL, 0, &left, &wait_mask) == 0)
			return;
	}
}
