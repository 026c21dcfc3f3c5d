package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/check"
)

func newChecksCmd(e *env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "checks",
		Short: "List the check catalogue: id, severity, title, frameworks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cs := check.All()
			switch format {
			case "table":
				tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSEVERITY\tTITLE\tFRAMEWORKS")
				for _, c := range cs {
					title := c.Title
					if c.Planned != "" {
						title += " (planned: " + c.Planned + ", not checked yet)"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, c.Severity, title, strings.Join(c.Frameworks, ", "))
				}
				return tw.Flush()
			case "json":
				type entry struct {
					ID         string   `json:"id"`
					Severity   string   `json:"severity"`
					Title      string   `json:"title"`
					Rationale  string   `json:"rationale"`
					Fix        string   `json:"fix"`
					Frameworks []string `json:"frameworks"`
					Planned    string   `json:"planned,omitempty"`
				}
				out := make([]entry, len(cs))
				for i, c := range cs {
					out[i] = entry{c.ID, c.Severity.String(), c.Title, c.Rationale, c.Fix, c.Frameworks, c.Planned}
				}
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			case "markdown":
				return check.WriteMarkdown(e.stdout)
			}
			return usageError("--format %q: use table, json or markdown", format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table, json or markdown")
	return cmd
}
