package module

// Framework control references, written as they appear in findings
// (package check's catalogue uses the same).
const (
	HIPAATransmission = "HIPAA 164.312(e)(1)"
	HIPAAEncryption   = "HIPAA 164.312(e)(2)(ii)"
	HIPAAAccess       = "HIPAA 164.312(a)(1)"
	HIPAAAuth         = "HIPAA 164.312(d)"
	HIPAARisk         = "HIPAA 164.308(a)(1)(ii)(A)"
	HIPAARiskMgmt     = "HIPAA 164.308(a)(1)(ii)(B)"
	GDPREncryption    = "GDPR 32(1)(a)"
	GDPRConfidential  = "GDPR 32(1)(b)"
	GDPRByDesign      = "GDPR 25"
	CISEncryptTransit = "CIS 3.10"
	CISSecureConfig   = "CIS 4.1"
	CISServerFirewall = "CIS 4.4"
	CISDefaultAccts   = "CIS 4.7"
	CISUnneeded       = "CIS 4.8"
	CISPasswords      = "CIS 5.2"
	CISAccessControl  = "CIS 6.1"
	CISVulnMgmt       = "CIS 7.1"
	CISPatchApps      = "CIS 7.4"
	CISNetArch        = "CIS 12.2"
	CISSecureMgmt     = "CIS 12.3"
	PCIServices       = "PCI 2.2.4"
	PCIDefaults       = "PCI 2.2.2"
	PCIAdminEncrypt   = "PCI 2.2.7"
	PCIStrongCrypto   = "PCI 4.2.1"
	PCIAuth           = "PCI 8.3.1"
	PCIPatches        = "PCI 6.3.3"
	PCINetControls    = "PCI 1.3.1"
	PCIDataNotDirect  = "PCI 1.4.4"
	CISSoftwareInv    = "CIS 2.1"
	PCIInternalScan   = "PCI 11.3.1"
)

// FwTransport is the control list of cleartext or weak cryptography in
// transit. Each Fw function returns a fresh slice.
func FwTransport() []string {
	return []string{HIPAATransmission, HIPAAEncryption, GDPREncryption, CISEncryptTransit, PCIStrongCrypto}
}

// FwNoAuth is the control list of a service usable without credentials.
func FwNoAuth() []string {
	return []string{HIPAAAccess, HIPAAAuth, GDPRConfidential, CISAccessControl, CISSecureConfig, PCIAuth}
}

// FwDefaults is the control list of accepted vendor-default credentials.
func FwDefaults() []string {
	return []string{HIPAAAuth, GDPRConfidential, CISDefaultAccts, PCIDefaults}
}

// FwUnneeded is the control list of a service that should not run.
func FwUnneeded() []string {
	return []string{HIPAAAccess, HIPAARisk, GDPRConfidential, GDPRByDesign, CISUnneeded, PCIServices}
}
