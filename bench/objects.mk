# bench: shared memory and semaphores vs Qt 5 — `make bench`.
# qt5bench runs the loops of the objects benchmark in Qt 5.
if HAVE_QT5
noinst_PROGRAMS += bench/qt5bench
bench_qt5bench_SOURCES = bench/qt5bench.cpp
bench_qt5bench_CXXFLAGS = $(AM_CXXFLAGS) $(QT5_CFLAGS) -fPIC
bench_qt5bench_LDADD = $(QT5_LIBS)
endif
