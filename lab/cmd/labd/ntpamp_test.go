package main

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"
)

func TestNTPAmpAnswer(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	client := make([]byte, 48)
	client[0] = 4<<3 | 3
	copy(client[40:], "nonce123")
	readVar := []byte{2<<3 | 6, 2, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 0}
	monlist := make([]byte, 48)
	monlist[0], monlist[2], monlist[3] = 2<<3|7, 3, 42
	tests := []struct {
		name    string
		req     []byte
		packets int
		check   func(t *testing.T, out [][]byte)
	}{
		{"client request", client, 1, func(t *testing.T, out [][]byte) {
			b := out[0]
			if len(b) != 48 || b[0]&7 != 4 || b[0]>>3&7 != 4 || b[1] != 2 || !bytes.Equal(b[24:32], []byte("nonce123")) {
				t.Errorf("mode 4 reply % x", b)
			}
		}},
		{"READVAR", readVar, 1, func(t *testing.T, out [][]byte) {
			b := out[0]
			if b[0]&7 != 6 || b[1] != 0x82 || binary.BigEndian.Uint16(b[2:]) != 0x1234 || int(binary.BigEndian.Uint16(b[10:])) != len(ntpSysVars) || len(b)%4 != 0 {
				t.Errorf("READVAR reply % x", b[:12])
			}
		}},
		{"MON_GETLIST_1", monlist, ntpMonPackets, func(t *testing.T, out [][]byte) {
			for i, b := range out {
				more := b[0]&0x40 != 0
				if b[0]&0x87 != 0x87 || b[3] != 42 || more != (i < len(out)-1) || binary.BigEndian.Uint16(b[4:]) != ntpMonPerPkt || len(b) != 8+ntpMonPerPkt*ntpMonItemSize {
					t.Errorf("packet %d: % x", i, b[:8])
				}
			}
		}},
		{"a response is not answered", append([]byte{0x80 | 2<<3 | 7}, monlist[1:]...), 0, nil},
		{"an unknown mode 7 request", []byte{2<<3 | 7, 0, 3, 1, 0, 0, 0, 0}, 0, nil},
		{"a mode 6 write", []byte{2<<3 | 6, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 0, nil},
		{"short", []byte{0x17, 0, 3}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := ntpAmpAnswer(tt.req, now)
			if len(out) != tt.packets {
				t.Fatalf("%d datagrams, want %d", len(out), tt.packets)
			}
			if tt.check != nil {
				tt.check(t, out)
			}
		})
	}
}
