/* SPDX-License-Identifier: MIT */
/* A program that treats every descriptor as its own, as daemons and
 * Python's subprocess do: it makes one traced event, duplicates /dev/null
 * onto every number up to 2047, closes everything from 3 up with
 * close_range(2) and then close(2) one by one, opens DATA and duplicates it
 * onto every number again, makes an event, closes those copies, and writes
 * its lines to DATA around three more traced events. DATA must end up
 * holding only its own lines; the five events must be in the trace.
 *
 *   close_all DATA */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define TOP 2048

static void event(void)
{
	char name[64];

	snprintf(name, sizeof name, "/nipc-close-all-absent-%ld", (long)getpid());
	if (shm_unlink(name) == 0 || errno != ENOENT)
		_exit(3);
}

static int dup_everywhere(int fd)
{
	for (int n = 3; n < TOP; n++)
		if (n != fd && dup2(fd, n) != n && errno != EBADF)
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static const char one[] = "own data 1\n", two[] = "own data 2\n";
	int null, data;

	if (argc != 2)
		return 2;
	event();
	null = open("/dev/null", O_RDWR);
	if (null < 0 || dup_everywhere(null))
		return 4;
	if (close_range(3, ~0U, 0))
		return 5;
	for (int n = 3; n < TOP; n++)
		close(n);
	data = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (data < 0 || dup_everywhere(data))
		return 6;
	/* every number is DATA now: a trace line written to any is in it */
	event();
	if (close_range((unsigned)data + 1, ~0U, 0))
		return 6;
	if (write(data, one, sizeof one - 1) != (ssize_t)(sizeof one - 1))
		return 7;
	event();
	event();
	event();
	if (write(data, two, sizeof two - 1) != (ssize_t)(sizeof two - 1))
		return 7;
	return close(data) ? 8 : 0;
}
