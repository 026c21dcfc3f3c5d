package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/module"
	"github.com/vigilsec/vigil/internal/proto"
)

// filesChecks are the checks of file services (NFS, iSCSI; rsync is a
// protocol module, internal/protocols/rsync) and of Microsoft SQL Server,
// identified beside them (X11 is a module too, internal/protocols/x11).
var filesChecks = []Check{
	{ID: "nfs.export.world", Severity: finding.High, Title: "NFS export is open to every client",
		Rationale:  "NFS (AUTH_SYS) trusts the client's word for who the user is: any machine that can reach an export open to everyone can mount it and read or change the files as any user but root.",
		Fix:        "Name the clients that may mount each export. Kernel NFS server: in /etc/exports replace \"*\" by the client network, e.g. \"/srv/share 10.0.0.0/24(rw,root_squash,sec=sys)\", then run exportfs -ra. nfs-ganesha: in the EXPORT block set \"Access_Type = None;\" and add \"CLIENT { Clients = 10.0.0.0/24; Access_Type = RW; }\", then restart nfs-ganesha. Use sec=krb5p where the data is sensitive.",
		Frameworks: fwNoAuth},
	{ID: "iscsi.discovery.open", Severity: finding.Medium, Title: "iSCSI target answers discovery without CHAP",
		Rationale:  "Without CHAP on discovery anyone who reaches the portal learns the names of the target's disks, the first step to logging in to one that has no CHAP either.",
		Fix:        "Require CHAP for discovery and for every target. tgt: in /etc/tgt/targets.conf set \"incomingdiscoveryuser NAME SECRET\" at the top level and \"incominguser NAME SECRET\" in each <target>, then tgt-admin --update ALL. LIO (targetcli): /iscsi set discovery_auth enable=1 userid=NAME password=SECRET, and in each TPG set attribute authentication=1 with per-ACL CHAP credentials.",
		Frameworks: fwNoAuth},
	{ID: "cleartext.mssql", Severity: finding.High, Title: "Microsoft SQL Server does not support encryption",
		Rationale:  "A SQL Server that answers PRELOGIN with ENCRYPT_NOT_SUP sends logins and query results in cleartext: anyone on the path reads passwords and data.",
		Fix:        "Give the instance a certificate and force encryption. On Windows: SQL Server Configuration Manager, SQL Server Network Configuration, Protocols for the instance, Properties: Certificate, then Force Encryption = Yes, and restart the service. On Linux: mssql-conf set network.tlscert /etc/ssl/certs/mssql.pem; mssql-conf set network.tlskey /etc/ssl/private/mssql.key; mssql-conf set network.forceencryption 1; systemctl restart mssql-server.",
		Frameworks: fwTransport},
}

// judgeFiles judges the file services and SQL Server facts.
func judgeFiles(in Input) []Hit {
	s := in.Service
	where := fmt.Sprintf("%s/%d", s.Transport, s.Port)
	var out []Hit
	if s.Name == proto.RPCBind && s.RPC != nil && s.RPC.ExportsRead && !tcpRPCBindJudged(in) {
		out = append(out, nfsHits(s, where)...)
	}
	if s.Name == proto.ISCSI && s.ISCSI != nil && s.ISCSI.DiscoveryOpen {
		ev := fmt.Sprintf("the iSCSI target on %s opened a discovery session with AuthMethod=None", where)
		if len(s.ISCSI.Targets) > 0 {
			ev += " and SendTargets listed " + listSome(s.ISCSI.Targets, 8)
		} else {
			ev += " (SendTargets listed no target)"
		}
		out = append(out, Hit{Check: "iscsi.discovery.open", Evidence: ev})
	}
	if s.Name == proto.MSSQL && s.MSSQL != nil && s.MSSQL.Encryption == facts.MSSQLEncryptNotSup {
		v := ""
		if s.MSSQL.Version != "" {
			v = " " + s.MSSQL.Version
		}
		out = append(out, Hit{Check: "cleartext.mssql",
			Evidence: fmt.Sprintf("Microsoft SQL Server%s on %s answered PRELOGIN with ENCRYPTION = ENCRYPT_NOT_SUP: logins and data travel in cleartext", v, where)})
	}
	return out
}

// worldGroups are the mountd group names that mean every client.
var worldGroups = []string{"*", "0.0.0.0/0", "0.0.0.0/0.0.0.0", "::/0", "everyone", "(everyone)", "0.0.0.0"}

// nfsWorld reports whether an export's groups let every client mount it.
func nfsWorld(e facts.NFSExport) bool {
	if len(e.Groups) == 0 {
		return true
	}
	return slices.ContainsFunc(e.Groups, func(g string) bool { return slices.Contains(worldGroups, strings.ToLower(strings.TrimSpace(g))) })
}

// nfsHits reports one hit per export open to every client.
func nfsHits(s *facts.Service, where string) []Hit {
	var out []Hit
	for _, e := range s.RPC.Exports {
		if !nfsWorld(e) {
			continue
		}
		groups := "no client group (everyone)"
		if len(e.Groups) > 0 {
			groups = "client groups " + listSome(e.Groups, 8)
		}
		out = append(out, Hit{Check: "nfs.export.world", Subject: e.Path,
			Evidence: fmt.Sprintf("the NFS mount daemon (port %d, listed by the port mapper on %s) exports %s to %s", s.RPC.MountdPort, where, e.Path, groups)})
	}
	return out
}

// tcpRPCBindJudged reports, for the UDP port mapper, that the host's TCP
// port mapper already had its exports read: the same exports are then
// judged once, there.
func tcpRPCBindJudged(in Input) bool {
	if in.Service.Transport != facts.UDP || in.Host == nil {
		return false
	}
	return slices.ContainsFunc(in.Host.Services, func(o facts.Service) bool {
		return o.Name == proto.RPCBind && o.Transport == facts.TCP && o.RPC != nil && o.RPC.ExportsRead
	})
}

// listSome joins up to n quoted items and counts the rest.
func listSome(items []string, n int) string { return module.ListSome(items, n) }
