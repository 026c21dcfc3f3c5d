# lab part apis: unauthenticated APIs, brokers, printers and cameras
# (issue 13). Real Debian servers where Debian has them (nats-server, etcd,
# docker-registry, influxdb, prometheus-node-exporter, cupsd, p910nd), labd
# emulators written from the documented APIs for the rest (Kubernetes API
# server and kubelet, CouchDB, RabbitMQ management, an RTSP camera, a PJL
# printer). Weak twins plant the weakness; hard twins must yield no high
# finding. Nothing here talks beyond its own alias: influxd has reporting
# disabled, etcd is a one-member cluster without discovery, cupsd browses
# nothing.
PARTS+=(apis)
DAEMONS+=" nats-server etcd registry docker-registry influxd prometheus-node prometheus-node-exporter cupsd p9100d"
apis_addrs=(127.0.2.85 127.0.2.86 127.0.2.87 127.0.2.88 127.0.2.89 127.0.2.90 127.0.2.91 127.0.2.92
	127.0.2.93 127.0.2.94 127.0.2.95 127.0.2.96 127.0.2.97 127.0.2.98 127.0.2.99)
apis_lo=()

# Credentials of the hard twins (lab only).
APIS_NATS_TOKEN=vigil-lab-nats-token
APIS_REGISTRY_PASS=vigil-lab-registry-pass

apis_layout() {
	local a=$D/apis
	mkdir -p "$a"/{nats,etcd-weak,etcd-hard,registry-weak,registry-hard,influx-weak,influx-hard,node-exporter,cups,p910nd,labd}
	mkdir -p "$a"/cups/{spool,cache,state,tmp,log,ssl}
	chmod 700 "$a"/etcd-weak "$a"/etcd-hard
}

apis_versions() {
	local out
	match V_NATS 'v([0-9.]+)' "$(nats-server --version)"
	match V_ETCD 'etcd Version: ([0-9.]+)' "$(etcd --version)"
	match V_INFLUX 'InfluxDB v([0-9.]+)' "$(influxd version)"
	match V_NODE_EXPORTER 'version ([0-9.]+)' "$(prometheus-node-exporter --version 2>&1)"
	out=$(dpkg-query -W -f='${Version}' cups-daemon)
	match V_CUPS '^([0-9]+\.[0-9]+)' "$out"
}

apis_start() {
	local a=$D/apis
	apis_versions
	leaf apis-nats-hard 127.0.2.86 IP:127.0.2.86 ec 365
	leaf apis-etcd-hard 127.0.2.88 IP:127.0.2.88 ec 365
	leaf apis-registry-hard 127.0.2.90 IP:127.0.2.90 ec 365
	leaf apis-k8s-hard 127.0.2.96 IP:127.0.2.96 ec 365

	# NATS: weak without authentication or TLS; hard with a token and TLS
	# required for every client.
	write "$a/nats/weak.conf" <<-EOF
		# nats-weak: no authorization block, no tls block
		listen: 127.0.2.85:4222
		server_name: nats-weak
		pid_file: "$a/nats/weak.pid"
	EOF
	write "$a/nats/hard.conf" <<-EOF
		# nats-hard: token authorization and TLS required
		listen: 127.0.2.86:4222
		server_name: nats-hard
		pid_file: "$a/nats/hard.pid"
		authorization { token: "$APIS_NATS_TOKEN" }
		tls {
		  cert_file: "$CERTS/apis-nats-hard.crt"
		  key_file: "$CERTS/apis-nats-hard.key"
		}
	EOF
	launch nats-weak "$a/nats" nats-server -c "$a/nats/weak.conf"
	launch nats-hard "$a/nats" nats-server -c "$a/nats/hard.conf"

	# etcd: one-member clusters. Weak: plain HTTP, no authentication; hard:
	# TLS with client certificates required (--client-cert-auth).
	launch etcd-weak "$a/etcd-weak" etcd --name weak --data-dir "$a/etcd-weak/data" \
		--listen-client-urls http://127.0.2.87:2379 --advertise-client-urls http://127.0.2.87:2379 \
		--listen-peer-urls http://127.0.2.87:2380 --initial-advertise-peer-urls http://127.0.2.87:2380 \
		--initial-cluster weak=http://127.0.2.87:2380 --initial-cluster-state new --log-level warn
	launch etcd-hard "$a/etcd-hard" etcd --name hard --data-dir "$a/etcd-hard/data" \
		--listen-client-urls https://127.0.2.88:2379 --advertise-client-urls https://127.0.2.88:2379 \
		--cert-file "$CERTS/apis-etcd-hard.crt" --key-file "$CERTS/apis-etcd-hard.key" \
		--client-cert-auth --trusted-ca-file "$D/ca.pem" \
		--listen-peer-urls http://127.0.2.88:2380 --initial-advertise-peer-urls http://127.0.2.88:2380 \
		--initial-cluster hard=http://127.0.2.88:2380 --initial-cluster-state new --log-level warn

	# Made-up data for the weak twins' evidence, stored once they answer
	# (in the background: up does not wait for it).
	(
		for _ in $(seq 150); do
			ETCDCTL_API=3 etcdctl --endpoints=http://127.0.2.87:2379 --dial-timeout=1s put /clinic/config/db-host db.clinic.test >/dev/null 2>&1 && break
			sleep 0.2
		done
		ETCDCTL_API=3 etcdctl --endpoints=http://127.0.2.87:2379 put /clinic/config/db-user clinic >/dev/null 2>&1
		ETCDCTL_API=3 etcdctl --endpoints=http://127.0.2.87:2379 put /clinic/feature/booking on >/dev/null 2>&1
		for _ in $(seq 150); do
			curl -sf -XPOST http://127.0.2.91:8086/query --data-urlencode 'q=CREATE DATABASE clinic' >/dev/null 2>&1 && break
			sleep 0.2
		done
	) >>"$D/log/apis-seed.log" 2>&1 9>&- &

	# Docker registry: weak open; hard with htpasswd (bcrypt) and TLS.
	htpasswd -Bbn vigil "$APIS_REGISTRY_PASS" >"$a/registry-hard/htpasswd" 2>/dev/null
	write "$a/registry-weak/config.yml" <<-EOF
		# registry-weak: no auth section
		version: 0.1
		log:
		  level: warn
		storage:
		  filesystem:
		    rootdirectory: $a/registry-weak/data
		http:
		  addr: 127.0.2.89:5000
	EOF
	write "$a/registry-hard/config.yml" <<-EOF
		# registry-hard: htpasswd authentication over TLS
		version: 0.1
		log:
		  level: warn
		storage:
		  filesystem:
		    rootdirectory: $a/registry-hard/data
		auth:
		  htpasswd:
		    realm: vigil-lab-registry
		    path: $a/registry-hard/htpasswd
		http:
		  addr: 127.0.2.90:5000
		  tls:
		    certificate: $CERTS/apis-registry-hard.crt
		    key: $CERTS/apis-registry-hard.key
	EOF
	launch registry-weak "$a/registry-weak" docker-registry serve "$a/registry-weak/config.yml"
	launch registry-hard "$a/registry-hard" docker-registry serve "$a/registry-hard/config.yml"

	# InfluxDB 1.x: weak auth-enabled = false, hard auth-enabled = true.
	local twin addr auth
	for twin in weak hard; do
		addr=127.0.2.91 auth=false
		[[ $twin == hard ]] && addr=127.0.2.92 auth=true
		write "$a/influx-$twin/influxdb.conf" <<-EOF
			# influx-$twin
			reporting-disabled = true
			bind-address = "$addr:8088"
			[meta]
			  dir = "$a/influx-$twin/meta"
			[data]
			  dir = "$a/influx-$twin/data"
			  wal-dir = "$a/influx-$twin/wal"
			  query-log-enabled = false
			[http]
			  enabled = true
			  bind-address = "$addr:8086"
			  auth-enabled = $auth
			  log-enabled = false
			[monitor]
			  store-enabled = false
			[continuous_queries]
			  enabled = false
			[subscriber]
			  enabled = false
		EOF
		launch "influx-$twin" "$a/influx-$twin" influxd run -config "$a/influx-$twin/influxdb.conf"
	done

	# Prometheus node exporter: metrics for anyone.
	launch node-exporter "$a/node-exporter" prometheus-node-exporter --web.listen-address=127.0.2.93:9100 \
		--collector.disable-defaults --collector.cpu --collector.loadavg --collector.meminfo --collector.uname

	# CUPS with its own configuration on the printers' alias, and p910nd, a
	# raw (JetDirect) port that copies jobs to a file.
	write "$a/cups/cupsd.conf" <<-EOF
		# cups: the web interface and IPP on the alias, no browsing
		Listen 127.0.2.94:631
		Browsing No
		BrowseLocalProtocols none
		WebInterface Yes
		LogLevel warn
		<Location />
		  Order allow,deny
		  Allow all
		</Location>
	EOF
	write "$a/cups/cups-files.conf" <<-EOF
		ServerRoot $a/cups
		RequestRoot $a/cups/spool
		CacheDir $a/cups/cache
		StateDir $a/cups/state
		TempDir $a/cups/tmp
		AccessLog $a/cups/log/access_log
		ErrorLog $a/cups/log/error_log
		PageLog $a/cups/log/page_log
		Printcap $a/cups/printcap
		FileDevice No
	EOF
	launch cups "$a/cups" cupsd -f -c "$a/cups/cupsd.conf" -s "$a/cups/cups-files.conf"
	: >"$a/p910nd/jobs"
	install -d /var/lock/p910nd # p910nd's lock directory (its init script makes it)
	launch p910nd "$a/p910nd" p910nd -d -i 127.0.2.94 -f "$a/p910nd/jobs" 0

	# labd emulators.
	local l=$a/labd
	launch k8s-weak-api "$l" "$LABD" -variant open k8s-api 127.0.2.95:8080
	launch k8s-weak-kubelet "$l" "$LABD" -variant open kubelet 127.0.2.95:10255
	local k8s=(-tls -cert "$CERTS/apis-k8s-hard.crt" -key "$CERTS/apis-k8s-hard.key" -variant secure)
	launch k8s-hard-api "$l" "$LABD" "${k8s[@]}" k8s-api 127.0.2.96:6443
	launch k8s-hard-kubelet "$l" "$LABD" "${k8s[@]}" kubelet 127.0.2.96:10250
	launch couchdb-weak "$l" "$LABD" -variant party couchdb 127.0.2.97:5984
	launch rabbitmq-weak "$l" "$LABD" rabbitmq-mgmt 127.0.2.97:15672
	launch couchdb-hard "$l" "$LABD" -variant secure couchdb 127.0.2.98:5984
	launch camera "$l" "$LABD" rtsp-camera 127.0.2.99:554
	launch printer-pjl "$l" "$LABD" pjl-printer 127.0.2.99:9100
}

apis_manifest() {
	svc nats-weak 127.0.2.85 4222 tcp nats false "NATS Server" "$V_NATS" weak "" \
		"nats-server without authorization or tls: auth.none.nats, cleartext.nats"
	svc nats-hard 127.0.2.86 4222 tcp nats false "NATS Server" "$V_NATS" hard "" \
		"nats-server with a token and a tls block (TLS required, lab-CA certificate)"
	svc etcd-weak 127.0.2.87 2379 tcp etcd false etcd "$V_ETCD" weak "" \
		"etcd over plain HTTP without authentication: auth.none.etcd (v3 range count_only)"
	svc etcd-hard 127.0.2.88 2379 tcp unknown true "" "" hard "" \
		"etcd over TLS with --client-cert-auth: without a client certificate nothing answers, so identification stops at TLS"
	svc registry-weak 127.0.2.89 5000 tcp docker-registry false "Docker Registry" "" weak "" \
		"docker-registry without an auth section: auth.none.docker-registry (/v2/_catalog)"
	svc registry-hard 127.0.2.90 5000 tcp docker-registry true "Docker Registry" "" hard "" \
		"docker-registry with htpasswd (bcrypt) authentication over TLS"
	svc influx-weak 127.0.2.91 8086 tcp influxdb false InfluxDB "$V_INFLUX" weak "" \
		"influxd with auth-enabled = false: auth.none.influxdb (SHOW DATABASES)"
	svc influx-hard 127.0.2.92 8086 tcp influxdb false InfluxDB "$V_INFLUX" hard "" \
		"influxd with auth-enabled = true"
	svc node-exporter 127.0.2.93 9100 tcp prometheus false node_exporter "$V_NODE_EXPORTER" weak "" \
		"prometheus-node-exporter: metrics for anyone (prometheus.metrics.public with --untrusted)"
	svc cups 127.0.2.94 631 tcp ipp false CUPS "$V_CUPS" weak "" \
		"cupsd with its own configuration: exposure.printer with --untrusted"
	svc p910nd 127.0.2.94 9100 tcp unknown false "" "" "" "" \
		"p910nd raw printing port: copies jobs to a file and answers nothing, so it is not identified"
	svc k8s-weak-api 127.0.2.95 8080 tcp kubernetes false Kubernetes 1.28.2 weak "" \
		"labd emulator: API server letting anonymous clients list namespaces and nodes: auth.none.kubernetes"
	svc k8s-weak-kubelet 127.0.2.95 10255 tcp kubelet false kubelet "" weak "" \
		"labd emulator: kubelet read-only port, /pods and /metrics for anyone: auth.none.kubelet"
	svc k8s-hard-api 127.0.2.96 6443 tcp kubernetes true Kubernetes 1.28.2 hard "" \
		"labd emulator: API server over TLS (lab-CA certificate), anonymous clients get 403 but /version"
	svc k8s-hard-kubelet 127.0.2.96 10250 tcp kubelet true kubelet "" hard "" \
		"labd emulator: kubelet over TLS (lab-CA certificate), anonymous authentication off (401 everywhere)"
	svc couchdb-weak 127.0.2.97 5984 tcp couchdb false CouchDB 3.3.3 weak "" \
		"labd emulator: CouchDB admin party, /_all_dbs for anyone: auth.none.couchdb"
	svc rabbitmq-weak 127.0.2.97 15672 tcp rabbitmq false RabbitMQ "" weak "" \
		"labd emulator: RabbitMQ management API accepting guest/guest remotely: auth.default.rabbitmq"
	svc couchdb-hard 127.0.2.98 5984 tcp couchdb false CouchDB 3.3.3 hard "" \
		"labd emulator: CouchDB with require_valid_user (401 without credentials)"
	svc camera 127.0.2.99 554 tcp rtsp false vigil-lab-camera 1.0 weak "" \
		"labd emulator: RTSP camera, OPTIONS answered, everything else 401: exposure.camera with --untrusted"
	svc printer-pjl 127.0.2.99 9100 tcp jetdirect false "vigil lab LaserJet 4250" "" weak "" \
		"labd emulator: raw printing port answering @PJL INFO ID: exposure.printer with --untrusted"
}
