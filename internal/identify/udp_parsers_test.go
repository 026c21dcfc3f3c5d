package identify

import (
	"encoding/binary"
	"strings"
	"testing"
)

// coapReply builds a CoAP response with a Content-Format option (format
// >= 0) and payload.
func coapReply(typ int, code byte, mid uint16, tok []byte, format int, payload string) []byte {
	b := []byte{1<<6 | byte(typ)<<4 | byte(len(tok)), code}
	b = binary.BigEndian.AppendUint16(b, mid)
	b = append(b, tok...)
	if format >= 0 {
		b = append(b, coapOptContentFmt<<4|1, byte(format))
	}
	if payload != "" {
		b = append(append(b, 0xff), payload...)
	}
	return b
}

// mdnsReply answers mdnsQuery(id) with flags and a PTR per service type.
func mdnsReply(id, flags uint16, types ...string) []byte {
	b := mdnsQuery(id)
	binary.BigEndian.PutUint16(b[2:], flags)
	binary.BigEndian.PutUint16(b[6:], uint16(len(types)))
	for _, typ := range types {
		b = append(b, 0xc0, 12) // the question's name
		b = binary.BigEndian.AppendUint16(b, dnsTypePTR)
		b = binary.BigEndian.AppendUint16(b, 1)
		b = binary.BigEndian.AppendUint32(b, 10)
		var rd []byte
		for label := range strings.SplitSeq(typ, ".") {
			rd = append(append(rd, byte(len(label))), label...)
		}
		rd = append(rd, 0xc0, byte(12+1+len("_services")+1+len("_dns-sd")+1+len("_udp"))) // ".local" of the question
		b = binary.BigEndian.AppendUint16(b, uint16(len(rd)))
		b = append(b, rd...)
	}
	return b
}

type nbEntry struct {
	name   string
	suffix byte
	group  bool
}

var labNames = []nbEntry{{"LABHOST", 0, false}, {"LABHOST", 0x20, false}, {"LABGROUP", 0, true}, {"LABGROUP", 0x1e, true}}

// nbstatReply builds a NODE STATUS RESPONSE with names and, when mac, an
// all-zero unit id and statistics as Samba sends them.
func nbstatReply(id uint16, names []nbEntry, mac bool) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = append(b, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0)
	b = append(b, 32)
	b = append(b, nbEncodedWildcard...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, nbTypeNBSTAT)
	b = binary.BigEndian.AppendUint16(b, nbClassIN)
	b = binary.BigEndian.AppendUint32(b, 0)
	rd := []byte{byte(len(names))}
	for _, n := range names {
		e := []byte(n.name + strings.Repeat(" ", 15-len(n.name)))
		e = append(e, n.suffix)
		fl := uint16(0x0400)
		if n.group {
			fl |= 0x8000
		}
		rd = binary.BigEndian.AppendUint16(append(rd, e...), fl)
	}
	if mac {
		rd = append(rd, make([]byte, 46)...)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(rd)))
	return append(b, rd...)
}

func TestParseTFTPReply(t *testing.T) {
	tests := []struct {
		name   string
		in     []byte
		ok     bool
		answer string
		err    string
	}{
		{"not found", append([]byte{0, 5, 0, 1}, "File not found\x00"...), true, "error", "1 File not found"},
		{"access", append([]byte{0, 5, 0, 2}, "Permission denied\x00"...), true, "error", "2 Permission denied"},
		{"escape in message", append([]byte{0, 5, 0, 0}, "\x1b[2Jx\x00"...), true, "error", `0 \x1b[2Jx`},
		{"data", append([]byte{0, 3, 0, 1}, "hello"...), true, "data", ""},
		{"oack", append([]byte{0, 6}, "blksize\x00512\x00"...), true, "oack", ""},
		{"no NUL", append([]byte{0, 5, 0, 1}, "File not found"...), false, "", ""},
		{"bad code", append([]byte{0, 5, 0, 99}, "x\x00"...), false, "", ""},
		{"later block", []byte{0, 3, 0, 2}, false, "", ""},
		{"read request echoed", tftpReadRequest("x"), false, "", ""},
		{"short", []byte{0, 5}, false, "", ""},
	}
	for _, tt := range tests {
		r, err := parseTFTPReply(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("%s: error %v, want ok %v", tt.name, err, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		s := newService()
		applyTFTP(r, &s)
		if s.Name != "tftp" || s.Detail("tftp.answer") != tt.answer || s.Detail("tftp.error") != tt.err {
			t.Errorf("%s: got %s %v", tt.name, s.Name, s.Details)
		}
		assertPrintable(t, s)
	}
}

func TestParseSIPResponse(t *testing.T) {
	tests := []struct {
		name, in                 string
		ok                       bool
		product, version, status string
	}{
		{"kamailio", "SIP/2.0 200 OK\r\nServer: kamailio (5.6.3 (x86_64/linux))\r\nCall-ID: c\r\n\r\n", true, "Kamailio", "5.6.3", "200 OK"},
		{"asterisk ua", "SIP/2.0 200 OK\r\nUser-Agent: Asterisk PBX 20.5.0~dfsg-1\r\ni: c\r\n\r\n", true, "Asterisk", "20.5.0~dfsg-1", "200 OK"},
		{"opensips", "SIP/2.0 483 Too Many Hops\r\nServer: OpenSIPS (3.4.2 (x86_64/linux))\r\n\r\n", true, "OpenSIPS", "3.4.2", "483 Too Many Hops"},
		{"unknown product", "SIP/2.0 404 Not Found\r\nServer: MyPBX/2.1\r\n\r\n", true, "MyPBX", "2.1", "404 Not Found"},
		{"no server", "SIP/2.0 200 OK\r\n\r\n", true, "", "", "200 OK"},
		{"http", "HTTP/1.1 200 OK\r\n\r\n", false, "", "", ""},
		{"bad code", "SIP/2.0 2000 OK\r\n\r\n", false, "", "", ""},
		{"request", "OPTIONS sip:x SIP/2.0\r\n\r\n", false, "", "", ""},
	}
	for _, tt := range tests {
		r, err := parseSIPResponse([]byte(tt.in))
		if (err == nil) != tt.ok {
			t.Errorf("%s: error %v, want ok %v", tt.name, err, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		s := newService()
		applySIP(r, &s)
		if s.Name != "sip" || s.Product != tt.product || s.Version != tt.version || s.Detail("sip.status") != tt.status {
			t.Errorf("%s: got %q %q %q", tt.name, s.Product, s.Version, s.Detail("sip.status"))
		}
	}
}

func TestSIPSessionTiesAnswers(t *testing.T) {
	p := newSIPSession(udpEnv{}).(*sipSession)
	s := newService()
	other := "SIP/2.0 200 OK\r\nCall-ID: someone-else\r\nServer: x/1\r\n\r\n"
	if m, _ := p.answer([]byte(other), &s); m {
		t.Error("an answer to another call matched")
	}
	trying := "SIP/2.0 100 Trying\r\nCall-ID: " + p.req.callID + "\r\n\r\n"
	if m, c := p.answer([]byte(trying), &s); !m || c {
		t.Errorf("100 Trying: matched %v complete %v", m, c)
	}
	final := "SIP/2.0 200 OK\r\nCall-ID: " + p.req.callID + "\r\nServer: kamailio (5.6.3)\r\n\r\n"
	if m, c := p.answer([]byte(final), &s); !m || !c || s.Product != "Kamailio" {
		t.Errorf("200: matched %v complete %v product %q", m, c, s.Product)
	}
	req := string(p.request(0))
	for _, h := range []string{"Max-Forwards: 0\r\n", "Call-ID: " + p.req.callID + "\r\n", "CSeq: 1 OPTIONS\r\n"} {
		if !strings.Contains(req, h) {
			t.Errorf("request lacks %q", h)
		}
	}
}

func TestParseCoAP(t *testing.T) {
	tok := []byte{1, 2, 3, 4}
	c := &coapSession{mid: 0x1234, tok: [4]byte{1, 2, 3, 4}}
	if m, err := parseCoAP(c.request(0)); err == nil {
		t.Errorf("the GET request itself parsed as a response: %+v", m)
	}
	tests := []struct {
		name      string
		in        []byte
		matched   bool
		complete  bool
		code, res string
	}{
		{"piggybacked", coapReply(coapACK, 0x45, 0x1234, tok, 40, "</a>,</b>;ct=0"), true, true, "2.05", "/a,/b"},
		{"not found", coapReply(coapACK, 0x84, 0x1234, tok, -1, ""), true, true, "4.04", ""},
		{"reset", coapReply(coapRST, 0, 0x1234, nil, -1, ""), true, true, "reset", ""},
		{"empty ack", coapReply(coapACK, 0, 0x1234, nil, -1, ""), true, false, "0.00", ""},
		{"separate response", coapReply(coapCON, 0x45, 0x9999, tok, 40, "</c>"), true, true, "2.05", "/c"},
		{"other mid", coapReply(coapACK, 0x45, 0x1235, tok, 40, "</a>"), false, false, "", ""},
		{"other token", coapReply(coapCON, 0x45, 0x1234, []byte{9, 9, 9, 9}, 40, "</a>"), false, false, "", ""},
		{"version 2", append([]byte{0x84}, coapReply(coapACK, 0x45, 0x1234, tok, -1, "")[1:]...), false, false, "", ""},
		{"marker only", append(coapReply(coapACK, 0x45, 0x1234, tok, -1, ""), 0xff), false, false, "", ""},
	}
	for _, tt := range tests {
		s := newService()
		m, complete := c.answer(tt.in, &s)
		if m != tt.matched || complete != tt.complete {
			t.Errorf("%s: matched %v complete %v", tt.name, m, complete)
			continue
		}
		if m && (s.Name != "coap" || s.Detail("coap.code") != tt.code || s.Detail("coap.resources") != tt.res) {
			t.Errorf("%s: got %s %v", tt.name, s.Name, s.Details)
		}
	}
}

func TestParseSSDPResponse(t *testing.T) {
	tests := []struct {
		name, in         string
		ok               bool
		product, version string
	}{
		{"minidlna", "HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\nSERVER: Debian DEB12 DLNADOC/1.50 UPnP/1.0 MiniDLNA/1.3.0\r\n\r\n", true, "MiniDLNA", "1.3.0"},
		{"router", "HTTP/1.1 200 OK\r\nUSN: uuid:x\r\nServer: Linux/5.4 UPnP/1.1 MiniUPnPd/2.3.3\r\n\r\n", true, "MiniUPnPd", "2.3.3"},
		{"no server", "HTTP/1.1 200 OK\r\nST: ssdp:all\r\n\r\n", true, "", ""},
		{"short status", "HTTP/1.1 200\r\nST: x\r\n\r\n", true, "", ""},
		{"plain http", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n", false, "", ""},
		{"not found", "HTTP/1.1 404 Not Found\r\nST: x\r\n\r\n", false, "", ""},
		{"2000", "HTTP/1.1 2000 OK\r\nST: x\r\n\r\n", false, "", ""},
		{"cut", "HTTP/1.1 20", false, "", ""},
	}
	for _, tt := range tests {
		r, err := parseSSDPResponse([]byte(tt.in))
		if (err == nil) != tt.ok {
			t.Errorf("%s: error %v, want ok %v", tt.name, err, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		s := newService()
		applySSDP(r, &s)
		if s.Name != "ssdp" || s.Product != tt.product || s.Version != tt.version {
			t.Errorf("%s: got %q %q", tt.name, s.Product, s.Version)
		}
	}
}

func TestParseMDNSAnswer(t *testing.T) {
	tests := []struct {
		name  string
		in    []byte
		ok    bool
		types string
	}{
		{"avahi", mdnsReply(7, 0x8400, "_workstation._tcp", "_sftp-ssh._tcp"), true, "_workstation._tcp,_sftp-ssh._tcp"},
		{"not authoritative", mdnsReply(7, 0x8000, "_ssh._tcp"), false, ""},
		{"dns refused", mdnsReply(7, 0x8405), false, ""},
		{"no records", mdnsReply(7, 0x8400), false, ""},
		{"other id", mdnsReply(8, 0x8400, "_ssh._tcp"), false, ""},
		{"query echoed", mdnsQuery(7), false, ""},
		{"escape in type", mdnsReply(7, 0x8400, "_\x1bx._tcp"), true, `_\x1bx._tcp`},
	}
	for _, tt := range tests {
		types, err := parseMDNSAnswer(tt.in, 7)
		if (err == nil) != tt.ok {
			t.Errorf("%s: error %v, want ok %v", tt.name, err, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		s := newService()
		applyMDNS(types, &s)
		if s.Name != "mdns" || s.Detail("mdns.services") != tt.types {
			t.Errorf("%s: got %v", tt.name, s.Details)
		}
		assertPrintable(t, s)
	}
	// A compression loop ends.
	loop := mdnsReply(7, 0x8400, "_ssh._tcp")
	loop[len(mdnsQuery(7))] = 0xc0
	loop[len(mdnsQuery(7))+1] = byte(len(mdnsQuery(7)))
	if _, err := parseMDNSAnswer(loop, 7); err == nil {
		t.Error("a name pointing at itself parsed")
	}
}

func TestParseNBSTAT(t *testing.T) {
	tests := []struct {
		name                 string
		in                   []byte
		ok                   bool
		computer, group, mac string
	}{
		{"samba", nbstatReply(7, labNames, true), true, "LABHOST", "LABGROUP", "00:00:00:00:00:00"},
		{"no statistics", nbstatReply(7, labNames[:1], false), true, "LABHOST", "", ""},
		{"other id", nbstatReply(8, labNames, true), false, "", "", ""},
		{"query echoed", nbstatQuery(7), false, "", "", ""},
		{"cut", nbstatReply(7, labNames, true)[:70], false, "", "", ""},
	}
	for _, tt := range tests {
		st, err := parseNBSTAT(tt.in, 7)
		if (err == nil) != tt.ok {
			t.Errorf("%s: error %v, want ok %v", tt.name, err, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		s := newService()
		applyNBSTAT(st, &s)
		if s.Name != "netbios-ns" || s.Detail("netbios.computer") != tt.computer || s.Detail("netbios.workgroup") != tt.group || s.Detail("netbios.mac") != tt.mac {
			t.Errorf("%s: got %v", tt.name, s.Details)
		}
	}
	if q := nbstatQuery(1); string(q[13:45]) != "CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" {
		t.Errorf("wildcard name encoded as %q", q[13:45])
	}
}

func FuzzParseTFTPReply(f *testing.F) {
	f.Add(append([]byte{0, 5, 0, 1}, "File not found\x00"...))
	f.Add([]byte{0, 3, 0, 1, 'x'})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseTFTPReply(b)
		if err != nil {
			return
		}
		s := newService()
		applyTFTP(r, &s)
		assertPrintable(t, s)
	})
}

func FuzzParseSIPResponse(f *testing.F) {
	f.Add([]byte("SIP/2.0 200 OK\r\nServer: kamailio (5.6.3 (x86_64/linux))\r\nCall-ID: c\r\nAllow: INVITE\r\n\r\n"))
	f.Add([]byte("SIP/2.0 100 Trying\r\ni: c\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sipDone(b)
		r, err := parseSIPResponse(b)
		if err != nil {
			return
		}
		s := newService()
		applySIP(r, &s)
		assertPrintable(t, s)
	})
}

func FuzzParseCoAP(f *testing.F) {
	f.Add(coapReply(coapACK, 0x45, 1, []byte{1, 2, 3, 4}, 40, "</a>;rt=x,</b>"))
	f.Add(coapReply(coapRST, 0, 1, nil, -1, ""))
	f.Add([]byte{0x44, 0x45, 0, 1, 1, 2, 3, 4, 0xdd, 0x01, 0xff, 0xee, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &coapSession{mid: 1, tok: [4]byte{1, 2, 3, 4}}
		s := newService()
		c.answer(b, &s)
		assertPrintable(t, s)
	})
}

func FuzzParseSSDPResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\nSERVER: Debian DEB12 DLNADOC/1.50 UPnP/1.0 MiniDLNA/1.3.0\r\nLOCATION: http://x/\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseSSDPResponse(b)
		if err != nil {
			return
		}
		s := newService()
		applySSDP(r, &s)
		applySSDP(r, &s)
		assertPrintable(t, s)
	})
}

func FuzzParseMDNSAnswer(f *testing.F) {
	f.Add(mdnsReply(7, 0x8400, "_workstation._tcp", "_ssh._tcp"))
	f.Fuzz(func(t *testing.T, b []byte) {
		types, err := parseMDNSAnswer(b, 7)
		if err != nil {
			return
		}
		s := newService()
		applyMDNS(types, &s)
		assertPrintable(t, s)
	})
}

func FuzzParseNBSTAT(f *testing.F) {
	f.Add(nbstatReply(7, labNames, true))
	f.Add(nbstatReply(7, labNames[:1], false))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseNBSTAT(b, 7)
		if err != nil {
			return
		}
		s := newService()
		applyNBSTAT(st, &s)
		assertPrintable(t, s)
	})
}
