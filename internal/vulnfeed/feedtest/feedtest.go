// Package feedtest serves the public vulnerability feeds on loopback, for
// tests of vigil's updates: OSV's export of the Debian ecosystem (all.zip
// built on the fly, modified_id.csv, one record a file), the NVD CVE API
// 2.0 (paged, filtered by lastModStartDate and lastModEndDate), the CISA
// KEV catalogue and the EPSS scores, all from the real records in
// internal/vulndb/testdata. It sends x-goog-hash checksums as Google Cloud
// Storage does, logs every request, and can misbehave on demand.
package feedtest

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Paths the server answers on.
const (
	OSVPrefix = "/osv"
	NVDPath   = "/nvd/rest/json/cves/2.0"
	KEVPath   = "/kev/known_exploited_vulnerabilities.json"
	EPSSPath  = "/epss/epss_scores-current.csv.gz"
)

// Server is a loopback server of the feeds. Its fields may be changed
// between updates, under Lock/Unlock.
type Server struct {
	mu  sync.Mutex
	srv *httptest.Server

	// OSV holds the Debian ecosystem's records by id.
	OSV map[string][]byte
	// NVD holds the NVD records (bare cve objects) by id.
	NVD map[string][]byte
	// NVDPageSize is how many records a page holds at most.
	NVDPageSize int
	// NVDTimestamp is the timestamp of NVD's answers (its clock).
	NVDTimestamp time.Time
	// KEV and EPSS are the catalogue and the scores file.
	KEV, EPSS []byte

	// Faults, by path ("/osv/Debian/all.zip"):
	// Cut closes the connection after half the body;
	Cut map[string]bool
	// BadMD5 sends an MD5 checksum of other bytes;
	BadMD5 map[string]bool
	// Status answers these codes first, one a request, then 200;
	Status map[string][]int
	// RetryAfter is sent with those answers when set.
	RetryAfter string
	// Stall sends half the body, then nothing until the client leaves;
	Stall map[string]bool
	// Redirect answers 302 to the URL given;
	Redirect map[string]string
	// Oversize claims a body of 3 GiB, and sends none;
	Oversize map[string]bool
	// Hook, when set, runs first for every request.
	Hook func(r *http.Request)

	log []Request
}

// Request is one request the server received.
type Request struct {
	// URI is the path and query as sent.
	URI string
	// APIKey is its apiKey header.
	APIKey string
}

// New starts a server of the fixtures in testdata (internal/vulndb's),
// closed when the test ends.
func New(t testing.TB, testdata string) *Server {
	t.Helper()
	s := &Server{OSV: map[string][]byte{}, NVD: map[string][]byte{}, NVDPageSize: 10,
		NVDTimestamp: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC),
		Cut:          map[string]bool{}, BadMD5: map[string]bool{}, Status: map[string][]int{}, Stall: map[string]bool{}, Oversize: map[string]bool{},
		Redirect: map[string]string{}}
	read := func(name string) []byte {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	osv, _ := filepath.Glob(filepath.Join(testdata, "osv-debian", "*.json"))
	for _, f := range osv {
		s.OSV[strings.TrimSuffix(filepath.Base(f), ".json")] = read(f)
	}
	nvd, _ := filepath.Glob(filepath.Join(testdata, "nvd", "CVE-*.json"))
	for _, f := range nvd {
		s.NVD[strings.TrimSuffix(filepath.Base(f), ".json")] = read(f)
	}
	if len(osv) == 0 || len(nvd) == 0 {
		t.Fatalf("no fixtures in %s", testdata)
	}
	s.KEV = read(filepath.Join(testdata, "kev", "known_exploited_vulnerabilities.json"))
	s.EPSS = read(filepath.Join(testdata, "epss", "epss_scores-2026-08-15.csv.gz"))
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	if ap, err := netip.ParseAddrPort(s.srv.Listener.Addr().String()); err != nil || !ap.Addr().IsLoopback() {
		t.Fatalf("the test server is not on loopback: %s", s.srv.Listener.Addr())
	}
	t.Cleanup(s.srv.Close)
	return s
}

// Lock and Unlock guard changes to the server's fields.
func (s *Server) Lock()   { s.mu.Lock() }
func (s *Server) Unlock() { s.mu.Unlock() }

// URL returns the server's address ("http://127.0.0.1:PORT").
func (s *Server) URL() string { return s.srv.URL }

// Requests returns the requests received so far, and forgets them.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.log
	s.log = nil
	return out
}

// Client returns an HTTP client that reaches loopback addresses only, and
// no proxy: whatever a test gets wrong, nothing leaves the machine.
func Client() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			ap, err := netip.ParseAddrPort(addr)
			if err != nil || !ap.Addr().IsLoopback() {
				return nil, fmt.Errorf("feedtest: refusing to connect to %s: tests reach loopback only", addr)
			}
			return d.DialContext(ctx, network, addr)
		},
	}}
}

// ModifiedOf returns the modification time an OSV record states.
func ModifiedOf(record []byte) time.Time {
	var r struct {
		Modified time.Time `json:"modified"`
	}
	json.Unmarshal(record, &r)
	return r.Modified.UTC()
}

// SetOSVModified returns record with its modification time set to t.
func SetOSVModified(record []byte, t time.Time) []byte {
	var m map[string]any
	if err := json.Unmarshal(record, &m); err != nil {
		panic(err)
	}
	m["modified"] = t.UTC().Format(time.RFC3339Nano)
	b, _ := json.MarshalIndent(m, "", "  ")
	return b
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	hook := s.Hook
	s.mu.Unlock()
	if hook != nil {
		hook(r)
	}
	s.mu.Lock()
	s.log = append(s.log, Request{URI: r.URL.RequestURI(), APIKey: r.Header.Get("apiKey")})
	path := r.URL.Path
	if codes := s.Status[path]; len(codes) > 0 {
		s.Status[path] = codes[1:]
		if s.RetryAfter != "" {
			w.Header().Set("Retry-After", s.RetryAfter)
		}
		s.mu.Unlock()
		http.Error(w, http.StatusText(codes[0]), codes[0])
		return
	}
	if to, ok := s.Redirect[path]; ok {
		delete(s.Redirect, path)
		s.mu.Unlock()
		http.Redirect(w, r, to, http.StatusFound)
		return
	}
	body, ctype, gcs, ok := s.body(r)
	cut, bad, stall, oversize := s.Cut[path], s.BadMD5[path], s.Stall[path], s.Oversize[path]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if oversize {
		w.Header().Set("Content-Length", strconv.Itoa(3<<30))
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if gcs {
		sum := md5.Sum(body)
		if bad {
			sum = md5.Sum(append([]byte("other bytes"), body...))
		}
		crc := binary.BigEndian.AppendUint32(nil, crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
		w.Header().Add("X-Goog-Hash", "crc32c="+base64.StdEncoding.EncodeToString(crc))
		w.Header().Add("X-Goog-Hash", "md5="+base64.StdEncoding.EncodeToString(sum[:]))
	}
	switch {
	case cut:
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	case stall:
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	default:
		w.Write(body)
	}
}

// body returns what path holds: its bytes, type, whether it is served as
// Google Cloud Storage serves it, and whether it exists. s.mu is held.
func (s *Server) body(r *http.Request) ([]byte, string, bool, bool) {
	path := r.URL.Path
	switch {
	case path == KEVPath:
		return s.KEV, "application/json", false, true
	case path == EPSSPath:
		return s.EPSS, "application/gzip", false, true
	case path == NVDPath:
		b, err := s.nvdPage(r)
		if err != nil {
			return []byte(err.Error()), "text/plain", false, false
		}
		return b, "application/json", false, true
	case path == OSVPrefix+"/Debian/all.zip":
		return s.osvZip(), "application/zip", true, true
	case path == OSVPrefix+"/Debian/modified_id.csv":
		return s.osvCSV(), "text/csv", true, true
	case strings.HasPrefix(path, OSVPrefix+"/Debian/") && strings.HasSuffix(path, ".json"):
		id := strings.TrimSuffix(strings.TrimPrefix(path, OSVPrefix+"/Debian/"), ".json")
		b, ok := s.OSV[id]
		return b, "application/json", true, ok
	}
	return nil, "", false, false
}

// osvZip builds all.zip: one ID.json member a record, by id.
func (s *Server) osvZip() []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, id := range slices.Sorted(maps.Keys(s.OSV)) {
		f, _ := z.Create(id + ".json")
		f.Write(s.OSV[id])
	}
	z.Close()
	return buf.Bytes()
}

// osvCSV builds modified_id.csv as OSV's exporter writes it: newest
// first, then by id, with no header.
func (s *Server) osvCSV() []byte {
	type row struct {
		t  time.Time
		id string
	}
	var rows []row
	for id, b := range s.OSV {
		rows = append(rows, row{ModifiedOf(b), id})
	}
	sort.Slice(rows, func(i, j int) bool {
		if !rows[i].t.Equal(rows[j].t) {
			return rows[i].t.After(rows[j].t)
		}
		return rows[i].id < rows[j].id
	})
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s,%s\n", r.t.Format(time.RFC3339Nano), r.id)
	}
	return []byte(b.String())
}

// nvdPage answers one request of the CVE API 2.0 as NVD does.
func (s *Server) nvdPage(r *http.Request) ([]byte, error) {
	q := r.URL.Query()
	for k := range q {
		if !slices.Contains([]string{"startIndex", "resultsPerPage", "lastModStartDate", "lastModEndDate"}, k) {
			return nil, fmt.Errorf("feedtest: NVD parameter %q is not one an update sends", k)
		}
	}
	start, _ := strconv.Atoi(q.Get("startIndex"))
	per, _ := strconv.Atoi(q.Get("resultsPerPage"))
	if per <= 0 || per > 2000 {
		per = 2000
	}
	per = min(per, s.NVDPageSize)
	var from, to time.Time
	if q.Has("lastModStartDate") != q.Has("lastModEndDate") {
		return nil, fmt.Errorf("feedtest: both lastModStartDate and lastModEndDate are required")
	}
	if q.Has("lastModStartDate") {
		var err1, err2 error
		from, err1 = time.Parse("2006-01-02T15:04:05.000Z07:00", q.Get("lastModStartDate"))
		to, err2 = time.Parse("2006-01-02T15:04:05.000Z07:00", q.Get("lastModEndDate"))
		if err1 != nil || err2 != nil || to.Before(from) || to.Sub(from) > 120*24*time.Hour {
			return nil, fmt.Errorf("feedtest: bad date range %q %q", q.Get("lastModStartDate"), q.Get("lastModEndDate"))
		}
	}
	var ids []string
	for _, id := range slices.Sorted(maps.Keys(s.NVD)) {
		if !from.IsZero() {
			m := NVDLastModified(s.NVD[id])
			if m.Before(from) || m.After(to) {
				continue
			}
		}
		ids = append(ids, id)
	}
	type item struct {
		CVE json.RawMessage `json:"cve"`
	}
	page := struct {
		ResultsPerPage  int    `json:"resultsPerPage"`
		StartIndex      int    `json:"startIndex"`
		TotalResults    int    `json:"totalResults"`
		Format          string `json:"format"`
		Version         string `json:"version"`
		Timestamp       string `json:"timestamp"`
		Vulnerabilities []item `json:"vulnerabilities"`
	}{StartIndex: start, TotalResults: len(ids), Format: "NVD_CVE", Version: "2.0",
		Timestamp: s.NVDTimestamp.UTC().Format("2006-01-02T15:04:05.000"), Vulnerabilities: []item{}}
	for i := start; i < len(ids) && i < start+per; i++ {
		page.Vulnerabilities = append(page.Vulnerabilities, item{s.NVD[ids[i]]})
	}
	page.ResultsPerPage = len(page.Vulnerabilities)
	return json.Marshal(page)
}

// NVDLastModified returns a bare NVD record's lastModified time.
func NVDLastModified(record []byte) time.Time {
	var c struct {
		LastModified string `json:"lastModified"`
	}
	json.Unmarshal(record, &c)
	t, _ := time.Parse("2006-01-02T15:04:05.999999999", c.LastModified)
	return t
}

// SetNVD returns a bare NVD record with lastModified set to t and its
// English description set to desc.
func SetNVD(record []byte, t time.Time, desc string) []byte {
	var m map[string]any
	if err := json.Unmarshal(record, &m); err != nil {
		panic(err)
	}
	m["lastModified"] = t.UTC().Format("2006-01-02T15:04:05.000")
	m["descriptions"] = []map[string]string{{"lang": "en", "value": desc}}
	b, _ := json.Marshal(m)
	return b
}
