/* SPDX-License-Identifier: MIT */
/* Bound to one glibc version of sem_* and shm_* (SHIM_VER_OLD: the
 * GLIBC_2.2.5 ones from before glibc 2.34, else GLIBC_2.34), to prove the
 * shim's unversioned hooks catch callers of either. Prints the addresses
 * of both versions in libc, then makes one round of calls.
 * usage: shim_ver NAME */
#define _GNU_SOURCE
#include "config.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#ifdef SHIM_VER_OLD
#define V "GLIBC_2.2.5"
#else
#define V "GLIBC_2.34"
#endif
__asm__(".symver sem_open,sem_open@" V);
__asm__(".symver sem_post,sem_post@" V);
__asm__(".symver sem_getvalue,sem_getvalue@" V);
__asm__(".symver sem_close,sem_close@" V);
__asm__(".symver sem_unlink,sem_unlink@" V);
__asm__(".symver shm_open,shm_open@" V);
__asm__(".symver shm_unlink,shm_unlink@" V);

static void show(void *libc, const char *sym)
{
	printf("%s %p %p\n", sym, dlvsym(libc, sym, "GLIBC_2.2.5"), dlvsym(libc, sym, "GLIBC_2.34"));
}

int main(int argc, char **argv)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	sem_t *s;
	int v = -1, fd;

	if (argc != 2 || !libc)
		return 2;
	show(libc, "sem_open");
	show(libc, "sem_post");
	show(libc, "shm_open");
	s = sem_open(argv[1], O_CREAT | O_EXCL, 0600, 0);
	if (s == SEM_FAILED || sem_post(s) || sem_getvalue(s, &v) || v != 1 || sem_close(s) ||
	    sem_unlink(argv[1]))
		return 1;
	fd = shm_open(argv[1], O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || close(fd) || shm_unlink(argv[1]))
		return 1;
	return 0;
}
