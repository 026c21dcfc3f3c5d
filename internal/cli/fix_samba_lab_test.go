package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

// sambaFixAddr is the loopback alias the Samba fix test's own smbd uses.
const sambaFixAddr = "127.0.4.52"

// startSmbd starts an smbd of the test's own on sambaFixAddr:port, every
// state directory in a temporary directory, from an smb.conf whose
// [global] section ends with extra (${DIR} stands for the directory); it
// returns the file.
func startSmbd(t *testing.T, port int, extra string) string {
	t.Helper()
	smbd, err := exec.LookPath("smbd")
	if err != nil {
		t.Skip("no smbd")
	}
	// smbd listens only on addresses an interface carries.
	if out, err := exec.Command("ip", "addr", "add", sambaFixAddr+"/32", "dev", "lo").CombinedOutput(); err != nil {
		if !strings.Contains(string(out), "exists") {
			t.Fatalf("ip addr add %s: %v %s", sambaFixAddr, err, out)
		}
	} else {
		t.Cleanup(func() { _ = exec.Command("ip", "addr", "del", sambaFixAddr+"/32", "dev", "lo").Run() })
	}
	dir := t.TempDir()
	for _, d := range []string{"private", "lock", "state", "cache", "run", "ncalrpc", "share"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "smb.conf")
	body := fmt.Sprintf(`[global]
  server role = standalone server
  workgroup = VIGILFIX
  netbios name = SMBFIX
  interfaces = %[2]s/32
  bind interfaces only = yes
  smb ports = %[3]d
  disable netbios = yes
  private dir = %[1]s/private
  lock directory = %[1]s/lock
  state directory = %[1]s/state
  cache directory = %[1]s/cache
  pid directory = %[1]s/run
  ncalrpc dir = %[1]s/ncalrpc
  passdb backend = tdbsam:%[1]s/private/passdb.tdb
  log file = %[1]s/smbd.log
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  usershare path =
%[4]s
[data]
  path = %[1]s/share
  read only = yes
`, dir, sambaFixAddr, port, strings.ReplaceAll(extra, "${DIR}", dir))
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	startDaemon(t, fmt.Sprintf("%s:%d", sambaFixAddr, port), smbd, "--foreground", "--no-process-group", "--debug-stdout", "-s", conf)
	// smbd starts samba-dcerpcd when a client asks for an RPC service
	// (the scan lists shares): it leaves smbd's session, so it is stopped
	// by its own command line, which names this test's file.
	t.Cleanup(func() { stopByConfig(t, conf) })
	return conf
}

// stopByConfig kills the processes whose command line names
// --configfile=conf: the samba-dcerpcd (and its rpcd_* workers) an smbd of
// this test started.
func stopByConfig(t *testing.T, conf string) {
	t.Helper()
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if err != nil || !slices.Contains(strings.Split(string(b), "\x00"), "--configfile="+conf) {
			continue
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// TestFixSambaOnRealDaemon fixes an smbd the test starts that accepts
// SMBv1: the scan finds smb.v1, vigil fix sets server min protocol =
// SMB2_02 and reloads smbd, the rescan no longer finds it, and the
// rollback restores the file byte for byte and brings the finding back.
func TestFixSambaOnRealDaemon(t *testing.T) {
	requireRoot(t)
	t.Run("smb.v1", func(t *testing.T) {
		port := freePort(t)
		conf := startSmbd(t, port, "  server min protocol = NT1\n  server signing = disabled")
		fixRoundTrip(t, sambaFixAddr, port, "smb.v1", []string{conf}, "")
	})
	// The scan lists the shares with a null session; the fix sets
	// map to guest = never and restrict anonymous = 2.
	t.Run("smb.guest.shares", func(t *testing.T) {
		port := freePort(t)
		conf := startSmbd(t, port, "  map to guest = bad user\n  restrict anonymous = 0\n  guest account = nobody\n[public]\n  path = ${DIR}/share\n  guest ok = yes\n  read only = yes")
		fixRoundTrip(t, sambaFixAddr, port, "smb.guest.shares", []string{conf}, "")
	})
	// The host audit's finding: server signing is not set at all, and
	// the fix adds it after the [global] header.
	t.Run("smb.config.signing", func(t *testing.T) {
		port := freePort(t)
		conf := startSmbd(t, port, "")
		orig, err := os.ReadFile(conf)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		db := filepath.Join(dir, "vigil.db")
		audit := func() *result.Document {
			t.Helper()
			file := filepath.Join(dir, "host.json")
			if code, _, stderr := vigilIn(t, "", "host", "--db", db, "--format", "json", "-o", file); code != ExitOK {
				t.Fatalf("host: %d %s", code, stderr)
			}
			return readDoc(t, file)
		}
		at := func(d *result.Document) (finding.Finding, bool) {
			for _, f := range d.Findings {
				if f.Check == "smb.config.signing" && f.Host == sambaFixAddr && f.Port == port {
					return f, true
				}
			}
			return finding.Finding{}, false
		}
		f, ok := at(audit())
		if !ok {
			t.Fatalf("the host audit has no smb.config.signing finding on %s:%d", sambaFixAddr, port)
		}
		code, out, stderr := vigilIn(t, "", "fix", f.ID, "--yes", "--db", db)
		if code != ExitOK {
			t.Fatalf("fix: %d\n%s\n%s", code, out, stderr)
		}
		id := appliedID(t, out)
		if b, _ := os.ReadFile(conf); !strings.Contains(string(b), "[global]\n  # Set by vigil fix ") || !strings.Contains(string(b), "\n  server signing = mandatory\n") {
			t.Errorf("%s after the fix:\n%s", conf, b)
		}
		if _, ok := at(audit()); ok {
			t.Error("after the fix the host audit still finds smb.config.signing")
		}
		if code, out, stderr := vigilIn(t, "", "fix", "--rollback", id, "--yes"); code != ExitOK {
			t.Fatalf("rollback: %d\n%s\n%s", code, out, stderr)
		}
		if b, _ := os.ReadFile(conf); string(b) != string(orig) {
			t.Errorf("%s was not restored:\n%s", conf, b)
		}
		if _, ok := at(audit()); !ok {
			t.Error("after the rollback smb.config.signing is gone")
		}
	})
}
