/* SPDX-License-Identifier: MIT */
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
static void vsay(const char *fmt, va_list ap)
{
	char buf[16384]; /* room for a few paths of PATH_MAX */
	int n = snprintf(buf, sizeof buf, "nipc: ");

	vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
	n = (int)strlen(buf);
	buf[n++] = '\n';
	buf[n] = '\0';
	fputs(buf, stderr);
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	return EXIT_FAIL;
}

void json_string(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
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

int key_arg_option(struct key_arg *ka, int argc, char **argv, int *i, const char *who)
{
	const char **slot;

	if (!strcmp(argv[*i], "--legacy"))
		slot = &ka->legacy;
	else if (!strcmp(argv[*i], "--type"))
		slot = &ka->type;
	else
		return 0;
	if (*i + 1 >= argc) {
		usage_error("%s: %s needs a value", who, argv[*i]);
		return -1;
	}
	if (*slot) {
		usage_error("%s: %s given twice", who, argv[*i]);
		return -1;
	}
	*slot = argv[++*i];
	return 1;
}

int key_arg_positional(struct key_arg *ka, const char *arg, const char *who)
{
	if (ka->string) {
		usage_error("%s: unexpected argument '%s'", who, arg);
		return -1;
	}
	ka->string = arg;
	return 1;
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
