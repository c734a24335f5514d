package server

import (
	"context"
	"net"
	"net/http"
	"strings"
)

type userKey struct{}

// User is the authenticated user of a request ("" without authentication): the API's
// handler records it as the author of a silence or an ack.
func User(ctx context.Context) string {
	u, _ := ctx.Value(userKey{}).(string)
	return u
}

func (s *Server) routes() http.Handler {
	open := http.NewServeMux()
	open.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("OK\n"))
	})
	open.HandleFunc("GET /-/ready", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !s.ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("not ready: the first tick has not run yet\n"))
			return
		}
		w.Write([]byte("OK\n"))
	})

	authed := http.NewServeMux()
	authed.HandleFunc("GET /{$}", s.page)
	authed.HandleFunc("POST /actions/silence", s.form(s.addSilence))
	authed.HandleFunc("POST /actions/expire", s.form(s.expireSilence))
	authed.HandleFunc("POST /actions/ack", s.form(s.ack))
	authed.Handle("/api/v1/", s.api())
	authed.Handle("/metrics", orNotFound(s.opts.Metrics))
	private := s.authenticate(authed)
	// Only the exact health paths are open: anything else (an unclean path the mux would
	// redirect, a 404) asks for credentials first.
	all := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/-/healthy" || r.URL.Path == "/-/ready" {
			open.ServeHTTP(w, r)
			return
		}
		private.ServeHTTP(w, r)
	})

	// Browsers' cross-site writes (a form on another site posting here with the user's
	// basic-auth credentials) are refused by Sec-Fetch-Site/Origin, on the API too; the
	// page's forms also carry a CSRF token.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("cross-origin request refused", "method", r.Method, "path", cut(r.URL.Path, 128), "client", clientIP(r), "origin", cut(r.Header.Get("Origin"), 128))
		http.Error(w, "403 cross-origin request refused", http.StatusForbidden)
	}))
	return headers(cop.Handler(all))
}

// authenticate lets a request through with its user in the context, or answers 401/429.
func (s *Server) authenticate(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.auth.enabled() && !literalHost(r.Host) {
			// Without credentials, a name the server does not know could be a DNS
			// rebinding: another site's name resolved to 127.0.0.1 in the user's browser,
			// which would then let that site read the page and post its forms.
			s.log.Warn("request refused: Host is a name, and the server has no htpasswd_file", "host", cut(r.Host, 128), "client", clientIP(r))
			http.Error(w, "403 without htpasswd_file, address this server by IP address or as localhost (Host header)", http.StatusForbidden)
			return
		}
		user, ok := s.auth.check(w, r)
		if !ok {
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, user)))
	})
}

// literalHost reports whether host (a Host header, with or without a port) is an IP
// address or localhost.
func literalHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.EqualFold(host, "localhost") || net.ParseIP(host) != nil
}

// api serves engine/status's handler; with read_only, only reads reach it (the handler
// refuses writes itself too, but read_only may change at a reload after it was built).
func (s *Server) api() http.Handler {
	h := orNotFound(s.opts.API)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Load().ReadOnly && r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "403 the server is read_only", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func orNotFound(h http.Handler) http.Handler {
	if h == nil {
		return http.NotFoundHandler()
	}
	return h
}

// headers sets what every answer carries: no caching (status and credentials change), no
// framing, no sniffing, and a policy allowing no scripts at all.
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.ServeHTTP(w, r)
	})
}
