package facts

import "time"

// This file holds the typed evidence of file services and the binary
// protocols identified beside them: ONC RPC (rpcbind, NFS mountd),
// iSCSI, Microsoft SQL Server (TDS) and Kerberos.

// RPC is what an ONC RPC port mapper (rpcbind, portmap) and the NFS mount
// daemon it lists said.
type RPC struct {
	// Programs are the registrations PMAPPROC_DUMP listed.
	Programs []RPCProgram `json:"programs,omitempty"`
	// ExportsRead is true when mountd answered MOUNTPROC_EXPORT; Exports
	// is then its list (possibly empty).
	ExportsRead bool        `json:"exports_read"`
	Exports     []NFSExport `json:"exports,omitempty"`
	// MountdPort is the port of mountd asked for the exports, 0 if none.
	MountdPort int `json:"mountd_port,omitempty"`
}

// RPCProgram is one registration in a port mapper.
type RPCProgram struct {
	Program   uint32 `json:"program"`
	Name      string `json:"name,omitempty"` // nfs, mountd, nlockmgr, …
	Version   uint32 `json:"version"`
	Transport string `json:"transport"` // tcp, udp, or the IP protocol number
	Port      int    `json:"port"`
}

// NFSExport is one export of an NFS server's mount daemon and the client
// groups allowed to mount it (empty: everyone).
type NFSExport struct {
	Path   string   `json:"path"`
	Groups []string `json:"groups,omitempty"`
}

// ISCSI is what an iSCSI target answered a discovery login.
type ISCSI struct {
	// VersionMax and VersionActive are from the Login Response.
	VersionMax    int `json:"version_max"`
	VersionActive int `json:"version_active"`
	// StatusClass and StatusDetail are the Login Response's status
	// (0/0 success; 2/1 authentication failure).
	StatusClass  int `json:"status_class"`
	StatusDetail int `json:"status_detail"`
	// DiscoveryOpen is true when a discovery session was opened with
	// AuthMethod=None (no CHAP).
	DiscoveryOpen bool `json:"discovery_open"`
	// Targets are the target names SendTargets=All returned (names only).
	Targets []string `json:"targets,omitempty"`
}

// MSSQL is a Microsoft SQL Server's PRELOGIN answer (MS-TDS 2.2.6.5).
type MSSQL struct {
	// Version is the VERSION option: major.minor.build.
	Version string `json:"version,omitempty"`
	// Encryption is the ENCRYPTION option answered to a client that
	// offered "off": off, on, not-supported, required (or a number).
	Encryption string `json:"encryption"`
}

// MS-TDS ENCRYPTION option values, as named in MSSQL.Encryption.
const (
	MSSQLEncryptOff      = "off"
	MSSQLEncryptOn       = "on"
	MSSQLEncryptNotSup   = "not-supported"
	MSSQLEncryptRequired = "required"
)

// Kerberos is a KDC's KRB-ERROR answer to an AS-REQ for the ticket-granting
// service of a realm vigil made up.
type Kerberos struct {
	Realm      string    `json:"realm,omitempty"`
	ServerTime time.Time `json:"server_time,omitzero"`
	ErrorCode  int       `json:"error_code"`
	ErrorName  string    `json:"error_name,omitempty"`
	Text       string    `json:"text,omitempty"`
}
