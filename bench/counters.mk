# SPDX-License-Identifier: MIT
# bench: what per-object counters cost per semaphore call — `make bench`.
noinst_PROGRAMS += bench/bench_counters
bench_bench_counters_SOURCES = bench/bench_counters.c bench/common.h
# Re-runs itself under LD_PRELOAD: no sanitizers (their runtime must load first).
bench_bench_counters_CFLAGS = $(WARN_CFLAGS)
bench_bench_counters_LDFLAGS =
BENCHES += bench/bench_counters
