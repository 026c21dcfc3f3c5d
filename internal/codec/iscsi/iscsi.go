// Package iscsi encodes the few iSCSI PDUs (RFC 7143) vigil sends to open
// a discovery session, Login and Text Requests, and decodes the target's
// Login and Text Responses. Decoding never panics on hostile input and caps
// what it reads.
package iscsi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
)

// Opcodes (RFC 7143 section 11.2.1.2).
const (
	OpLoginRequest  = 0x03
	OpTextRequest   = 0x04
	OpLoginResponse = 0x23
	OpTextResponse  = 0x24
	OpReject        = 0x3f
	immediate       = 0x40
	bhsLen          = 48
	// MaxData caps the data segment of a response.
	MaxData = 64 << 10
)

// Login stages (CSG, NSG).
const (
	StageSecurity    = 0
	StageOperational = 1
	StageFullFeature = 3
)

// ErrMalformed is the cause of every decoding failure.
var ErrMalformed = errors.New("malformed iSCSI PDU")

// Login is one Login Request.
type Login struct {
	ISID       [6]byte
	ITT        uint32
	CmdSN      uint32
	ExpStatSN  uint32
	CSG, NSG   int
	Transit    bool
	Parameters []string // "Key=Value"
}

// Encode returns the PDU: the basic header segment and the padded data
// segment of key=value pairs.
func (l Login) Encode() []byte {
	data := keys(l.Parameters)
	h := make([]byte, bhsLen)
	h[0] = immediate | OpLoginRequest
	h[1] = byte(l.CSG&3)<<2 | byte(l.NSG&3)
	if l.Transit {
		h[1] |= 0x80
	}
	h[2], h[3] = 0, 0 // Version-max, Version-min
	putLen(h, len(data))
	copy(h[8:14], l.ISID[:])
	binary.BigEndian.PutUint32(h[16:], l.ITT)
	binary.BigEndian.PutUint32(h[24:], l.CmdSN)
	binary.BigEndian.PutUint32(h[28:], l.ExpStatSN)
	return append(h, pad(data)...)
}

// Text is one Text Request with the F bit set.
type Text struct {
	ITT        uint32
	CmdSN      uint32
	ExpStatSN  uint32
	Parameters []string
}

// Encode returns the PDU.
func (t Text) Encode() []byte {
	data := keys(t.Parameters)
	h := make([]byte, bhsLen)
	h[0] = immediate | OpTextRequest
	h[1] = 0x80
	putLen(h, len(data))
	binary.BigEndian.PutUint32(h[16:], t.ITT)
	binary.BigEndian.PutUint32(h[20:], 0xffffffff) // Target Transfer Tag: none
	binary.BigEndian.PutUint32(h[24:], t.CmdSN)
	binary.BigEndian.PutUint32(h[28:], t.ExpStatSN)
	return append(h, pad(data)...)
}

func keys(ps []string) []byte {
	var b []byte
	for _, p := range ps {
		b = append(append(b, p...), 0)
	}
	return b
}

func pad(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func putLen(h []byte, n int) {
	h[5], h[6], h[7] = byte(n>>16), byte(n>>8), byte(n)
}

// Response is a decoded Login or Text Response (or a Reject).
type Response struct {
	Opcode        int
	Transit       bool
	Continue      bool
	CSG, NSG      int
	VersionMax    int
	VersionActive int
	TSIH          uint16
	ITT           uint32
	StatSN        uint32
	ExpCmdSN      uint32
	StatusClass   int
	StatusDetail  int
	// Parameters are the key=value pairs of the data segment, in order.
	Parameters [][2]string
}

// Get returns the first value of key.
func (r Response) Get(key string) string {
	for _, kv := range r.Parameters {
		if kv[0] == key {
			return kv[1]
		}
	}
	return ""
}

// All returns every value of key.
func (r Response) All(key string) []string {
	var out []string
	for _, kv := range r.Parameters {
		if kv[0] == key {
			out = append(out, kv[1])
		}
	}
	return out
}

// Need returns the whole length of the PDU starting b (header, AHS, padded
// data) once its header has arrived, else 0; an error means it exceeds
// MaxData and will never be read.
func Need(b []byte) (int, error) {
	if len(b) < bhsLen {
		return 0, nil
	}
	ahs := int(b[4]) * 4
	data := int(b[5])<<16 | int(b[6])<<8 | int(b[7])
	if data > MaxData {
		return 0, fmt.Errorf("%w: data segment of %d bytes", ErrMalformed, data)
	}
	return bhsLen + ahs + (data+3)&^3, nil
}

// Done reports whether b holds a whole PDU or never will: a reader may stop.
func Done(b []byte) bool {
	n, err := Need(b)
	return err != nil || (n > 0 && len(b) >= n)
}

// Parse decodes the PDU at the start of b: a Login Response, Text Response
// or Reject.
func Parse(b []byte) (Response, error) {
	n, err := Need(b)
	if err != nil {
		return Response{}, err
	}
	if n == 0 || len(b) < n {
		return Response{}, fmt.Errorf("%w: truncated (%d bytes)", ErrMalformed, len(b))
	}
	r := Response{Opcode: int(b[0] & 0x3f)}
	switch r.Opcode {
	case OpLoginResponse, OpTextResponse, OpReject:
	default:
		return r, fmt.Errorf("%w: opcode %#x", ErrMalformed, r.Opcode)
	}
	if b[0]&0x80 != 0 {
		return r, fmt.Errorf("%w: reserved bit set", ErrMalformed)
	}
	r.Transit = b[1]&0x80 != 0
	r.Continue = b[1]&0x40 != 0
	if r.Opcode == OpLoginResponse {
		r.CSG, r.NSG = int(b[1]>>2&3), int(b[1]&3)
		r.VersionMax, r.VersionActive = int(b[2]), int(b[3])
		r.StatusClass, r.StatusDetail = int(b[36]), int(b[37])
		if r.VersionMax < r.VersionActive {
			return r, fmt.Errorf("%w: version-max %d below version-active %d", ErrMalformed, r.VersionMax, r.VersionActive)
		}
	}
	r.TSIH = binary.BigEndian.Uint16(b[14:])
	r.ITT = binary.BigEndian.Uint32(b[16:])
	r.StatSN = binary.BigEndian.Uint32(b[24:])
	r.ExpCmdSN = binary.BigEndian.Uint32(b[28:])
	dl := int(b[5])<<16 | int(b[6])<<8 | int(b[7])
	start := bhsLen + int(b[4])*4
	data := b[start : start+dl]
	if r.Opcode == OpReject {
		return r, nil
	}
	for _, kv := range bytes.Split(data, []byte{0}) {
		if len(kv) == 0 {
			continue
		}
		k, v, ok := bytes.Cut(kv, []byte{'='})
		if !ok {
			return r, fmt.Errorf("%w: parameter without '='", ErrMalformed)
		}
		if len(r.Parameters) == 1024 {
			break
		}
		r.Parameters = append(r.Parameters, [2]string{string(k), string(v)})
	}
	return r, nil
}

// EncodeResponse encodes a Login (or Text) Response, for tests and lab
// servers.
func EncodeResponse(r Response) []byte {
	var ps []string
	for _, kv := range r.Parameters {
		ps = append(ps, kv[0]+"="+kv[1])
	}
	data := keys(ps)
	h := make([]byte, bhsLen)
	h[0] = byte(r.Opcode)
	if r.Transit {
		h[1] |= 0x80
	}
	if r.Continue {
		h[1] |= 0x40
	}
	if r.Opcode == OpLoginResponse {
		h[1] |= byte(r.CSG&3)<<2 | byte(r.NSG&3)
		h[2], h[3] = byte(r.VersionMax), byte(r.VersionActive)
		h[36], h[37] = byte(r.StatusClass), byte(r.StatusDetail)
	}
	putLen(h, len(data))
	binary.BigEndian.PutUint16(h[14:], r.TSIH)
	binary.BigEndian.PutUint32(h[16:], r.ITT)
	binary.BigEndian.PutUint32(h[24:], r.StatSN)
	binary.BigEndian.PutUint32(h[28:], r.ExpCmdSN)
	return append(h, pad(data)...)
}

// InitiatorName is the iSCSI qualified name vigil logs in with.
const InitiatorName = "iqn.2026-01.io.vigil:scanner"

// RandomISID returns a random initiator session ID of the "random" type
// (RFC 7143 section 10.12.5, T = 11b).
func RandomISID() [6]byte {
	var id [6]byte
	for i := range id {
		id[i] = byte(rand.Uint32())
	}
	id[0] = 0xc0 | id[0]&0x3f
	return id
}
