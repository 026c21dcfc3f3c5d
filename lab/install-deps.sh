#!/usr/bin/env bash
# install-deps.sh — install the Debian packages the vigil lab, its tests and
# the benchmarks need. Idempotent and a fast no-op when everything is present:
# it asks dpkg first and runs `apt-get update` only when something is missing.
#
# Packages are installed with a temporary /usr/sbin/policy-rc.d that exits 101,
# so the installs do not start Debian's daemons on 0.0.0.0 (the lab starts its
# own instances on loopback aliases). The file is removed afterwards unless it
# was already there.
set -euo pipefail

PACKAGES=(
	# lab services
	nginx openssh-server openssh-client
	postgresql-15 postgresql-client-15
	redis-server redis-tools memcached
	mariadb-server mariadb-client
	vsftpd dovecot-imapd dovecot-pop3d postfix
	mosquitto mosquitto-clients
	snmpd snmp slapd ldap-utils
	dnsmasq-base chrony inetutils-telnetd
	tigervnc-standalone-server
	# part web: HTTP servers and forward proxies
	apache2 lighttpd squid tinyproxy
	# part apis: APIs, brokers, printers (lab/parts/apis.sh)
	nats-server etcd-server etcd-client docker-registry apache2-utils influxdb
	prometheus-node-exporter cups-daemon p910nd
	# part files: rsync, NFS (nfs-ganesha + rpcbind), iSCSI (tgt), X11 (Xvfb, xauth), Kerberos (MIT KDC)
	rsync rpcbind nfs-ganesha nfs-ganesha-vfs tgt xvfb xauth krb5-kdc
	# part dns (lab/parts/dns.sh): BIND 9, Unbound and NSD, recursive and
	# authoritative twins (Debian's ntpsec conflicts with chrony: the
	# mode 6/7 NTP server is labd's)
	bind9 unbound nsd
	# part udp (lab/parts/udp.sh): TFTP, SIP, CoAP; mDNS, SSDP and Samba's
	# nmbd run in the part's own network namespace
	tftpd-hpa kamailio baresip-core libcoap3-bin avahi-daemon minissdpd samba
	# part tlsdeep (lab/parts/tlsdeep.sh): a second real TLS server besides nginx
	apache2
	# part data (lab/parts/data.sh): PostgreSQL 15 and MariaDB, listed
	# above; MariaDB's file_key_management plugin ships in mariadb-server
	# plumbing used by lab.sh / netns.sh
	nftables iproute2 openssl ca-certificates util-linux procps
	curl bind9-dnsutils netcat-openbsd socat
	# peers and tools for benchmarks and report tests
	nmap masscan sslscan testssl.sh ssh-audit hyperfine tshark time
	python3-jsonschema poppler-utils chromium
	# rpm and rpmbuild: the package inventory test builds a real rpm database
	rpm
	# part smbrdp: Samba's smbd, xrdp (no NLA), FreeRDP's shadow server under Xvfb (NLA)
	samba xrdp freerdp2-shadow-x11 xvfb
)

if [[ $(id -u) -ne 0 ]]; then
	echo "install-deps.sh: must run as root" >&2
	exit 1
fi

# One dpkg-query for all packages; names it does not know are missing too.
declare -A installed=()
while read -r name status; do
	[[ $status == installed ]] && installed[$name]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)
missing=()
for p in "${PACKAGES[@]}"; do
	[[ -n ${installed[$p]:-} ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
	exit 0
fi

echo "install-deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive

policy=/usr/sbin/policy-rc.d
had_policy=0
[[ -e $policy ]] && had_policy=1
cleanup() {
	if [[ $had_policy -eq 0 ]]; then
		rm -f "$policy"
	fi
}
trap cleanup EXIT
if [[ $had_policy -eq 0 ]]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
fi

# Postfix must not ask for (or get) a mail configuration: the lab writes its own.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
# tshark: no setuid dumpcap group question.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections

apt-get -o DPkg::Lock::Timeout=300 update -q
apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}"
