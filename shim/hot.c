/* SPDX-License-Identifier: MIT */
/* The starts of the traced call's path, code and data (shim.h): this file
 * is linked first, so each starts on a page boundary. */
#include "config.h"

#include "shim.h"

SHIM_HOT_DATA __attribute__((aligned(4096), used)) static char hot_start;

SHIM_HOT_PRE __attribute__((aligned(4096), used)) void shim_hot_pre(void);
SHIM_HOT_PRE __attribute__((aligned(4096), used)) void shim_hot_pre(void)
{
}

SHIM_HOT __attribute__((aligned(4096), used)) void shim_hot_post(void);
SHIM_HOT __attribute__((aligned(4096), used)) void shim_hot_post(void)
{
}
