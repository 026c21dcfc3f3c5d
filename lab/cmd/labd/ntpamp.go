package main

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"time"
)

// The ntp-amp mode plays an old ntpd (4.2.6, before monlist was removed)
// that answers mode 6 and mode 7 queries from anyone, as Debian's own NTP
// servers no longer do (ntpsec has no mode 7 and conflicts with chrony).
// It answers, per datagram received, from the specifications: RFC 5905
// mode 3 client requests with a mode 4 reply; RFC 9327 mode 6 READVAR with
// one datagram of system variables; and ntpd's mode 7 MON_GETLIST_1
// ("monlist", ntp_request.h) with ntpMonPackets datagrams of six 72-byte
// monitor entries for invented clients in 192.0.2.0/24 (TEST-NET-1; they
// are data, nothing is ever sent to them). Answers go only to the
// requester, on loopback.

const (
	ntpMonPackets  = 10
	ntpMonPerPkt   = 6
	ntpMonItemSize = 72
)

// ntpSysVars is the READVAR answer's data.
const ntpSysVars = `version="ntpd 4.2.6p5@1.2349-o Fri Apr 13 12:00:00 UTC 2018 (1)", ` +
	`processor="x86_64", system="Linux/6.1.0", leap=00, stratum=2, precision=-23, ` +
	`rootdelay=0.512, rootdisp=10.943, refid=127.0.2.22, reftime=e9b5a0c0.12345678, ` +
	`clock=e9b5a0d0.87654321, peer=1234, tc=10, mintc=3, offset=0.012, ` +
	`frequency=-12.345, sys_jitter=0.008, clk_jitter=0.011, clk_wander=0.002`

// serveNTPAmp answers NTP on addr (UDP) until ctx ends.
func serveNTPAmp(ctx context.Context, log *slog.Logger, addr string) error {
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp", addr)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	defer pc.Close()
	log.Info("listening")
	buf := make([]byte, 2048)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		for _, out := range ntpAmpAnswer(buf[:n], time.Now()) {
			_ = pc.SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := pc.WriteTo(out, from); err != nil {
				log.Warn("udp write", "err", err)
				break
			}
		}
	}
}

// ntpAmpAnswer returns the datagrams answering req.
func ntpAmpAnswer(req []byte, now time.Time) [][]byte {
	if len(req) < 8 {
		return nil
	}
	vn, mode := req[0]>>3&7, req[0]&7
	switch {
	case mode == 3 && len(req) >= 48:
		return [][]byte{ntpServerReply(req, now)}
	case mode == 6 && len(req) >= 12 && req[1]&0x80 == 0 && req[1]&0x1f == 2:
		b := make([]byte, 12, 12+len(ntpSysVars)+3)
		b[0] = vn<<3 | 6
		b[1] = 0x80 | 2
		copy(b[2:4], req[2:4])                    // sequence
		binary.BigEndian.PutUint16(b[4:], 0x0615) // system status: leap none, clock source NTP, events
		binary.BigEndian.PutUint16(b[10:], uint16(len(ntpSysVars)))
		b = append(b, ntpSysVars...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return [][]byte{b}
	case mode == 7 && req[0]&0x80 == 0 && (req[2] == 3 || req[2] == 2) && (req[3] == 42 || req[3] == 20):
		var out [][]byte
		for p := range ntpMonPackets {
			b := make([]byte, 8+ntpMonPerPkt*ntpMonItemSize)
			b[0] = 0x80 | vn<<3 | 7
			if p < ntpMonPackets-1 {
				b[0] |= 0x40 // more
			}
			b[1] = byte(p) & 0x7f
			b[2], b[3] = req[2], req[3]
			binary.BigEndian.PutUint16(b[4:], ntpMonPerPkt)
			binary.BigEndian.PutUint16(b[6:], ntpMonItemSize)
			for i := range ntpMonPerPkt {
				e := b[8+i*ntpMonItemSize:]
				binary.BigEndian.PutUint32(e[0:], uint32(10+p*ntpMonPerPkt+i))  // lasttime
				binary.BigEndian.PutUint32(e[4:], 3600)                         // firsttime
				binary.BigEndian.PutUint32(e[12:], uint32(100+i))               // count
				copy(e[16:20], []byte{192, 0, 2, byte(1 + p*ntpMonPerPkt + i)}) // addr (TEST-NET-1)
				copy(e[20:24], []byte{127, 0, 2, 44})                           // daddr
				binary.BigEndian.PutUint16(e[28:], 123)                         // port
				e[30], e[31] = 3, 4                                             // mode, version
			}
			out = append(out, b)
		}
		return out
	}
	return nil
}

// ntpServerReply is a stratum 2 mode 4 reply to a client request.
func ntpServerReply(req []byte, now time.Time) []byte {
	b := make([]byte, 48)
	b[0] = req[0]&0x38 | 4
	b[1] = 2
	b[2] = 6
	b[3] = 0xe9 // precision -23
	copy(b[12:16], []byte{127, 0, 2, 22})
	ts := ntpTimestamp(now)
	copy(b[16:24], ts)
	copy(b[24:32], req[40:48]) // origin: the client's transmit time
	copy(b[32:40], ts)
	copy(b[40:48], ts)
	return b
}

// ntpTimestamp is t in NTP's 64-bit format (seconds since 1900).
func ntpTimestamp(t time.Time) []byte {
	const unixToNTP = 2208988800
	b := make([]byte, 8)
	binary.BigEndian.PutUint32(b, uint32(t.Unix()+unixToNTP))
	binary.BigEndian.PutUint32(b[4:], uint32(uint64(t.Nanosecond())<<32/1e9))
	return b
}
