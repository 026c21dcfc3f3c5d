package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The hostile banner as a reader must see it: markup as text, the escape
// sequence as a visible \x1b.
const hostileVisible = `<script>alert("vigil")</script>\x1b[31m`

func TestHTMLIsSelfContainedAndEscaped(t *testing.T) {
	out := string(render(t, HTML{Compliance: fixtureAssessment(t)}, fixture()))
	if n := strings.Count(strings.ToLower(out), "<script"); n != 0 {
		t.Errorf("%d <script tags in the HTML", n)
	}
	if strings.Contains(out, "<img") || strings.Contains(out, "\x1b") {
		t.Error("hostile markup or a raw escape reached the HTML")
	}
	for _, want := range []string{"&lt;script&gt;alert(&#34;vigil&#34;)&lt;/script&gt;\\x1b[31m", "Content-Security-Policy",
		"Level 2 of 5 — weak.", "Fix these 3 findings to reach level 3.", "@media print"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	// Nothing is fetched: every link is an anchor within the page and no
	// element has a source.
	for _, m := range regexp.MustCompile(`(?i)\s(href|src|srcset|action)\s*=\s*"([^"]*)"`).FindAllStringSubmatch(out, -1) {
		if m[1] != "href" || !strings.HasPrefix(m[2], "#") {
			t.Errorf("external reference %s=%q", m[1], m[2])
		}
	}
	if regexp.MustCompile(`(?i)url\(|@import`).MatchString(out) {
		t.Error("the CSS loads something")
	}
}

// chromiumPath finds Debian's Chromium; without it the browser test is
// skipped, except in CI where it must run.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium)")
	return ""
}

// TestHTMLInChromium loads the report from a file in headless Chromium and
// checks what a person would see: the level, a fix, the hostile banner as
// text, that nothing ran or was fetched, and that a 420 px window shows the
// level scale and the vulnerability tables without overflow. It leaves
// report.png, report-print.png, report-420.png, report-vuln.png and
// report-vuln-420.png in the output directory (testdata/out or
// $VIGIL_TEST_OUT).
func TestHTMLInChromium(t *testing.T) {
	exe := chromiumPath(t)
	dir := outDir(t)
	file := filepath.Join(dir, "report.html")
	if err := os.WriteFile(file, render(t, HTML{Compliance: fixtureAssessment(t)}, fixture()), 0o644); err != nil {
		t.Fatal(err)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 900),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	var mu sync.Mutex
	var dialogs, requests []string
	err := chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			dialogs = append(dialogs, e.Message)
			go func() {
				_, _ = chromedp.Call(bctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}()
		case *network.EventRequestWillBeSent:
			if !strings.HasPrefix(e.Request.URL, "file://") {
				requests = append(requests, e.Request.URL)
			}
		}
	})
	if err != nil {
		t.Fatalf("cannot start chromium: %v", err)
	}
	run := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("chromium, %s: %v", what, err)
		}
	}
	_, err = chromedp.Call(bctx, network.Enable, network.EnableParams{})
	run("network.enable", err)
	run("load", chromedp.Do(bctx, chromedp.Navigate("file://"+file), chromedp.WaitVisible(chromedp.ID("level"))))
	title, err := chromedp.Run(bctx, chromedp.Title())
	run("title", err)
	levelText, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID("level")))
	run("level", err)
	text, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.innerText`))
	run("text", err)
	scripts, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("script").length`))
	run("scripts", err)
	images, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("img").length`))
	run("images", err)
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	run("screenshot", err)
	_, err = chromedp.Call(bctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
	run("print media", err)
	printShot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	run("print screenshot", err)
	// On a phone-sized window (420 px) the level scale fits: no box of it
	// reaches past the window's right edge.
	_, err = chromedp.Call(bctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "screen"})
	run("screen media", err)
	_, err = chromedp.Call(bctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 420, Height: 800, DeviceScaleFactor: 1, Mobile: true})
	run("narrow window", err)
	overflow, err := chromedp.Run(bctx, chromedp.Evaluate[float64](`Math.max(...[...document.querySelectorAll(".scale div")].map(d => d.getBoundingClientRect().right)) - window.innerWidth`))
	run("scale width", err)
	if overflow > 0 {
		t.Errorf("in a 420 px window the level scale reaches %.0f px past the right edge", overflow)
	}
	narrowShot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	run("narrow screenshot", err)

	// The scan with known-vulnerable software, still 420 px wide: each
	// vulnerability table fits the window, KEV rows are marked, and the
	// vulnerabilities' pages are links; then at full width.
	vulnFile := filepath.Join(dir, "report-vuln.html")
	if err := os.WriteFile(vulnFile, render(t, HTML{}, vulnFixture()), 0o644); err != nil {
		t.Fatal(err)
	}
	run("load the vulnerabilities", chromedp.Do(bctx, chromedp.Navigate("file://"+vulnFile), chromedp.WaitVisible(chromedp.ID("level"))))
	vulnOverflow, err := chromedp.Run(bctx, chromedp.Evaluate[float64](
		`Math.max(document.documentElement.scrollWidth, ...[...document.querySelectorAll("table.vulns, table.vulns td")].map(e => e.getBoundingClientRect().right)) - window.innerWidth`))
	run("vulnerability table width", err)
	if vulnOverflow > 0 {
		t.Errorf("in a 420 px window the vulnerability tables reach %.0f px past the right edge", vulnOverflow)
	}
	kevRows, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("table.vulns tr.kev").length`))
	run("KEV rows", err)
	links, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("table.vulns a")].map(a => a.href)`))
	run("vulnerability links", err)
	if kevRows != 3 || len(links) != 7 {
		t.Errorf("the vulnerability tables have %d KEV rows and %d links (%q), want 3 and 7", kevRows, len(links), links)
	}
	vulnNarrow, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	run("vulnerabilities, narrow screenshot", err)
	_, err = chromedp.Call(bctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 1100, Height: 900, DeviceScaleFactor: 1})
	run("wide window", err)
	vulnShot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	run("vulnerabilities screenshot", err)

	for name, b := range map[string][]byte{"report.png": shot, "report-print.png": printShot, "report-420.png": narrowShot,
		"report-vuln.png": vulnShot, "report-vuln-420.png": vulnNarrow} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots in %s", dir)

	if want := "vigil security report — clinic — 20261123T190333Z-1a2b3c4d"; title != want {
		t.Errorf("document.title = %q, want %q (a script changed it?)", title, want)
	}
	if levelText != "Level 2 of 5 — weak." {
		t.Errorf("level heading %q", levelText)
	}
	for _, want := range []string{
		"Fix these 3 findings to reach level 3.",
		"Offer only chacha20-poly1305@openssh.com, aes256-gcm@openssh.com",
		hostileVisible,
		`<img src=x onerror="document.title='pwned'"><b>bold</b>`,
		"NOT MET", "HIPAA 164.312(e)(1)", "What this scan cannot prove",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	if scripts != 0 || images != 0 {
		t.Errorf("the page has %d script and %d img elements; the data's markup must stay text", scripts, images)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dialogs) > 0 {
		t.Errorf("a script ran and opened dialogs: %q", dialogs)
	}
	if len(requests) > 0 {
		t.Errorf("the page fetched %q; it must be self-contained", requests)
	}
}
