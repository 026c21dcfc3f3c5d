package cli

import (
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/lab"
)

// TestLabFilesScan scans the hosts of lab part files (lab/parts/files.sh)
// end to end: rsync, NFS through rpcbind, iSCSI, X11, SQL Server's
// PRELOGIN, WinRM and Kerberos are identified on every host, the weak
// twins' planted findings come out with the levels they cap, and the
// hardened twins rate 4. (Exposure checks need --untrusted and are judged
// in the fileshare lab test.)
func TestLabFilesScan(t *testing.T) {
	m := lab.Require(t)
	if m.Find("files-rsync-weak").ID == "" {
		t.Skip("the lab runs without part files (VIGIL_LAB_ONLY names other parts)")
	}
	tcp, udp := map[int]bool{}, map[int]bool{}
	var hosts []string
	names := map[string]string{} // host:port/transport → name
	for _, s := range m.Services {
		if !strings.HasPrefix(s.ID, "files-") {
			continue
		}
		if s.Transport == "udp" {
			udp[s.Port] = true
		} else {
			tcp[s.Port] = true
		}
		if !slices.Contains(hosts, s.Host) {
			hosts = append(hosts, s.Host)
		}
		names[s.Host+":"+strconv.Itoa(s.Port)+"/"+s.Transport] = s.Name
	}
	sort.Strings(hosts)
	db := filepath.Join(t.TempDir(), "vigil.db")
	doc := labScan(t, append(hosts, "-p", joinPorts(tcp), "--udp-ports", joinPorts(udp), "--db", db)...)

	for _, h := range doc.Hosts {
		for _, s := range h.Services {
			key := h.Address + ":" + strconv.Itoa(s.Port) + "/" + s.Transport
			if want, ok := names[key]; ok && s.Name != want {
				t.Errorf("%s: identified as %q, manifest says %q", key, s.Name, want)
			}
			delete(names, key)
		}
	}
	for key := range names {
		t.Errorf("%s: not found", key)
	}

	want := map[string]struct {
		level  int
		checks []string
	}{
		"127.0.2.80": {2, []string{"rsync.module.open", "cleartext.mssql", "iscsi.discovery.open"}},
		"127.0.2.81": {4, nil},
		"127.0.2.82": {1, []string{"x11.open", "nfs.export.world"}},
		"127.0.2.83": {4, nil},
		"127.0.2.84": {4, nil},
	}
	got := map[string][]string{}
	for _, f := range doc.Findings {
		if f.Severity.String() == "low" || f.Severity.String() == "info" {
			continue
		}
		got[f.Host] = append(got[f.Host], f.Check)
	}
	for _, h := range doc.Hosts {
		w, ok := want[h.Address]
		if !ok {
			continue
		}
		if h.Level != w.level {
			t.Errorf("%s: level %d, want %d (findings %v)", h.Address, h.Level, w.level, got[h.Address])
		}
		g := slices.Clone(got[h.Address])
		slices.Sort(g)
		wc := slices.Clone(w.checks)
		slices.Sort(wc)
		if !slices.Equal(slices.Compact(g), wc) {
			t.Errorf("%s: findings above low %v, want %v", h.Address, g, wc)
		}
	}
}
