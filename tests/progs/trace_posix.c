/* SPDX-License-Identifier: MIT */
/* A small program with a known POSIX shared memory life cycle, for the
 * `nipc trace` tests: per round shm_open(O_CREAT|O_EXCL) + ftruncate + close
 * + shm_unlink of NAME; then optionally a failing shm_open (ENOENT), a forked
 * child doing one round on NAME.f and an exec'd copy doing one on NAME.x;
 * with --linger N MARKER a forked child outlives the program: N seconds
 * later it does a round on NAME.l and then creates the file MARKER. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int round_trip(const char *name)
{
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);

	if (fd < 0) {
		fprintf(stderr, "trace_posix: shm_open %s: %s\n", name, strerror(errno));
		return -1;
	}
	if (ftruncate(fd, 4096) || close(fd) || shm_unlink(name)) {
		fprintf(stderr, "trace_posix: %s: %s\n", name, strerror(errno));
		shm_unlink(name);
		return -1;
	}
	return 0;
}

static int wait_ok(pid_t pid)
{
	int st;

	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	int rounds = 1, fail = 0, do_fork = 0, do_exec = 0, code = 0, linger = 0;
	const char *marker = NULL;
	char sub[256];

	if (argc < 2 || strlen(argv[1]) > 200) {
		fprintf(stderr, "usage: trace_posix NAME [--rounds N] [--fail] [--fork] [--exec] [--exit N]\n"
				"                   [--linger N MARKER]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--exit") && i + 1 < argc)
			code = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--linger") && i + 2 < argc) {
			linger = atoi(argv[++i]);
			marker = argv[++i];
		} else if (!strcmp(argv[i], "--fail"))
			fail = 1;
		else if (!strcmp(argv[i], "--fork"))
			do_fork = 1;
		else if (!strcmp(argv[i], "--exec"))
			do_exec = 1;
		else {
			fprintf(stderr, "trace_posix: bad argument %s\n", argv[i]);
			return 2;
		}
	}
	for (int i = 0; i < rounds; i++)
		if (round_trip(argv[1]))
			return 1;
	if (fail && (shm_open(argv[1], O_RDWR, 0) >= 0 || errno != ENOENT))
		return 1;
	if (do_fork) {
		pid_t pid = fork();

		if (pid == 0) {
			snprintf(sub, sizeof sub, "%s.f", argv[1]);
			_exit(round_trip(sub) ? 1 : 0);
		}
		if (wait_ok(pid))
			return 1;
	}
	if (do_exec) {
		pid_t pid;

		snprintf(sub, sizeof sub, "%s.x", argv[1]);
		pid = fork();
		if (pid == 0) {
			execl("/proc/self/exe", argv[0], sub, (char *)NULL);
			_exit(127);
		}
		if (wait_ok(pid))
			return 1;
	}
	if (marker) {
		pid_t pid = fork();

		if (pid == 0) {
			int fd;

			sleep((unsigned)linger);
			snprintf(sub, sizeof sub, "%s.l", argv[1]);
			if (round_trip(sub))
				_exit(1);
			fd = open(marker, O_WRONLY | O_CREAT | O_EXCL, 0644);
			_exit(fd < 0 ? 1 : 0);
		}
		if (pid < 0)
			return 1;
	}
	return code;
}
