/* SPDX-License-Identifier: MIT */
/* Helpers of the shim tests: a scratch directory, running a helper program
 * under libnipc-preload.so with a clean environment, reading its JSON Lines
 * and comparing events with a table. */
#ifndef NIPC_TEST_SHIM_COMMON_H
#define NIPC_TEST_SHIM_COMMON_H

#include <stddef.h>
#include <sys/types.h>

#include "trace_json.h"

/* $NIPC_TOP_BUILDDIR/tests/progs/NAME; the shim in the build tree. */
const char *ts_prog(const char *name);
const char *ts_shim(void);

/* A fresh directory (mode 0755) removed with everything in it at exit. */
const char *ts_scratch(void);
/* scratch/NAME in a static rotating buffer (8 live results). */
const char *ts_path(const char *name);
/* "/nipc-test-<pid>-<n>", unlinked as shm and sem at exit. */
const char *ts_unique(void);
/* A new empty key file scratch/NAME.N whose ftok keys for ids 'Q' and 7
 * name no existing segment or semaphore set (ftok keeps only 16 bits of the
 * inode, so a concurrent test's key file can share a key); its objects are
 * removed at exit. Static rotating buffer (4 live results); NULL if none. */
const char *ts_sysv_keyfile(const char *name);
/* Removes System V objects of ftok(path, id) at exit. */
void ts_cleanup_sysv(const char *path, int id);
void ts_cleanup_name(const char *name);
/* Runs every registered cleanup now (also done at exit). */
void ts_cleanup(void);

struct ts_run {
	const char *trace;     /* NIPC_TRACE (NULL: unset) */
	const char *file;      /* NIPC_TRACE_FILE (NULL: unset) */
	const char *format;    /* NIPC_TRACE_FORMAT (NULL: unset) */
	const char *children;  /* NIPC_TRACE_CHILDREN (NULL: unset) */
	const char *extra[4];  /* more NAME=VALUE, NULL-terminated */
	int preload;           /* put the shim in LD_PRELOAD */
	const char *out, *err; /* stdout/stderr files (NULL: /dev/null) */
	int fd_from;           /* if > 0: file `file_at_fd` is opened on this fd */
	const char *file_at_fd;
	int timeout;           /* seconds (0: 60) */
	uid_t uid;             /* run as this user if nonzero */
	unsigned closed;       /* bit N set: descriptor N is closed (after out/err) */
	int dead_pipe;         /* if > 0: this descriptor is a pipe whose reader is gone */
	int dead_socket;       /* if > 0: this descriptor is a socket whose peer is gone */
	long fsize_limit;      /* if > 0: RLIMIT_FSIZE, bytes */
};

/* Runs argv as described; returns the exit status, 128+N if killed by
 * signal N, -1 if it could not run. The environment is this process's
 * without LD_PRELOAD and NIPC_*, plus what r asks for (and the sanitizer
 * runtime first in LD_PRELOAD when the shim is built with sanitizers). */
int ts_run(char *const argv[], const struct ts_run *r);

/* The lines of a file (an empty list if it does not exist). */
struct ts_lines {
	char **line;
	size_t n;
};
void ts_load(struct ts_lines *l, const char *path);
void ts_free(struct ts_lines *l);
char *ts_slurp(const char *path);

/* Parses line i as one JSON event (fails the test if it does not parse or
 * lacks a required key in the right order). */
void ts_parse(struct tj_doc *d, const char *line);
/* Field text: strings unescaped, numbers as written, null as "null",
 * arrays/objects as compact JSON. buf of len bytes. */
const char *ts_field(const struct tj_doc *d, const char *name, char *buf, size_t len);
const char *ts_arg(const struct tj_doc *d, const char *name, char *buf, size_t len);

/* One expected event: op; key (NULL = null); ret ("*" anything, "ptr" a
 * "0x…" string); err (NULL = null); args "name=value;…" (all of them, in
 * order: an event with other or more arguments does not match). */
struct ts_expect {
	const char *op, *key, *ret, *err, *args;
};

/* Asserts that the lines are exactly these events in order, all with pid. */
void ts_expect_events(const struct ts_lines *l, const struct ts_expect *x, size_t n, long pid);

#endif
