package observe

import (
	"fmt"
	"slices"

	"golang.org/x/net/bpf"
)

// SnapLen is how many bytes of an accepted packet the filter passes to user
// space: enough for an IPv4 header with options (60) or an IPv6 header (40)
// and the TCP or UDP ports and flags.
const SnapLen = 96

// maxListedPorts caps the ports the filter compares one by one (two
// instructions each; the kernel allows 4096). With more listeners the
// filter passes every SYN and UDP datagram and user space sorts them.
const maxListedPorts = 1500

// TCP flags in byte 13 of the TCP header.
const (
	tcpSYN = 0x02
	tcpACK = 0x10
)

// Filter returns the classic BPF program the capture socket attaches in the
// kernel. It reads packets from their network header (a SOCK_DGRAM packet
// socket) and passes only
//
//   - IPv4 or IPv6 TCP segments with SYN set and ACK clear (a client
//     opening a connection; retransmissions are deduplicated in user space)
//     to one of tcpPorts, and
//   - IPv4 or IPv6 UDP datagrams to one of udpPorts,
//
// truncated to SnapLen bytes. Everything else — all established traffic,
// replies, IPv4 fragments after the first, IPv6 packets whose first header
// after the fixed one is an extension header — stays in the kernel, so a busy
// server costs user space one packet per new connection.
func Filter(tcpPorts, udpPorts []int) ([]bpf.RawInstruction, error) {
	p := &prog{labels: map[string]int{}}
	// IP version: the high nibble of the first byte.
	p.emit(bpf.LoadAbsolute{Off: 0, Size: 1})
	p.emit(bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 4})
	p.jif(bpf.JumpEqual, 4, "v4", "")
	p.jif(bpf.JumpEqual, 6, "v6", "drop")

	// IPv4: skip non-first fragments, X = header length, A = protocol.
	p.label("v4")
	p.emit(bpf.LoadAbsolute{Off: 6, Size: 2})
	p.jif(bpf.JumpBitsSet, 0x1fff, "drop", "")
	p.emit(bpf.LoadMemShift{Off: 0})
	p.emit(bpf.LoadAbsolute{Off: 9, Size: 1})
	p.jif(bpf.JumpEqual, 6, "to-tcp", "")
	p.jif(bpf.JumpEqual, 17, "to-udp", "drop")

	// IPv6: X = 40, A = next header.
	p.label("v6")
	p.emit(bpf.LoadConstant{Dst: bpf.RegX, Val: 40})
	p.emit(bpf.LoadAbsolute{Off: 6, Size: 1})
	p.jif(bpf.JumpEqual, 6, "to-tcp", "")
	p.jif(bpf.JumpEqual, 17, "to-udp", "drop")

	// The port lists can be long: reach them by unconditional jumps.
	p.label("to-tcp")
	p.jmp("tcp")
	p.label("to-udp")
	p.jmp("udp")
	p.label("drop")
	p.emit(bpf.RetConstant{Val: 0})

	// TCP: SYN without ACK, then the destination port.
	p.label("tcp")
	if len(tcpPorts) == 0 {
		p.emit(bpf.RetConstant{Val: 0})
	} else {
		p.emit(bpf.LoadIndirect{Off: 13, Size: 1})
		p.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: tcpSYN | tcpACK})
		p.jif(bpf.JumpEqual, tcpSYN, "tcp-ports", "")
		p.emit(bpf.RetConstant{Val: 0})
		p.label("tcp-ports")
		p.emit(bpf.LoadIndirect{Off: 2, Size: 2})
		p.ports(tcpPorts, len(tcpPorts)+len(udpPorts) > maxListedPorts)
	}

	// UDP: the destination port.
	p.label("udp")
	if len(udpPorts) == 0 {
		p.emit(bpf.RetConstant{Val: 0})
	} else {
		p.emit(bpf.LoadIndirect{Off: 2, Size: 2})
		p.ports(udpPorts, len(tcpPorts)+len(udpPorts) > maxListedPorts)
	}
	return p.assemble()
}

// ports emits "if A == port accept" for each port, then drop; with all set
// it accepts any port.
func (p *prog) ports(ports []int, all bool) {
	if all {
		p.emit(bpf.RetConstant{Val: SnapLen})
		return
	}
	ps := slices.Clone(ports)
	slices.Sort(ps)
	ps = slices.Compact(ps)
	for _, port := range ps {
		// jeq port ? next : skip the accept
		p.emit(bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(port), SkipTrue: 0, SkipFalse: 1})
		p.emit(bpf.RetConstant{Val: SnapLen})
	}
	p.emit(bpf.RetConstant{Val: 0})
}

// prog is a tiny assembler with forward labels.
type prog struct {
	ins    []bpf.Instruction
	labels map[string]int
	refs   []ref
}

// ref is a jump whose targets are labels ("" is the next instruction).
type ref struct {
	at          int
	true, false string
	always      bool
}

func (p *prog) emit(i bpf.Instruction) { p.ins = append(p.ins, i) }

func (p *prog) label(name string) { p.labels[name] = len(p.ins) }

func (p *prog) jif(cond bpf.JumpTest, val uint32, t, f string) {
	p.refs = append(p.refs, ref{at: len(p.ins), true: t, false: f})
	p.emit(bpf.JumpIf{Cond: cond, Val: val})
}

func (p *prog) jmp(l string) {
	p.refs = append(p.refs, ref{at: len(p.ins), true: l, always: true})
	p.emit(bpf.Jump{})
}

// assemble resolves the labels and encodes the program.
func (p *prog) assemble() ([]bpf.RawInstruction, error) {
	skip := func(from int, l string) (int, error) {
		if l == "" {
			return 0, nil
		}
		to, ok := p.labels[l]
		if !ok {
			return 0, fmt.Errorf("observe: filter label %q undefined", l)
		}
		if to <= from {
			return 0, fmt.Errorf("observe: filter jumps backwards to %q", l)
		}
		return to - from - 1, nil
	}
	for _, r := range p.refs {
		st, err := skip(r.at, r.true)
		if err != nil {
			return nil, err
		}
		if r.always {
			p.ins[r.at] = bpf.Jump{Skip: uint32(st)}
			continue
		}
		sf, err := skip(r.at, r.false)
		if err != nil {
			return nil, err
		}
		if st > 255 || sf > 255 {
			return nil, fmt.Errorf("observe: filter jump too long (%d, %d)", st, sf)
		}
		j := p.ins[r.at].(bpf.JumpIf)
		j.SkipTrue, j.SkipFalse = uint8(st), uint8(sf)
		p.ins[r.at] = j
	}
	if len(p.ins) > 4096 {
		return nil, fmt.Errorf("observe: filter has %d instructions, more than the kernel's 4096", len(p.ins))
	}
	return bpf.Assemble(p.ins)
}
