/* SPDX-License-Identifier: MIT */
/* The starts of the traced call's path, code and data (shim.h): this file
 * is linked first, so each starts on a page boundary. And the per-thread
 * block of that path, which every file uses and which uses nothing. */
#include "config.h"

#include "shim.h"

SHIM_HOT_DATA __attribute__((aligned(4096), used, no_reorder)) static char hot_start;

SHIM_HOT_PRE __attribute__((aligned(4096), used)) void shim_hot_pre(void);
SHIM_HOT_PRE __attribute__((aligned(4096), used)) void shim_hot_pre(void)
{
}

SHIM_HOT __attribute__((aligned(4096), used)) void shim_hot_post(void);
SHIM_HOT __attribute__((aligned(4096), used)) void shim_hot_post(void)
{
}

__thread struct shim_tls shim_tls_block __attribute__((tls_model("initial-exec")));

#if defined(__x86_64__) && defined(__SEG_FS) && !defined(__SANITIZE_ADDRESS__)
SHIM_HOT_DATA __attribute__((no_reorder)) intptr_t shim_tls_off;

intptr_t shim_tls_locate(void)
{
	intptr_t off = (intptr_t)((char *)&shim_tls_block - (char *)__builtin_thread_pointer());

	__atomic_store_n(&shim_tls_off, off, __ATOMIC_RELAXED);
	return off;
}
#endif
