# SPDX-License-Identifier: MIT
# bench: shim overhead (pass-through, tracing to a file, strace) — `make bench`.
noinst_PROGRAMS += bench/bench_shim
bench_bench_shim_SOURCES = bench/bench_shim.c bench/common.h
# Re-runs itself under LD_PRELOAD: no sanitizers (their runtime must load first).
bench_bench_shim_CFLAGS = $(WARN_CFLAGS)
bench_bench_shim_LDFLAGS =
BENCHES += bench/bench_shim
