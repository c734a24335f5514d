package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/control"
)

// maxForm bounds a form's body: a glob, a duration and a comment.
const maxForm = 64 << 10

// errBadRequest marks a form mistake (400) as opposed to a failure to write (500).
var errBadRequest = errors.New("bad request")

// form wraps the handler of one of the page's forms: refused when read_only (403), without
// the CSRF token of the logged-in user or from another origin (403); on success it
// redirects back to the page (303), on a mistake it shows the page with the error.
func (s *Server) form(do func(r *http.Request, user string) (string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Load().ReadOnly {
			http.Error(w, "403 the server is read_only", http.StatusForbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "400 unreadable form", http.StatusBadRequest)
			return
		}
		user := User(r.Context())
		if !s.auth.csrfValid(user, r.PostForm.Get("csrf")) {
			s.log.Warn("form refused: missing or wrong CSRF token", "path", r.URL.Path, "user", cut(user, 64), "client", clientIP(r))
			http.Error(w, "403 missing or wrong CSRF token: reload the page and try again", http.StatusForbidden)
			return
		}
		if err := sameOrigin(r); err != nil {
			s.log.Warn("form refused", "path", r.URL.Path, "user", cut(user, 64), "client", clientIP(r), "err", err)
			http.Error(w, "403 "+err.Error(), http.StatusForbidden)
			return
		}
		done, err := do(r, user)
		if err != nil {
			code := http.StatusInternalServerError
			if errors.Is(err, errBadRequest) {
				code = http.StatusBadRequest
			} else {
				s.log.Error("form failed", "path", r.URL.Path, "err", err)
			}
			s.render(w, r, code, strings.TrimSuffix(err.Error(), ": "+errBadRequest.Error()), "")
			return
		}
		s.log.Info(done, "user", cut(user, 64), "client", clientIP(r))
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}
}

// sameOrigin checks the Origin header, or else the Referer, against the request's host: a
// browser sends one of them with a form.
func sameOrigin(r *http.Request) error {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return fmt.Errorf("origin %q is not this server", cut(o, 128))
		}
		return nil
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		u, err := url.Parse(ref)
		if err != nil || u.Host != r.Host {
			return fmt.Errorf("referer is not this server")
		}
	}
	return nil
}

func bad(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, errBadRequest)...)
}

// by is who a silence or an ack is recorded as made by.
func by(user string) string {
	if user == "" {
		return "web"
	}
	return user
}

func (s *Server) addSilence(r *http.Request, user string) (string, error) {
	glob := strings.TrimSpace(r.PostForm.Get("rule"))
	if glob == "" {
		return "", bad("silence: give a rule name or glob (e.g. web_* or *)")
	}
	d, err := dsl.ParseDuration(strings.TrimSpace(r.PostForm.Get("duration")))
	if err != nil || d <= 0 {
		return "", bad("silence: duration %q: give a positive duration such as 30m, 2h or 1d", cut(r.PostForm.Get("duration"), 32))
	}
	now := s.opts.Now()
	sil, err := control.AddSilence(s.opts.StateDir, control.Silence{
		Matchers: []control.Matcher{{Rule: glob}},
		StartsAt: now,
		EndsAt:   now.Add(d),
		Comment:  strings.TrimSpace(r.PostForm.Get("comment")),
		By:       by(user),
	}, now)
	if err != nil {
		return "", bad("%v", err)
	}
	return "silence added from the page: " + sil.Describe(), nil
}

func (s *Server) expireSilence(r *http.Request, user string) (string, error) {
	id := strings.TrimSpace(r.PostForm.Get("id"))
	if id == "" {
		return "", bad("expire: no silence id")
	}
	sil, err := control.ExpireSilence(s.opts.StateDir, id, s.opts.Now())
	if err != nil {
		return "", bad("%v", err)
	}
	return "silence expired from the page: " + sil.Describe(), nil
}

func (s *Server) ack(r *http.Request, user string) (string, error) {
	rule := strings.TrimSpace(r.PostForm.Get("rule"))
	a, err := control.AckRule(s.opts.StateDir, rule, by(user), strings.TrimSpace(r.PostForm.Get("comment")), s.opts.Now())
	if err != nil {
		return "", bad("%v", err)
	}
	return "rule acknowledged from the page: " + a.Rule + " " + a.Describe(), nil
}
