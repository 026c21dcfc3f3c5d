package identify

import (
	"bytes"
	"testing"
)

func TestMQTTPackets(t *testing.T) {
	c := mqttConnect("vigil-0001")
	want := []byte{0x10, 22, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 30, 0, 10}
	if !bytes.HasPrefix(c, want) || string(c[len(want):]) != "vigil-0001" {
		t.Errorf("CONNECT = %x", c)
	}
	sub := mqttSubscribe(mqttSysVersion)
	if sub[0] != 0x82 || int(sub[1]) != len(sub)-2 || sub[len(sub)-1] != 0 {
		t.Errorf("SUBSCRIBE = %x", sub)
	}
	if got := mqttAppendLen(nil, 321); !bytes.Equal(got, []byte{0xc1, 0x02}) {
		t.Errorf("remaining length 321 = %x", got)
	}
}

func TestParseConnack(t *testing.T) {
	tests := []struct {
		in []byte
		rc byte
		ok bool
	}{
		{[]byte{0x20, 2, 0, 0}, 0, true},
		{[]byte{0x20, 2, 0, 5}, 5, true},
		{[]byte{0x20, 2, 1, 0}, 0, true},
		{[]byte{0x20, 3, 0, 0x84, 0}, 0x84, true}, // MQTT 5 reason code
		{[]byte{0x20, 2, 0, 9}, 0, false},
		{[]byte{0x20, 2, 2, 0}, 0, false},
		{[]byte{0x21, 2, 0, 0}, 0, false},
		{[]byte{0x30, 2, 0, 0}, 0, false},
		{[]byte{0x20, 2, 0}, 0, false},
		{[]byte{0x20, 0xff, 0xff, 0xff, 0xff, 0x7f}, 0, false},
	}
	for _, tt := range tests {
		rc, err := parseConnack(tt.in)
		if (err == nil) != tt.ok || rc != tt.rc {
			t.Errorf("parseConnack(%x) = %d, %v; want %d ok %v", tt.in, rc, err, tt.rc, tt.ok)
		}
	}
}

func TestFindBrokerVersion(t *testing.T) {
	topic := mqttAppendString(nil, mqttSysVersion)
	payload := "mosquitto version 2.0.11"
	pub := append(mqttAppendLen([]byte{0x31}, len(topic)+len(payload)), topic...)
	pub = append(pub, payload...)
	suback := []byte{0x90, 3, 0, 1, 0}
	v, ok := findBrokerVersion(append(suback, pub...))
	if !ok || v != payload {
		t.Fatalf("findBrokerVersion = %q %v", v, ok)
	}
	if m := mosquittoVersionRE.FindStringSubmatch(v); m == nil || m[1] != "2.0.11" {
		t.Errorf("version %v", m)
	}
	if _, ok := findBrokerVersion(suback); ok {
		t.Error("found a version in a SUBACK")
	}
	// QoS 1 PUBLISH carries a packet id after the topic.
	pub1 := append(mqttAppendLen([]byte{0x32}, len(topic)+2+3), topic...)
	pub1 = append(pub1, 0, 7, 'x', 'y', 'z')
	if v, ok := findBrokerVersion(pub1); !ok || v != "xyz" {
		t.Errorf("QoS 1 publish = %q %v", v, ok)
	}
}

func FuzzParseMQTT(f *testing.F) {
	f.Add([]byte{0x20, 2, 0, 0})
	f.Add([]byte{0x90, 3, 0, 1, 0, 0x31, 5, 0, 1, 'a', 'b', 'c'})
	f.Fuzz(func(t *testing.T, b []byte) {
		parseConnack(b)
		findBrokerVersion(b)
	})
}
