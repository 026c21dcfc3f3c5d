package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"
)

// rtspCamera answers RTSP requests (RFC 2326) as a camera that wants
// credentials for everything but OPTIONS: OPTIONS gets 200 with Public and
// Server, the rest 401 with a Basic challenge. It streams nothing.
func rtspCamera(ctx context.Context, c net.Conn) {
	r := newLineReader(c, 4096)
	for ctx.Err() == nil {
		line, err := r.next(10 * time.Second)
		if err != nil || line == "" {
			return
		}
		method, _, _ := strings.Cut(line, " ")
		cseq := "0"
		for {
			h, err := r.next(10 * time.Second)
			if err != nil {
				return
			}
			if h == "" {
				break
			}
			if k, v, ok := strings.Cut(h, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "CSeq") {
				cseq = printableArg(strings.TrimSpace(v), 16)
			}
		}
		var resp string
		switch {
		case !strings.HasSuffix(line, " RTSP/1.0"):
			resp = "RTSP/1.0 505 RTSP Version Not Supported\r\nCSeq: " + cseq + "\r\n\r\n"
		case method == "OPTIONS":
			resp = fmt.Sprintf("RTSP/1.0 200 OK\r\nCSeq: %s\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER\r\nServer: vigil-lab-camera/1.0\r\n\r\n", cseq)
		default:
			resp = fmt.Sprintf("RTSP/1.0 401 Unauthorized\r\nCSeq: %s\r\nWWW-Authenticate: Basic realm=\"camera\"\r\nServer: vigil-lab-camera/1.0\r\n\r\n", cseq)
		}
		if send(c, resp) != nil {
			return
		}
	}
}
