package cli

import "github.com/spf13/cobra"

// newDataCmd is the vigil data group: personal data, where it lives, how
// long it stays, and erasure with a signed certificate (issue 15).
// (data-erase's placeholder until data-scan's data.go lands: keep
// data-scan's version and its addDataEraseCmds line.)
func newDataCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "data",
		Short: "Personal data: where it lives, how long it stays, erasure with a signed certificate",
		Args:  cobra.NoArgs,
	}
	addDataEraseCmds(cmd, e)
	return cmd
}
