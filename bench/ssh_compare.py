#!/usr/bin/env python3
"""Compares vigil's SSH audit with ssh-audit's (bench/ssh.sh).

usage:
  ssh_compare.py endpoints MANIFEST
      prints the lab's SSH endpoints, one a line: id, host, port (tabs).
  ssh_compare.py report DIR META.json
      reads what bench/ssh.sh left in DIR, prints every disagreement with
      its cause, and writes the docs section to DIR/section.md.

Per endpoint and per algorithm the server offers (key exchange, host key,
cipher, MAC) it compares vigil's verdict (the algorithm is named in an
ssh.kex.weak, ssh.hostkey.weak, ssh.cipher.weak or ssh.mac.weak finding)
with ssh-audit's (a [fail] or [warn] note in its text output), and the
protocol-level findings (SSH-1, Terrapin). The algorithm lists come from
vigil's facts and ssh-audit's JSON.
"""
import json
import os
import re
import sys

import benchlib  # bench/benchlib.py, next to this script

KINDS = {"kex": "kex_algorithms", "hostkey": "host_key_algorithms",
         "cipher": ("ciphers_client_to_server", "ciphers_server_to_client"),
         "mac": ("macs_client_to_server", "macs_server_to_client")}
VIGIL_CHECK = {"kex": "ssh.kex.weak", "hostkey": "ssh.hostkey.weak", "cipher": "ssh.cipher.weak", "mac": "ssh.mac.weak"}
AUDIT_KIND = {"kex": "kex", "key": "hostkey", "enc": "cipher", "mac": "mac"}
AUDIT_JSON = {"kex": "kex", "hostkey": "key", "cipher": "enc", "mac": "mac"}

# Known causes of disagreement, by letter; each traced on the lab.
CAUSES = {
    "N": "ssh-audit 2.5.0 fails ecdh-sha2-nistp256/384/521 as \"using weak elliptic curves\". vigil follows "
         "RFC 9142 (2022), which lists all three as SHOULD-implement key exchange methods: there is no known "
         "practical attack on them, so ssh.kex.weak leaves them alone.",
    "P": "sntrup761x25519-sha512 (and its @openssh.com name) is the hybrid post-quantum exchange (Streamlined "
         "NTRU Prime with X25519) OpenSSH has used by default since 9.0 (2022). ssh-audit 2.5.0 (2021) predates "
         "it: it calls one name \"experimental\" and the other \"unknown\". vigil does not flag it.",
    "S": "kex-strict-s-v00@openssh.com is no key exchange method but OpenSSH's strict-key-exchange marker, the "
         "countermeasure to Terrapin (CVE-2023-48795, December 2023); ssh-audit 2.5.0 predates it and warns "
         "\"unknown algorithm\". vigil reads it as the marker (its absence with ChaCha20-Poly1305 or an -etm MAC "
         "is what ssh.terrapin reports).",
    "E": "ssh-audit warns on every MAC without -etm (hmac-sha2-256, hmac-sha2-512, umac-128@openssh.com): "
         "\"using encrypt-and-MAC mode\". vigil's ssh.mac.weak judges a MAC by its hash and tag (MD5, SHA-1, "
         "96- and 64-bit tags), as the check catalogue defines it; encrypt-and-MAC with a SHA-2 or 128-bit UMAC "
         "tag has no known practical attack in SSH, so vigil does not flag it.",
    "T": "ssh-audit 2.5.0 (2021) has no Terrapin check: CVE-2023-48795 was published in December 2023.",
    "C": "the emulator never runs a key exchange: it closes the connection once the client has sent its KEXINIT. "
         "ssh-audit 2.5.0 tests each host-key type with a key exchange; on the Terrapin emulator it lets the "
         "closed connections pass, but here, where the server offers a group exchange, it aborts with a Python "
         "traceback (\"Expected MSG_KEXDH_GEX_REPLY (33), but got -1 instead\") and prints nothing, JSON "
         "included. Its verdicts on this server's SSH-2 algorithms are therefore `ssh-audit --lookup` on the "
         "algorithms vigil read from the same KEXINIT (ssh-audit's own database, no connection), and its SSH-1 "
         "verdict is from `ssh-audit -1`. vigil keeps the KEXINIT it read and reports the host keys it could not "
         "fetch as audit errors.",
    "1": "ssh-audit 2.5.0 cannot audit a server that speaks only SSH-1 unless told to with -1 (without it: "
         "\"invalid ssh packet (block size)\" and no output); the SSH-1 results here are from `ssh-audit -1`.",
}


def tokens_in(alg, text):
    return re.search(r"(?<![A-Za-z0-9@._-])" + re.escape(alg) + r"(?![A-Za-z0-9@._-])", text) is not None


def vigil_side(path, host, port):
    """vigil's offered algorithms, per-algorithm flags, and protocol-level
    findings, or an error."""
    if not os.path.exists(path):
        return None, "no output"
    doc = json.load(open(path))
    svc = None
    for h in doc.get("hosts", []):
        if h["address"] == host:
            for s in h.get("services", []):
                if s["port"] == port and s["transport"] == "tcp":
                    svc = s
    if svc is None:
        return None, "service not in the scan"
    facts = svc.get("ssh") or {}
    findings = [f for f in doc.get("findings", []) if f["host"] == host and f["port"] == port]
    algs = {}
    for kind, fields in KINDS.items():
        names = []
        for f in (fields if isinstance(fields, tuple) else (fields,)):
            for n in facts.get(f) or []:
                if n not in names:
                    names.append(n)
        algs[kind] = names
    flags = {}
    for kind, names in algs.items():
        ev = " ".join(f["evidence"] for f in findings if f["check"] == VIGIL_CHECK[kind])
        for n in names:
            flags[(kind, n)] = tokens_in(n, ev)
    proto = {"SSH-1": any(f["check"] == "ssh.protocol.v1" for f in findings),
             "Terrapin": any(f["check"] == "ssh.terrapin" for f in findings)}
    return {"facts": facts, "algs": algs, "flags": flags, "proto": proto,
            "errors": svc.get("audit_errors") or [], "findings": findings}, ""


def parse_audit_text(text):
    """ssh-audit's text output (or --lookup output): per (kind, algorithm)
    the list of (level, note); and the (sec) lines."""
    notes, sec, last = {}, [], None
    for line in text.splitlines():
        m = re.match(r"^\((kex|key|enc|mac)\) (\S+?)(?: \(\d+-bit\))?\s*-- \[(fail|warn|info)\] (.*)$", line)
        if m:
            last = (AUDIT_KIND[m.group(1)], m.group(2))
            notes.setdefault(last, []).append((m.group(3), m.group(4).strip()))
            continue
        m = re.match(r"^\s+`- \[(fail|warn|info)\] (.*)$", line)
        if m and last:
            notes[last].append((m.group(1), m.group(2).strip()))
            continue
        m = re.match(r"^\(sec\) (.*?)(?: --.*)?$", line)
        if m:
            sec.append(m.group(1).strip())
        if not line.startswith(" "):
            last = None if not line.startswith("(") else last
    return notes, sec


def load_json(path):
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return None


def audit_side(base):
    """ssh-audit's view: the SSH-2 algorithms of its JSON (plain run), the
    SSH-1 run's JSON when there is one, the notes of its text output (or of
    --lookup when the live run printed nothing), and its (sec) lines."""
    out = {"algs": {}, "notes": {}, "sec": [], "source": "", "plain_ok": False, "v1_ok": False, "banner_v1": False}
    j = load_json(base + ".ssh-audit.json")
    if j is not None:
        out["plain_ok"] = True
        for kind, key in AUDIT_JSON.items():
            out["algs"][kind] = [x["algorithm"] if isinstance(x, dict) else x for x in (j.get(key) or [])]
        out["banner_v1"] = ((j.get("banner") or {}).get("protocol") or [2])[0] == 1
    j1 = load_json(base + ".ssh-audit-1.json")
    if j1 is not None:
        out["v1_ok"] = True
        out["banner_v1"] = out["banner_v1"] or ((j1.get("banner") or {}).get("protocol") or [2])[0] == 1
    for name, src in ((base + ".ssh-audit.txt", "its live run"), (base + ".ssh-audit-1.txt", "its -1 run"),
                      (base + ".ssh-audit-lookup.txt", "--lookup")):
        if os.path.exists(name):
            notes, sec = parse_audit_text(open(name, errors="replace").read())
            if notes or sec:
                for k, v in notes.items():
                    out["notes"].setdefault(k, v)
                out["sec"] += sec
                out["source"] = (out["source"] + " and " if out["source"] else "") + src
    out["lookup"] = os.path.exists(base + ".ssh-audit-lookup.txt") and not out["plain_ok"]
    return out


def level(notes):
    lv = [l for l, _ in notes]
    return "fail" if "fail" in lv else "warn" if "warn" in lv else "ok"


def cause_for(kind, alg, vflag, alevel, notes):
    """The cause letter of an algorithm-level disagreement, or ''."""
    text = " ".join(n for _, n in notes)
    if not vflag and alg.startswith("ecdh-sha2-nistp") and "weak elliptic curves" in text:
        return "N"
    if not vflag and alg.startswith("sntrup761x25519") and re.search(r"experimental|unknown", text):
        return "P"
    if not vflag and alg.startswith("kex-strict-") and "unknown" in text:
        return "S"
    if not vflag and kind == "mac" and alevel == "warn" and all(
            "encrypt-and-MAC" in n for l, n in notes if l in ("fail", "warn")):
        return "E"
    return ""


def compare(v, a):
    """Disagreements between vigil and ssh-audit on one endpoint."""
    rows = []
    lookup = a["lookup"]
    for kind in ("kex", "hostkey", "cipher", "mac"):
        names = list(v["algs"].get(kind, []))
        for n in a["algs"].get(kind, []):
            if n not in names:
                names.append(n)
        for n in names:
            vseen = n in v["algs"].get(kind, [])
            aseen = n in a["algs"].get(kind, []) or (lookup and (kind, n) in a["notes"])
            notes = a["notes"].get((kind, n), [])
            if vseen != aseen and a["plain_ok"]:
                rows.append({"kind": kind, "what": n, "vigil": "offered" if vseen else "not seen",
                             "audit": "offered" if aseen else "not seen", "cause": ""})
                continue
            if not (vseen and aseen):
                continue
            vflag = v["flags"].get((kind, n), False)
            alevel = level(notes)
            if vflag == (alevel != "ok"):
                continue
            reason = "; ".join(t for l, t in notes if l in ("fail", "warn"))
            c = cause_for(kind, n, vflag, alevel, notes)
            if lookup and c:
                c += ", C"
            rows.append({"kind": kind, "what": n, "vigil": "weak" if vflag else "not flagged",
                         "audit": alevel + (" (" + reason + ")" if reason else ""), "cause": c})
    v1_audit = a["banner_v1"] or any("SSH v1" in x for x in a["sec"])
    if v["proto"]["SSH-1"] != v1_audit:
        rows.append({"kind": "protocol", "what": "SSH-1 offered", "vigil": "ssh.protocol.v1" if v["proto"]["SSH-1"] else "no",
                     "audit": "SSH v1 enabled" if v1_audit else "no", "cause": ""})
    if v["proto"]["Terrapin"]:
        rows.append({"kind": "protocol", "what": "Terrapin (CVE-2023-48795) preconditions", "vigil": "ssh.terrapin",
                     "audit": "no such check", "cause": "T"})
    if not a["plain_ok"] and a["v1_ok"]:
        rows.append({"kind": "run", "what": "`ssh-audit -j -n`",
                     "vigil": ", ".join(dict.fromkeys(f["check"] for f in v["findings"] if f["check"].startswith("ssh."))) or "no finding",
                     "audit": "no output" + ("; its -1 run finds SSH-1" if a["banner_v1"] else ""),
                     "cause": "C" if lookup else "1"})
    return rows


def secs(t):
    return "—" if t is None else "%.2f s" % t


def report(outdir, meta_path):
    meta = json.load(open(meta_path))
    unexplained = 0
    results = []
    for ep in meta["endpoints"]:
        eid, host, port = ep["id"], ep["host"], ep["port"]
        base = os.path.join(outdir, eid)
        v, err = vigil_side(base + ".vigil.json", host, port)
        a = audit_side(base)
        t = benchlib.medians(base + ".time.json")
        print("== %s (%s:%d)" % (eid, host, port))
        if v is None:
            print("  vigil FAILED: %s" % err)
            results.append((ep, None, a, t, []))
            continue
        print("  vigil      protocol %s, %s" % (v["facts"].get("protocol_version", "?"),
                                                ", ".join("%d %s" % (len(x), k) for k, x in v["algs"].items())))
        print("  ssh-audit  %s; verdicts from %s" % (
            ", ".join("%d %s" % (len(x), k) for k, x in a["algs"].items()) if a["plain_ok"] else "no JSON from -j -n",
            a["source"] or "nothing"))
        rows = compare(v, a)
        for r in rows:
            print("  DIFF %s %s: vigil %s; ssh-audit %s — %s" % (r["kind"], r["what"], r["vigil"], r["audit"],
                                                              "cause " + r["cause"] if r["cause"] else "UNEXPLAINED"))
            unexplained += not r["cause"]
        if not rows:
            print("  no disagreement")
        for name, m in t.items():
            # ssh-audit exits non-zero on any warning: only vigil's exit code says it failed.
            print("  time %-14s median %s over %d runs%s" % (name, secs(m["median"]), m["runs"],
                                                              ", %d failed" % m["failed"] if m["failed"] and name == "vigil" else ""))
        results.append((ep, v, a, t, rows))
    for c, text in CAUSES.items():
        print("cause %s: %s" % (c, text))
    print("%d disagreement(s) without an explanation" % unexplained)
    with open(os.path.join(outdir, "section.md"), "w") as f:
        f.write(render(meta, results))
    return unexplained


def render(meta, results):
    L = ["<!-- ssh:begin -->", "## SSH audit: vigil and ssh-audit (bench/ssh.sh)", ""]
    L.append("Measured %s on this project's machine (%s cores; load average %s at the start, %s at the end: "
             "other work was running, so only medians are given), both tools in one run, endpoint after "
             "endpoint. Reproduce with `%s`; raw outputs, hyperfine exports and the full diff land in "
             "bench/results/ssh/." % (meta["date"], meta["nproc"], meta["load_start"], meta["load_end"], meta["command"]))
    L.append("")
    L.append("Peer: %s. Timed with hyperfine, median of %d runs after %d warm-up, the two tools in the same "
             "hyperfine run:" % (meta["versions"], meta["runs"], meta["warmup"]))
    L.append("")
    L.append("- vigil: `vigil scan HOST -p PORT --udp-ports \"\" --no-store --format json` — discovery, port check, "
             "identification, then the SSH audit: identification string, KEXINIT, every host key (one key exchange "
             "per host-key type), the authentication methods offered to a \"none\" request")
    L.append("- ssh-audit: `ssh-audit -j -n HOST -p PORT` — KEXINIT, host keys and their sizes (one key exchange "
             "per host-key type, and group-exchange modulus sizes); on a server that speaks only SSH-1 also "
             "`ssh-audit -1 -j -n`, without which ssh-audit cannot audit it")
    L.append("")
    L.append("| endpoint | vigil scan | ssh-audit -j -n | ssh-audit -1 -j -n | vigil ÷ ssh-audit (target ≤ 1) |")
    L.append("|---|---|---|---|---|")
    met, total, missed = 0, 0, []
    for ep, v, a, t, rows in results:
        g = lambda n: t.get(n, {}).get("median")
        vt, at, a1 = g("vigil"), g("ssh-audit"), g("ssh-audit-1")
        ref, note = None, ""
        if at is not None and a["plain_ok"]:
            ref = at
        elif a1 is not None and a["v1_ok"] and ep.get("v1_only"):
            ref, note = a1, " (against -1)"
        vfail = t.get("vigil", {}).get("failed", 0)
        c_v = secs(vt) + (" (failed in %d runs)" % vfail if vfail else "")
        c_a = secs(at) + ("" if at is None or a["plain_ok"] else " (no output: " + ("needs -1" if ep.get("v1_only") else "crashed") + ")")
        c_1 = secs(a1) + ("" if a1 is None or a["v1_ok"] else " (no output)")
        if vt and ref:
            total += 1
            met += vt <= ref
            if vt > ref:
                missed.append("%s (%.2f×)" % (ep["id"], vt / ref))
            r = "%.2f×%s" % (vt / ref, note)
        else:
            r = "not comparable: ssh-audit's SSH-2 audit crashed" if ep.get("banner", "").startswith("SSH-1.99") else "—"
        L.append("| %s (%s:%d) | %s | %s | %s | %s |" % (ep["id"], ep["host"], ep["port"], c_v, c_a, c_1, r))
    L.append("")
    L.append("**Target** (vigil takes no more time than ssh-audit): met on %d of the %d endpoints where ssh-audit "
             "completed%s." % (met, total, ", missed on " + ", ".join(missed) if missed else ""))
    L.append("")
    L.append("**Where the time goes** (traced with strace on this lab). `vigil scan` first discovers the host, "
             "checks the port and reads the identification string to know the service is SSH (OpenSSH sends it "
             "about 20 ms after the connection here: it re-executes itself for every connection); its audit then "
             "opens three connections at once (the KEXINIT, the authentication methods, whose key exchange proves "
             "one host key, and the RSA host key), then one key exchange for each other host-key family offered, "
             "in parallel; RSA's three signature algorithms share one key, fetched once. ssh-audit makes its "
             "connections one after another and nothing "
             "else: three on ssh-hard (the KEXINIT, then its host-key tests), fourteen on ssh-weak (more host-key "
             "types, and group-exchange modulus tests). With few host-key types the two are close and vigil's "
             "discovery and identification decide; with more, ssh-audit's sequential key exchanges cost it more.")
    L.append("")
    L.append("### Verdicts")
    L.append("")
    L.append("For every algorithm the server offers, vigil's verdict (named in an ssh.kex.weak, ssh.hostkey.weak, "
             "ssh.cipher.weak or ssh.mac.weak finding) against ssh-audit's (a [fail] or [warn] note); and the "
             "protocol-level findings. ssh.auth.password is not compared: ssh-audit does not look at "
             "authentication methods.")
    L.append("")
    L.append("| endpoint | vigil | ssh-audit | agree |")
    L.append("|---|---|---|---|")
    for ep, v, a, t, rows in results:
        if v is None:
            L.append("| %s | failed | | |" % ep["id"])
            continue
        nalg = sum(len(x) for x in v["algs"].values())
        nweak = sum(1 for x in v["flags"].values() if x)
        pro = [k for k, x in v["proto"].items() if x]
        vcell = "SSH %s; %d algorithms, %d flagged%s" % (v["facts"].get("protocol_version", "?"), nalg, nweak,
                                                         "; " + ", ".join(pro) if pro else "")
        if a["plain_ok"] or a["notes"] or a["sec"]:
            nflag = sum(1 for k, n in a["notes"].items() if level(n) != "ok")
            acell = "%s; %d algorithms with notes, %d fail/warn%s" % (
                "verdicts from " + a["source"], len(a["notes"]), nflag,
                "; " + ", ".join(a["sec"]) if a["sec"] else "")
        else:
            acell = "no output"
        L.append("| %s | %s | %s | %s |" % (ep["id"], vcell, acell, "✓" if not rows else "%d difference(s), below" % len(rows)))
    L.append("")
    L.append("### Every disagreement, explained")
    L.append("")
    all_rows = [(ep, r) for ep, v, a, t, rows in results for r in rows]
    if not all_rows:
        L.append("None.")
    else:
        L.append("| endpoint | kind | algorithm | vigil | ssh-audit | cause |")
        L.append("|---|---|---|---|---|---|")
        used = []
        for ep, r in all_rows:
            cs = [c.strip() for c in r["cause"].split(",") if c.strip()]
            used += cs
            L.append("| %s | %s | %s | %s | %s | %s |" % (ep["id"], r["kind"], r["what"], r["vigil"], r["audit"],
                                                        ", ".join(cs) or "**not explained**"))
        L.append("")
        for c in dict.fromkeys(used):
            L.append("%s. %s" % (c, CAUSES[c]))
            L.append("")
    L.append("<!-- ssh:end -->")
    return "\n".join(L) + "\n"


def endpoints(manifest):
    """The lab's SSH servers: OpenSSH's weak and hardened twins and the
    legacy emulators (SSH-1, SSH-1.99, Terrapin); not the hostile garbage
    and endless servers."""
    m = json.load(open(manifest))
    for s in m["services"]:
        if s["transport"] == "tcp" and s["name"] == "ssh" and s.get("hostile") in ("", "legacy-ssh1", "legacy-ssh199", "terrapin"):
            yield s["id"], s["host"], s["port"]


if __name__ == "__main__":
    sys.exit(benchlib.main(__doc__, endpoints, report))
