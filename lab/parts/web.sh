# lab part web: HTTP servers with planted weaknesses and hardened twins, two
# forward proxies, and web administration consoles (labd web-admin), for the
# http.* checks. Addresses 127.0.2.70-79.
#
#   .70 Apache weak: Debian default page, server-status and server-info for
#       all, TraceEnable On (80); autoindex at / (8080); HTTPS without HSTS (443)
#   .71 Apache hard: 80 redirects to HTTPS; 443 with HSTS, lab-CA cert,
#       TraceEnable Off, status locked to 10.9.9.0/24, no indexes
#   .72 lighttpd weak: Debian placeholder page (80); dir-listing (8080)
#   .73 lighttpd hard: a site page, listing off
#   .74 nginx weak: stub_status for all at /status
#   .75 nginx hard: stub_status at /nginx_status for 10.9.9.0/24 only
#   .76 squid (3128) and tinyproxy (8888), open to every client
#   .77 squid and tinyproxy that deny every client the lab has
#   .78 labd web-admin: Jenkins 8080, Grafana 3000, Tomcat 8081, phpMyAdmin 8082
#   .79 labd web-admin: Tomcat whose manager is address-limited (8081); also
#       the proxies' DNS server, where nothing listens
#
# The open proxies relay only to loopback: squid denies every destination
# outside 127.0.0.0/8 and ::1 (a name needs DNS, which goes to 127.0.2.79
# where nothing answers); tinyproxy's filter denies every host but 127.x
# addresses by default. Neither has a parent proxy.
PARTS+=(web)
DAEMONS+=" apache2 lighttpd squid tinyproxy"
web_addrs=(127.0.2.70 127.0.2.71 127.0.2.72 127.0.2.73 127.0.2.74 127.0.2.75 127.0.2.76 127.0.2.77 127.0.2.78 127.0.2.79)

web_layout() {
	local w=$D/web
	mkdir -p "$w"/apache-{weak,hard}/{www,run,logs} "$w"/apache-weak/files/reports \
		"$w"/lighttpd-{weak,hard}/www "$w"/lighttpd-weak/files \
		"$w"/nginx-{weak,hard}/{www,tmp} "$w"/squid-{weak,hard} "$w"/tinyproxy-{weak,hard}
	chown www-data "$w"/nginx-{weak,hard}/tmp "$w"/lighttpd-{weak,hard}
	chown proxy "$w"/squid-{weak,hard}
	chown nobody "$w"/tinyproxy-{weak,hard}
}

# web_apache NAME ADDR BODY: an Apache instance; BODY is its site config.
web_apache() {
	local a=$D/web/apache-$1 m=/usr/lib/apache2/modules mod
	{
		printf 'ServerRoot %s\nPidFile %s/run/apache2.pid\nDefaultRuntimeDir %s/run\nMutex file:%s/run default\n' "$a" "$a" "$a" "$a"
		printf 'ErrorLog %s/logs/error.log\nLogLevel warn\nUser www-data\nGroup www-data\nServerName %s\n' "$a" "$2"
		for mod in mpm_event authz_core authz_host dir mime status info autoindex alias headers ssl socache_shmcb; do
			printf 'LoadModule %s_module %s/mod_%s.so\n' "$mod" "$m" "$mod"
		done
		printf 'TypesConfig /etc/mime.types\nDirectoryIndex index.html\n'
		printf '<Directory />\n  Options None\n  AllowOverride None\n  Require all denied\n</Directory>\n'
		printf '%s\n' "$3"
	} >"$a/apache2.conf"
	launch "web-apache-$1" "$a" apache2 -f "$a/apache2.conf" -DFOREGROUND
}

web_start() {
	local w=$D/web
	leaf web-apache-hard 127.0.2.71 IP:127.0.2.71 ec 365 &
	leaf web-apache-weak 127.0.2.70 IP:127.0.2.70 ec 365
	wait $! || die "cannot make the web part's certificates"

	# Apache weak and hard.
	cp /usr/share/apache2/default-site/index.html "$w/apache-weak/www/index.html"
	echo "quarterly figures" >"$w/apache-weak/files/reports/q3.txt"
	echo "lab" >"$w/apache-weak/files/notes.txt"
	mkdir -p "$w/apache-weak/tls"
	echo '<!DOCTYPE html><html><head><title>Patient portal</title></head><body><h1>Patient portal</h1></body></html>' >"$w/apache-weak/tls/index.html"
	web_apache weak 127.0.2.70 "Listen 127.0.2.70:80
Listen 127.0.2.70:8080
Listen 127.0.2.70:443
TraceEnable On
ExtendedStatus On
<VirtualHost 127.0.2.70:80>
  DocumentRoot $w/apache-weak/www
  <Directory $w/apache-weak/www>
    Require all granted
  </Directory>
  <Location /server-status>
    SetHandler server-status
    Require all granted
  </Location>
  <Location /server-info>
    SetHandler server-info
    Require all granted
  </Location>
</VirtualHost>
<VirtualHost 127.0.2.70:443>
  DocumentRoot $w/apache-weak/tls
  SSLEngine on
  SSLCertificateFile $CERTS/web-apache-weak.crt
  SSLCertificateKeyFile $CERTS/web-apache-weak.key
  <Directory $w/apache-weak/tls>
    Require all granted
  </Directory>
</VirtualHost>
<VirtualHost 127.0.2.70:8080>
  DocumentRoot $w/apache-weak/files
  <Directory $w/apache-weak/files>
    Options +Indexes
    Require all granted
  </Directory>
</VirtualHost>"
	echo '<!DOCTYPE html><html><head><title>Clinic portal</title></head><body><h1>Clinic portal</h1></body></html>' >"$w/apache-hard/www/index.html"
	web_apache hard 127.0.2.71 "Listen 127.0.2.71:80
Listen 127.0.2.71:443
TraceEnable Off
ServerTokens Prod
ServerSignature Off
SSLProtocol -all +TLSv1.2 +TLSv1.3
SSLCipherSuite ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305
SSLSessionCache shmcb:$w/apache-hard/run/ssl_scache(512000)
<Location /server-status>
  SetHandler server-status
  Require ip 10.9.9.0/24
</Location>
<VirtualHost 127.0.2.71:80>
  Redirect permanent / https://127.0.2.71/
</VirtualHost>
<VirtualHost 127.0.2.71:443>
  DocumentRoot $w/apache-hard/www
  SSLEngine on
  SSLCertificateFile $CERTS/web-apache-hard.crt
  SSLCertificateKeyFile $CERTS/web-apache-hard.key
  Header always set Strict-Transport-Security \"max-age=31536000; includeSubDomains\"
  <Directory $w/apache-hard/www>
    Options -Indexes
    Require all granted
  </Directory>
</VirtualHost>"

	# lighttpd weak and hard.
	cp /usr/share/lighttpd/index.html "$w/lighttpd-weak/www/index.lighttpd.html"
	echo "backup" >"$w/lighttpd-weak/files/db-backup.sql.txt"
	echo '<!DOCTYPE html><html><head><title>Lab results</title></head><body><h1>Lab results</h1></body></html>' >"$w/lighttpd-hard/www/index.html"
	mkdir -p "$w/lighttpd-hard/www/files" && echo x >"$w/lighttpd-hard/www/files/a.txt"
	local l
	for l in weak hard; do
		local addr=127.0.2.72 extra='$SERVER["socket"] == "127.0.2.72:8080" {
  server.document-root = "'$w'/lighttpd-weak/files"
  dir-listing.activate = "enable"
}'
		[[ $l == hard ]] && addr=127.0.2.73 extra='server.dir-listing = "disable"'
		write "$w/lighttpd-$l/lighttpd.conf" <<-EOF
			server.modules = ( "mod_access", "mod_dirlisting", "mod_staticfile" )
			server.document-root = "$w/lighttpd-$l/www"
			server.bind = "$addr"
			server.port = 80
			server.errorlog = "$w/lighttpd-$l/error.log"
			server.username = "www-data"
			server.groupname = "www-data"
			index-file.names = ( "index.html", "index.lighttpd.html" )
			mimetype.assign = ( ".html" => "text/html", ".txt" => "text/plain", ".css" => "text/css", ".png" => "image/png" )
			$extra
		EOF
		launch "web-lighttpd-$l" "$w/lighttpd-$l" lighttpd -D -f "$w/lighttpd-$l/lighttpd.conf"
	done

	# nginx weak and hard.
	for l in weak hard; do
		local addr=127.0.2.74 status='location = /status { stub_status; }'
		[[ $l == hard ]] && addr=127.0.2.75 status='location = /nginx_status { stub_status; allow 10.9.9.0/24; deny all; }'
		echo "<!DOCTYPE html><html><head><title>Billing ($l)</title></head><body><h1>Billing</h1></body></html>" >"$w/nginx-$l/www/index.html"
		write "$w/nginx-$l/nginx.conf" <<-EOF
			daemon off;
			user www-data;
			worker_processes 1;
			pid $w/nginx-$l/nginx.pid;
			error_log $w/nginx-$l/error.log;
			events { worker_connections 64; }
			http {
				access_log off;
				client_body_temp_path $w/nginx-$l/tmp/body;
				proxy_temp_path $w/nginx-$l/tmp/proxy;
				fastcgi_temp_path $w/nginx-$l/tmp/fastcgi;
				uwsgi_temp_path $w/nginx-$l/tmp/uwsgi;
				scgi_temp_path $w/nginx-$l/tmp/scgi;
				server {
					listen $addr:80;
					root $w/nginx-$l/www;
					$status
				}
			}
		EOF
		launch "web-nginx-$l" "$w/nginx-$l" nginx -c "$w/nginx-$l/nginx.conf"
	done

	# squid: open (every client, loopback destinations only) and closed.
	for l in weak hard; do
		local addr=127.0.2.76 access='http_access deny !to_lo
http_access allow all'
		[[ $l == hard ]] && addr=127.0.2.77 access='http_access deny all'
		write "$w/squid-$l/squid.conf" <<-EOF
			acl to_lo dst 127.0.0.0/8 ::1
			$access
			http_port $addr:3128
			dns_nameservers 127.0.2.79
			hosts_file none
			cache deny all
			cache_mem 8 MB
			pid_filename none
			access_log none
			cache_store_log none
			cache_log $w/squid-$l/cache.log
			coredump_dir $w/squid-$l
			icp_port 0
			htcp_port 0
			pinger_enable off
			udp_incoming_address $addr
			shutdown_lifetime 1 seconds
		EOF
		launch "web-squid-$l" "$w/squid-$l" squid -N -n "vigilsquid$l" -f "$w/squid-$l/squid.conf"
	done

	# tinyproxy: open to every client (its filter allows only 127.x
	# destinations), and one that allows only 10.9.9.0/24.
	for l in weak hard; do
		local addr=127.0.2.76 allow='Allow 0.0.0.0/0'
		[[ $l == hard ]] && addr=127.0.2.77 allow='Allow 10.9.9.0/24'
		printf '%s\n' '^127\.[0-9]+\.[0-9]+\.[0-9]+$' >"$w/tinyproxy-$l/filter"
		write "$w/tinyproxy-$l/tinyproxy.conf" <<-EOF
			User nobody
			Group nogroup
			Port 8888
			Listen $addr
			Timeout 30
			LogLevel Warning
			MaxClients 20
			$allow
			Filter "$w/tinyproxy-$l/filter"
			FilterURLs Off
			FilterType ere
			FilterDefaultDeny Yes
			ViaProxyName "tinyproxy"
		EOF
		launch "web-tinyproxy-$l" "$w/tinyproxy-$l" tinyproxy -d -c "$w/tinyproxy-$l/tinyproxy.conf"
	done

	# Administration consoles.
	local c=$D/labd-run
	mkdir -p "$c"
	launch web-jenkins "$c" "$LABD" -product jenkins web-admin 127.0.2.78:8080
	launch web-grafana "$c" "$LABD" -product grafana web-admin 127.0.2.78:3000
	launch web-tomcat "$c" "$LABD" -product tomcat web-admin 127.0.2.78:8081
	launch web-phpmyadmin "$c" "$LABD" -product phpmyadmin web-admin 127.0.2.78:8082
	launch web-tomcat-hard "$c" "$LABD" -product tomcat-hard web-admin 127.0.2.79:8081
}

web_manifest() {
	local va vl vs vt
	va=$(dpkg-query -W -f='${Version}' apache2-bin 2>/dev/null) && va=${va%%-*}
	vl=$(dpkg-query -W -f='${Version}' lighttpd 2>/dev/null) && vl=${vl%%-*}
	vs=$(dpkg-query -W -f='${Version}' squid 2>/dev/null) && vs=${vs%%-*}
	vt=$(dpkg-query -W -f='${Version}' tinyproxy-bin 2>/dev/null) && vt=${vt%%-*}
	svc web-apache-weak 127.0.2.70 80 tcp http false "Apache httpd" "$va" weak "" \
		"Debian default page at /, server-status and server-info for all (ExtendedStatus On), TraceEnable On"
	svc web-apache-weak-index 127.0.2.70 8080 tcp http false "Apache httpd" "$va" weak "" "Options +Indexes: autoindex at /"
	svc web-apache-weak-https 127.0.2.70 443 tcp http true "Apache httpd" "$va" weak "" "HTTPS (lab-CA cert) without Strict-Transport-Security; TraceEnable On"
	svc web-apache-hard 127.0.2.71 80 tcp http false "Apache httpd" "" hard "" "ServerTokens Prod; only a 301 to https://127.0.2.71/"
	svc web-apache-hard-https 127.0.2.71 443 tcp http true "Apache httpd" "" hard "" \
		"TLS 1.2/1.3 ECDHE AEAD, lab-CA ECDSA cert; HSTS max-age=31536000; TraceEnable Off; server-status only for 10.9.9.0/24; Options -Indexes"
	svc web-lighttpd-weak 127.0.2.72 80 tcp http false lighttpd "$vl" weak "" "Debian placeholder page (index.lighttpd.html) at /"
	svc web-lighttpd-weak-index 127.0.2.72 8080 tcp http false lighttpd "$vl" weak "" "dir-listing.activate enable: listing at /"
	svc web-lighttpd-hard 127.0.2.73 80 tcp http false lighttpd "$vl" hard "" "a site page at /, dir-listing disabled (/files/ has no index)"
	svc web-nginx-weak 127.0.2.74 80 tcp http false nginx "$V_NGINX" weak "" "stub_status for all at /status"
	svc web-nginx-hard 127.0.2.75 80 tcp http false nginx "$V_NGINX" hard "" "stub_status at /nginx_status for 10.9.9.0/24 only"
	svc web-squid-weak 127.0.2.76 3128 tcp http false squid "$vs" weak "" \
		"http_access allow all (GET and CONNECT) after deny !to_lo: relays to loopback only; DNS 127.0.2.79 (nothing there), no parent"
	svc web-tinyproxy-weak 127.0.2.76 8888 tcp http false tinyproxy "$vt" weak "" \
		"Allow 0.0.0.0/0; FilterDefaultDeny with 127.x only: relays to loopback only"
	svc web-squid-hard 127.0.2.77 3128 tcp http false squid "$vs" hard "" "http_access deny all"
	svc web-tinyproxy-hard 127.0.2.77 8888 tcp http false tinyproxy "$vt" hard "" "Allow 10.9.9.0/24 only"
	svc web-jenkins 127.0.2.78 8080 tcp http false Jenkins 2.426.1 weak "" \
		"labd web-admin: X-Jenkins: 2.426.1, 403 + /login for anonymous users"
	svc web-grafana 127.0.2.78 3000 tcp http false "" "" weak "" \
		"labd web-admin: / redirects to /login (no Server header: the HTTP audit names Grafana 10.2.3 from /api/health)"
	svc web-tomcat 127.0.2.78 8081 tcp http false "" "" weak "" \
		"labd web-admin: Tomcat default page at /; /manager/html 401 realm Tomcat Manager Application"
	svc web-phpmyadmin 127.0.2.78 8082 tcp http false "Apache httpd" 2.4.57 weak "" "labd web-admin: phpMyAdmin 5.2.1 login page at /phpmyadmin/"
	svc web-tomcat-hard 127.0.2.79 8081 tcp http false "" "" hard "" \
		"labd web-admin: application page at /; /manager/html 403 Access Denied (RemoteAddrValve), no challenge"
}
