package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
)

// The test binary doubles as vigil and as a plain TCP listener, so that lab
// tests can run them inside network namespaces (ip netns exec): see
// TestHelperProcess.
const (
	helperEnv     = "VIGIL_TEST_HELPER"      // "vigil" or "listen"
	helperArgsEnv = "VIGIL_TEST_ARGS"        // vigil's arguments, JSON
	helperDataEnv = "VIGIL_TEST_DATA"        // XDG_DATA_HOME for vigil (fix records)
	helperListen  = "VIGIL_TEST_LISTEN_ADDR" // address:port to listen on
)

// TestHelperProcess is not a test: run with VIGIL_TEST_HELPER=vigil, it
// is vigil (VIGIL_TEST_HELPER=listen is handled by TestMain).
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "vigil" {
		return
	}
	// TestMain made a data directory for this process; the helper exits
	// without returning to it, so it removes it.
	{
		made := os.Getenv("XDG_DATA_HOME")
		if d := os.Getenv(helperDataEnv); d != "" {
			os.Setenv("XDG_DATA_HOME", d)
		}
		var args []string
		if err := json.Unmarshal([]byte(os.Getenv(helperArgsEnv)), &args); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(2)
		}
		code := Main("test", args)
		if strings.Contains(made, "vigil-cli-test-") {
			os.RemoveAll(made)
		}
		os.Exit(code)
	}
}

// listenHelper listens on $VIGIL_TEST_LISTEN_ADDR, prints "ready", and
// accepts and closes connections until it is killed.
func listenHelper() {
	ln, err := net.Listen("tcp", os.Getenv(helperListen))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	for {
		c, err := ln.Accept()
		if err != nil {
			os.Exit(0)
		}
		c.Close()
	}
}

// executeAll runs vigil as main does, with version "test".
func executeAll(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return Execute(ctx, "test", args, stdin, stdout, stderr)
}

// vigilIn runs vigil in-process with this task's commands.
func vigilIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := executeAll(t.Context(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// helperCmd returns a command that runs this test binary as a helper,
// inside network namespace ns when ns is not "".
func helperCmd(t *testing.T, ns string, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	argv := []string{exe, "-test.run=^TestHelperProcess$"}
	if ns != "" {
		argv = append([]string{"ip", "netns", "exec", ns}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// vigilCmd returns a command running vigil (this binary as a helper) with
// args, in namespace ns ("" for this one), with data for fix records.
func vigilCmd(t *testing.T, ns, data string, args ...string) *exec.Cmd {
	t.Helper()
	a, _ := json.Marshal(args)
	return helperCmd(t, ns, helperEnv+"=vigil", helperArgsEnv+"="+string(a), helperDataEnv+"="+data)
}

// startListener starts a listener process on addr in namespace ns and
// returns its pid once it listens; it is killed when the test ends.
func startListener(t *testing.T, ns, addr string) int {
	t.Helper()
	cmd := helperCmd(t, ns, helperEnv+"=listen", helperListen+"="+addr)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("listener on %s: %q %v", addr, line, err)
	}
	// ip netns exec execs the helper in place, so the pid is the listener's.
	return cmd.Process.Pid
}

// requireRoot skips a lab test when not root, and fails it under CI=true.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("ip"); err == nil {
			return
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("this lab test needs root and the ip command")
	}
	t.Skip("this lab test needs root and the ip command")
}

// sh runs a command and fails the test when it fails.
func sh(t *testing.T, argv ...string) string {
	t.Helper()
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return string(out)
}

// testNetns is a namespace with a veth pair to this one: host side
// hostAddr, namespace side nsAddr (both /24).
type testNetns struct {
	name, hostIf, nsIf string
	hostAddr, nsAddr   string
}

// makeNetns builds the namespace, deleting leftovers of an earlier run
// first, and checks that the route to nsAddr goes through the veth before
// anything is sent. It is deleted when the test ends, failed or not.
func makeNetns(t *testing.T, n testNetns) {
	t.Helper()
	drop := func() {
		_ = exec.Command("ip", "netns", "del", n.name).Run()
		_ = exec.Command("ip", "link", "del", n.hostIf).Run()
	}
	drop()
	prefix := netip.MustParsePrefix(n.nsAddr + "/24").Masked()
	if out, _ := exec.Command("ip", "-o", "addr", "show", "to", prefix.String()).Output(); len(bytes.TrimSpace(out)) > 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is already in use on this machine: %s", prefix, out)
		}
		t.Skipf("%s is already in use on this machine: %s", prefix, out)
	}
	t.Cleanup(drop)
	sh(t, "ip", "netns", "add", n.name)
	sh(t, "ip", "link", "add", n.hostIf, "type", "veth", "peer", "name", n.nsIf, "netns", n.name)
	sh(t, "ip", "addr", "add", n.hostAddr+"/24", "dev", n.hostIf)
	sh(t, "ip", "link", "set", n.hostIf, "up")
	sh(t, "ip", "-n", n.name, "addr", "add", n.nsAddr+"/24", "dev", n.nsIf)
	sh(t, "ip", "-n", n.name, "link", "set", n.nsIf, "up")
	sh(t, "ip", "-n", n.name, "link", "set", "lo", "up")
	route := sh(t, "ip", "route", "get", n.nsAddr)
	if !strings.Contains(route, "dev "+n.hostIf+" ") {
		t.Fatalf("the route to %s does not go through %s: %s", n.nsAddr, n.hostIf, route)
	}
}

// testDialer reaches only the given addresses.
func testDialer(t *testing.T, addrs ...string) *dialer.Dialer {
	t.Helper()
	allowed := map[netip.Addr]bool{}
	for _, a := range addrs {
		allowed[netip.MustParseAddr(a)] = true
	}
	d, err := dialer.New(dialer.Config{Concurrency: 64, Timeout: 2 * time.Second}, func(a netip.Addr) bool { return allowed[a] })
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// connects reports whether a TCP connection to addr succeeds.
func connects(t *testing.T, d *dialer.Dialer, addr string, timeout time.Duration) bool {
	t.Helper()
	c, err := d.Dial(t.Context(), "tcp", netip.MustParseAddrPort(addr), timeout)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
