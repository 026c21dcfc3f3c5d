# tlsreneg: TLS servers that renegotiate at the client's request (CVE-2011-1473,
# tls.renegotiation.client-initiated) and twins that refuse, over three TLS
# implementations: OpenSSL 3 (stunnel), GnuTLS (gnutls-serv, lighttpd's
# mod_gnutls) and mbed TLS (lighttpd's mod_mbedtls).
#
# OpenSSL 3 refuses client-initiated renegotiation unless the program sets
# SSL_OP_ALLOW_CLIENT_RENEGOTIATION, as stunnel's "options =
# ALLOW_CLIENT_RENEGOTIATION" does (openssl s_server -client_renegotiation
# does too, but serves one connection at a time: an audit's parallel
# handshakes time out behind each other). gnutls-serv renegotiates whenever
# the client asks; it cannot bind one address, so it runs in a network
# namespace of its own (unshare) and socat relays 127.0.2.107:443 to it.
#
# Addresses: 127.0.2.106-108 (.109 is the part's, unused).

PARTS+=(tlsreneg)
DAEMONS+=" stunnel4 gnutls-serv lighttpd socat"
tlsreneg_addrs=(127.0.2.106 127.0.2.107 127.0.2.108 127.0.2.109)

tlsreneg_layout() {
	mkdir -p "$D"/tlsreneg/{stunnel,gnutls,www}
}

# tlsreneg_cert NAME TYPE: a key (rsa: RSA-2048, ec: P-256) and a lab-CA
# certificate for every address of the part.
tlsreneg_cert() {
	local c=$D/tlsreneg name=$1 newkey=(-newkey rsa:2048)
	[[ $2 == ec ]] && newkey=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1)
	openssl req -new "${newkey[@]}" -nodes -keyout "$c/$name.key" -subj "/O=vigil lab/CN=tlsreneg-$name" \
		-out "$c/$name.csr" 2>/dev/null || die "tlsreneg: cannot make the $name key"
	printf '%s\n' "subjectAltName=IP:127.0.2.106,IP:127.0.2.107,IP:127.0.2.108,IP:127.0.2.109" \
		"basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage=serverAuth" >"$c/$name.ext"
	openssl x509 -req -in "$c/$name.csr" -CA "$D/ca.pem" -CAkey "$D/ca.key" \
		-set_serial "$((RANDOM << 30 | RANDOM << 15 | RANDOM))" -days 365 -sha256 \
		-extfile "$c/$name.ext" -out "$c/$name.crt" 2>/dev/null || die "tlsreneg: cannot sign the $name certificate"
	cat "$c/$name.crt" "$c/$name.key" >"$c/$name.pem"
	chmod 644 "$c/$name.key" "$c/$name.pem"
}

# tlsreneg_wait_ns PID PORT: wait until the process PID runs in a network
# namespace of its own and something listens on 127.0.0.1:PORT there.
tlsreneg_wait_ns() {
	local pid=$1 port=$2 i
	for i in $(seq 1 100); do
		if [[ -e /proc/$pid/ns/net && $(readlink "/proc/$pid/ns/net") != $(readlink /proc/self/ns/net) ]] &&
			nsenter --net="/proc/$pid/ns/net" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	die "tlsreneg: gnutls-serv did not listen in its namespace (log: $D/log/tlsreneg-gnutls-weak.log)"
}

# tlsreneg_lighttpd NAME BIND PORT [MODULE]: lighttpd serving the part's
# page on BIND:PORT (BIND a path: a Unix socket), over TLS with MODULE
# (mod_gnutls, mod_mbedtls) when given.
tlsreneg_lighttpd() {
	local name=$1 bind=$2 port=$3 mod=${4:-} l=$D/tlsreneg/lighttpd-$1 c=$D/tlsreneg mods='"mod_staticfile"'
	[[ -n $mod ]] && mods="\"$mod\", $mods"
	mkdir -p "$l"
	chown www-data "$l"
	{
		echo "# tlsreneg lighttpd-$name${mod:+: TLS with $mod; lighttpd refuses client-initiated renegotiation}"
		emit <<-EOF
			server.modules = ( $mods )
			server.document-root = "$c/www"
			server.bind = "$bind"
			server.port = $port
			server.errorlog = "$l/error.log"
			server.username = "www-data"
			server.groupname = "www-data"
			index-file.names = ( "index.html" )
			mimetype.assign = ( ".html" => "text/html" )
		EOF
		if [[ -n $mod ]]; then
			emit <<-EOF
				ssl.engine = "enable"
				ssl.pemfile = "$c/rsa.crt"
				ssl.privkey = "$c/rsa.key"
				ssl.openssl.ssl-conf-cmd = ( "CipherString" => "ECDHE+AESGCM" )
			EOF
		fi
	} >"$l/lighttpd.conf"
	launch "tlsreneg-lighttpd-$name" "$l" lighttpd -D -f "$l/lighttpd.conf"
}

tlsreneg_start() {
	local c=$D/tlsreneg s=$D/tlsreneg/stunnel g=$D/tlsreneg/gnutls pid
	tlsreneg_cert rsa rsa
	tlsreneg_cert ec ec
	echo "<!doctype html><title>tlsreneg</title><p>vigil lab tlsreneg</p>" >"$c/www/index.html"

	# stunnel terminating TLS for a plain lighttpd on a Unix socket, weak
	# and hard twins in one process.
	tlsreneg_lighttpd plain "$s/http.sock" 80
	write "$s/stunnel.conf" <<-EOF
		; tlsreneg stunnel: [weak] allows client-initiated renegotiation.
		foreground = yes
		pid =
		debug = 4
		[weak]
		accept = 127.0.2.106:443
		connect = $s/http.sock
		cert = $c/rsa.crt
		key = $c/rsa.key
		ciphers = ECDHE+AESGCM:ECDHE+CHACHA20
		options = ALLOW_CLIENT_RENEGOTIATION
		[hard]
		accept = 127.0.2.106:4433
		connect = $s/http.sock
		cert = $c/rsa.crt
		key = $c/rsa.key
		ciphers = ECDHE+AESGCM:ECDHE+CHACHA20
	EOF
	launch tlsreneg-stunnel "$s" stunnel4 "$s/stunnel.conf"

	# gnutls-serv listens on every address: it gets a namespace of its own
	# with only lo, and socat relays 127.0.2.107:443 into it.
	launch tlsreneg-gnutls-weak "$g" unshare --net sh -c \
		"ip link set lo up && exec gnutls-serv --http -p 5556 --x509certfile '$c/ec.crt' --x509keyfile '$c/ec.key' --disable-client-cert --priority 'NORMAL:-VERS-TLS1.0:-VERS-TLS1.1'"
	read -r pid <"$D/run/tlsreneg-gnutls-weak.pid"
	tlsreneg_wait_ns "$pid" 5556
	write "$g/relay.sh" <<-EOF
		#!/bin/sh
		# One connection from 127.0.2.107:443 to gnutls-serv in its namespace.
		exec nsenter --net=/proc/$pid/ns/net socat STDIO TCP:127.0.0.1:5556
	EOF
	chmod 755 "$g/relay.sh"
	launch tlsreneg-gnutls-relay "$g" socat TCP-LISTEN:443,bind=127.0.2.107,fork,reuseaddr,backlog=64 EXEC:"$g/relay.sh"

	tlsreneg_lighttpd gnutls 127.0.2.108 443 mod_gnutls
	tlsreneg_lighttpd mbedtls 127.0.2.108 4433 mod_mbedtls
}

tlsreneg_manifest() {
	local vl
	vl=$(dpkg-query -W -f='${Version}' lighttpd 2>/dev/null) && vl=${vl%%-*}
	svc tlsreneg-stunnel-weak 127.0.2.106 443 tcp http true lighttpd "$vl" weak "" \
		"stunnel (OpenSSL 3) with options = ALLOW_CLIENT_RENEGOTIATION, terminating TLS for lighttpd on a Unix socket: renegotiates at the client's request (tls.renegotiation.client-initiated)"
	svc tlsreneg-stunnel-hard 127.0.2.106 4433 tcp http true lighttpd "$vl" hard "" \
		"stunnel's defaults (OpenSSL 3) in front of the same lighttpd: refuses client-initiated renegotiation with a no_renegotiation warning"
	svc tlsreneg-gnutls-weak 127.0.2.107 443 tcp http true "" "" weak "" \
		"gnutls-serv --http (GnuTLS, TLS 1.2/1.3) in its own network namespace, relayed by socat: renegotiates whenever the client asks (tls.renegotiation.client-initiated)"
	svc tlsreneg-lighttpd-gnutls 127.0.2.108 443 tcp http true lighttpd "$vl" hard "" \
		"lighttpd with mod_gnutls (GnuTLS): refuses client-initiated renegotiation (closes with close_notify)"
	svc tlsreneg-lighttpd-mbedtls 127.0.2.108 4433 tcp http true lighttpd "$vl" hard "" \
		"lighttpd with mod_mbedtls (mbed TLS): refuses client-initiated renegotiation with a no_renegotiation warning"
}
