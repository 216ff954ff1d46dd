# SPDX-License-Identifier: MIT
# bench: nipc ls with 10,000 objects and 300 processes, beside lsipc.
noinst_PROGRAMS += bench/bench_ls
bench_bench_ls_SOURCES = bench/bench_ls.c bench/common.h tools/procscan.c tools/procscan.h
BENCHES += bench/bench_ls
