package check

import (
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/proto"
)

// apisChecks are the checks of APIs, brokers, printers and cameras
// (issue 13), judged by judgeAPIs.
var apisChecks = []Check{
	{ID: "auth.none.nats", Severity: finding.Critical, Title: "NATS server accepts clients without credentials",
		Rationale: "Anyone who reaches the port can subscribe to every subject (and read every message) and publish.",
		Fix:       "Configure authorization (token, users with bcrypt passwords, or nkeys) in the nats-server configuration.", Frameworks: fwNoAuth},
	{ID: "cleartext.nats", Severity: finding.High, Title: "NATS speaks in cleartext",
		Rationale: "Messages, and any token or password clients send in CONNECT, cross the network unencrypted.",
		Fix:       "Give nats-server a tls block (certificate and key) so that every client must use TLS.", Frameworks: fwTransport},
	{ID: "auth.none.kubernetes", Severity: finding.Critical, Title: "Kubernetes API answers anonymous requests for cluster data",
		Rationale: "An anonymous client that can list namespaces or nodes maps the cluster, and bindings that allow it are often broader.",
		Fix:       "Run kube-apiserver with --anonymous-auth=false, or remove the RBAC bindings that grant system:anonymous or system:unauthenticated more than discovery.", Frameworks: fwNoAuth},
	{ID: "auth.none.kubelet", Severity: finding.Critical, Title: "kubelet API answers without authentication",
		Rationale: "The kubelet API lists every pod with its specification and, with anonymous access, can run commands in containers.",
		Fix:       "Set authentication.anonymous.enabled: false, authorization.mode: Webhook and readOnlyPort: 0 in the kubelet configuration.", Frameworks: fwNoAuth},
	{ID: "auth.none.etcd", Severity: finding.Critical, Title: "etcd key space readable without authentication",
		Rationale: "etcd holds its users' whole state (for Kubernetes: every secret); anyone who reaches it can read and change it.",
		Fix:       "Require client certificates (--client-cert-auth with --trusted-ca-file) or enable etcd authentication (etcdctl auth enable).", Frameworks: fwNoAuth},
	{ID: "auth.none.docker-registry", Severity: finding.Critical, Title: "Docker registry lists repositories without authentication",
		Rationale: "Anyone can pull every image (with the code and secrets baked into it) and often push replacements.",
		Fix:       "Configure the registry's auth section (htpasswd or token) and serve it over TLS.", Frameworks: fwNoAuth},
	{ID: "auth.none.couchdb", Severity: finding.Critical, Title: "CouchDB answers without credentials",
		Rationale: "In the \"admin party\" anyone is an administrator: every database can be read, changed or deleted.",
		Fix:       "Create an admin user and set require_valid_user = true.", Frameworks: fwNoAuth},
	{ID: "auth.none.influxdb", Severity: finding.Critical, Title: "InfluxDB answers queries without credentials",
		Rationale: "With auth-enabled = false anyone can read, write and drop every database.",
		Fix:       "Create an admin user and set auth-enabled = true in the [http] section.", Frameworks: fwNoAuth},
	{ID: "auth.default.rabbitmq", Severity: finding.Critical, Title: "RabbitMQ management API accepts guest/guest",
		Rationale: "guest is an administrator: whoever logs in controls every queue, user and policy of the broker.",
		Fix:       "Delete the guest user (or change its password) and keep loopback_users.guest = true.", Frameworks: fwDefaults},
	{ID: "prometheus.metrics.public", Severity: finding.Medium, Title: "Prometheus metrics readable from an untrusted network",
		Rationale: "Metrics reveal host names, software versions, file systems, network interfaces and load: a map for an attacker.",
		Fix:       "Require authentication and TLS (--web.config.file) or bind the endpoint to the network the Prometheus server scrapes from.", Frameworks: fwExposure},
	{ID: "exposure.printer", Severity: finding.Medium, Title: "Printer or print server reachable from an untrusted network",
		Rationale: "Printers run old firmware and accept jobs and PJL commands from anyone: they leak documents and serve as footholds.",
		Fix:       "Put printers on a network of their own and allow IPP, JetDirect and LPD only from the print server or the office network.", Frameworks: fwExposure},
	{ID: "exposure.camera", Severity: finding.High, Title: "Camera or media stream reachable from an untrusted network",
		Rationale: "RTSP cameras often stream without credentials or with default ones, and their firmware is rarely patched.",
		Fix:       "Put cameras on a network of their own, reach them only through the recorder or a VPN, and firewall RTSP.", Frameworks: fwExposure},
}

// apiNoAuth names, for each protocol audited by apiaudit, the auth.none
// check that judges it.
var apiNoAuth = map[string]string{
	proto.NATS:           "auth.none.nats",
	proto.Kubernetes:     "auth.none.kubernetes",
	proto.Kubelet:        "auth.none.kubelet",
	proto.Etcd:           "auth.none.etcd",
	proto.DockerRegistry: "auth.none.docker-registry",
	proto.CouchDB:        "auth.none.couchdb",
	proto.InfluxDB:       "auth.none.influxdb",
}

// judgeAPIs judges what the API audit learnt (facts.APIAccess): APIs and
// brokers that answer without credentials or with the vendor's default,
// NATS without TLS, and, for scans from an untrusted network, metrics,
// printers and cameras that answer at all.
func judgeAPIs(in Input) []Hit {
	s := in.Service
	if s == nil {
		return nil
	}
	var hits []Hit
	if in.Untrusted {
		hits = append(hits, apiExposure(s)...)
	}
	a := s.API
	if a == nil {
		return hits
	}
	if id, ok := apiNoAuth[s.Name]; ok {
		if h, ok := apiNoAuthHit(s, id, a); ok {
			hits = append(hits, h)
		}
	}
	if s.Name == proto.NATS && !s.TLS && a.TLSRequired != nil && !*a.TLSRequired {
		ev := fmt.Sprintf("the NATS server%s on %s/%d says tls_required false in its INFO line", productNote(s), s.Transport, s.Port)
		if a.TLSAvailable != nil && *a.TLSAvailable {
			ev += " (tls_available true: clients may use TLS, but need not)"
		}
		ev += "; messages and credentials cross the network in cleartext"
		hits = append(hits, Hit{Check: "cleartext.nats", Evidence: ev, Fix: apiFix("cleartext.nats", s)})
	}
	if s.Name == proto.RabbitMQ && a.DefaultLogin != "" {
		ev := fmt.Sprintf("the RabbitMQ management API%s on %s/%d accepted %s for GET /api/overview", productNote(s), s.Transport, s.Port, a.DefaultLogin)
		hits = append(hits, Hit{Check: "auth.default.rabbitmq", Evidence: ev, Fix: apiFix("auth.default.rabbitmq", s)})
	}
	if s.Name == proto.Prometheus && in.Untrusted && len(a.Open) > 0 {
		ev := fmt.Sprintf("%s%s on %s/%d answered %s without credentials (%s) to a scan run from a network marked untrusted (--untrusted)",
			proto.Display(s.Name), productNote(s), s.Transport, s.Port, a.Open[0].Request, a.Open[0].Revealed)
		hits = append(hits, Hit{Check: "prometheus.metrics.public", Evidence: ev, Fix: apiFix("prometheus.metrics.public", s)})
	}
	return hits
}

// apiNoAuthHit is the auth.none finding of an API: the server said it
// wants no authentication, or a request was answered without credentials.
func apiNoAuthHit(s *facts.Service, id string, a *facts.APIAccess) (Hit, bool) {
	var parts []string
	// A server that says it wants no authentication but refused the
	// client all the same (an account system the INFO line does not
	// announce) is judged by what it did.
	if a.AuthRequired != nil && !*a.AuthRequired && (len(a.Refused) == 0 || len(a.Open) > 0) {
		parts = append(parts, "its INFO line says auth_required false")
	}
	for _, r := range a.Open {
		p := r.Request + " was answered without credentials"
		if r.Revealed != "" {
			p += ": " + r.Revealed
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return Hit{}, false
	}
	return Hit{Check: id, Evidence: noAuthEvidence(proto.Display(s.Name), s, strings.Join(parts, "; ")), Fix: apiFix(id, s)}, true
}

// apiExposure is exposure.printer or exposure.camera for a service a scan
// from an untrusted network reached.
func apiExposure(s *facts.Service) []Hit {
	where := fmt.Sprintf("%s/%d", s.Transport, s.Port)
	switch proto.KindOf(s.Name) {
	case proto.Printing:
		return []Hit{{Check: "exposure.printer",
			Evidence: fmt.Sprintf("%s%s on %s answered a scan run from a network marked untrusted (--untrusted)", proto.Display(s.Name), productNote(s), where),
			Fix:      apiFix("exposure.printer", s)}}
	case proto.Media:
		return []Hit{{Check: "exposure.camera",
			Evidence: fmt.Sprintf("%s%s on %s answered a scan run from a network marked untrusted (--untrusted)", proto.Display(s.Name), productNote(s), where),
			Fix:      apiFix("exposure.camera", s)}}
	}
	return nil
}

// apiFix is the fix of check id for s: the product's own where vigil knows
// it.
func apiFix(id string, s *facts.Service) string {
	switch id {
	case "auth.none.nats":
		return "In the nats-server configuration file (the one given with -c) add an authorization block: authorization { token: \"LONG-RANDOM-SECRET\" }, or users with bcrypt passwords (authorization { users = [ {user: app, password: \"$2a$11$…\"} ] }, hashes from nats server passwd), or nkeys; " +
			"then nats-server --signal reload (or restart it) and give the clients their credentials."
	case "cleartext.nats":
		return "Add a tls block to the nats-server configuration: tls { cert_file: \"/etc/nats/server.pem\", key_file: \"/etc/nats/server-key.pem\" } (and ca_file with verify: true to require client certificates); with a tls block every client must use TLS (do not set allow_non_tls). Then restart nats-server."
	case "auth.none.kubernetes":
		return "On every API server set --anonymous-auth=false (kubeadm: /etc/kubernetes/manifests/kube-apiserver.yaml; the kubelet restarts the static pod), or keep anonymous discovery and remove what grants more: " +
			"kubectl get clusterrolebindings,rolebindings -A -o wide | grep -E 'system:(anonymous|unauthenticated)' and kubectl delete the bindings found beyond system:public-info-viewer and system:discovery. Never run --authorization-mode=AlwaysAllow."
	case "auth.none.kubelet":
		return "In the kubelet configuration (/var/lib/kubelet/config.yaml) set authentication: anonymous: enabled: false and webhook: enabled: true, authorization: mode: Webhook, and readOnlyPort: 0 (closes 10255); then systemctl restart kubelet. " +
			"With flags instead: --anonymous-auth=false --authorization-mode=Webhook --read-only-port=0."
	case "auth.none.etcd":
		return "Require client certificates: serve clients over TLS with --listen-client-urls https://…, --cert-file, --key-file, --client-cert-auth=true and --trusted-ca-file (Debian: ETCD_LISTEN_CLIENT_URLS, ETCD_CERT_FILE, ETCD_KEY_FILE, ETCD_CLIENT_CERT_AUTH=true, ETCD_TRUSTED_CA_FILE in /etc/default/etcd), then systemctl restart etcd; " +
			"and/or turn on authentication: etcdctl user add root, etcdctl auth enable. Keep the client port reachable only from the members and the API servers."
	case "auth.none.docker-registry":
		return "In the registry configuration (Debian: /etc/docker/registry/config.yml) add auth: htpasswd: realm: registry and path: /etc/docker/registry/htpasswd, create the file with htpasswd -Bc /etc/docker/registry/htpasswd USER (package apache2-utils; bcrypt is the only hash the registry accepts), " +
			"and serve TLS (http: tls: certificate: and key:) since Basic authentication sends the password; then systemctl restart docker-registry."
	case "auth.none.couchdb":
		return "End the admin party: define an administrator in the [admins] section of /opt/couchdb/etc/local.ini (admin = PASSWORD, hashed when CouchDB starts), set require_valid_user = true in [chttpd] (CouchDB 3: [chttpd_auth] require_valid_user_except_for_up = true keeps /_up for health checks) and admin_only_all_dbs = true, then restart CouchDB (systemctl restart couchdb)."
	case "auth.none.influxdb":
		if strings.HasPrefix(s.Version, "2") {
			return "InfluxDB 2 requires tokens: remove any proxy or setting that bypasses them, and keep the API behind TLS."
		}
		return "Create an administrator first: influx -execute \"CREATE USER admin WITH PASSWORD 'LONG-RANDOM-PASSWORD' WITH ALL PRIVILEGES\"; then in /etc/influxdb/influxdb.conf set auth-enabled = true in the [http] section (and https-enabled = true with https-certificate), and systemctl restart influxdb. Clients then authenticate with -username/-password or the u and p parameters over HTTPS."
	case "auth.default.rabbitmq":
		return "Create an administrator of your own (rabbitmqctl add_user admin, rabbitmqctl set_user_tags admin administrator, rabbitmqctl set_permissions -p / admin '.*' '.*' '.*'), then rabbitmqctl delete_user guest; " +
			"keep loopback_users.guest = true in /etc/rabbitmq/rabbitmq.conf (the default since RabbitMQ 3.3: remove a loopback_users = none line) so that guest, if it exists, can only log in from the broker's host."
	case "prometheus.metrics.public":
		flag := "--web.config.file=/etc/prometheus/web.yml"
		if strings.EqualFold(s.Product, "node_exporter") {
			flag = "--web.config.file=/etc/prometheus/web.yml (on Debian in ARGS of /etc/default/prometheus-node-exporter)"
		}
		return fmt.Sprintf("Require authentication and TLS: start the endpoint with %s holding tls_server_config (cert_file, key_file) and basic_auth_users (user: bcrypt hash, from htpasswd -nBC 10 USER), and give the Prometheus server basic_auth in its scrape job; "+
			"or bind it to the network the Prometheus server scrapes from (--web.listen-address=ADDRESS:%d) and allow tcp/%d only from that server.", flag, s.Port, s.Port)
	case "exposure.printer":
		if strings.EqualFold(s.Product, "CUPS") {
			return fmt.Sprintf("In /etc/cups/cupsd.conf replace Port %d (or Listen *:%d) with Listen localhost:%d, or with the address of the office network only, set Browsing No, and keep <Location /> Order allow,deny with Allow from the office network; then systemctl restart cups. ", s.Port, s.Port, s.Port) +
				exposureFix(s.Port, "printing", "reach it through a VPN")
		}
		return exposureFix(s.Port, "printing", "move the printer to a VLAN that only the print server reaches")
	case "exposure.camera":
		return exposureFix(s.Port, "camera", "put the camera on a VLAN that only the video recorder reaches, and watch it through the recorder or a VPN")
	}
	return ""
}
