package hostaudit

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/trust"
)

// asSelf returns p examined as a daemon of kind that runs as this test
// process, reading its files on t; exe is the binary vigil may run, ""
// for none.
func asSelf(t Target, p *process, kind, exe string) *asDaemon {
	d, ok := trust.ByKind(kind)
	if !ok {
		panic("no daemon " + kind)
	}
	uid, gid := os.Geteuid(), os.Getegid()
	p.Cred = trust.Cred{UIDs: [4]int{uid, uid, uid, uid}, GIDs: [4]int{gid, gid, gid, gid}}
	p.Comm = d.Comms[0]
	owners := trust.Root
	if uid != 0 {
		owners = trust.Owners{UID: uid, GID: gid}
	}
	dp := &daemonProc{process: p, kind: d, owners: owners, exe: exe}
	if exe == "" {
		dp.exeErr = errors.New("the test gives no binary")
	}
	return newAsDaemon(t, newStatCache(t), dp, false)
}

// fakeFiles is a machine made of configuration files (path -> content),
// every one of them and every directory above them root's.
type fakeFiles map[string]string

func (f fakeFiles) Run(_ context.Context, name string, args ...string) ([]byte, error) {
	if name == "find" && len(args) >= 7 { // glob: find DIR -mindepth 1 -maxdepth 1 -name PATTERN -print
		var out []string
		for p := range f {
			if ok, _ := path.Match(args[6], path.Base(p)); ok && path.Dir(p) == path.Clean(args[0]) {
				out = append(out, p)
			}
		}
		slices.Sort(out)
		return []byte(strings.Join(out, "\n")), nil
	}
	return nil, ErrNoCommand
}

func (f fakeFiles) ReadFile(_ context.Context, p string) ([]byte, error) {
	if b, ok := f[p]; ok {
		return []byte(b), nil
	}
	return nil, fs.ErrNotExist
}

// Stat implements statter: files are root's 0644, their directories 0755.
func (f fakeFiles) Stat(_ context.Context, paths []string) (map[string]trust.Info, error) {
	out := map[string]trust.Info{}
	for _, p := range paths {
		if _, ok := f[p]; ok {
			out[p] = trust.Info{Mode: 0o644}
			continue
		}
		for q := range f {
			if strings.HasPrefix(q, strings.TrimSuffix(p, "/")+"/") {
				out[p] = trust.Info{Mode: fs.ModeDir | 0o755}
				break
			}
		}
	}
	return out, nil
}
