package access

import (
	"context"
	"encoding/binary"
	"net"
	"slices"
	"strconv"
	"testing"

	"github.com/vigilsec/vigil/internal/codec/bson"
	"github.com/vigilsec/vigil/internal/codec/mongo"
	"github.com/vigilsec/vigil/internal/codec/resp"
	"github.com/vigilsec/vigil/internal/facts"
)

func TestAuditPostgreSQL(t *testing.T) {
	// From identification's detail: no connection.
	for detail, want := range map[string]bool{"S": true, "N": false} {
		s := &facts.Service{Name: "postgresql", Details: map[string]string{"postgresql.ssl": detail}}
		a, err := auditAt(t, netipClosed(t), s, Options{})
		if err != nil || *a.StartTLS != want {
			t.Errorf("detail %s: %+v %v", detail, a, err)
		}
	}
	// Asked: the server answers one byte to SSLRequest.
	for answer, want := range map[string]string{"S": "true", "N": "false", "E": "error"} {
		addr := serve(t, func(_ context.Context, c net.Conn) {
			buf := make([]byte, 8)
			if _, err := c.Read(buf); err != nil || string(buf) != string(pgSSLRequest) {
				return
			}
			_, _ = c.Write([]byte(answer))
		})
		s := &facts.Service{Name: "postgresql"}
		a, err := auditAt(t, addr, s, Options{})
		got := "error"
		if err == nil {
			got = boolp(a.StartTLS)
		}
		if got != want || (err == nil && s.Detail("postgresql.ssl") != answer) {
			t.Errorf("answer %s: got %s (%v)", answer, got, err)
		}
	}
}

func TestAuditMySQLAndMQTT(t *testing.T) {
	tests := []struct {
		name    string
		s       facts.Service
		nilWant bool
		check   func(*facts.Access) bool
	}{
		{"mariadb skip-ssl", facts.Service{Name: "mysql", Details: map[string]string{"mysql.capabilities": "0x81fff7fe"}}, false, func(a *facts.Access) bool { return !*a.StartTLS }},
		{"mysql with tls", facts.Service{Name: "mysql", Details: map[string]string{"mysql.capabilities": "0xdfffffff"}}, false, func(a *facts.Access) bool { return *a.StartTLS }},
		{"mysql error packet", facts.Service{Name: "mysql", Details: map[string]string{"mysql.error": "1130: Host not allowed"}}, true, nil},
		{"mqtt anonymous", facts.Service{Name: "mqtt", Details: map[string]string{"mqtt.connack": "0"}}, false, func(a *facts.Access) bool { return a.Anonymous }},
		{"mqtt refused", facts.Service{Name: "mqtt", Details: map[string]string{"mqtt.connack": "5"}}, false, func(a *facts.Access) bool { return !a.Anonymous }},
		{"mqtt over tls refused", facts.Service{Name: "mqtt", TLS: true, Details: map[string]string{"mqtt.connack": "5"}}, false, func(a *facts.Access) bool { return !a.Anonymous }},
	}
	for _, tt := range tests {
		s := tt.s
		a, err := auditAt(t, netipClosed(t), &s, Options{})
		if err != nil || (a == nil) != tt.nilWant || (a != nil && !tt.check(a)) {
			t.Errorf("%s: %+v %v", tt.name, a, err)
		}
	}
}

func TestParseKeyspace(t *testing.T) {
	info := map[string]string{"db0": "keys=3,expires=0,avg_ttl=0", "db12": "keys=40,expires=1", "db2": "keys=x", "dbx": "keys=1", "redis_version": "7"}
	got := parseKeyspace(info)
	if !slices.Equal(got, []redisDB{{0, 3}, {12, 40}}) {
		t.Errorf("parseKeyspace = %v", got)
	}
	ev := redisEvidence(map[string]string{"redis_version": "7.0.15"}, info)
	if ev != "INFO answered without a password: redis_version 7.0.15, 3 keys in db0, 40 keys in db12" {
		t.Errorf("evidence %q", ev)
	}
}

func FuzzRedisInfo(f *testing.F) {
	f.Add([]byte("$44\r\n# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\n\r\n"))
	f.Add([]byte("-NOAUTH Authentication required.\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		resp.Complete(b)
		if info, err := resp.ParseInfo(b); err == nil {
			assertClean(t, redisEvidence(info, info))
		}
	})
}

// assertClean fails when s holds a control byte.
func assertClean(t *testing.T, s string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			t.Fatalf("control byte %#x in %q", s[i], s)
		}
	}
}

// redisServer answers INFO sections, or NOAUTH when auth is set.
func redisServer(auth bool, keys string) func(context.Context, net.Conn) {
	return func(_ context.Context, c net.Conn) {
		buf := make([]byte, 1024)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			var payload string
			switch {
			case auth:
				_, _ = c.Write([]byte("-NOAUTH Authentication required.\r\n"))
				continue
			case contains(buf[:n], "server"):
				payload = "# Server\r\nredis_version:7.2.4\r\nredis_mode:standalone\r\n"
			case contains(buf[:n], "keyspace"):
				payload = "# Keyspace\r\n" + keys
			}
			_, _ = c.Write([]byte("$" + strconv.Itoa(len(payload)) + "\r\n" + payload + "\r\n"))
		}
	}
}

func contains(b []byte, s string) bool { return len(s) > 0 && bytesContains(b, []byte(s)) }

func TestAuditRedis(t *testing.T) {
	addr := serve(t, redisServer(false, "db0:keys=12,expires=0,avg_ttl=0\r\n"))
	a, err := auditAt(t, addr, &facts.Service{Name: "redis", Details: map[string]string{"redis.auth": "none"}}, Options{})
	if err != nil || a.Unauthenticated != "INFO answered without a password: redis_version 7.2.4, 12 keys in db0" {
		t.Errorf("open: %+v %v", a, err)
	}
	addr = serve(t, redisServer(true, ""))
	a, err = auditAt(t, addr, &facts.Service{Name: "redis"}, Options{})
	if err != nil || a.Unauthenticated != "" {
		t.Errorf("NOAUTH: %+v %v", a, err)
	}
	// Identification already saw NOAUTH: nothing is sent.
	a, err = auditAt(t, netipClosed(t), &facts.Service{Name: "redis", Details: map[string]string{"redis.auth": "required"}}, Options{})
	if err != nil || a == nil || a.Unauthenticated != "" {
		t.Errorf("required: %+v %v", a, err)
	}
}

func TestMemcachedStats(t *testing.T) {
	in := "STAT pid 1\r\nSTAT version 1.6.18\r\nSTAT curr_items 12\r\nSTAT bytes 1234567\r\nEND\r\n"
	if !memcachedDone([]byte(in)) || memcachedDone([]byte(in[:30])) || !memcachedDone([]byte("ERROR\r\n")) {
		t.Error("memcachedDone")
	}
	stats, ok := parseStats([]byte(in))
	if !ok || memcachedEvidence(stats) != "stats answered without authentication: 12 items, 1.2 MB stored, version 1.6.18" {
		t.Errorf("evidence %q", memcachedEvidence(stats))
	}
	if _, ok := parseStats([]byte("CLIENT_ERROR unauthenticated\r\n")); ok {
		t.Error("an error parsed as stats")
	}
	for n, want := range map[int64]string{0: "0 bytes", 999: "999 bytes", 1000: "1.0 kB", 1_500_000: "1.5 MB", 3_000_000_000: "3.0 GB"} {
		if got := byteSize(n); got != want {
			t.Errorf("byteSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func FuzzMemcachedStats(f *testing.F) {
	f.Add([]byte("STAT curr_items 1\r\nSTAT bytes 10\r\nSTAT version 1.6\r\nEND\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		memcachedDone(b)
		if stats, ok := parseStats(b); ok {
			assertClean(t, memcachedEvidence(stats))
		}
	})
}

func TestAuditMemcached(t *testing.T) {
	addr := serve(t, lineServer("", rule{"STATS", "STAT pid 7\r\nSTAT curr_items 2\r\nSTAT bytes 2048\r\nEND\r\n"}))
	a, err := auditAt(t, addr, &facts.Service{Name: "memcached"}, Options{})
	if err != nil || a.Unauthenticated != "stats answered without authentication: 2 items, 2.0 kB stored" {
		t.Errorf("open: %+v %v", a, err)
	}
	addr = serve(t, lineServer("", rule{"STATS", "CLIENT_ERROR unauthenticated\r\n"}))
	a, err = auditAt(t, addr, &facts.Service{Name: "memcached"}, Options{})
	if err != nil || a.Unauthenticated != "" {
		t.Errorf("SASL: %+v %v", a, err)
	}
}

// mongoServer answers listDatabases (OP_MSG) with doc.
func mongoServer(doc []byte) func(context.Context, net.Conn) {
	return func(_ context.Context, c net.Conn) {
		buf := make([]byte, 4096)
		n, err := c.Read(buf)
		if err != nil || n < 16 || binary.LittleEndian.Uint32(buf[12:]) != mongo.OpMsg {
			return
		}
		reqID := binary.LittleEndian.Uint32(buf[4:])
		cmd, err := bson.Parse(buf[21:n])
		if err != nil {
			return
		}
		if _, ok := cmd["listDatabases"]; !ok {
			return
		}
		if v, _ := cmd["nameOnly"].Bool(); !v {
			return
		}
		ans := mongo.Msg(99, doc)
		binary.LittleEndian.PutUint32(ans[8:], reqID)
		_, _ = c.Write(ans)
	}
}

// bsonDatabases builds {databases: [{name: …}…], ok: 1}.
func bsonDatabases(names ...string) []byte {
	arr := []byte{0, 0, 0, 0}
	for i, n := range names {
		arr = append(arr, bson.TypeDocument)
		arr = append(append(arr, strconv.Itoa(i)...), 0)
		arr = append(arr, bson.Doc(bson.Elem{Key: "name", Val: n})...)
	}
	arr = append(arr, 0)
	binary.LittleEndian.PutUint32(arr, uint32(len(arr)))
	doc := []byte{0, 0, 0, 0, bson.TypeArray}
	doc = append(append(doc, "databases"...), 0)
	doc = append(doc, arr...)
	doc = append(doc, bson.TypeDouble)
	doc = append(append(doc, "ok"...), 0)
	doc = binary.LittleEndian.AppendUint64(doc, 0x3ff0000000000000) // 1.0
	doc = append(doc, 0)
	binary.LittleEndian.PutUint32(doc, uint32(len(doc)))
	return doc
}

func TestAuditMongoDB(t *testing.T) {
	addr := serve(t, mongoServer(bsonDatabases("admin", "clinic", "local")))
	a, err := auditAt(t, addr, &facts.Service{Name: "mongodb"}, Options{})
	if err != nil || a.Unauthenticated != "listDatabases answered without credentials: 3 databases (admin, clinic, local)" {
		t.Errorf("open: %+v %v", a, err)
	}
	denied := bson.Doc(bson.Elem{Key: "ok", Val: 0.0}, bson.Elem{Key: "errmsg", Val: "command listDatabases requires authentication"}, bson.Elem{Key: "code", Val: int32(13)}, bson.Elem{Key: "codeName", Val: "Unauthorized"})
	addr = serve(t, mongoServer(denied))
	a, err = auditAt(t, addr, &facts.Service{Name: "mongodb"}, Options{})
	if err != nil || a.Unauthenticated != "" {
		t.Errorf("auth on: %+v %v", a, err)
	}
}

func FuzzListDatabases(f *testing.F) {
	f.Add(bsonDatabases("admin", "x"))
	f.Add(bson.Doc(bson.Elem{Key: "ok", Val: 0.0}, bson.Elem{Key: "codeName", Val: "Unauthorized"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := bson.Parse(b)
		if err != nil {
			return
		}
		if names, _, ok := databaseNames(doc); ok {
			assertClean(t, mongoEvidence(names))
		}
	})
}
