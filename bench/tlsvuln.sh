#!/usr/bin/env bash
# TLS vulnerability benchmark: vigil's verdicts against testssl.sh's on every
# TLS endpoint of the lab (the core lab's and the parts tlsdeep's and
# tlsreneg's), in one run. For each endpoint it times `vigil scan`
# (hyperfine, median) and one
# `testssl -p -U -S` (protocols, every vulnerability check, server defaults:
# certificate and OCSP stapling), then compares the verdicts both tools
# give for the checks they share (protocols, Heartbleed, CCS, ROBOT,
# secure and client-initiated renegotiation, CRIME, BREACH, Logjam/DH,
# DROWN, fallback SCSV, OCSP stapling, certificate key usage and
# subjectAltName) and explains every
# difference. Writes the tlsvuln section of docs/benchmarks.md and raw
# results to bench/results/tlsvuln/.
#
#   sudo bench/tlsvuln.sh
#
# Environment: BENCH_LABS (lab directories, each up with its
# manifest.json; default /tmp/vigil-lab, plus /tmp/vigil-lab-tlsdeep and
# /tmp/vigil-lab-tlsreneg when a part runs there on its own; an endpoint
# id found in two labs is measured in the first),
# BENCH_RUNS (timed vigil runs per endpoint, default 3, after one warm-up),
# BENCH_IDS (only these endpoint ids; default all), BENCH_KEEP=1 (keep the
# results of an earlier run and measure BENCH_IDS again: the report takes
# each endpoint's newest measurement).
# Traffic goes only to the lab's loopback addresses (127.0.2.0/24).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
out=bench/results/tlsvuln
labs=${BENCH_LABS:-}
if [ -z "$labs" ]; then
  labs=/tmp/vigil-lab
  for d in /tmp/vigil-lab-tlsdeep /tmp/vigil-lab-tlsreneg; do
    if [ -f "$d/manifest.json" ]; then labs="$labs $d"; fi
  done
fi
runs=${BENCH_RUNS:-3}
only=${BENCH_IDS:-}

die() { echo "$0: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (the lab runs as root)"
for t in testssl hyperfine python3 go; do
  command -v "$t" >/dev/null || die "$t is missing: run lab/install-deps.sh"
done

[ "${BENCH_KEEP:-}" = 1 ] || rm -rf "$out"
mkdir -p "$out"
go build -o "$out/vigil" ./cmd/vigil
vigil=$PWD/$out/vigil

eps=()
declare -A seen=()
for d in $labs; do
  [ -f "$d/manifest.json" ] || die "no lab in $d (start it: lab/lab.sh up, or VIGIL_LAB_DIR=$d VIGIL_LAB_ONLY=PART lab/lab.sh up)"
  while IFS= read -r line; do
    id=${line%%	*}
    [ -z "${seen[$id]:-}" ] || continue
    seen[$id]=1
    eps+=("$d	$line")
  done < <(python3 bench/tlsvuln_compare.py endpoints "$d/manifest.json")
done
[ "${#eps[@]}" -gt 0 ] || die "no TLS endpoint in $labs"

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for line in "${eps[@]}"; do
  IFS=$'\t' read -r d id host port starttls <<<"$line"
  if [ -n "$only" ] && [[ " $only " != *" $id "* ]]; then continue; fi
  tflag=""
  case $starttls in
    -|rdp) ;;
    postgresql) tflag="-t postgres" ;;
    *) tflag="-t $starttls" ;;
  esac
  # A shared lock on the lab, as lab tests take: a concurrent lab.sh up waits.
  exec 8>"$d/.lock"
  flock -s -w 900 8 || die "the lab in $d stays locked"
  echo "== $id ($host:$port${tflag:+, $starttls STARTTLS}), load $(cut -d' ' -f1-3 /proc/loadavg)"
  hyperfine --style basic --ignore-failure --warmup 1 --runs "$runs" --export-json "$out/$id.vigil-time.json" \
    -n vigil "$vigil scan $host -p $port --udp-ports '' --no-store --format json --tls-ca $d/ca.pem -o $out/$id.vigil.json" \
    >"$out/$id.vigil-hyperfine.txt"
  grep -E '^  Time' "$out/$id.vigil-hyperfine.txt" | sed 's/^/  vigil  /'
  if [ "$starttls" != rdp ]; then
    # testssl refuses to overwrite its JSON file: remove it first.
    hyperfine --style basic --ignore-failure --runs 1 --export-json "$out/$id.testssl-time.json" \
      --prepare "rm -f $out/$id.testssl.json" \
      -n testssl "testssl --quiet --color 0 --warnings off --jsonfile $out/$id.testssl.json -p -U -S $tflag $host:$port" \
      >"$out/$id.testssl-hyperfine.txt"
    grep -E '^  Time' "$out/$id.testssl-hyperfine.txt" | sed 's/^/  testssl/'
  fi
  flock -u 8
  printf '%s\t%s\t%s\t%s\n' "$id" "$host" "$port" "$starttls" >>"$out/endpoints.tsv"
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

testssl_version=$(testssl --version 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | sed -n 's/.*testssl *\([0-9][0-9.]*\) from.*/\1/p' | head -1)
python3 bench/tlsvuln_compare.py report "$out" "$(date -u +%F)" "$(nproc)" "$load_start" "$load_end" "$runs" \
  "testssl.sh ${testssl_version:-?}, $(openssl version | cut -d' ' -f1-2), $(hyperfine --version)" | tee "$out/diff.txt"

. bench/lib.sh
write_section tlsvuln "$out/section.md"
