/* SPDX-License-Identifier: MIT */
/* Shared helpers of the nipc command's subcommands. */
#ifndef NIPC_TOOL_COMMON_H
#define NIPC_TOOL_COMMON_H

#include <stdio.h>

/* Exit status of every subcommand (documented in nipc(1)). */
enum {
	EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2,
	EXIT_NOTFOUND = 3, /* the object does not exist */
	EXIT_INUSE = 4,    /* nipc rm: a live process uses it (see --force) */
	EXIT_TIMEOUT = 5,  /* --timeout ran out */
};

/* "nipc: <message>" on stderr in one write; returns rc. */
int say(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A usage error (EXIT_USAGE) / a failure (EXIT_FAIL), after the message. */
#define usage_error(...) say(EXIT_USAGE, __VA_ARGS__)
#define fail(...) say(EXIT_FAIL, __VA_ARGS__)

/* Writes s as a JSON string literal (quotes included); NULL writes null. */
void json_string(FILE *f, const char *s);

/* Opens /dev/null on each of fds 0, 1 and 2 that is closed, so that no
 * file nipc or libnipc opens can take a standard descriptor's number; the
 * opposite direction (stdin write-only, stdout and stderr read-only) keeps
 * reads and writes through it failing with EBADF as on a closed one.
 * Exits with EXIT_FAIL if it cannot. Call first in main(). */
void std_fds_fill(void);
/* fwrite to stdout / fflush stdout, remembering why the first failure
 * failed for close_stdout; 0 or -1. */
int write_stdout(const void *buf, size_t len);
int flush_stdout(void);
/* At exit: flushes and closes stdout; on any failure of a write to it,
 * "nipc: write error: REASON" on stderr and EXIT_FAIL (rc if it is already
 * a failure), else rc. */
int close_stdout(int rc);

/* ---- the one argument parser of every command and subcommand ----
 * Long options (--name, --name=VALUE, --name VALUE), short ones (-c,
 * -o VALUE, -oVALUE), "--" ends the options, -h/--help on every level.
 * Options and positionals mix freely unless CL_STOP_AT_POSITIONAL (then the
 * first positional and all that follow are the rest, as a command to run). */
struct opt {
	const char *name;      /* long name without "--" */
	char short_name;       /* one letter, or 0 */
	int has_value;
	const char *needs;     /* what a missing value is called: "a list"; NULL: "a value" */
	int once;              /* given twice is an error (CL_ONCE: every option is) */
	const char **list;     /* if set: every value in order, at most list_max */
	int list_max;
};

enum {
	CL_STOP_AT_POSITIONAL = 1, /* see above */
	CL_ONCE = 2,               /* an option given twice is an error */
	CL_MAX_OPTS = 24,
	CL_MAX_POS = 8,
	CL_HELP = -1,              /* parse_cmdline: --help was given */
};

struct cmdline {
	/* in */
	const char *who;         /* message prefix: "shm create"; NULL: none */
	const char *see;         /* "nipc shm --help", named after "unknown option", or NULL */
	const struct opt *opts;  /* ends with {NULL} */
	int max_pos;             /* positionals allowed (without CL_STOP_AT_POSITIONAL) */
	unsigned flags;
	/* out */
	const char *val[CL_MAX_OPTS]; /* value of opts[i], the last one given */
	int seen[CL_MAX_OPTS];        /* times opts[i] was given */
	char *pos[CL_MAX_POS];
	int npos;
	char **rest;             /* CL_STOP_AT_POSITIONAL: first positional on, NULL-ended */
	int nrest;
};

/* Parses argv[1..argc) as c describes: EXIT_OK, CL_HELP (the caller prints
 * its help on stdout and exits EXIT_OK), or EXIT_USAGE after a message. */
int parse_cmdline(struct cmdline *c, int argc, char **argv);
/* 1 if arg is "-h" or "--help" (a command word that asks for help). */
int is_help(const char *arg);
/* Index of name in the names (n of them, each stride bytes after the
 * previous, as the first member of a table's rows), or -1. */
int find_name(const void *table, size_t n, size_t stride, const char *name);
#define FIND_ROW(table, name) \
	find_name((table), sizeof (table) / sizeof (table)[0], sizeof (table)[0], (name))

/* Subcommands: argv[0] is the subcommand's name. */
int cmd_key(int argc, char **argv);
int cmd_shm(int argc, char **argv);
int cmd_sem(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_counters(int argc, char **argv);

/* ---- shared by nipc shm / nipc sem ---- */
#include <signal.h>
#include "nipc.h"

/* A KEY argument: a string form ("posix:/app"), or --legacy NAME with an
 * optional --type TYPE (default: the host's legacy default type). */
struct key_arg {
	const char *string, *legacy, *type;
};
/* The --legacy and --type options of a KEY, for a command's option table. */
#define KEY_ARG_OPTS {.name = "legacy", .has_value = 1}, {.name = "type", .has_value = 1}
/* Takes the KEY from a parsed command line whose first two options are
 * KEY_ARG_OPTS: --legacy NAME and --type, else the first positional as the
 * string form (then removed from c->pos). With --legacy, a KEY positional
 * left over beside want more positionals is kept, for key_arg_make to refuse. */
void key_arg_take(struct key_arg *ka, struct cmdline *c, int want);
/* Builds the key (a legacy key is made for kind). EXIT_OK with *out set,
 * or EXIT_USAGE / EXIT_FAIL after a message. */
int key_arg_make(const struct key_arg *ka, nipc_kind kind, const char *who, nipc_key **out);

/* The raw System V forms of a KEY, as ipcs and nipc's trace print them:
 * "0x5100408b" (a key_t), "shmid:N", "semid:N". raw_form gives which one s
 * is (RAW_NONE: not one, a string form then) with its number in *num (a
 * key_t as the kernel's signed 32 bits); RAW_BAD for "shmid:x" and the like. */
enum { RAW_NONE, RAW_KEY, RAW_SHMID, RAW_SEMID, RAW_BAD };
int raw_form(const char *s, long *num);

/* A size: a decimal number with an optional K, M, G or T suffix (1024-based,
 * as ipcmk; either case), at most max: 0, or -1. */
int parse_size(const char *s, unsigned long long max, unsigned long long *out);

/* Decimal number in [min, max], whole string: 0, or -1. */
int parse_num(const char *s, unsigned long long min, unsigned long long max,
	      unsigned long long *out);

/* SIGINT/SIGTERM (after catch_stop_signals) set stop_signal instead of
 * killing, so a holding command can detach cleanly. */
extern volatile sig_atomic_t stop_signal;
void catch_stop_signals(void);
/* Waits for a line or EOF on stdin, or a stop signal. */
void wait_line_or_signal(void);
/* Sleeps ms milliseconds or until a stop signal. */
void sleep_ms_or_signal(unsigned long long ms);

#endif
