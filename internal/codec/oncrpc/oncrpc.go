// Package oncrpc encodes ONC RPC calls (RFC 5531) with AUTH_NONE and
// decodes replies, the port mapper's PMAPPROC_DUMP list (RFC 1833) and the
// NFS mount daemon's MOUNTPROC_EXPORT list (RFC 1813 appendix I). It
// speaks XDR (RFC 4506) and TCP record marking. Decoding never panics on
// hostile input and caps every list and string.
package oncrpc

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Well-known program numbers.
const (
	ProgPortmap  = 100000
	ProgNFS      = 100003
	ProgMountd   = 100005
	ProgNLM      = 100021
	ProgStatus   = 100024
	ProgRquota   = 100011
	ProgNFSACL   = 100227
	ProgRstat    = 100001
	ProgYPServ   = 100004
	ProgYPBind   = 100007
	ProgWalld    = 100008
	ProgSpray    = 100012
	ProgRusers   = 100002
	ProgBootPar  = 100026
	ProgYPPasswd = 100009
)

// Procedures used.
const (
	ProcNull         = 0
	PmapProcDump     = 4 // port mapper version 2
	MountProcExport  = 5 // mount versions 1 and 3
	IPProtoTCP       = 6
	IPProtoUDP       = 17
	maxList          = 512  // entries of any list
	maxString        = 1024 // MNTPATHLEN
	MaxRecord        = 256 << 10
	msgCall          = 0
	msgReply         = 1
	replyAccepted    = 0
	replyDenied      = 1
	lastFragmentFlag = 0x80000000
)

// Accept statuses of an accepted reply.
const (
	Success      = 0
	ProgUnavail  = 1
	ProgMismatch = 2
	ProcUnavail  = 3
	GarbageArgs  = 4
	SystemErr    = 5
)

// ErrMalformed is the cause of every decoding failure.
var ErrMalformed = errors.New("malformed ONC RPC message")

var programNames = map[uint32]string{
	ProgPortmap: "portmapper", ProgNFS: "nfs", ProgMountd: "mountd", ProgNLM: "nlockmgr",
	ProgStatus: "status", ProgRquota: "rquotad", ProgNFSACL: "nfs_acl", ProgRstat: "rstatd",
	ProgYPServ: "ypserv", ProgYPBind: "ypbind", ProgWalld: "walld", ProgSpray: "sprayd",
	ProgRusers: "rusersd", ProgBootPar: "bootparam", ProgYPPasswd: "yppasswdd",
}

// ProgramName names a well-known program number, or returns "".
func ProgramName(p uint32) string { return programNames[p] }

// Call encodes an RPC call message with AUTH_NONE credentials and verifier.
func Call(xid, prog, vers, proc uint32, args []byte) []byte {
	b := make([]byte, 0, 40+len(args))
	for _, v := range []uint32{xid, msgCall, 2, prog, vers, proc, 0, 0, 0, 0} {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return append(b, args...)
}

// Record wraps msg in one TCP record-marking fragment, the last.
func Record(msg []byte) []byte {
	b := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(msg)), lastFragmentFlag|uint32(len(msg)))
	return append(b, msg...)
}

// Unrecord joins the fragments of the record at the start of b. complete is
// false while fragments are missing; err means b can never become a valid
// record (a fragment beyond MaxRecord).
func Unrecord(b []byte) (msg []byte, complete bool, err error) {
	for {
		if len(b) < 4 {
			return nil, false, nil
		}
		h := binary.BigEndian.Uint32(b)
		n := int(h &^ lastFragmentFlag)
		if n+len(msg) > MaxRecord {
			return nil, false, fmt.Errorf("%w: record of more than %d bytes", ErrMalformed, MaxRecord)
		}
		if len(b)-4 < n {
			return nil, false, nil
		}
		msg = append(msg, b[4:4+n]...)
		b = b[4+n:]
		if h&lastFragmentFlag != 0 {
			return msg, true, nil
		}
	}
}

// RecordDone reports whether b holds a whole record, or can never hold one:
// a reader may stop.
func RecordDone(b []byte) bool {
	_, complete, err := Unrecord(b)
	return complete || err != nil
}

// Reply is a decoded RPC reply.
type Reply struct {
	XID uint32
	// Accepted is true for MSG_ACCEPTED; AcceptStat is then meaningful.
	Accepted   bool
	AcceptStat uint32
	// RejectStat is the MSG_DENIED reason (0 RPC_MISMATCH, 1 AUTH_ERROR).
	RejectStat uint32
	// Low and High are the versions supported (PROG_MISMATCH, RPC_MISMATCH).
	Low, High uint32
	// Results are the procedure's results (AcceptStat Success).
	Results []byte
}

// xdr reads XDR items from a byte slice.
type xdr struct {
	b   []byte
	err error
}

func (x *xdr) u32() uint32 {
	if x.err != nil {
		return 0
	}
	if len(x.b) < 4 {
		x.err = fmt.Errorf("%w: truncated", ErrMalformed)
		return 0
	}
	v := binary.BigEndian.Uint32(x.b)
	x.b = x.b[4:]
	return v
}

// opaque reads variable-length opaque data of at most max bytes.
func (x *xdr) opaque(max int) []byte {
	n := x.u32()
	if x.err != nil {
		return nil
	}
	if n > uint32(max) {
		x.err = fmt.Errorf("%w: opaque of %d bytes", ErrMalformed, n)
		return nil
	}
	padded := (int(n) + 3) &^ 3
	if len(x.b) < padded {
		x.err = fmt.Errorf("%w: truncated opaque", ErrMalformed)
		return nil
	}
	v := x.b[:n]
	x.b = x.b[padded:]
	return v
}

// more reads the boolean of an XDR optional-data list and counts entries.
func (x *xdr) more(n int) bool {
	v := x.u32()
	if x.err != nil {
		return false
	}
	if v > 1 {
		x.err = fmt.Errorf("%w: list marker %d", ErrMalformed, v)
		return false
	}
	if v == 1 && n >= maxList {
		x.err = fmt.Errorf("%w: more than %d entries", ErrMalformed, maxList)
		return false
	}
	return v == 1
}

// ParseReply decodes an RPC reply message (without record marking).
func ParseReply(msg []byte) (Reply, error) {
	x := &xdr{b: msg}
	r := Reply{XID: x.u32()}
	if t := x.u32(); x.err == nil && t != msgReply {
		return r, fmt.Errorf("%w: message type %d is not a reply", ErrMalformed, t)
	}
	stat := x.u32()
	switch {
	case x.err != nil:
		return r, x.err
	case stat == replyAccepted:
		r.Accepted = true
		x.u32()       // verifier flavor
		x.opaque(400) // verifier body
		r.AcceptStat = x.u32()
		if x.err == nil && r.AcceptStat == ProgMismatch {
			r.Low, r.High = x.u32(), x.u32()
		}
		if x.err == nil && r.AcceptStat > SystemErr {
			return r, fmt.Errorf("%w: accept status %d", ErrMalformed, r.AcceptStat)
		}
		r.Results = x.b
	case stat == replyDenied:
		r.RejectStat = x.u32()
		if x.err == nil && r.RejectStat == 0 {
			r.Low, r.High = x.u32(), x.u32()
		}
		if x.err == nil && r.RejectStat > 1 {
			return r, fmt.Errorf("%w: reject status %d", ErrMalformed, r.RejectStat)
		}
	default:
		return r, fmt.Errorf("%w: reply status %d", ErrMalformed, stat)
	}
	return r, x.err
}

// Mapping is one port mapper registration.
type Mapping struct {
	Prog, Vers, Prot, Port uint32
}

// ParseDump decodes the results of PMAPPROC_DUMP: a list of mappings.
func ParseDump(results []byte) ([]Mapping, error) {
	x := &xdr{b: results}
	var out []Mapping
	for x.more(len(out)) {
		m := Mapping{Prog: x.u32(), Vers: x.u32(), Prot: x.u32(), Port: x.u32()}
		if x.err == nil && m.Port > 65535 {
			return out, fmt.Errorf("%w: port %d", ErrMalformed, m.Port)
		}
		if x.err == nil {
			out = append(out, m)
		}
	}
	return out, x.err
}

// Export is one entry of MOUNTPROC_EXPORT: a directory and the groups of
// clients allowed to mount it (none: everyone).
type Export struct {
	Dir    string
	Groups []string
}

// ParseExports decodes the results of MOUNTPROC_EXPORT. Strings are
// returned as sent: callers sanitise them.
func ParseExports(results []byte) ([]Export, error) {
	x := &xdr{b: results}
	var out []Export
	for x.more(len(out)) {
		e := Export{Dir: string(x.opaque(maxString))}
		for x.more(len(e.Groups)) {
			g := x.opaque(maxString)
			if x.err == nil {
				e.Groups = append(e.Groups, string(g))
			}
		}
		if x.err == nil {
			out = append(out, e)
		}
	}
	return out, x.err
}

// EncodeDump is the results of PMAPPROC_DUMP for ms, for tests and lab
// servers.
func EncodeDump(ms []Mapping) []byte {
	var b []byte
	for _, m := range ms {
		for _, v := range []uint32{1, m.Prog, m.Vers, m.Prot, m.Port} {
			b = binary.BigEndian.AppendUint32(b, v)
		}
	}
	return binary.BigEndian.AppendUint32(b, 0)
}

// EncodeExports is the results of MOUNTPROC_EXPORT for es.
func EncodeExports(es []Export) []byte {
	var b []byte
	str := func(s string) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	for _, e := range es {
		b = binary.BigEndian.AppendUint32(b, 1)
		str(e.Dir)
		for _, g := range e.Groups {
			b = binary.BigEndian.AppendUint32(b, 1)
			str(g)
		}
		b = binary.BigEndian.AppendUint32(b, 0)
	}
	return binary.BigEndian.AppendUint32(b, 0)
}

// AcceptedReply encodes an accepted reply with AUTH_NONE verifier, for
// tests and lab servers.
func AcceptedReply(xid, stat uint32, results []byte) []byte {
	b := make([]byte, 0, 24+len(results))
	for _, v := range []uint32{xid, msgReply, replyAccepted, 0, 0, stat} {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return append(b, results...)
}
