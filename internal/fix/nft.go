package fix

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
)

// nftTag is the comment on a rule a fix adds, so that rollback deletes
// exactly that rule.
func nftTag(fixID string) string { return "vigil-fix:" + fixID }

// nftScript is the nft -f script that adds the rule, creating vigil's table
// and its input chain when missing (add is idempotent). vigil's chain
// accepts by default: it only ever holds drop rules, and a drop in any
// input chain is final.
func nftScript(rule, tag string) string {
	return fmt.Sprintf("add table inet %[1]s\nadd chain inet %[1]s input { type filter hook input priority 0; policy accept; }\nadd rule inet %[1]s input %[2]s comment %[3]q\n",
		check.VigilTable, rule, tag)
}

func planNftables(in Input, l facts.Listener) (*Plan, error) {
	if l.Port <= 0 {
		return nil, fmt.Errorf("%s is not about a port", in.Finding.Check)
	}
	if err := sessionGuard(in.SSHConnection, l); err != nil {
		return nil, err
	}
	tag := nftTag(in.FixID)
	rule := check.FirewallRule(l)
	holder := who(l)
	port := strconv.Itoa(l.Port)
	p := &Plan{
		Applier:  "nftables",
		Summary:  fmt.Sprintf("Close %s port %s to other hosts (%s): add %q to nftables table inet %s", l.Transport, port, holder, rule, check.VigilTable),
		Question: fmt.Sprintf("Close port %s (%s)?", port, holder),
		Apply: []Step{{Kind: StepRun, Argv: []string{"nft", "-f", "-"}, Stdin: nftScript(rule, tag),
			Why:  "add the drop rule (one atomic nft transaction)",
			Undo: &Step{Kind: StepNftUndo, Table: check.VigilTable, Tag: tag, Why: "delete the rule this fix added"}}},
		Validate: []Step{{Kind: StepNftHas, Table: check.VigilTable, Tag: tag, Why: "check that the rule is in place"}},
		Notes: []string{
			"Loopback traffic is not dropped: programs on this machine can still use the port.",
			fmt.Sprintf("Rules added with nft last until the next reboot. To keep this one, add to /etc/nftables.conf (and enable nftables.service):\n  table inet %s {\n    chain input {\n      type filter hook input priority 0; policy accept;\n      %s\n    }\n  }",
				check.VigilTable, rule),
			"The service itself still runs; to stop it instead: " + check.StopCommand(l) + ".",
		},
	}
	return p, nil
}

// sessionGuard refuses to close the port of the SSH session the user is
// working in, which would cut it off.
func sessionGuard(sshConnection string, l facts.Listener) error {
	f := strings.Fields(sshConnection)
	if len(f) != 4 || !strings.EqualFold(l.Transport, facts.TCP) {
		return nil
	}
	if f[3] != strconv.Itoa(l.Port) {
		return nil
	}
	srv, err := netip.ParseAddr(f[2])
	if err != nil {
		return nil
	}
	la, err := netip.ParseAddr(strings.Trim(l.Address, "[]"))
	if err == nil && !la.IsUnspecified() && la.Unmap() != srv.Unmap() {
		return nil
	}
	return fmt.Errorf("refusing to close port %d: your own SSH session (from %s) comes in through it; close it from a console, or allow your management address first", l.Port, f[0])
}

// nftRules lists the rules of a chain from `nft -j -a list chain …`: each
// rule's handle and comment.
func nftRules(out []byte) ([]nftRule, error) {
	var doc struct {
		Nftables []map[string]json.RawMessage `json:"nftables"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return nil, fmt.Errorf("cannot read nft's JSON listing: %w", err)
	}
	var rules []nftRule
	for _, obj := range doc.Nftables {
		raw, ok := obj["rule"]
		if !ok {
			continue
		}
		var r nftRule
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("cannot read nft's JSON listing: %w", err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// nftRule is what vigil reads of one rule in nft's JSON.
type nftRule struct {
	Family  string `json:"family"`
	Table   string `json:"table"`
	Chain   string `json:"chain"`
	Handle  int    `json:"handle"`
	Comment string `json:"comment"`
}
