package mongo

import (
	"encoding/binary"
	"testing"

	"github.com/vigilsec/vigil/internal/codec/bson"
)

// ServerMsg builds an OP_MSG answer to reqID.
func serverMsg(reqID int32, doc []byte) []byte {
	b := Msg(77, doc)
	binary.LittleEndian.PutUint32(b[8:], uint32(reqID))
	return b
}

// serverReply builds an OP_REPLY answer to reqID.
func serverReply(reqID int32, doc []byte) []byte {
	body := make([]byte, 20)
	binary.LittleEndian.PutUint32(body[16:], 1)
	b := Header(77, OpReply, append(body, doc...))
	binary.LittleEndian.PutUint32(b[8:], uint32(reqID))
	return b
}

func TestParseReply(t *testing.T) {
	doc := bson.Doc(bson.Elem{Key: "ok", Val: 1.0}, bson.Elem{Key: "maxWireVersion", Val: int32(21)})
	seq := append([]byte{1}, binary.LittleEndian.AppendUint32(nil, 8)...)
	seq = append(seq, 'a', 0, 0, 0)
	withSeq := Header(77, OpMsg, append(append([]byte{0, 0, 0, 0}, seq...), append([]byte{0}, doc...)...))
	binary.LittleEndian.PutUint32(withSeq[8:], 9)
	tests := []struct {
		name string
		in   []byte
		id   int32
		ok   bool
	}{
		{"op_msg", serverMsg(5, doc), 5, true},
		{"op_reply", serverReply(6, doc), 6, true},
		{"document sequence first", withSeq, 9, true},
		{"other request", serverMsg(5, doc), 6, false},
		{"cut", serverMsg(5, doc)[:30], 5, false},
		{"short", []byte{1, 2, 3}, 0, false},
		{"query echoed", Query(5, doc), 0, false},
	}
	for _, tt := range tests {
		m, err := ParseReply(tt.in, tt.id)
		if (err == nil) != tt.ok {
			t.Errorf("%s: error %v, want ok %v", tt.name, err, tt.ok)
			continue
		}
		if tt.ok {
			if v, _ := m["maxWireVersion"].Num(); v != 21 {
				t.Errorf("%s: maxWireVersion %v", tt.name, v)
			}
		}
	}
	if !Complete(serverMsg(5, doc), 1<<16) || Complete(serverMsg(5, doc)[:20], 1<<16) {
		t.Error("Complete")
	}
	if !Complete([]byte{0xff, 0xff, 0xff, 0x7f, 0}, 1<<16) {
		t.Error("a length beyond the cap must end the wait")
	}
}

func FuzzParseReply(f *testing.F) {
	doc := bson.Doc(bson.Elem{Key: "ok", Val: 1.0}, bson.Elem{Key: "version", Val: "7.0.2"})
	f.Add(serverMsg(5, doc))
	f.Add(serverReply(5, doc))
	f.Fuzz(func(t *testing.T, b []byte) {
		Complete(b, 1<<16)
		ParseReply(b, 5)
	})
}
