# lab part dns: DNS servers (BIND 9 and Unbound) with open recursion,
# zone transfers to anyone and version disclosure, their hardened twins,
# and an NTP server answering mode 6 and mode 7 (labd ntp-amp) beside a
# chronyd that answers neither.
#
# Nothing leaves loopback: the resolvers' root hints name only the canary
# root server on 127.0.2.44 (a third named, authoritative for a tiny root
# zone that delegates nothing), and none has forwarders. BIND's named only
# listens on addresses an interface carries: .40, .41 and .44 go on lo.
# named runs with "controls { };" so that no rndc listener is opened on
# 127.0.0.1:953, "notify no;" so that it sends no NOTIFY, and
# "dnssec-validation no;" so that it fetches no trust anchor. The canary's
# name (a.root-canary.vigil.test) lies outside the zones the BINDs serve:
# one named under dnslab.vigil.test would find no address for it in its own
# zone and never ask it. Unbound needs "do-not-query-localhost: no" to ask
# a server on 127.0.0.0/8.
PARTS+=(dns)
DAEMONS+=" named unbound nsd"
dns_addrs=(127.0.2.40 127.0.2.41 127.0.2.42 127.0.2.43 127.0.2.44)
dns_lo=(127.0.2.40 127.0.2.41 127.0.2.44)

dns_layout() { mkdir -p "$D/dns/bind-weak" "$D/dns/bind-hard" "$D/dns/root" "$D/dns/unbound-weak" "$D/dns/unbound-hard" "$D/dns/chrony" "$D/dns/ntp" "$D/dns/nsd-weak"; }

# dns_hints FILE: root hints naming only the canary.
dns_hints() {
	write "$1" <<-EOF
		.                        3600000  NS    a.root-canary.vigil.test.
		a.root-canary.vigil.test. 3600000 A     127.0.2.44
	EOF
}

# dns_zones DIR: the lab's zones (forward and the reverse of 127.0.2.0/24).
dns_zones() {
	write "$1/dnslab.vigil.test.zone" <<-EOF
		\$TTL 300
		@       IN SOA ns1.dnslab.vigil.test. hostmaster.dnslab.vigil.test. 1 3600 600 86400 300
		@       IN NS  ns1.dnslab.vigil.test.
		@       IN NS  ns2.dnslab.vigil.test.
		ns1     IN A   127.0.2.40
		ns2     IN A   127.0.2.41
		www     IN A   127.0.2.10
		mail    IN A   127.0.2.14
		@       IN MX  10 mail.dnslab.vigil.test.
		db      IN A   127.0.2.18
		intranet IN CNAME www.dnslab.vigil.test.
		@       IN TXT "vigil lab zone: generated data only"
	EOF
	write "$1/2.0.127.in-addr.arpa.zone" <<-EOF
		\$TTL 300
		@       IN SOA ns1.dnslab.vigil.test. hostmaster.dnslab.vigil.test. 1 3600 600 86400 300
		@       IN NS  ns1.dnslab.vigil.test.
		40      IN PTR ns1.dnslab.vigil.test.
		41      IN PTR ns2.dnslab.vigil.test.
		10      IN PTR www.dnslab.vigil.test.
	EOF
}

# dns_named DIR ADDR OPTIONS ZONES: a named.conf.
dns_named() {
	local dir=$1 addr=$2 opts=$3 zones=$4
	write "$dir/named.conf" <<-EOF
		options {
		    directory "$dir";
		    pid-file "$dir/named.pid";
		    session-keyfile "$dir/session.key";
		    managed-keys-directory "$dir";
		    listen-on port 53 { $addr; };
		    listen-on-v6 { none; };
		    query-source address $addr;
		    transfer-source $addr;
		    notify no;
		    dnssec-validation no;
		    max-cache-size 16m;
		    forwarders { };
		$opts
		};
		controls { };
		logging { channel f { file "$dir/named.log"; severity info; }; category default { f; }; };
		$zones
	EOF
}

dns_start() {
	local b=$D/dns
	dns_zones "$b/bind-weak"
	dns_zones "$b/bind-hard"
	dns_hints "$b/root.hints"

	# The canary root: authoritative for ".", which delegates nothing.
	write "$b/root/root.zone" <<-EOF
		\$TTL 300
		.       IN SOA a.root-canary.vigil.test. hostmaster.dnslab.vigil.test. 1 3600 600 86400 300
		.       IN NS  a.root-canary.vigil.test.
		a.root-canary.vigil.test. IN A 127.0.2.44
	EOF
	dns_named "$b/root" 127.0.2.44 '    recursion no; allow-transfer { none; }; version none; hostname none; server-id none;' \
		"zone \".\" { type primary; file \"$b/root/root.zone\"; };"

	local zones="zone \".\" { type hint; file \"$b/root.hints\"; };
		zone \"dnslab.vigil.test\" { type primary; file \"dnslab.vigil.test.zone\"; };
		zone \"2.0.127.in-addr.arpa\" { type primary; file \"2.0.127.in-addr.arpa.zone\"; };"
	# BIND rate-limits CHAOS answers over UDP (its built-in _bind view: three
	# a second to a /24), which concurrent tests exceed: the weak twin
	# answers them from a CHAOS view of its own, without the limit. vigil
	# copes with the limit itself (identification asks the root SOA too; the
	# TCP service shows what UDP dropped).
	dns_named "$b/bind-weak" 127.0.2.40 '    recursion yes; allow-recursion { any; }; allow-query { any; }; allow-query-cache { any; };
		    allow-transfer { any; }; hostname "ns1.dnslab.vigil.test";' "view \"lab-chaos\" chaos {
		    recursion no;
		    zone \"version.bind\" chaos { type primary; database \"_builtin version\"; };
		    zone \"hostname.bind\" chaos { type primary; database \"_builtin hostname\"; };
		    zone \"id.server\" chaos { type primary; database \"_builtin id\"; };
		};
		view \"lab\" in {
		$zones
		};"
	dns_named "$b/bind-hard" 127.0.2.41 '    recursion no; allow-transfer { none; }; version none; hostname none; server-id none;' "$zones"
	launch dns-root "$b/root" named -g -u root -c "$b/root/named.conf"
	launch dns-bind-weak "$b/bind-weak" named -g -u root -c "$b/bind-weak/named.conf"
	launch dns-bind-hard "$b/bind-hard" named -g -u root -c "$b/bind-hard/named.conf"

	local u
	for u in weak hard; do
		local addr=127.0.2.42 acl="access-control: 0.0.0.0/0 allow" hide="hide-version: no
		    hide-identity: no
		    identity: \"resolver.dnslab.vigil.test\""
		if [[ $u == hard ]]; then
			# Unbound allows 127.0.0.0/8 by default: refuse it too, and
			# serve only an internal network the scanner is not in.
			addr=127.0.2.43 acl="access-control: 0.0.0.0/0 refuse
			    access-control: 127.0.0.0/8 refuse
			    access-control: 10.0.0.0/8 allow" hide="hide-version: yes
		    hide-identity: yes"
		fi
		write "$b/unbound-$u/unbound.conf" <<-EOF
			server:
			    interface: $addr
			    port: 53
			    outgoing-interface: $addr
			    do-ip6: no
			    do-daemonize: no
			    chroot: ""
			    username: ""
			    directory: "$b/unbound-$u"
			    pidfile: "$b/unbound-$u/unbound.pid"
			    use-syslog: no
			    logfile: ""
			    root-hints: "$b/root.hints"
			    do-not-query-localhost: no
			    $acl
			    $hide
		EOF
		launch "dns-unbound-$u" "$b/unbound-$u" unbound -d -c "$b/unbound-$u/unbound.conf"
	done

	# NSD, authoritative only, on port 5353 of the weak Unbound's address:
	# transfers to anyone (provide-xfr 0.0.0.0/0 NOKEY), version shown.
	local n=$b/nsd-weak
	dns_zones "$n"
	write "$n/nsd.conf" <<-EOF
		server:
		    ip-address: 127.0.2.42@5353
		    do-ip6: no
		    username: ""
		    chroot: ""
		    zonesdir: "$n"
		    database: ""
		    zonelistfile: "$n/zone.list"
		    xfrdfile: "$n/xfrd.state"
		    xfrdir: "$n"
		    pidfile: "$n/nsd.pid"
		    logfile: "$n/nsd.log"
		    hide-version: no
		    identity: "nsd.dnslab.vigil.test"
		remote-control:
		    control-enable: no
		zone:
		    name: dnslab.vigil.test
		    zonefile: dnslab.vigil.test.zone
		    provide-xfr: 0.0.0.0/0 NOKEY
	EOF
	launch dns-nsd-weak "$n" nsd -d -c "$n/nsd.conf"

	# NTP: labd plays an ntpd answering mode 6 and 7; chronyd answers neither.
	launch dns-ntp-weak "$b/ntp" "$LABD" ntp-amp 127.0.2.44:123
	write "$b/chrony/chrony.conf" <<-EOF
		# dns part: an NTP server that serves its own clock and asks no one.
		port 123
		bindaddress 127.0.2.43
		allow 127.0.0.0/8
		local stratum 8
		cmdport 0
		bindcmdaddress /
		pidfile $b/chrony/chronyd.pid
		driftfile $b/chrony/chrony.drift
		logdir $b/chrony
	EOF
	launch dns-ntp-hard "$b/chrony" chronyd -n -x -f "$b/chrony/chrony.conf" -L 0 -l "$b/chrony/chronyd.log"
}

dns_manifest() {
	local vb vu vn
	match vb '^BIND ([0-9.]+)' "$(named -v)"
	match vn 'NSD version ([0-9.]+)' "$(nsd -v 2>&1)"
	match vu 'Version ([0-9.]+)' "$(unbound -V)"
	svc dns-bind-weak 127.0.2.40 53 udp dns false BIND "$vb" weak "" \
		"recursion for anyone (root hints: the canary on 127.0.2.44 only), version.bind shows the version, hostname.bind ns1.dnslab.vigil.test"
	svc dns-bind-weak-tcp 127.0.2.40 53 tcp dns false BIND "$vb" weak "" \
		"the same over TCP; allow-transfer any: AXFR of dnslab.vigil.test (12 records) and 2.0.127.in-addr.arpa, found from the PTR of 127.0.2.40"
	svc dns-bind-hard 127.0.2.41 53 udp dns false "" "" hard "" \
		"recursion no, version none, hostname none, server-id none; serves the same zones"
	svc dns-bind-hard-tcp 127.0.2.41 53 tcp dns false "" "" hard "" \
		"the same over TCP; allow-transfer none"
	svc dns-unbound-weak 127.0.2.42 53 udp dns false Unbound "$vu" weak "" \
		"access-control 0.0.0.0/0 allow (recursion for anyone; root hints: the canary only), hide-version no"
	svc dns-unbound-hard 127.0.2.43 53 udp dns false "" "" hard "" \
		"access-control refuse for 0.0.0.0/0 and 127.0.0.0/8 (Unbound allows loopback by default), allow only 10.0.0.0/8; hide-version yes, hide-identity yes"
	svc dns-nsd-weak 127.0.2.42 5353 tcp dns false NSD "$vn" weak "" \
		"NSD, authoritative only (no recursion): provide-xfr 0.0.0.0/0 NOKEY for dnslab.vigil.test (12 records), hide-version no, identity nsd.dnslab.vigil.test"
	svc dns-root 127.0.2.44 53 udp dns false "" "" "" "" \
		"canary root server (named, authoritative for a root zone that delegates nothing) the lab's resolvers' root hints name"
	svc dns-ntp-weak 127.0.2.44 123 udp ntp false "" "" weak ntp-amp \
		"labd ntp-amp: plays ntpd 4.2.6, answers mode 6 READVAR and mode 7 MON_GETLIST_1 (10 datagrams of 6 entries) to anyone"
	svc dns-ntp-hard 127.0.2.43 123 udp ntp false "" "" hard "" \
		"chronyd, local stratum 8, no upstream servers: answers neither mode 6 nor mode 7"
}
