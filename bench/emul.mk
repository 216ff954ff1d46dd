# SPDX-License-Identifier: MIT
# bench: System V shm emulated on POSIX vs the kernel — `make bench`.
noinst_PROGRAMS += bench/bench_emul
bench_bench_emul_SOURCES = bench/bench_emul.c bench/common.h
# Re-runs itself under LD_PRELOAD: no sanitizers (their runtime must load first).
bench_bench_emul_CFLAGS = $(WARN_CFLAGS)
bench_bench_emul_LDFLAGS =
BENCHES += bench/bench_emul
