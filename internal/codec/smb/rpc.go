package smb

import (
	"encoding/binary"
	"fmt"
)

// DCE/RPC connection-oriented PDUs ([MS-RPCE], C706 chapter 12) and the
// srvsvc NetrShareEnumAll call ([MS-SRVS] 3.1.4.8), in NDR (not NDR64).
const (
	rpcRequest  = 0
	rpcResponse = 2
	rpcFault    = 3
	rpcBind     = 11
	rpcBindAck  = 12
	rpcFirst    = 0x01
	rpcLast     = 0x02
	// maxFrag is the fragment size vigil offers.
	maxFrag = 4280
	// opNetrShareEnumAll is NetrShareEnumAll's operation number.
	opNetrShareEnumAll = 15
)

var (
	// srvsvc interface 4b324fc8-1670-01d3-1278-5a47bf6ee188 version 3.0.
	srvsvcSyntax = []byte{0xc8, 0x4f, 0x32, 0x4b, 0x70, 0x16, 0xd3, 0x01, 0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88, 3, 0, 0, 0}
	// NDR transfer syntax 8a885d04-1ceb-11c9-9fe8-08002b104860 version 2.
	ndrSyntax = []byte{0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 2, 0, 0, 0}
)

// rpcHeader is a PDU's common header.
func rpcHeader(ptype byte, callID uint32, bodyLen int) []byte {
	h := []byte{5, 0, ptype, rpcFirst | rpcLast, 0x10, 0, 0, 0}
	h = binary.LittleEndian.AppendUint16(h, uint16(16+bodyLen))
	h = binary.LittleEndian.AppendUint16(h, 0)
	return binary.LittleEndian.AppendUint32(h, callID)
}

// SrvsvcBind is a bind PDU for the srvsvc interface.
func SrvsvcBind() []byte {
	b := binary.LittleEndian.AppendUint16(nil, maxFrag)
	b = binary.LittleEndian.AppendUint16(b, maxFrag)
	b = append(b, 0, 0, 0, 0) // assoc group
	b = append(b, 1, 0, 0, 0) // one context
	b = append(b, 0, 0, 1, 0) // context 0, one transfer syntax
	b = append(b, srvsvcSyntax...)
	b = append(b, ndrSyntax...)
	return append(rpcHeader(rpcBind, 1, len(b)), b...)
}

// ParseBindAck reports whether a bind_ack accepted the first context.
func ParseBindAck(b []byte) error {
	if len(b) < 26 || b[0] != 5 || b[2] != rpcBindAck {
		if len(b) >= 3 && b[0] == 5 {
			return fmt.Errorf("%w: RPC bind refused (PDU type %d)", ErrMalformed, b[2])
		}
		return fmt.Errorf("%w: not an RPC bind_ack", ErrMalformed)
	}
	n := int(binary.LittleEndian.Uint16(b[24:]))
	off := 26 + n
	off += (4 - off%4) % 4
	if len(b) < off+6 || b[off] == 0 {
		return fmt.Errorf("%w: RPC bind_ack without results", ErrMalformed)
	}
	if r := binary.LittleEndian.Uint16(b[off+4:]); r != 0 {
		return fmt.Errorf("%w: RPC bind rejected the srvsvc interface (result %d)", ErrMalformed, r)
	}
	return nil
}

// NetShareEnumAll is a request PDU calling NetrShareEnumAll at level 1 on
// server (\\name).
func NetShareEnumAll(server string) []byte {
	name := append(utf16le(server), 0, 0)
	chars := uint32(len(name) / 2)
	s := binary.LittleEndian.AppendUint32(nil, 0x00020000) // ServerName referent
	s = binary.LittleEndian.AppendUint32(s, chars)
	s = binary.LittleEndian.AppendUint32(s, 0)
	s = binary.LittleEndian.AppendUint32(s, chars)
	s = append(s, name...)
	for len(s)%4 != 0 {
		s = append(s, 0)
	}
	s = binary.LittleEndian.AppendUint32(s, 1)          // Level
	s = binary.LittleEndian.AppendUint32(s, 1)          // union switch
	s = binary.LittleEndian.AppendUint32(s, 0x00020004) // SHARE_INFO_1_CONTAINER referent
	s = binary.LittleEndian.AppendUint32(s, 0)          // EntriesRead
	s = binary.LittleEndian.AppendUint32(s, 0)          // Buffer: null
	s = binary.LittleEndian.AppendUint32(s, 0xffffffff) // PreferedMaximumLength
	s = binary.LittleEndian.AppendUint32(s, 0x00020008) // ResumeHandle referent
	s = binary.LittleEndian.AppendUint32(s, 0)
	body := binary.LittleEndian.AppendUint32(nil, uint32(len(s))) // alloc hint
	body = append(body, 0, 0)                                     // context 0
	body = binary.LittleEndian.AppendUint16(body, opNetrShareEnumAll)
	body = append(body, s...)
	return append(rpcHeader(rpcRequest, 2, len(body)), body...)
}

// RPCFragment is one response PDU: its stub data and whether it is the
// last fragment.
type RPCFragment struct {
	Stub []byte
	Last bool
}

// ParseRPCResponse parses one response PDU at the start of b and returns
// it and the bytes after it.
func ParseRPCResponse(b []byte) (RPCFragment, []byte, error) {
	if len(b) < 16 || b[0] != 5 {
		return RPCFragment{}, nil, fmt.Errorf("%w: not an RPC PDU", ErrMalformed)
	}
	n := int(binary.LittleEndian.Uint16(b[8:]))
	if n < 24 || n > len(b) {
		return RPCFragment{}, nil, fmt.Errorf("%w: RPC fragment length %d", ErrMalformed, n)
	}
	switch b[2] {
	case rpcResponse:
	case rpcFault:
		var st uint32
		if n >= 28 {
			st = binary.LittleEndian.Uint32(b[24:])
		}
		return RPCFragment{}, nil, fmt.Errorf("%w: RPC fault 0x%08x", ErrMalformed, st)
	default:
		return RPCFragment{}, nil, fmt.Errorf("%w: RPC PDU type %d", ErrMalformed, b[2])
	}
	authLen := int(binary.LittleEndian.Uint16(b[10:]))
	end := n - authLen
	if authLen > 0 {
		end -= 8
	}
	if end < 24 {
		return RPCFragment{}, nil, fmt.Errorf("%w: RPC fragment too short", ErrMalformed)
	}
	return RPCFragment{Stub: b[24:end], Last: b[3]&rpcLast != 0}, b[n:], nil
}

// Share is one entry of a share list.
type Share struct {
	Name string
	Type uint32
}

// Share types ([MS-SRVS] 2.2.2.4): the low bits, and the special flag.
const (
	ShareDisk      = 0
	SharePrinter   = 1
	ShareDevice    = 2
	ShareIPC       = 3
	ShareSpecial   = 0x80000000
	shareTypeMask  = 0x0fffffff
	maxShareCount  = 10000
	maxStringChars = 4096
)

// IsIPC reports whether the share is an IPC share (IPC$).
func (s Share) IsIPC() bool { return s.Type&shareTypeMask == ShareIPC }

// ParseNetShareEnumAll parses the stub of a NetrShareEnumAll response at
// level 1 and returns the shares and the call's WERROR.
func ParseNetShareEnumAll(stub []byte) ([]Share, uint32, error) {
	r := ndr{b: stub}
	level := r.u32()
	_ = r.u32() // union switch
	ptr := r.u32()
	if r.bad || level != 1 {
		return nil, 0, fmt.Errorf("%w: NetrShareEnumAll answer at level %d", ErrMalformed, level)
	}
	var shares []Share
	if ptr != 0 {
		count := r.u32()
		buf := r.u32()
		if buf != 0 {
			max := r.u32()
			if r.bad || max > maxShareCount || count > max {
				return nil, 0, fmt.Errorf("%w: share array of %d", ErrMalformed, max)
			}
			type entry struct{ name, typ, remark uint32 }
			es := make([]entry, 0, count)
			for range max {
				es = append(es, entry{r.u32(), r.u32(), r.u32()})
			}
			for _, e := range es {
				var name string
				if e.name != 0 {
					name = r.str()
				}
				if e.remark != 0 {
					r.str()
				}
				shares = append(shares, Share{Name: name, Type: e.typ})
			}
		}
	}
	_ = r.u32() // TotalEntries
	if r.u32() != 0 {
		_ = r.u32()
	}
	werr := r.u32()
	if r.bad {
		return nil, 0, fmt.Errorf("%w: NetrShareEnumAll answer cut short", ErrMalformed)
	}
	return shares, werr, nil
}

// ndr reads NDR-encoded little-endian data, remembering any overrun.
type ndr struct {
	b   []byte
	off int
	bad bool
}

func (r *ndr) u32() uint32 {
	r.off += (4 - r.off%4) % 4
	if r.bad || r.off+4 > len(r.b) {
		r.bad = true
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v
}

// str reads a conformant varying UTF-16 string.
func (r *ndr) str() string {
	_ = r.u32() // max count
	_ = r.u32() // offset
	n := int(r.u32())
	if r.bad || n > maxStringChars || r.off+2*n > len(r.b) {
		r.bad = true
		return ""
	}
	s := fromUTF16(r.b[r.off : r.off+2*n])
	r.off += 2 * n
	return s
}
