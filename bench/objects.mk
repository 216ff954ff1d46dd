# SPDX-License-Identifier: MIT
# bench: shared memory and semaphores vs Qt 5 — `make bench`.
# bench_objects runs its own loops, then qt5bench (beside it) with the same
# loops in Qt 5, and prints nipc/Qt ratios.
noinst_PROGRAMS += bench/bench_objects
bench_bench_objects_SOURCES = bench/bench_objects.c
bench_bench_objects_LDADD = lib/libnipc-core.la
BENCHES += bench/bench_objects
if HAVE_QT5
noinst_PROGRAMS += bench/qt5bench
bench_qt5bench_SOURCES = bench/qt5bench.cpp
bench_qt5bench_CXXFLAGS = $(AM_CXXFLAGS) $(QT5_CFLAGS) -fPIC
bench_qt5bench_LDADD = $(QT5_LIBS)
endif
