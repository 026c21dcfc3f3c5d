#!/usr/bin/env python3
"""Compares vigil's TLS audit with sslscan's and testssl.sh's (bench/tls.sh).

usage:
  tls_compare.py endpoints MANIFEST
      prints the lab's TLS endpoints, one a line: id, host, port, STARTTLS
      protocol ("-" for TLS from the first byte), tab-separated.
  tls_compare.py report DIR META.json
      reads what bench/tls.sh left in DIR, prints every disagreement with
      its explanation, and writes the docs section to DIR/section.md.

Per endpoint it compares the accepted protocol versions and, suite by
suite, which versions accept the suite and the worst weak-suite verdict:
NULL > anonymous > EXPORT > weak (RC4, RC2, DES, 3DES, IDEA, < 128 bits) >
no forward secrecy > fine. vigil's verdicts are its own judges'
(bench/tlsbench verdicts); sslscan's are its own strength labels (null,
anonymous, weak = EXPORT, medium = RC4/DES) plus forward secrecy read from
the suite name it prints (sslscan has no such verdict); testssl -p -E gives
no per-suite verdict, so its suites are classified from its own columns.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import xml.etree.ElementTree as ET

import benchlib  # bench/benchlib.py, next to this script

VERSIONS = ["SSLv2", "SSLv3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3"]
LABELS = ["null", "anonymous", "export", "weak", "no-fs", "fine"]  # worst first
VIGIL_CHECKS = {
    "tls.cipher.null": "null", "tls.cipher.anonymous": "anonymous", "tls.cipher.export": "export",
    "tls.cipher.weak": "weak", "tls.cipher.no-forward-secrecy": "no-fs",
}
STARTTLS_NAMES = {"smtp", "imap", "pop3", "ftp", "postgresql", "ldap", "mysql"}


def worst(labels):
    labels = set(labels) or {"fine"}
    return min(labels, key=LABELS.index)


def key(n):
    return "0x%06x" % n if n > 0xFFFF else "0x%04x" % n


# ---------------------------------------------------------------- endpoints

def endpoints(manifest):
    """The lab's TLS endpoints: every service speaking TLS from the first
    byte (the legacy-tls emulator included, the other hostile servers not),
    and every hardened twin of a protocol with a STARTTLS upgrade (the weak
    twins and misc-ldap offer none)."""
    m = json.load(open(manifest))
    for s in m["services"]:
        if s["transport"] != "tcp" or s.get("hostile") not in ("", "legacy-tls"):
            continue
        if s["tls"]:
            yield s["id"], s["host"], s["port"], "-"
        elif s["name"] in STARTTLS_NAMES and s.get("twin") == "hard":
            yield s["id"], s["host"], s["port"], s["name"]


# ---------------------------------------------------------------- readers

class Seen:
    """What one tool saw on one endpoint."""

    def __init__(self, tool):
        self.tool = tool
        self.ran = False
        self.error = ""
        self.versions = set()  # accepted protocol versions
        self.suites = {}  # key -> {"versions": set, "label": str, "name": str}
        self.cert = None  # whether a certificate was obtained, when known

    def add(self, k, version, name, label):
        e = self.suites.setdefault(k, {"versions": set(), "label": label, "name": name})
        e["versions"].add(version)


def read_vigil(path, verdicts_path, host, port):
    s = Seen("vigil")
    if not os.path.exists(path):
        s.error = "no output"
        return s
    doc = json.load(open(path))
    verdicts = json.load(open(verdicts_path)).get("%s:%d" % (host, port), {}) if os.path.exists(verdicts_path) else {}
    for h in doc.get("hosts", []):
        if h["address"] != host:
            continue
        for svc in h.get("services", []):
            if svc["port"] != port or svc["transport"] != "tcp":
                continue
            t = svc.get("tls_audit")
            if not t:
                s.error = "no tls_audit; audit errors: %s" % "; ".join(svc.get("audit_errors") or ["none"])
                return s
            s.ran = True
            s.cert = bool(t.get("chain"))
            for v in t["versions"]:
                if not v["accepted"]:
                    continue
                s.versions.add(v["name"])
                for su in v.get("suites") or []:
                    k = key(su["id"])
                    checks = verdicts.get(k, {}).get("checks")
                    label = worst(VIGIL_CHECKS[c] for c in checks) if checks is not None else "?"
                    s.add(k, v["name"], su["name"], label)
    if not s.ran and not s.error:
        s.error = "service %s:%d not in the scan" % (host, port)
    return s


def read_audit(path):
    """vigil's TLS audit run alone (tlsbench audit): versions and suites."""
    s = Seen("vigil TLS audit alone")
    if not os.path.exists(path):
        s.error = "no output"
        return s
    t = json.load(open(path))
    s.ran = True
    for v in t["versions"]:
        if v["accepted"]:
            s.versions.add(v["name"])
            for su in v.get("suites") or []:
                s.add(key(su["id"]), v["name"], su["name"], "?")
    return s


def name_forward_secret(name):
    """Forward secrecy read from a suite name, OpenSSL's or IANA's: an
    ephemeral (EC)DH exchange, or a TLS 1.3 suite."""
    n = name.upper()
    if n.startswith(("TLS_AES_", "TLS_CHACHA20_", "TLS_SM4_")):
        return True
    return bool(re.search(r"(^|[-_])(ECDHE|DHE|EDH)([-_]|$)", n))


SSLSCAN_LABELS = {"null": "null", "anonymous": "anonymous", "weak": "export", "medium": "weak"}


def read_sslscan(path):
    s = Seen("sslscan")
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        s.error = "no output"
        return s
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        s.error = "unreadable XML: %s" % e
        return s
    test = root.find("ssltest")
    if test is None:
        err = root.find("error")
        s.error = (err.text or "").strip() if err is not None else "no <ssltest>"
        return s
    s.ran = True
    for p in test.iter("protocol"):
        if p.get("enabled") == "1":
            v = ("SSLv" if p.get("type") == "ssl" else "TLS") + p.get("version")
            s.versions.add(v)
    for c in test.iter("cipher"):
        v = c.get("sslversion").replace("TLSv", "TLS")
        name = c.get("cipher")
        label = SSLSCAN_LABELS.get(c.get("strength"), "fine")
        if label == "fine" and not name_forward_secret(name):
            label = "no-fs"
        s.add(key(int(c.get("id"), 16)), v, name, label)
    s.cert = test.find("certificates/certificate") is not None
    return s


TESTSSL_PROTOCOLS = {"SSLv2": "SSLv2", "SSLv3": "SSLv3", "TLS1": "TLS1.0", "TLS1_1": "TLS1.1", "TLS1_2": "TLS1.2", "TLS1_3": "TLS1.3"}
TESTSSL_CIPHER_VERSIONS = {"ssl2": "SSLv2", "ssl3": "SSLv3", "tls1": "TLS1.0", "tls1_1": "TLS1.1", "tls1_2": "TLS1.2", "tls1_3": "TLS1.3"}


def testssl_label(enc, bits, iana):
    """Classifies a suite from testssl's own columns (Encryption, Bits with
    its ",exp" mark, the IANA name)."""
    if enc.lower() == "none":
        return "null"
    if "_anon_" in iana.lower():
        return "anonymous"
    if "exp" in bits:
        return "export"
    b = re.match(r"\d+", bits)
    if enc.upper() in ("RC4", "RC2", "DES", "3DES", "IDEA") or (b and int(b.group()) < 128):
        return "weak"
    return "fine" if name_forward_secret(iana) else "no-fs"


def read_testssl(path):
    s = Seen("testssl")
    if not os.path.exists(path):
        return s  # not run on this endpoint
    try:
        items = json.load(open(path))
    except ValueError as e:
        s.error = "unreadable JSON: %s" % e
        return s
    s.ran = True
    for it in items:
        i, f = it.get("id", ""), it.get("finding", "")
        if it.get("severity") == "FATAL":
            s.error = f
        if i in TESTSSL_PROTOCOLS:
            if re.match(r"(offered|vulnerable|supported)", f) and not f.startswith("not offered"):
                s.versions.add(TESTSSL_PROTOCOLS[i])
            continue
        m = re.match(r"cipher-(ssl2|ssl3|tls1|tls1_1|tls1_2|tls1_3)_x([0-9a-f]+)$", i)
        if not m:
            continue
        tok = f.split()
        hexes = [n for n, t in enumerate(tok) if t.lower() == "x" + m.group(2)]
        if not hexes or len(tok) < hexes[0] + 5:
            continue
        rest = tok[hexes[0] + 1:]
        iana, bits, enc = rest[-1], rest[-2], rest[-3]
        s.add(key(int(m.group(2), 16)), TESTSSL_CIPHER_VERSIONS[m.group(1)], iana, testssl_label(enc, bits, iana))
    if s.error:
        s.ran = False
    return s


def openssl_suites():
    """Suite numbers Debian's OpenSSL offers at security level 0 (what
    sslscan's OpenSSL-based pass can test)."""
    try:
        out = subprocess.run(["openssl", "ciphers", "-V", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return set()
    return {key(int(a, 16) << 8 | int(b, 16)) for a, b in re.findall(r"0x([0-9A-F]{2}),0x([0-9A-F]{2})", out)}


# ---------------------------------------------------------------- diffing

# Known causes of disagreement, by letter. Each was traced on the lab (the
# peers' sources and packet captures); a disagreement no cause fits is
# printed as UNEXPLAINED and must be looked into.
CAUSES = {
    "A": "sslscan 2.0.7 only tests whether SSLv2 and SSLv3 are enabled (one hand-made hello each, "
         "`runSSLv2Test`/`runSSLv3Test`) and enumerates suites for TLS 1.0 to 1.3 only, so it lists no "
         "SSLv2 or SSLv3 suite.",
    "B": "sslscan tests the suites its OpenSSL knows with complete OpenSSL handshakes (`testCipher` counts a "
         "suite only when `SSL_connect` succeeds) and the rest (its `missing_ciphersuites`, such as EXPORT, "
         "RC4, DES and 3DES, which Debian's OpenSSL 3 lacks) with raw hellos read up to the ServerHello. "
         "The legacy-tls emulator names the suite in its ServerHello and then ends every handshake after "
         "ServerHelloDone, so every OpenSSL handshake fails: sslscan lists none of the suites OpenSSL "
         "knows (nor a certificate) and stops looking for them, while vigil and testssl count the suite "
         "the ServerHello names.",
}


def explain_missing(peer, k, versions, vigil, ossl):
    """Causes of a peer not listing a suite vigil saw with these versions
    ([] when no known cause fits)."""
    if peer.tool != "sslscan":
        return []
    legacy = versions & {"SSLv2", "SSLv3"}
    causes = ["A"] if legacy else []
    if versions - legacy:
        if not (k in ossl and peer.cert is False and vigil.cert):
            return []
        causes.append("B")
    return causes


def compare(vigil, peer, ossl):
    """Disagreements between vigil and one peer, as dicts: what, vigil's
    side, the peer's side, causes."""
    out = []
    if not vigil.ran or not peer.ran:
        return out
    only_v, only_p = vigil.versions - peer.versions, peer.versions - vigil.versions
    if only_v or only_p:
        out.append({"what": "accepted versions", "vigil": fmt_versions(vigil.versions),
                    "peer": fmt_versions(peer.versions), "causes": []})
    for k in sorted(set(vigil.suites) | set(peer.suites), key=lambda k: (len(k), k)):
        v, p = vigil.suites.get(k), peer.suites.get(k)
        vv = v["versions"] if v else set()
        pv = p["versions"] if p else set()
        side = lambda e, vs: "%s · %s" % (fmt_versions(vs), e["label"]) if e else "—"
        what = "%s %s" % (k, (v or p)["name"])
        causes = []
        if vv - pv:
            causes += explain_missing(peer, k, vv - pv, vigil, ossl) or ["?"]
        if pv - vv or (v and p and v["label"] != p["label"]):
            causes.append("?")  # no known cause: a peer saw more than vigil, or judged otherwise
        if causes:
            out.append({"what": what, "vigil": side(v, vv), "peer": side(p, pv),
                        "causes": [c for c in dict.fromkeys(causes) if c != "?"] if "?" not in causes else []})
    return out


def fmt_versions(vs):
    return ", ".join(sorted(vs, key=VERSIONS.index)) or "none"


# ---------------------------------------------------------------- timing

def secs(t):
    return "—" if t is None else ("%.2f s" % t if t < 10 else "%.1f s" % t)


def ratio(a, b):
    return "—" if a is None or b is None or b == 0 else "%.1f×" % (a / b)


# ---------------------------------------------------------------- report

def report(outdir, meta_path):
    meta = json.load(open(meta_path))
    ossl = openssl_suites()
    rows, agree, disagreements = [], [], []
    totals = {"vigil": 0.0, "vigil-audit": 0.0, "sslscan": 0.0}
    ts_totals = {"vigil": 0.0, "vigil-audit": 0.0, "testssl": 0.0}
    unexplained = 0
    for ep in meta["endpoints"]:
        eid, host, port, st = ep["id"], ep["host"], ep["port"], ep["starttls"]
        base = os.path.join(outdir, eid)
        vigil = read_vigil(base + ".vigil.json", base + ".verdicts.json", host, port)
        audit = read_audit(base + ".audit.json")
        sslscan = read_sslscan(base + ".sslscan.xml")
        testssl = read_testssl(base + ".testssl.json")
        print("== %s (%s:%d%s)" % (eid, host, port, "" if st == "-" else ", STARTTLS " + st))
        for s in (vigil, audit, sslscan, testssl):
            if s.ran:
                print("  %-22s versions %s; %d suites" % (s.tool, fmt_versions(s.versions), len(s.suites)))
            elif s.error:
                print("  %-22s FAILED: %s" % (s.tool, s.error))
        if audit.ran and vigil.ran and (audit.versions != vigil.versions or
                                        {k: e["versions"] for k, e in audit.suites.items()} != {k: e["versions"] for k, e in vigil.suites.items()}):
            print("  NOTE: vigil's TLS audit alone saw other versions or suites than vigil scan")
        ep_dis = []
        for peer in (sslscan, testssl):
            for x in compare(vigil, peer, ossl):
                x["tool"] = peer.tool
                ep_dis.append(x)
                print("  DIFF %s: vigil %s; %s %s" % (x["what"], x["vigil"], peer.tool, x["peer"]))
                print("       %s" % ("cause " + ", ".join(x["causes"]) if x["causes"] else "UNEXPLAINED"))
                unexplained += not x["causes"]
        if not ep_dis and vigil.ran:
            print("  no disagreement")
        disagreements.append((ep, ep_dis))
        t = benchlib.medians(base + ".time.json")
        tt = benchlib.medians(base + ".testssl-time.json")
        g = lambda m, n: m.get(n, {}).get("median")
        # testssl exits non-zero after complete scans too (1 on legacy-tls):
        # whether it worked is told by its JSON (read_testssl), not its code.
        rows.append((ep, g(t, "vigil"), g(t, "vigil-audit"), g(t, "sslscan"),
                     g(tt, "testssl") if testssl.ran else None,
                     sum(x.get("failed", 0) for x in t.values())))
        if all(g(t, n) is not None for n in totals):
            for n in totals:
                totals[n] += g(t, n)
        if g(tt, "testssl") is not None and g(t, "vigil") is not None:
            ts_totals["vigil"] += g(t, "vigil")
            ts_totals["vigil-audit"] += g(t, "vigil-audit") or 0
            ts_totals["testssl"] += g(tt, "testssl")
        agree.append((ep, vigil, sslscan, testssl, ep_dis))
        for name, m in list(t.items()) + list(tt.items()):
            print("  time %-12s median %s over %d runs%s" % (name, secs(m["median"]), m["runs"],
                                                            ", %d non-zero exit(s)" % m["failed"] if m["failed"] else ""))
    for c, text in CAUSES.items():
        print("cause %s: %s" % (c, text))
    print("%d disagreement(s) without an explanation" % unexplained)
    section = render(meta, rows, totals, ts_totals, agree)
    with open(os.path.join(outdir, "section.md"), "w") as f:
        f.write(section)
    return unexplained


def timing_notes(rows):
    """The targets, met or not, and why vigil scan takes longer than its
    TLS audit."""
    n = len(rows)
    ok_scan = [ep["id"] for ep, v, a, s, t, _ in rows if v is not None and s and v <= 2 * s]
    ok_audit = [ep["id"] for ep, v, a, s, t, _ in rows if a is not None and s and a <= 2 * s]
    ts = [(ep["id"], v, a, t) for ep, v, a, s, t, _ in rows if t is not None and v]
    L = ["**Targets.** vigil ≤ 2× sslscan: `vigil scan` meets it on %d of %d endpoints%s; its TLS audit alone on "
         "%d of %d%s." % (
             len(ok_scan), n, (", misses it on " + ", ".join(ep["id"] for ep, *_ in rows if ep["id"] not in ok_scan)) if len(ok_scan) < n else "",
             len(ok_audit), n, (", misses it on " + ", ".join(ep["id"] for ep, *_ in rows if ep["id"] not in ok_audit)) if len(ok_audit) < n else "")]
    if ts:
        L[0] += " testssl ≥ 20× slower than vigil: %s." % "; ".join(
            "%s %s (%s against the audit alone)" % (i, ratio(t, v), ratio(t, a)) for i, v, a, t in ts)
    direct = [(v - a) for ep, v, a, s, t, _ in rows if ep["starttls"] == "-" and v is not None and a is not None]
    L.append("")
    L.append("**Where `vigil scan` spends the time.** Its TLS audit is the \"audit alone\" column; the rest is the "
             "scan pipeline, traced with strace on this lab. On an endpoint that speaks TLS from the first byte, "
             "identification waits for a greeting on a plain connection (servers such as SMTP speak first) while "
             "its first client-first probe, a TLS ClientHello, runs beside it on a second connection, and once TLS "
             "is up does the same inside it (an HTTP request beside the wait for a greeting; a server that drops a "
             "probe without a word is sent the next at once): %s of the scan (median over those endpoints) go there "
             "before the "
             "audit starts. STARTTLS servers greet at once, so there the scan costs little more than its audit. On ftp-hard the access audit's anonymous login attempt waits about 3 s for vsftpd's answer "
             "(vsftpd delays every refused login). sslscan and testssl know the protocol from the command line "
             "and skip identification and the other audits." % (secs(statistics.median(direct)) if direct else "—"))
    return L


def render(meta, rows, totals, ts_totals, agree):
    L = []
    L.append("<!-- tls:begin -->")
    L.append("## TLS audit: vigil, sslscan and testssl.sh (bench/tls.sh)")
    L.append("")
    L.append("Measured %s on this project's machine (%s cores; load average %s at the start, %s at the end: "
             "other work was running, so the times are noisy and only medians are given), "
             "all tools in one run, endpoint after endpoint. Reproduce with `%s`; raw outputs, hyperfine "
             "exports and the full diff land in bench/results/tls/." % (
                 meta["date"], meta["nproc"], meta["load_start"], meta["load_end"], meta["command"]))
    L.append("")
    L.append("Peers: %s. Commands timed (median of %d runs after %d warm-up, hyperfine; testssl: median of %d runs):" % (
        meta["versions"], meta["runs"], meta["warmup"], meta["testssl_runs"]))
    L.append("")
    L.append("- vigil: `vigil scan HOST -p PORT --udp-ports \"\" --no-store --format json --tls-ca CA` — the whole "
             "pipeline on one port: host discovery, port check, identification, then the audits (TLS: every "
             "version from SSLv2 to TLS 1.3, every suite, server order, certificate chain, trust and name)")
    L.append("- vigil TLS audit alone: `bench/tlsbench audit [-starttls P] -ca CA HOST:PORT` — the same TLS audit "
             "code with the options `vigil scan` gives it, without discovery and identification")
    L.append("- sslscan: `sslscan --no-colour [--starttls-P] --xml=FILE HOST:PORT` (its defaults add heartbleed, "
             "renegotiation, compression, fallback and group checks)")
    L.append("- testssl: `testssl --quiet --color 0 --jsonfile FILE -p -E [-t P] HOST:PORT` (protocols and every "
             "suite per protocol; no certificate checks, which would only add time), on %s only: it takes minutes "
             "per endpoint" % ", ".join(meta["testssl_ids"]))
    L.append("")
    L.append("| endpoint | vigil scan | vigil TLS audit alone | sslscan | testssl | vigil ÷ sslscan (target ≤ 2) | audit alone ÷ sslscan | testssl ÷ vigil (target ≥ 20) |")
    L.append("|---|---|---|---|---|---|---|---|")
    for ep, v, a, s, t, failed in rows:
        name = "%s (%s:%d%s)" % (ep["id"], ep["host"], ep["port"], "" if ep["starttls"] == "-" else ", STARTTLS " + ep["starttls"])
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            name + (" ⚠ %d failed run(s)" % failed if failed else ""), secs(v), secs(a), secs(s), secs(t),
            ratio(v, s), ratio(a, s), ratio(t, v)))
    L.append("| **all %d endpoints (sum of medians)** | %s | %s | %s | | **%s** | %s | |" % (
        len(rows), secs(totals["vigil"]), secs(totals["vigil-audit"]), secs(totals["sslscan"]),
        ratio(totals["vigil"], totals["sslscan"]), ratio(totals["vigil-audit"], totals["sslscan"])))
    if ts_totals["testssl"]:
        L.append("| **the %d testssl endpoints (sum of medians)** | %s | %s | | %s | | | **%s** (audit alone: %s) |" % (
            len(meta["testssl_ids"]), secs(ts_totals["vigil"]), secs(ts_totals["vigil-audit"]), secs(ts_totals["testssl"]),
            ratio(ts_totals["testssl"], ts_totals["vigil"]), ratio(ts_totals["testssl"], ts_totals["vigil-audit"])))
    L.append("")
    L.extend(timing_notes(rows))
    L.append("")
    L.append("### What each tool found")
    L.append("")
    L.append("Accepted versions and the number of (suite, version) pairs accepted; a ✓ in the last column "
             "means sslscan (and testssl, where it ran) saw exactly the same versions and suites as vigil and "
             "gave every suite the same worst verdict (NULL > anonymous > EXPORT > weak > no forward secrecy > fine).")
    L.append("")
    L.append("| endpoint | vigil | sslscan | testssl | agree |")
    L.append("|---|---|---|---|---|")

    def cell(s):
        if not s.ran:
            return "failed: " + s.error if s.error else "not run"
        pairs = sum(len(e["versions"]) for e in s.suites.values())
        return "%s; %d suites, %d pairs" % (fmt_versions(s.versions), len(s.suites), pairs)
    for ep, vigil, sslscan, testssl, dis in agree:
        L.append("| %s | %s | %s | %s | %s |" % (ep["id"], cell(vigil), cell(sslscan), cell(testssl),
                                                "✓" if not dis and vigil.ran else "%d difference(s), below" % len(dis)))
    L.append("")
    L.append("### Every disagreement, explained")
    L.append("")
    rows = [(ep, d) for ep, _, _, _, dis in agree for d in dis]
    if not rows:
        L.append("None: on every endpoint the peers saw what vigil saw.")
    else:
        L.append("Each row: the suite (or the versions), what vigil saw (versions · worst verdict), what the "
                 "peer saw, and the cause, explained below the table.")
        L.append("")
        L.append("| endpoint | suite | vigil | peer | peer saw | cause |")
        L.append("|---|---|---|---|---|---|")
        used = []
        for ep, d in rows:
            used += d["causes"]
            L.append("| %s | %s | %s | %s | %s | %s |" % (ep["id"], d["what"], d["vigil"], d["tool"], d["peer"],
                                                    ", ".join(d["causes"]) or "**not explained**"))
        L.append("")
        for c in dict.fromkeys(used):
            L.append("%s. %s" % (c, CAUSES[c]))
            L.append("")
    L.append("<!-- tls:end -->")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    sys.exit(benchlib.main(__doc__, endpoints, report))
