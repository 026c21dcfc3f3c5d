package main

// mssql plays a Microsoft SQL Server as far as the PRELOGIN exchange of
// MS-TDS (sections 2.2.3.1 and 2.2.6.5): it reads one PRELOGIN packet and
// answers with VERSION 16.0.1000.6 and an ENCRYPTION option that depends
// on the variant: "weak" answers ENCRYPT_NOT_SUP (the server cannot
// encrypt), "hard" answers ENCRYPT_REQ (it insists on TLS). No login,
// no TLS, no query follows: the connection closes after the answer.

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"time"
)

// mssqlEncryption is the ENCRYPTION option of each variant.
var mssqlEncryption = map[string]byte{"weak": 0x02, "hard": 0x03}

// newMSSQL returns the handler of variant.
func newMSSQL(variant string) (handler, error) {
	enc, ok := mssqlEncryption[variant]
	if !ok {
		return nil, fmt.Errorf("mssql: -variant must be weak or hard, not %q", variant)
	}
	return func(_ context.Context, c net.Conn) {
		h, err := readFull(c, 8, 5*time.Second)
		if err != nil || h[0] != 0x12 {
			return
		}
		n := int(binary.BigEndian.Uint16(h[2:]))
		if n < 8 || n > 4096 {
			return
		}
		if _, err := readFull(c, n-8, 5*time.Second); err != nil {
			return
		}
		_, _ = c.Write(mssqlPreloginAnswer(enc))
		drain(c, 4096, 2*time.Second)
	}, nil
}

// mssqlPreloginAnswer is the tabular-result packet answering PRELOGIN.
func mssqlPreloginAnswer(enc byte) []byte {
	type opt struct {
		token byte
		data  []byte
	}
	opts := []opt{
		{0x00, []byte{16, 0, 0x03, 0xe8, 0x00, 0x06}}, // VERSION 16.0.1000.6
		{0x01, []byte{enc}},                           // ENCRYPTION
		{0x02, []byte{0x00}},                          // INSTOPT: the default instance
		{0x03, nil},                                   // THREADID: empty from a server
		{0x04, []byte{0x00}},                          // MARS off
	}
	off := 5*len(opts) + 1
	var head, data []byte
	for _, o := range opts {
		head = append(head, o.token, byte(off>>8), byte(off), 0, byte(len(o.data)))
		data = append(data, o.data...)
		off += len(o.data)
	}
	payload := append(append(head, 0xff), data...)
	n := 8 + len(payload)
	return append([]byte{0x04, 0x01, byte(n >> 8), byte(n), 0, 0, 0x01, 0}, payload...)
}
