package report

import "github.com/vigilsec/vigil/internal/finding"

// The one palette of vigil's terminal output: every table (scans, host
// audits, diffs, comparisons, the scan list, compliance) paints severities
// and levels with these styles.

// ANSI styles.
const (
	reset  = "\x1b[0m"
	bold   = "\x1b[1m"
	dim    = "\x1b[2m"
	red    = "\x1b[31m"
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	blue   = "\x1b[34m"
	cyan   = "\x1b[36m"
	bgRed  = "\x1b[41;97m"
)

func severityStyle(s finding.Severity) string {
	switch s {
	case finding.Critical:
		return bgRed + bold
	case finding.High:
		return red + bold
	case finding.Medium:
		return yellow
	case finding.Low:
		return cyan
	}
	return dim
}

func levelStyle(v int) string {
	switch v {
	case 1:
		return bgRed + bold
	case 2:
		return red + bold
	case 3:
		return yellow + bold
	case 4, 5:
		return green + bold
	}
	return ""
}

// palette colours text when on.
type palette struct{ on bool }

func (p palette) paint(s, codes string) string {
	if !p.on || codes == "" {
		return s
	}
	return codes + s + reset
}
