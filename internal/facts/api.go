package facts

// APIAccess is what a read-only audit of a service's API or broker learnt
// about who may use it (NATS, the Kubernetes API and kubelet, etcd, a Docker
// registry, CouchDB, InfluxDB, the RabbitMQ management API, Prometheus
// endpoints). It records what the server stated and which requests it
// answered without credentials, with what they revealed as counts: never a
// key's value, a document or a metric's value.
type APIAccess struct {
	// AuthRequired is the server's own statement that clients must
	// authenticate (NATS INFO auth_required); nil when the protocol does
	// not say.
	AuthRequired *bool `json:"auth_required,omitempty"`
	// TLSRequired is the server's statement that clients must use TLS
	// (NATS INFO tls_required); TLSAvailable that they may (tls_available).
	// nil when not stated.
	TLSRequired  *bool `json:"tls_required,omitempty"`
	TLSAvailable *bool `json:"tls_available,omitempty"`
	// Open lists the requests answered without credentials.
	Open []APIRequest `json:"open,omitempty"`
	// Refused lists the requests refused for want of credentials.
	Refused []APIRequest `json:"refused,omitempty"`
	// DefaultLoginTried is true when a vendor default credential was tried;
	// DefaultLogin names the one accepted ("guest/guest"), "" when none.
	DefaultLoginTried bool   `json:"default_login_tried,omitempty"`
	DefaultLogin      string `json:"default_login,omitempty"`
}

// APIRequest is one request of an API audit and what its answer showed.
type APIRequest struct {
	// Request is the method and path, or the protocol exchange:
	// "GET /api/v1/namespaces", "CONNECT then PING".
	Request string `json:"request"`
	// Status is the HTTP status answered; 0 for other protocols.
	Status int `json:"status,omitempty"`
	// Revealed is what the answer showed, in counts: "4 namespaces",
	// "12 keys"; "" when it showed nothing worth saying.
	Revealed string `json:"revealed,omitempty"`
}
