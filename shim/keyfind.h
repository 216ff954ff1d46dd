/* SPDX-License-Identifier: MIT */
/* Names for System V objects the tracing process did not see being made:
 * an id resolved to its key through /proc/sysvipc, and a key resolved to a
 * file whose ftok(3) gives it (a candidate, not a certainty). For the shim's
 * formatter (line mode) and for a reader that formats events itself (nipc
 * trace): no shim state, no allocation, no lock, raw system calls only, so
 * the shim may call it in a hook. Both results are cached, per process. */
#ifndef NIPC_SHIM_KEYFIND_H
#define NIPC_SHIM_KEYFIND_H

#include <stddef.h>
#include <sys/types.h>

#define KEYFIND_HIDDEN __attribute__((visibility("hidden")))

/* kind 0 shm, 1 sem, 2 msg. The key of System V id in /proc/sysvipc/{shm,
 * sem,msg}: 1 and *key, 0 if the id is not there (removed, another IPC
 * namespace), -1 if the file cannot be read. */
KEYFIND_HIDDEN int names_resolve_sysv_id(int kind, int id, key_t *key);

/* A file whose ftok(path, key >> 24) is key: looked for in $TMPDIR, /tmp
 * and $XDG_RUNTIME_DIR (where Qt and libnipc put key files), Qt's
 * qipc_sharedmemory_* and qipc_systemsem_* first, at most
 * KEYFIND_DIR_ENTRIES entries a directory. ftok keeps only 16 bits of the
 * inode and 8 of the device, so another file may give the same key: the
 * result is a candidate. 1 and the path in buf (NUL-terminated), 0 if none
 * (or IPC_PRIVATE, or it does not fit). A miss is cached for
 * KEYFIND_MISS_NS, a hit until the file no longer gives the key (checked
 * with a stat at most every KEYFIND_RECHECK_NS). */
KEYFIND_HIDDEN int names_key_candidate(key_t key, char *buf, size_t len);

/* The key text of a System V key as the trace shows it when the process
 * did not see its ftok: "systemv:PATH" (or "systemv-N:PATH") of a
 * candidate file, *searched set to 1; else "0x%08x" or "IPC_PRIVATE",
 * *searched 0. The text's length, as snprintf. */
KEYFIND_HIDDEN int names_key_text(key_t key, char *buf, size_t len, int *searched);

/* The name of an id the reader has no key for: its key's text (above)
 * through /proc/sysvipc, else "shmid:N", "semid:N" or "msqid:N". */
KEYFIND_HIDDEN int names_id_text(int kind, int id, char *buf, size_t len, int *searched);

/* The POSIX name of message queue descriptor fd of process pid (0: this
 * one), from /proc/PID/fd/FD, if fd is a queue: 1 and "/name" in buf, else
 * 0 (not a queue, gone, not readable). For descriptors a process did not
 * get from mq_open itself, as one inherited across exec. */
KEYFIND_HIDDEN int names_mqd_name(pid_t pid, int fd, char *buf, size_t len);

#define KEYFIND_DIR_ENTRIES 4096
#define KEYFIND_MISS_NS 10000000000ull
#define KEYFIND_RECHECK_NS 1000000000ull

#endif
