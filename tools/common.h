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

/* 1 if arg is "-h" or "--help". */
int is_help(const char *arg);

/* Subcommands: argv[0] is the subcommand's name. */
int cmd_key(int argc, char **argv);
int cmd_shm(int argc, char **argv);
int cmd_sem(int argc, char **argv);
int cmd_trace(int argc, char **argv);

#endif
