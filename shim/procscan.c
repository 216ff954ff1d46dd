/* SPDX-License-Identifier: MIT */
/* The /proc scan of the nipc tool (tools/procscan.c), compiled into the
 * shim for the ledger's liveness checks. */
#include "../tools/procscan.c"
