#!/usr/bin/env bash
# Breadth benchmarks (issue 13), vigil against nmap and against itself
# before the new protocols and checks, in one run on the lab:
#
#  1. `vigil scan` of every lab host (all 65,535 TCP ports, the lab's UDP
#     ports as nmap gets them, every identification, audit and check) with this build and with
#     the build of BASE_REV (default 0c76e1f, before the new protocols and
#     checks), interleaved, three runs each: the wall-time ratio.
#  2. identification of every lab service, TCP and UDP: vigil's scan above
#     against `nmap -sV` on the known open ports only (-sT for TCP, -sU for
#     UDP), scored against the lab manifest by bench/score_services.py.
#
#   sudo bench/protocols.sh
#
# Writes the "protocols" section of docs/benchmarks.md and raw results to
# bench/results/. Traffic goes only to the lab's loopback aliases (and the
# lab's own namespace hosts named in its manifest).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
out=bench/results
mkdir -p "$out"
labdir=${VIGIL_LAB_DIR:-/tmp/vigil-lab}
base_rev=${BASE_REV:-0c76e1f}
. bench/lib.sh
[ "$(id -u)" = 0 ] || die "needs root (the lab)"
command -v nmap >/dev/null || die "nmap is missing: run lab/install-deps.sh"

go build -o "$out/vigil" ./cmd/vigil
vigil=$PWD/$out/vigil
base=$PWD/$out/vigil-base
wt=$(mktemp -d)
trap 'git worktree remove --force "$wt/base" >/dev/null 2>&1 || true; rm -rf "$wt"' EXIT
git worktree add -q --detach "$wt/base" "$base_rev"
(cd "$wt/base" && go build -o "$base" ./cmd/vigil)
lab_hold

# Every host of the lab but the hostile ones (a tarpit measures patience,
# not breadth), and the known open ports by transport.
read -r -a hosts < <(python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
bad = {s["host"] for s in m["services"] if s.get("hostile")}
print(" ".join(sorted({s["host"] for s in m["services"] if s["host"] not in bad}, key=lambda h: tuple(map(int, h.split("."))))))
' "$labdir/manifest.json")
ports() {
  python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
bad = {s["host"] for s in m["services"] if s.get("hostile")}
print(",".join(map(str, sorted({s["port"] for s in m["services"] if s["transport"] == sys.argv[2] and s["host"] not in bad}))))
' "$labdir/manifest.json" "$1"
}
tcp_ports=$(ports tcp)
udp_ports=$(ports udp)

elapsed() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.2f}')"
}
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }

echo "== 1. vigil scan of ${#hosts[@]} lab hosts: this build against $base_rev"
new_runs=() base_runs=()
for i in 1 2 3; do
  base_runs+=("$(elapsed "$base" scan "${hosts[@]}" --udp-ports "$udp_ports" --no-store --format json -o "$out/protocols-base.json" --tls-ca "$labdir/ca.pem")")
  new_runs+=("$(elapsed "$vigil" scan "${hosts[@]}" --udp-ports "$udp_ports" --no-store --format json -o "$out/protocols-vigil.json" --tls-ca "$labdir/ca.pem")")
done
t_base=$(median "${base_runs[@]}")
t_new=$(median "${new_runs[@]}")
count() { python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(sum(len(h["services"]) for h in d["hosts"]), len(d["findings"]), len({f["check"] for f in d["findings"]}))
' "$1"; }
read -r svc_base fnd_base chk_base < <(count "$out/protocols-base.json")
read -r svc_new fnd_new chk_new < <(count "$out/protocols-vigil.json")
echo "base ${t_base}s (${base_runs[*]}): $svc_base services, $fnd_base findings of $chk_base checks"
echo "new  ${t_new}s (${new_runs[*]}): $svc_new services, $fnd_new findings of $chk_new checks"

echo "== 2. identification: nmap -sV on the known open ports"
t_nmap_tcp=$(elapsed nmap -sV -sT -T4 -n -Pn -p "$tcp_ports" -oX "$out/protocols-nmap-tcp.xml" "${hosts[@]}")
t_nmap_udp=0
udp_xml=""
if [ -n "$udp_ports" ]; then
  t_nmap_udp=$(elapsed nmap -sV -sU -T4 -n -Pn -p "$udp_ports" -oX "$out/protocols-nmap-udp.xml" "${hosts[@]}")
  udp_xml=$out/protocols-nmap-udp.xml
fi
t_nmap=$(python3 -c "print(f'{$t_nmap_tcp + $t_nmap_udp:.2f}')")
read -r ok_vigil ok_nmap total < <(python3 bench/score_services.py "$labdir/manifest.json" "$out/protocols-vigil.json" \
  "$out/protocols-nmap-tcp.xml" "$udp_xml" "$out/protocols-score.tsv")
echo "vigil $ok_vigil/$total right in ${t_new}s; nmap -sV $ok_nmap/$total in ${t_nmap}s (TCP ${t_nmap_tcp}s, UDP ${t_nmap_udp}s); per service: $out/protocols-score.tsv"

ratio() { python3 -c "print(f'{float($1) / max(float($2), 0.001):.2f}')"; }
cat >"$out/protocols-section.md" <<EOM
<!-- protocols:begin -->
## Breadth: the new protocols and checks (bench/protocols.sh)

Measured $(date -u +%Y-%m-%d) on this project's machine ($(nproc) cores), $(nmap --version | head -1), in one run on the lab's ${#hosts[@]} hosts of real services (hostile servers left out). Reproduce with \`sudo bench/protocols.sh\`; per-service scores land in bench/results/protocols-score.tsv.

| benchmark | this build | peer | ratio |
|---|---|---|---|
| \`vigil scan\` of the lab: all 65,535 TCP ports, the lab's UDP ports, every identification, audit and check (median of 3, interleaved) against the build of ${base_rev} (before the new protocols and checks) on the same hosts | ${t_new} s (${new_runs[*]}); ${svc_new} services, ${fnd_new} findings of ${chk_new} checks | ${t_base} s (${base_runs[*]}); ${svc_base} services, ${fnd_base} findings of ${chk_base} checks | $(ratio "$t_new" "$t_base")× the old time (target ≤ 1.3×) |
| identification of every lab service (${total}, TCP and UDP): the scan above against \`nmap -sV\` (-sT and -sU) on the known open ports only | ${t_new} s, ${ok_vigil}/${total} right | ${t_nmap} s (TCP ${t_nmap_tcp} s, UDP ${t_nmap_udp} s), ${ok_nmap}/${total} right | nmap takes $(ratio "$t_nmap" "$t_new")× vigil's time (target ≥ 5×) |

A service is right when the tool names its protocol as the manifest does and says correctly whether it speaks TLS from the first byte; an API spoken over HTTP also counts when the tool says "http" and names the product (the same rule for both tools).
<!-- protocols:end -->
EOM
write_section protocols "$out/protocols-section.md"
lab_release
