#!/usr/bin/env python3
"""Compares vigil's TLS vulnerability verdicts with testssl.sh's
(bench/tlsvuln.sh).

usage:
  tlsvuln_compare.py endpoints MANIFEST
      prints the lab's TLS endpoints, one a line: id, host, port, upgrade
      ("-" for TLS from the first byte), tab-separated.
  tlsvuln_compare.py report DIR DATE NPROC LOAD_START LOAD_END RUNS VERSIONS
      reads what bench/tlsvuln.sh left in DIR, prints every difference with
      its explanation and writes the docs section to DIR/section.md.

Both tools' outputs are reduced to the same verdicts, one per shared check:
"yes" (the flaw is there, or for protections — secure renegotiation,
fallback SCSV, OCSP stapling — the protection is there), "no", or "-"
(not examined). vigil's come from the facts of its scan (tls_audit.probes,
versions, the leaf certificate), testssl's from its JSON file.
"""
import json
import os
import re
import statistics
import sys

STARTTLS = {"smtp", "imap", "pop3", "ftp", "postgresql", "ldap", "mysql", "rdp"}
VERSIONS = [("SSLv2", "SSLv2"), ("SSLv3", "SSLv3"), ("TLS1.0", "TLS1"), ("TLS1.1", "TLS1_1"),
            ("TLS1.2", "TLS1_2"), ("TLS1.3", "TLS1_3")]
# testssl's JSON id for each verdict column.
TSID = {"heartbleed": "heartbleed", "ccs": "CCS", "robot": "ROBOT", "secure_renego": "secure_renego",
        "client_renego": "secure_client_renego", "crime": "CRIME_TLS", "breach": "BREACH", "dh<2048": "LOGJAM",
        "drown": "DROWN", "fallback_scsv": "fallback_SCSV", "ocsp_stapled": "OCSP_stapling",
        "eku_no_serverauth": "cert_extKeyUsage", "no_san": "cert_subjectAltName"}
# Shared checks: (column, vigil check id or fact, what "yes" means).
CHECKS = [
    ("protocols", "accepted versions"),
    ("heartbleed", "vulnerable"),
    ("ccs", "vulnerable"),
    ("robot", "vulnerable"),
    ("secure_renego", "supported"),
    ("client_renego", "client may renegotiate"),
    ("crime", "TLS compression"),
    ("breach", "HTTP compression"),
    ("dh<2048", "DHE group under 2048 bits"),
    ("drown", "vulnerable"),
    ("fallback_scsv", "supported"),
    ("ocsp_stapled", "stapled"),
    ("eku_no_serverauth", "EKU lacks serverAuth"),
    ("no_san", "no subjectAltName"),
]


def endpoints(manifest):
    """Every TCP service speaking TLS from the first byte (the legacy-tls
    emulator included, the other hostile servers not), every hardened twin
    of a protocol with a STARTTLS upgrade, and every RDP service."""
    m = json.load(open(manifest))
    for s in m["services"]:
        if s["transport"] != "tcp" or s.get("hostile") not in ("", "legacy-tls"):
            continue
        if s["tls"]:
            yield s["id"], s["host"], s["port"], "-"
        elif s["name"] == "rdp":
            yield s["id"], s["host"], s["port"], "rdp"
        elif s["name"] in STARTTLS and s.get("twin") == "hard":
            yield s["id"], s["host"], s["port"], s["name"]


def yn(b):
    return "-" if b is None else ("yes" if b else "no")


def probe(p, name):
    v = (p or {}).get(name)
    return None if v is None else bool(v.get("positive"))


def read_vigil(path, host, port):
    """vigil's verdicts from its scan document, or None."""
    try:
        doc = json.load(open(path))
    except (OSError, ValueError):
        return None
    svc = None
    for h in doc.get("hosts", []):
        for s in h.get("services", []):
            if h["address"] == host and s["port"] == port:
                svc, hostdoc = s, h
    if svc is None or not svc.get("tls_audit"):
        return None
    t = svc["tls_audit"]
    p = t.get("probes") or {}
    v = {"protocols": " ".join(n for n, _ in VERSIONS if any(x["name"] == n and x["accepted"] for x in t["versions"]))}
    v["heartbleed"] = yn(probe(p, "heartbleed"))
    v["ccs"] = yn(probe(p, "ccs_injection"))
    v["robot"] = yn(probe(p, "robot"))
    v["secure_renego"] = yn(probe(p, "secure_renegotiation"))
    v["client_renego"] = yn(probe(p, "client_renegotiation"))
    v["_why"] = {"client_renego": (p.get("not_examined") or {}).get("client_renegotiation", "")}
    v["crime"] = yn(probe(p, "compression"))
    v["breach"] = yn(probe(p, "http_compression"))
    dh = p.get("dh")
    v["dh<2048"] = "-" if dh is None else yn(bool(dh.get("positive")) and 0 < p.get("dh_bits", 0) < 2048)
    checks = {f["check"] for f in doc.get("findings", []) if f["host"] == host and f["port"] == port}
    v["drown"] = yn("tls.drown" in checks)
    v["fallback_scsv"] = yn(probe(p, "fallback_scsv"))
    v["ocsp_stapled"] = yn(probe(p, "ocsp_stapling"))
    leaf = (t.get("chain") or [{}])[0]
    eku = leaf.get("ext_key_usage") or []
    v["eku_no_serverauth"] = "-" if not t.get("chain") else yn(bool(eku) and "serverAuth" not in eku and "any" not in eku)
    v["no_san"] = "-" if not t.get("chain") else yn(not leaf.get("dns_names") and not leaf.get("ip_addresses"))
    return v


def read_testssl(path):
    """testssl's verdicts from its JSON file, or None."""
    try:
        items = json.load(open(path))
    except (OSError, ValueError):
        return None
    by, all_ = {}, {}
    for x in items:
        by.setdefault(x["id"], x)
        all_.setdefault(x["id"], []).append(x["finding"])
    if not any(k in by for k in ("TLS1_2", "TLS1", "SSLv3")):
        return None

    def f(i):
        return " ".join(all_[i]) if i in all_ else None

    def vuln(i):
        s = f(i)
        if s is None or re.search(r"handshake didn't succeed|Can't test", s):
            return "-"
        if re.search(r"not vulnerable|no DH|not applicable|not offered|no HTTP", s, re.I):
            return "no"
        if re.search(r"VULNERABLE|potentially", s):
            return "yes"
        return "-"

    v = {"protocols": " ".join(n for n, i in VERSIONS if re.match(r"(offered|vulnerable)", f(i) or "", re.I))}
    v["heartbleed"] = vuln("heartbleed")
    v["ccs"] = vuln("CCS")
    v["robot"] = vuln("ROBOT")
    s = f("secure_renego")
    v["secure_renego"] = ("-" if s is None or re.search(r"handshake didn't succeed", s) else
                          "yes" if re.match(r"supported", s) else "no")
    v["client_renego"] = vuln("secure_client_renego")
    v["crime"] = vuln("CRIME_TLS")
    v["breach"] = vuln("BREACH")
    bits = None
    for i in ("DH_groups", "LOGJAM-common_primes", "LOGJAM"):
        m = re.search(r"(\d{3,4}) bits", f(i) or "")
        if m:
            bits = int(m.group(1))
            break
    if bits is not None:
        v["dh<2048"] = yn(bits < 2048)
    else:
        v["dh<2048"] = "no" if re.search(r"no DH key", (f("LOGJAM") or "") + (f("LOGJAM-common_primes") or "")) else "-"
    v["drown"] = vuln("DROWN")
    s = f("fallback_SCSV")
    v["fallback_scsv"] = "-" if s is None else ("no" if re.search(r"NOT supported", s) else
                                                 "yes" if re.search(r"supported", s) else "-")
    s = f("OCSP_stapling")
    v["ocsp_stapled"] = "-" if s is None else ("yes" if s.startswith("offered") else "no")
    s = f("cert_extKeyUsage")
    v["eku_no_serverauth"] = "-" if s is None else yn(by["cert_extKeyUsage"]["severity"] in ("HIGH", "CRITICAL", "MEDIUM"))
    s = f("cert_subjectAltName")
    v["no_san"] = "-" if s is None else yn(bool(re.search(r"missing|no SAN", s, re.I)))
    v["_raw"] = {col: f(i) for col, i in TSID.items()}
    v["_problems"] = "; ".join(x["finding"] for x in items if x["id"] in ("scanProblem", "optimal_proto") or
                               re.search(r"socket problem|couldn't connect", x["finding"]))
    v["_raw"]["protocols"] = " ".join("%s: %s" % (n, f(i)) for n, i in VERSIONS if f(i))
    return v


def explain(col, vig, ts, ep, tsraw, problems="", vigwhy=""):
    """Why vigil and testssl differ on one verdict; vigwhy is vigil's
    not-examined reason for the column, when it gave one."""
    raw = (tsraw or "").strip()
    if problems and (ts == "-" or col == "protocols"):
        return "testssl's scan of this endpoint broke off (its own words: '%s'); vigil completed its audit" % problems[:220]
    if ts == "-" and ep[3] == "rdp":
        return "testssl has no RDP upgrade (its -t knows no rdp): only vigil reaches xrdp's TLS"
    if col == "client_renego" and vig == "-" and ts == "no":
        why = (vigwhy or "").lower()
        if "no tls 1.2" in why:
            return ("the server accepts no TLS 1.2: vigil's renegotiation client speaks TLS 1.2 only and records 'not "
                    "examined' (TLS 1.3 has no renegotiation); testssl says 'not vulnerable' (%s)" % (raw or "its verdict")[:80])
        if "did not complete" in why:
            return ("vigil's TLS 1.2 handshake did not complete (%s), so it records 'not examined'; testssl's openssl "
                    "s_client failed too and testssl counts a failed s_client as 'not vulnerable'" % vigwhy[:140])
        if "none of the tls 1.2" in why:
            return ("the server accepts none of the TLS 1.2 suites vigil's renegotiation client speaks (ECDHE or RSA key "
                    "exchange with AES or ChaCha20), so vigil records 'not examined'; testssl's openssl s_client says "
                    "'not vulnerable' (for the labd emulators, whose handshakes never complete, that verdict comes from "
                    "s_client failing)")
    if ts == "-" and re.search(r"handshake didn't succeed", raw):
        return ("testssl runs this test through /usr/bin/openssl, whose handshake with this server did not succeed "
                "(Debian's OpenSSL at security level 2 refuses TLS < 1.2 and 1024-bit DH groups; the labd emulators "
                "never finish a handshake), while vigil reads the ServerHello its own hello gets")
    if col == "fallback_scsv" and ts == "-" and re.search(r"no protocol below TLS 1.2", raw):
        return ("testssl tries a fallback only below TLS 1.2 ('%s'); vigil also offers TLS 1.2 with the SCSV to a "
                "server that speaks TLS 1.3, which refused it with inappropriate_fallback" % raw)
    if col == "fallback_scsv" and vig == "-":
        return "only one protocol version is accepted: vigil has nothing to fall back to and records 'not examined'"
    if col == "breach" and ts == "-":
        return "testssl runs its BREACH test only on services it recognises as HTTP (its 'service' line: it could not tell)"
    if col == "breach" and vig == "-":
        return "vigil asks for a compressed page only on services identified as HTTP"
    if col == "drown" and vig == "yes" and ts == "no":
        return ("testssl looks for SSLv2 on this port only and prints a hint to check other services with the "
                "certificate; vigil compares key fingerprints across the host's services and found one with SSLv2")
    if col == "dh<2048" and ts == "-":
        return ("testssl's -p -U -S prints the DH group size only for known common primes (LOGJAM); vigil reads it "
                "from every DHE ServerKeyExchange")
    if col == "ocsp_stapled" and vig == "-":
        return "vigil's probes need TLS 1.0-1.2; on a TLS 1.3-only server the staple travels encrypted"
    if ts == "-" and raw:
        return "testssl gave no verdict: '%s'" % raw[:120]
    if vig == "-" and ts != "-":
        return "vigil could not decide (see not_examined in its JSON)"
    if ts == "-":
        return "testssl gave no verdict"
    return "UNEXPLAINED"


def medians(path, name):
    try:
        for r in json.load(open(path))["results"]:
            if r["command"] == name:
                return statistics.median(r["times"])
    except (OSError, ValueError, KeyError):
        pass
    return None


def report(outdir, date, nproc, ls, le, runs, versions):
    eps = {}
    for l in open(os.path.join(outdir, "endpoints.tsv")):
        ep = tuple(l.rstrip("\n").split("\t"))
        eps[ep[0]] = ep  # a later measurement (BENCH_KEEP=1) replaces an earlier one
    eps = list(eps.values())
    rows, diffs, unexplained = [], [], 0
    tv = tt = 0.0
    for ep in eps:
        eid, host, port, up = ep
        base = os.path.join(outdir, eid)
        vig = read_vigil(base + ".vigil.json", host, int(port))
        ts = read_testssl(base + ".testssl.json")
        t_v = medians(base + ".vigil-time.json", "vigil")
        t_t = medians(base + ".testssl-time.json", "testssl")
        if t_v is not None and t_t is not None and ts is not None:
            tv += t_v
            tt += t_t
        agree = total = 0
        for col, _ in CHECKS:
            a = (vig or {}).get(col, "-")
            b = (ts or {}).get(col, "-")
            if a == b:
                if a != "-":
                    agree += 1
                    total += 1
                continue
            total += 1
            why = explain(col, a, b, ep, ((ts or {}).get("_raw") or {}).get(col), (ts or {}).get("_problems", ""),
                          ((vig or {}).get("_why") or {}).get(col, ""))
            unexplained += why == "UNEXPLAINED"
            diffs.append((eid, col, a, b, why))
        rows.append((ep, vig, ts, t_v, t_t, agree, total))
        print("%-22s vigil %6s  testssl %7s  agree %d/%d" % (eid, "%.2fs" % t_v if t_v else "—", "%.1fs" % t_t if t_t else "—", agree, total))
    for d in diffs:
        print("  %s %s: vigil %s, testssl %s — %s" % d)
    print("unexplained differences: %d" % unexplained)
    write_section(outdir, date, nproc, ls, le, runs, versions, rows, diffs, tv, tt)


def write_section(outdir, date, nproc, ls, le, runs, versions, rows, diffs, tv, tt):
    L = ["<!-- tlsvuln:begin -->", "## TLS vulnerabilities: vigil and testssl.sh side by side (bench/tlsvuln.sh)", ""]
    L.append("Measured %s on this project's machine (%s cores; load average %s at the start, %s at the end), both tools in "
             "one run, endpoint after endpoint, on every TLS endpoint of the core lab and of the lab parts tlsdeep and "
             "tlsreneg. Reproduce with `sudo bench/tlsvuln.sh` (the full lab up: `lab/lab.sh up`; or a part beside it, "
             "e.g. `VIGIL_LAB_DIR=/tmp/vigil-lab-tlsreneg VIGIL_LAB_ONLY=tlsreneg lab/lab.sh up` and "
             "`BENCH_LABS=\"/tmp/vigil-lab /tmp/vigil-lab-tlsreneg\"`); raw outputs in "
             "bench/results/tlsvuln/." % (date, nproc, ls, le))
    L.append("")
    L.append("Peers: %s. Commands timed with hyperfine:" % versions)
    L.append("")
    L.append("- vigil: `vigil scan HOST -p PORT --udp-ports '' --no-store --format json --tls-ca CA` — the whole pipeline "
             "(discovery, identification, every version and suite, certificate, and the vulnerability probes); median of %s runs after 1 warm-up" % runs)
    L.append("- testssl: `testssl --quiet --color 0 --warnings off --jsonfile FILE -p -U -S [-t P] HOST:PORT` — protocols, every "
             "vulnerability check, server defaults (certificate, OCSP stapling); one run (it takes about a minute)")
    L.append("")
    L.append("Verdicts: yes / no / - (not examined). For secure_renego, fallback_scsv and ocsp_stapled \"yes\" is the "
             "protection; for the others it is the flaw. Each cell is vigil / testssl; **bold** where they differ.")
    L.append("")
    hdr = ["endpoint", "vigil", "testssl", "testssl ÷ vigil"] + [c for c, _ in CHECKS[1:]]
    L.append("| " + " | ".join(hdr) + " |")
    L.append("|" + "---|" * len(hdr))
    prot = []
    for ep, vig, ts, t_v, t_t, agree, total in rows:
        cells = [ep[0], "%.2f s" % t_v if t_v else "—", "%.1f s" % t_t if t_t else "—",
                 "%.0f×" % (t_t / t_v) if t_v and t_t else "—"]
        for col, _ in CHECKS[1:]:
            a, b = (vig or {}).get(col, "-"), (ts or {}).get(col, "-")
            c = "%s / %s" % (a, b)
            cells.append(c if a == b else "**%s**" % c)
        L.append("| " + " | ".join(cells) + " |")
        a, b = (vig or {}).get("protocols", "?"), (ts or {}).get("protocols", "-") if ts else "-"
        prot.append("| %s | %s | %s | %s |" % (ep[0], a or "none", b or "none", "yes" if a == b else "**no**"))
    if tt:
        L.append("| **sum over the endpoints both ran** | %.2f s | %.1f s | **%.0f×** (target ≥ 20) |" % (tv, tt, tt / tv) + " |" * (len(CHECKS) - 1))
    L.append("")
    L.append("Accepted protocol versions:")
    L.append("")
    L.append("| endpoint | vigil | testssl | agree |")
    L.append("|---|---|---|---|")
    L.extend(prot)
    L.append("")
    L.append("Every difference, explained:")
    L.append("")
    if not diffs:
        L.append("none.")
    for eid, col, a, b, why in diffs:
        L.append("- %s, %s: vigil %s, testssl %s — %s." % (eid, col, a, b, why))
    L.append("<!-- tlsvuln:end -->")
    open(os.path.join(outdir, "section.md"), "w").write("\n".join(L) + "\n")


def main(argv):
    if len(argv) >= 2 and argv[0] == "endpoints":
        for e in endpoints(argv[1]):
            print("\t".join(str(x) for x in e))
        return 0
    if len(argv) == 8 and argv[0] == "report":
        report(*argv[1:])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
