package proto

// Protocol names. A service's name is one of these, or "unknown".
const (
	SSH            Name = "ssh"
	HTTP           Name = "http"
	FTP            Name = "ftp"
	Telnet         Name = "telnet"
	SMTP           Name = "smtp"
	IMAP           Name = "imap"
	POP3           Name = "pop3"
	PostgreSQL     Name = "postgresql"
	MySQL          Name = "mysql"
	MSSQL          Name = "mssql"
	Redis          Name = "redis"
	Memcached      Name = "memcached"
	MongoDB        Name = "mongodb"
	Elasticsearch  Name = "elasticsearch"
	CouchDB        Name = "couchdb"
	InfluxDB       Name = "influxdb"
	Etcd           Name = "etcd"
	MQTT           Name = "mqtt"
	AMQP           Name = "amqp"
	NATS           Name = "nats"
	RabbitMQ       Name = "rabbitmq"
	LDAP           Name = "ldap"
	Kerberos       Name = "kerberos"
	RDP            Name = "rdp"
	VNC            Name = "vnc"
	X11            Name = "x11"
	WinRM          Name = "winrm"
	Docker         Name = "docker"
	DockerRegistry Name = "docker-registry"
	Kubernetes     Name = "kubernetes"
	Kubelet        Name = "kubelet"
	SMB            Name = "smb"
	NFS            Name = "nfs"
	RPCBind        Name = "rpcbind"
	Rsync          Name = "rsync"
	TFTP           Name = "tftp"
	ISCSI          Name = "iscsi"
	SNMP           Name = "snmp"
	Prometheus     Name = "prometheus"
	DNS            Name = "dns"
	MDNS           Name = "mdns"
	NetBIOSNS      Name = "netbios-ns"
	SSDP           Name = "ssdp"
	NTP            Name = "ntp"
	IPP            Name = "ipp"
	JetDirect      Name = "jetdirect"
	RTSP           Name = "rtsp"
	SIP            Name = "sip"
	CoAP           Name = "coap"
	// Unknown names a service nothing recognised.
	Unknown Name = "unknown"
)

// TLS dialects of the in-protocol upgrades (Info.Upgrade).
const (
	UpgradeSMTP       = "smtp"
	UpgradeIMAP       = "imap"
	UpgradePOP3       = "pop3"
	UpgradeFTP        = "ftp"
	UpgradeLDAP       = "ldap"
	UpgradePostgreSQL = "postgresql"
	UpgradeMySQL      = "mysql"
	UpgradeRDP        = "rdp"
)

// table is every protocol vigil knows, in the order ports' hints list
// them. To add a protocol, add its line here and its module to
// internal/protocols, or its probe where it is identified (see
// docs/adding-a-protocol.md).
var table = []Info{
	{Name: SSH, Display: "SSH", Kind: Admin, ServerFirst: true, TCP: ports(22, 2222)},
	{Name: Telnet, Cleartext: true, Display: "Telnet", Kind: Admin, ServerFirst: true, TCP: ports(23), TLS: ports(992)},
	{Name: RDP, Display: "RDP", Kind: Admin, Upgrade: UpgradeRDP, TCP: ports(3389)},
	{Name: VNC, Display: "VNC", Kind: Admin, ServerFirst: true, TCP: ports(5900, 5901)},
	{Name: X11, Cleartext: true, Display: "X11", Kind: Screen, TCP: ports(6000, 6001, 6002)},
	{Name: WinRM, Cleartext: true, Display: "WinRM", Kind: Admin, Probe: HTTP, TCP: ports(5985), TLS: ports(5986)},
	{Name: Docker, Cleartext: true, Display: "the Docker API", Kind: Admin, Probe: HTTP, TCP: ports(2375), TLS: ports(2376)},
	{Name: DockerRegistry, Cleartext: true, Display: "a Docker registry", Kind: FileShare, Probe: HTTP, TCP: ports(5000)},
	{Name: Kubernetes, Cleartext: true, Display: "the Kubernetes API", Kind: Admin, Probe: HTTP, TLS: ports(6443)},
	{Name: Kubelet, Cleartext: true, Display: "the kubelet API", Kind: Admin, Probe: HTTP, TCP: ports(10255), TLS: ports(10250)},
	{Name: Etcd, Cleartext: true, Display: "etcd", Kind: Database, Probe: HTTP, TCP: ports(2379, 2380)},

	{Name: FTP, Display: "FTP", Kind: FileShare, Upgrade: UpgradeFTP, ServerFirst: true, TCP: ports(21), TLS: ports(989, 990)},
	{Name: SMB, Display: "SMB", Kind: FileShare, TCP: ports(445, 139)},
	{Name: Rsync, Cleartext: true, Display: "rsync", Kind: FileShare, ServerFirst: true, TCP: ports(873)},
	{Name: RPCBind, Display: "rpcbind", Kind: FileShare, TCP: ports(111), UDP: ports(111)},
	{Name: NFS, Display: "NFS", Kind: FileShare, TCP: ports(2049, 20048), UDP: ports(2049)}, // 20048: mountd
	{Name: TFTP, Cleartext: true, Display: "TFTP", Kind: FileShare, UDP: ports(69)},
	{Name: ISCSI, Display: "iSCSI", Kind: FileShare, TCP: ports(3260)},

	{Name: SMTP, Display: "SMTP", Kind: Mail, Upgrade: UpgradeSMTP, ServerFirst: true, TCP: ports(25, 587), TLS: ports(465)},
	{Name: IMAP, Display: "IMAP", Kind: Mail, Upgrade: UpgradeIMAP, ServerFirst: true, TCP: ports(143), TLS: ports(993)},
	{Name: POP3, Display: "POP3", Kind: Mail, Upgrade: UpgradePOP3, ServerFirst: true, TCP: ports(110), TLS: ports(995)},

	{Name: PostgreSQL, Display: "PostgreSQL", Kind: Database, Upgrade: UpgradePostgreSQL, TCP: ports(5432, 5433, 5434, 5435)},
	{Name: MySQL, Display: "MySQL/MariaDB", Kind: Database, Upgrade: UpgradeMySQL, ServerFirst: true, TCP: ports(3306)},
	{Name: MSSQL, Display: "Microsoft SQL Server", Kind: Database, TCP: ports(1433)},
	{Name: Redis, Cleartext: true, Display: "Redis", Kind: Database, TCP: ports(6379, 6380, 6381, 6382), TLS: ports(6379, 6380)},
	{Name: Memcached, Cleartext: true, Display: "memcached", Kind: Database, TCP: ports(11211, 11212)},
	{Name: MongoDB, Display: "MongoDB", Kind: Database, TCP: ports(27017, 27018, 27019), TLS: ports(27017)},
	{Name: Elasticsearch, Cleartext: true, Display: "Elasticsearch", Kind: Database, Probe: HTTP, TCP: ports(9200)},
	{Name: CouchDB, Cleartext: true, Display: "CouchDB", Kind: Database, Probe: HTTP, TCP: ports(5984), TLS: ports(6984)},
	{Name: InfluxDB, Cleartext: true, Display: "InfluxDB", Kind: Database, Probe: HTTP, TCP: ports(8086)},

	{Name: MQTT, Cleartext: true, Display: "MQTT", Kind: Messaging, TCP: ports(1883, 1884), TLS: ports(8883)},
	{Name: AMQP, Cleartext: true, Display: "AMQP", Kind: Messaging, TCP: ports(5672), TLS: ports(5671)},
	{Name: NATS, Display: "NATS", Kind: Messaging, ServerFirst: true, TCP: ports(4222)},
	{Name: RabbitMQ, Cleartext: true, Display: "the RabbitMQ management API", Kind: Messaging, Probe: HTTP, TCP: ports(15672)},

	{Name: LDAP, Display: "LDAP", Kind: Directory, Upgrade: UpgradeLDAP, TCP: ports(389, 1389, 3268, 10389), TLS: ports(636, 3269)},
	{Name: Kerberos, Display: "Kerberos", Kind: Directory, TCP: ports(88), UDP: ports(88)},

	{Name: SNMP, Display: "SNMP", Kind: Monitoring, UDP: ports(161, 162)},
	{Name: Prometheus, Cleartext: true, Display: "a Prometheus endpoint", Kind: Monitoring, Probe: HTTP, TCP: ports(9090, 9100)},

	{Name: DNS, Display: "DNS", Kind: Naming, TCP: ports(53, 5353), TLS: ports(853), UDP: ports(53)},
	{Name: MDNS, Display: "mDNS", Kind: Naming, UDP: ports(5353)},
	{Name: NetBIOSNS, Display: "NetBIOS name service", Kind: Naming, UDP: ports(137)},
	{Name: SSDP, Display: "SSDP", Kind: Naming, UDP: ports(1900)},
	{Name: NTP, Display: "NTP", Kind: Time, UDP: ports(123)},

	{Name: IPP, Cleartext: true, Display: "IPP", Kind: Printing, Probe: HTTP, TCP: ports(631)},
	{Name: JetDirect, Cleartext: true, Display: "JetDirect (raw printing)", Kind: Printing, TCP: ports(9100)},
	{Name: RTSP, Cleartext: true, Display: "RTSP", Kind: Media, TCP: ports(554, 8554)},
	{Name: SIP, Cleartext: true, Display: "SIP", Kind: Voice, TCP: ports(5060), TLS: ports(5061), UDP: ports(5060)},
	{Name: CoAP, Display: "CoAP", Kind: IoT, UDP: ports(5683)},

	// HTTP last among TCP hints: many HTTP-based APIs above name their
	// ports, and HTTP itself claims the customary web ports.
	{Name: HTTP, Cleartext: true, Display: "HTTP", Kind: Web, TCP: ports(80, 81, 591, 3000, 5000, 5601, 7001, 8000, 8008, 8080, 8081, 8088, 8888, 9000),
		TLS: ports(443, 4443, 8443, 9443, 10443)},
	// Protocols vigil does not identify, listed for their TLS ports.
	{Name: "nntp", Display: "NNTP", TLS: ports(563)},
	{Name: "irc", Display: "IRC", TLS: ports(994, 6697)},
}

func ports(p ...uint16) []uint16 { return p }
