package cli

import "github.com/spf13/cobra"

// dataCommands lists the subcommands of `vigil data`.
//
// (A placeholder of data-erase's until data-scan's data.go lands: on merge,
// keep data-scan's file and add the erase line below to its list.)
var dataCommands = []func(e *env) *cobra.Command{
	newDataEraseCmd, newDataVerifyCmd, newDataKeyCmd, // data-erase: erase, verify, key
}

// newDataCmd is `vigil data`: personal data, where it lives, how long it
// stays, and erasure with a certificate (issue 15).
func newDataCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "data",
		Short: "Personal data: where it lives, how long it stays, erasure you can prove",
		Args:  cobra.NoArgs,
	}
	for _, c := range dataCommands {
		cmd.AddCommand(c(e))
	}
	return cmd
}
