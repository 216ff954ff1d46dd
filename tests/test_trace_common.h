/* SPDX-License-Identifier: MIT */
/* Shared helpers of the trace tests: a per-run scratch directory, running
 * programs (under `nipc trace`), reading JSON Lines events and comparing
 * them with an expected table. */
#ifndef NIPC_TEST_TRACE_COMMON_H
#define NIPC_TEST_TRACE_COMMON_H

#include <stddef.h>
#include <sys/types.h>

struct tt_event {
	long pid, tid;
	char op[32];
	char key[1024];  /* "" when the event's key is null */
	int has_key;
	char ret[64];    /* the JSON number, or the pointer string */
	char err[32];    /* "" when errno is null */
	long long dur_ns;
	char *line;      /* the raw JSON line */
};

struct tt_events {
	struct tt_event *ev;
	size_t n;
};

/* One expected event. NULL key/err mean JSON null; ret "*" matches anything,
 * "ptr" any "0x…" string; args is "name=value;name=value" (only the listed
 * arguments are compared, as rendered by tt_arg). */
struct tt_expect {
	const char *op, *key, *ret, *err, *args;
};

/* Builds paths; aborts the test on failure. */
const char *tt_top_builddir(void);
const char *tt_top_srcdir(void);
const char *tt_nipc(void);

/* A fresh directory under $TMPDIR (or /tmp), removed with its files by
 * tt_scratch_remove (also registered with atexit). */
const char *tt_scratch(void);
void tt_scratch_remove(void);

/* Runs argv with stdout/stderr redirected to the given files (NULL: /dev/null)
 * and `env` (NAME=VALUE strings, NULL-terminated, may be NULL) added.
 * Returns the exit status, 128+N when killed by signal N, -1 on error. */
int tt_run(char *const argv[], const char *out, const char *err, char *const env[]);

/* Reads a JSON Lines file; every line must parse as an event (the test fails
 * otherwise). */
void tt_load(struct tt_events *e, const char *path);
void tt_free(struct tt_events *e);
/* The events whose key starts with prefix (copies of pointers into src). */
void tt_select_key(struct tt_events *dst, const struct tt_events *src, const char *prefix);
void tt_select_pid(struct tt_events *dst, const struct tt_events *src, long pid);

/* The text of argument `name` of event ev into buf: strings as they are,
 * numbers as written, arrays/objects as compact JSON. 0, or -1 if absent. */
int tt_arg(const struct tt_event *ev, const char *name, char *buf, size_t len);

/* Asserts that e holds exactly the n expected events, in order. */
void tt_expect_events(const struct tt_events *e, const struct tt_expect *x, size_t n);

/* Reads a whole file into a NUL-terminated malloc'd string (NULL if absent). */
char *tt_slurp(const char *path);

/* Prints the events (for diagnosing a failure). */
void tt_dump(const struct tt_events *e);

#endif
