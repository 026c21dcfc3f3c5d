# lab part udp: UDP services identified by content — TFTP (tftpd-hpa), SIP
# (Kamailio, UDP and TCP; the baresip user agent), CoAP (libcoap's coap-server) on loopback
# aliases, and in a network namespace of the part's own the services that
# multicast or broadcast: mDNS (avahi-daemon), SSDP (MiniSSDPd, with two
# UPnP services registered through its socket) and the NetBIOS name service
# (Samba's nmbd). MiniDLNA would be the natural SSDP server, but it binds
# its SSDP socket to 239.255.255.250:1900, where no unicast M-SEARCH
# arrives; MiniSSDPd binds 0.0.0.0:1900 and answers them.
#
# The namespace vigil-lab-udp holds one end of a veth pair (10.78.9.2/24);
# the other end (10.78.9.1/24) stays in the root namespace so that vigil and
# the tests reach the services there. An nftables ruleset in the namespace
# drops every multicast and broadcast packet on its way out, and IPv6 is off
# on both ends: the daemons' announcements never leave the namespace; only
# unicast answers to the scanner do. The root namespace gets no route
# beyond 10.78.9.0/24.

PARTS+=(udp)
DAEMONS+=" in.tftpd kamailio baresip coap-server-not avahi-daemon minissdpd nmbd"
udp_addrs=(127.0.2.100 127.0.2.101 127.0.2.102 127.0.2.103 127.0.2.104 127.0.2.105)
udp_lo=()

UDP_NS=vigil-lab-udp
UDP_VETH_ROOT=vudp0
UDP_VETH_NS=vudp1
UDP_ROOT_ADDR=10.78.9.1
UDP_NS_ADDR=10.78.9.2

# udp_netns_down removes the namespace and the veth pair (the daemons in it
# were stopped before, as every lab daemon is).
udp_netns_down() {
	local pids
	if [[ -e /run/netns/$UDP_NS ]]; then
		# Every process in the namespace is the lab's: this part made it.
		pids=$(ip netns pids "$UDP_NS" 2>/dev/null | tr '\n' ' ')
		[[ -n ${pids// /} ]] && kill -KILL $pids 2>/dev/null || true
		ip netns del "$UDP_NS" 2>/dev/null || true
	fi
	ip link del "$UDP_VETH_ROOT" 2>/dev/null || true
}

udp_netns_up() {
	udp_netns_down
	ip netns add "$UDP_NS" || die "cannot create the namespace $UDP_NS"
	ip link add "$UDP_VETH_ROOT" type veth peer name "$UDP_VETH_NS" || die "cannot create the veth pair $UDP_VETH_ROOT"
	ip link set "$UDP_VETH_NS" netns "$UDP_NS"
	sysctl -q -w "net.ipv6.conf.$UDP_VETH_ROOT.disable_ipv6=1" || true
	ip netns exec "$UDP_NS" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
	ip addr add "$UDP_ROOT_ADDR/24" dev "$UDP_VETH_ROOT"
	ip link set "$UDP_VETH_ROOT" up
	ip netns exec "$UDP_NS" ip addr add "$UDP_NS_ADDR/24" dev "$UDP_VETH_NS"
	ip netns exec "$UDP_NS" ip link set lo up
	ip netns exec "$UDP_NS" ip link set "$UDP_VETH_NS" up
	# Nothing multicast or broadcast leaves the namespace.
	ip netns exec "$UDP_NS" nft -f - <<-EOF || die "cannot load the nftables ruleset of $UDP_NS"
		table inet udplab {
			chain output {
				type filter hook output priority 0; policy accept;
				oifname "lo" accept
				ip daddr 224.0.0.0/4 drop
				ip daddr 255.255.255.255 drop
				ip daddr 10.78.9.255 drop
				meta pkttype { broadcast, multicast } drop
				meta nfproto ipv6 drop
			}
		}
	EOF
}

udp_layout() {
	local u=$D/udp
	mkdir -p "$u"/{tftp-weak,tftp-hard,sip-weak,sip-hard,sip-ua,coap,avahi,ssdp,samba/{lock,state,cache,private,pid}}
	# The weak TFTP root takes uploads (--create) and holds a
	# configuration a device would fetch; the hard one is read-only.
	printf 'hostname lab-switch\nenable secret 5 $1$lab$notarealhash\n' >"$u/tftp-weak/switch.cfg"
	chmod 777 "$u/tftp-weak"
	printf 'pxelinux\n' >"$u/tftp-hard/pxelinux.cfg"
	chmod 755 "$u/tftp-hard"
	udp_netns_up
}

# udp_kamailio FILE ADDR SIGNATURE: a Kamailio that answers OPTIONS itself
# and refuses every other request; it forwards nothing and looks up no name.
udp_kamailio() {
	cat >"$1" <<-EOF
		#!KAMAILIO
		debug=1
		log_stderror=yes
		children=1
		tcp_children=1
		listen=udp:$2:5060
		listen=tcp:$2:5060
		dns=no
		rev_dns=no
		use_dns_cache=off
		auto_aliases=no
		server_signature=$3
		mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
		loadmodule "sl.so"
		request_route {
			if (method == "OPTIONS") {
				sl_send_reply("200", "OK");
				exit;
			}
			sl_send_reply("403", "Forbidden");
			exit;
		}
	EOF
}

# udp_ssdp_str S: S preceded by S's length as MiniSSDPd's one-byte code length (S is
# shorter than 128 bytes).
udp_ssdp_str() { printf "\\x$(printf %02x "${#1}")%s" "$1"; }

# udp_ssdp_register SOCKET: once MiniSSDPd listens, submit a root device and
# a media server (request type 4: ST, USN, SERVER, LOCATION), which it then
# announces and names in its answers to M-SEARCH.
udp_ssdp_register() {
	local sock=$1 i st server loc
	for i in $(seq 100); do
		[[ -S $sock ]] && break
		sleep 0.05
	done
	server="Debian/12 UPnP/1.1 MiniSSDPd/$V_UDP_MINISSDPD"
	loc="http://$UDP_NS_ADDR:8200/rootDesc.xml"
	for st in upnp:rootdevice urn:schemas-upnp-org:device:MediaServer:1; do
		# MiniSSDPd takes a request from one read: write it whole.
		{
			printf '\x04'
			udp_ssdp_str "$st"
			udp_ssdp_str "uuid:4d696e69-444c-164e-9d41-vigillab::$st"
			udp_ssdp_str "$server"
			udp_ssdp_str "$loc"
		} >"$sock.req"
		socat -u "OPEN:$sock.req" "UNIX-CONNECT:$sock" || echo "cannot register $st with minissdpd" >>"$D/log/udp-ssdp.log"
	done
}

udp_start() {
	local u=$D/udp
	udp_versions
	# TFTP: tftpd-hpa in the foreground (-L), chrooted to its own root.
	launch udp-tftp-weak "$u/tftp-weak" in.tftpd -L -v --address 127.0.2.100:69 --user nobody --create --permissive --secure "$u/tftp-weak"
	launch udp-tftp-hard "$u/tftp-hard" in.tftpd -L --address 127.0.2.101:69 --user nobody --secure "$u/tftp-hard"

	# SIP: Kamailio with and without its Server header.
	udp_kamailio "$u/sip-weak/kamailio.cfg" 127.0.2.102 yes
	udp_kamailio "$u/sip-hard/kamailio.cfg" 127.0.2.103 no
	launch udp-sip-weak "$u/sip-weak" kamailio -DD -E -f "$u/sip-weak/kamailio.cfg" -Y "$u/sip-weak" -P "$u/sip-weak/kamailio.pid"
	launch udp-sip-hard "$u/sip-hard" kamailio -DD -E -f "$u/sip-hard/kamailio.cfg" -Y "$u/sip-hard" -P "$u/sip-hard/kamailio.pid"

	# SIP user agent: baresip without accounts (it registers nowhere and
	# resolves nothing; its DNS server is a closed port on its own alias).
	cat >"$u/sip-ua/config" <<-EOF
		sip_listen 127.0.2.105:5060
		sip_transports udp,tcp
		dns_server 127.0.2.105:53
		dns_fallback 127.0.2.105:53
		module_path /usr/lib/baresip/modules
		module g711.so
	EOF
	: >"$u/sip-ua/accounts"
	: >"$u/sip-ua/contacts"
	launch udp-sip-ua "$u/sip-ua" baresip -f "$u/sip-ua"

	# CoAP: libcoap's example server (/.well-known/core, /time, /async).
	launch udp-coap "$u/coap" coap-server-notls -A 127.0.2.104 -p 5683

	# In the namespace: mDNS, SSDP, NetBIOS name service.
	cat >"$u/avahi/avahi-daemon.conf" <<-EOF
		[server]
		host-name=vigil-lab-udp
		domain-name=local
		use-ipv4=yes
		use-ipv6=no
		allow-interfaces=$UDP_VETH_NS
		enable-dbus=no
		[wide-area]
		enable-wide-area=no
		[publish]
		publish-addresses=yes
		publish-hinfo=no
		publish-workstation=yes
		publish-domain=no
		[reflector]
		enable-reflector=no
		[rlimits]
	EOF
	launch udp-avahi "$u/avahi" ip netns exec "$UDP_NS" avahi-daemon -f "$u/avahi/avahi-daemon.conf" --no-drop-root --no-chroot --no-rlimits --no-proc-title

	launch udp-ssdp "$u/ssdp" ip netns exec "$UDP_NS" minissdpd -d -i "$UDP_VETH_NS" -s "$u/ssdp/minissdpd.sock" -p "$u/ssdp/minissdpd.pid"
	udp_ssdp_register "$u/ssdp/minissdpd.sock" 9>&- &

	cat >"$u/samba/smb.conf" <<-EOF
		[global]
		workgroup = VIGILLAB
		netbios name = LABNBNS
		interfaces = $UDP_NS_ADDR/24
		bind interfaces only = yes
		local master = no
		domain master = no
		preferred master = no
		wins support = no
		dns proxy = no
		lock directory = $u/samba/lock
		state directory = $u/samba/state
		cache directory = $u/samba/cache
		private dir = $u/samba/private
		pid directory = $u/samba/pid
		log file = $u/samba/nmbd.log
	EOF
	launch udp-nmbd "$u/samba" ip netns exec "$UDP_NS" nmbd -F --no-process-group -d 1 -s "$u/samba/smb.conf"
}

udp_down() { udp_netns_down; }

# udp_versions: the versions the part's services reveal, from the packages.
udp_versions() {
	V_UDP_KAMAILIO=$(dpkg-query -W -f='${Version}' kamailio 2>/dev/null)
	V_UDP_KAMAILIO=${V_UDP_KAMAILIO%%-*}
	V_UDP_BARESIP=$(dpkg-query -W -f='${Version}' baresip-core 2>/dev/null)
	V_UDP_BARESIP=${V_UDP_BARESIP%%-*}
	V_UDP_MINISSDPD=$(dpkg-query -W -f='${Version}' minissdpd 2>/dev/null)
	V_UDP_MINISSDPD=${V_UDP_MINISSDPD%%-*}
}

udp_manifest() {
	local vk vm
	udp_versions
	vk=$V_UDP_KAMAILIO vm=$V_UDP_MINISSDPD
	svc udp-tftp-weak 127.0.2.100 69 udp tftp false "" "" weak "" \
		"tftpd-hpa --create --permissive: uploads allowed; serves switch.cfg; tftp.open (medium; high with --untrusted)"
	svc udp-tftp-hard 127.0.2.101 69 udp tftp false "" "" hard "" \
		"tftpd-hpa --secure, read-only: still TFTP (tftp.open medium), no high finding"
	svc udp-sip-weak 127.0.2.102 5060 udp sip false Kamailio "$vk" weak "" \
		"Kamailio: answers OPTIONS with 200 and Server: kamailio (VERSION …), refuses the rest; no DNS, forwards nothing"
	svc udp-sip-weak-tcp 127.0.2.102 5060 tcp sip false Kamailio "$vk" weak "" "the same Kamailio over TCP"
	svc udp-sip-hard 127.0.2.103 5060 udp sip false "" "" hard "" \
		"Kamailio with server_signature=no: answers OPTIONS without naming itself"
	svc udp-sip-ua 127.0.2.105 5060 udp sip false baresip "$V_UDP_BARESIP" "" "" \
		"baresip user agent without accounts: answers OPTIONS (404) with User-Agent baresip vVERSION"
	svc udp-coap 127.0.2.104 5683 udp coap false "" "" "" "" \
		"libcoap coap-server-notls: /.well-known/core lists its resources"
	svc udp-mdns "$UDP_NS_ADDR" 5353 udp mdns false "" "" "" "" \
		"avahi-daemon in namespace $UDP_NS: legacy unicast answers list _workstation._tcp"
	svc udp-ssdp "$UDP_NS_ADDR" 1900 udp ssdp false MiniSSDPd "$vm" "" "" \
		"minissdpd in namespace $UDP_NS with a root device and a media server registered: unicast M-SEARCH answers name SERVER: … MiniSSDPd/VERSION"
	svc udp-netbios "$UDP_NS_ADDR" 137 udp netbios-ns false "" "" "" "" \
		"Samba nmbd in namespace $UDP_NS: node status lists LABNBNS and the workgroup VIGILLAB"
}
