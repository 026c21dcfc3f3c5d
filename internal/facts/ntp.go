package facts

// NTPAudit is what an NTP audit observed on one port: how much the server
// sends back to one control (mode 6) and one private (mode 7) query, the
// two NTP queries used for traffic amplification.
type NTPAudit struct {
	// Mode6 is the answer to one mode 6 READVAR request for the system
	// variables; nil when the server did not answer.
	Mode6 *NTPAmplification `json:"mode6,omitempty"`
	// Mode7 is the answer to one mode 7 MON_GETLIST_1 ("monlist")
	// request; nil when the server did not answer.
	Mode7 *NTPAmplification `json:"mode7,omitempty"`
}

// NTPAmplification is what one request drew from the server.
type NTPAmplification struct {
	// Request names the request: "READVAR" or "MON_GETLIST_1".
	Request string `json:"request"`
	// Sent is the size of the one request, in bytes of UDP payload;
	// Received the total of the answers' UDP payloads, in Packets
	// datagrams.
	Sent     int `json:"sent"`
	Received int `json:"received"`
	Packets  int `json:"packets"`
	// Error is the error code the server answered with (mode 6: the
	// status word's error code with the E bit set; mode 7: the err field),
	// 0 when it answered with data.
	Error int `json:"error,omitempty"`
	// Items counts the data items of a mode 7 answer (monitor list
	// entries: addresses of recent clients), or the variables of a mode 6
	// answer.
	Items int `json:"items,omitempty"`
	// Capped is true when vigil stopped reading at its cap, so Received
	// is a lower bound.
	Capped bool `json:"capped,omitempty"`
}

// Factor is the amplification factor: bytes received per byte sent.
func (a *NTPAmplification) Factor() float64 {
	if a == nil || a.Sent == 0 {
		return 0
	}
	return float64(a.Received) / float64(a.Sent)
}

// Amplifies reports whether the server answered with data, and more
// bytes than it was sent.
func (a *NTPAmplification) Amplifies() bool {
	return a != nil && a.Error == 0 && a.Received > a.Sent
}
