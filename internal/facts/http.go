package facts

// HTTPAudit is what the HTTP audit observed on one web server with a
// handful of read-only requests: forward-proxy behaviour, status and
// listing pages, the default page, TRACE, HSTS and administration consoles.
// A nil slice or empty string means nothing of that kind was found; the
// fields ending in Checked say whether the question was asked at all.
type HTTPAudit struct {
	// RootStatus is the status GET / answered (after no redirect); 0 when
	// it was not answered.
	RootStatus int `json:"root_status,omitempty"`
	// HSTS is the Strict-Transport-Security header of that answer, as
	// sent (sanitised); empty when absent.
	HSTS string `json:"hsts,omitempty"`
	// Proxy is what the forward-proxy test saw; nil when not tried.
	Proxy *HTTPProxy `json:"proxy,omitempty"`
	// Status lists the server status pages that answered without
	// credentials.
	Status []HTTPPage `json:"status,omitempty"`
	// Listings lists directory listings seen.
	Listings []HTTPPage `json:"listings,omitempty"`
	// DefaultPage is the install placeholder page served at /, if any.
	DefaultPage *HTTPPage `json:"default_page,omitempty"`
	// TraceChecked says TRACE was sent; Trace is the evidence that the
	// server echoed the request back (empty when it did not).
	TraceChecked bool   `json:"trace_checked,omitempty"`
	Trace        string `json:"trace,omitempty"`
	// Admin lists administration consoles recognised on the server.
	Admin []HTTPAdmin `json:"admin,omitempty"`
}

// HTTPPage is one page recognised by its content.
type HTTPPage struct {
	// Path is the request path that answered.
	Path string `json:"path"`
	// Kind names what was recognised, e.g. "apache-server-status",
	// "nginx-stub-status", "apache-autoindex", "debian-apache-default".
	Kind string `json:"kind"`
	// Evidence is a short sanitised excerpt or description.
	Evidence string `json:"evidence,omitempty"`
}

// HTTPProxy is the result of asking a web server to act as a forward proxy
// towards a target inside the scan's scope or a canary vigil ran itself.
type HTTPProxy struct {
	// Target is the host:port the proxy was asked to reach.
	Target string `json:"target"`
	// Canary is true when Target was a loopback canary vigil ran for the
	// test (a unique token proves the relay).
	Canary bool `json:"canary,omitempty"`
	// GetRelayed is true when an absolute-URI GET came back with the
	// target's content; Connect when a CONNECT tunnel reached it.
	GetRelayed bool `json:"get_relayed,omitempty"`
	Connect    bool `json:"connect,omitempty"`
	// Evidence says what was observed, for each method.
	Evidence string `json:"evidence,omitempty"`
}

// HTTPAdmin is an administration console recognised on a web server.
type HTTPAdmin struct {
	// Product is the console: "Jenkins", "Grafana", "Apache Tomcat
	// Manager", "phpMyAdmin".
	Product string `json:"product"`
	Version string `json:"version,omitempty"`
	Path    string `json:"path"`
	// Evidence is what identified it (a header, a realm, a page title).
	Evidence string `json:"evidence"`
}
