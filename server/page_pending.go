//go:build !statuspage

package server

import (
	"html"
	"net/http"
)

// Temporary until engine/status lands (branch i15-status): the page's model.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "", "")
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, formErr, _ string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write([]byte("<!DOCTYPE html><title>notimon</title><p>status page pending</p><form method=post action=/actions/silence><input type=hidden name=csrf value=\"" + s.auth.csrfToken(User(r.Context())) + "\"></form>" + html.EscapeString(formErr)))
}
