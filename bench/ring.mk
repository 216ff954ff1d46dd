# SPDX-License-Identifier: MIT
# bench: the cost of one traced event in ring mode, line mode, strace and
# an LTTng-UST tracepoint (bench_lttng, when configure finds lttng-ust).
noinst_PROGRAMS += bench/bench_ring
bench_bench_ring_SOURCES = bench/bench_ring.c bench/common.h
bench_bench_ring_CFLAGS = $(WARN_CFLAGS)
bench_bench_ring_LDFLAGS =
bench_bench_ring_LDADD = $(DL_LIBS)
BENCHES += bench/bench_ring
# The shim built to time itself inside each traced call (NIPC_SELF_TIMING):
# for bench_ring's "shim's own time" row only; built by `make bench`.
EXTRA_LTLIBRARIES += bench/libnipc-preload-timed.la
BENCH_LIBS += bench/libnipc-preload-timed.la
bench_libnipc_preload_timed_la_SOURCES = $(shim_libnipc_preload_la_SOURCES)
bench_libnipc_preload_timed_la_CPPFLAGS = $(AM_CPPFLAGS) -DNIPC_SELF_TIMING
bench_libnipc_preload_timed_la_CFLAGS = $(shim_libnipc_preload_la_CFLAGS)
bench_libnipc_preload_timed_la_LIBADD = $(shim_libnipc_preload_la_LIBADD)
bench_libnipc_preload_timed_la_LDFLAGS = $(shim_libnipc_preload_la_LDFLAGS) -rpath $(abs_builddir)/bench
EXTRA_bench_libnipc_preload_timed_la_DEPENDENCIES = $(EXTRA_shim_libnipc_preload_la_DEPENDENCIES)
if HAVE_LTTNG_UST
noinst_PROGRAMS += bench/bench_lttng
bench_bench_lttng_SOURCES = bench/bench_lttng.c bench/bench_lttng_tp.h bench/bench_ring.c
bench_bench_lttng_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/bench -DBENCH_RING_NO_MAIN
# the tracepoint macros trip some of the project's warnings
bench_bench_lttng_CFLAGS = $(LTTNG_UST_CFLAGS)
bench_bench_lttng_LDADD = $(LTTNG_UST_LIBS) $(DL_LIBS)
endif
EXTRA_DIST += bench/bench_lttng.c bench/bench_lttng_tp.h
