package samba

import "strings"

// Values of the parameters vigil judges, as Samba 4.17 reads them
// (lib/param/param_table.c's enumerations, compared without regard to
// case or blanks). Each returns ok false for a value Samba ignores
// ("WARNING: Ignoring invalid value"), which leaves the previous one.

// protocols are the SMB dialect names "server min protocol" takes, oldest
// first, with their rank (SMB2 is SMB2_10 and SMB3 is SMB3_11: "By
// default SMB2 selects the SMB2_10 variant", smb.conf(5)).
var protocols = map[string]int{
	"CORE": 1, "COREPLUS": 2, "CORE+": 2, "LANMAN1": 3, "LANMAN2": 4, "NT1": 5,
	"SMB2_02": 6, "SMB2_10": 7, "SMB2": 7, "SMB3_00": 8, "SMB3_02": 9, "SMB3_11": 10, "SMB3": 10,
}

// Protocol returns a dialect name in upper case ("default" is the default
// of server min protocol, SMB2_02) and its rank, oldest lowest.
func Protocol(v string) (name string, rank int, ok bool) {
	name = strings.ToUpper(strings.Join(strings.Fields(v), ""))
	if name == "DEFAULT" {
		name = "SMB2_02"
	}
	rank, ok = protocols[name]
	return name, rank, ok
}

// SMB1 reports whether a dialect is SMB1 or older (NT1, LANMAN…, CORE).
func SMB1(name string) bool {
	_, r, ok := Protocol(name)
	return ok && r <= protocols["NT1"]
}

// Signing returns "server signing" as testparm prints it: default,
// if_required (auto, yes, on…), desired, required (mandatory, forced) or
// disabled (no, off…).
func Signing(v string) (string, bool) {
	switch Canonical(v) {
	case "default":
		return "default", true
	case "auto", "yes", "on", "true", "1", "enabled", "if_required", "ifrequired":
		return "if_required", true
	case "desired":
		return "desired", true
	case "mandatory", "required", "forced":
		return "required", true
	case "disabled", "no", "off", "false", "0":
		return "disabled", true
	}
	return "", false
}

// MapToGuest returns "map to guest" in lower case: never, bad user, bad
// password or bad uid.
func MapToGuest(v string) (string, bool) {
	switch Canonical(v) {
	case "never":
		return "never", true
	case "baduser":
		return "bad user", true
	case "badpassword":
		return "bad password", true
	case "baduid":
		return "bad uid", true
	}
	return "", false
}

// ADDC reports whether a "server role" makes Samba an Active Directory
// domain controller, where "server signing = default" means required.
func ADDC(role string) bool {
	switch Canonical(role) {
	case "activedirectorydomaincontroller", "domaincontroller", "dc":
		return true
	}
	return false
}
