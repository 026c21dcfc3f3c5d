package main

// The legacy SSH emulator plays three servers OpenSSH 9.2 cannot be:
//
//   - ssh1: an SSH-1 only server ("SSH-1.5-…"), which after the client's
//     version line sends SSH_SMSG_PUBLIC_KEY (SSH 1.5 protocol draft);
//   - ssh199: a server that offers both SSH-1 and SSH-2 ("SSH-1.99-…",
//     RFC 4253 section 5.1), which then speaks whichever the client asked for;
//   - terrapin: an OpenSSH 8.9 look-alike whose SSH_MSG_KEXINIT (RFC 4253
//     section 7.1) offers ChaCha20-Poly1305 and EtM MACs without the strict
//     key exchange marker kex-strict-s-v00@openssh.com, the preconditions of
//     CVE-2023-48795.
//
// None performs a key exchange: each closes after the client's KEXINIT (or
// the client's first SSH-1 packet).

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

const maxSSHPacket = 35000 // RFC 4253 section 6.1

// kexinitLists are the ten name-lists of a KEXINIT, in wire order.
type kexinitLists [10]string

var terrapinKex = kexinitLists{
	"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,diffie-hellman-group14-sha256",
	"ssh-ed25519,rsa-sha2-512,rsa-sha2-256",
	"chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
	"chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
	"hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256,hmac-sha2-512",
	"hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256,hmac-sha2-512",
	"none,zlib@openssh.com",
	"none,zlib@openssh.com",
	"",
	"",
}

var legacy199Kex = kexinitLists{
	"diffie-hellman-group-exchange-sha256,diffie-hellman-group-exchange-sha1,diffie-hellman-group14-sha1,diffie-hellman-group1-sha1",
	"ssh-rsa,ssh-dss",
	"aes128-ctr,aes256-ctr,aes128-cbc,3des-cbc,blowfish-cbc,cast128-cbc,arcfour",
	"aes128-ctr,aes256-ctr,aes128-cbc,3des-cbc,blowfish-cbc,cast128-cbc,arcfour",
	"hmac-md5,hmac-sha1,umac-64@openssh.com,hmac-sha1-96,hmac-md5-96",
	"hmac-md5,hmac-sha1,umac-64@openssh.com,hmac-sha1-96,hmac-md5-96",
	"none,zlib@openssh.com",
	"none,zlib@openssh.com",
	"",
	"",
}

// legacySSH is one configured variant.
type legacySSH struct {
	variant string
	banner  string
	kex     kexinitLists
	hostKey *big.Int // SSH-1 host key modulus
	hostE   int
}

func newLegacySSH(variant, certFile string) (*legacySSH, error) {
	l := &legacySSH{variant: variant}
	switch variant {
	case "terrapin":
		l.banner = "SSH-2.0-OpenSSH_8.9\r\n"
		l.kex = terrapinKex
		return l, nil
	case "ssh1":
		l.banner = "SSH-1.5-OpenSSH_3.9p1\n"
	case "ssh199":
		l.banner = "SSH-1.99-OpenSSH_7.4\r\n"
		l.kex = legacy199Kex
	default:
		return nil, fmt.Errorf("unknown legacy-ssh variant %q (ssh1, ssh199, terrapin)", variant)
	}
	// SSH-1 needs an RSA host key: the one of -cert, or a random 1024-bit
	// modulus (no key exchange is ever completed).
	l.hostKey, l.hostE = randomModulus(1024), 65537
	if certFile != "" {
		chain, err := loadChain(certFile)
		if err != nil {
			return nil, err
		}
		cert, err := x509.ParseCertificate(chain[0])
		if err != nil {
			return nil, err
		}
		if pub, ok := cert.PublicKey.(*rsa.PublicKey); ok {
			l.hostKey, l.hostE = pub.N, pub.E
		}
	}
	return l, nil
}

func (l *legacySSH) handle(ctx context.Context, c net.Conn) {
	if _, err := c.Write([]byte(l.banner)); err != nil {
		return
	}
	if l.variant == "terrapin" {
		// An SSH-2 server may send its KEXINIT before the client's version.
		if _, err := c.Write(l.kexinit()); err != nil {
			return
		}
	}
	client, err := readClientVersion(c)
	if err != nil {
		return
	}
	switch {
	case l.variant == "terrapin":
	case l.variant == "ssh1" || strings.HasPrefix(client, "SSH-1."):
		_, _ = c.Write(l.ssh1PublicKey())
		readSSH1Packet(c)
		finish(c)
		return
	default: // ssh199 with an SSH-2 client
		if _, err := c.Write(l.kexinit()); err != nil {
			return
		}
	}
	readSSH2Packet(c)
	finish(c)
}

// readClientVersion skips lines before the identification string (RFC 4253
// section 4.2 allows them from servers; clients hardly send any) and
// returns it.
func readClientVersion(c net.Conn) (string, error) {
	for range 5 {
		line, err := readLine(c, 255, 10*time.Second)
		if err != nil {
			return "", err
		}
		if bytes.HasPrefix(line, []byte("SSH-")) {
			return strings.TrimRight(string(line), "\r\n"), nil
		}
	}
	return "", errors.New("no SSH identification from the client")
}

// kexinit builds an unencrypted SSH_MSG_KEXINIT packet.
func (l *legacySSH) kexinit() []byte {
	payload := []byte{20} // SSH_MSG_KEXINIT
	cookie := make([]byte, 16)
	_, _ = rand.Read(cookie)
	payload = append(payload, cookie...)
	for _, list := range l.kex {
		payload = binary.BigEndian.AppendUint32(payload, uint32(len(list)))
		payload = append(payload, list...)
	}
	payload = append(payload, 0)          // first_kex_packet_follows
	payload = append(payload, 0, 0, 0, 0) // reserved
	return sshPacket(payload)
}

// sshPacket frames payload as an SSH-2 binary packet without encryption or
// MAC: block size 8, at least 4 bytes of padding.
func sshPacket(payload []byte) []byte {
	pad := 8 - (5+len(payload))%8
	if pad < 4 {
		pad += 8
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(1+len(payload)+pad))
	out = append(out, byte(pad))
	out = append(out, payload...)
	padding := make([]byte, pad)
	_, _ = rand.Read(padding)
	return append(out, padding...)
}

// readSSH2Packet reads one binary packet (the client's KEXINIT), capped.
func readSSH2Packet(c net.Conn) {
	hdr, err := readFull(c, 4, 10*time.Second)
	if err != nil {
		return
	}
	n := binary.BigEndian.Uint32(hdr)
	if n < 5 || n > maxSSHPacket {
		return
	}
	_, _ = readFull(c, int(n), 10*time.Second)
}

// readSSH1Packet reads one SSH-1 packet (length, padding, type, data, CRC),
// capped.
func readSSH1Packet(c net.Conn) {
	hdr, err := readFull(c, 4, 10*time.Second)
	if err != nil {
		return
	}
	n := binary.BigEndian.Uint32(hdr)
	if n < 5 || n > 262144 {
		return
	}
	_, _ = readFull(c, int(n)+int(8-n%8), 10*time.Second)
}

// ssh1PublicKey builds SSH_SMSG_PUBLIC_KEY: cookie, a 768-bit server key,
// the host key, protocol flags, supported ciphers (3DES, Blowfish) and
// authentications (RSA, password).
func (l *legacySSH) ssh1PublicKey() []byte {
	data := make([]byte, 8)
	_, _ = rand.Read(data)
	server := randomModulus(768)
	data = binary.BigEndian.AppendUint32(data, uint32(server.BitLen()))
	data = appendMPInt(data, big.NewInt(65537))
	data = appendMPInt(data, server)
	data = binary.BigEndian.AppendUint32(data, uint32(l.hostKey.BitLen()))
	data = appendMPInt(data, big.NewInt(int64(l.hostE)))
	data = appendMPInt(data, l.hostKey)
	data = binary.BigEndian.AppendUint32(data, 0)         // protocol flags
	data = binary.BigEndian.AppendUint32(data, 1<<3|1<<6) // 3DES, Blowfish
	data = binary.BigEndian.AppendUint32(data, 1<<2|1<<3) // RSA, password
	return ssh1Packet(2, data)
}

// ssh1Packet frames an SSH-1 packet: length (type+data+CRC), 1 to 8 bytes of
// padding, type, data, and the CRC-32 of padding, type and data.
func ssh1Packet(typ byte, data []byte) []byte {
	length := 1 + len(data) + 4
	pad := 8 - length%8
	body := make([]byte, pad, pad+1+len(data))
	_, _ = rand.Read(body)
	body = append(body, typ)
	body = append(body, data...)
	out := binary.BigEndian.AppendUint32(nil, uint32(length))
	out = append(out, body...)
	return binary.BigEndian.AppendUint32(out, ssh1CRC(body))
}

// ssh1CRC is the CRC-32 of SSH-1 (polynomial 0xEDB88320, initial value 0,
// no final inversion).
func ssh1CRC(b []byte) uint32 {
	var crc uint32
	for _, x := range b {
		crc ^= uint32(x)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xedb88320
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

// appendMPInt appends an SSH-1 multiple-precision integer: a 16-bit bit
// count and the big-endian bytes.
func appendMPInt(b []byte, n *big.Int) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(n.BitLen()))
	return append(b, n.Bytes()...)
}

// randomModulus returns an odd number of exactly bits bits.
func randomModulus(bits int) *big.Int {
	buf := make([]byte, bits/8)
	_, _ = rand.Read(buf)
	buf[0] |= 0x80
	buf[len(buf)-1] |= 1
	return new(big.Int).SetBytes(buf)
}
