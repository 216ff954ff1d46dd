/* SPDX-License-Identifier: MIT */
/* The LTTng-UST tracepoint bench_ring compares the ring with: one event
 * per IPC call, with the call, the object's address and name, and the
 * result (about what a ring record holds). */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER nipc_bench

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./bench_lttng_tp.h"

#if !defined(NIPC_BENCH_LTTNG_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define NIPC_BENCH_LTTNG_TP_H

#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_EVENT(
	nipc_bench, call,
	LTTNG_UST_TP_ARGS(int, op, const void *, obj, const char *, name, int, ret),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int, op, op)
		lttng_ust_field_integer_hex(unsigned long, obj, (unsigned long)obj)
		lttng_ust_field_string(name, name)
		lttng_ust_field_integer(int, ret, ret)
	)
)

#endif

#include <lttng/tracepoint-event.h>
