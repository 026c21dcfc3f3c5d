// Package progress draws a one-line progress bar on a terminal while long
// work runs, and stays silent when the output is not a terminal.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Bar redraws one status line at most ten times a second.
type Bar struct {
	mu      sync.Mutex
	w       io.Writer
	enabled bool
	start   time.Time
	last    time.Time
	phase   string
	drawn   bool
}

// New returns a bar writing to w; when enabled is false it draws nothing.
func New(w io.Writer, enabled bool) *Bar {
	return &Bar{w: w, enabled: enabled, start: time.Now()}
}

// labels names each phase in the words the user reads.
var labels = map[string]string{
	"ports":    "scanning ports",
	"services": "identifying, auditing",
}

// Update records that done of total units of phase are finished.
func (b *Bar) Update(phase string, done, total int64) {
	if b == nil || !b.enabled {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if phase == b.phase && now.Sub(b.last) < 100*time.Millisecond && done < total {
		return
	}
	b.phase, b.last = phase, now
	label := labels[phase]
	if label == "" {
		label = phase
	}
	const width = 30
	frac := 0.0
	if total > 0 {
		frac = float64(done) / float64(total)
	}
	filled := int(frac * width)
	bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
	fmt.Fprintf(b.w, "\r\x1b[K%-21s %s %3.0f%%  %d/%d  %s", label, bar, frac*100, done, total, now.Sub(b.start).Round(time.Second))
	b.drawn = true
}

// Clear removes the status line, leaving the cursor at the start of it.
func (b *Bar) Clear() {
	if b == nil || !b.enabled {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprint(b.w, "\r\x1b[K")
		b.drawn = false
	}
}
