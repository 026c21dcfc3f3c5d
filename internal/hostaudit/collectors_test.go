package hostaudit

import (
	"slices"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/trust"
)

// Every daemon internal/trust knows has a collector, and every collector
// is for a daemon trust knows, serving a protocol of the table.
func TestDaemonCollectorsMatchTrust(t *testing.T) {
	for _, d := range trust.Daemons {
		if _, ok := daemonCollectors[d.Kind]; !ok {
			t.Errorf("trust knows the daemon %q but no collector reads it", d.Kind)
		}
	}
	for kind, dc := range daemonCollectors {
		if _, ok := trust.ByKind(kind); !ok {
			t.Errorf("collector %q is for no daemon internal/trust knows", kind)
		}
		if _, ok := proto.Lookup(dc.protocol); !ok {
			t.Errorf("collector %q serves %q, which is not in the protocol table", kind, dc.protocol)
		}
		if dc.collect == nil || dc.sort == nil {
			t.Errorf("collector %q has no collect or sort function", kind)
		}
	}
}

func TestDaemonMastersHelpers(t *testing.T) {
	procs := map[int]*process{
		1:  {PID: 1, Comm: "systemd", Args: []string{"/sbin/init"}},
		10: {PID: 10, PPID: 1, Comm: "sshd", Args: []string{"sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"}},
		11: {PID: 11, PPID: 10, Comm: "sshd", Args: []string{"sshd: alice [priv]"}},
		12: {PID: 12, PPID: 1, Comm: "sshd", Args: []string{"/usr/sbin/sshd", "-T"}},
		20: {PID: 20, PPID: 1, Comm: "nginx", Args: []string{"nginx: master process /usr/sbin/nginx"}},
		21: {PID: 21, PPID: 1, Comm: "nginx", Args: []string{"nginx: worker process"}},
		30: {PID: 30, PPID: 1, Comm: "postgres", Args: []string{"/usr/lib/postgresql/15/bin/postgres", "-D", "/var/lib/postgresql/15/main"}},
		31: {PID: 31, PPID: 30, Comm: "postgres", Args: []string{"postgres: 15/main: checkpointer"}},
		40: {PID: 40, PPID: 1, Comm: "redis-server", Args: nil},
	}
	var got []int
	for _, p := range daemonMasters(procs) {
		got = append(got, p.PID)
	}
	if want := []int{10, 20, 30}; !slices.Equal(got, want) {
		t.Errorf("daemonMasters = %v, want %v", got, want)
	}
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name      string
		p         *process
		listeners []facts.Listener
		cmds      int
		files     []string
	}{
		{"sshd", &process{Comm: "sshd", Args: []string{"/usr/sbin/sshd", "-D", "-f", "/etc/ssh/other_config"}}, nil, 0, []string{"/etc/ssh/other_config"}},
		{"nginx", &process{Comm: "nginx", Args: []string{"nginx: master process /usr/sbin/nginx -c /etc/nginx/lab.conf"}}, nil, 0, []string{"/etc/nginx/lab.conf"}},
		{"postgresql", &process{Comm: "postgres", Args: []string{"/usr/lib/postgresql/15/bin/postgres", "-D", "/var/lib/postgresql/15/main", "-c", "config_file=/etc/postgresql/15/main/postgresql.conf"}}, nil, 0,
			[]string{"/etc/postgresql/15/main/postgresql.conf", "/var/lib/postgresql/15/main/postgresql.auto.conf", "/var/lib/postgresql/15/main/pg_hba.conf"}},
		{"redis", &process{Comm: "redis-server", Args: []string{"/usr/bin/redis-server 127.0.0.1:6379"}}, []facts.Listener{{Transport: "tcp", Address: "127.0.0.1", Port: 6379}}, len(redisCLIKeys), nil},
		{"proftpd", &process{Comm: "proftpd", Args: []string{"proftpd: (accepting connections)"}}, nil, 0, nil},
		{"not a daemon", &process{Comm: "bash", Args: []string{"bash"}}, nil, 0, nil},
	}
	for _, tc := range tests {
		cmds, files := plan(tc.p, tc.listeners)
		if len(cmds) != tc.cmds || !slices.Equal(files, tc.files) {
			t.Errorf("%s: plan = %q, %q; want %d commands, files %q", tc.name, cmds, files, tc.cmds, tc.files)
		}
	}
}
