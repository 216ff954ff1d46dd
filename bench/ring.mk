# SPDX-License-Identifier: MIT
# bench: the cost of one traced event in ring mode, line mode, strace and
# an LTTng-UST tracepoint (bench_lttng, when configure finds lttng-ust).
noinst_PROGRAMS += bench/bench_ring
bench_bench_ring_SOURCES = bench/bench_ring.c bench/common.h
bench_bench_ring_CFLAGS = $(WARN_CFLAGS)
bench_bench_ring_LDFLAGS =
BENCHES += bench/bench_ring
if HAVE_LTTNG_UST
noinst_PROGRAMS += bench/bench_lttng
bench_bench_lttng_SOURCES = bench/bench_lttng.c bench/bench_lttng_tp.h bench/bench_ring.c
bench_bench_lttng_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/bench -DBENCH_RING_NO_MAIN
# the tracepoint macros trip some of the project's warnings
bench_bench_lttng_CFLAGS = $(LTTNG_UST_CFLAGS)
bench_bench_lttng_LDADD = $(LTTNG_UST_LIBS) $(DL_LIBS)
endif
EXTRA_DIST += bench/bench_lttng.c bench/bench_lttng_tp.h
