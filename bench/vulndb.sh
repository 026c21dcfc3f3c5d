#!/usr/bin/env bash
# Vulnerability database benchmark:
#  1. import of a corpus the size of OSV's Debian all.zip plus one year of
#     NVD records (synthetic, in the real formats: the real feeds cannot be
#     downloaded here), with KEV and EPSS: time, database size, peak RSS;
#  2. matching this machine's whole dpkg inventory against that database;
#  3. a scan of the lab with and without the database (hyperfine);
#  4. debsecan, Debian's own peer for package inventories, cannot run here:
#     it needs security-tracker.debian.org (see the section written).
# Writes the section between the vulndb markers of docs/benchmarks.md.
#
#   sudo bench/vulndb.sh
#
# Environment: BENCH_OSV (records, default 60000), BENCH_NVD (default
# 40000), BENCH_RUNS (hyperfine runs, default 5).
# Traffic goes only to the lab's loopback addresses (127.0.2.0/24).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
labdir=${VIGIL_LAB_DIR:-/tmp/vigil-lab}
nosv=${BENCH_OSV:-60000}
nnvd=${BENCH_NVD:-40000}
runs=${BENCH_RUNS:-5}
. bench/lib.sh
[ "$(id -u)" = 0 ] || die "needs root (the lab runs as root)"
for t in hyperfine python3 go; do
  command -v "$t" >/dev/null || die "$t is missing: run lab/install-deps.sh"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -buildvcs=true -o "$work/vigil" ./cmd/vigil
go build -o "$work/vulnbench" ./bench/vulnbench
"$work/vulnbench" corpus -osv "$nosv" -nvd "$nnvd" "$work/corpus"
corpus_mb=$(du -sm "$work/corpus" | cut -f1)

# 1. Import, timed by the kernel's accounting of the child.
db=$work/vulndb.sqlite
/usr/bin/time -f '%e %M' -o "$work/import.time" "$work/vigil" vulndb import --vulndb "$db" "$work/corpus" >"$work/import.out"
read -r import_s import_kb <"$work/import.time"
db_mb=$(du -m "$db" | cut -f1)

# 2. Matching this machine's inventory.
match=$("$work/vulnbench" match -vulndb "$db" -n 5)

# 3. A scan of the lab with and without the database.
lab_hold
targets=127.0.2.10-22
export XDG_DATA_HOME=$work/data
hyperfine --warmup 1 --runs "$runs" --export-json "$work/scan.json" \
  -n "without database" "$work/vigil scan $targets --no-store -o /dev/null" \
  -n "with database" "$work/vigil scan $targets --no-store --vulndb $db -o /dev/null" >/dev/null 2>&1 || true
lab_release
scan=$(python3 - "$work/scan.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
a, b = r["without database"], r["with database"]
print(f'{a["median"]:.2f} s|{b["median"]:.2f} s|{(b["median"]-a["median"])*1000:+.0f} ms|{a["stddev"]*1000:.0f} ms')
PY
)
IFS='|' read -r scan_without scan_with scan_delta scan_sd <<<"$scan"

cpus=$(nproc)
cat >"$work/section.md" <<EOF
<!-- vulndb:begin -->
## Known vulnerabilities: import and matching

Goals (issue 12): import OSV Debian plus a year of NVD in under 60 s and
300 MB RSS; match a host's whole dpkg inventory in under 1 s; no
measurable cost to \`vigil scan\`.

| what | figure |
|---|---|
| corpus | ${nosv} OSV records in Debian's shape (Debian 10–13), ${nnvd} NVD CVE records in 2,000-record API pages, 1,400 KEV entries, 300,000 EPSS scores: ${corpus_mb} MB on disk |
| \`vigil vulndb import\` | **${import_s} s**, peak RSS **$((import_kb / 1024)) MB**, database ${db_mb} MB |
| matching this machine's inventory (\`vuln.Matcher.Packages\`, best of 5) | ${match} |
| \`vigil scan ${targets}\` without / with the database (median of ${runs}) | ${scan_without} / ${scan_with} (difference ${scan_delta}; run-to-run spread ${scan_sd}) |

Measured on ${cpus} cores. The corpus is synthetic because the real feeds
cannot be downloaded on this machine: it has the real formats (OSV's
all.zip with one record a file, NVD CVE API 2.0 pages, the KEV catalogue,
EPSS's gzipped CSV), the real feeds' sizes in records (one year of NVD is
about 40,000 CVEs), and a fifth of its OSV records about the kernel, as
Debian's advisories are skewed. Reproduce with:

\`\`\`sh
sudo bench/vulndb.sh            # BENCH_OSV=… BENCH_NVD=… to change the corpus
\`\`\`

Peer: debsecan (Debian's tool that matches an installed system against the
security tracker) fetches its data from security-tracker.debian.org when it
runs; this machine may reach only Debian's package mirrors, so it cannot be
run on the same data here. Trivy and Vuls are not packaged in Debian 12.
<!-- vulndb:end -->
EOF
write_section vulndb "$work/section.md"
sed -n '/vulndb:begin/,/vulndb:end/p' docs/benchmarks.md
