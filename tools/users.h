/* SPDX-License-Identifier: MIT */
/* Who uses a file: one pass over /proc (every process's maps and open
 * descriptors) building (device, inode) -> pids, so that asking about many
 * objects costs one scan. A POSIX segment or named semaphore is a file in
 * /dev/shm: stat it and ask for its (st_dev, st_ino). */
#ifndef NIPC_TOOL_USERS_H
#define NIPC_TOOL_USERS_H

#include <stddef.h>
#include <sys/types.h>

struct users;

/* Scans /proc now (the calling process is left out). NULL when out of
 * memory or /proc cannot be read (errno set). */
struct users *users_scan(void);
void users_free(struct users *u);
/* The live processes that map or hold open (dev, ino): their number, the
 * first max of them (ascending, each once) into pids. */
size_t users_of(const struct users *u, dev_t dev, ino_t ino, pid_t *pids, size_t max);
/* Processes whose maps or descriptors could not be read (another user's,
 * without privilege): a use by them is not seen. */
size_t users_unreadable(const struct users *u);

#endif
