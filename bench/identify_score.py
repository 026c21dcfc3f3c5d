#!/usr/bin/env python3
"""Scores service identification against the lab manifest.

usage: identify_score.py MANIFEST VIGIL_JSON NMAP_XML
prints: vigil_right nmap_right total

A service counts as right when the tool names its protocol as the manifest
does and says correctly whether it speaks TLS from the first byte. Only TCP
services with a known protocol are scored (hostile and emulated servers are
left out: there is no right name for them).
"""
import json
import sys
import xml.etree.ElementTree as ET

# nmap's service names for the protocols vigil names differently.
NMAP_NAMES = {
    "https": ("http", True), "https-alt": ("http", True), "http-proxy": ("http", False),
    "imaps": ("imap", True), "pop3s": ("pop3", True), "smtps": ("smtp", True),
    "ftps": ("ftp", True), "ldaps": ("ldap", True), "domain": ("dns", False),
    "secure-mqtt": ("mqtt", True), "mysql": ("mysql", False),
    "postgresql": ("postgresql", False), "vnc": ("vnc", False),
}


def main():
    manifest, vigil_json, nmap_xml = sys.argv[1:4]
    want = {}
    for s in json.load(open(manifest))["services"]:
        if s["transport"] == "tcp" and not s.get("hostile") and s["name"] != "unknown":
            want[(s["host"], s["port"])] = (s["name"], s["tls"])

    vigil = {}
    for h in json.load(open(vigil_json))["hosts"]:
        for s in h["services"]:
            if s["transport"] == "tcp":
                vigil[(h["address"], s["port"])] = (s["name"], s["tls"])

    nmap = {}
    for host in ET.parse(nmap_xml).getroot().iter("host"):
        addr = host.find("address").get("addr")
        for port in host.iter("port"):
            svc = port.find("service")
            if svc is None or port.find("state").get("state") != "open":
                continue
            name = svc.get("name", "")
            tls = svc.get("tunnel") == "ssl"
            if name in NMAP_NAMES:
                name, implied = NMAP_NAMES[name]
                tls = tls or implied
            nmap[(addr, int(port.get("portid")))] = (name, tls)

    ok_vigil = sum(1 for k, v in want.items() if vigil.get(k) == v)
    ok_nmap = sum(1 for k, v in want.items() if nmap.get(k) == v)
    print(ok_vigil, ok_nmap, len(want))


if __name__ == "__main__":
    main()
