package compliance

// titles names each control the catalogue maps to, in the framework's own
// words (shortened); a test asserts that every mapped control has one.
var titles = map[string]string{
	"HIPAA 164.308(a)(1)(ii)(A)": "Risk analysis",
	"HIPAA 164.308(a)(1)(ii)(B)": "Risk management",
	"HIPAA 164.312(a)(1)":        "Access control",
	"HIPAA 164.312(d)":           "Person or entity authentication",
	"HIPAA 164.312(e)(1)":        "Transmission security",
	"HIPAA 164.312(e)(2)(ii)":    "Encryption of ePHI in transmission",
	"HIPAA 164.312(a)(2)(iv)":    "Encryption and decryption",
	"HIPAA 164.312(c)(1)":        "Integrity",

	"GDPR 25":       "Data protection by design and by default",
	"GDPR 5(1)(c)":  "Data minimisation",
	"GDPR 5(1)(e)":  "Storage limitation",
	"GDPR 17":       "Right to erasure",
	"GDPR 30":       "Records of processing activities",
	"GDPR 32(1)(a)": "Pseudonymisation and encryption of personal data",
	"GDPR 32(1)(b)": "Ongoing confidentiality, integrity, availability and resilience of processing systems",
	"GDPR 32(1)(d)": "Regularly testing, assessing and evaluating the effectiveness of security measures",

	"CIS 2.1":  "Establish and maintain a software inventory",
	"CIS 3.10": "Encrypt sensitive data in transit",
	"CIS 3.3":  "Configure data access control lists",
	"CIS 3.4":  "Enforce data retention",
	"CIS 3.5":  "Securely dispose of data",
	"CIS 3.11": "Encrypt sensitive data at rest",
	"CIS 4.1":  "Establish and maintain a secure configuration process",
	"CIS 4.4":  "Implement and manage a firewall on servers",
	"CIS 4.7":  "Manage default accounts on enterprise assets and software",
	"CIS 4.8":  "Uninstall or disable unnecessary services on enterprise assets and software",
	"CIS 5.2":  "Use unique passwords",
	"CIS 6.1":  "Establish an access granting process",
	"CIS 7.1":  "Establish and maintain a vulnerability management process",
	"CIS 7.4":  "Perform automated application patch management",
	"CIS 12.2": "Establish and maintain a secure network architecture",
	"CIS 12.3": "Securely manage network infrastructure",

	"PCI 1.3.1":  "Inbound traffic to the cardholder data environment is restricted",
	"PCI 1.4.4":  "System components that store cardholder data are not directly accessible from untrusted networks",
	"PCI 2.2.2":  "Vendor default accounts are managed",
	"PCI 3.2.1":  "Account data storage is kept to a minimum through data retention and disposal policies",
	"PCI 3.5.1":  "PAN is rendered unreadable anywhere it is stored",
	"PCI 7.2.1":  "Access is assigned by job function and least privilege",
	"PCI 2.2.4":  "Only necessary services, protocols, daemons and functions are enabled",
	"PCI 2.2.7":  "All non-console administrative access is encrypted using strong cryptography",
	"PCI 4.2.1":  "Strong cryptography and security protocols protect account data during transmission",
	"PCI 6.3.3":  "System components are protected from known vulnerabilities by installing security patches",
	"PCI 8.3.1":  "All user and administrator access to system components is authenticated",
	"PCI 11.3.1": "Internal vulnerability scans are performed, and high-risk and critical vulnerabilities are resolved",
}

// Title returns the title of a control reference, or "" when vigil does not
// know it.
func Title(id string) string { return titles[id] }
