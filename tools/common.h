/* SPDX-License-Identifier: MIT */
/* Shared helpers of the nipc command's subcommands. */
#ifndef NIPC_TOOL_COMMON_H
#define NIPC_TOOL_COMMON_H

#include <stdio.h>

/* Exit status of every subcommand (documented in nipc(1)). */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* "nipc: <message>" on stderr; return EXIT_USAGE / EXIT_FAIL. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

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

/* 1 if arg is "-h" or "--help". */
int is_help(const char *arg);

/* Subcommands: argv[0] is the subcommand's name. */
int cmd_key(int argc, char **argv);
int cmd_shm(int argc, char **argv);
int cmd_sem(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_rules(int argc, char **argv);

/* ---- shared by nipc shm / nipc sem ---- */
#include <signal.h>
#include "nipc.h"

/* A KEY argument: a string form ("posix:/app"), or --legacy NAME with an
 * optional --type TYPE (default: the host's legacy default type). */
struct key_arg {
	const char *string, *legacy, *type;
};
/* If argv[*i] is --legacy or --type, takes its value, advances *i past it
 * and returns 1; returns 0 for any other argument; -1 (after a message) if
 * the value is missing or given twice. */
int key_arg_option(struct key_arg *ka, int argc, char **argv, int *i, const char *who);
/* Sets the string form from a positional argument: 1, or -1 (after a
 * message) if a key was already given. */
int key_arg_positional(struct key_arg *ka, const char *arg, const char *who);
/* Builds the key (a legacy key is made for kind). EXIT_OK with *out set,
 * or EXIT_USAGE / EXIT_FAIL after a message. */
int key_arg_make(const struct key_arg *ka, nipc_kind kind, const char *who, nipc_key **out);

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
