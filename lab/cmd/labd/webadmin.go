package main

// web-admin plays web administration consoles that Debian does not ship as
// light servers, from their documented HTTP behaviour, for vigil's
// http.admin.exposed check:
//
//   - jenkins: Jenkins 2.426.1 on Jetty: every answer carries X-Jenkins
//     and X-Hudson (as Jenkins documents for remote API clients); "/"
//     answers 403 to anonymous users with a redirect page to /login, and
//     /login is the "Sign in [Jenkins]" form;
//   - grafana: Grafana 10.2.3: "/" redirects to /login, a page titled
//     Grafana carrying window.grafanaBootData; GET /api/health answers
//     {"commit", "database": "ok", "version"} as Grafana's HTTP API
//     documents;
//   - tomcat: Apache Tomcat 10.1.6 with its ROOT webapp (the "you've
//     successfully installed Tomcat" page) and the manager: /manager/html
//     answers 401 with WWW-Authenticate: Basic realm="Tomcat Manager
//     Application";
//   - tomcat-hard: the same Tomcat whose manager is limited to localhost
//     by its RemoteAddrValve: /manager/html answers 403 Access Denied with
//     no challenge, and "/" serves an application page;
//   - phpmyadmin: phpMyAdmin 5.2.1 under Apache at /phpmyadmin/: its login
//     page (pma_username, pma_password, assets with ?v=5.2.1).
//
// None logs anyone in or stores anything: every POST is refused.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// webAdminProducts are the consoles web-admin plays, by -product.
var webAdminProducts = map[string]http.HandlerFunc{
	"jenkins":     jenkins,
	"grafana":     grafana,
	"tomcat":      tomcat(false),
	"tomcat-hard": tomcat(true),
	"phpmyadmin":  phpMyAdmin,
}

func serveWebAdmin(ctx context.Context, log *slog.Logger, product, addr string) error {
	h, ok := webAdminProducts[product]
	if !ok {
		return fmt.Errorf("web-admin: unknown -product %q (jenkins, grafana, tomcat, tomcat-hard, phpmyadmin)", product)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, MaxHeaderBytes: 16 << 10, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	stop := context.AfterFunc(ctx, func() { _ = srv.Close() })
	defer stop()
	log.Info("listening", "product", product)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func html(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/html;charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func jenkins(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "Jetty(10.0.18)")
	w.Header().Set("X-Jenkins", "2.426.1")
	w.Header().Set("X-Hudson", "1.395")
	w.Header().Set("X-Jenkins-Session", "6a1f0c2e")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	switch r.URL.Path {
	case "/login":
		html(w, http.StatusOK, `<!DOCTYPE html><html><head><title>Sign in [Jenkins]</title></head><body><form method="post" name="login" action="j_spring_security_check">`+
			`<input name="j_username" id="j_username" type="text"><input name="j_password" id="j_password" type="password"><button type="submit">Sign in</button></form></body></html>`)
	default:
		w.Header().Set("X-You-Are-Authenticated-As", "anonymous")
		w.Header().Set("X-Required-Permission", "hudson.model.Hudson.Read")
		html(w, http.StatusForbidden, `<html><head><meta http-equiv='refresh' content='1;url=/login?from=%2F'/><script>window.location.replace('/login?from=%2F');</script></head><body style='background-color:white; color:white;'>Authentication required</body></html>`)
	}
}

func grafana(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Frame-Options", "deny")
	switch r.URL.Path {
	case "/":
		http.Redirect(w, r, "/login", http.StatusFound)
	case "/login":
		html(w, http.StatusOK, `<!DOCTYPE html><html lang="en-US"><head><meta charset="utf-8"><title>Grafana</title><base href="/" /></head>`+
			`<body class="theme-dark app-grafana"><div id="reactRoot"></div><script nonce="">window.grafanaBootData = {"settings":{"buildInfo":{"version":"10.2.3"}}};</script></body></html>`)
	case "/api/health":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{\n  \"commit\": \"1e84fede543acc892d2a2515187e545eb047f237\",\n  \"database\": \"ok\",\n  \"version\": \"10.2.3\"\n}")
	default:
		html(w, http.StatusNotFound, `<!DOCTYPE html><html><head><title>Grafana</title></head><body>Page not found</body></html>`)
	}
}

func tomcatError(w http.ResponseWriter, status int, title string) {
	html(w, status, fmt.Sprintf(`<!doctype html><html lang="en"><head><title>HTTP Status %d – %s</title></head><body><h1>HTTP Status %d – %s</h1><hr class="line" /><h3>Apache Tomcat/10.1.6</h3></body></html>`, status, title, status, title))
}

func tomcat(hard bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			tomcatError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
			return
		}
		switch {
		case r.URL.Path == "/" && hard:
			html(w, http.StatusOK, `<!DOCTYPE html><html><head><title>Appointments</title></head><body><h1>Appointments</h1></body></html>`)
		case r.URL.Path == "/":
			html(w, http.StatusOK, `<!DOCTYPE html><html lang="en"><head><title>Apache Tomcat/10.1.6</title></head><body><div id="congrats" class="curved container">`+
				`<h2>If you're seeing this, you've successfully installed Tomcat. Congratulations!</h2></div></body></html>`)
		case strings.HasPrefix(r.URL.Path, "/manager/") && hard:
			html(w, http.StatusForbidden, `<!doctype html><html lang="en"><head><title>403 Access Denied</title></head><body><h1>403 Access Denied</h1>`+
				`<p>You are not authorized to view this page.</p><p>By default the Manager is only accessible from a browser running on the same machine as Tomcat.</p></body></html>`)
		case strings.HasPrefix(r.URL.Path, "/manager/"):
			w.Header().Set("WWW-Authenticate", `Basic realm="Tomcat Manager Application"`)
			html(w, http.StatusUnauthorized, `<!doctype html><html lang="en"><head><title>401 Unauthorized</title></head><body><h1>401 Unauthorized</h1>`+
				`<p>You are not authorized to view this page. If you have not changed any configuration files, please examine the file <tt>conf/tomcat-users.xml</tt> in your installation.</p></body></html>`)
		default:
			tomcatError(w, http.StatusNotFound, "Not Found")
		}
	}
}

func phpMyAdmin(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "Apache/2.4.57 (Debian)")
	switch r.URL.Path {
	case "/phpmyadmin":
		http.Redirect(w, r, "/phpmyadmin/", http.StatusMovedPermanently)
	case "/phpmyadmin/", "/phpmyadmin/index.php":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			html(w, http.StatusForbidden, "<html><body>Forbidden</body></html>")
			return
		}
		w.Header().Set("X-Frame-Options", "DENY")
		html(w, http.StatusOK, `<!DOCTYPE HTML><html lang="en" dir="ltr"><head><meta charset="utf-8"><title>phpMyAdmin</title>`+
			`<link rel="stylesheet" type="text/css" href="./themes/pmahomme/jquery/jquery-ui.css"><link rel="stylesheet" type="text/css" href="js/vendor/codemirror/lib/codemirror.css?v=5.2.1">`+
			`<script src="js/vendor/jquery/jquery.min.js?v=5.2.1"></script></head><body id="loginform"><form method="post" id="login_form" action="index.php?route=/" name="login_form" class="disableAjax hide js-show">`+
			`<input type="text" name="pma_username" id="input_username" value="" class="form-control" autocomplete="username" spellcheck="false">`+
			`<input type="password" name="pma_password" id="input_password" value="" class="form-control" autocomplete="current-password" spellcheck="false">`+
			`<input class="btn btn-primary" value="Log in" type="submit" id="input_go"></form></body></html>`)
	case "/":
		html(w, http.StatusOK, `<!DOCTYPE html><html><head><title>Practice intranet</title></head><body><h1>Practice intranet</h1></body></html>`)
	default:
		html(w, http.StatusNotFound, `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN"><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>`)
	}
}
