package main

import (
	"context"
	"log/slog"
	"net/http"
)

// rabbitMgmt emulates RabbitMQ's management plugin as a broker whose guest
// user may log in remotely (loopback_users = none): the UI page at / and
// GET /api/overview (RabbitMQ management HTTP API reference).
func rabbitMgmt() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<!DOCTYPE html>\n<html>\n  <head>\n    <title>RabbitMQ Management</title>\n  </head>\n  <body><div id=\"outer\"></div></body>\n</html>\n"))
	})
	mux.HandleFunc("GET /api/overview", func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "guest" || p != "guest" {
			w.Header().Set("WWW-Authenticate", `Basic realm="RabbitMQ Management"`)
			writeJSON(w, 401, map[string]string{"error": "not_authorized", "reason": "Not_Authorized"})
			return
		}
		writeJSON(w, 200, map[string]any{"management_version": "3.10.8", "rabbitmq_version": "3.10.8", "erlang_version": "25.2.3",
			"cluster_name": "rabbit@lab", "node": "rabbit@lab"})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 404, map[string]string{"error": "Object Not Found", "reason": "Not Found"})
	})
	return mux
}

// serveRabbitMgmt runs the RabbitMQ management emulator.
func serveRabbitMgmt(ctx context.Context, log *slog.Logger, addr string) error {
	return serveHTTPAPI(ctx, log, addr, false, "", "", rabbitMgmt())
}
