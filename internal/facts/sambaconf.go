package facts

// SambaConfig is one running smbd's configuration, as smbd reads its
// smb.conf (Samba 4.17's smb.conf(5); see internal/conf/samba for how
// files, includes and "config file" are followed). The network audit's
// SMB facts are SMB (smb.go); these are the host audit's.
type SambaConfig struct {
	// Daemon is how far vigil trusted the process.
	Daemon Daemon `json:"daemon"`
	PID    int    `json:"pid,omitempty"`
	// ConfigFile is the file smbd was started with (-s, --configfile;
	// /etc/samba/smb.conf by default).
	ConfigFile string `json:"config_file"`
	// ReadFrom is the file smbd reads its settings from: ConfigFile, or
	// the file a "config file" line in [global] moves it to.
	ReadFrom string `json:"read_from,omitempty"`
	// Files are the files read, ReadFrom first, then what it includes.
	Files []string `json:"files,omitempty"`
	// MinProtocol is the effective "server min protocol", upper case
	// (synonym "min protocol"; default SMB2_02).
	MinProtocol string `json:"min_protocol"`
	// Signing is the effective "server signing" as Samba normalises it:
	// default, if_required (auto, yes, on), desired, required
	// (mandatory), disabled (no, off).
	Signing string `json:"signing"`
	// ServerRole is the effective "server role" in lower case (default
	// auto); "default" signing is required on an AD domain controller only.
	ServerRole string `json:"server_role"`
	// MapToGuest is the effective "map to guest" in lower case: never
	// (the default), bad user, bad password, bad uid.
	MapToGuest string `json:"map_to_guest"`
	// GuestShares are the shares where "guest ok" (synonym "public") is
	// yes, by name as written, in the order they are defined; guest only
	// has no effect without it (smb.conf(5), guest only).
	GuestShares []string `json:"guest_shares,omitempty"`
	// Interfaces and BindInterfacesOnly say where smbd listens when it
	// binds to its interfaces only; Ports is "smb ports" (445 139).
	Interfaces         []string `json:"interfaces,omitempty"`
	BindInterfacesOnly bool     `json:"bind_interfaces_only,omitempty"`
	Ports              []int    `json:"ports,omitempty"`
	// Testparm is Samba's configuration checker that vigil may run, as
	// root, on a changed configuration before it reloads smbd: the one
	// installed with this smbd, root's in root's directories; "" when
	// there is none vigil trusts.
	Testparm string `json:"testparm,omitempty"`
	// Unknown maps a setting (server min protocol, server signing, server
	// role, map to guest, guest ok) to why its effective value could not
	// be seen: an include vigil could not read comes after the line that
	// sets it. Judges neither raise nor clear a finding on such a setting.
	Unknown map[string]string `json:"unknown,omitempty"`
	// Sources maps a setting (server min protocol, server signing, server
	// role, map to guest, interfaces, bind interfaces only, smb ports,
	// config file, and "guest ok [SHARE]") to the line that sets it,
	// "FILE:LINE: text"; settings left at Samba's default have none.
	Sources map[string]string `json:"sources,omitempty"`
}
