/* SPDX-License-Identifier: MIT */
/* One pass over /proc: every process's shared mappings (/proc/PID/maps)
 * and open regular files (/proc/PID/fd) filed by (device, inode) in one
 * hash table, so that looking an object up costs nothing per process. */
#include "config.h"

#include "procscan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct ent {
	dev_t dev;
	ino_t ino;
	int head;               /* first node, -1: slot free */
};

struct node {
	int proc, next;
};

struct procscan {
	struct procscan_proc *procs;
	int nprocs, cprocs;
	struct ent *tab;
	size_t cap, used;       /* cap: a power of two */
	struct node *nodes;
	int nnodes, cnodes;
	int *byspid;            /* indexes of procs, by pid */
};

static size_t hash(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev * 0xc2b2ae3d27d4eb4full;

	return (size_t)(h ^ h >> 29);
}

static struct ent *slot(const struct procscan *ps, dev_t dev, ino_t ino)
{
	size_t i = hash(dev, ino) & (ps->cap - 1);

	while (ps->tab[i].head >= 0 && (ps->tab[i].dev != dev || ps->tab[i].ino != ino))
		i = (i + 1) & (ps->cap - 1);
	return &ps->tab[i];
}

static int grow(struct procscan *ps)
{
	struct ent *old = ps->tab;
	size_t ocap = ps->cap;

	ps->cap = ocap ? ocap * 2 : 1024;
	ps->tab = malloc(ps->cap * sizeof *ps->tab);
	if (!ps->tab)
		return -1;
	for (size_t i = 0; i < ps->cap; i++)
		ps->tab[i].head = -1;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].head >= 0)
			*slot(ps, old[i].dev, old[i].ino) = old[i];
	free(old);
	return 0;
}

/* Files (dev, ino) under process proc, once per process. */
static int add(struct procscan *ps, dev_t dev, ino_t ino, int proc)
{
	struct ent *e;

	if ((ps->used + 1) * 2 > ps->cap && grow(ps) < 0)
		return -1;
	e = slot(ps, dev, ino);
	if (e->head >= 0 && ps->nodes[e->head].proc == proc)
		return 0;
	if (ps->nnodes == ps->cnodes) {
		int c = ps->cnodes ? ps->cnodes * 2 : 1024;
		struct node *n = realloc(ps->nodes, (size_t)c * sizeof *n);

		if (!n)
			return -1;
		ps->nodes = n;
		ps->cnodes = c;
	}
	if (e->head < 0) {
		e->dev = dev;
		e->ino = ino;
		ps->used++;
	}
	ps->nodes[ps->nnodes] = (struct node){proc, e->head};
	e->head = ps->nnodes++;
	return 0;
}

static ssize_t read_at(int dir, const char *name, char *buf, size_t cap)
{
	int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

/* comm, state and start time from stat; uid from status. 0, or -1 (gone,
 * or a zombie: its mappings and files are gone). */
static int read_stat(int dir, struct procscan_proc *p)
{
	char buf[1024], *open, *close_, *s;
	struct stat st;
	int field;

	if (read_at(dir, "stat", buf, sizeof buf) <= 0)
		return -1;
	if (!(open = strchr(buf, '(')) || !(close_ = strrchr(buf, ')')) || close_[1] != ' ')
		return -1;
	size_t len = (size_t)(close_ - open - 1);
	if (len >= sizeof p->comm)
		len = sizeof p->comm - 1;
	memcpy(p->comm, open + 1, len);
	p->comm[len] = 0;
	s = close_ + 2;
	if (*s == 'Z' || *s == 'X')
		return -1;
	for (field = 3; *s && field < 22; s++)
		if (*s == ' ')
			field++;
	p->start = strtoull(s, NULL, 10);
	if (fstat(dir, &st) < 0)
		return -1;
	p->uid = st.st_uid;
	return 0;
}

/* Shared mappings; "/SYSVxxxxxxxx" ones are System V attachments. */
static int scan_maps(struct procscan *ps, int dir, int proc)
{
	int fd = openat(dir, "maps", O_RDONLY | O_CLOEXEC);
	char buf[65536];
	size_t have = 0;
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? 0 : -1;
	while ((n = read(fd, buf + have, sizeof buf - have - 1)) > 0) {
		char *line = buf, *nl;

		have += (size_t)n;
		buf[have] = 0;
		while ((nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
			unsigned maj, min;
			unsigned long long ino;
			char perms[8];
			int off = 0;
			const char *sp = memchr(line, ' ', (size_t)(nl - line));

			*nl = 0;
			/* most mappings are private: their perms end in 'p' */
			if (sp && nl - sp > 4 && sp[4] != 's') {
				line = nl + 1;
				continue;
			}
			if (sscanf(line, "%*x-%*x %7s %*x %x:%x %llu %n", perms, &maj, &min,
				   &ino, &off) == 4 && perms[3] == 's' && ino) {
				dev_t dev = !strncmp(line + off, "/SYSV", 5) ? PROCSCAN_SYSV_DEV
									 : makedev(maj, min);
				if (add(ps, dev, (ino_t)ino, proc) < 0) {
					close(fd);
					return -2;
				}
			}
			line = nl + 1;
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
		if (have == sizeof buf - 1)
			have = 0;       /* a line longer than the buffer: drop it */
	}
	close(fd);
	return n < 0 && errno != ESRCH ? -1 : 0;
}

/* skip_fd: a descriptor not looked at (-1: none). The directory is read
 * with getdents64 itself: a DIR costs two fcntl calls per process. */
static int scan_fds(struct procscan *ps, int dir, int proc, int skip_fd)
{
	int fdd = openat(dir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char buf[4096] __attribute__((aligned(8)));
	struct stat st;
	ssize_t n;

	if (fdd < 0)
		return errno == ENOENT || errno == ESRCH ? 0 : -1;
	while ((n = getdents64(fdd, buf, sizeof buf)) > 0)
		for (ssize_t off = 0; off < n; off += ((struct dirent64 *)(buf + off))->d_reclen) {
			const struct dirent64 *d = (const struct dirent64 *)(buf + off);

			if (d->d_name[0] == '.' || (skip_fd >= 0 && atoi(d->d_name) == skip_fd))
				continue;
			if (fstatat(fdd, d->d_name, &st, 0) == 0 && S_ISREG(st.st_mode) &&
			    add(ps, st.st_dev, st.st_ino, proc) < 0) {
				close(fdd);
				return -2;
			}
		}
	close(fdd);
	return 0;
}

static const struct procscan *sort_ps;

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = sort_ps->procs[*(const int *)a].pid, y = sort_ps->procs[*(const int *)b].pid;

	return (x > y) - (x < y);
}

struct procscan *procscan_new(void)
{
	return procscan_new_maps(0);
}

struct procscan *procscan_new_maps(int maps_only)
{
	struct procscan *ps = calloc(1, sizeof *ps);
	DIR *proc;
	struct dirent *d;
	pid_t self = getpid();

	if (!ps || grow(ps) < 0 || !(proc = opendir("/proc"))) {
		procscan_free(ps);
		return NULL;
	}
	while ((d = readdir(proc))) {
		char *end;
		long pid = strtol(d->d_name, &end, 10);
		struct procscan_proc *p;
		int dir, r;

		if (*end || pid <= 0 || pid == self)
			continue;
		if (ps->nprocs == ps->cprocs) {
			int c = ps->cprocs ? ps->cprocs * 2 : 256;
			void *np = realloc(ps->procs, (size_t)c * sizeof *ps->procs);

			if (!np)
				goto nomem;
			ps->procs = np;
			ps->cprocs = c;
		}
		if ((dir = openat(dirfd(proc), d->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			continue;
		p = &ps->procs[ps->nprocs];
		memset(p, 0, sizeof *p);
		p->pid = (pid_t)pid;
		if (read_stat(dir, p) < 0) {
			close(dir);
			continue;
		}
		if ((r = scan_maps(ps, dir, ps->nprocs)) == 0 && !maps_only)
			r = scan_fds(ps, dir, ps->nprocs, -1);
		close(dir);
		if (r == -2)
			goto nomem;
		p->unreadable = r < 0;
		ps->nprocs++;
	}
	closedir(proc);
	/* nodes name processes by scan order; find() searches pids sorted */
	if (!(ps->byspid = malloc((size_t)(ps->nprocs + 1) * sizeof *ps->byspid))) {
		errno = ENOMEM;
		procscan_free(ps);
		return NULL;
	}
	for (int i = 0; i < ps->nprocs; i++)
		ps->byspid[i] = i;
	sort_ps = ps;
	qsort(ps->byspid, (size_t)ps->nprocs, sizeof *ps->byspid, cmp_pid);
	return ps;
nomem:
	closedir(proc);
	procscan_free(ps);
	errno = ENOMEM;
	return NULL;
}

int procscan_self_uses(dev_t dev, ino_t ino, int skip_fd)
{
	struct procscan *ps = calloc(1, sizeof *ps);
	int dir, r = -1, n;

	if (!ps || grow(ps) < 0) {
		procscan_free(ps);
		return -1;
	}
	dir = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir >= 0) {
		if (!scan_maps(ps, dir, 0) && !scan_fds(ps, dir, 0, skip_fd)) {
			n = procscan_users(ps, dev, ino, NULL, 0);
			r = n > 0;
		}
		close(dir);
	}
	procscan_free(ps);
	return r;
}

void procscan_free(struct procscan *ps)
{
	if (!ps)
		return;
	free(ps->procs);
	free(ps->tab);
	free(ps->nodes);
	free(ps->byspid);
	free(ps);
}

int procscan_users(const struct procscan *ps, dev_t dev, ino_t ino, int *out, int max)
{
	const struct ent *e = slot(ps, dev, ino);
	int n = 0;

	for (int i = e->head; i >= 0; i = ps->nodes[i].next, n++)
		if (n < max)
			out[n] = ps->nodes[i].proc;
	return n;
}

const struct procscan_proc *procscan_procs(const struct procscan *ps, int *n)
{
	*n = ps->nprocs;
	return ps->procs;
}

int procscan_unreadable(const struct procscan *ps, long uid)
{
	int n = 0;

	for (int i = 0; i < ps->nprocs; i++)
		n += ps->procs[i].unreadable && (uid < 0 || ps->procs[i].uid == (uid_t)uid);
	return n;
}

const struct procscan_proc *procscan_find(const struct procscan *ps, pid_t pid)
{
	int lo = 0, hi = ps->nprocs;

	while (lo < hi) {
		int mid = (lo + hi) / 2;
		const struct procscan_proc *p = &ps->procs[ps->byspid[mid]];

		if (p->pid == pid)
			return p;
		if (p->pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

long long procscan_btime(void)
{
	char buf[65536], *p;
	int fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strstr(buf, "\nbtime ");
	return p ? strtoll(p + 7, NULL, 10) : 0;
}

long procscan_hz(void)
{
	long hz = sysconf(_SC_CLK_TCK);

	return hz > 0 ? hz : 100;
}
