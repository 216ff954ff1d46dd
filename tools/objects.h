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

struct obj {
	const char *type;
	int emulated;
	int has_key, has_id;
	int32_t key;
	long long id;
	char *name;                /* NULL: none */
	char *keyfile;
	uid_t uid;
	unsigned mode;
	unsigned long long size;
	long long nattch, nsems;   /* -1: not applicable */
	pid_t cpid, lpid;
	long long ctime;
	long long used;            /* last use, epoch seconds (see objects.c) */
	int creator;               /* 0: not known, 1 alive, 2 dead */
	int nusers;
	const struct procscan_proc *user[MAXU];
	char ccomm[16];
	enum verdict verdict;
	const char *why;
	dev_t dev;                 /* POSIX: the file */
	ino_t ino;
	long long qt_lock;         /* Qt segment: its lock's semid, else -1 */
	char *qt_lockfile;         /* and the lock's key file */
	/* read while /proc is scanned, judged after (objects.c) */
	long long otime;           /* sysv-sem: last semop */
	pid_t lspid, lrpid;        /* sysv-msg: last sender, receiver */
	size_t sempid;             /* sysv-sem: its GETPIDs in a shared pool, */
	int nsempid, waiters, denied;  /* how many; GETNCNT + GETZCNT; refused */
};

extern struct obj *objs;
extern size_t nobjs;
extern struct procscan *ps;

/* Collects the objects of the types wanted() accepts (NULL: all); who
 * prefixes messages ("ls"). EXIT_OK, or EXIT_FAIL after a message (the
 * objects read so far are kept). */
int objects_collect(int (*wanted)(const char *type), const char *who);
void objects_free(void);
void obj_free(struct obj *o);

#endif
