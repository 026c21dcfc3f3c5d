package version

import "testing"

// benchPairs are typical comparisons of an installed version with a fixed
// one.
var benchPairs = map[Scheme][][2]string{
	Dpkg: {
		{"1:9.2p1-2+deb12u3", "1:9.2p1-2+deb12u4"},
		{"2.4.59-1~deb12u1", "2.4.62-1~deb12u2"},
		{"3.0.15-1~deb12u1", "3.0.11-1~deb12u2"},
		{"1.22.1-9", "1.22.1-9+deb12u1"},
	},
	RPM: {
		{"1:3.0.7-27.el9", "1:3.0.7-28.el9_4"},
		{"8.7p1-34.el9", "8.7p1-38.el9_4.1"},
		{"2.4.57-11.el9_4", "2.4.57-11.el9_4.1"},
		{"1.0~rc1^git1", "1.0"},
	},
	APK: {
		{"3.1.4-r5", "3.1.4-r6"},
		{"9.7_p1-r4", "9.7_p1-r5"},
		{"1.0.0_pre20191002222144-r0", "1.0.0_pre20210530193627-r0"},
		{"2.4.59-r0", "2.4.62-r0"},
	},
	Upstream: {
		{"9.2p1", "9.3p2"},
		{"1.3.5rc4", "1.3.5a"},
		{"2.4.49", "2.4.50"},
		{"10.11.6", "10.11.10"},
	},
}

func benchmarkCompare(b *testing.B, s Scheme) {
	pairs := benchPairs[s]
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := pairs[i%len(pairs)]
		Compare(s, p[0], p[1])
		i++
	}
}

func BenchmarkCompareDpkg(b *testing.B)     { benchmarkCompare(b, Dpkg) }
func BenchmarkCompareRPM(b *testing.B)      { benchmarkCompare(b, RPM) }
func BenchmarkCompareAPK(b *testing.B)      { benchmarkCompare(b, APK) }
func BenchmarkCompareUpstream(b *testing.B) { benchmarkCompare(b, Upstream) }
