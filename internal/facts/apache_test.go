package facts

import (
	"net/netip"
	"slices"
	"testing"
)

func TestApacheServersFor(t *testing.T) {
	c := ApacheConfig{Servers: []ApacheServer{
		{},
		{VirtualHost: []string{"*:80"}},
		{VirtualHost: []string{"10.0.0.5:80"}},
		{VirtualHost: []string{"_default_:443", "[::1]:443"}},
		{VirtualHost: []string{"10.0.0.6"}},
		{VirtualHost: []string{"*:80"}},
		{VirtualHost: []string{"web.example.org:8080"}},
	}}
	tests := []struct {
		addr string
		port int
		want []int
	}{
		{"10.0.0.5", 80, []int{2}},
		{"10.0.0.7", 80, []int{1, 5}},
		{"::1", 443, []int{3}},
		{"10.0.0.6", 8443, []int{4}},
		{"10.0.0.7", 8080, []int{0}},
		{"", 80, []int{1, 5}},
	}
	for _, tt := range tests {
		a, _ := netip.ParseAddr(tt.addr)
		if got := c.ServersFor(a, tt.port); !slices.Equal(got, tt.want) {
			t.Errorf("ServersFor(%s, %d) = %v, want %v", tt.addr, tt.port, got, tt.want)
		}
	}
}

func TestServiceOfApache(t *testing.T) {
	h := &HostAudit{Apache: []ApacheConfig{{PID: 42}}}
	if s := h.ServiceOf(Listener{Transport: TCP, Port: 80, PID: 42}); s == nil || s.Name != "http" || s.Product != "Apache httpd" {
		t.Errorf("ServiceOf the httpd's listener = %+v", s)
	}
	if s := h.ServiceOf(Listener{Transport: TCP, Port: 80, PID: 43}); s != nil {
		t.Errorf("ServiceOf another process's listener = %+v", s)
	}
}
