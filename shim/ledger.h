/* SPDX-License-Identifier: MIT */
/* The ledger: who created which IPC object, and what should happen to it
 * when its creator goes (nipc-preload(7) THE LEDGER). Written by the shim
 * when a cleanup= rule decides an object it creates; read and pruned by
 * the nipc tool (ls, clean, run). libc only: compiled into both.
 *
 * The store is one file, DIR/nipc.ledger.UID (DIR: $NIPC_LEDGER_DIR, else
 * /dev/shm), mapped shared: a struct ledger_head, then LEDGER_SLOTS
 * struct ledger_rec, nothing else. It is made complete under a temporary
 * name and linked into place, so an opener sees a whole ledger or none.
 * Every change is made under head.lock, a robust process-shared mutex. A
 * record is written while its state is LR_WRITING and published by the
 * store of LR_LIVE; an owner that dies holding the lock leaves at most
 * LR_WRITING slots, which the next locker (EOWNERDEAD) frees. Readers
 * that do not lock read LR_LIVE slots only. Records of objects that no
 * longer exist are freed lazily, by whoever locks next and looks. */
#ifndef NIPC_LEDGER_H
#define NIPC_LEDGER_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#define LEDGER_MAGIC UINT64_C(0x3167646c6370696e) /* "nipcldg1" little-endian */
#define LEDGER_VERSION 1
#define LEDGER_SLOTS 1024
#define LEDGER_KEY_MAX 512      /* the key text, NUL-terminated, cut to fit */
#define LEDGER_NAME_MAX 256     /* the POSIX name, "/" included */

enum ledger_state { LR_FREE = 0, LR_WRITING = 1, LR_LIVE = 2 };

/* family: one rules.h RF_ bit (RF_POSIX_SHM, RF_POSIX_SEM, RF_SYSV_SHM,
 * RF_SYSV_SEM); cleanup: enum rules_cleanup (RC_EXIT 1, RC_LAST_DETACH 2,
 * RC_NEVER 3). */
struct ledger_rec {
	uint32_t state;         /* enum ledger_state */
	uint32_t family;
	uint32_t cleanup;
	int32_t id;             /* System V id; -1 for POSIX objects */
	int32_t keyt;           /* System V key_t (0: IPC_PRIVATE) */
	uint32_t uid;           /* the creator's real uid */
	uint64_t dev, ino;      /* POSIX: the object's file in /dev/shm */
	int32_t pid;            /* the creator */
	uint32_t pad;
	uint64_t start;         /* its start, clock ticks after boot (/proc/PID/stat 22) */
	int64_t ctime_sec;      /* when it created the object (CLOCK_REALTIME) */
	int64_t ctime_nsec;
	char comm[16];          /* the creator's /proc/PID/comm */
	char key[LEDGER_KEY_MAX];   /* the key text as a trace line prints it */
	char name[LEDGER_NAME_MAX]; /* POSIX: "/NAME" as the program gave it */
};

struct ledger_head {
	uint64_t magic;
	uint32_t version;
	uint32_t slots;         /* LEDGER_SLOTS */
	uint32_t rec_size;      /* sizeof(struct ledger_rec) */
	uint32_t head_size;     /* sizeof(struct ledger_head): where rec[0] starts */
	pthread_mutex_t lock;
	char pad[128 - 24 - sizeof(pthread_mutex_t)];
	struct ledger_rec rec[];
};

#define LEDGER_BYTES (sizeof(struct ledger_head) + LEDGER_SLOTS * sizeof(struct ledger_rec))

/* The ledger's path for the caller's uid (NIPC_LEDGER_DIR or /dev/shm).
 * 0, or -1 when it does not fit. */
int ledger_path(char *buf, size_t len);
/* Maps the ledger; creates it when create and it is missing. NULL with
 * errno on failure (EPROTO: a file that is not a ledger of this version). */
struct ledger_head *ledger_open(int create);
void ledger_close(struct ledger_head *h);
/* 0, or -1 with errno. Frees LR_WRITING slots after a dead owner. */
int ledger_lock(struct ledger_head *h);
void ledger_unlock(struct ledger_head *h);

/* Adds a record (state is set here); locks itself. 0, or -1 with errno
 * (ENOSPC: every slot is live). Frees records of vanished objects first
 * when the ledger is full. */
int ledger_add(struct ledger_head *h, const struct ledger_rec *r);
/* Fills the creator fields (pid, start, uid, comm, ctime) for this process. */
void ledger_fill_self(struct ledger_rec *r);

/* The start of pid in clock ticks after boot, 0 if it is not running. */
uint64_t ledger_proc_start(pid_t pid);
int ledger_alive(pid_t pid, uint64_t start);

/* Whether the object of r still exists as recorded. */
int ledger_exists(const struct ledger_rec *r);
/* Whether a process other than skip (0: none) may use the object: maps
 * it, holds it open, is attached, waits on it or operated it last; an
 * unreadable process that may open it counts as a user. */
int ledger_in_use(const struct ledger_rec *r, pid_t skip);
/* Removes the object of r if it is still the one recorded (a POSIX name
 * is renamed aside, its users looked for again, and unlinked or put back:
 * EBUSY). skip as for ledger_in_use. 0, or -1 with errno. */
int ledger_remove_object(const struct ledger_rec *r, pid_t skip);

/* A sweep: records of vanished objects are freed; the objects of
 * cleanup=exit records whose creator is gone and of last-detach records
 * are removed when nobody uses them. self: this process is exiting: its
 * own records count as a dead creator's, it is not counted as a user, and
 * without a key only its own records are looked at (0: every record).
 * family and key: only that object's records (key NULL: every key).
 * Returns how many objects were removed, -1 if the lock failed. The lock
 * is taken only when a record is looked at. */
int ledger_sweep_key(struct ledger_head *h, pid_t self, unsigned family, const char *key);

#endif
