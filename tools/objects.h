/* SPDX-License-Identifier: MIT */
/* Every IPC object of the host in one array, with its users from one pass
 * over /proc and a verdict (nipc(1), VERDICTS): shared by nipc ls and
 * nipc clean. */
#ifndef NIPC_TOOL_OBJECTS_H
#define NIPC_TOOL_OBJECTS_H

#include "procscan.h"

#include <stdint.h>
#include <sys/types.h>

enum verdict { V_INUSE, V_ORPHAN, V_IDLE, V_UNKNOWN };
extern const char *const verdict_names[4];

enum { MAXU = 16 };

/* Largest first, no holes: ten thousand of them are megabytes, and each
 * fresh page costs. */
struct obj {
	const char *type;
	char *name;                /* NULL: none */
	char *keyfile;
	const char *why;
	long long id;
	unsigned long long size;
	long long nattch, nsems;   /* -1: not applicable */
	long long ctime;
	long long used;            /* last use, epoch seconds (see objects.c) */
	long long qt_lock;         /* Qt segment: its lock's semid, else -1 */
	char *qt_lockfile;         /* and the lock's key file */
	dev_t dev;                 /* POSIX: the file */
	ino_t ino;
	long long otime;           /* sysv-sem: last semop (read while /proc is
				    * scanned, judged after: objects.c) */
	int32_t key;
	uid_t uid;
	unsigned mode;
	pid_t cpid, lpid;
	pid_t lspid, lrpid;        /* sysv-msg: last sender, receiver */
	enum verdict verdict;
	int nusers;                /* all of them; the first nshown (<= MAXU) */
	int nshown;                /* are obj_user(o, 0...) */
	unsigned user_at;
	unsigned sempid;           /* sysv-sem: its GETPIDs in a shared pool, */
	int nsempid, waiters;      /* how many; GETNCNT + GETZCNT */
	char ccomm[16];
	signed char emulated, has_key, has_id;
	signed char creator;       /* 0: not known, 1 alive, 2 dead */
	signed char denied;        /* sysv-sem: its semaphores could not be read */
};

extern struct obj *objs;
extern size_t nobjs;
extern struct procscan *ps;

/* Collects the objects of the types wanted() accepts (NULL: all); who
 * prefixes messages ("ls"). EXIT_OK, or EXIT_FAIL after a message (the
 * objects read so far are kept). */
int objects_collect(int (*wanted)(const char *type), const char *who);
void objects_free(void);
/* User i (< o->nshown) of o. */
const struct procscan_proc *obj_user(const struct obj *o, int i);
void obj_free(struct obj *o);

#endif
