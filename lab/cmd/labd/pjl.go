package main

import (
	"bytes"
	"context"
	"net"
	"time"
)

// pjlPrinter plays a network printer's raw port (9100) that speaks PJL (HP
// PJL Technical Reference): it answers @PJL INFO ID with its model and
// discards everything else, as a printer would print it. It prints nothing.
func pjlPrinter(ctx context.Context, c net.Conn) {
	var pending []byte
	buf := make([]byte, 4096)
	total := 0
	for ctx.Err() == nil && total < 1<<20 {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := c.Read(buf)
		if n > 0 {
			total += n
			pending = append(pending, buf[:n]...)
			for {
				i := bytes.Index(pending, []byte("@PJL INFO ID"))
				if i < 0 {
					break
				}
				if send(c, "@PJL INFO ID\r\n\"vigil lab LaserJet 4250\"\r\n\f") != nil {
					return
				}
				pending = pending[i+len("@PJL INFO ID"):]
			}
			if len(pending) > 64 {
				pending = pending[len(pending)-64:]
			}
		}
		if err != nil {
			return
		}
	}
}
