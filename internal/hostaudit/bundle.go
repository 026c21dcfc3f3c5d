package hostaudit

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Opening an SSH session costs a round trip and, on Debian, a PAM session
// (pam_motd, pam_env…): up to a second on a busy server. So on a remote
// target, the commands and files the collectors will need are fetched in
// one session, a bundle, and served from there.

// bundleMarker ends each command's output in a bundle, followed by its
// exit status.
const bundleMarker = "\n\x01vigil-rc="

// bundleCommandTimeout bounds each command of a bundle, in seconds.
const bundleCommandTimeout = 15

// bundleScript is the shell script that runs the commands of a bundle.
// Each command prints one line: its index, the base64 of its standard
// output followed by bundleMarker and the exit status, and the base64 of
// its standard error.
func bundleScript(cmds [][]string) string {
	var b strings.Builder
	b.WriteString("export LC_ALL=C PATH=" + sshPath + "\n")
	b.WriteString(`e=$(mktemp 2>/dev/null) || e=/tmp/vigil-bundle.$$` + "\n")
	// Each command gets at most bundleCommandTimeout seconds, where
	// coreutils' timeout exists.
	b.WriteString(`T=; command -v timeout >/dev/null 2>&1 && T="timeout ` + strconv.Itoa(bundleCommandTimeout) + `"` + "\n")
	b.WriteString(`run() { n=$1; shift; printf '%s ' "$n"; { $T "$@" 2>"$e" </dev/null; printf '\n\001vigil-rc=%d' "$?"; } | base64 -w0; printf ' '; head -c 65536 "$e" | base64 -w0; echo; }` + "\n")
	for i, c := range cmds {
		b.WriteString("run " + strconv.Itoa(i))
		for _, w := range c {
			b.WriteString(" " + shellQuote(w))
		}
		b.WriteString("\n")
	}
	b.WriteString(`rm -f "$e"` + "\n")
	return b.String()
}

// BundleOutput is one command's result in a bundle.
type BundleOutput struct {
	Stdout, Stderr []byte
	Status         int
}

// ParseBundle reads a bundle's output: for each well-formed line, the
// command's index and what it printed and returned. Lines that do not
// decode are skipped.
func ParseBundle(b []byte) map[int]BundleOutput {
	out := map[int]BundleOutput{}
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Split(strings.TrimRight(line, "\r"), " ")
		if len(f) != 3 {
			continue
		}
		idx, err := strconv.Atoi(f[0])
		if err != nil || idx < 0 {
			continue
		}
		raw, err1 := base64.StdEncoding.DecodeString(f[1])
		errb, err2 := base64.StdEncoding.DecodeString(f[2])
		if err1 != nil || err2 != nil {
			continue
		}
		i := bytes.LastIndex(raw, []byte(bundleMarker))
		if i < 0 {
			continue
		}
		st, err := strconv.Atoi(string(raw[i+len(bundleMarker):]))
		if err != nil {
			continue
		}
		out[idx] = BundleOutput{Stdout: raw[:i], Stderr: errb, Status: st}
	}
	return out
}

// bundled is a remote Target that answers commands and file reads from
// bundles fetched ahead, and passes the rest to the target.
type bundled struct {
	t     Target
	mu    sync.Mutex
	runs  map[string]bundleResult
	files map[string]bundleResult
}

type bundleResult struct {
	out []byte
	err error
}

func newBundled(t Target) *bundled {
	return &bundled{t: t, runs: map[string]bundleResult{}, files: map[string]bundleResult{}}
}

func runKey(name string, args []string) string {
	return name + "\x00" + strings.Join(args, "\x00")
}

// Run implements Target.
func (b *bundled) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	b.mu.Lock()
	r, ok := b.runs[runKey(name, args)]
	b.mu.Unlock()
	if ok {
		return r.out, r.err
	}
	return b.t.Run(ctx, name, args...)
}

// ReadFile implements Target.
func (b *bundled) ReadFile(ctx context.Context, path string) ([]byte, error) {
	b.mu.Lock()
	r, ok := b.files[path]
	b.mu.Unlock()
	if ok {
		return r.out, r.err
	}
	return b.t.ReadFile(ctx, path)
}

// prefetch runs the commands and reads the files in one session. Failures
// of the bundle itself are silent: every command then runs on its own.
func (b *bundled) prefetch(ctx context.Context, cmds [][]string, files []string) {
	all := append([][]string{}, cmds...)
	for _, f := range files {
		all = append(all, []string{"cat", "--", f})
	}
	if len(all) == 0 {
		return
	}
	out, err := b.t.Run(ctx, "sh", "-c", bundleScript(all))
	if err != nil && len(out) == 0 {
		return
	}
	res := ParseBundle(out)
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, c := range all {
		o, ok := res[i]
		if !ok {
			continue
		}
		r := bundleResult{out: o.Stdout}
		switch {
		case o.Status == 127:
			r.err = fmt.Errorf("%s: %w", c[0], ErrNoCommand)
		case o.Status != 0:
			r.err = commandError(c[0], fmt.Errorf("exit status %d", o.Status), o.Stderr)
		}
		if i >= len(cmds) {
			b.files[files[i-len(cmds)]] = r
		} else {
			b.runs[runKey(c[0], c[1:])] = r
		}
	}
}
