package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
)

// The Kubernetes API server and kubelet emulators answer the few requests
// the Kubernetes API reference documents for discovery and listing, with
// made-up objects: no cluster is behind them.

// k8sVersion is the /version answer of the emulated API server.
var k8sVersion = map[string]string{"major": "1", "minor": "28", "gitVersion": "v1.28.2",
	"gitCommit": "89a4ea3e1e4ddd7f7572286090359983e0387b2f", "gitTreeState": "clean", "goVersion": "go1.20.8",
	"compiler": "gc", "platform": "linux/amd64"}

// k8sForbidden is the Status an API server answers an anonymous client
// its RBAC refuses.
func k8sForbidden(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 403, map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{}, "status": "Failure",
		"message": fmt.Sprintf("forbidden: User \"system:anonymous\" cannot get path %q", r.URL.Path), "reason": "Forbidden", "details": map[string]any{}, "code": 403})
}

// k8sAPI is the API server: open lets anonymous clients list namespaces
// and nodes (RBAC granting system:anonymous too much, or the old insecure
// port); otherwise only /version, /healthz and discovery are public.
func k8sAPI(open bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, k8sVersion) })
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if !open {
			k8sForbidden(w, r)
			return
		}
		writeJSON(w, 200, map[string]any{"paths": []string{"/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz", "/version"}})
	})
	mux.HandleFunc("GET /api/v1/namespaces", func(w http.ResponseWriter, r *http.Request) {
		if !open {
			k8sForbidden(w, r)
			return
		}
		writeJSON(w, 200, list("NamespaceList", "default", "kube-system", "kube-public", "clinic"))
	})
	mux.HandleFunc("GET /api/v1/nodes", func(w http.ResponseWriter, r *http.Request) {
		if !open {
			k8sForbidden(w, r)
			return
		}
		writeJSON(w, 200, list("NodeList", "node-1"))
	})
	mux.HandleFunc("/", k8sForbidden)
	return mux
}

// kubelet is the kubelet's API: open answers /pods and /metrics to anyone
// (anonymous authentication with AlwaysAllow, or the read-only port);
// otherwise every path answers 401 Unauthorized, as a kubelet with
// anonymous authentication off does.
func kubelet(open bool) http.Handler {
	mux := http.NewServeMux()
	if !open {
		mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(401)
			_, _ = w.Write([]byte("Unauthorized"))
		})
		return mux
	}
	mux.HandleFunc("GET /pods", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, list("PodList", "clinic-web-7d9f", "clinic-db-0"))
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = w.Write([]byte("# HELP kubelet_running_pods [ALPHA] Number of pods that have a running pod sandbox\n# TYPE kubelet_running_pods gauge\nkubelet_running_pods 2\n" +
			"# HELP kubelet_running_containers [ALPHA] Number of containers currently running\n# TYPE kubelet_running_containers gauge\nkubelet_running_containers{container_state=\"running\"} 3\n"))
	})
	return mux
}

// serveK8s runs the API server (mode k8s-api) or kubelet emulator, open or
// secure (-variant), inside TLS when -tls (with certFile and keyFile when
// given).
func serveK8s(ctx context.Context, log *slog.Logger, mode, variant, addr string, overTLS bool, certFile, keyFile string) error {
	open := variant == "open"
	if !open && variant != "secure" {
		return fmt.Errorf("%s: -variant must be open or secure, not %q", mode, variant)
	}
	h := k8sAPI(open)
	if mode == "kubelet" {
		h = kubelet(open)
	}
	return serveHTTPAPI(ctx, log, addr, overTLS, certFile, keyFile, h)
}
