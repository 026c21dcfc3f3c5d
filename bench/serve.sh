#!/usr/bin/env bash
# vigil serve under load (issue 14):
#  1. generates a store of 1,000 scans × 250 hosts (bench/genstore): time, size;
#  2. starts `vigil serve` on loopback over it and reads its idle RSS;
#  3. measures the overview and a host page (and the API's host list) with
#     ab, 20 concurrent clients: p50 and p99, and the server's own time
#     (its Server-Timing header) when it sends one;
#  4. reads the RSS again after the load.
# Writes the section between the serve markers of docs/benchmarks.md.
#
#   bench/serve.sh
#
# Environment: BENCH_SCANS (default 1000), BENCH_HOSTS (default 250),
# BENCH_REQUESTS (per page, default 500), BENCH_DB (an existing store made
# by genstore, kept: saves the generation), BENCH_LISTEN (default
# 127.0.0.1:8611). Needs no root and no lab: every request goes to
# 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
scans=${BENCH_SCANS:-1000}
nhosts=${BENCH_HOSTS:-250}
requests=${BENCH_REQUESTS:-500}
listen=${BENCH_LISTEN:-127.0.0.1:8611}
clients=20
. bench/lib.sh
case $listen in 127.*) ;; *) die "BENCH_LISTEN must be a loopback address" ;; esac
for t in ab curl python3 go; do
  command -v "$t" >/dev/null || die "$t is missing: run lab/install-deps.sh (ab is in apache2-utils)"
done

work=$(mktemp -d)
serve_pid=
cleanup() {
  if [ -n "$serve_pid" ]; then kill -TERM "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
go build -buildvcs=true -o "$work/vigil" ./cmd/vigil
go build -o "$work/genstore" ./bench/genstore
export HOME=$work XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config

# 1. The store.
if [ -n "${BENCH_DB:-}" ] && [ -f "$BENCH_DB" ]; then
  db=$BENCH_DB
  gen="reused $db"
else
  db=${BENCH_DB:-$work/vigil.db}
  /usr/bin/time -f '%e %M' -o "$work/gen.time" "$work/genstore" -db "$db" -scans "$scans" -hosts "$nhosts" >"$work/gen.out" 2>/dev/null
  read -r gen_s gen_kb <"$work/gen.time"
  gen="${gen_s} s, peak RSS $((gen_kb / 1024)) MB"
fi
db_mb=$(du -cm "$db"* | tail -1 | cut -f1)
nfindings=$(python3 - "$db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("SELECT COUNT(*) FROM findings").fetchone()[0])
PY
)
# A host of the newest scan, for its page.
host=$(python3 - "$db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("SELECT address FROM hosts WHERE scan_id = (SELECT id FROM scans ORDER BY started DESC, id DESC LIMIT 1) ORDER BY address LIMIT 1 OFFSET 10").fetchone()[0])
PY
)

# 2. The server, an account and a token.
user=bench-$(date +%s)
pass="bench password $(date +%s%N)"
printf '%s\n' "$pass" | "$work/vigil" user add "$user" --role viewer --db "$db" >/dev/null 2>&1
token=$("$work/vigil" token create --name "$user" --role viewer --db "$db" 2>/dev/null)
"$work/vigil" serve --listen "$listen" --db "$db" >"$work/serve.log" 2>&1 8>&- &
serve_pid=$!
base=http://$listen
for _ in $(seq 200); do
  curl -fsS -o /dev/null "$base/login" 2>/dev/null && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log" >&2; die "vigil serve stopped"; }
  sleep 0.1
done
curl -fsS -o /dev/null "$base/login" || die "vigil serve does not answer on $base"
sleep 2
rss_idle=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$serve_pid/status")

# Log in as a person would: the login form's hidden fields (the CSRF
# token), then the session cookie for ab.
jar=$work/cookies
curl -fsS -c "$jar" -b "$jar" "$base/login" >"$work/login.html"
fields=$(python3 - "$work/login.html" <<'PY'
import html.parser, sys, urllib.parse
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.inform = False; self.fields = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "login-form": self.inform = True
        elif tag == "input" and self.inform and a.get("type") == "hidden": self.fields.append((a.get("name"), a.get("value", "")))
    def handle_endtag(self, tag):
        if tag == "form": self.inform = False
p = P(); p.feed(open(sys.argv[1]).read())
print(urllib.parse.urlencode(p.fields))
PY
)
curl -fsS -o /dev/null -c "$jar" -b "$jar" --data "${fields:+$fields&}user=$user" --data-urlencode "password=$pass" "$base/login"
cookie=$(awk '(!/^#/ || /^#HttpOnly_/) && NF >= 7 {c = c (c ? "; " : "") $6 "=" $7} END {print c}' "$jar")
[ -n "$cookie" ] || die "no session cookie after logging in"
# (Checked on the scans page: the overview's first request is measured below.)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base/scans")
[ "$code" = 200 ] || die "the scans page answers $code with the session cookie"

# The machine's load while measuring: figures taken on a busy machine say so.
load_before=$(cut -d' ' -f1 /proc/loadavg)

# server_cpu prints the CPU time (user + system, in clock ticks) the server
# has used so far: its cost per request, apart from any queue.
server_cpu() { awk '{print $14 + $15}' "/proc/$serve_pid/stat"; }

# 3. Load. measure NAME PATH [HEADER]: ab's p50/p99/mean, and the median of
# the server's own time over 50 sequential requests (Server-Timing).
measure() {
  local name=$1 path=$2 header=$3
  local cpu0 cpu1 first
  # The first request computes the page from the store (as after every
  # change of the store); the others reuse it while the store is unchanged.
  first=$(curl -s -o /dev/null -w '%{time_total}' -H "$header" "$base$path" | awk '{printf "%.0f", $1 * 1000}')
  cpu0=$(server_cpu)
  ab -q -k -n "$requests" -c "$clients" -H "$header" "$base$path" >"$work/ab.$name" 2>&1 || { cat "$work/ab.$name" >&2; die "ab failed on $path"; }
  grep -q "^Non-2xx responses" "$work/ab.$name" && die "$path answered other than 2xx under load: $(grep Non-2xx "$work/ab.$name")"
  cpu1=$(server_cpu)
  local cpu_ms
  cpu_ms=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", (b - a) * 1000 / hz / n}')
  local p50 p99 mean rps
  p50=$(awk '$1 == "50%" {print $2}' "$work/ab.$name")
  p99=$(awk '$1 == "99%" {print $2}' "$work/ab.$name")
  mean=$(awk '/^Time per request:.*\(mean\)$/ {print $4; exit}' "$work/ab.$name")
  rps=$(awk '/^Requests per second:/ {print int($4)}' "$work/ab.$name")
  # One client alone: the time a request takes with no queue, close to
  # the server's own time (loopback adds well under a millisecond).
  ab -q -k -n 50 -c 1 -H "$header" "$base$path" >"$work/ab1.$name" 2>&1 || die "ab failed on $path"
  local one
  one=$(awk '$1 == "50%" {print $2}' "$work/ab1.$name")
  local st
  st=$(for _ in $(seq 50); do curl -s -o /dev/null -D - -H "$header" "$base$path"; done | python3 -c '
import re, statistics, sys
ds = [float(m.group(1)) for m in re.finditer(r"(?im)^server-timing:.*?dur=([0-9.]+)", sys.stdin.read())]
print(f"{statistics.median(ds):.1f} ms" if ds else "not sent")
')
  echo "| $name (\`GET $path\`) | $first ms | **$one ms** | $cpu_ms ms | **$p50 ms** | **$p99 ms** | $mean ms | $rps | $st |" >>"$work/rows"
}
: >"$work/rows"
measure overview / "Cookie: $cookie"
measure "host page" "/hosts/$host" "Cookie: $cookie"
measure "API host list" /api/v1/hosts "Authorization: Bearer $token"
sleep 2
load_after=$(cut -d' ' -f1 /proc/loadavg)
rss_after=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$serve_pid/status")
rss_peak=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$serve_pid/status")

cpus=$(nproc)
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
mem=$(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo)
cat >"$work/section.md" <<EOF
<!-- serve:begin -->
## \`vigil serve\`: pages under load (bench/serve.sh)

Goals (issue 14): with a store of 1,000 scans of 250 hosts, the overview
and a host page render in under 100 ms at the server under 20 concurrent
clients; an idle \`vigil serve\` stays under 50 MB RSS.

| what | figure |
|---|---|
| store (\`bench/genstore\`: ${scans} scans × ${nhosts} hosts, ${nfindings} findings) | SQLite, ${db_mb} MB; generated in ${gen} |
| \`vigil serve\` RSS, idle after start | **${rss_idle} MB** |
| RSS after the load below (peak) | ${rss_after} MB (${rss_peak} MB) |

${requests} requests a page, ${clients} concurrent clients, keep-alive (\`ab -k -c ${clients}\`),
after 50 requests of one client alone (\`ab -k -c 1\`):

| page | first request (computed from the store) | one client alone, p50 | server CPU a request (20 clients) | 20 clients, p50 | 20 clients, p99 | 20 clients, mean | requests/s | server's own time (median, Server-Timing) |
|---|---|---|---|---|---|---|---|---|
$(cat "$work/rows")

Measured on ${cpus} cores (${cpu}), ${mem} of memory, with a load
average of ${load_before} before and ${load_after} after the load; client
and server on the same machine. The store is synthetic: made-up hosts in 10.20.0.0/15
whose services carry the facts vigil's collectors gather, judged by
vigil's own checks, with weaknesses that come and go so that trends and
diffs are not flat (see bench/genstore).

Reading the figures: the one-client column is the server's own time for
a page (loopback adds well under a millisecond). Under 20 clients the
latency is mostly the queue: the p50 is close to 20 ÷ requests/s, the
cost of one request times the queue's length on the cores the server
gets (here shared with other work, see the load average). The last
column is the server's own time from request to response (its
Server-Timing header), apart from the queue; the CPU time a request
(from /proc, over the 20-client run) is what each request costs it: with
C cores left to the server alone, 20 clients would wait about 20 × that
÷ C. Pages keep what they computed from the store while the store does
not change (a scan stored, an acceptance made or revoked, a new day
clears it), so these figures are those of an unchanged store; the first
request after a change pays for the page's queries and the re-rating of
the newest scan (the first-request column shows it).

Reproduce with:

\`\`\`sh
bench/serve.sh                # BENCH_DB=FILE reuses a generated store
\`\`\`
<!-- serve:end -->
EOF
write_section serve "$work/section.md"
sed -n '/serve:begin/,/serve:end/p' docs/benchmarks.md
