/* SPDX-License-Identifier: MIT */
/* keyfind.h: System V ids to keys through /proc/sysvipc, keys to candidate
 * key files by a bounded directory search. */
#include "config.h"

#include "keyfind.h"
#include "nipc.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int sys_open(const char *path, int flags)
{
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC);
}

static void sys_close(int fd)
{
	syscall(SYS_close, fd);
}

/* ------------------------------------------------------- ids, by /proc */

/* One line of /proc/sysvipc/KIND: "key id perms ..." in decimal. */
static int parse_line(const char *p, const char *end, long *key, long *id)
{
	long v[2];

	for (int i = 0; i < 2; i++) {
		int neg = 0, digits = 0;

		while (p < end && *p == ' ')
			p++;
		if (p < end && *p == '-')
			neg = 1, p++;
		v[i] = 0;
		while (p < end && *p >= '0' && *p <= '9') {
			v[i] = v[i] * 10 + (*p++ - '0');
			digits++;
		}
		if (!digits)
			return 0;
		v[i] = neg ? -v[i] : v[i];
	}
	*key = v[0];
	*id = v[1];
	return 1;
}

int names_resolve_sysv_id(int kind, int id, key_t *key)
{
	static const char *const file[] = {"/proc/sysvipc/shm", "/proc/sysvipc/sem",
					   "/proc/sysvipc/msg"};
	char buf[4096];
	size_t have = 0;
	int fd, found = 0;

	if (kind < 0 || kind > 2 || id < 0)
		return 0;
	if ((fd = sys_open(file[kind], O_RDONLY)) < 0)
		return -1;
	for (;;) {
		ssize_t n = syscall(SYS_read, fd, buf + have, sizeof buf - have);
		char *p = buf, *nl;

		if (n <= 0)
			break;
		have += (size_t)n;
		while ((nl = memchr(p, '\n', have - (size_t)(p - buf)))) {
			long k, i;

			if (parse_line(p, nl, &k, &i) && i == id) {
				*key = (key_t)k;
				found = 1;
				goto out;
			}
			p = nl + 1;
		}
		have -= (size_t)(p - buf);
		memmove(buf, p, have);
		if (have == sizeof buf)
			have = 0; /* a line longer than the buffer: not one of ours */
	}
out:
	sys_close(fd);
	return found;
}

/* ------------------------------------------------ keys, by a file search */

static long ftok_of(const struct stat *st, unsigned proj)
{
	return (long)(int32_t)((proj & 0xffu) << 24 | ((uint32_t)st->st_dev & 0xffu) << 16 |
			       ((uint32_t)st->st_ino & 0xffffu));
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* The path of an entry of dir whose ftok is key, preferring Qt's key
 * files: 1 if found. */
static int search_dir(const char *dir, key_t key, char *out, size_t len)
{
	char buf[8192] __attribute__((aligned(8)));
	unsigned proj = ((uint32_t)key >> 24) & 0xff;
	int fd, entries = 0, got = 0;
	size_t dlen = strlen(dir);

	if (!dir[0] || dir[0] != '/' || (fd = sys_open(dir, O_RDONLY | O_DIRECTORY)) < 0)
		return 0;
	while (entries < KEYFIND_DIR_ENTRIES && got < 2) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof buf);

		if (n <= 0)
			break;
		for (long off = 0; off < n && entries < KEYFIND_DIR_ENTRIES; entries++) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			struct stat st;
			int qt;
			size_t nl;

			off += d->d_reclen;
			/* no test of d_ino first: on overlayfs it need not be st_ino */
			if (d->d_name[0] == '.')
				continue;
			if (syscall(SYS_newfstatat, fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
			    ftok_of(&st, proj) != (long)key)
				continue;
			qt = !strncmp(d->d_name, "qipc_", 5);
			nl = strlen(d->d_name);
			if (got && !qt)
				continue;
			if (dlen + 1 + nl + 1 > len)
				continue;
			memcpy(out, dir, dlen);
			out[dlen] = '/';
			memcpy(out + dlen + 1, d->d_name, nl + 1);
			got = qt ? 2 : 1;
		}
	}
	sys_close(fd);
	return got > 0;
}

static int search(key_t key, char *out, size_t len)
{
	const char *tmp = getenv("TMPDIR"), *run = getenv("XDG_RUNTIME_DIR");

	if (tmp && *tmp && strcmp(tmp, "/tmp") && search_dir(tmp, key, out, len))
		return 1;
	if (search_dir("/tmp", key, out, len))
		return 1;
	return run && *run && search_dir(run, key, out, len);
}

/* The cache: a few keys, under a try-lock (a thread that finds it taken
 * searches without it). */
#define CACHE_SLOTS 32
#define CACHE_PATH 512

static struct {
	int used;
	key_t key;
	int hit;                /* path valid */
	uint64_t until;         /* a miss: searched again after; a hit: checked again after */
	char path[CACHE_PATH];
} cache[CACHE_SLOTS];
static unsigned cache_next;
static int cache_lock;

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* The file still gives the key. */
static int still(const char *path, key_t key)
{
	struct stat st;

	return !syscall(SYS_newfstatat, AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) &&
	       ftok_of(&st, ((uint32_t)key >> 24) & 0xff) == (long)key;
}

static int copy_out(const char *path, char *buf, size_t len)
{
	size_t n = strlen(path);

	if (n + 1 > len)
		return 0;
	memcpy(buf, path, n + 1);
	return 1;
}

int names_key_candidate(key_t key, char *buf, size_t len)
{
	char path[CACHE_PATH];
	int locked, found;
	uint64_t now = mono_ns();

	if (key == IPC_PRIVATE || !len)
		return 0;
	locked = !__atomic_exchange_n(&cache_lock, 1, __ATOMIC_ACQUIRE);
	if (locked) {
		for (int i = 0; i < CACHE_SLOTS; i++) {
			if (!cache[i].used || cache[i].key != key)
				continue;
			if (now < cache[i].until || (cache[i].hit && still(cache[i].path, key))) {
				if (cache[i].hit && now >= cache[i].until)
					cache[i].until = now + KEYFIND_RECHECK_NS;
				found = cache[i].hit && copy_out(cache[i].path, buf, len);
				__atomic_store_n(&cache_lock, 0, __ATOMIC_RELEASE);
				return found;
			}
			cache[i].used = 0;
		}
	}
	found = search(key, path, sizeof path);
	if (locked) {
		unsigned i = cache_next++ % CACHE_SLOTS;

		cache[i].used = 1;
		cache[i].key = key;
		cache[i].hit = found;
		cache[i].until = now + (found ? KEYFIND_RECHECK_NS : KEYFIND_MISS_NS);
		if (found)
			memcpy(cache[i].path, path, sizeof path);
		__atomic_store_n(&cache_lock, 0, __ATOMIC_RELEASE);
	}
	return found && copy_out(path, buf, len);
}

int names_key_text(key_t key, char *buf, size_t len, int *searched)
{
	char path[CACHE_PATH];

	*searched = 0;
	if (key == IPC_PRIVATE)
		return snprintf(buf, len, "IPC_PRIVATE");
	if (names_key_candidate(key, path, sizeof path) > 0) {
		long n = nipc_key_format(buf, len, ((uint32_t)key >> 24) & 0xff, path, NULL);

		if (n >= 0) {
			*searched = 1;
			return (int)n;
		}
	}
	return snprintf(buf, len, "0x%08x", (unsigned)key);
}

int names_id_text(int kind, int id, char *buf, size_t len, int *searched)
{
	static const char *const what[] = {"shmid", "semid", "msqid"};
	key_t key;

	*searched = 0;
	if (kind < 0 || kind > 2)
		return -1;
	if (names_resolve_sysv_id(kind, id, &key) > 0)
		return names_key_text(key, buf, len, searched);
	return snprintf(buf, len, "%s:%d", what[kind], id);
}

#define MQUEUE_FS_MAGIC 0x19800202

int names_mqd_name(pid_t pid, int fd, char *buf, size_t len)
{
	char path[64];
	struct statfs sf;
	long n;
	int d;

	if (fd < 0 || len < 2)
		return 0;
	if (pid)
		snprintf(path, sizeof path, "/proc/%ld/fd/%d", (long)pid, fd);
	else
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	/* the descriptor's file system says it is a queue */
	if ((d = sys_open(path, O_RDONLY | O_PATH)) < 0)
		return 0;
	n = syscall(SYS_fstatfs, d, &sf);
	sys_close(d);
	if (n || sf.f_type != MQUEUE_FS_MAGIC)
		return 0;
	n = syscall(SYS_readlinkat, AT_FDCWD, path, buf, len - 1);
	if (n <= 1 || buf[0] != '/')
		return 0;
	buf[n] = 0;
	return 1;
}
