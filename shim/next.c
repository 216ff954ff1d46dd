/* SPDX-License-Identifier: MIT */
/* The real libc functions behind the hooks, resolved once at start-up. */
#include "config.h"

#include "shim.h"

#include <dlfcn.h>
#include <string.h>
#include <unistd.h>

struct shim_next shim_next;

static const char *const real_name[REAL_COUNT] = {
#define X(name, ret, params) #name,
	SHIM_REALS(X)
#undef X
};

/* glibc 2.34 moved sem_* and shm_* from libpthread/librt into libc with a
 * second version; on x86_64 both versions are the same code, so the hooks'
 * unversioned definitions (which bind callers of either) may call the
 * default one. Checked at start-up; NIPC_TRACE_DEBUG shows the table. */
#if defined(__x86_64__) && !defined(__ILP32__)
#define OLD_VER "GLIBC_2.2.5"
#define NEW_VER "GLIBC_2.34"
static const struct { enum shim_real r; const char *old_ver; } dual[] = {
	{REAL_shm_open, OLD_VER}, {REAL_shm_unlink, OLD_VER},
	{REAL_sem_open, OLD_VER}, {REAL_sem_close, OLD_VER},
	{REAL_sem_unlink, OLD_VER}, {REAL_sem_wait, OLD_VER},
	{REAL_sem_trywait, OLD_VER}, {REAL_sem_timedwait, OLD_VER},
	{REAL_sem_clockwait, "GLIBC_2.30"}, {REAL_sem_post, OLD_VER},
};
#define NDUAL (sizeof dual / sizeof dual[0])
static void *dual_old[NDUAL], *dual_new[NDUAL];
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
		else if (!missing && r != REAL_sem_clockwait)
			missing = real_name[r];
	}
#ifdef NEW_VER
	for (size_t i = 0; i < NDUAL; i++) {
		const char *name = real_name[dual[i].r];

		dual_old[i] = dlvsym(RTLD_NEXT, name, dual[i].old_ver);
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
	for (size_t i = 0; i < NDUAL; i++) {
		put("nipc-preload: real ");
		put(real_name[dual[i].r]);
		put("@");
		put(dual[i].old_ver);
		put(" = ");
		put_ptr(dual_old[i]);
		put(", @" NEW_VER " = ");
		put_ptr(dual_new[i]);
		put("\n");
	}
#endif
}
