#!/usr/bin/env bash
# Port scanning and identification benchmarks: vigil against nmap, in one
# run, on the lab (loopback aliases) and on a firewalled host inside a
# network namespace. Writes the ratios to docs/benchmarks.md (the section
# between the portscan markers) and raw results to bench/results/.
#
#   make bench            # or: bench/portscan.sh
#
# Needs root (network namespaces), the lab (lab/lab.sh up) and nmap.
# Traffic goes only to 127.0.0.0/8 and to 10.77.0.2 inside the vigil-fw
# namespace, reached from the vigil-cl namespace, which has no other route.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
out=bench/results
mkdir -p "$out"
labdir=${VIGIL_LAB_DIR:-/tmp/vigil-lab}
. bench/lib.sh
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
command -v nmap >/dev/null || die "nmap is missing: run lab/install-deps.sh"

go build -o "$out/vigil" ./cmd/vigil
vigil=$PWD/$out/vigil
lab_hold # until the end: a concurrent lab.sh up waits
lab/netns.sh up 8>&- >/dev/null # its daemons outlive this script

# The lab's TCP hosts, from the manifest.
mapfile -t hosts < <(python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
print("\n".join(sorted({s["host"] for s in m["services"] if s["transport"] == "tcp"}, key=lambda h: tuple(map(int, h.split("."))))))
' "$labdir/manifest.json")

# elapsed CMD… runs a command, its output discarded, and prints its wall
# time in seconds.
elapsed() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.2f}')"
}

# open ports found by vigil (JSON) and nmap (-oG), as host:port lines.
vigil_open() {
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for h in d["hosts"]:
    for s in h["services"]:
        if s["transport"] == "tcp":
            print("{}:{}".format(h["address"], s["port"]))
' "$1" | sort -u
}
nmap_open() {
  python3 -c '
import re, sys
for line in open(sys.argv[1]):
    m = re.match(r"Host: (\S+) .*Ports: (.*)", line)
    if not m:
        continue
    for p in m.group(2).split(", "):
        f = p.split("/")
        if len(f) > 2 and f[1] == "open" and f[2] == "tcp":
            print("{}:{}".format(m.group(1), f[0]))
' "$1" | sort -u
}

echo "== 1. all 65,535 TCP ports on ${#hosts[@]} lab hosts"
t_vigil1=$(elapsed "$vigil" scan "${hosts[@]}" --ports-only --udp-ports "" --format json -o "$out/lab-vigil.json" --no-store)
t_nmap1=$(elapsed nmap -sT -p- -T4 -n -oG "$out/lab-nmap.gnmap" "${hosts[@]}")
vigil_open "$out/lab-vigil.json" >"$out/lab-vigil.open"
nmap_open "$out/lab-nmap.gnmap" >"$out/lab-nmap.open"
missed1=$(comm -13 "$out/lab-vigil.open" "$out/lab-nmap.open" | wc -l)
extra1=$(comm -23 "$out/lab-vigil.open" "$out/lab-nmap.open" | wc -l)
echo "vigil ${t_vigil1}s, nmap ${t_nmap1}s; nmap found $(wc -l <"$out/lab-nmap.open") open, vigil missed $missed1, found $extra1 more"

echo "== 2. firewalled host in a namespace (silent drops)"
netns=$(cat "$labdir/netns.json")
server=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["server"])' "$netns")
client_ns=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_ns"])' "$netns")
expected=$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])["open_ports"]))' "$netns")
t_vigil2=$(elapsed ip netns exec "$client_ns" "$vigil" scan "$server" --ports-only --udp-ports "" --format json -o "$out/fw-vigil.json" --no-store)
t_nmap2=$(elapsed ip netns exec "$client_ns" nmap -sT -p- -T4 -n -Pn -oG "$out/fw-nmap.gnmap" "$server")
vigil_open "$out/fw-vigil.json" >"$out/fw-vigil.open"
nmap_open "$out/fw-nmap.gnmap" >"$out/fw-nmap.open"
found2=$(wc -l <"$out/fw-vigil.open")
missed2=$(comm -13 "$out/fw-vigil.open" "$out/fw-nmap.open" | wc -l)
echo "vigil ${t_vigil2}s ($found2/$expected open), nmap ${t_nmap2}s ($(wc -l <"$out/fw-nmap.open") open); vigil missed $missed2 of nmap's"

echo "== 2b. nmap's SYN scan (-sS) on the same targets, against vigil's connect scan above"
# vigil has no SYN mode: its connect scan is the faster of the two here
# (docs/benchmarks.md says why and by how much).
t_syn1=$(elapsed nmap -sS -p- -T4 -n -oG "$out/lab-nmap-syn.gnmap" "${hosts[@]}")
nmap_open "$out/lab-nmap-syn.gnmap" >"$out/lab-nmap-syn.open"
t_syn2=$(elapsed ip netns exec "$client_ns" nmap -sS -p- -T4 -n -Pn -oG "$out/fw-nmap-syn.gnmap" "$server")
nmap_open "$out/fw-nmap-syn.gnmap" >"$out/fw-nmap-syn.open"
echo "nmap -sS: lab ${t_syn1}s ($(wc -l <"$out/lab-nmap-syn.open") open), firewalled host ${t_syn2}s ($(wc -l <"$out/fw-nmap-syn.open") open)"

echo "== 3. identification: vigil scan of the lab vs nmap -sV on the known open ports"
# Real services only: the hostile and emulated servers (127.0.2.30-31) have
# no right name to score, and nmap -sV spends minutes and gigabytes on the
# flood server.
mapfile -t real_hosts < <(python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
bad = {s["host"] for s in m["services"] if s.get("hostile")}
print("\n".join(sorted({s["host"] for s in m["services"] if s["transport"] == "tcp" and s["host"] not in bad}, key=lambda h: tuple(map(int, h.split("."))))))
' "$labdir/manifest.json")
ports3=$(python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
print(",".join(map(str, sorted({s["port"] for s in m["services"] if s["transport"] == "tcp" and not s.get("hostile")}))))
' "$labdir/manifest.json")
# vigil's scan takes seconds: the median of three runs (each listed) is
# reported; nmap -sV takes about a minute and runs once.
runs3=()
for _ in 1 2 3; do
  runs3+=("$(elapsed "$vigil" scan "${real_hosts[@]}" --udp-ports "" --format json -o "$out/id-vigil.json" --no-store --tls-ca "$labdir/ca.pem")")
done
t_vigil3=$(printf '%s\n' "${runs3[@]}" | sort -n | sed -n 2p)
t_vigil3k=$(elapsed "$vigil" scan "${real_hosts[@]}" -p "$ports3" --udp-ports "" --format json -o "$out/id-vigil-known.json" --no-store --tls-ca "$labdir/ca.pem")
t_nmap3=$(elapsed nmap -sV -sT -T4 -n -p "$ports3" -oX "$out/id-nmap.xml" "${real_hosts[@]}")
read -r ok_vigil ok_nmap total3 < <(python3 bench/identify_score.py "$labdir/manifest.json" "$out/id-vigil.json" "$out/id-nmap.xml")
read -r ok_vigil3k _ _ < <(python3 bench/identify_score.py "$labdir/manifest.json" "$out/id-vigil-known.json" "$out/id-nmap.xml")
echo "vigil ${t_vigil3}s (median of ${runs3[*]}; $ok_vigil/$total3 right), nmap -sV ${t_nmap3}s ($ok_nmap/$total3 right)"

echo "== 4. memory: 127.0.0.0/22 x ports 1-1000"
/usr/bin/time -v "$vigil" scan 127.0.0.0/22 -p 1-1000 --udp-ports "" --format json -o "$out/mem-vigil.json" --no-store 2>"$out/mem-time.txt" >/dev/null || true
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/mem-time.txt")
t_mem=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/mem-time.txt")
echo "peak RSS $((rss_kb / 1024)) MB in $t_mem"

ratio() { python3 -c "print(f'{float($1) / max(float($2), 0.001):.1f}')"; }
cat >"$out/portscan-section.md" <<EOF
<!-- portscan:begin -->
## Port scanning and identification (bench/portscan.sh)

Measured $(date -u +%Y-%m-%d) on this project's machine ($(nproc) cores), $(nmap --version | head -1), one run each (vigil's identification scan: median of three), same hosts, same moment.
Reproduce with \`sudo bench/portscan.sh\` (or \`make bench\`); raw results land in bench/results/.

| benchmark | vigil | peer | ratio (peer / vigil) | recall |
|---|---|---|---|---|
| all 65,535 TCP ports on ${#hosts[@]} lab hosts (\`vigil scan … --ports-only\` vs \`nmap -sT -p- -T4\`) | ${t_vigil1} s | ${t_nmap1} s | $(ratio "$t_nmap1" "$t_vigil1")× | vigil missed ${missed1} of nmap's $(wc -l <"$out/lab-nmap.open") open ports, found ${extra1} more |
| firewalled namespace host, ${expected} open ports, every other port silently dropped (\`nmap -sT -p- -T4 -Pn\`) | ${t_vigil2} s | ${t_nmap2} s | $(ratio "$t_nmap2" "$t_vigil2")× | vigil found ${found2}/${expected}, missed ${missed2} of nmap's |
| the same two sweeps against nmap's SYN scan: vigil's connect scan (above) vs \`nmap -sS -p- -T4\` (lab; firewalled host) | ${t_vigil1} s; ${t_vigil2} s | ${t_syn1} s; ${t_syn2} s | $(ratio "$t_syn1" "$t_vigil1")×; $(ratio "$t_syn2" "$t_vigil2")× | nmap -sS found $(wc -l <"$out/lab-nmap-syn.open") and $(wc -l <"$out/fw-nmap-syn.open") open |
| identification of the lab's ${#real_hosts[@]} hosts of real services (\`vigil scan\`: all 65,535 ports + identification + audits, vs \`nmap -sV\` on the known open ports only) | ${t_vigil3} s (median of ${runs3[*]}) | ${t_nmap3} s | $(ratio "$t_nmap3" "$t_vigil3")× | right name/TLS: vigil ${ok_vigil}/${total3}, nmap ${ok_nmap}/${total3} |
| identification alone: \`vigil scan\` on the same known ports as nmap (identification + audits) vs \`nmap -sV\` | ${t_vigil3k} s | ${t_nmap3} s | $(ratio "$t_nmap3" "$t_vigil3k")× | right name/TLS: vigil ${ok_vigil3k}/${total3} |

Memory: \`vigil scan 127.0.0.0/22 -p 1-1000\` (1,024 hosts × 1,000 ports) peaked at **$((rss_kb / 1024)) MB** resident (\`/usr/bin/time -v\`), in ${t_mem}.
<!-- portscan:end -->
EOF
write_section portscan "$out/portscan-section.md"
