/* SPDX-License-Identifier: MIT */
/* The real libc functions behind the hooks, resolved once at start-up. */
#include "config.h"

#include "shim.h"

#include <dlfcn.h>
#include <string.h>
#include <unistd.h>

SHIM_HOT_DATA struct shim_next shim_next;

static const char *const real_name[REAL_COUNT] = {
#define X(fn, ...) #fn,
	SHIM_FNS(X)
#undef X
};

/* Functions libc may lack (then their hooks fail with ENOSYS). */
#define SHIM_RD_OPTIONAL_MISSING_OK 1
#define SHIM_RD_PLAIN_MISSING_OK 0
#define SHIM_RD_SEM_OPEN_MISSING_OK 0
#define SHIM_RD_MQ_OPEN_MISSING_OK 0
#define SHIM_RD_SEMCTL_MISSING_OK 0
#define SHIM_RD_MREMAP_MISSING_OK 0
static const unsigned char missing_ok[REAL_COUNT] = {
#define X(fn, op, primary, fam, ver, path, rd, ...) SHIM_RD_##rd##_MISSING_OK,
	SHIM_FNS(X)
#undef X
};

/* glibc 2.34 moved sem_* and shm_* from libpthread/librt into libc with a
 * second version; on x86_64 both versions are the same code, so the hooks'
 * unversioned definitions (which bind callers of either) may call the
 * default one. Checked at start-up; NIPC_TRACE_DEBUG shows the table. The
 * older versions are the oldver column of ops.def. */
#if defined(__x86_64__) && !defined(__ILP32__)
#define NEW_VER "GLIBC_2.34"
static const char *const old_ver[REAL_COUNT] = {
#define X(fn, op, primary, fam, ver, ...) ver,
	SHIM_FNS(X)
#undef X
};
static void *dual_old[REAL_COUNT], *dual_new[REAL_COUNT];
#endif

static void **slot(enum shim_real r)
{
	return (void **)&shim_next + r;
}

static void *lookup(enum shim_real r)
{
	return dlsym(RTLD_NEXT, real_name[r]);
}

void *shim_next_early(enum shim_real r)
{
	void *p = lookup(r);

	if (p)
		__atomic_store_n(slot(r), p, __ATOMIC_RELAXED);
	return p;
}

const char *shim_next_init(void)
{
	const char *missing = NULL;

	_Static_assert(sizeof shim_next == REAL_COUNT * sizeof(void *), "next table layout");
	for (int r = 0; r < REAL_COUNT; r++) {
		void *p = lookup(r);

		if (p)
			__atomic_store_n(slot(r), p, __ATOMIC_RELAXED);
		else if (!missing && !missing_ok[r])
			missing = real_name[r];
	}
#ifdef NEW_VER
	for (int i = 0; i < REAL_COUNT; i++) {
		const char *name = real_name[i];

		if (!old_ver[i])
			continue;
		dual_old[i] = dlvsym(RTLD_NEXT, name, old_ver[i]);
		dual_new[i] = dlvsym(RTLD_NEXT, name, NEW_VER);
		if (dual_old[i] && dual_new[i] && dual_old[i] != dual_new[i])
			shim_warn("the two glibc versions of %s differ; both callers reach the default one", name);
	}
#endif
	return missing;
}

static void put(const char *s)
{
	out_stderr(s, strlen(s));
}

static void put_ptr(const void *p)
{
	char buf[2 + 16 + 1], *q = buf + sizeof buf;
	uintptr_t v = (uintptr_t)p;

	*--q = 0;
	do
		*--q = "0123456789abcdef"[v & 15];
	while (v >>= 4);
	*--q = 'x';
	*--q = '0';
	put(q);
}

void shim_next_dump(void)
{
	for (int r = 0; r < REAL_COUNT; r++) {
		put("nipc-preload: real ");
		put(real_name[r]);
		put(" = ");
		put_ptr(*slot(r));
		put("\n");
	}
#ifdef NEW_VER
	for (int i = 0; i < REAL_COUNT; i++) {
		if (!old_ver[i])
			continue;
		put("nipc-preload: real ");
		put(real_name[i]);
		put("@");
		put(old_ver[i]);
		put(" = ");
		put_ptr(dual_old[i]);
		put(", @" NEW_VER " = ");
		put_ptr(dual_new[i]);
		put("\n");
	}
#endif
}
