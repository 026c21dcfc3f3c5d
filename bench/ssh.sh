#!/usr/bin/env bash
# SSH audit benchmark: vigil against ssh-audit on every SSH server of the
# lab (OpenSSH's weak and hardened twins, the SSH-1, SSH-1.99 and Terrapin
# emulators), in one run. For each server it times both tools with
# hyperfine (medians), diffs their verdicts on every key exchange, host-key,
# cipher and MAC algorithm and on SSH-1 and Terrapin, and explains every
# disagreement. Writes the section between the ssh markers of
# docs/benchmarks.md and raw results to bench/results/ssh/.
#
#   sudo bench/ssh.sh
#
# Environment: BENCH_RUNS (timed runs per tool, default 5, after one
# warm-up).
#
# Needs root (the lab), the lab (started only when `lab/lab.sh status`
# fails; a running lab is never restarted), ssh-audit and hyperfine.
# Traffic goes only to the lab's loopback addresses (127.0.2.0/24).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
out=bench/results/ssh
labdir=${VIGIL_LAB_DIR:-/tmp/vigil-lab}
runs=${BENCH_RUNS:-5}

. bench/lib.sh
[ "$(id -u)" = 0 ] || die "needs root (the lab runs as root)"
for t in ssh-audit hyperfine python3 go; do
  command -v "$t" >/dev/null || die "$t is missing: run lab/install-deps.sh"
done

rm -rf "$out"
mkdir -p "$out"
go build -o "$out/vigil" ./cmd/vigil
vigil=$PWD/$out/vigil

# banner HOST PORT prints the server's identification string (it speaks
# first; nothing is sent).
banner() {
  python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
s.settimeout(3)
b = b""
while b"\n" not in b and len(b) < 512:
    c = s.recv(512)
    if not c:
        break
    b += c
print(b.split(b"\n")[0].strip().decode("ascii", "replace"))
PY
}

# valid_json FILE: whether FILE holds a JSON document.
valid_json() { python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null; }

lab_hold
mapfile -t endpoints < <(python3 bench/ssh_compare.py endpoints "$labdir/manifest.json")
lab_release
[ "${#endpoints[@]}" -gt 0 ] || die "no SSH endpoint in $labdir/manifest.json"

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
meta_eps=()
for line in "${endpoints[@]}"; do
  IFS=$'\t' read -r id host port <<<"$line"
  lab_hold
  ident=$(banner "$host" "$port" || true)
  echo "== $id ($host:$port, $ident), load $(cut -d' ' -f1-3 /proc/loadavg)"
  cmds=(-n vigil "$vigil scan $host -p $port --udp-ports '' --no-store --format json -o $out/$id.vigil.json"
    -n ssh-audit "ssh-audit -j -n $host -p $port >$out/$id.ssh-audit.json")
  # A server that announces SSH-1 (1.5, or 1.99: both) is also audited
  # with -1: without it ssh-audit cannot read an SSH-1-only server.
  if [[ $ident == SSH-1.* ]]; then
    cmds+=(-n ssh-audit-1 "ssh-audit -1 -j -n $host -p $port >$out/$id.ssh-audit-1.json")
  fi
  # ssh-audit exits non-zero whenever it has a warning: failures are told
  # by its output, not its exit code.
  hyperfine --style basic --ignore-failure --warmup 1 --runs "$runs" --export-json "$out/$id.time.json" "${cmds[@]}" \
    >"$out/$id.hyperfine.txt"
  grep -E '^(Benchmark|  Time)' "$out/$id.hyperfine.txt" | sed 's/^/  /'
  # Verdicts: ssh-audit's text output (not timed) carries its [fail] and
  # [warn] notes; its JSON does not.
  ssh-audit -n "$host" -p "$port" >"$out/$id.ssh-audit.txt" 2>&1 || true
  if [[ $ident == SSH-1.* ]]; then
    ssh-audit -1 -n "$host" -p "$port" >"$out/$id.ssh-audit-1.txt" 2>&1 || true
  fi
  lab_release
  valid_json "$out/$id.ssh-audit.json" || echo "  ssh-audit -j -n gave no JSON: $(grep -m1 -E 'Exception|exception|error' "$out/$id.ssh-audit.txt" || true)"
  # When the live run printed nothing, ask ssh-audit's database about the
  # algorithms vigil read from the same KEXINIT (no connection).
  if ! valid_json "$out/$id.ssh-audit.json"; then
    algs=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
names = []
for h in d["hosts"]:
    for s in h["services"]:
        for k, v in (s.get("ssh") or {}).items():
            if k.endswith(("algorithms", "client_to_server", "server_to_client")) and isinstance(v, list):
                names += [n for n in v if n not in names]
print(",".join(names))' "$out/$id.vigil.json")
    if [ -n "$algs" ]; then
      ssh-audit -n --lookup="$algs" >"$out/$id.ssh-audit-lookup.txt" 2>&1 || true
    fi
  fi
  v1only=false
  [[ $ident == SSH-1.[0-8]* ]] && v1only=true
  meta_eps+=("$id	$host	$port	$ident	$v1only")
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$out/meta.json" "$runs" "$load_start" "$load_end" "${meta_eps[@]}" <<'PY'
import datetime, json, os, re, subprocess, sys
path, runs, ls, le = sys.argv[1:5]
eps = []
for l in sys.argv[5:]:
    i, h, p, b, v1 = l.split("\t")
    eps.append({"id": i, "host": h, "port": int(p), "banner": b, "v1_only": v1 == "true"})
r = subprocess.run(["ssh-audit", "-h"], capture_output=True, text=True)
m = re.search(r"ssh-audit v([0-9][0-9.]*[0-9])", r.stdout + r.stderr)
hyper = subprocess.run(["hyperfine", "--version"], capture_output=True, text=True).stdout.strip()
json.dump({
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
    "nproc": os.cpu_count(), "load_start": ls, "load_end": le, "command": "sudo bench/ssh.sh",
    "versions": "ssh-audit %s, %s (from Debian)" % (m.group(1) if m else "?", hyper),
    "runs": int(runs), "warmup": 1, "endpoints": eps,
}, open(path, "w"), indent=1)
PY

python3 bench/ssh_compare.py report "$out" "$out/meta.json" | tee "$out/diff.txt"

write_section ssh "$out/section.md"
