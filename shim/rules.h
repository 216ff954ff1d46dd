/* SPDX-License-Identifier: MIT */
/* The rule language (DESIGN.md "Rules", nipc-preload(7) RULES): parsed once
 * into a table, then asked once per object what to do with it. libc only:
 * compiled into the shim and into the nipc tool. */
#ifndef NIPC_RULES_H
#define NIPC_RULES_H

#include <stddef.h>
#include <sys/types.h>

/* The family vocabulary, one bit each (the group words are unions). */
enum {
	RF_SYSV_SHM = 1u << 0,
	RF_SYSV_SEM = 1u << 1,
	RF_SYSV_MSG = 1u << 2,
	RF_POSIX_SHM = 1u << 3,
	RF_POSIX_SEM = 1u << 4,
	RF_POSIX_MQ = 1u << 5,
	RF_WIN_SHM = 1u << 6,
	RF_WIN_SEM = 1u << 7,
	RF_FTOK = 1u << 8,
	RF_SYSV = RF_SYSV_SHM | RF_SYSV_SEM | RF_SYSV_MSG,
	RF_POSIX = RF_POSIX_SHM | RF_POSIX_SEM | RF_POSIX_MQ,
	RF_WIN = RF_WIN_SHM | RF_WIN_SEM,
	RF_ALL = RF_SYSV | RF_POSIX | RF_WIN | RF_FTOK,
};

/* The bits of a family word ("sysv", "posix-mq", "shm", ...), 0 if it is
 * none; len may be (size_t)-1 for a NUL-terminated word. */
unsigned rules_family_bits(const char *word, size_t len);
/* The word of one family bit ("sysv-shm"), NULL if bit is not one. */
const char *rules_family_name(unsigned bit);

/* Kinds of action, each decided by the first matching rule that sets it. */
enum rules_kind { RK_BACKEND, RK_RENAME, RK_CLEANUP, RK_TRACE, RK_COUNT };
enum rules_backend { RB_UNSET, RB_KERNEL, RB_POSIX };
enum rules_cleanup { RC_UNSET, RC_EXIT, RC_LAST_DETACH, RC_NEVER };

/* A POSIX name a template may give: "/" and 1..251 bytes without "/"
 * (251: what NAME_MAX leaves after sem_open's "sem." prefix). */
#define RULES_NAME_MAX 251
#define RULES_NAME_BUF (RULES_NAME_MAX + 2)

/* What the caller knows about one object when it is created or opened. */
struct rules_key {
	unsigned family;        /* exactly one RF_ bit */
	const char *text;       /* the key text as a trace line prints it */
	const char *native;     /* POSIX or Windows name, System V key file; NULL: none */
	int has_keyt;           /* keyt is known (System V) */
	key_t keyt;
	uid_t uid;
};

/* Template failures (rules_decision.error). */
enum rules_xerr {
	RX_OK, RX_NO_FIELD, RX_TOO_LONG, RX_SLASH, RX_EMPTY,
};

struct rules_decision {
	int rule[RK_COUNT];     /* index of the rule that decided each kind, -1: none */
	enum rules_backend backend;
	enum rules_cleanup cleanup;
	int trace;              /* -1 undecided, 0 notrace, 1 trace */
	char name[RULES_NAME_BUF];   /* backend=posix: the backing name; "": the default */
	char rename[RULES_NAME_BUF]; /* "": the name is kept */
	enum rules_xerr error;  /* a template gave no valid name (then name/rename is "") */
	enum rules_kind error_kind;
	char error_field;       /* RX_NO_FIELD: the field letter */
};

enum rules_severity { RS_ERROR, RS_WARNING };

struct rules_diag {
	enum rules_severity severity;
	const char *source;     /* file name or "--rule N" (owned by the table) */
	unsigned line, col;
	char msg[240];
};

struct rules;

/* An empty table; NULL if out of memory. */
struct rules *rules_new(void);
void rules_free(struct rules *r);
/* Reads and parses a file. 0, or -1 when it cannot be read (a diagnostic
 * at line 0 says why); syntax errors are diagnostics, not failures. */
int rules_add_file(struct rules *r, const char *path);
/* Parses text (one rule a line) under the name source, e.g. "--rule 2".
 * 0, or -1 when out of memory. */
int rules_add_text(struct rules *r, const char *source, const char *text);
/* After the last add (once; later calls only count): the checks across
 * rules (warnings), diagnostics sorted by position. Returns the number of
 * errors. */
int rules_finish(struct rules *r);

size_t rules_count(const struct rules *r);
/* The families the lines added so far would act on (backend=, name=,
 * rename=, cleanup=), read leniently from lines with errors too: the
 * line's families (ftok aside), every System V family when its family word
 * is unknown, the line unreadable, or a file could not be read. A table
 * with errors decides nothing, so these are what must fail closed. */
unsigned rules_acting(const struct rules *r);
/* The families some rule decides kind k for (cleanup: which creations the
 * shim must look at). */
unsigned rules_families(const struct rules *r, enum rules_kind k);
/* Diagnostics in order; n receives how many. */
const struct rules_diag *rules_diags(const struct rules *r, size_t *n);
/* Where rule i was written: "FILE:LINE" (or "--rule N:LINE"). */
void rules_where(const struct rules *r, int i, char *buf, size_t len);
/* The text of rule i's action of kind k, as written ("name=/qt5.%b"). */
void rules_action_text(const struct rules *r, int i, enum rules_kind k, char *buf, size_t len);

/* What the rules say about one object. Allocation-free; never fails for a
 * table with errors (it decides nothing then). 0, or -1 when a template
 * gave no valid name (d->error says why). */
int rules_decide(const struct rules *r, const struct rules_key *k, struct rules_decision *d);
/* 1 if some rule can give backend=posix to an object of family (one RF_
 * bit): the emulation of that family must be ready. */
int rules_may_emulate(const struct rules *r, unsigned family);
/* Whether every key of family goes to backend=posix (the first rule that
 * decides its backend has no glob). */
int rules_all_emulated(const struct rules *r, unsigned family);
/* "%b needs a System V key file" style text for d->error. */
void rules_xerr_text(const struct rules_decision *d, const struct rules_key *k,
		     char *buf, size_t len);

/* Glob match ('*', '?', '[...]', '[!...]', '\' escapes) of the whole text. */
int rules_glob_match(const char *glob, const char *text);

#endif
