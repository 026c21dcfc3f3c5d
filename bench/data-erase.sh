#!/usr/bin/env bash
# Erasure benchmark (issue 15): one subject erased from 10 tables of
# 1,000,000 rows each on PostgreSQL 15 (the tests' own cluster, on
# loopback), with the time of the whole erasure (plan, one transaction,
# search again) and EXPLAIN of every DELETE it runs, which must use an
# index. Writes the section between the data-erase markers of
# docs/benchmarks.md.
#
#   sudo bench/data-erase.sh
#
# Environment: BENCH_ROWS (rows per table, default 1000000).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
source bench/lib.sh
out=$(mktemp)
trap 'rm -f "$out"' EXIT
VIGIL_BENCH_ERASE=1 VIGIL_BENCH_OUT="$out" BENCH_ROWS=${BENCH_ROWS:-1000000} \
	go test -count=1 -timeout 60m -v -run '^TestEraseBenchmark$' ./internal/erase/
[[ -s $out ]] || die "the benchmark wrote no section"
write_section data-erase "$out"
