package check

import (
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/proto"
)

// httpChecks are the checks judged from the HTTP audit (facts.HTTPAudit).
var httpChecks = []Check{
	{ID: "http.proxy.open", Severity: finding.High, Title: "Web server relays requests as an open forward proxy",
		Rationale:  "An open proxy lets anyone who reaches it make requests that appear to come from your server: to your internal services, to other networks, or to the Internet for abuse traced back to you. vigil proves a relay only towards a canary it runs on loopback or the server's own address, never a third party.",
		Fix:        "Allow proxy use only from the client networks that need it and deny everything else (squid: http_access allow localnet, then http_access deny all; tinyproxy: Allow lines for your networks only), or turn forward proxying off.",
		Frameworks: fwExposure},
	{ID: "http.status.public", Severity: finding.Medium, Title: "Server status page answers anyone",
		Rationale: "Apache server-status and server-info, nginx stub_status and similar pages reveal client addresses, requested URLs, virtual hosts, modules and configuration: reconnaissance for an attacker.",
		Fix:       "Restrict the status page to loopback or a management network, or remove it.", Frameworks: fwUnneeded},
	{ID: "http.listing", Severity: finding.Medium, Title: "Directory listing enabled",
		Rationale: "An automatic index lists every file in a directory, including backups, exports and files never meant to be linked.",
		Fix:       "Turn automatic directory indexes off and serve an index page where a listing is not intended.", Frameworks: fwUnneeded},
	{ID: "http.default-page", Severity: finding.Low, Title: "Web server shows its default install page",
		Rationale: "A default page shows an unconfigured or forgotten server, and names the software it runs; it is often left from an install nobody maintains.",
		Fix:       "Replace the default page with the site's content, or stop the web server if nothing should be served.", Frameworks: fwUnneeded},
	{ID: "http.trace", Severity: finding.Low, Title: "Web server answers TRACE",
		Rationale: "TRACE echoes the request back, headers included; combined with a script injection flaw it can expose cookies and authorisation headers (cross-site tracing). Nothing needs it in production.",
		Fix:       "Disable the TRACE method.", Frameworks: fwUnneeded},
	{ID: "http.hsts.missing", Severity: finding.Low, Title: "HTTPS answers without Strict-Transport-Security",
		Rationale: "Without HSTS a browser may be led to the site over plain HTTP first (SSL stripping), where the traffic can be read and changed.",
		Fix:       "Send Strict-Transport-Security: max-age=31536000; includeSubDomains on every HTTPS answer.", Frameworks: fwTransport},
	{ID: "http.admin.exposed", Severity: finding.High, Title: "Web administration console reachable from an untrusted network",
		Rationale: "Jenkins, Grafana, the Tomcat manager and phpMyAdmin control builds, dashboards, deployed applications or databases; reachable from an untrusted network, they are one guessed or leaked password (or one vulnerability) away from a takeover.",
		Fix:       "Allow the console only from a management network or VPN, in the firewall or in the web server's access rules.", Frameworks: fwExposure},
}

// webProduct is the server software a fix is written for.
type webProduct int

const (
	webOther webProduct = iota
	webApache
	webNginx
	webLighttpd
	webSquid
	webTinyproxy
	webPython
	webIIS
	webTomcat
)

func webProductOf(s *facts.Service) webProduct {
	p := strings.ToLower(s.Product)
	switch {
	case strings.HasPrefix(p, "apache httpd"):
		return webApache
	case strings.HasPrefix(p, "nginx"), strings.HasPrefix(p, "openresty"):
		return webNginx
	case strings.HasPrefix(p, "lighttpd"):
		return webLighttpd
	case strings.HasPrefix(p, "squid"):
		return webSquid
	case strings.HasPrefix(p, "tinyproxy"):
		return webTinyproxy
	case strings.HasPrefix(p, "python"):
		return webPython
	case strings.HasPrefix(p, "microsoft-iis"):
		return webIIS
	case strings.HasPrefix(p, "apache tomcat"):
		return webTomcat
	}
	return webOther
}

// judgeHTTP judges what the HTTP audit saw. http.admin.exposed fires only
// for scans run with --untrusted, like exposure.admin; http.hsts.missing
// only on ports that speak TLS from the first byte and answered / with a
// 2xx or 3xx.
func judgeHTTP(in Input) []Hit {
	s := in.Service
	if s == nil || s.HTTP == nil || s.Name != proto.HTTP {
		return nil
	}
	h := s.HTTP
	prod := webProductOf(s)
	where := fmt.Sprintf("%s/%d", s.Transport, s.Port)
	var hits []Hit
	if px := h.Proxy; px != nil && (px.GetRelayed || px.Connect) {
		var how []string
		if px.GetRelayed {
			how = append(how, "absolute-URI GET")
		}
		if px.Connect {
			how = append(how, "CONNECT")
		}
		hits = append(hits, Hit{Check: "http.proxy.open",
			Evidence: fmt.Sprintf("%s relayed to %s by %s: %s", where, px.Target, strings.Join(how, " and "), px.Evidence),
			Fix:      proxyFix(prod)})
	}
	for _, pg := range h.Status {
		hits = append(hits, Hit{Check: "http.status.public", Subject: pg.Path,
			Evidence: fmt.Sprintf("%s answered without credentials at %s on %s: %s", statusName(pg.Kind), pg.Path, where, pg.Evidence),
			Fix:      statusFix(prod, pg)})
	}
	for _, pg := range h.Listings {
		hits = append(hits, Hit{Check: "http.listing", Subject: pg.Path,
			Evidence: fmt.Sprintf("directory listing (%s) at %s on %s, %s", pg.Kind, pg.Path, where, pg.Evidence),
			Fix:      listingFix(prod, pg.Path)})
	}
	if pg := h.DefaultPage; pg != nil {
		hits = append(hits, Hit{Check: "http.default-page",
			Evidence: fmt.Sprintf("%s at %s on %s (%s)", pg.Kind, pg.Path, where, pg.Evidence),
			Fix:      defaultPageFix(prod)})
	}
	if h.Trace != "" {
		hits = append(hits, Hit{Check: "http.trace", Evidence: fmt.Sprintf("%s on %s", h.Trace, where), Fix: traceFix(prod)})
	}
	if s.TLS && h.RootStatus >= 200 && h.RootStatus <= 399 && !hstsOn(h.HSTS) {
		ev := fmt.Sprintf("GET / over TLS on %s answered %d without Strict-Transport-Security", where, h.RootStatus)
		if h.HSTS != "" {
			ev = fmt.Sprintf("GET / over TLS on %s answered %d with Strict-Transport-Security %q, which sets no lasting policy", where, h.RootStatus, h.HSTS)
		}
		hits = append(hits, Hit{Check: "http.hsts.missing", Evidence: ev, Fix: hstsFix(prod)})
	}
	if in.Untrusted {
		for _, a := range h.Admin {
			name := a.Product
			if a.Version != "" {
				name += " " + a.Version
			}
			hits = append(hits, Hit{Check: "http.admin.exposed", Subject: a.Product,
				Evidence: fmt.Sprintf("%s at %s on %s answered a scan run from a network marked untrusted (--untrusted): %s", name, a.Path, where, a.Evidence),
				Fix:      adminFix(a, s.Port, prod)})
		}
	}
	return hits
}

// hstsOn reports whether a Strict-Transport-Security value sets a policy:
// a max-age above zero.
func hstsOn(v string) bool {
	for _, part := range strings.Split(v, ";") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "max-age") {
			val = strings.Trim(strings.TrimSpace(val), `"`)
			return val != "" && strings.Trim(val, "0") != "" && strings.Trim(val, "0123456789") == ""
		}
	}
	return false
}

func statusName(kind string) string {
	switch kind {
	case "apache-server-status":
		return "Apache server-status"
	case "apache-server-info":
		return "Apache server-info"
	case "nginx-stub-status":
		return "nginx stub_status"
	case "lighttpd-server-status":
		return "lighttpd server-status"
	}
	return kind
}

func proxyFix(p webProduct) string {
	switch p {
	case webSquid:
		return "In /etc/squid/squid.conf remove http_access allow all; keep http_access allow localnet (with acl localnet src set to your client networks), http_access deny CONNECT !SSL_ports and end with http_access deny all; then squid -k reconfigure."
	case webTinyproxy:
		return "In /etc/tinyproxy/tinyproxy.conf list only your client networks with Allow lines (e.g. Allow 10.0.0.0/24; no Allow 0.0.0.0/0), set ConnectPort 443 and restart tinyproxy."
	case webApache:
		return "Set ProxyRequests Off in the Apache configuration (mod_proxy is then only a reverse proxy), or limit the forward proxy with <Proxy \"*\"> Require ip 10.0.0.0/24 </Proxy>; then apachectl graceful."
	case webNginx:
		return "Remove the forward-proxy server block (proxy_pass http://$http_host$request_uri or a resolver-driven proxy_pass) or restrict it with allow 10.0.0.0/24; deny all; then nginx -s reload."
	}
	return ""
}

func statusFix(p webProduct, pg facts.HTTPPage) string {
	switch {
	case p == webApache && pg.Kind == "apache-server-info":
		return fmt.Sprintf("In the <Location \"%s\"> block (mods-enabled/info.conf on Debian) set Require local (or Require ip of your management network), or a2dismod info; then apachectl graceful.", pg.Path)
	case p == webApache:
		return fmt.Sprintf("In the <Location \"%s\"> block (mods-enabled/status.conf on Debian) set Require local (or Require ip of your management network) instead of Require all granted; then apachectl graceful.", pg.Path)
	case p == webNginx:
		return fmt.Sprintf("In the location %s block that holds stub_status add allow 127.0.0.1; deny all; (or your monitoring network), then nginx -s reload.", pg.Path)
	case p == webLighttpd:
		return fmt.Sprintf("Restrict status.status-url %q with a $HTTP[\"remoteip\"] condition to your management network, or disable mod_status; then restart lighttpd.", pg.Path)
	}
	return ""
}

func listingFix(p webProduct, path string) string {
	switch p {
	case webApache:
		return fmt.Sprintf("Remove Indexes from the Options of the <Directory> serving %s (Options -Indexes), or a2dismod --force autoindex; then apachectl graceful.", path)
	case webNginx:
		return fmt.Sprintf("Set autoindex off; in the location serving %s, then nginx -s reload.", path)
	case webLighttpd:
		return "Set dir-listing.activate = \"disable\" (or server.dir-listing = \"disable\") in /etc/lighttpd/lighttpd.conf and restart lighttpd."
	case webPython:
		return "Python's http.server lists every directory it serves: do not use it to serve files to a network; use a configured web server with indexes off."
	case webIIS:
		return "In IIS Manager open Directory Browsing for the site and click Disable (or set <directoryBrowse enabled=\"false\" /> in web.config)."
	}
	return ""
}

func defaultPageFix(p webProduct) string {
	switch p {
	case webApache:
		return "Replace /var/www/html/index.html with the site's content (or a2dissite 000-default if this virtual host should serve nothing), or stop Apache if it is not needed."
	case webNginx:
		return "Replace the default server (Debian: /etc/nginx/sites-enabled/default, /var/www/html/index.nginx-debian.html) with the site's configuration, or stop nginx if it is not needed."
	case webLighttpd:
		return "Replace /var/www/html/index.lighttpd.html with the site's content (or set server.document-root to the site), or stop lighttpd if it is not needed."
	case webTomcat:
		return "Remove the ROOT webapp Tomcat installs (webapps/ROOT) and deploy the application in its place."
	case webIIS:
		return "Remove the Default Web Site (or its iisstart.htm) and serve the intended site."
	}
	return ""
}

func traceFix(p webProduct) string {
	switch p {
	case webApache:
		return "Set TraceEnable Off (Debian: /etc/apache2/conf-enabled/security.conf), then apachectl graceful."
	case webNginx:
		return "Answer TRACE with an error: in the server block add if ($request_method = TRACE) { return 405; }, then nginx -s reload."
	case webLighttpd:
		return "Reject TRACE: $HTTP[\"request-method\"] == \"TRACE\" { url.access-deny = (\"\") } in lighttpd.conf, then restart lighttpd."
	case webTomcat:
		return "Set allowTrace=\"false\" on the Connector in conf/server.xml (the default) and restart Tomcat."
	}
	return ""
}

func hstsFix(p webProduct) string {
	switch p {
	case webApache:
		return "a2enmod headers, then in the HTTPS <VirtualHost> add Header always set Strict-Transport-Security \"max-age=31536000; includeSubDomains\"; apachectl graceful."
	case webNginx:
		return "In the HTTPS server block add add_header Strict-Transport-Security \"max-age=31536000; includeSubDomains\" always; then nginx -s reload."
	case webLighttpd:
		return "Enable mod_setenv and in the TLS socket block add setenv.add-response-header = (\"Strict-Transport-Security\" => \"max-age=31536000; includeSubDomains\"); restart lighttpd."
	}
	return ""
}

func adminFix(a facts.HTTPAdmin, port int, p webProduct) string {
	fw := exposureFix(port, "administration", "reach it over a VPN or an SSH jump host")
	switch a.Product {
	case "Apache Tomcat Manager":
		return "Keep the manager's RemoteAddrValve (webapps/manager/META-INF/context.xml, allow=\"127\\.\\d+\\.\\d+\\.\\d+|::1\" or your management network), or remove the manager webapp. " + fw
	case "phpMyAdmin":
		if p == webApache {
			return "In /etc/apache2/conf-available/phpmyadmin.conf add Require ip of your management network to <Directory /usr/share/phpmyadmin>, then apachectl graceful; or remove phpMyAdmin. " + fw
		}
		return "Allow the phpMyAdmin location only from your management network in the web server's configuration, or remove phpMyAdmin. " + fw
	case "Jenkins":
		return "Start Jenkins with --httpListenAddress=127.0.0.1 behind a reverse proxy that admits only your network, and keep security on. " + fw
	case "Grafana":
		return "Set http_addr = 127.0.0.1 in the [server] section of /etc/grafana/grafana.ini and publish it only through a reverse proxy or VPN. " + fw
	}
	return fw
}
