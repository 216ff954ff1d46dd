/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_trace_common.h"
#include "trace_json.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char scratch_dir[PATH_MAX];
static char nipc_path[PATH_MAX];
static struct tj_doc doc;

static const char *env_dir(const char *name)
{
	const char *v = getenv(name);

	if (!v || v[0] != '/') {
		fprintf(stderr, "%s must be set to an absolute path (run through make check)\n", name);
		abort();
	}
	return v;
}

const char *tt_top_builddir(void)
{
	return env_dir("NIPC_TOP_BUILDDIR");
}

const char *tt_top_srcdir(void)
{
	return env_dir("NIPC_TOP_SRCDIR");
}

const char *tt_nipc(void)
{
	if (!nipc_path[0])
		snprintf(nipc_path, sizeof nipc_path, "%s/tools/nipc", tt_top_builddir());
	return nipc_path;
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

void tt_scratch_remove(void)
{
	if (scratch_dir[0])
		nftw(scratch_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	scratch_dir[0] = '\0';
}

const char *tt_scratch(void)
{
	static int registered;
	const char *tmp = getenv("TMPDIR");

	if (scratch_dir[0])
		return scratch_dir;
	if (!tmp || tmp[0] != '/')
		tmp = "/tmp";
	snprintf(scratch_dir, sizeof scratch_dir, "%s/nipc-test-trace-%ld-XXXXXX", tmp,
		 (long)getpid());
	if (!mkdtemp(scratch_dir)) {
		fprintf(stderr, "mkdtemp %s: %s\n", scratch_dir, strerror(errno));
		abort();
	}
	if (!registered++)
		atexit(tt_scratch_remove);
	return scratch_dir;
}

static void redirect(const char *path, int fd)
{
	int f = open(path ? path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (f < 0 || dup2(f, fd) < 0)
		_exit(126);
	close(f);
}

int tt_run(char *const argv[], const char *out, const char *err, char *const env[])
{
	int st;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		redirect(out, 1);
		redirect(err, 2);
		for (size_t i = 0; env && env[i]; i++)
			putenv(env[i]);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}

char *tt_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[8192];

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		char *nb = realloc(buf, len + n + 1);

		assert_non_null(nb);
		buf = nb;
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (!buf)
		buf = calloc(1, 1);
	assert_non_null(buf);
	buf[len] = '\0';
	return buf;
}

static void copy_text(char *dst, size_t len, const char *src)
{
	assert_non_null(src);
	assert_true(strlen(src) < len);
	strcpy(dst, src);
}

static void parse_event(struct tt_event *ev, const char *line)
{
	const struct tj_node *root, *n;

	if (tj_parse(&doc, line, strlen(line)) < 0 || doc.node[0].type != TJ_OBJ)
		fail_msg("not a JSON object: %s", line);
	root = &doc.node[0];
	/* The contract's keys, in the contract's order. */
	static const char *const keys[] = {"ts", "pid", "tid", "op", "args", "ret",
					   "errno", "dur_ns", "key"};
	n = tj_child(&doc, root);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++, n = tj_next(&doc, n))
		if (!n || strcmp(n->name, keys[i]))
			fail_msg("event lacks key '%s' in position %zu: %s", keys[i], i, line);
	assert_int_equal(tj_get(&doc, root, "ts")->type, TJ_NUM);
	assert_int_equal(tj_get(&doc, root, "args")->type, TJ_OBJ);
	ev->pid = (long)tj_int(tj_get(&doc, root, "pid"), -1);
	ev->tid = (long)tj_int(tj_get(&doc, root, "tid"), -1);
	ev->dur_ns = tj_int(tj_get(&doc, root, "dur_ns"), -1);
	assert_true(ev->pid > 0 && ev->tid > 0 && ev->dur_ns >= 0);
	copy_text(ev->op, sizeof ev->op, tj_str(tj_get(&doc, root, "op")));
	n = tj_get(&doc, root, "ret");
	assert_true(n->type == TJ_NUM || n->type == TJ_STR);
	copy_text(ev->ret, sizeof ev->ret, n->text);
	n = tj_get(&doc, root, "errno");
	assert_true(n->type == TJ_NULL || n->type == TJ_STR);
	copy_text(ev->err, sizeof ev->err, n->type == TJ_STR ? n->text : "");
	n = tj_get(&doc, root, "key");
	assert_true(n->type == TJ_NULL || n->type == TJ_STR);
	ev->has_key = n->type == TJ_STR;
	copy_text(ev->key, sizeof ev->key, ev->has_key ? n->text : "");
	ev->line = strdup(line);
	assert_non_null(ev->line);
}

void tt_load(struct tt_events *e, const char *path)
{
	char *text = tt_slurp(path), *line, *save = NULL;
	size_t cap = 0;

	e->ev = NULL;
	e->n = 0;
	if (!text)
		fail_msg("no event file %s", path);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (e->n == cap) {
			cap = cap ? cap * 2 : 64;
			e->ev = realloc(e->ev, cap * sizeof *e->ev);
			assert_non_null(e->ev);
		}
		parse_event(&e->ev[e->n++], line);
	}
	free(text);
}

void tt_free(struct tt_events *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->ev[i].line);
	free(e->ev);
	e->ev = NULL;
	e->n = 0;
}

static void select_if(struct tt_events *dst, const struct tt_events *src,
		      int (*keep)(const struct tt_event *, const void *), const void *arg)
{
	dst->ev = calloc(src->n + 1, sizeof *dst->ev);
	dst->n = 0;
	assert_non_null(dst->ev);
	for (size_t i = 0; i < src->n; i++)
		if (keep(&src->ev[i], arg)) {
			dst->ev[dst->n] = src->ev[i];
			dst->ev[dst->n++].line = strdup(src->ev[i].line);
		}
}

static int key_has_prefix(const struct tt_event *ev, const void *prefix)
{
	return ev->has_key && !strncmp(ev->key, prefix, strlen(prefix));
}

static int pid_is(const struct tt_event *ev, const void *pid)
{
	return ev->pid == *(const long *)pid;
}

void tt_select_key(struct tt_events *dst, const struct tt_events *src, const char *prefix)
{
	select_if(dst, src, key_has_prefix, prefix);
}

void tt_select_pid(struct tt_events *dst, const struct tt_events *src, long pid)
{
	select_if(dst, src, pid_is, &pid);
}

static size_t put(char *buf, size_t len, size_t at, const char *s)
{
	size_t n = strlen(s);

	if (at + n < len)
		memcpy(buf + at, s, n + 1);
	return at + n;
}

/* Compact JSON of a node (strings quoted, no escapes needed in our tests'
 * values beyond what the shim writes). */
static size_t compact(const struct tj_node *v, char *buf, size_t len, size_t at, int top)
{
	switch (v->type) {
	case TJ_NULL:
		return put(buf, len, at, "null");
	case TJ_STR:
		if (top)
			return put(buf, len, at, v->text);
		at = put(buf, len, at, "\"");
		at = put(buf, len, at, v->text);
		return put(buf, len, at, "\"");
	case TJ_ARR:
	case TJ_OBJ:
		at = put(buf, len, at, v->type == TJ_ARR ? "[" : "{");
		for (const struct tj_node *k = tj_child(&doc, v); k; k = tj_next(&doc, k)) {
			if (k->name) {
				at = put(buf, len, at, "\"");
				at = put(buf, len, at, k->name);
				at = put(buf, len, at, "\":");
			}
			at = compact(k, buf, len, at, 0);
			if (k->next >= 0)
				at = put(buf, len, at, ",");
		}
		return put(buf, len, at, v->type == TJ_ARR ? "]" : "}");
	default:
		return put(buf, len, at, v->text);
	}
}

int tt_arg(const struct tt_event *ev, const char *name, char *buf, size_t len)
{
	const struct tj_node *args, *a;

	if (tj_parse(&doc, ev->line, strlen(ev->line)) < 0)
		return -1;
	args = tj_get(&doc, &doc.node[0], "args");
	if (!(a = tj_get(&doc, args, name)))
		return -1;
	buf[0] = '\0';
	return compact(a, buf, len, 0, 1) < len ? 0 : -1;
}

void tt_dump(const struct tt_events *e)
{
	for (size_t i = 0; i < e->n; i++)
		fprintf(stderr, "# event %zu: %s\n", i, e->ev[i].line);
}

static void check_args(const struct tt_event *ev, const char *spec, size_t i)
{
	char copy[1024], *item, *save = NULL, got[1024];

	assert_true(strlen(spec) < sizeof copy);
	strcpy(copy, spec);
	for (item = strtok_r(copy, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(item, '=');

		assert_non_null(eq);
		*eq = '\0';
		if (tt_arg(ev, item, got, sizeof got))
			fail_msg("event %zu (%s): no argument '%s': %s", i, ev->op, item, ev->line);
		if (strcmp(got, eq + 1))
			fail_msg("event %zu (%s): argument %s is '%s', expected '%s'", i, ev->op,
				 item, got, eq + 1);
	}
}

void tt_expect_events(const struct tt_events *e, const struct tt_expect *x, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < e->n; i++) {
		const struct tt_event *ev = &e->ev[i];

		if (strcmp(ev->op, x[i].op)) {
			tt_dump(e);
			fail_msg("event %zu is %s, expected %s", i, ev->op, x[i].op);
		}
		if (x[i].key ? !ev->has_key || strcmp(ev->key, x[i].key) : ev->has_key)
			fail_msg("event %zu (%s): key %s, expected %s", i, ev->op,
				 ev->has_key ? ev->key : "null", x[i].key ? x[i].key : "null");
		if (!strcmp(x[i].ret, "ptr")) {
			if (strncmp(ev->ret, "0x", 2))
				fail_msg("event %zu (%s): ret %s, expected a pointer", i, ev->op, ev->ret);
		} else if (strcmp(x[i].ret, "*") && strcmp(x[i].ret, ev->ret)) {
			fail_msg("event %zu (%s): ret %s, expected %s", i, ev->op, ev->ret, x[i].ret);
		}
		if (strcmp(ev->err, x[i].err ? x[i].err : ""))
			fail_msg("event %zu (%s): errno %s, expected %s", i, ev->op,
				 ev->err[0] ? ev->err : "null", x[i].err ? x[i].err : "null");
		if (x[i].args)
			check_args(ev, x[i].args, i);
	}
	if (e->n != n) {
		tt_dump(e);
		fail_msg("%zu events, expected %zu", e->n, n);
	}
}
