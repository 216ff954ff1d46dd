/* SPDX-License-Identifier: MIT */
/* Loads the shim with dlopen (the dynamic loader ignores LD_PRELOAD paths
 * in a secure-execution process) and calls its shm_open and shm_unlink.
 * Prints AT_SECURE. usage: shim_secure SHIM NAME */
#include "config.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/types.h>

int main(int argc, char **argv)
{
	int (*so)(const char *, int, mode_t);
	int (*su)(const char *);
	void *h;
	int fd;

	if (argc != 3)
		return 2;
	printf("secure=%lu\n", getauxval(AT_SECURE));
	fflush(stdout);
	h = dlopen(argv[1], RTLD_NOW);
	if (!h) {
		fprintf(stderr, "shim_secure: %s\n", dlerror());
		return 3;
	}
	so = (int (*)(const char *, int, mode_t))dlsym(h, "shm_open");
	su = (int (*)(const char *))dlsym(h, "shm_unlink");
	if (!so || !su)
		return 3;
	fd = so(argv[2], O_RDWR | O_CREAT | O_EXCL, 0600);
	return fd >= 0 && su(argv[2]) == 0 ? 0 : 1;
}
