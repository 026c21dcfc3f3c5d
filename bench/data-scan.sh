#!/usr/bin/env bash
# Discovery benchmark of vigil data scan (issue 15): a PostgreSQL database
# of about 1 GB and 10,000 files, scanned with the default sampling; wall
# time and peak RSS (GNU time) into docs/benchmarks.md.
#
# It uses the data part's weak PostgreSQL (127.0.2.110): a database
# `bench` is made there, filled with generated rows (generate_series, no
# real person's data) and dropped at the end; the 10,000 files are copies
# of the lab's generated share under a temporary directory.
#
#   bench/data-scan.sh            (starts the data part when it is not up)
#   VIGIL_LAB_DIR=/tmp/vigil-lab-data bench/data-scan.sh
set -euo pipefail
cd "$(dirname "$0")/.."
labdir=${VIGIL_LAB_DIR:-/tmp/vigil-lab}
. bench/lib.sh
[[ -f $labdir/manifest.json ]] && grep -q data-pg-weak "$labdir/manifest.json" ||
  die "the data part is not up in $labdir: VIGIL_LAB_DIR=$labdir VIGIL_LAB_ONLY=data lab/lab.sh up"
sock=$labdir/data/pg-weak
psql_() { runuser -u postgres -- psql -qAt -v ON_ERROR_STOP=1 -h "$sock" -p 5432 "$@"; }
tmp=$(mktemp -d /tmp/vigil-bench-data.XXXXXX)
trap 'rm -rf "$tmp"; psql_ -d postgres -c "DROP DATABASE IF EXISTS bench" >/dev/null 2>&1 || true' EXIT

echo "filling database bench (5 × 1.6 million rows, about 1.6 GB)…" >&2
psql_ -d postgres -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench OWNER clinic_app"
t0=$(date +%s.%N)
for i in 1 2 3 4 5; do
  psql_ -d bench -c "SET ROLE clinic_app" -c "CREATE TABLE patients_$i AS
    SELECT g AS id,
      (ARRAY['Anna','Lukas','Marie','Jonas','Lea','Paul','Emma','Ben'])[1 + g % 8] || ' ' ||
      (ARRAY['Müller','Schmidt','Martin','Bernard','Smith','Jones','Dubois','Weber'])[1 + (g / 8) % 8] AS full_name,
      'p' || g || '@example.org' AS email,
      lpad(((g * 7919) % 899 + 1)::text, 3, '0') || '-' || lpad((g % 99 + 1)::text, 2, '0') || '-' || lpad((g % 9999 + 1)::text, 4, '0') AS ssn,
      date '1940-01-01' + (g % 25000)::int AS born,
      'Review of type 2 diabetes. Continues metformin 500 mg. ' || md5(g::text) || md5((g + 1)::text) AS notes
    FROM generate_series(1::bigint, 1600000) g" >/dev/null
done
psql_ -d bench -c "GRANT pg_read_all_data TO vigil" >/dev/null 2>&1 || true
size=$(psql_ -d bench -c "SELECT pg_size_pretty(pg_database_size('bench'))")
fill=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.0f}')" "$t0" "$(date +%s.%N)")
echo "database bench: $size in ${fill}s" >&2

echo "copying 10,000 files…" >&2
src=$labdir/data/share-weak
mapfile -t files < <(cd "$src" && find . -type f | sort)
n=0
while ((n < 10000)); do
  for f in "${files[@]}"; do
    ((n < 10000)) || break
    d=$tmp/share/$((n / 500))
    mkdir -p "$d"
    cp "$src/$f" "$d/$n-$(basename "$f")"
    n=$((n + 1))
  done
done
fsize=$(du -sh "$tmp/share" | cut -f1)

cat >"$tmp/map.yaml" <<EOF
sources:
  - {name: bench, type: postgres, dsn: "postgres://vigil@127.0.2.110:5432/bench", password_env: VIGIL_BENCH_PW, applications: [clinic_app]}
  - {name: share, type: files, path: $tmp/share}
EOF
go build -o "$tmp/vigil" ./cmd/vigil
echo "scanning…" >&2
VIGIL_BENCH_PW=vigil-lab-data-pass /usr/bin/time -v "$tmp/vigil" data scan --map "$tmp/map.yaml" --format json -o "$tmp/out.json" 2>"$tmp/time.txt" || true
wall=$(grep 'Elapsed (wall clock)' "$tmp/time.txt" | awk '{print $NF}')
rss=$(grep 'Maximum resident set size' "$tmp/time.txt" | awk '{print $NF}')
cols=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(len(d['columns']), len(d['files']))" "$tmp/out.json")

cat >"$tmp/section.md" <<EOF
<!-- data-scan:begin -->
## vigil data scan: discovery over a $size database and 10,000 files

\`bench/data-scan.sh\` on $(date -u +%Y-%m-%d), $(nproc) CPUs: PostgreSQL 15 database
\`bench\` of $size (5 tables of 1.6 million generated rows: names, e-mails,
SSN-shaped values, birth dates, clinical notes) on the lab's loopback alias,
and 10,000 files ($fsize: copies of the lab's generated share: CSV, text,
e-mail, mbox, PDF, XLSX). Default sampling (1000 rows per table; every row
counted exactly with COUNT(*)).

| what | figure |
|---|---|
| wall time | $wall |
| peak RSS | $((rss / 1024)) MiB |
| personal columns, files reported | ${cols% *} columns, ${cols#* } files |
<!-- data-scan:end -->
EOF
write_section data-scan "$tmp/section.md"
cat "$tmp/section.md"
