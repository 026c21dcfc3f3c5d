package identify

import (
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// Telnet command bytes (RFC 854).
const (
	telnetIAC  = 255
	telnetDONT = 254
	telnetDO   = 253
	telnetWONT = 252
	telnetWILL = 251
	telnetSB   = 250
	telnetSE   = 240
)

// telnetOptionNames names common Telnet options by number (IANA).
var telnetOptionNames = map[byte]string{
	0: "BINARY", 1: "ECHO", 3: "SUPPRESS-GO-AHEAD", 5: "STATUS",
	6: "TIMING-MARK", 24: "TERMINAL-TYPE", 31: "NAWS", 32: "TERMINAL-SPEED",
	33: "LFLOW", 34: "LINEMODE", 35: "X-DISPLAY-LOCATION", 36: "OLD-ENVIRON",
	37: "AUTHENTICATION", 38: "ENCRYPT", 39: "NEW-ENVIRON",
}

// telnetCmd is one negotiation: verb (WILL, WONT, DO, DONT, SB) and option.
type telnetCmd struct {
	verb   byte
	option byte
}

func (c telnetCmd) String() string {
	verbs := map[byte]string{telnetWILL: "WILL", telnetWONT: "WONT", telnetDO: "DO", telnetDONT: "DONT", telnetSB: "SB"}
	name, ok := telnetOptionNames[c.option]
	if !ok {
		name = fmt.Sprint(c.option)
	}
	return verbs[c.verb] + " " + name
}

// parseTelnet parses the Telnet commands b starts with and returns them,
// the text that follows, and whether the last command was cut short. The
// first command must be an option negotiation (or sub-negotiation).
func parseTelnet(b []byte) (cmds []telnetCmd, text []byte, partial bool, err error) {
	if len(b) < 2 || b[0] != telnetIAC || b[1] < telnetSB || b[1] == telnetIAC {
		return nil, nil, false, noMatch(proto.Telnet, "no option negotiation")
	}
	for len(b) > 0 && b[0] == telnetIAC {
		if len(b) < 2 {
			return cmds, nil, true, nil
		}
		switch v := b[1]; {
		case v >= telnetWILL && v <= telnetDONT:
			if len(b) < 3 {
				return cmds, nil, true, nil
			}
			cmds = append(cmds, telnetCmd{verb: v, option: b[2]})
			b = b[3:]
		case v == telnetSB:
			if len(b) < 3 {
				return cmds, nil, true, nil
			}
			end := -1
			for i := 3; i+1 < len(b); i++ {
				if b[i] == telnetIAC && b[i+1] == telnetSE {
					end = i + 2
					break
				}
			}
			if end < 0 {
				return cmds, nil, true, nil
			}
			cmds = append(cmds, telnetCmd{verb: telnetSB, option: b[2]})
			b = b[end:]
		case v == telnetIAC:
			// An escaped 255 data byte: text starts here.
			return cmds, b, false, nil
		default:
			b = b[2:] // NOP, GA, AYT and the other two-byte commands
		}
	}
	return cmds, b, false, nil
}

// telnetComplete reports whether b holds whole Telnet commands.
func telnetComplete(b []byte) bool {
	_, _, partial, err := parseTelnet(b)
	return err == nil && !partial
}

// matchTelnet recognises a Telnet server by the option negotiation it
// starts with.
func matchTelnet(b []byte, s *facts.Service) (*followUp, error) {
	cmds, text, _, err := parseTelnet(b)
	if err != nil {
		return nil, err
	}
	if len(cmds) == 0 {
		return nil, noMatch(proto.Telnet, "no complete negotiation")
	}
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = c.String()
	}
	s.Name = proto.Telnet
	s.Banner = snippet(b[:min(len(b), 64)])
	s.SetDetail(facts.DetailTelnetOptions, strings.Join(names, ", "))
	if len(text) > 0 {
		s.SetDetail(facts.DetailTelnetText, clean(string(text), 256))
	}
	return nil, nil
}
