package version

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// The tests in this file compare this package with the tools whose order
// it copies, when they are installed: dpkg and rpm, run as local
// subprocesses on generated versions. They are skipped otherwise.

// genDpkg returns a random valid Debian version built from pieces that
// exercise every rule: epochs, ~, +, letters, leading zeros, hyphens inside
// the upstream version and colons after an epoch.
func genDpkg(r *rand.Rand) string {
	var b strings.Builder
	epoch := r.IntN(4) == 0
	if epoch {
		b.WriteString([]string{"0", "1", "2", "10", "01"}[r.IntN(5)])
		b.WriteByte(':')
	}
	hasRev := r.IntN(3) != 0
	b.WriteString(strconv.Itoa(r.IntN(11)))
	up := []string{".", ".", "0", "1", "2", "9", "10", "00", "a", "b", "Z", "rc", "p", "dfsg", "+", "~", "~~", "+b", "~rc"}
	if epoch {
		up = append(up, ":")
	}
	if hasRev {
		up = append(up, "-")
	}
	for n := r.IntN(6); n > 0; n-- {
		b.WriteString(up[r.IntN(len(up))])
	}
	if hasRev {
		b.WriteByte('-')
		rev := []string{"0", "1", "2", "10", ".", "+", "~", "deb12u", "ubuntu", "a", "bpo", "+b"}
		for n := 1 + r.IntN(4); n > 0; n-- {
			b.WriteString(rev[r.IntN(len(rev))])
		}
	}
	return b.String()
}

// dpkgRelation runs `dpkg --compare-versions a rel b`: true or false, and
// what dpkg wrote on standard error. An exit status other than 0 or 1 (a
// version dpkg refuses) is an error.
func dpkgRelation(t *testing.T, a, rel, b string) (bool, string, error) {
	t.Helper()
	cmd := exec.Command("dpkg", "--compare-versions", a, rel, b)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return true, stderr.String(), nil
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		return false, stderr.String(), nil
	}
	return false, stderr.String(), err
}

// dpkgCompare returns dpkg's -1, 0 or +1 for a and b.
func dpkgCompare(t *testing.T, a, b string) (int, string, error) {
	t.Helper()
	lt, warn, err := dpkgRelation(t, a, "lt", b)
	if err != nil || lt {
		return -1, warn, err
	}
	eq, warn, err := dpkgRelation(t, a, "eq", b)
	if eq {
		return 0, warn, err
	}
	return 1, warn, err
}

func TestDpkgAgreesWithDpkg(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("dpkg is not installed")
	}
	r := rand.New(rand.NewPCG(2026, 7))
	pool := make([]string, 40)
	for i := range pool {
		pool[i] = genDpkg(r)
	}
	var pairs []pair
	for range 400 {
		a := genDpkg(r)
		var b string
		switch r.IntN(4) {
		case 0:
			b = genDpkg(r)
		case 1:
			a, b = pool[r.IntN(len(pool))], pool[r.IntN(len(pool))]
		case 2: // a close neighbour
			b = a + []string{"~", "+", ".0", "0", "a", "~rc1", ".1", "+b1"}[r.IntN(8)]
			if !ValidDpkg(b) {
				b = a
			}
		default:
			b = a
		}
		pairs = append(pairs, pair{a: a, b: b})
	}
	var count [3]int
	for _, p := range pairs {
		if !ValidDpkg(p.a) || !ValidDpkg(p.b) {
			t.Fatalf("generated an invalid version: %q or %q", p.a, p.b)
		}
		want, warn, err := dpkgCompare(t, p.a, p.b)
		if err != nil || warn != "" {
			t.Fatalf("dpkg --compare-versions %q %q: %v %s", p.a, p.b, err, warn)
		}
		if got := CompareDpkg(p.a, p.b); got != want {
			t.Errorf("CompareDpkg(%q, %q) = %d, dpkg says %d", p.a, p.b, got, want)
		}
		count[want+1]++
	}
	t.Logf("%d generated pairs agree with dpkg: %d before, %d equal, %d after", len(pairs), count[0], count[1], count[2])
	// Versions dpkg accepts with a warning: bytes it does not expect.
	bad := []string{"_", "!", "%", "^", "=", "a", "\xc3\xa9", "\x7f"}
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "386" {
		bad = bad[:6] // dpkg weighs bytes above 0x7f differently there
	}
	warned := 0
	for range 150 {
		a, b := genDpkg(r), genDpkg(r)
		if r.IntN(2) == 0 {
			b = a
		}
		i, j := 1+r.IntN(len(a)), 1+r.IntN(len(b))
		a = a[:i] + bad[r.IntN(len(bad))] + a[i:]
		b = b[:j] + bad[r.IntN(len(bad))] + b[j:]
		want, warn, err := dpkgCompare(t, a, b)
		if err != nil {
			continue // refused
		}
		if warn != "" {
			warned++
		}
		if got := CompareDpkg(a, b); got != want {
			t.Errorf("CompareDpkg(%q, %q) = %d, dpkg says %d", a, b, got, want)
		}
	}
	t.Logf("%d pairs that dpkg warns about agree with dpkg", warned)
	// The table too, wherever dpkg accepts both versions, even with a
	// warning.
	checked := 0
	for _, p := range dpkgPairs {
		if signedChar := runtime.GOARCH == "amd64" || runtime.GOARCH == "386"; !signedChar && !isASCII(p.a+p.b) {
			continue // dpkg weighs bytes above 0x7f differently there
		}
		want, _, err := dpkgCompare(t, p.a, p.b)
		if err != nil {
			continue
		}
		checked++
		if got := CompareDpkg(p.a, p.b); got != want {
			t.Errorf("CompareDpkg(%q, %q) = %d, dpkg says %d", p.a, p.b, got, want)
		}
	}
	t.Logf("%d of %d table pairs agree with dpkg; dpkg refuses the others", checked, len(dpkgPairs))
	if checked < len(dpkgPairs)*3/4 {
		t.Errorf("dpkg refused %d of the %d table pairs", len(dpkgPairs)-checked, len(dpkgPairs))
	}
}

// TestValidDpkgAgreesWithDpkg: a version is valid when dpkg reads it
// without an error or a warning. The strings avoid the two places where
// ValidDpkg is deliberately stricter than dpkg (blanks around the version,
// a sign before the epoch).
func TestValidDpkgAgreesWithDpkg(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("dpkg is not installed")
	}
	r := rand.New(rand.NewPCG(2026, 8))
	bad := []string{"_", "!", ":", "-", "a", "~", "", "\xc3\xa9", "%", "^", "99999999999:"}
	valid := 0
	for range 150 {
		v := genDpkg(r)
		if r.IntN(3) != 0 { // break it somewhere after the first byte
			i := 1 + r.IntN(len(v))
			v = v[:i] + bad[r.IntN(len(bad))] + v[i:]
		}
		_, warn, err := dpkgRelation(t, v, "eq", v)
		if dpkgOK := err == nil && warn == ""; ValidDpkg(v) != dpkgOK {
			t.Errorf("ValidDpkg(%q) = %t, but dpkg says %v %q", v, ValidDpkg(v), err, warn)
		}
		if ValidDpkg(v) {
			valid++
		}
	}
	t.Logf("%d valid and %d invalid versions agree with dpkg", valid, 150-valid)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// genRPM returns a random EVR string, valid or not, made of the marks and
// segments rpmvercmp distinguishes.
func genRPM(r *rand.Rand) string {
	pieces := []string{
		"0", "1", "2", "10", "00", "01", "20160101", ".", ".", "_", "+", "-", "~", "^", "a", "b",
		"Z", "rc", "git", "el9", "el9_4", "fc40", "p", "!", "\xc3\xa9",
	}
	var b strings.Builder
	if r.IntN(4) == 0 {
		b.WriteString([]string{"", "0", "1", "2", "10", "01"}[r.IntN(6)])
		b.WriteByte(':')
	}
	for n := 1 + r.IntN(7); n > 0; n-- {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

func TestRPMAgreesWithRPM(t *testing.T) {
	if _, err := exec.LookPath("rpm"); err != nil {
		t.Skip("rpm is not installed")
	}
	r := rand.New(rand.NewPCG(2026, 9))
	pairs := append([]pair(nil), rpmPairs...)
	for range 3000 {
		a := genRPM(r)
		b := genRPM(r)
		switch r.IntN(3) {
		case 0: // a close neighbour
			b = a + b[:1+r.IntN(len(b))]
		case 1:
			b = a[:r.IntN(len(a)+1)] + b
		}
		if b == "" {
			b = "0"
		}
		pairs = append(pairs, pair{a: a, b: b})
	}
	// One rpm process compares every pair: a Lua script reads them from
	// a file, a line each, and prints rpm.vercmp of each.
	var in strings.Builder
	for _, p := range pairs {
		in.WriteString(p.a + "\n" + p.b + "\n")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "pairs")
	if err := os.WriteFile(file, []byte(in.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	script := `%{lua: local t = {} for l in io.lines("` + file + `") do t[#t+1] = l end ` +
		`for i = 1, #t, 2 do print(rpm.vercmp(t[i], t[i+1]) .. " ") end}`
	out, err := exec.Command("rpm", "--eval", script).Output()
	if err != nil {
		t.Fatalf("rpm --eval: %v", err)
	}
	got := strings.Fields(string(out))
	if len(got) != len(pairs) {
		t.Fatalf("rpm printed %d results for %d pairs", len(got), len(pairs))
	}
	var count [3]int
	for i, p := range pairs {
		want, err := strconv.Atoi(got[i])
		if err != nil {
			t.Fatalf("rpm printed %q", got[i])
		}
		if c := CompareRPM(p.a, p.b); c != want {
			t.Errorf("CompareRPM(%q, %q) = %d, rpm.vercmp says %d", p.a, p.b, c, want)
		}
		count[want+1]++
	}
	t.Logf("%d pairs agree with rpm.vercmp: %d before, %d equal, %d after", len(pairs), count[0], count[1], count[2])
}
