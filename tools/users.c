/* SPDX-License-Identifier: MIT */
/* One pass over /proc/PID/maps and /proc/PID/fd: (device, inode) -> pids. */
#include "config.h"

#include "users.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct use {
	dev_t dev;
	ino_t ino;
	pid_t pid;
};

struct users {
	struct use *v;
	size_t n, cap, unreadable;
};

static int add(struct users *u, dev_t dev, ino_t ino, pid_t pid)
{
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 256;
		struct use *v = realloc(u->v, cap * sizeof *v);
		if (!v)
			return -1;
		u->v = v;
		u->cap = cap;
	}
	u->v[u->n++] = (struct use){dev, ino, pid};
	return 0;
}

/* The file mappings of pid: "addr perms offset MAJ:MIN inode path". */
static int scan_maps(struct users *u, const char *pid_dir, pid_t pid)
{
	char path[96], line[4096];
	unsigned maj, min;
	unsigned long long ino;
	FILE *f;

	snprintf(path, sizeof path, "%s/maps", pid_dir);
	if (!(f = fopen(path, "re")))
		return 1;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%*s %*s %*s %x:%x %llu", &maj, &min, &ino) == 3 && ino &&
		    add(u, makedev(maj, min), (ino_t)ino, pid) < 0) {
			fclose(f);
			return -1;
		}
		/* the rest of a line longer than the buffer */
		while (!strchr(line, '\n') && fgets(line, sizeof line, f))
			;
	}
	fclose(f);
	return 0;
}

static int scan_fds(struct users *u, const char *pid_dir, pid_t pid)
{
	char path[96];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int dfd;

	snprintf(path, sizeof path, "%s/fd", pid_dir);
	if (!(d = opendir(path)))
		return 1;
	dfd = dirfd(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || fstatat(dfd, e->d_name, &st, 0) < 0)
			continue;
		if (add(u, st.st_dev, st.st_ino, pid) < 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	const struct use *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

struct users *users_scan(void)
{
	struct users *u = calloc(1, sizeof *u);
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t self = getpid();

	if (!u || !d)
		goto fail;
	while ((e = readdir(d))) {
		char dir[32], *end;
		long pid = strtol(e->d_name, &end, 10);
		int a, b;

		if (*end || pid <= 0 || pid == self)
			continue;
		snprintf(dir, sizeof dir, "/proc/%ld", pid);
		if ((a = scan_maps(u, dir, (pid_t)pid)) < 0 || (b = scan_fds(u, dir, (pid_t)pid)) < 0)
			goto fail;
		/* (a process that ended meanwhile reads as unreadable too) */
		if ((a || b) && kill((pid_t)pid, 0) == 0)
			u->unreadable++;
	}
	closedir(d);
	qsort(u->v, u->n, sizeof *u->v, cmp);
	return u;
fail:
	if (d)
		closedir(d);
	users_free(u);
	errno = ENOMEM;
	return NULL;
}

void users_free(struct users *u)
{
	if (u)
		free(u->v);
	free(u);
}

size_t users_of(const struct users *u, dev_t dev, ino_t ino, pid_t *pids, size_t max)
{
	size_t lo = 0, hi = u->n, n = 0;
	struct use key = {dev, ino, 0};

	while (lo < hi) { /* the first entry not below (dev, ino, 0) */
		size_t mid = (lo + hi) / 2;
		if (cmp(&u->v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < u->n && u->v[lo].dev == dev && u->v[lo].ino == ino; lo++) {
		if (n && u->v[lo].pid == u->v[lo - 1].pid)
			continue;
		if (n < max)
			pids[n] = u->v[lo].pid;
		n++;
	}
	return n;
}

size_t users_unreadable(const struct users *u)
{
	return u->unreadable;
}
