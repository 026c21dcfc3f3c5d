package identify

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/wire"
)

// MQTT control packet types (MQTT 3.1.1, OASIS standard, section 2.2.1).
const (
	mqttCONNECT    = 1
	mqttCONNACK    = 2
	mqttPUBLISH    = 3
	mqttSUBSCRIBE  = 8
	mqttDISCONNECT = 14
)

// mqttPacket is one control packet.
type mqttPacket struct {
	typ   byte
	flags byte
	body  []byte
}

// mqttAppendLen appends the variable-length Remaining Length encoding of n.
func mqttAppendLen(b []byte, n int) []byte {
	for {
		d := byte(n % 128)
		n /= 128
		if n > 0 {
			d |= 0x80
		}
		b = append(b, d)
		if n == 0 {
			return b
		}
	}
}

func mqttAppendString(b []byte, s string) []byte {
	return append(append(b, byte(len(s)>>8), byte(len(s))), s...)
}

// mqttConnect is a CONNECT packet (protocol level 4, clean session, no
// credentials) with client identifier id.
func mqttConnect(id string) []byte {
	vh := mqttAppendString(nil, "MQTT")
	vh = append(vh, 4, 0x02, 0, 30) // level 4, clean session, keep alive 30 s
	vh = mqttAppendString(vh, id)
	return append(mqttAppendLen([]byte{mqttCONNECT << 4}, len(vh)), vh...)
}

// mqttSubscribe is a SUBSCRIBE for topic at QoS 0 with packet id 1.
func mqttSubscribe(topic string) []byte {
	body := mqttAppendString([]byte{0, 1}, topic)
	body = append(body, 0)
	return append(mqttAppendLen([]byte{mqttSUBSCRIBE<<4 | 2}, len(body)), body...)
}

// parseMQTTPackets splits b into control packets; rest is an incomplete
// tail.
func parseMQTTPackets(b []byte) (pkts []mqttPacket, rest []byte, err error) {
	for len(b) >= 2 {
		n, mult, i := 0, 1, 1
		for ; ; i++ {
			if i >= len(b) {
				return pkts, b, nil
			}
			if i > 4 {
				return pkts, nil, noMatch(proto.MQTT, "remaining length too long")
			}
			n += int(b[i]&0x7f) * mult
			mult *= 128
			if b[i]&0x80 == 0 {
				break
			}
		}
		i++
		if len(b)-i < n {
			return pkts, b, nil
		}
		pkts = append(pkts, mqttPacket{typ: b[0] >> 4, flags: b[0] & 0x0f, body: b[i : i+n]})
		b = b[i+n:]
	}
	return pkts, b, nil
}

// mqttConnackNames explains CONNACK return codes (3.1.1 section 3.2.2.3).
var mqttConnackNames = map[byte]string{
	0: "accepted", 1: "unacceptable protocol version", 2: "identifier rejected",
	3: "server unavailable", 4: "bad user name or password", 5: "not authorized",
}

// parseConnack returns the return code of the CONNACK b starts with.
func parseConnack(b []byte) (byte, error) {
	pkts, _, err := parseMQTTPackets(b)
	if err != nil {
		return 0, err
	}
	if len(pkts) == 0 {
		return 0, noMatch(proto.MQTT, "no complete packet")
	}
	p := pkts[0]
	if p.typ != mqttCONNACK || p.flags != 0 || len(p.body) < 2 || p.body[0] > 1 {
		return 0, noMatch(proto.MQTT, "not a CONNACK")
	}
	rc := p.body[1]
	if _, ok := mqttConnackNames[rc]; !ok && rc < 0x80 {
		return 0, noMatch(proto.MQTT, "CONNACK return code %d", rc)
	}
	return rc, nil
}

// parsePublish returns the topic and payload of a PUBLISH packet.
func parsePublish(p mqttPacket) (topic string, payload []byte, err error) {
	if p.typ != mqttPUBLISH || len(p.body) < 2 {
		return "", nil, noMatch(proto.MQTT, "not a PUBLISH")
	}
	n := int(p.body[0])<<8 | int(p.body[1])
	if len(p.body) < 2+n {
		return "", nil, noMatch(proto.MQTT, "PUBLISH topic cut short")
	}
	topic, rest := string(p.body[2:2+n]), p.body[2+n:]
	if qos := (p.flags >> 1) & 3; qos > 0 {
		if len(rest) < 2 {
			return "", nil, noMatch(proto.MQTT, "PUBLISH packet id cut short")
		}
		rest = rest[2:]
	}
	return topic, rest, nil
}

var mosquittoVersionRE = regexp.MustCompile(`^mosquitto version (\d[\w.]*)`)

// mqttSysVersion is the topic where brokers publish their version.
const mqttSysVersion = "$SYS/broker/version"

// findBrokerVersion looks for the retained $SYS/broker/version message in b.
func findBrokerVersion(b []byte) (string, bool) {
	pkts, _, _ := parseMQTTPackets(b)
	for _, p := range pkts {
		if topic, payload, err := parsePublish(p); err == nil && topic == mqttSysVersion {
			return string(payload), true
		}
	}
	return "", false
}

// probeMQTT sends CONNECT with a random client id. When the broker accepts
// anonymous clients it subscribes (read-only) to $SYS/broker/version for a
// moment, then disconnects.
func probeMQTT(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	c, err := l.open(ctx)
	if err != nil {
		return nil, ioNoMatch(proto.MQTT, err)
	}
	defer func() { _ = c.Close() }()
	id := fmt.Sprintf("vigil-%08x", rand.Uint32())
	resp, err := wire.Exchange(ctx, c, mqttConnect(id), lineCap, l.opt.Timeout, func(b []byte) bool {
		pkts, _, err := parseMQTTPackets(b)
		return err != nil || len(pkts) > 0
	})
	rc, perr := parseConnack(resp)
	if perr != nil {
		if len(resp) == 0 {
			return nil, ioNoMatch(proto.MQTT, err)
		}
		return resp, perr
	}
	s.Name = proto.MQTT
	s.SetDetail(facts.DetailMQTTCONNACK, strconv.Itoa(int(rc)))
	s.SetDetail(facts.DetailMQTTAnonymous, strconv.FormatBool(rc == 0))
	if rc != 0 {
		return nil, nil
	}
	wait := min(l.opt.Timeout, time.Second)
	resp, _ = wire.Exchange(ctx, c, mqttSubscribe(mqttSysVersion), bannerCap, wait, func(b []byte) bool {
		_, ok := findBrokerVersion(b)
		return ok
	})
	_ = wire.Write(ctx, c, []byte{mqttDISCONNECT << 4, 0}, l.opt.Timeout)
	if v, ok := findBrokerVersion(resp); ok {
		s.SetDetail(facts.DetailMQTTBrokerVersion, clean(v, 128))
		if m := mosquittoVersionRE.FindStringSubmatch(v); m != nil {
			s.Product, s.Version = "Mosquitto", m[1]
		}
	}
	return nil, nil
}
