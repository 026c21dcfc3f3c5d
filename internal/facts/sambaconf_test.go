package facts

import "testing"

func TestServiceOfSmbd(t *testing.T) {
	h := &HostAudit{Listeners: []Listener{
		{Transport: "tcp", Address: "127.0.2.45", Port: 445, PID: 8, Process: "smbd"},
		{Transport: "tcp", Address: "127.0.2.46", Port: 445, PID: 9, Process: "smbd"},
	}, Samba: []SambaConfig{{PID: 8}}}
	if s := h.ServiceOf(h.Listeners[0]); s == nil || s.Name != "smb" || s.Product != "Samba" || s.Port != 445 {
		t.Errorf("ServiceOf(smbd) = %+v", s)
	}
	if s := h.ServiceOf(h.Listeners[1]); s != nil {
		t.Errorf("ServiceOf(an smbd whose configuration was not read) = %+v", s)
	}
}
