package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
)

// couchServer is the Server header of the emulated CouchDB.
const couchServer = "CouchDB/3.3.3 (Erlang OTP/25)"

// couchDB emulates the CouchDB HTTP API's welcome and /_all_dbs (CouchDB
// documentation, API reference "Server"): party is the "admin party" (no
// administrator defined, everything public); otherwise require_valid_user
// is on and every request without credentials gets 401.
func couchDB(party bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", couchServer)
		if !party {
			w.Header().Set("WWW-Authenticate", `Basic realm="server"`)
			writeJSON(w, 401, map[string]string{"error": "unauthorized", "reason": "Authentication required."})
			return
		}
		switch r.URL.Path {
		case "/":
			writeJSON(w, 200, map[string]any{"couchdb": "Welcome", "version": "3.3.3", "git_sha": "40afbcfc7",
				"uuid": "6a3b0f3b8e7e4c3b9f0d0c1c1e1d1f10", "features": []string{"access-ready", "partitioned", "pluggable-storage-engines", "reshard", "scheduler"},
				"vendor": map[string]string{"name": "The Apache Software Foundation"}})
		case "/_all_dbs":
			writeJSON(w, 200, []string{"_replicator", "_users", "clinic"})
		default:
			writeJSON(w, 404, map[string]string{"error": "not_found", "reason": "Database does not exist."})
		}
	})
}

// serveCouchDB runs the CouchDB emulator, -variant party or secure.
func serveCouchDB(ctx context.Context, log *slog.Logger, variant, addr string) error {
	if variant != "party" && variant != "secure" {
		return fmt.Errorf("couchdb: -variant must be party or secure, not %q", variant)
	}
	return serveHTTPAPI(ctx, log, addr, false, "", "", couchDB(variant == "party"))
}
