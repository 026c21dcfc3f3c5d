#!/usr/bin/env python3
"""Scores service identification of every lab service (TCP and UDP).

usage: score_services.py MANIFEST VIGIL_JSON NMAP_TCP_XML NMAP_UDP_XML [DETAIL_FILE]
prints: vigil_right nmap_right total

A service counts as right when the tool names its protocol as the manifest
does and says correctly whether it speaks TLS from the first byte. Protocols
spoken over HTTP (an API such as CouchDB or the Docker registry) also count
as right when the tool says "http" and names the manifest's product: the
same rule for both tools. Services the manifest names "unknown" are left
out, and so is every service of a host that runs a hostile or emulated
server: bench/protocols.sh scans none of those hosts, so neither tool can
name their services. DETAIL_FILE, when given, receives one line per
service: host:port/transport, the manifest's name, vigil's and nmap's.
"""
import json
import sys
import xml.etree.ElementTree as ET

# nmap's service names for the protocols vigil names differently.
NMAP_NAMES = {
    "https": ("http", True), "https-alt": ("http", True), "http-proxy": ("http", False),
    "http-alt": ("http", False), "ssl/http": ("http", True),
    "imaps": ("imap", True), "pop3s": ("pop3", True), "smtps": ("smtp", True),
    "submission": ("smtp", False), "ftps": ("ftp", True), "ldaps": ("ldap", True),
    "domain": ("dns", False), "secure-mqtt": ("mqtt", True),
    "ms-wbt-server": ("rdp", False), "microsoft-ds": ("smb", False), "netbios-ssn": ("smb", False),
    "ms-sql-s": ("mssql", False), "x11": ("x11", False), "kerberos-sec": ("kerberos", False),
    "kerberos": ("kerberos", False), "wsman": ("winrm", False), "wsmans": ("winrm", True),
    "netbios-ns": ("netbios-ns", False), "zeroconf": ("mdns", False), "mdns": ("mdns", False),
    "upnp": ("ssdp", False), "ssdp": ("ssdp", False), "nfs": ("nfs", False), "rpcbind": ("rpcbind", False),
    "iscsi": ("iscsi", False), "jetdirect": ("jetdirect", False), "ipp": ("ipp", False),
    "rtsp": ("rtsp", False), "sip": ("sip", False), "coap": ("coap", False), "tftp": ("tftp", False),
    "rsync": ("rsync", False), "etcd-client": ("etcd", False), "couchdb": ("couchdb", False),
    "mountd": ("nfs", False),  # the manifest names NFS's mount daemon nfs
    "snmp": ("snmp", False), "ntp": ("ntp", False),
}


def right(want, got):
    """want: (name, tls, product); got: (name, tls, product) or None."""
    if got is None:
        return False
    name, tls, product = want
    if got[1] != tls:
        return False
    if got[0] == name:
        return True
    return got[0] == "http" and product and product.lower() in (got[2] or "").lower()


def nmap_services(path, proto):
    out = {}
    if not path:
        return out
    for host in ET.parse(path).getroot().iter("host"):
        addr = host.find("address").get("addr")
        for port in host.iter("port"):
            if port.get("protocol") != proto:
                continue
            svc = port.find("service")
            state = port.find("state").get("state")
            if svc is None or state not in ("open", "open|filtered"):
                continue
            name = svc.get("name", "").lower()
            tls = svc.get("tunnel") == "ssl"
            if name.startswith("mosquitto"):
                name = "mqtt"  # nmap names the MQTT service after the broker's CONNACK text
            if name in NMAP_NAMES:
                name, implied = NMAP_NAMES[name]
                tls = tls or implied
            product = " ".join(x for x in (svc.get("product"), svc.get("extrainfo")) if x)
            out[(addr, int(port.get("portid")), proto)] = (name, tls, product)
    return out


def main():
    manifest, vigil_json, nmap_tcp, nmap_udp = sys.argv[1:5]
    detail = open(sys.argv[5], "w") if len(sys.argv) > 5 else None
    want = {}
    services = json.load(open(manifest))["services"]
    left_out = {s["host"] for s in services if s.get("hostile")}
    for s in services:
        if s["host"] not in left_out and s["name"] != "unknown":
            want[(s["host"], s["port"], s["transport"])] = (s["name"], s["tls"], s.get("product", ""))
    vigil = {}
    for h in json.load(open(vigil_json))["hosts"]:
        for s in h["services"]:
            vigil[(h["address"], s["port"], s["transport"])] = (s["name"], s["tls"], " ".join(x for x in (s.get("product"), s.get("version")) if x))
    nmap = nmap_services(nmap_tcp, "tcp")
    nmap.update(nmap_services(nmap_udp, "udp"))
    ok_vigil = ok_nmap = 0
    for k, w in sorted(want.items()):
        v, n = right(w, vigil.get(k)), right(w, nmap.get(k))
        ok_vigil += v
        ok_nmap += n
        if detail:
            print(f"{k[0]}:{k[1]}/{k[2]}\t{w[0]}\tvigil={vigil.get(k, ('-',))[0]}{'' if v else ' WRONG'}\tnmap={nmap.get(k, ('-',))[0]}{'' if n else ' WRONG'}", file=detail)
    print(ok_vigil, ok_nmap, len(want))


if __name__ == "__main__":
    main()
