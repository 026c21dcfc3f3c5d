package portscan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// AllPorts is the default selection: every TCP port.
const AllPorts = "1-65535"

// ParsePorts reads a port selection: "1-65535", "22,80,443", "8000-8100",
// "top:N" (vigil's ranked list of common server ports, then the rest in
// ascending order) or a comma-separated mix. The result is de-duplicated and
// sorted.
func ParsePorts(spec string) ([]uint16, error) {
	seen := new([65536]bool)
	var out []uint16
	add := func(p int) {
		if !seen[uint16(p)] {
			seen[uint16(p)] = true
			out = append(out, uint16(p))
		}
	}
	if strings.TrimSpace(spec) == "" {
		return nil, fmt.Errorf("empty port selection: use e.g. 1-65535, 22,80,443 or top:1000")
	}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if n, ok := strings.CutPrefix(part, "top:"); ok {
			k, err := strconv.Atoi(n)
			if err != nil || k < 1 || k > 65535 {
				return nil, fmt.Errorf("port selection %q: top:N needs N from 1 to 65535", part)
			}
			for _, p := range Top(k) {
				add(int(p))
			}
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := parsePort(lo)
		if err != nil {
			return nil, fmt.Errorf("port selection %q: %w", part, err)
		}
		b := a
		if isRange {
			if b, err = parsePort(hi); err != nil {
				return nil, fmt.Errorf("port selection %q: %w", part, err)
			}
			if b < a {
				return nil, fmt.Errorf("port selection %q: the range ends before it starts", part)
			}
		}
		for p := a; p <= b; p++ {
			add(p)
		}
	}
	slices.Sort(out)
	return out, nil
}

// FormatPorts writes a port list as a selection ParsePorts reads back:
// sorted, without duplicates, runs of consecutive ports as ranges
// ("22,80,8000-8100"); "" for no port.
func FormatPorts(ports []uint16) string {
	sorted := slices.Clone(ports)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	var b strings.Builder
	for i := 0; i < len(sorted); {
		j := i
		for j+1 < len(sorted) && sorted[j+1] == sorted[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(sorted[i])))
		if j > i {
			b.WriteString("-" + strconv.Itoa(int(sorted[j])))
		}
		i = j + 1
	}
	return b.String()
}

func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("%q is not a port number from 1 to 65535", s)
	}
	return p, nil
}

// Top returns the first n ports of vigil's ranking: the common server ports
// below (vigil's own list, ordered by how often each service is found on
// servers in practice), then every other port in ascending order.
func Top(n int) []uint16 {
	out := make([]uint16, 0, n)
	seen := make(map[uint16]bool, n)
	for _, p := range common {
		if len(out) == n {
			return out
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for p := 1; p <= 65535 && len(out) < n; p++ {
		if !seen[uint16(p)] {
			out = append(out, uint16(p))
		}
	}
	return out
}

// common lists the default ports of server software, grouped by kind and
// ordered by how likely each kind is on a small organisation's servers:
// web, remote administration, mail, file sharing, databases and caches,
// queues, directory, containers and orchestration, monitoring, VPN and VoIP,
// printing. Each is the port the product's own documentation or IANA
// assigns; the list is vigil's, not derived from any scanner's data.
var common = []uint16{
	80, 443, 8080, 8443, 8000, 8008, 8081, 8888, 3000, 5000, 9000, 9443, 10000, // web and admin UIs
	22, 2222, 3389, 5900, 5901, 5985, 5986, 23, 623, // remote administration
	25, 465, 587, 110, 995, 143, 993, 2525, 4190, // mail
	21, 990, 445, 139, 2049, 111, 873, 548, 3260, // file sharing
	3306, 5432, 1433, 1521, 27017, 6379, 11211, 9200, 9300, 5984, 7474, 7687, 8086, 9042, 26257, 8529, // databases and caches
	5672, 5671, 15672, 1883, 8883, 9092, 2181, 4369, 61616, 8161, // queues and brokers
	389, 636, 3268, 3269, 88, 464, 53, // directory, Kerberos, DNS
	2375, 2376, 6443, 10250, 2379, 2380, 8500, 8200, 4646, 9090, 9100, 9093, 3100, // containers, orchestration, monitoring
	1194, 1723, 5060, 5061, 8006, 902, 631, 9100, 515, 3128, 1080, 8118, // VPN, VoIP, virtualisation, printing, proxies
}
