/* SPDX-License-Identifier: MIT */
/* One pass over /proc: (device, inode) -> the processes that map or hold
 * the file open, and System V attachments (/proc/PID/maps "SYSV" entries,
 * whose inode is the shmid). The cost is per process, not per object. */
#ifndef NIPC_TOOL_PROCSCAN_H
#define NIPC_TOOL_PROCSCAN_H

#include <stdint.h>
#include <sys/types.h>

/* The device under which System V attachments are filed (ino = shmid). */
#define PROCSCAN_SYSV_DEV ((dev_t)-1)

struct procscan_proc {
	pid_t pid;
	uid_t uid;
	uint64_t start;         /* clock ticks after boot (/proc/PID/stat field 22) */
	char comm[16];
	int unreadable;         /* maps or fds could not be read (EACCES) */
};

struct procscan;

/* Scans /proc once. NULL on allocation failure (errno set). */
struct procscan *procscan_new(void);
/* The same, maps_only: without the open files (a System V attachment is
 * a mapping; no descriptor holds one). */
struct procscan *procscan_new_maps(int maps_only);
void procscan_free(struct procscan *ps);
/* Whether this process maps or holds open (dev, ino) (System V: dev
 * PROCSCAN_SYSV_DEV, ino the shmid), descriptor skip_fd aside (-1: none):
 * 1, 0, or -1 when /proc/self cannot be read. */
int procscan_self_uses(dev_t dev, ino_t ino, int skip_fd);
/* The processes that use (dev, ino), each once: their number, and the
 * first max of them in out[] as indexes into procscan_procs(). */
int procscan_users(const struct procscan *ps, dev_t dev, ino_t ino, int *out, int max);
const struct procscan_proc *procscan_procs(const struct procscan *ps, int *n);
/* How many processes could not be read, and how many of those run as
 * uid (-1: any uid). */
int procscan_unreadable(const struct procscan *ps, long uid);
/* The process pid as scanned, or NULL (not alive, or not seen). */
const struct procscan_proc *procscan_find(const struct procscan *ps, pid_t pid);
/* Seconds since the epoch at boot (/proc/stat btime) and clock ticks per
 * second: a start time in ticks is btime + start / hz. */
long long procscan_btime(void);
long procscan_hz(void);

#endif
