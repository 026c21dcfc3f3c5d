# tlsdeep: TLS servers for vigil's vulnerability probes (Heartbleed, CCS
# injection, ROBOT, DROWN, CRIME, BREACH, Logjam, fallback SCSV, OCSP
# stapling, certificate key usage and subjectAltName).
#
# Debian's OpenSSL has none of the 2014–2018 flaws, so the vulnerable
# servers are labd's vuln-tls emulator (lab/cmd/labd/vulntls.go); the real
# servers are nginx and Apache httpd, each with a weak configuration (1024-bit
# DHE group at @SECLEVEL=0, HTTP compression, no OCSP stapling of a
# certificate that names a responder) and a hardened twin.
#
# Addresses: 127.0.2.32-39 (.38: xrdp, whose TLS layer the rdp upgrade
# dialect reaches).

PARTS+=(tlsdeep)
DAEMONS+=" apache2 xrdp"
tlsdeep_addrs=(127.0.2.32 127.0.2.33 127.0.2.34 127.0.2.35 127.0.2.36 127.0.2.37 127.0.2.38 127.0.2.39)

tlsdeep_layout() {
	mkdir -p "$D"/tlsdeep/{emu,xrdp,nginx-weak/tmp,nginx-hard/tmp,apache-weak/run,apache-hard/run,www}
}

# tlsdeep_cert NAME CN EXT…: an RSA-2048 key and a certificate from the lab
# CA with exactly the extension lines EXT.
tlsdeep_cert() {
	local name=$1 cn=$2 c=$D/tlsdeep
	shift 2
	openssl req -new -newkey rsa:2048 -nodes -keyout "$c/$name.key" -subj "/O=vigil lab/CN=$cn" \
		-out "$c/$name.csr" 2>/dev/null
	printf '%s\n' "$@" >"$c/$name.ext"
	openssl x509 -req -in "$c/$name.csr" -CA "$D/ca.pem" -CAkey "$D/ca.key" \
		-set_serial "$((RANDOM << 30 | RANDOM << 15 | RANDOM))" -days 365 -sha256 \
		-extfile "$c/$name.ext" -out "$c/$name.crt" 2>/dev/null
}

tlsdeep_keys() {
	local c=$D/tlsdeep pids=() p
	# The emulators' certificate: serverAuth missing from its
	# extendedKeyUsage (tls.cert.key-usage); the SSLv2 emulator on .33
	# shares its key (tls.drown).
	tlsdeep_cert emu tlsdeep-emu.vigil.test "subjectAltName=IP:127.0.2.32,IP:127.0.2.33,IP:127.0.2.34,IP:127.0.2.35" \
		"basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage=clientAuth" &
	pids+=($!)
	# Weak real servers: no subjectAltName (tls.cert.no-san) on nginx, an
	# OCSP responder named but nothing stapled (tls.ocsp-stapling.missing).
	tlsdeep_cert nginx-weak 127.0.2.36 "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
		"authorityInfoAccess=OCSP;URI:http://127.0.2.39:8080/ocsp" &
	pids+=($!)
	tlsdeep_cert apache-weak 127.0.2.37 "subjectAltName=IP:127.0.2.37" "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
		"authorityInfoAccess=OCSP;URI:http://127.0.2.39:8080/ocsp" &
	pids+=($!)
	tlsdeep_cert hard 127.0.2.39 "subjectAltName=IP:127.0.2.39" "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" &
	pids+=($!)
	tlsdeep_cert rdp 127.0.2.38 "subjectAltName=IP:127.0.2.38" "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" &
	pids+=($!)
	# A 1024-bit group (Logjam); not -dsaparam, whose X9.42 form Apache
	# httpd cannot read.
	openssl dhparam -out "$c/dh1024.pem" 1024 2>/dev/null &
	pids+=($!)
	for p in "${pids[@]}"; do wait "$p" || die "tlsdeep: key or certificate generation failed"; done
	cat "$c/emu.crt" "$c/emu.key" >"$c/emu.pem"
	# Apache httpd 2.4 with OpenSSL 3 ignores SSLOpenSSLConfCmd
	# DHParameters; it reads DH parameters appended to the certificate file.
	cat "$c/apache-weak.crt" "$c/dh1024.pem" >"$c/apache-weak-dh.crt"
	chmod 644 "$c"/*.key "$c"/*.pem
	# Enough repeated text for gzip to bother (nginx's gzip_min_length).
	local i
	{
		echo "<!doctype html><title>tlsdeep</title>"
		for i in $(seq 1 64); do echo "<p>vigil lab tlsdeep: line $i, the same words again and again</p>"; done
	} >"$D/tlsdeep/www/index.html"
}

tlsdeep_nginx() {
	local w=$D/tlsdeep/nginx-weak h=$D/tlsdeep/nginx-hard c=$D/tlsdeep common
	write "$w/openssl.cnf" <<-'EOF'
		openssl_conf = init
		[init]
		ssl_conf = ssl_sect
		[ssl_sect]
		system_default = system_default_sect
		[system_default_sect]
		MinProtocol = TLSv1
		CipherString = DEFAULT:@SECLEVEL=0
	EOF
	common="worker_processes 1;
daemon off;
user www-data;
events { worker_connections 128; }"
	write "$w/nginx.conf" <<-EOF
		# tlsdeep nginx-weak: 1024-bit DHE group, gzip, no OCSP stapling.
		$common
		pid $w/nginx.pid;
		error_log $w/error.log warn;
		http {
		    default_type text/html;
		    access_log $w/access.log;
		    client_body_temp_path $w/tmp/body;
		    proxy_temp_path $w/tmp/proxy;
		    fastcgi_temp_path $w/tmp/fastcgi;
		    uwsgi_temp_path $w/tmp/uwsgi;
		    scgi_temp_path $w/tmp/scgi;
		    root $D/tlsdeep/www;
		    gzip on;
		    gzip_min_length 64;
		    server {
		        listen 127.0.2.36:443 ssl;
		        server_name nginx-weak;
		        ssl_certificate $c/nginx-weak.crt;
		        ssl_certificate_key $c/nginx-weak.key;
		        ssl_protocols TLSv1 TLSv1.1 TLSv1.2;
		        ssl_dhparam $c/dh1024.pem;
		        ssl_ciphers "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0";
		        ssl_prefer_server_ciphers on;
		        ssl_stapling off;
		    }
		}
	EOF
	write "$h/nginx.conf" <<-EOF
		# tlsdeep nginx-hard: TLS 1.2/1.3, ECDHE AEAD only, no compression.
		$common
		pid $h/nginx.pid;
		error_log $h/error.log warn;
		http {
		    default_type text/html;
		    access_log $h/access.log;
		    client_body_temp_path $h/tmp/body;
		    proxy_temp_path $h/tmp/proxy;
		    fastcgi_temp_path $h/tmp/fastcgi;
		    uwsgi_temp_path $h/tmp/uwsgi;
		    scgi_temp_path $h/tmp/scgi;
		    root $D/tlsdeep/www;
		    server_tokens off;
		    gzip off;
		    server {
		        listen 127.0.2.39:443 ssl;
		        server_name nginx-hard;
		        ssl_certificate $c/hard.crt;
		        ssl_certificate_key $c/hard.key;
		        ssl_protocols TLSv1.2 TLSv1.3;
		        ssl_ciphers "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";
		        ssl_prefer_server_ciphers off;
		    }
		}
	EOF
	launch tlsdeep-nginx-weak "$w" env OPENSSL_CONF="$w/openssl.cnf" nginx -e "$w/error.log" -c "$w/nginx.conf"
	launch tlsdeep-nginx-hard "$h" nginx -e "$h/error.log" -c "$h/nginx.conf"
}

# tlsdeep_apache_conf DIR: the lines every Apache httpd instance needs.
tlsdeep_apache_conf() {
	local m=/usr/lib/apache2/modules
	emit <<-EOF
		ServerRoot $1
		ServerName localhost
		TypesConfig /etc/mime.types
		PidFile $1/run/httpd.pid
		DefaultRuntimeDir $1/run
		Mutex file:$1/run default
		ErrorLog $1/error.log
		LogLevel warn
		User www-data
		Group www-data
		LoadModule mpm_event_module $m/mod_mpm_event.so
		LoadModule authz_core_module $m/mod_authz_core.so
		LoadModule mime_module $m/mod_mime.so
		LoadModule dir_module $m/mod_dir.so
		LoadModule filter_module $m/mod_filter.so
		LoadModule deflate_module $m/mod_deflate.so
		LoadModule socache_shmcb_module $m/mod_socache_shmcb.so
		LoadModule ssl_module $m/mod_ssl.so
		StartServers 1
		ServerLimit 1
		ThreadsPerChild 16
		MaxRequestWorkers 16
		DocumentRoot $D/tlsdeep/www
		DirectoryIndex index.html
		<Directory $D/tlsdeep/www>
		    Require all granted
		</Directory>
		SSLSessionCache shmcb:$1/run/ssl_scache(512000)
		SSLRandomSeed startup builtin
	EOF
}

tlsdeep_apache() {
	local w=$D/tlsdeep/apache-weak h=$D/tlsdeep/apache-hard c=$D/tlsdeep
	chown www-data "$w/run" "$h/run"
	{
		echo "# tlsdeep apache-weak: 1024-bit DHE group, mod_deflate, no OCSP stapling."
		tlsdeep_apache_conf "$w"
		emit <<-EOF
			Listen 127.0.2.37:443
			AddOutputFilterByType DEFLATE text/html
			AddType text/html .html
			SSLEngine on
			SSLCertificateFile $c/apache-weak-dh.crt
			SSLCertificateKeyFile $c/apache-weak.key
			SSLProtocol -all +TLSv1 +TLSv1.1 +TLSv1.2
			SSLCipherSuite DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0
			SSLHonorCipherOrder on
			SSLUseStapling off
		EOF
	} >"$w/httpd.conf"
	{
		echo "# tlsdeep apache-hard: TLS 1.2/1.3, ECDHE AEAD only, no compression."
		tlsdeep_apache_conf "$h"
		emit <<-EOF
			Listen 127.0.2.39:8443
			AddType text/html .html
			ServerTokens Prod
			SSLEngine on
			SSLCertificateFile $c/hard.crt
			SSLCertificateKeyFile $c/hard.key
			SSLProtocol -all +TLSv1.2 +TLSv1.3
			SSLCipherSuite ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305
			SSLHonorCipherOrder off
			SSLCompression off
		EOF
	} >"$h/httpd.conf"
	launch tlsdeep-apache-weak "$w" env OPENSSL_CONF="$D/tlsdeep/nginx-weak/openssl.cnf" apache2 -f "$w/httpd.conf" -DFOREGROUND
	launch tlsdeep-apache-hard "$h" apache2 -f "$h/httpd.conf" -DFOREGROUND
}

# tlsdeep_xrdp: xrdp negotiating TLS 1.0-1.2 (at @SECLEVEL=0) after the
# X.224 exchange, so that an RDP service's TLS layer is audited like any
# other (tls.protocol.tls10 on an rdp service).
tlsdeep_xrdp() {
	local x=$D/tlsdeep/xrdp c=$D/tlsdeep
	write "$x/xrdp.ini" <<-EOF
		[Globals]
		ini_version=1
		fork=true
		port=tcp://127.0.2.38:3389
		security_layer=negotiate
		crypt_level=high
		certificate=$c/rdp.crt
		key_file=$c/rdp.key
		ssl_protocols=TLSv1, TLSv1.1, TLSv1.2
		[Logging]
		LogFile=$x/xrdp.log
		LogLevel=INFO
		EnableSyslog=false
		[Channels]
		rdpdr=false
		rdpsnd=false
		drdynvc=false
		cliprdr=false
		rail=false
		xrdpvr=false
	EOF
	launch tlsdeep-xrdp "$x" env OPENSSL_CONF="$D/tlsdeep/nginx-weak/openssl.cnf" xrdp --nodaemon --config "$x/xrdp.ini"
}

tlsdeep_start() {
	local e=$D/tlsdeep/emu v
	tlsdeep_keys
	for v in heartbleed:32 robot:33 ccs:34 crime:35; do
		launch "tlsdeep-${v%:*}" "$e" "$LABD" -cert "$D/tlsdeep/emu.pem" -variant "${v%:*}" vuln-tls "127.0.2.${v#*:}:443"
	done
	launch tlsdeep-sslv2 "$e" "$LABD" -cert "$D/tlsdeep/emu.pem" legacy-tls 127.0.2.33:2443
	tlsdeep_nginx
	tlsdeep_apache
	tlsdeep_xrdp
}

tlsdeep_manifest() {
	local n a
	n=$(nginx -v 2>&1)
	n=${n##*/}
	a=$(apache2 -v 2>/dev/null | sed -n 's|^Server version: Apache/\([0-9.]*\).*|\1|p')
	svc tlsdeep-heartbleed 127.0.2.32 443 tcp unknown true "" "" weak "" \
		"labd vuln-tls heartbleed: acknowledges the heartbeat extension and answers an over-long heartbeat request (tls.heartbleed); static RSA suites, TLS 1.0-1.2, no fallback SCSV; certificate without serverAuth (tls.cert.key-usage)"
	svc tlsdeep-robot 127.0.2.33 443 tcp unknown true "" "" weak "" \
		"labd vuln-tls robot: handshake_failure for bad PKCS#1 padding, bad_record_mac otherwise (tls.robot); its key is also served over SSLv2 on 2443 (tls.drown)"
	svc tlsdeep-sslv2 127.0.2.33 2443 tcp unknown true "" "" weak "" \
		"labd legacy-tls with the robot emulator's certificate and key: SSLv2 (tls.protocol.sslv2, tls.drown)"
	svc tlsdeep-ccs 127.0.2.34 443 tcp unknown true "" "" weak "" \
		"labd vuln-tls ccs: takes an early ChangeCipherSpec, bad_record_mac on the next record (tls.ccs-injection)"
	svc tlsdeep-crime 127.0.2.35 443 tcp unknown true "" "" weak "" \
		"labd vuln-tls crime: chooses DEFLATE (tls.compression), no renegotiation_info (tls.renegotiation.insecure)"
	svc tlsdeep-nginx-weak 127.0.2.36 443 tcp http true nginx "$n" weak "" \
		"nginx: TLS 1.0-1.2, DHE with a 1024-bit group at @SECLEVEL=0 (tls.dh.weak), gzip on (tls.breach), certificate without subjectAltName (tls.cert.no-san) naming an OCSP responder, ssl_stapling off (tls.ocsp-stapling.missing)"
	svc tlsdeep-apache-weak 127.0.2.37 443 tcp http true "Apache httpd" "$a" weak "" \
		"Apache httpd: TLS 1.0-1.2, DHE with a 1024-bit group (appended to SSLCertificateFile) at @SECLEVEL=0 (tls.dh.weak), mod_deflate (tls.breach), certificate naming an OCSP responder, SSLUseStapling off (tls.ocsp-stapling.missing)"
	svc tlsdeep-rdp 127.0.2.38 3389 tcp rdp false xrdp "" weak "" \
		"xrdp: security_layer=negotiate, TLS 1.0-1.2 at @SECLEVEL=0 after the X.224 negotiation (reached with the rdp upgrade; tls.protocol.tls10)"
	svc tlsdeep-nginx-hard 127.0.2.39 443 tcp http true nginx "" hard "" \
		"nginx: TLS 1.2/1.3, ECDHE AEAD only, gzip off, lab-CA certificate with SAN and serverAuth, no OCSP responder named"
	svc tlsdeep-apache-hard 127.0.2.39 8443 tcp http true "Apache httpd" "" hard "" \
		"Apache httpd: TLS 1.2/1.3, ECDHE AEAD only, no mod_deflate, SSLCompression off, the same certificate as nginx-hard"
}
