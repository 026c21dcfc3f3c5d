package identify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/httpmsg"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// This file recognises APIs and brokers by what they say: NATS by its
// server-first INFO line, and the HTTP APIs (Kubernetes, kubelet, etcd, a
// Docker registry, CouchDB, InfluxDB, the RabbitMQ management API,
// Prometheus servers and exporters, CUPS) by their answer to GET / and, for
// the Go servers that answer / with nothing telling, by a few follow-up
// GETs of paths their documentation names.

// --- NATS ------------------------------------------------------------------

// natsInfo is the part of the NATS server's INFO JSON used (NATS client
// protocol: INFO {…}).
type natsInfo struct {
	ServerID     string `json:"server_id"`
	ServerName   string `json:"server_name"`
	Version      string `json:"version"`
	Go           string `json:"go"`
	AuthRequired bool   `json:"auth_required"`
	TLSRequired  bool   `json:"tls_required"`
	TLSAvailable bool   `json:"tls_available"`
	Proto        int    `json:"proto"`
}

// parseNATSInfo parses the INFO line a NATS server sends first.
func parseNATSInfo(b []byte) (natsInfo, error) {
	var info natsInfo
	line, _, ok := bytes.Cut(b, []byte("\n"))
	if !ok {
		return info, noMatch(proto.NATS, "no complete line")
	}
	rest, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r"), []byte("INFO "))
	if !ok {
		return info, noMatch(proto.NATS, "the first line is not INFO")
	}
	if err := json.Unmarshal(bytes.TrimSpace(rest), &info); err != nil {
		return info, noMatch(proto.NATS, "INFO is not JSON: %v", err)
	}
	if info.ServerID == "" && info.Version == "" {
		return info, noMatch(proto.NATS, "INFO names no server_id or version")
	}
	return info, nil
}

// matchNATS recognises a NATS server's INFO line.
func matchNATS(b []byte, s *facts.Service) (*followUp, error) {
	info, err := parseNATSInfo(b)
	if err != nil {
		return nil, err
	}
	s.Name, s.Product, s.Version = proto.NATS, "NATS Server", clean(info.Version, 32)
	s.Banner = clean("INFO version "+info.Version, 128)
	if info.ServerName != "" && info.ServerName != info.ServerID {
		s.SetDetail(facts.DetailNATSServerName, clean(info.ServerName, 64))
	}
	return nil, nil
}

// --- HTTP APIs -----------------------------------------------------------------

// k8sVersion is the Kubernetes API server's (and the kubelet's) GET
// /version answer.
type k8sVersion struct {
	Major      string `json:"major"`
	Minor      string `json:"minor"`
	GitVersion string `json:"gitVersion"`
	Platform   string `json:"platform"`
}

// etcdVersion is etcd's GET /version answer.
type etcdVersion struct {
	Server  string `json:"etcdserver"`
	Cluster string `json:"etcdcluster"`
}

// k8sStatus is the Status object the Kubernetes API server answers errors
// with, and the path list it answers GET / with.
type k8sStatus struct {
	Kind       string   `json:"kind"`
	APIVersion string   `json:"apiVersion"`
	Paths      []string `json:"paths"`
}

// isKubernetesRoot reports whether a GET / answer is the Kubernetes API
// server's: the list of its paths, or a v1 Status object (401/403 to an
// anonymous client).
func isKubernetesRoot(body []byte) bool {
	var st k8sStatus
	if json.Unmarshal(body, &st) != nil {
		return false
	}
	if st.Kind == "Status" && st.APIVersion == "v1" {
		return true
	}
	return slices.Contains(st.Paths, "/api") && slices.Contains(st.Paths, "/version")
}

// parseVersionJSON classifies a GET /version answer as etcd's or
// Kubernetes'.
func parseVersionJSON(body []byte) (name, product, version string, ok bool) {
	var e etcdVersion
	if json.Unmarshal(body, &e) == nil && e.Server != "" && e.Cluster != "" {
		return proto.Etcd, "etcd", clean(e.Server, 32), true
	}
	var k k8sVersion
	if json.Unmarshal(body, &k) == nil && k.Major != "" && strings.HasPrefix(k.GitVersion, "v") {
		return proto.Kubernetes, "Kubernetes", clean(strings.TrimPrefix(k.GitVersion, "v"), 64), true
	}
	return "", "", "", false
}

// couchWelcome is CouchDB's GET / answer.
type couchWelcome struct {
	CouchDB string `json:"couchdb"`
	Version string `json:"version"`
	Vendor  struct {
		Name string `json:"name"`
	} `json:"vendor"`
}

// parseCouchDB recognises CouchDB's welcome ({"couchdb":"Welcome",…}) or
// its Server header ("CouchDB/3.3.2 (Erlang OTP/25)").
func parseCouchDB(r httpmsg.Response) (version string, ok bool) {
	var w couchWelcome
	if json.Unmarshal(r.Body, &w) == nil && w.CouchDB == "Welcome" {
		return clean(w.Version, 32), true
	}
	if v, found := strings.CutPrefix(r.Get("server"), "CouchDB/"); found {
		return leadingVersion(v), true
	}
	return "", false
}

// promBuildInfoRE finds a *_build_info sample's version label in the
// Prometheus text exposition format.
var promBuildInfoRE = regexp.MustCompile(`(?m)^([a-z_]+)_build_info\{[^}\n]*\bversion="([^"\n]{1,64})"`)

// promMetrics is what a /metrics page in the text exposition format told.
type promMetrics struct {
	families int    // # TYPE lines
	program  string // the prefix of its *_build_info metric ("node_exporter", "prometheus")
	version  string
	kubelet  bool // kubelet_* metrics present
}

// parsePromMetrics reads a /metrics page in the Prometheus text exposition
// format (version 0.0.4). ok is false when it is not one.
func parsePromMetrics(body []byte) (promMetrics, bool) {
	var m promMetrics
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	samples := 0
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# TYPE "):
			m.families++
		case strings.HasPrefix(line, "kubelet_"):
			m.kubelet = true
			samples++
		case line != "" && line[0] != '#':
			samples++
		}
	}
	if m.families == 0 || samples == 0 {
		return m, false
	}
	if sub := promBuildInfoRE.FindSubmatch(body); sub != nil {
		m.program, m.version = string(sub[1]), clean(string(sub[2]), 32)
	}
	return m, true
}

// promProducts names the programs whose *_build_info a /metrics page may
// carry.
var promProducts = map[string]string{
	"prometheus":      "Prometheus",
	"node_exporter":   "node_exporter",
	"alertmanager":    "Alertmanager",
	"pushgateway":     "Pushgateway",
	"mysqld_exporter": "mysqld_exporter",
}

// promBuildInfo is the Prometheus server's GET /api/v1/status/buildinfo.
type promBuildInfo struct {
	Status string `json:"status"`
	Data   struct {
		Version string `json:"version"`
	} `json:"data"`
}

var rabbitTitleRE = regexp.MustCompile(`(?i)<title>\s*RabbitMQ Management\s*</title>`)

// applyAPIFromRoot recognises an API from the answer to GET / alone; it
// reports whether it did.
func applyAPIFromRoot(r httpmsg.Response, s *facts.Service) bool {
	switch {
	case r.Get("x-influxdb-version") != "":
		s.Name, s.Product, s.Version = proto.InfluxDB, "InfluxDB", clean(leadingVersion(r.Get("x-influxdb-version")), 32)
		return true
	case strings.HasPrefix(r.Get("server"), "CUPS/"):
		v := strings.TrimPrefix(r.Get("server"), "CUPS/")
		s.Name, s.Product, s.Version = proto.IPP, "CUPS", leadingVersion(v)
		return true
	case r.Get("docker-distribution-api-version") != "":
		s.Name, s.Product, s.Version = proto.DockerRegistry, "Docker Registry", ""
		return true
	case isKubernetesRoot(r.Body):
		s.Name, s.Product, s.Version = proto.Kubernetes, "Kubernetes", ""
		return true
	case rabbitTitleRE.Match(r.Body):
		s.Name, s.Product, s.Version = proto.RabbitMQ, "RabbitMQ", ""
		return true
	}
	if v, ok := parseCouchDB(r); ok {
		s.Name, s.Product, s.Version = proto.CouchDB, "CouchDB", v
		return true
	}
	return false
}

// kubeletForbiddenRE is the kubelet's answer to a client its authorizer
// refuses: "Forbidden (user=system:anonymous, verb=get, resource=nodes, subresource=proxy)".
var kubeletForbiddenRE = regexp.MustCompile(`^Forbidden \(user=[^,]*, verb=[a-z]+, resource=nodes, subresource=[a-z]+\)`)

// isKubeletPods reports whether a GET /pods answer is the kubelet's: a
// PodList, or its refusal.
func isKubeletPods(r httpmsg.Response) bool {
	var st k8sStatus
	if r.Status == 200 && json.Unmarshal(r.Body, &st) == nil && st.Kind == "PodList" {
		return true
	}
	return kubeletForbiddenRE.Match(r.Body)
}

// genericAPIRoot reports whether a GET / answer is worth follow-up
// requests: no Server header, no HTML page (Go API servers answer / with
// 404 "404 page not found", a redirect, or an empty or JSON body).
func genericAPIRoot(r httpmsg.Response) bool {
	if r.Get("server") != "" || titleRE.Match(r.Body) {
		return false
	}
	ct := r.Get("content-type")
	return ct == "" || strings.HasPrefix(ct, "text/plain") || strings.HasPrefix(ct, "application/json") || r.Status >= 300
}

// identifyAPI recognises an API behind an HTTP answer, asking follow-up
// GETs when / said too little. s already holds the HTTP facts.
func (l *layer) identifyAPI(ctx context.Context, root httpmsg.Response, s *facts.Service) {
	if applyAPIFromRoot(root, s) {
		l.apiVersion(ctx, s)
		return
	}
	if t := s.Detail(facts.DetailHTTPTitle); strings.EqualFold(t, "Node Exporter") || strings.Contains(t, "Prometheus") {
		l.promFollowUp(ctx, s)
		return
	}
	if strings.Contains(root.Get("server"), "IPP/") || ippPort(l.addr.Port()) {
		if l.ippFollowUp(ctx, s) {
			return
		}
	}
	if !genericAPIRoot(root) {
		return
	}
	unauthorized := 0
	if _, r, err := l.get(ctx, "/version"); err == nil {
		if name, product, version, ok := parseVersionJSON(r.Body); ok && r.Status == 200 {
			s.Name, s.Product, s.Version = name, product, version
			return
		}
		if r.Status == 401 {
			unauthorized++
		}
	}
	if _, r, err := l.get(ctx, "/v2/"); err == nil && applyAPIFromRoot(r, s) {
		return
	}
	if _, r, err := l.get(ctx, "/pods"); err == nil {
		if isKubeletPods(r) {
			s.Name, s.Product, s.Version = proto.Kubelet, "kubelet", ""
			return
		}
		if r.Status == 401 {
			unauthorized++
		}
	}
	if l.promFollowUp(ctx, s) {
		return
	}
	// A kubelet with anonymous authentication off answers 401
	// "Unauthorized" to everything: only its customary port tells.
	if unauthorized == 2 && strings.TrimSpace(string(root.Body)) == "Unauthorized" && kubeletPort(l.addr.Port()) {
		s.Name, s.Product, s.Version = proto.Kubelet, "kubelet", ""
		s.SetDetail(facts.DetailKubeletGuess, "every path answered 401 Unauthorized on the kubelet's customary port")
	}
}

// kubeletPort reports whether port is one the kubelet customarily uses.
func kubeletPort(port uint16) bool {
	info, _ := proto.Lookup(proto.Kubelet)
	return slices.Contains(info.TCP, port) || slices.Contains(info.TLS, port)
}

// promFollowUp asks GET /metrics and recognises a Prometheus endpoint (or
// a kubelet) by the text exposition format.
func (l *layer) promFollowUp(ctx context.Context, s *facts.Service) bool {
	_, r, err := l.get(ctx, "/metrics")
	if err != nil || r.Status != 200 {
		return false
	}
	m, ok := parsePromMetrics(r.Body)
	if !ok {
		return false
	}
	if m.kubelet {
		s.Name, s.Product, s.Version = proto.Kubelet, "kubelet", ""
		return true
	}
	p, known := promProducts[m.program]
	if m.program != "" && !known && !strings.HasSuffix(m.program, "_exporter") {
		// An application that also exports metrics (Grafana, Traefik, …):
		// its own protocol is what it is, not "a Prometheus endpoint".
		return false
	}
	s.Name, s.Product, s.Version = proto.Prometheus, "Prometheus exporter", m.version
	if known {
		s.Product = p
	} else if m.program != "" {
		s.Product = clean(m.program, 64)
	}
	if s.Product == "Prometheus" || m.program == "" {
		if _, br, err := l.get(ctx, "/api/v1/status/buildinfo"); err == nil && br.Status == 200 {
			var bi promBuildInfo
			if json.Unmarshal(br.Body, &bi) == nil && bi.Status == "success" && bi.Data.Version != "" {
				s.Product, s.Version = "Prometheus", clean(bi.Data.Version, 32)
			}
		}
	}
	return true
}

// apiVersion asks the version of an API recognised from its root, where
// one more request tells it.
func (l *layer) apiVersion(ctx context.Context, s *facts.Service) {
	if s.Name != proto.Kubernetes {
		return
	}
	if _, r, err := l.get(ctx, "/version"); err == nil && r.Status == 200 {
		if name, _, v, ok := parseVersionJSON(r.Body); ok && name == proto.Kubernetes {
			s.Version = v
		}
	}
}

// --- JetDirect (PJL) and RTSP ----------------------------------------------------

// pjlInfoID is the PJL request for the printer's model, between Universal
// Exit Language sequences (HP PJL Technical Reference, INFO ID).
var pjlInfoID = []byte("\x1b%-12345X@PJL INFO ID\r\n\x1b%-12345X")

// parsePJLInfoID parses the answer to @PJL INFO ID: the echoed command, then
// the model, usually quoted, then a form feed.
func parsePJLInfoID(b []byte) (model string, err error) {
	i := bytes.Index(b, []byte("@PJL INFO ID"))
	if i < 0 {
		return "", noMatch(proto.JetDirect, "no @PJL INFO ID echo")
	}
	rest := b[i+len("@PJL INFO ID"):]
	rest = bytes.TrimLeft(rest, "\r\n")
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	line = bytes.TrimRight(line, "\r\f")
	return strings.Trim(strings.TrimSpace(string(line)), `"`), nil
}

// pjlDone reports whether the PJL answer ended (form feed).
func pjlDone(b []byte) bool { return bytes.IndexByte(b, '\f') >= 0 }

// probeJetDirect asks a raw printing port for its model in PJL. A printer
// that does not speak PJL answers nothing (and may print the line).
func probeJetDirect(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	resp, err := l.exchange(ctx, pjlInfoID, lineCap, pjlDone)
	model, perr := parsePJLInfoID(resp)
	if perr != nil {
		if len(resp) == 0 {
			return nil, ioNoMatch(proto.JetDirect, err)
		}
		return resp, perr
	}
	s.Name, s.Product, s.Version = proto.JetDirect, clean(model, 64), ""
	s.Banner = clean("@PJL INFO ID: "+model, 128)
	return nil, nil
}

// rtspOptions is an RTSP OPTIONS request (RFC 2326 section 10.1; RFC 7826
// keeps OPTIONS and CSeq).
var rtspOptions = []byte("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: vigil\r\n\r\n")

// parseRTSP parses an RTSP response: its syntax is HTTP/1.1's with RTSP/1.0
// or RTSP/2.0 in the status line.
func parseRTSP(b []byte) (httpmsg.Response, error) {
	if !bytes.HasPrefix(b, []byte("RTSP/1.0 ")) && !bytes.HasPrefix(b, []byte("RTSP/2.0 ")) {
		return httpmsg.Response{}, noMatch(proto.RTSP, "not an RTSP status line")
	}
	h := append([]byte("HTTP"), b[4:]...)
	r, err := httpmsg.Parse(h)
	if err != nil {
		return r, noMatch(proto.RTSP, "%v", err)
	}
	r.StatusLine = "RTSP" + strings.TrimPrefix(r.StatusLine, "HTTP")
	return r, nil
}

// rtspDone reports whether an RTSP response's header section is complete
// (OPTIONS answers carry no body).
func rtspDone(b []byte) bool {
	if n := min(len(b), 5); !bytes.Equal(b[:n], []byte("RTSP/")[:n]) {
		return true
	}
	return httpmsg.HeaderEnd(b) >= 0
}

// probeRTSP sends OPTIONS and recognises an RTSP server (cameras, media
// servers) by its status line.
func probeRTSP(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	resp, err := l.exchange(ctx, rtspOptions, lineCap, rtspDone)
	r, perr := parseRTSP(resp)
	if perr != nil {
		if len(resp) == 0 {
			return nil, ioNoMatch(proto.RTSP, err)
		}
		return resp, perr
	}
	s.Name = proto.RTSP
	server := r.Get("server")
	s.Product, s.Version = httpServerProduct(server)
	banner := r.StatusLine
	if server != "" {
		banner += "; Server: " + server
	}
	s.Banner = clean(banner, 256)
	if p := r.Get("public"); p != "" {
		s.SetDetail(facts.DetailRtspPublic, clean(p, 256))
	}
	return nil, nil
}

// --- IPP (RFC 8010, RFC 8011) ----------------------------------------------------

// IPP value tags used.
const (
	ippTagOperation  = 0x01
	ippTagEnd        = 0x03
	ippTextNoLang    = 0x41
	ippNameNoLang    = 0x42
	ippKeyword       = 0x44
	ippURI           = 0x45
	ippCharset       = 0x47
	ippNaturalLang   = 0x48
	ippGetPrinterAtt = 0x000B
)

// ippAppend appends one attribute (value tag, name, value) in the RFC 8010
// encoding.
func ippAppend(b []byte, tag byte, name, value string) []byte {
	b = append(b, tag, byte(len(name)>>8), byte(len(name)))
	b = append(b, name...)
	b = append(b, byte(len(value)>>8), byte(len(value)))
	return append(b, value...)
}

// ippGetPrinterAttributes is a Get-Printer-Attributes request (IPP/2.0)
// for printer-uri uri, asking only the printer's make and model and
// firmware name.
func ippGetPrinterAttributes(uri string) []byte {
	b := []byte{2, 0, byte(ippGetPrinterAtt >> 8), byte(ippGetPrinterAtt & 0xff), 0, 0, 0, 1, ippTagOperation}
	b = ippAppend(b, ippCharset, "attributes-charset", "utf-8")
	b = ippAppend(b, ippNaturalLang, "attributes-natural-language", "en")
	b = ippAppend(b, ippURI, "printer-uri", uri)
	b = ippAppend(b, ippKeyword, "requested-attributes", "printer-make-and-model")
	b = ippAppend(b, ippKeyword, "", "printer-info")
	return append(b, ippTagEnd)
}

// ippResponse is what an IPP response told.
type ippResponse struct {
	version string // "2.0"
	status  uint16
	// attrs holds the first value of each text, name, keyword or URI
	// attribute.
	attrs map[string]string
}

// maxIPPAttrs caps the attributes parseIPP reads.
const maxIPPAttrs = 512

// parseIPP parses an IPP response body (RFC 8010 section 3.1).
func parseIPP(b []byte) (ippResponse, error) {
	if len(b) < 9 || b[0] < 1 || b[0] > 2 {
		return ippResponse{}, noMatch(proto.IPP, "not an IPP response")
	}
	r := ippResponse{version: fmt.Sprintf("%d.%d", b[0], b[1]), status: uint16(b[2])<<8 | uint16(b[3]), attrs: map[string]string{}}
	p := b[8:]
	if p[0] > 0x0f {
		return ippResponse{}, noMatch(proto.IPP, "no attribute group follows the header")
	}
	name := ""
	for n := 0; len(p) > 0 && n < maxIPPAttrs; n++ {
		tag := p[0]
		p = p[1:]
		if tag == ippTagEnd {
			return r, nil
		}
		if tag <= 0x0f {
			continue // the start of an attribute group
		}
		if len(p) < 2 {
			break
		}
		nl := int(p[0])<<8 | int(p[1])
		if len(p) < 2+nl+2 {
			break
		}
		if nl > 0 {
			name = string(p[2 : 2+nl])
		}
		p = p[2+nl:]
		vl := int(p[0])<<8 | int(p[1])
		if len(p) < 2+vl {
			break
		}
		val := p[2 : 2+vl]
		p = p[2+vl:]
		switch tag {
		case ippTextNoLang, ippNameNoLang, ippKeyword, ippURI, ippCharset, ippNaturalLang:
			if _, seen := r.attrs[name]; !seen && nl > 0 {
				r.attrs[name] = string(val)
			}
		}
	}
	if len(r.attrs) == 0 {
		return ippResponse{}, noMatch(proto.IPP, "the response is cut short")
	}
	return r, nil // cut short, but what came is IPP
}

// ippPort reports whether port is one IPP customarily uses.
func ippPort(port uint16) bool {
	info, _ := proto.Lookup(proto.IPP)
	return slices.Contains(info.TCP, port) || slices.Contains(info.TLS, port)
}

// ippFollowUp asks Get-Printer-Attributes of /ipp/print (IPP Everywhere)
// and then of /, and recognises a printer or print server by an IPP
// answer. It reads attributes only.
func (l *layer) ippFollowUp(ctx context.Context, s *facts.Service) bool {
	host := httpmsg.Host(l.addr, l.opt.ServerName, l.tls)
	scheme := "ipp"
	if l.tls {
		scheme = "ipps"
	}
	for _, path := range []string{"/ipp/print", "/"} {
		body := ippGetPrinterAttributes(scheme + "://" + host + path)
		req := fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: vigil\r\nContent-Type: application/ipp\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", path, host, len(body))
		resp, _ := l.exchange(ctx, append(req, body...), httpCap, httpmsg.Complete)
		r, err := httpmsg.Parse(resp)
		if err != nil || r.Status != 200 || !strings.HasPrefix(r.Get("content-type"), "application/ipp") {
			continue
		}
		ipp, err := parseIPP(r.Body)
		if err != nil {
			continue
		}
		s.Name = proto.IPP
		if m := ipp.attrs["printer-make-and-model"]; m != "" {
			s.Product = clean(m, 64)
		} else if s.Product == "" {
			s.Product = "IPP printer"
		}
		s.SetDetail(facts.DetailIppVersion, ipp.version)
		s.SetDetail(facts.DetailIppStatus, fmt.Sprintf("0x%04x", ipp.status))
		return true
	}
	return false
}
