#!/usr/bin/env bash
# TLS audit benchmark: vigil against sslscan and testssl.sh on every TLS
# endpoint of the lab (TLS from the first byte and STARTTLS), in one run.
# For each endpoint it times the tools with hyperfine (medians), diffs what
# they found (accepted versions; per suite, the versions and the weak-suite
# verdict) and explains every disagreement. Writes the section between the
# tls markers of docs/benchmarks.md and raw results to bench/results/tls/.
#
#   sudo bench/tls.sh
#
# Environment: BENCH_RUNS (timed runs per tool, default 5, after one
# warm-up), BENCH_TESTSSL_IDS (endpoints testssl runs on, default
# "web-weak-https web-hard-https legacy-tls mail-hard-smtp"; "all" for all),
# BENCH_TESTSSL_RUNS (default 3: testssl takes minutes per endpoint).
#
# Needs root (the lab), the lab (started only when `lab/lab.sh status`
# fails; a running lab is never restarted), sslscan, testssl, hyperfine.
# Traffic goes only to the lab's loopback addresses (127.0.2.0/24).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
out=bench/results/tls
labdir=${VIGIL_LAB_DIR:-/tmp/vigil-lab}
runs=${BENCH_RUNS:-5}
testssl_runs=${BENCH_TESTSSL_RUNS:-3}
testssl_ids=${BENCH_TESTSSL_IDS-web-weak-https web-hard-https legacy-tls mail-hard-smtp}

. bench/lib.sh
[ "$(id -u)" = 0 ] || die "needs root (the lab runs as root)"
for t in sslscan testssl hyperfine python3 openssl go; do
  command -v "$t" >/dev/null || die "$t is missing: run lab/install-deps.sh"
done

rm -rf "$out"
mkdir -p "$out"
go build -o "$out/vigil" ./cmd/vigil
go build -o "$out/tlsbench" ./bench/tlsbench
vigil=$PWD/$out/vigil
tlsbench=$PWD/$out/tlsbench

lab_hold
mapfile -t endpoints < <(python3 bench/tls_compare.py endpoints "$labdir/manifest.json")
lab_release
[ "${#endpoints[@]}" -gt 0 ] || die "no TLS endpoint in $labdir/manifest.json"
[ "$testssl_ids" = all ] && testssl_ids=$(printf '%s\n' "${endpoints[@]}" | cut -f1 | tr '\n' ' ')

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for line in "${endpoints[@]}"; do
  IFS=$'\t' read -r id host port starttls <<<"$line"
  ca=$labdir/ca.pem
  sflag="" tflag="" aflag=""
  case $starttls in
    -) ;;
    postgresql) sflag=--starttls-psql tflag="-t postgres" aflag="-starttls postgresql" ;;
    *) sflag=--starttls-$starttls tflag="-t $starttls" aflag="-starttls $starttls" ;;
  esac
  lab_hold
  echo "== $id ($host:$port${sflag:+, $starttls STARTTLS}), load $(cut -d' ' -f1-3 /proc/loadavg)"
  # One hyperfine run for vigil, its audit alone and sslscan: same moment,
  # same load. Every run overwrites its output file; the last one is diffed.
  hyperfine --style basic --ignore-failure --warmup 1 --runs "$runs" --export-json "$out/$id.time.json" \
    -n vigil "$vigil scan $host -p $port --udp-ports '' --no-store --format json --tls-ca $ca -o $out/$id.vigil.json" \
    -n vigil-audit "$tlsbench audit $aflag -ca $ca -o $out/$id.audit.json $host:$port" \
    -n sslscan "sslscan --no-colour $sflag --xml=$out/$id.sslscan.xml $host:$port" \
    >"$out/$id.hyperfine.txt"
  grep -E '^(Benchmark|  Time)' "$out/$id.hyperfine.txt" | sed 's/^/  /'
  if [[ " $testssl_ids " == *" $id "* ]]; then
    # testssl refuses to overwrite its JSON file: remove it before each run.
    hyperfine --style basic --ignore-failure --runs "$testssl_runs" --export-json "$out/$id.testssl-time.json" \
      --prepare "rm -f $out/$id.testssl.json" \
      -n testssl "testssl --quiet --color 0 --jsonfile $out/$id.testssl.json -p -E $tflag $host:$port" \
      >"$out/$id.testssl-hyperfine.txt"
    grep -E '^(Benchmark|  Time)' "$out/$id.testssl-hyperfine.txt" | sed 's/^/  /'
  fi
  lab_release
  "$tlsbench" verdicts "$out/$id.vigil.json" >"$out/$id.verdicts.json"
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$out/meta.json" "$runs" "$testssl_runs" "$load_start" "$load_end" "$testssl_ids" "${endpoints[@]}" <<'PY'
import json, os, subprocess, sys, datetime
path, runs, truns, ls, le, tids = sys.argv[1:7]
eps = [dict(zip(("id", "host", "port", "starttls"), l.split("\t"))) for l in sys.argv[7:]]
for e in eps:
    e["port"] = int(e["port"])
def first(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
        return [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
    except OSError:
        return ["?"]
import re
strip = lambda s: re.sub(r"\x1b\[[0-9;]*m", "", s).strip()
sslscan = next((strip(l) for l in first(["sslscan", "--version"]) if re.search(r"\d+\.\d+", strip(l))), "?")
testssl = next((re.search(r"testssl\S*\s+(\S+)", strip(l)).group(1) for l in first(["testssl", "--version"]) if re.search(r"testssl\S*\s+\d", strip(l))), "?")
openssl = first(["openssl", "version"])[0]
hyper = first(["hyperfine", "--version"])[0]
json.dump({
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
    "nproc": os.cpu_count(), "load_start": ls, "load_end": le,
    "command": "sudo bench/tls.sh",
    "versions": "sslscan %s, testssl.sh %s, %s, %s (all from Debian)" % (sslscan, testssl, openssl, hyper),
    "runs": int(runs), "warmup": 1, "testssl_runs": int(truns),
    "testssl_ids": tids.split(), "endpoints": eps,
}, open(path, "w"), indent=1)
PY

python3 bench/tls_compare.py report "$out" "$out/meta.json" | tee "$out/diff.txt"

write_section tls "$out/section.md"
