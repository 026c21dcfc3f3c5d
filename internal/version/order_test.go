package version

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// schemes lists each scheme with its comparison and the pieces its random
// versions are built from: pieces of its grammar, and bytes that break it.
var schemes = []struct {
	name   string
	cmp    func(a, b string) int
	pieces []string
}{
	{"dpkg", CompareDpkg, []string{
		"0", "1", "2", "10", "00", "01", ".", ":", "-", "+", "~", "~~", "a", "b", "Z", "rc",
		"deb12u", "ubuntu", " ", "\t", "_", "!", "\xff", "\x00",
	}},
	{"rpm", CompareRPM, []string{
		"0", "1", "2", "10", "00", "01", ".", ":", "-", "+", "_", "~", "^", "a", "b", "Z", "rc",
		"git", "el9", "fc40", " ", "!", "\xff", "\x00",
	}},
	{"apk", CompareAPK, []string{
		"0", "1", "2", "10", "00", "01", ".", "_", "-r", "-", "~", "a", "b", "f", "z", "A",
		"alpha", "beta", "pre", "rc", "p", "git", "cvs", "hg", "svn", "foo", "!", "\x00",
	}},
	{"upstream", CompareUpstream, []string{
		"0", "1", "2", "10", "00", "01", ".", "-", "_", "+", " ", "~", "a", "b", "A", "B", "c",
		"p", "P", "v", "V", "rc", "RC", "dev", "alpha", "beta", "pre", "preview", "patch",
		"!", "\xff", "\x00",
	}},
}

// randomVersion joins up to eight random pieces.
func randomVersion(r *rand.Rand, pieces []string) string {
	var b strings.Builder
	for n := r.IntN(9); n > 0; n-- {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

// TestTotalOrder checks on random strings, valid or not, that each
// comparison is a total preorder: values in {-1, 0, 1}, reflexive,
// antisymmetric, and transitive (every triple of a small set, and every
// pair of a larger set after sorting it).
func TestTotalOrder(t *testing.T) {
	for _, s := range schemes {
		t.Run(s.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(len(s.name))))
			vs := make([]string, 600)
			for i := range vs {
				vs[i] = randomVersion(r, s.pieces)
			}
			small := vs[:60]
			for _, a := range small {
				for _, b := range small {
					for _, c := range small {
						checkOrder(t, s.cmp, a, b, c)
						if t.Failed() {
							return
						}
					}
				}
			}
			slices.SortFunc(vs, s.cmp)
			for i := range vs {
				for j := i + 1; j < len(vs); j++ {
					if s.cmp(vs[i], vs[j]) > 0 || s.cmp(vs[j], vs[i]) < 0 {
						t.Fatalf("after sorting, %q is before %q but compares after it", vs[i], vs[j])
					}
				}
			}
		})
	}
}

// checkOrder checks the laws of a total preorder on three strings.
func checkOrder(t *testing.T, cmp func(a, b string) int, a, b, c string) {
	t.Helper()
	vs := [3]string{a, b, c}
	var m [3][3]int
	for i, x := range vs {
		for j, y := range vs {
			m[i][j] = cmp(x, y)
			if m[i][j] < -1 || m[i][j] > 1 {
				t.Fatalf("compare(%q, %q) = %d, not -1, 0 or 1", x, y, m[i][j])
			}
		}
	}
	for i := range vs {
		if m[i][i] != 0 {
			t.Fatalf("compare(%q, itself) = %d", vs[i], m[i][i])
		}
		for j := range vs {
			if m[i][j] != -m[j][i] {
				t.Fatalf("compare(%q, %q) = %d but compare(%q, %q) = %d", vs[i], vs[j], m[i][j], vs[j], vs[i], m[j][i])
			}
		}
	}
	for _, p := range [][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}} {
		x, y, z := p[0], p[1], p[2]
		if m[x][y] <= 0 && m[y][z] <= 0 && m[x][z] > 0 {
			t.Fatalf("not transitive: %q <= %q <= %q but %q > %q", vs[x], vs[y], vs[z], vs[x], vs[z])
		}
		if m[x][y] < 0 && m[y][z] <= 0 && m[x][z] >= 0 {
			t.Fatalf("not transitive: %q < %q <= %q but %q >= %q", vs[x], vs[y], vs[z], vs[x], vs[z])
		}
	}
}
