package identify

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/vigilsec/vigil/internal/codec/ber"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// Kerberos V5 (RFC 4120) identifiers used.
const (
	krbGeneralString   = 0x1b
	krbGeneralizedTime = 0x18
	krbASReqApp        = ber.Application | ber.Constructed | 10
	krbASRepApp        = ber.Application | ber.Constructed | 11
	krbErrorApp        = ber.Application | ber.Constructed | 30
	krbProbeRealm      = "VIGIL.INVALID"
	krbCap             = 64 << 10
)

// krbErrorNames names the KRB-ERROR codes a probe meets (RFC 4120 7.5.9).
var krbErrorNames = map[int]string{
	6: "KDC_ERR_C_PRINCIPAL_UNKNOWN", 7: "KDC_ERR_S_PRINCIPAL_UNKNOWN", 14: "KDC_ERR_ETYPE_NOSUPP",
	24: "KDC_ERR_PREAUTH_FAILED", 25: "KDC_ERR_PREAUTH_REQUIRED", 37: "KRB_AP_ERR_SKEW",
	52: "KRB_ERR_RESPONSE_TOO_BIG", 60: "KRB_ERR_GENERIC", 68: "KDC_ERR_WRONG_REALM",
}

func krbTag(n int, content []byte) []byte {
	return ber.TLV(byte(ber.Context|ber.Constructed|n), content)
}

func krbString(s string) []byte { return ber.TLV(krbGeneralString, []byte(s)) }

func krbPrincipal(nameType int64, names ...string) []byte {
	var ns [][]byte
	for _, n := range names {
		ns = append(ns, krbString(n))
	}
	return ber.TLV(ber.TagSequence, ber.Concat(
		krbTag(0, ber.Integer(ber.TagInteger, nameType)),
		krbTag(1, ber.TLV(ber.TagSequence, ber.Concat(ns...)))))
}

// krbASReq is an AS-REQ (RFC 4120 5.4.1) from a made-up client for the
// ticket-granting service krbtgt/REALM@REALM, without pre-authentication.
func krbASReq(realm string, nonce uint32) []byte {
	body := ber.TLV(ber.TagSequence, ber.Concat(
		krbTag(0, ber.TLV(0x03, []byte{0, 0, 0, 0, 0})), // kdc-options: none
		krbTag(1, krbPrincipal(1, "vigil-probe")),       // NT-PRINCIPAL
		krbTag(2, krbString(realm)),
		krbTag(3, krbPrincipal(2, "krbtgt", realm)), // NT-SRV-INST
		krbTag(5, ber.TLV(krbGeneralizedTime, []byte("20370913024805Z"))),
		krbTag(7, ber.Integer(ber.TagInteger, int64(nonce&0x7fffffff))),
		krbTag(8, ber.TLV(ber.TagSequence, ber.Concat(
			ber.Integer(ber.TagInteger, 18), ber.Integer(ber.TagInteger, 17), ber.Integer(ber.TagInteger, 23)))),
	))
	req := ber.TLV(ber.TagSequence, ber.Concat(
		krbTag(1, ber.Integer(ber.TagInteger, 5)),
		krbTag(2, ber.Integer(ber.TagInteger, 10)),
		krbTag(4, body)))
	return ber.TLV(krbASReqApp, req)
}

// krbFields returns the context-tagged fields of a Kerberos SEQUENCE by
// tag number, each the content of the inner element.
func krbFields(seq []byte) (map[int]ber.Elem, error) {
	e, _, err := ber.Parse(seq)
	if err != nil {
		return nil, err
	}
	if e.ID() != ber.TagSequence {
		return nil, fmt.Errorf("%w: not a SEQUENCE", ber.ErrMalformed)
	}
	kids, err := ber.Children(e.Content)
	if err != nil {
		return nil, err
	}
	out := map[int]ber.Elem{}
	for _, k := range kids {
		if k.Class != ber.Context || !k.Constructed {
			return nil, fmt.Errorf("%w: untagged field", ber.ErrMalformed)
		}
		inner, _, err := ber.Parse(k.Content)
		if err != nil {
			return nil, err
		}
		out[k.Tag] = inner
	}
	return out, nil
}

func krbInt(f map[int]ber.Elem, n int) (int64, bool) {
	e, ok := f[n]
	if !ok || e.ID() != ber.TagInteger {
		return 0, false
	}
	v, err := ber.Int(e.Content)
	return v, err == nil
}

// parseKRBReply decodes a KDC's answer to krbASReq: a KRB-ERROR (RFC 4120
// 5.9.1) or, for a realm that has such a client, an AS-REP.
func parseKRBReply(b []byte) (facts.Kerberos, error) {
	var k facts.Kerberos
	app, _, err := ber.Parse(b)
	if err != nil {
		return k, noMatch(proto.Kerberos, "%v", err)
	}
	switch app.ID() {
	case krbErrorApp:
	case krbASRepApp:
		f, err := krbFields(app.Content)
		if err != nil {
			return k, noMatch(proto.Kerberos, "%v", err)
		}
		if pv, _ := krbInt(f, 0); pv != 5 {
			return k, noMatch(proto.Kerberos, "not Kerberos 5")
		}
		if r, ok := f[3]; ok && r.ID() == krbGeneralString {
			k.Realm = clean(string(r.Content), 128)
		}
		return k, nil
	default:
		return k, noMatch(proto.Kerberos, "not a KRB-ERROR")
	}
	f, err := krbFields(app.Content)
	if err != nil {
		return k, noMatch(proto.Kerberos, "%v", err)
	}
	pv, ok1 := krbInt(f, 0)
	mt, ok2 := krbInt(f, 1)
	code, ok3 := krbInt(f, 6)
	if !ok1 || !ok2 || !ok3 || pv != 5 || mt != 30 {
		return k, noMatch(proto.Kerberos, "KRB-ERROR without pvno 5, msg-type 30 and an error code")
	}
	k.ErrorCode = int(code)
	k.ErrorName = krbErrorNames[k.ErrorCode]
	// An MIT KDC serving one realm answers for any realm and echoes the
	// one asked for: only another realm is the KDC's own (a referral).
	if r, ok := f[9]; ok && r.ID() == krbGeneralString && string(r.Content) != krbProbeRealm {
		k.Realm = clean(string(r.Content), 128)
	}
	if t, ok := f[4]; ok && t.ID() == krbGeneralizedTime {
		if st, err := time.Parse("20060102150405Z", string(t.Content)); err == nil {
			k.ServerTime = st.UTC()
		}
	}
	if t, ok := f[11]; ok && t.ID() == krbGeneralString {
		k.Text = clean(string(t.Content), 256)
	}
	return k, nil
}

// applyKerberos records a KDC's answer in s.
func applyKerberos(k facts.Kerberos, s *facts.Service) {
	s.Name = proto.Kerberos
	s.Kerberos = &k
	s.Banner = "Kerberos KDC"
	if k.ErrorCode != 0 {
		name := k.ErrorName
		if name == "" {
			name = fmt.Sprintf("error %d", k.ErrorCode)
		}
		realm := "realm not revealed"
		if k.Realm != "" {
			realm = "realm " + k.Realm
		}
		s.Banner = clean(fmt.Sprintf("Kerberos KDC: KRB-ERROR %s, %s, server time %s", name, realm, k.ServerTime.Format(time.RFC3339)), 256)
	}
}

// krbTCPDone reports whether b holds the whole length-prefixed message
// (RFC 4120 7.2.2), or one beyond the cap.
func krbTCPDone(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	n := binary.BigEndian.Uint32(b)
	return n > krbCap || len(b)-4 >= int(n)
}

// probeKerberos sends an AS-REQ for krbtgt of a made-up realm over TCP.
func probeKerberos(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	req := krbASReq(krbProbeRealm, rand.Uint32())
	msg := binary.BigEndian.AppendUint32(nil, uint32(len(req)))
	answer, err := l.exchange(ctx, append(msg, req...), krbCap+4, krbTCPDone)
	if len(answer) == 0 {
		return nil, ioNoMatch(proto.Kerberos, err)
	}
	if len(answer) < 4 || int(binary.BigEndian.Uint32(answer)) != len(answer)-4 {
		return answer, noMatch(proto.Kerberos, "no length-prefixed message")
	}
	k, err := parseKRBReply(answer[4:])
	if err != nil {
		return answer, err
	}
	applyKerberos(k, s)
	return nil, nil
}

// kerberosSession is the AS-REQ over UDP.
type kerberosSession struct{ nonce uint32 }

func newKerberosSession(udpEnv) udpSession { return &kerberosSession{nonce: rand.Uint32()} }

func (p *kerberosSession) request(int) []byte { return krbASReq(krbProbeRealm, p.nonce) }

func (p *kerberosSession) answer(b []byte, s *facts.Service) (bool, bool) {
	k, err := parseKRBReply(b)
	if err != nil {
		return false, false
	}
	applyKerberos(k, s)
	return true, true
}
