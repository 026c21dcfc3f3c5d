package sshaudit

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/sanitize"
)

// SSH message numbers used before keys are exchanged (RFC 4253 §12).
const (
	msgDisconnect = 1
	msgIgnore     = 2
	msgDebug      = 4
	msgKexInit    = 20
)

// MaxPacketBytes is the largest binary packet accepted, length field
// included: RFC 4253 §6.1 requires implementations to handle 35000 bytes and
// no KEXINIT comes near it.
const MaxPacketBytes = 35000

// maxNames caps the names of one name-list; real servers send a few dozen.
const maxNames = 128

// maxNameRunes caps one algorithm name as kept (RFC 4251 §6: 64 characters).
const maxNameRunes = 64

// Errors from the packet parsers.
var (
	// ErrShortPacket means the bytes end before the packet does.
	ErrShortPacket = errors.New("packet cut short")
	// ErrBadPacket means the packet's fields contradict each other.
	ErrBadPacket = errors.New("malformed SSH packet")
)

// PacketHeader checks the first five bytes of an unencrypted binary packet
// (uint32 packet_length, byte padding_length) and returns the packet_length,
// so a reader knows how many bytes follow. A length beyond MaxPacketBytes is
// refused before anything more is read.
func PacketHeader(hdr []byte) (length int, err error) {
	if len(hdr) < 5 {
		return 0, ErrShortPacket
	}
	n := binary.BigEndian.Uint32(hdr)
	pad := int(hdr[4])
	switch {
	case uint64(n)+4 > MaxPacketBytes:
		return 0, fmt.Errorf("%w: server announced a %d-byte packet (the limit is %d)", ErrBadPacket, uint64(n)+4, MaxPacketBytes)
	case int(n) < pad+2:
		return 0, fmt.Errorf("%w: %d bytes of padding do not fit a %d-byte packet", ErrBadPacket, pad, n)
	}
	return int(n), nil
}

// ParsePacket reads one unencrypted binary packet (RFC 4253 §6, no MAC yet)
// from the start of b and returns its payload and the bytes it took.
func ParsePacket(b []byte) (payload []byte, n int, err error) {
	length, err := PacketHeader(b)
	if err != nil {
		return nil, 0, err
	}
	if len(b) < 4+length {
		return nil, 0, ErrShortPacket
	}
	pad := int(b[4])
	return b[5 : 4+length-pad], 4 + length, nil
}

// EncodePacket frames payload as an unencrypted binary packet, padded to a
// multiple of 8 bytes with at least 4 random bytes of padding.
func EncodePacket(payload []byte) []byte {
	pad := 8 - (5+len(payload))%8
	if pad < 4 {
		pad += 8
	}
	b := make([]byte, 5+len(payload)+pad)
	binary.BigEndian.PutUint32(b, uint32(1+len(payload)+pad))
	b[4] = byte(pad)
	copy(b[5:], payload)
	_, _ = rand.Read(b[5+len(payload):])
	return b
}

// KexInit is the content of an SSH_MSG_KEXINIT (RFC 4253 §7.1). Names are
// made printable and capped at 64 runes each.
type KexInit struct {
	Cookie                  [16]byte
	KexAlgorithms           []string
	HostKeyAlgorithms       []string
	CiphersClientToServer   []string
	CiphersServerToClient   []string
	MACsClientToServer      []string
	MACsServerToClient      []string
	CompressionClientServer []string
	CompressionServerClient []string
	LanguagesClientToServer []string
	LanguagesServerToClient []string
	FirstKexPacketFollows   bool
}

// lists returns pointers to the ten name-lists in wire order.
func (k *KexInit) lists() []*[]string {
	return []*[]string{
		&k.KexAlgorithms, &k.HostKeyAlgorithms,
		&k.CiphersClientToServer, &k.CiphersServerToClient,
		&k.MACsClientToServer, &k.MACsServerToClient,
		&k.CompressionClientServer, &k.CompressionServerClient,
		&k.LanguagesClientToServer, &k.LanguagesServerToClient,
	}
}

// listNames names the name-lists in wire order, for error messages.
var listNames = [...]string{
	"kex_algorithms", "server_host_key_algorithms",
	"encryption_algorithms_client_to_server", "encryption_algorithms_server_to_client",
	"mac_algorithms_client_to_server", "mac_algorithms_server_to_client",
	"compression_algorithms_client_to_server", "compression_algorithms_server_to_client",
	"languages_client_to_server", "languages_server_to_client",
}

// ParseKexInit parses the payload of an SSH_MSG_KEXINIT: message number 20,
// a 16-byte cookie, ten name-lists, first_kex_packet_follows and a reserved
// uint32 (which, like any trailing bytes, is not checked).
func ParseKexInit(payload []byte) (*KexInit, error) {
	if len(payload) < 1 || payload[0] != msgKexInit {
		return nil, fmt.Errorf("%w: not a KEXINIT message", ErrBadPacket)
	}
	if len(payload) < 17 {
		return nil, fmt.Errorf("%w: KEXINIT ends inside its cookie", ErrBadPacket)
	}
	k := &KexInit{}
	copy(k.Cookie[:], payload[1:17])
	rest := payload[17:]
	for i, l := range k.lists() {
		var err error
		*l, rest, err = ParseNameList(rest)
		if err != nil {
			return nil, fmt.Errorf("KEXINIT %s: %w", listNames[i], err)
		}
	}
	if len(rest) < 1 {
		return nil, fmt.Errorf("%w: KEXINIT ends before first_kex_packet_follows", ErrBadPacket)
	}
	k.FirstKexPacketFollows = rest[0] != 0
	return k, nil
}

// ParseNameList reads one name-list (RFC 4251 §5: a uint32 length and
// comma-separated names) from the start of b and returns the names, made
// printable, and the bytes after it. Empty names are dropped.
func ParseNameList(b []byte) (names []string, rest []byte, err error) {
	if len(b) < 4 {
		return nil, nil, fmt.Errorf("%w: name-list length cut short", ErrBadPacket)
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return nil, nil, fmt.Errorf("%w: name-list of %d bytes, only %d left", ErrBadPacket, n, len(b)-4)
	}
	raw, rest := b[4:4+n], b[4+n:]
	names = []string{}
	for field := range strings.SplitSeq(string(raw), ",") {
		if field == "" {
			continue
		}
		if len(names) == maxNames {
			return nil, nil, fmt.Errorf("%w: name-list holds more than %d names", ErrBadPacket, maxNames)
		}
		names = append(names, sanitize.String(field, maxNameRunes))
	}
	return names, rest, nil
}

// appendNameList appends a name-list to b.
func appendNameList(b []byte, names []string) []byte {
	s := strings.Join(names, ",")
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// EncodeKexInit returns the payload of an SSH_MSG_KEXINIT with a random
// cookie.
func EncodeKexInit(k *KexInit) []byte {
	b := []byte{msgKexInit}
	cookie := k.Cookie
	if cookie == ([16]byte{}) {
		_, _ = rand.Read(cookie[:])
	}
	b = append(b, cookie[:]...)
	for _, l := range k.lists() {
		b = appendNameList(b, *l)
	}
	if k.FirstKexPacketFollows {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return append(b, 0, 0, 0, 0)
}

// ParseDisconnect returns the reason code and description of an
// SSH_MSG_DISCONNECT payload, the description made printable.
func ParseDisconnect(payload []byte) (code uint32, description string, err error) {
	if len(payload) < 5 || payload[0] != msgDisconnect {
		return 0, "", fmt.Errorf("%w: not a DISCONNECT message", ErrBadPacket)
	}
	code = binary.BigEndian.Uint32(payload[1:])
	rest := payload[5:]
	if len(rest) < 4 {
		return code, "", nil
	}
	n := binary.BigEndian.Uint32(rest)
	d := rest[4:]
	if uint64(n) < uint64(len(d)) {
		d = d[:n]
	}
	return code, sanitize.Printable(d, 200), nil
}
