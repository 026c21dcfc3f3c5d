package alert

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/level"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// textMax caps, in runes, the strings of an event taken from a document.
const textMax = 300

// ScanEvents compares a finished scan with the previous scan of the same
// targets and returns the events, in the order of Kinds. prev may be nil:
// then every host is new and every critical or high finding is new.
//
//   - finding.new: a critical or high finding of cur, not accepted, whose id
//     prev does not hold;
//   - level.drop: a host in both scans whose level is lower in cur, and the
//     overall level (host "") when both scans had the same targets. A drop
//     that a new finding (or a host's drop) explains is said in that
//     event's alert and lists it in ToldBy;
//   - host.new, host.gone: a host listed in one scan and not the other, among
//     the addresses both scans' targets cover. A host is gone only when cur is
//     a complete network scan of the same ports as prev;
//   - cert.expiring: a TLS leaf certificate of cur that is still valid at now
//     and ends within certWithin.
func ScanEvents(prev, cur *result.Document, now time.Time, certWithin time.Duration) []Event {
	if cur == nil {
		return nil
	}
	var out []Event
	add := func(e Event) {
		e.Scan = cur.ID
		e.Time = now
		e.Title = plain(e.Title)
		e.Detail = plain(e.Detail)
		out = append(out, e)
	}

	// New critical and high findings. worstNew is, by host, the index in
	// out of its most severe new finding.
	before := map[string]bool{}
	if prev != nil {
		for _, f := range prev.Findings {
			before[f.ID] = true
		}
	}
	worstNew := map[string]int{}
	for _, f := range cur.Findings {
		if f.Severity < finding.High || f.Accepted != nil || before[f.ID] || f.ID == "" {
			continue
		}
		if i, ok := worstNew[f.Host]; !ok || out[i].Severity == "high" && f.Severity == finding.Critical {
			worstNew[f.Host] = len(out)
		}
		add(Event{Key: KindFindingNew + ":" + f.ID, Kind: KindFindingNew, Severity: f.Severity.String(),
			Host: f.Host, Port: f.Port,
			Title:  fmt.Sprintf("New %s finding on %s: %s", f.Severity, where(f.Host, f.Port, f.Transport), f.Title),
			Detail: fmt.Sprintf("%s (%s). Evidence: %s. Fix: %s", f.Title, f.Check, f.Evidence, f.Recommendation)})
	}

	var prevHosts map[string]result.Host
	if prev != nil {
		prevHosts = map[string]result.Host{}
		for _, h := range prev.Hosts {
			prevHosts[h.Address] = h
		}
	}
	curHosts := map[string]result.Host{}
	for _, h := range cur.Hosts {
		curHosts[h.Address] = h
	}

	// Levels that drop. A new finding that explains its host's drop says
	// the drop in its alert, and the drop's own event is told by it (sent
	// only when the finding's alert is not: a finding that comes back after
	// a fix was told before). The overall drop is said in, and told by,
	// the host events that explain it.
	if prev != nil {
		overall := result.SameTargets(prev.Targets, cur.Targets) && dropped(prev.Level.Value, cur.Level.Value)
		overallNote := ""
		if overall {
			overallNote = fmt.Sprintf(" The overall level drops from %d (%s) to %d (%s).",
				prev.Level.Value, level.Name(prev.Level.Value), cur.Level.Value, level.Name(cur.Level.Value))
		}
		var hostKeys []string
		for _, h := range cur.Hosts {
			p, ok := prevHosts[h.Address]
			if !ok || !dropped(p.Level, h.Level) {
				continue
			}
			e := levelDrop(h.Address, p.Level, h.Level, h.Reason, cur.ID)
			e.Detail = plain(e.Detail) + overallNote
			hostKeys = append(hostKeys, e.Key)
			if i, ok := worstNew[h.Address]; ok {
				out[i].Detail += fmt.Sprintf(" The level of %s drops from %d (%s) to %d (%s).%s",
					h.Address, p.Level, level.Name(p.Level), h.Level, level.Name(h.Level), overallNote)
				e.ToldBy = []string{out[i].Key}
				hostKeys = append(hostKeys, out[i].Key)
			}
			add(e)
		}
		if overall {
			e := levelDrop("", prev.Level.Value, cur.Level.Value, cur.Level.Reason, cur.ID)
			e.ToldBy = hostKeys
			add(e)
		}
	}

	// Hosts that appear or disappear.
	if cur.Kind != result.KindHost {
		both := func(string) bool { return true }
		if prev != nil && !result.SameTargets(prev.Targets, cur.Targets) {
			pc, cc := coverOf(prev), coverOf(cur)
			both = func(addr string) bool { return pc.covers(addr, prev, cur) && cc.covers(addr, prev, cur) }
		}
		for _, h := range cur.Hosts {
			if _, seen := prevHosts[h.Address]; seen || !both(h.Address) {
				continue
			}
			add(Event{Key: KindHostNew + ":" + h.Address, Kind: KindHostNew, Severity: "medium", Host: h.Address,
				Title:  fmt.Sprintf("New host %s%s with %s", h.Address, namesOf(h), plural(len(h.Services), "open service")),
				Detail: "Services: " + servicesOf(h)})
		}
		complete := cur.Complete == nil || *cur.Complete
		samePorts := prev != nil && (prev.Ports == "" || cur.Ports == "" || prev.Ports == cur.Ports)
		if prev != nil && prev.Kind != result.KindHost && complete && samePorts {
			for _, h := range prev.Hosts {
				if _, still := curHosts[h.Address]; still || !both(h.Address) {
					continue
				}
				add(Event{Key: KindHostGone + ":" + h.Address + ":" + cur.ID, Kind: KindHostGone, Severity: "low", Host: h.Address,
					Title:  fmt.Sprintf("Host %s%s no longer answers", h.Address, namesOf(h)),
					Detail: fmt.Sprintf("Scan %s listed it with %s; scan %s found no open port on it.", prev.ID, plural(len(h.Services), "open service"), cur.ID)})
			}
		}
	}

	// Certificates about to expire.
	for _, h := range cur.Hosts {
		for _, s := range h.Services {
			if s.TLSAudit == nil || len(s.TLSAudit.Chain) == 0 {
				continue
			}
			leaf := s.TLSAudit.Chain[0]
			left := leaf.NotAfter.Sub(now)
			if leaf.NotAfter.IsZero() || left <= 0 || left > certWithin {
				continue
			}
			sev := "medium"
			if left <= 7*24*time.Hour {
				sev = "high"
			}
			subject := sanitize.String(leaf.Subject, textMax)
			add(Event{Key: fmt.Sprintf("%s:%s:%d:%s", KindCertExpiring, h.Address, s.Port, leaf.SHA256), Kind: KindCertExpiring,
				Severity: sev, Host: h.Address, Port: s.Port,
				Title: fmt.Sprintf("TLS certificate on %s expires %s (%s)", where(h.Address, s.Port, s.Transport),
					leaf.NotAfter.UTC().Format("2006-01-02 15:04 UTC"), inDays(left)),
				Detail: fmt.Sprintf("Certificate \"%s\" issued by \"%s\", SHA-256 %s. Renew it and install the new certificate before it expires.",
					subject, sanitize.String(leaf.Issuer, textMax), leaf.SHA256)})
		}
	}
	sortEvents(out)
	return out
}

// Acceptance is a risk acceptance as AcceptanceEvents needs it: the
// fields of store.Acceptance (which store converts with
// store.AlertAcceptances), kept here because the store imports this package.
type Acceptance struct {
	Finding string
	Check   string
	Host    string
	Port    int
	finding.Acceptance
	// Revoked is when it was revoked; zero while it was not.
	Revoked time.Time
}

// AcceptanceEvents returns an event for each acceptance that is in force at
// now and ends within `within` of it. Revoked acceptances end nothing.
func AcceptanceEvents(acc []Acceptance, now time.Time, within time.Duration) []Event {
	var out []Event
	seen := map[string]bool{}
	for _, a := range acc {
		if !a.Revoked.IsZero() || !a.InForce(now) {
			continue
		}
		until, err := time.Parse(finding.DateLayout, a.Until)
		if err != nil {
			continue
		}
		ends := until.AddDate(0, 0, 1) // it holds to the end of its last day, UTC
		if ends.Sub(now) > within {
			continue
		}
		key := KindAcceptanceExpiring + ":" + a.Finding + ":" + a.Until
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, Event{Key: key, Kind: KindAcceptanceExpiring, Severity: "medium", Host: a.Host, Port: a.Port,
			Title: plain(fmt.Sprintf("Risk acceptance of %s on %s ends %s", a.Check, where(a.Host, a.Port, ""), a.Until)),
			Detail: plain(fmt.Sprintf("Accepted by %s: %s. After %s the finding %s counts against the level again: fix it or renew the acceptance.",
				a.By, a.Reason, a.Until, a.Finding)),
			Time: now})
	}
	sortEvents(out)
	return out
}

// Digest returns one event that carries es: kind digest, the worst
// severity among them, a title that counts them by kind, and a key made
// from theirs (the same events make the same digest).
func Digest(es []Event) Event {
	h := sha256.New()
	worst := -1
	scan := ""
	count := map[string]int{}
	var titles []string
	for i, e := range es {
		h.Write([]byte(e.Key + "\x00"))
		if r := slices.Index(severities, e.Severity); r > worst {
			worst = r
		}
		if i == 0 || e.Scan == scan {
			scan = e.Scan
		} else {
			scan = ""
		}
		count[e.Kind]++
		titles = append(titles, e.Title)
	}
	var parts []string
	for _, k := range Kinds {
		if n := count[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	d := Event{Key: KindDigest + ":" + hex.EncodeToString(h.Sum(nil)[:8]), Kind: KindDigest, Severity: "info",
		Title: fmt.Sprintf("%d new alerts: %s", len(es), strings.Join(parts, ", ")), Scan: scan, Events: slices.Clone(es)}
	if worst >= 0 {
		d.Severity = severities[worst]
	}
	if scan != "" {
		d.Title = fmt.Sprintf("%d new alerts from scan %s: %s", len(es), scan, strings.Join(parts, ", "))
	}
	if len(es) > 0 {
		d.Time = es[0].Time
	}
	d.Detail = plain(strings.Join(titles, "; "))
	return d
}

// severities are the severity names, least serious first.
var severities = []string{"info", "low", "medium", "high", "critical"}

// levelDrop is the event of a level that fell from was to is; host ""
// means the overall level.
func levelDrop(host string, was, is int, reason, scan string) Event {
	sev := "medium"
	if is <= 2 {
		sev = "high"
	}
	what := "Overall level"
	if host != "" {
		what = "Level of " + host
	}
	return Event{Key: KindLevelDrop + ":" + host + ":" + scan, Kind: KindLevelDrop, Severity: sev, Host: host,
		Title:  fmt.Sprintf("%s dropped from %d (%s) to %d (%s)", what, was, level.Name(was), is, level.Name(is)),
		Detail: reason}
}

// dropped reports a fall between two rated levels (0 is unrated).
func dropped(was, is int) bool { return was >= 1 && is >= 1 && is < was }

// sortEvents orders events by kind (as Kinds lists them), then key.
func sortEvents(es []Event) {
	slices.SortStableFunc(es, func(a, b Event) int {
		if c := cmp.Compare(slices.Index(Kinds, a.Kind), slices.Index(Kinds, b.Kind)); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
}

// plain keeps s as it is when it is valid UTF-8 and every character is
// printable, and escapes it otherwise (sanitize.String): an event's text is
// one line of plain text, so a line break from a server cannot forge a mail
// header or line, nor a bidirectional override reorder what a reader sees.
func plain(s string) string {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r != ' ' && !unicode.IsPrint(r) }) {
		s = sanitize.String(s, 0)
	}
	if r := []rune(s); len(r) > 4*textMax {
		s = string(r[:4*textMax]) + "…"
	}
	return s
}

// where names a host and port: "10.0.0.5 port 443/tcp", or the host alone.
func where(host string, port int, transport string) string {
	if port == 0 {
		return host
	}
	if transport == "" {
		return host + " port " + strconv.Itoa(port)
	}
	return fmt.Sprintf("%s port %d/%s", host, port, transport)
}

func namesOf(h result.Host) string {
	if len(h.Names) == 0 {
		return ""
	}
	return " (" + sanitize.String(strings.Join(h.Names, ", "), textMax) + ")"
}

func servicesOf(h result.Host) string {
	if len(h.Services) == 0 {
		return "none"
	}
	var parts []string
	for _, s := range h.Services {
		p := fmt.Sprintf("%d/%s %s", s.Port, s.Transport, s.Name)
		if s.Product != "" {
			p += " (" + strings.TrimSpace(s.Product+" "+s.Version) + ")"
		}
		parts = append(parts, p)
	}
	return sanitize.String(strings.Join(parts, ", "), textMax)
}

// inDays says how far off a moment is: "in 3 days", "within a day".
func inDays(d time.Duration) string {
	if n := int(d / (24 * time.Hour)); n > 0 {
		return "in " + plural(n, "day")
	}
	return "within a day"
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// coverage is the set of addresses a scan's target expressions cover.
type coverage struct {
	ranges []addrRange
	// names are host-name targets, lower case: they cover the hosts the
	// scans list under that name.
	names []string
}

type addrRange struct{ from, to netip.Addr }

// coverOf reads a document's targets. Expressions it cannot read (an
// @file) cover nothing: no host event is raised on their account.
func coverOf(d *result.Document) coverage {
	var c coverage
	for _, t := range d.Targets {
		for expr := range strings.SplitSeq(t, ",") {
			expr = strings.TrimSpace(expr)
			if r, ok := parseTarget(expr); ok {
				c.ranges = append(c.ranges, r)
			} else if expr != "" && !strings.HasPrefix(expr, "@") {
				c.names = append(c.names, strings.ToLower(expr))
			}
		}
	}
	return c
}

// covers reports whether the coverage holds addr; a name target holds the
// address when either scan lists the host under that name.
func (c coverage) covers(addr string, docs ...*result.Document) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, r := range c.ranges {
		if r.from.BitLen() == a.BitLen() && r.from.Compare(a) <= 0 && a.Compare(r.to) <= 0 {
			return true
		}
	}
	for _, d := range docs {
		for _, h := range d.Hosts {
			if h.Address != addr {
				continue
			}
			for _, n := range h.Names {
				if slices.Contains(c.names, strings.ToLower(strings.TrimSuffix(n, "."))) {
					return true
				}
			}
		}
	}
	return false
}

// parseTarget reads an address, a CIDR network or a range
// ("10.0.0.1-20", "10.0.0.1-10.0.0.20"), as vigil scan takes them.
func parseTarget(expr string) (addrRange, bool) {
	if p, err := netip.ParsePrefix(expr); err == nil {
		p = p.Masked()
		from := p.Addr().Unmap()
		b := from.AsSlice()
		for i := p.Bits(); i < len(b)*8; i++ {
			b[i/8] |= 0x80 >> (i % 8)
		}
		to, _ := netip.AddrFromSlice(b)
		return addrRange{from, to}, true
	}
	if a, err := netip.ParseAddr(expr); err == nil {
		a = a.WithZone("").Unmap()
		return addrRange{a, a}, true
	}
	lo, hi, ok := strings.Cut(expr, "-")
	if !ok {
		return addrRange{}, false
	}
	from, err := netip.ParseAddr(lo)
	if err != nil {
		return addrRange{}, false
	}
	from = from.Unmap()
	to, err := netip.ParseAddr(hi)
	if err != nil {
		n, err := strconv.Atoi(hi)
		if err != nil || n < 0 || n > 255 || !from.Is4() {
			return addrRange{}, false
		}
		b := from.As4()
		b[3] = byte(n)
		to = netip.AddrFrom4(b)
	}
	to = to.Unmap()
	if to.BitLen() != from.BitLen() || to.Less(from) {
		return addrRange{}, false
	}
	return addrRange{from, to}, true
}
