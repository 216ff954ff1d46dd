/* SPDX-License-Identifier: MIT */
/* How a trace file named by a path is opened, alike in the shim
 * (NIPC_TRACE_FILE) and in `nipc trace -o`: a symbolic link is followed
 * only to a character device or a FIFO and nothing is created through
 * one, a regular file must belong to the effective user, a new file is
 * private (0600), and names of descriptors (/dev/stderr, /dev/fd/N) mean
 * the descriptor itself. Header-only: both compile it; nothing here
 * allocates or uses stdio, so the shim can call it after fork. */
#ifndef NIPC_TRACE_FILE_H
#define NIPC_TRACE_FILE_H

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum tf_status {
	TF_OK,
	TF_ERRNO,     /* open(2) failed: errno says why */
	TF_SYMLINK,   /* a symbolic link to something other than a device or FIFO */
	TF_OWNER,     /* a regular file of another user */
	TF_TYPE       /* not a regular file, character device or FIFO */
};

/* The descriptor a path names: /dev/stdin, /dev/stdout, /dev/stderr,
 * /dev/fd/N or /proc/self/fd/N; -1 for any other path. */
static inline int tf_fd_name(const char *path)
{
	static const char *const std[] = {"/dev/stdin", "/dev/stdout", "/dev/stderr"};
	const char *d = NULL;
	long v = 0;

	for (int i = 0; i < 3; i++)
		if (!strcmp(path, std[i]))
			return i;
	if (!strncmp(path, "/dev/fd/", 8))
		d = path + 8;
	else if (!strncmp(path, "/proc/self/fd/", 14))
		d = path + 14;
	if (!d || !*d)
		return -1;
	for (; *d; d++) {
		if (*d < '0' || *d > '9' || v > 1 << 24)
			return -1;
		v = v * 10 + (*d - '0');
	}
	return (int)v;
}

/* Opens path to append trace lines (close-on-exec, never a controlling
 * terminal). Returns the descriptor, or -1 with *why (and errno for
 * TF_ERRNO). A FIFO without a reader blocks, as open(2) does. */
static inline int tf_open(const char *path, enum tf_status *why)
{
	const int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY;
	struct stat st;
	int followed = 0, fd, e;

	fd = open(path, flags | O_CREAT | O_NOFOLLOW, 0600);
	if (fd < 0 && errno == ELOOP) {
		/* The last component is a symbolic link: follow it to a device
		 * or FIFO only, and never create its target. */
		if (stat(path, &st) || !(S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
			*why = TF_SYMLINK;
			return -1;
		}
		followed = 1;
		fd = open(path, flags);
	}
	if (fd < 0) {
		*why = TF_ERRNO;
		return -1;
	}
	if (fstat(fd, &st)) {
		e = errno;
		close(fd);
		errno = e;
		*why = TF_ERRNO;
		return -1;
	}
	*why = TF_OK;
	if (S_ISREG(st.st_mode) && !followed) {
		if (st.st_uid != geteuid())
			*why = TF_OWNER;
	} else if (!S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		/* swapped for something else after the stat() */
		*why = followed ? TF_SYMLINK : TF_TYPE;
	}
	if (*why != TF_OK) {
		close(fd);
		return -1;
	}
	return fd;
}

#endif
