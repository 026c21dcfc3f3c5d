package facts

import "testing"

func TestListenerForAndServiceOf(t *testing.T) {
	h := &HostAudit{Hostname: "srv1", Addresses: []string{"192.0.2.2"},
		Listeners: []Listener{
			{Transport: "tcp", Address: "0.0.0.0", Port: 22, PID: 1, Process: "sshd"},
			{Transport: "tcp", Address: "127.0.2.10", Port: 443, PID: 2, Process: "nginx"},
			{Transport: "tcp", Address: "::", Port: 21, PID: 3, Process: "proftpd"},
			{Transport: "tcp", Address: "127.0.2.11", Port: 21, PID: 4, Process: "vsftpd"},
			{Transport: "tcp", Address: "127.0.2.12", Port: 6379, PID: 5, Process: "redis-server"},
			{Transport: "tcp", Address: "127.0.2.13", Port: 2222, PID: 6, Process: "dropbear"},
			{Transport: "udp", Address: "0.0.0.0", Port: 161, PID: 7, Process: "snmpd"},
		},
		SSHD:  []SSHDConfig{{PID: 1}},
		Nginx: []NginxConfig{{PID: 2}},
		FTP:   []FTPConfig{{PID: 3, Product: "proftpd"}, {PID: 4, Product: "vsftpd"}},
		Redis: []RedisConfig{{PID: 5}},
	}
	tests := []struct {
		host, transport string
		port            int
		pid             int // 0: no listener
		name, product   string
	}{
		{"192.0.2.2", "tcp", 22, 1, "ssh", "OpenSSH"},
		{"srv1", "", 22, 1, "ssh", "OpenSSH"},
		{"198.51.100.7", "tcp", 22, 0, "", ""}, // another machine
		{"127.0.2.10", "tcp", 443, 2, "http", "nginx"},
		{"127.0.2.99", "tcp", 443, 0, "", ""},
		{"127.0.2.11", "tcp", 21, 4, "ftp", "vsftpd"},
		{"127.0.0.1", "tcp", 21, 3, "ftp", "ProFTPD"},
		{"127.0.2.12", "tcp", 6379, 5, "redis", "Redis"},
		{"127.0.2.13", "tcp", 2222, 6, "", ""}, // not examined as a daemon
		{"127.0.0.1", "udp", 161, 7, "", ""},
		{"127.0.0.1", "tcp", 161, 0, "", ""},
	}
	for _, tc := range tests {
		l, ok := h.ListenerFor(tc.host, tc.transport, tc.port)
		if ok != (tc.pid != 0) || l.PID != tc.pid {
			t.Errorf("ListenerFor(%s, %d) = %+v, %v; want pid %d", tc.host, tc.port, l, ok, tc.pid)
			continue
		}
		s := h.ServiceOf(l)
		switch {
		case tc.name == "" && s != nil:
			t.Errorf("ServiceOf(pid %d) = %+v, want nil", l.PID, s)
		case tc.name != "" && (s == nil || s.Name != tc.name || s.Product != tc.product || s.Port != tc.port):
			t.Errorf("ServiceOf(pid %d) = %+v, want %s %s", l.PID, s, tc.name, tc.product)
		}
	}
}
