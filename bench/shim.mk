# bench: shim overhead (pass-through, tracing to a file, strace) — `make bench`.
noinst_PROGRAMS += bench/bench_shim
bench_bench_shim_SOURCES = bench/bench_shim.c
BENCHES += bench/bench_shim
