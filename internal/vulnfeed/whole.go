package vulnfeed

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/vigilsec/vigil/internal/vulndb"
)

// maxScores caps the EPSS CSV once decompressed (it is some tens of MiB).
const maxScores = 1 << 30

// kev replaces the KEV catalogue with CISA's current one, downloaded
// whole: CISA publishes no delta of it.
func (u *updater) kev(ctx context.Context, r *Result) error {
	r.Mode = "full"
	name, _, err := u.download(ctx, request{what: "the KEV catalogue", url: u.cfg.Sources.KEV, limit: maxDocument,
		timeout: documentTimeout, phase: "downloading CISA KEV"}, ".json")
	if err != nil {
		return err
	}
	defer os.Remove(name)
	b, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("cannot read back the KEV catalogue: %w", err)
	}
	entries, released, err := vulndb.ParseKEV(b)
	if err != nil {
		return fmt.Errorf("%s: %w", u.cfg.Sources.KEV, err)
	}
	if len(entries) == 0 {
		return fmt.Errorf("%s is a KEV catalogue without a single entry: refusing it in place of the one the database holds", u.cfg.Sources.KEV)
	}
	return u.w.ReplaceKEV(entries, released)
}

// epss replaces the EPSS scores with FIRST's current ones, downloaded
// whole: a new score for every CVE is published each day.
func (u *updater) epss(ctx context.Context, r *Result) error {
	r.Mode = "full"
	name, _, err := u.download(ctx, request{what: "the EPSS scores", url: u.cfg.Sources.EPSS, limit: maxDocument,
		timeout: documentTimeout, phase: "downloading FIRST EPSS"}, ".csv.gz")
	if err != nil {
		return err
	}
	defer os.Remove(name)
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("cannot read back the EPSS scores: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var in io.Reader = br
	// The file is gzip-compressed, unless a server already decompressed
	// it on the way (Content-Encoding).
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s is not a readable gzip file: %w", u.cfg.Sources.EPSS, err)
		}
		defer gz.Close()
		in = gz
	}
	before := u.w.Count
	if err := u.w.ReplaceEPSS(&capReader{r: in, left: maxScores}); err != nil {
		return fmt.Errorf("%s: %w", u.cfg.Sources.EPSS, err)
	}
	if u.w.Count == before {
		return fmt.Errorf("%s holds no EPSS score: refusing it in place of the scores the database holds", u.cfg.Sources.EPSS)
	}
	return nil
}

// errTooLarge means a decompressed file passed its cap.
var errTooLarge = errors.New("larger than vigil accepts once decompressed")

// capReader fails, rather than stop quietly, past left bytes.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		if n, err := c.r.Read(one[:]); n == 0 && errors.Is(err, io.EOF) {
			return 0, io.EOF
		}
		return 0, errTooLarge
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}
