package facts

// BindConfig is one running BIND 9 named's configuration, as its
// named.conf (and the files it includes) makes it effective. The rules
// are those of the BIND 9.18 Administrator Reference Manual (Debian 12's
// version), "Configuration Reference":
//
//   - Options in a view override those of the options block; a zone's
//     allow-transfer overrides its view's and the options'.
//   - recursion defaults to yes.
//   - allow-recursion, when not set, is allow-query-cache if that is set,
//     otherwise allow-query if that is set (none when recursion is no),
//     otherwise the built-in { localnets; localhost; } (ARM, allow-recursion
//     and allow-query-cache; BIND's CHANGES entry 2206).
//   - allow-transfer, when not set, allows transfers to all hosts (9.18).
//   - version, an options-only statement, defaults to the real version;
//     queries for version.bind CH TXT are answered by the first view of
//     class CHAOS, named's own "_bind" view when the configuration has none.
//   - listen-on, when not set, is port 53 on every IPv4 interface.
//
// Address match lists are judged for "an address of the Internet": one
// that is in no prefix the list names, not localhost or localnets, and
// holds no TSIG key. A list is open when it lets such an address in (any,
// 0.0.0.0/0, ::/0, an acl that resolves to them, not negated before).
type BindConfig struct {
	// Daemon is how far vigil trusted the process.
	Daemon Daemon `json:"daemon"`
	PID    int    `json:"pid,omitempty"`
	// ConfigFile is the file named reads (-c), as named names it: inside
	// Chroot when there is one.
	ConfigFile string `json:"config_file"`
	// Chroot is named's -t directory; "" when it runs without one.
	Chroot string `json:"chroot,omitempty"`
	// Checkconf is the named-checkconf binary vigil may run, as root, to
	// check a changed configuration (root's, in root's directories, and
	// every file the configuration reads root's); "" when it may not.
	Checkconf string `json:"checkconf,omitempty"`
	// ListenOn are the addresses of listen-on and listen-on-v6 ("any",
	// "none", addresses, prefixes); ["any"] when neither is set.
	ListenOn []string `json:"listen_on,omitempty"`
	// Version is the version option ("none" hides it); VersionSet says the
	// options set it.
	Version    string `json:"version,omitempty"`
	VersionSet bool   `json:"version_set,omitempty"`
	// ChaosView is the first view of class CHAOS, which answers
	// version.bind; "" when the configuration has none (named's own _bind
	// view answers, from the version option).
	ChaosView string `json:"chaos_view,omitempty"`
	// ChaosVersion is how that view serves version.bind: the database of
	// its zone "version.bind" ("_builtin version" tells the version
	// option), its file, or "" when it has no such zone (it refuses).
	ChaosVersion string `json:"chaos_version,omitempty"`
	// Views are the views of class IN, each with its effective settings;
	// one view named "" when the configuration has no view statement.
	Views []BindView `json:"views,omitempty"`
	// Incomplete says what vigil could not read or resolve (an include, an
	// acl): the settings above may be wrong, and nothing is judged.
	Incomplete []string `json:"incomplete,omitempty"`
	// Sources maps an options-level setting (recursion, allow-recursion,
	// allow-query-cache, allow-query, allow-transfer, version, listen-on)
	// to the line that sets it, "FILE:LINE: text".
	Sources map[string]string `json:"sources,omitempty"`
}

// BindView is one view's effective settings.
type BindView struct {
	// Name is the view's name; "" for the configuration without views.
	Name string `json:"name"`
	// Recursion is the effective recursion option.
	Recursion bool `json:"recursion"`
	// RecursionFrom is the line that sets it; "" for the default (yes).
	RecursionFrom string `json:"recursion_from,omitempty"`
	// AllowRecursion is the effective allow-recursion list, as written;
	// AllowRecursionBy names the option it comes from (allow-recursion,
	// allow-query-cache, allow-query, or "default"), AllowRecursionFrom
	// the line ("" for the default).
	AllowRecursion     []string `json:"allow_recursion,omitempty"`
	AllowRecursionBy   string   `json:"allow_recursion_by,omitempty"`
	AllowRecursionFrom string   `json:"allow_recursion_from,omitempty"`
	// RecursionOpen says the list lets any address in.
	RecursionOpen bool `json:"recursion_open"`
	// Unresolved says why the recursion settings could not be judged (an
	// acl that is not defined).
	Unresolved string `json:"unresolved,omitempty"`
	// Zones are the view's zones.
	Zones []BindZone `json:"zones,omitempty"`
}

// BindZone is one zone's transfer setting.
type BindZone struct {
	Name string `json:"name"`
	// Type is the zone's type as written (primary, master, secondary, …).
	Type string `json:"type,omitempty"`
	// AllowTransfer is the effective allow-transfer list, as written;
	// empty for the default (any).
	AllowTransfer []string `json:"allow_transfer,omitempty"`
	// TransferFrom is the line that sets it (zone, view or options); ""
	// for the default.
	TransferFrom string `json:"transfer_from,omitempty"`
	// TransferOpen says the list lets any address in.
	TransferOpen bool `json:"transfer_open"`
	// Unresolved says why the setting could not be judged.
	Unresolved string `json:"unresolved,omitempty"`
	// Source is the zone statement's line.
	Source string `json:"source,omitempty"`
}

// Primary reports whether the zone is one this server is the source of.
func (z BindZone) Primary() bool { return z.Type == "primary" || z.Type == "master" }
