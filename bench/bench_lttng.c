/* SPDX-License-Identifier: MIT */
/* bench_ring's LTTng-UST configuration: its loop with a tracepoint after
 * every call (run by bench_ring inside an LTTng session). */
#include "config.h"

#define LTTNG_UST_TRACEPOINT_DEFINE
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include "bench_lttng_tp.h"

#include <stdio.h>
#include <stdlib.h>

int bench_ring_loop(const char *what, long iters,
		    void (*tp)(int op, const void *obj, const char *name, int ret));

static void tp(int op, const void *obj, const char *name, int ret)
{
	lttng_ust_tracepoint(nipc_bench, call, op, obj, name, ret);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: bench_lttng sem|shm ITERATIONS\n");
		return 2;
	}
	return bench_ring_loop(argv[1], atol(argv[2]), tp);
}
