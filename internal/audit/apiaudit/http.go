package apiaudit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
)

// --- parsers of answers: each counts, none keeps a value ----------------------

// parseK8sList counts the items of a Kubernetes list of kind (NamespaceList,
// NodeList, PodList).
func parseK8sList(body []byte, kind string) (int, bool) {
	var l struct {
		Kind  string            `json:"kind"`
		Items []json.RawMessage `json:"items"`
	}
	if json.Unmarshal(body, &l) != nil || l.Kind != kind {
		return 0, false
	}
	return len(l.Items), true
}

// parseEtcdCount reads the answer to a count_only range: {"header":{…},
// "count":"3"} (proto3 JSON writes int64 as a string and leaves out zero).
func parseEtcdCount(body []byte) (int64, bool) {
	var r struct {
		Header *struct {
			ClusterID string `json:"cluster_id"`
		} `json:"header"`
		Count json.RawMessage `json:"count"`
	}
	if json.Unmarshal(body, &r) != nil || r.Header == nil {
		return 0, false
	}
	if len(r.Count) == 0 {
		return 0, true
	}
	n, err := strconv.ParseInt(strings.Trim(string(r.Count), `"`), 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// parseCatalog counts the repositories of GET /v2/_catalog.
func parseCatalog(body []byte) (int, bool) {
	var c struct {
		Repositories *[]string `json:"repositories"`
	}
	if json.Unmarshal(body, &c) != nil || c.Repositories == nil {
		return 0, false
	}
	return len(*c.Repositories), true
}

// parseAllDBs counts CouchDB's databases, and those that are not system
// databases (names starting with "_").
func parseAllDBs(body []byte) (all, user int, ok bool) {
	var names []string
	if json.Unmarshal(body, &names) != nil {
		return 0, 0, false
	}
	for _, n := range names {
		if !strings.HasPrefix(n, "_") {
			user++
		}
	}
	return len(names), user, true
}

// parseShowDatabases counts the databases InfluxDB's SHOW DATABASES listed;
// ok is false when the answer is an error ({"error":…} or a statement
// error).
func parseShowDatabases(body []byte) (int, bool) {
	var r struct {
		Error   string `json:"error"`
		Results []struct {
			Error  string `json:"error"`
			Series []struct {
				Values [][]json.RawMessage `json:"values"`
			} `json:"series"`
		} `json:"results"`
	}
	if json.Unmarshal(body, &r) != nil || r.Error != "" || len(r.Results) == 0 || r.Results[0].Error != "" {
		return 0, false
	}
	n := 0
	for _, s := range r.Results[0].Series {
		n += len(s.Values)
	}
	return n, true
}

// rabbitOverview is the part of GET /api/overview used.
type rabbitOverview struct {
	Version string `json:"rabbitmq_version"`
	Cluster string `json:"cluster_name"`
}

// parseRabbitOverview reads GET /api/overview.
func parseRabbitOverview(body []byte) (rabbitOverview, bool) {
	var o rabbitOverview
	if json.Unmarshal(body, &o) != nil || o.Version == "" {
		return o, false
	}
	return o, true
}

// countMetricFamilies counts the # TYPE lines of a page in the Prometheus
// text exposition format; ok is false when it has none.
func countMetricFamilies(body []byte) (int, bool) {
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	n := 0
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "# TYPE ") {
			n++
		}
	}
	return n, n > 0
}

// --- auditors ---------------------------------------------------------------------

// auditKubernetes lists namespaces and nodes as an anonymous client: both
// refused (401, or 403 to system:anonymous) is a hardened API server.
func auditKubernetes(ctx context.Context, p *prober, _ *facts.Service) (*facts.APIAccess, error) {
	a := &facts.APIAccess{}
	for _, q := range []struct{ path, kind, one, many string }{
		{"/api/v1/namespaces", "NamespaceList", "namespace", "namespaces"},
		{"/api/v1/nodes", "NodeList", "node", "nodes"},
	} {
		r, err := p.get(ctx, q.path)
		if err != nil {
			return a, err
		}
		n, ok := parseK8sList(r.Body, q.kind)
		record(a, "GET "+q.path, r, "listed "+plural(n, q.one, q.many), ok)
	}
	return a, nil
}

// auditKubelet asks the kubelet's pod list and metrics anonymously.
func auditKubelet(ctx context.Context, p *prober, _ *facts.Service) (*facts.APIAccess, error) {
	a := &facts.APIAccess{}
	r, err := p.get(ctx, "/pods")
	if err != nil {
		return a, err
	}
	n, ok := parseK8sList(r.Body, "PodList")
	record(a, "GET /pods", r, "listed "+plural(n, "pod", "pods")+" with their specifications", ok)
	if r, err := p.get(ctx, "/metrics"); err == nil {
		n, ok := countMetricFamilies(r.Body)
		record(a, "GET /metrics", r, plural(n, "metric family", "metric families"), ok)
	}
	return a, nil
}

// etcdCountAll is a v3 range over the whole key space ("\x00" to "\x00")
// that returns only the number of keys.
var etcdCountAll = []byte(`{"key":"` + base64.StdEncoding.EncodeToString([]byte{0}) + `","range_end":"` + base64.StdEncoding.EncodeToString([]byte{0}) + `","count_only":true}`)

// auditEtcd counts the keys through the v3 JSON gateway.
func auditEtcd(ctx context.Context, p *prober, _ *facts.Service) (*facts.APIAccess, error) {
	a := &facts.APIAccess{}
	r, err := p.do(ctx, request{method: "POST", path: "/v3/kv/range", contentType: "application/json", body: etcdCountAll})
	if err != nil {
		return a, err
	}
	n, ok := parseEtcdCount(r.Body)
	const what = "POST /v3/kv/range over the whole key space (count_only)"
	switch {
	case r.Status == 200 && ok:
		a.Open = append(a.Open, facts.APIRequest{Request: what, Status: 200, Revealed: fmt.Sprintf("counted %s", plural(int(n), "key", "keys"))})
	case refusedStatus(r.Status) || (r.Status >= 400 && bytes.Contains(r.Body, []byte("user name is empty"))):
		// etcd with auth enabled answers a request without a token with
		// "etcdserver: user name is empty".
		a.Refused = append(a.Refused, facts.APIRequest{Request: what, Status: r.Status})
	}
	return a, nil
}

// auditRegistry lists the repositories of a Docker registry.
func auditRegistry(ctx context.Context, p *prober, _ *facts.Service) (*facts.APIAccess, error) {
	a := &facts.APIAccess{}
	r, err := p.get(ctx, "/v2/_catalog?n=100")
	if err != nil {
		return a, err
	}
	n, ok := parseCatalog(r.Body)
	record(a, "GET /v2/_catalog", r, "listed "+plural(n, "repository", "repositories"), ok)
	return a, nil
}

// auditCouchDB lists the databases, which CouchDB's "admin party" (no
// admin defined) or a public server allows anyone.
func auditCouchDB(ctx context.Context, p *prober, _ *facts.Service) (*facts.APIAccess, error) {
	a := &facts.APIAccess{}
	r, err := p.get(ctx, "/_all_dbs")
	if err != nil {
		return a, err
	}
	all, user, ok := parseAllDBs(r.Body)
	record(a, "GET /_all_dbs", r, fmt.Sprintf("listed %s (%d not system databases)", plural(all, "database", "databases"), user), ok)
	return a, nil
}

// auditInfluxDB asks SHOW DATABASES without credentials.
func auditInfluxDB(ctx context.Context, p *prober, _ *facts.Service) (*facts.APIAccess, error) {
	a := &facts.APIAccess{}
	r, err := p.get(ctx, "/query?q=SHOW%20DATABASES")
	if err != nil {
		return a, err
	}
	n, ok := parseShowDatabases(r.Body)
	record(a, "GET /query?q=SHOW DATABASES", r, "listed "+plural(n, "database", "databases"), ok)
	return a, nil
}

// rabbitGuest is the Basic credential of RabbitMQ's default user.
var rabbitGuest = "Basic " + base64.StdEncoding.EncodeToString([]byte("guest:guest"))

// auditRabbitMQ asks the management API's overview without credentials
// and, unless default credentials are off, as guest/guest.
func auditRabbitMQ(ctx context.Context, p *prober, s *facts.Service) (*facts.APIAccess, error) {
	a := &facts.APIAccess{}
	const what = "GET /api/overview"
	r, err := p.get(ctx, "/api/overview")
	if err != nil {
		return a, err
	}
	o, ok := parseRabbitOverview(r.Body)
	record(a, what, r, "RabbitMQ "+clean(o.Version, 32), ok)
	if ok && r.Status == 200 {
		return a, nil
	}
	if p.opt.NoDefaultCreds {
		return a, nil
	}
	a.DefaultLoginTried = true
	r, err = p.do(ctx, request{method: "GET", path: "/api/overview", authorization: rabbitGuest})
	if err != nil {
		return a, err
	}
	if o, ok := parseRabbitOverview(r.Body); ok && r.Status == 200 {
		a.DefaultLogin = "guest/guest"
		if s.Version == "" {
			s.Version = clean(o.Version, 32)
		}
	}
	return a, nil
}

// auditPrometheus reads /metrics without credentials.
func auditPrometheus(ctx context.Context, p *prober, _ *facts.Service) (*facts.APIAccess, error) {
	a := &facts.APIAccess{}
	r, err := p.get(ctx, "/metrics")
	if err != nil {
		return a, err
	}
	n, ok := countMetricFamilies(r.Body)
	record(a, "GET /metrics", r, plural(n, "metric family", "metric families"), ok)
	return a, nil
}
