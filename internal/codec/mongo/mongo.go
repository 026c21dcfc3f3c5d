// Package mongo frames MongoDB wire protocol messages: OP_MSG and legacy
// OP_QUERY requests carrying one BSON command, and the first document of an
// OP_MSG or OP_REPLY answer. Decoding never panics on hostile input.
package mongo

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/vigilsec/vigil/internal/codec/bson"
)

// Op codes.
const (
	OpReply = 1
	OpQuery = 2004
	OpMsg   = 2013
)

// ErrMalformed is the cause of every decoding failure.
var ErrMalformed = errors.New("not a MongoDB answer")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Header prefixes body with a message header.
func Header(reqID int32, op int32, body []byte) []byte {
	b := make([]byte, 16, 16+len(body))
	binary.LittleEndian.PutUint32(b, uint32(16+len(body)))
	binary.LittleEndian.PutUint32(b[4:], uint32(reqID))
	binary.LittleEndian.PutUint32(b[12:], uint32(op))
	return append(b, body...)
}

// Msg is an OP_MSG carrying one command document (section kind 0).
func Msg(reqID int32, cmd []byte) []byte {
	body := append([]byte{0, 0, 0, 0, 0}, cmd...) // flagBits, section kind 0
	return Header(reqID, OpMsg, body)
}

// Query is a legacy OP_QUERY of a command on admin.$cmd, which every server
// version accepts for the handshake commands.
func Query(reqID int32, cmd []byte) []byte {
	body := []byte{0, 0, 0, 0}
	body = append(append(body, "admin.$cmd"...), 0)
	body = binary.LittleEndian.AppendUint32(body, 0)
	body = binary.LittleEndian.AppendUint32(body, 0xffffffff) // numberToReturn -1
	return Header(reqID, OpQuery, append(body, cmd...))
}

// Complete reports whether b holds the whole message its header announces,
// or a header announcing a length no MongoDB server would send or more
// than max bytes (nothing more is worth waiting for then).
func Complete(b []byte, max int) bool {
	if len(b) < 4 {
		return false
	}
	n := binary.LittleEndian.Uint32(b)
	return n < 16 || uint64(n) > uint64(max) || uint32(len(b)) >= n
}

// ParseReply returns the first document of an OP_MSG or OP_REPLY answering
// request reqID.
func ParseReply(b []byte, reqID int32) (map[string]bson.Value, error) {
	if len(b) < 16 {
		return nil, malformed("short header")
	}
	n := binary.LittleEndian.Uint32(b)
	if n < 16 || n > uint32(len(b)) {
		return nil, malformed("bad message length")
	}
	if int32(binary.LittleEndian.Uint32(b[8:])) != reqID {
		return nil, malformed("answer to another request")
	}
	body := b[16:n]
	switch op := binary.LittleEndian.Uint32(b[12:]); op {
	case OpMsg:
		if len(body) < 4 {
			return nil, malformed("short OP_MSG")
		}
		body = body[4:]
		for len(body) > 0 {
			kind := body[0]
			body = body[1:]
			switch kind {
			case 0:
				return bson.Parse(body)
			case 1:
				if len(body) < 4 {
					return nil, malformed("short section")
				}
				size := binary.LittleEndian.Uint32(body)
				if size < 4 || size > uint32(len(body)) {
					return nil, malformed("bad section size")
				}
				body = body[size:]
			default:
				return nil, malformed("section kind %d", kind)
			}
		}
		return nil, malformed("no body section")
	case OpReply:
		if len(body) < 20 {
			return nil, malformed("short OP_REPLY")
		}
		return bson.Parse(body[20:])
	default:
		return nil, malformed("op code %d", op)
	}
}
