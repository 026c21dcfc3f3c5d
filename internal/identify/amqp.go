package identify

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// amqpHeader is the AMQP 0-9-1 protocol header a client sends first.
var amqpHeader = []byte("AMQP\x00\x00\x09\x01")

// amqpStart is what a server's first answer told: Connection.Start (class
// 10, method 10) with its server-properties, or a protocol header naming the
// version the server speaks instead.
type amqpStart struct {
	version    string // "0-9-1", or the header's version ("1.0.0")
	properties map[string]string
	mechanisms string
}

// amqpComplete reports whether b holds a whole frame or protocol header.
func amqpComplete(b []byte) bool {
	if len(b) >= 8 && bytes.HasPrefix(b, []byte("AMQP")) {
		return true
	}
	if len(b) < 7 {
		return false
	}
	if b[0] != 1 {
		return true // not a method frame: nothing more to wait for
	}
	return uint64(len(b)) >= 8+uint64(binary.BigEndian.Uint32(b[3:]))
}

// parseAMQPStart parses the server's answer to the protocol header.
func parseAMQPStart(b []byte) (amqpStart, error) {
	if bytes.HasPrefix(b, amqpHeader) {
		// A server that speaks 0-9-1 answers its header with
		// Connection.Start, and one that does not names another version:
		// the very bytes sent coming back are an echo, not AMQP.
		return amqpStart{}, noMatch(proto.AMQP, "the answer repeats the protocol header sent (an echo server)")
	}
	if len(b) >= 8 && bytes.HasPrefix(b, []byte("AMQP")) {
		// The server does not speak 0-9-1 and names what it speaks.
		v := fmt.Sprintf("%d.%d.%d", b[5], b[6], b[7])
		if b[4] == 0 && b[5] == 0 {
			v = fmt.Sprintf("0-%d-%d", b[6], b[7])
		}
		return amqpStart{version: v}, nil
	}
	if len(b) < 8 || b[0] != 1 || b[1] != 0 || b[2] != 0 {
		return amqpStart{}, noMatch(proto.AMQP, "not a method frame on channel 0")
	}
	size := uint64(binary.BigEndian.Uint32(b[3:]))
	if uint64(len(b)) < 8+size || size < 6 || b[7+size] != 0xce {
		return amqpStart{}, noMatch(proto.AMQP, "frame cut short or without frame-end")
	}
	p := b[7 : 7+size]
	if binary.BigEndian.Uint16(p) != 10 || binary.BigEndian.Uint16(p[2:]) != 10 {
		return amqpStart{}, noMatch(proto.AMQP, "not Connection.Start")
	}
	st := amqpStart{version: fmt.Sprintf("%d-%d", p[4], p[5]), properties: map[string]string{}}
	if st.version == "0-9" {
		st.version = "0-9-1"
	}
	_, rest, err := amqpTable(p[6:], st.properties, 0)
	if err != nil {
		return amqpStart{}, err
	}
	if mech, _, err := amqpLongString(rest); err == nil {
		st.mechanisms = string(mech)
	}
	return st, nil
}

// amqpLongString reads a long string (uint32 length, bytes).
func amqpLongString(b []byte) ([]byte, []byte, error) {
	if len(b) < 4 {
		return nil, nil, noMatch(proto.AMQP, "long string cut short")
	}
	n := uint64(binary.BigEndian.Uint32(b))
	if uint64(len(b)-4) < n {
		return nil, nil, noMatch(proto.AMQP, "long string cut short")
	}
	return b[4 : 4+n], b[4+n:], nil
}

// amqpTable reads a field table, storing its string-valued fields (by
// name) in out when depth is 0, and returns the bytes after it.
func amqpTable(b []byte, out map[string]string, depth int) ([]byte, []byte, error) {
	if depth > 8 {
		return nil, nil, noMatch(proto.AMQP, "tables nested too deep")
	}
	tbl, rest, err := amqpLongString(b)
	if err != nil {
		return nil, nil, err
	}
	for p := tbl; len(p) > 0; {
		n := int(p[0])
		if len(p) < 2+n {
			return nil, nil, noMatch(proto.AMQP, "field name cut short")
		}
		name := string(p[1 : 1+n])
		var val []byte
		val, p, err = amqpFieldValue(p[1+n:], depth)
		if err != nil {
			return nil, nil, err
		}
		if out != nil && depth == 0 && val != nil {
			out[name] = string(val)
		}
	}
	return tbl, rest, nil
}

// amqpFixedSizes are the sizes of the fixed-size field value types.
var amqpFixedSizes = map[byte]int{'t': 1, 'b': 1, 'B': 1, 's': 2, 'u': 2, 'I': 4, 'i': 4, 'l': 8, 'L': 8, 'f': 4, 'd': 8, 'D': 5, 'T': 8, 'V': 0}

// amqpFieldValue reads one typed field value (RabbitMQ's reading of the
// 0-9-1 field types) and returns its bytes when it is a string.
func amqpFieldValue(b []byte, depth int) ([]byte, []byte, error) {
	if len(b) < 1 {
		return nil, nil, noMatch(proto.AMQP, "field value cut short")
	}
	typ, b := b[0], b[1:]
	if n, ok := amqpFixedSizes[typ]; ok {
		if len(b) < n {
			return nil, nil, noMatch(proto.AMQP, "field value cut short")
		}
		return nil, b[n:], nil
	}
	switch typ {
	case 'S', 'x':
		s, rest, err := amqpLongString(b)
		return s, rest, err
	case 'F':
		_, rest, err := amqpTable(b, nil, depth+1)
		return nil, rest, err
	case 'A':
		arr, rest, err := amqpLongString(b)
		if err != nil {
			return nil, nil, err
		}
		for len(arr) > 0 {
			if _, arr, err = amqpFieldValue(arr, depth+1); err != nil {
				return nil, nil, err
			}
		}
		return nil, rest, nil
	}
	return nil, nil, noMatch(proto.AMQP, "field type %q", typ)
}

// probeAMQP sends the AMQP 0-9-1 protocol header.
func probeAMQP(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	resp, err := l.exchange(ctx, amqpHeader, bannerCap, amqpComplete)
	st, perr := parseAMQPStart(resp)
	if perr != nil {
		if len(resp) == 0 {
			return nil, ioNoMatch(proto.AMQP, err)
		}
		return resp, perr
	}
	s.Name = proto.AMQP
	s.Product = clean(st.properties["product"], 64)
	s.Version = clean(st.properties["version"], 32)
	s.SetDetail(facts.DetailAMQPVersion, st.version)
	if st.mechanisms != "" {
		s.SetDetail(facts.DetailAMQPMechanisms, clean(st.mechanisms, 128))
	}
	if p := st.properties["platform"]; p != "" {
		s.SetDetail(facts.DetailAMQPPlatform, clean(p, 64))
	}
	if strings.HasPrefix(st.properties["product"], "RabbitMQ") {
		s.Product = "RabbitMQ"
	}
	return nil, nil
}
