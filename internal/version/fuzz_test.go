package version

import "testing"

// fuzzOrder seeds a fuzz target with the table versions and checks, on
// every input, that cmp neither panics nor breaks the laws of a total
// preorder: on the three inputs, and on three strings sharing a prefix,
// which random inputs rarely do.
// extra, when not nil, checks more of each input.
func fuzzOrder(f *testing.F, cmp func(a, b string) int, pairs []pair, extra func(t *testing.T, a string)) {
	for i, p := range pairs {
		f.Add(p.a, p.b, pairs[(i+1)%len(pairs)].a)
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		checkOrder(t, cmp, a, b, c)
		checkOrder(t, cmp, a, a+b, a+c)
		checkOrder(t, cmp, a+b, a+c, a+b+c)
		if extra != nil {
			extra(t, a)
		}
	})
}

func FuzzCompareDpkg(f *testing.F) {
	fuzzOrder(f, CompareDpkg, dpkgPairs, func(t *testing.T, a string) {
		// A valid version is what dpkg reads once blanks are trimmed.
		if ValidDpkg(a) && CompareDpkg(a, " "+a+"\t") != 0 {
			t.Fatalf("valid %q differs from itself between blanks", a)
		}
	})
}

func FuzzCompareRPM(f *testing.F) {
	fuzzOrder(f, CompareRPM, rpmPairs, nil)
}

func FuzzCompareAPK(f *testing.F) {
	fuzzOrder(f, CompareAPK, apkPairs, nil)
}

func FuzzCompareUpstream(f *testing.F) {
	fuzzOrder(f, CompareUpstream, upstreamPairs, nil)
}
