package check

import (
	"fmt"
	"slices"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/proto"
)

// tftpChecks are the checks about TFTP servers.
var tftpChecks = []Check{
	{ID: "tftp.open", Severity: finding.Medium, Title: "TFTP server reachable",
		Rationale: "TFTP has neither authentication nor encryption: anyone who reaches the port can read every file it serves whose " +
			"name they can guess (device configurations with passwords, firmware, boot images), and write files when uploads are allowed. " +
			"From an untrusted network that is a high risk.",
		Fix: "Stop the TFTP server when nothing needs it (systemctl disable --now tftpd-hpa); otherwise bind it to the network of the " +
			"devices that boot or fetch from it (in /etc/default/tftpd-hpa set TFTP_ADDRESS=\"10.0.0.1:69\"), keep TFTP_OPTIONS without " +
			"--create, and allow udp/69 only from those devices in the firewall.",
		Frameworks: slices.Concat(fwNoAuth, []string{cisUnneeded}),
		Examines:   named(proto.TFTP), Needs: "a TFTP server"},
}

// judgeTFTP reports a TFTP server that answered: medium, high when the
// scan ran from a network marked untrusted.
func judgeTFTP(in Input) []Hit {
	s := in.Service
	if s.Name != proto.TFTP {
		return nil
	}
	h := Hit{Check: "tftp.open", Fix: tftpFix(s)}
	how := "answered a read request for a file that does not exist"
	if e := s.Detail(facts.DetailTftpError); e != "" {
		how += " with error " + e
	}
	h.Evidence = fmt.Sprintf("TFTP on %s/%d %s", s.Transport, s.Port, how)
	if in.Untrusted {
		h.Severity = finding.High
		h.Evidence += "; high because the scan ran from a network marked untrusted (--untrusted)"
	}
	return []Hit{h}
}

// tftpFix is the catalogue fix with the port the server was found on.
func tftpFix(s *facts.Service) string {
	return fmt.Sprintf("Stop the TFTP server when nothing needs it (systemctl disable --now tftpd-hpa). Otherwise bind it to the network "+
		"of the devices that use it (in /etc/default/tftpd-hpa set TFTP_ADDRESS=\"10.0.0.1:%d\", your address on that network), keep "+
		"TFTP_OPTIONS free of --create, and allow the port only from those devices: nft add rule inet filter input ip saddr "+
		"10.0.0.0/24 udp dport %d accept; nft add rule inet filter input udp dport %d drop.", s.Port, s.Port, s.Port)
}
