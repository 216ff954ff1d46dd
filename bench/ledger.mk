# SPDX-License-Identifier: MIT
# bench: what the ledger adds to a creation under a cleanup= rule.
noinst_PROGRAMS += bench/bench_ledger
bench_bench_ledger_SOURCES = bench/bench_ledger.c bench/common.h
bench_bench_ledger_CFLAGS = $(WARN_CFLAGS) -DBUILDDIR='"$(abs_top_builddir)"'
bench_bench_ledger_LDFLAGS =
BENCHES += bench/bench_ledger
