package status

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/control"
)

// APIOptions configure the JSON API.
type APIOptions struct {
	// StateDir is the state directory read (Read) and written (engine/control).
	StateDir string
	// Rules returns the rules running now (severities, labels, repeat); nil, or a nil
	// result, shows the rules of the state alone.
	Rules func() *dsl.Config
	// ReadOnly refuses every write with 403.
	ReadOnly bool
	// User returns the authenticated user of a request ("" when there is none): it is
	// recorded as the author of what the request adds, whatever the body's "by" says.
	User func(*http.Request) string
	Now  func() time.Time // nil: time.Now
	// Logger records every write (who, what); nil: discard.
	Logger *slog.Logger
}

// maxBody bounds a request body: a silence is a few hundred bytes.
const maxBody = 64 << 10

// API serves the JSON API under /api/v1/:
//
//	GET    /api/v1/status            the Status (as `notimon status --json`)
//	GET    /api/v1/rules             the rules part: time, counts, rules
//	GET    /api/v1/rules/NAME        one rule
//	POST   /api/v1/rules/NAME/ack    acknowledge its incident: {"comment": "…"}
//	GET    /api/v1/silences          the silences (active, pending, ended in the last 24 h)
//	POST   /api/v1/silences          add one: {"rule": […], "label": ["k=v"], "for": "2h", …}
//	GET    /api/v1/silences/ID       one silence
//	DELETE /api/v1/silences/ID       expire it now
//
// Writes go through engine/control, as `notimon silence` does. Answers are JSON, errors
// {"error": "…"} with 400 (bad input), 403 (read-only), 404, 405, 409 (already ended), 415
// (a body that is not application/json: a cross-site HTML form cannot send one) or 500.
// There is no authentication here: package server puts basic auth in front.
func API(o APIOptions) http.Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	a := &api{o: o}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/status", a.only(a.status, http.MethodGet))
	mux.HandleFunc("/api/v1/rules", a.only(a.rules, http.MethodGet))
	mux.HandleFunc("/api/v1/rules/{name}", a.only(a.rule, http.MethodGet))
	mux.HandleFunc("/api/v1/rules/{name}/ack", a.only(a.ack, http.MethodPost))
	mux.HandleFunc("/api/v1/silences", a.only(a.silences, http.MethodGet, http.MethodPost))
	mux.HandleFunc("/api/v1/silences/{id}", a.only(a.silence, http.MethodGet, http.MethodDelete))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no endpoint %s; see /api/v1/status, /api/v1/rules, /api/v1/silences", r.URL.Path))
	})
	return mux
}

type api struct{ o APIOptions }

// only lets the methods through (HEAD with GET), answers 405 with Allow for the others, and
// 403 for writes when read-only.
func (a *api) only(h http.HandlerFunc, methods ...string) http.HandlerFunc {
	allow := strings.Join(methods, ", ")
	return func(w http.ResponseWriter, r *http.Request) {
		m := r.Method
		if m == http.MethodHead {
			m = http.MethodGet
		}
		ok := false
		for _, x := range methods {
			ok = ok || x == m
		}
		if !ok {
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s: this endpoint takes %s", r.Method, r.URL.Path, allow))
			return
		}
		if m != http.MethodGet && a.o.ReadOnly {
			writeError(w, http.StatusForbidden, "the server is read_only: silences and acks cannot be changed here")
			return
		}
		h(w, r)
	}
}

func (a *api) read() (*Status, error) {
	var cfg *dsl.Config
	if a.o.Rules != nil {
		cfg = a.o.Rules()
	}
	return Read(a.o.StateDir, cfg, a.o.Now())
}

func (a *api) status(w http.ResponseWriter, r *http.Request) {
	st, err := a.read()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// Rules is the answer of GET /api/v1/rules.
type Rules struct {
	Time   time.Time `json:"time"`
	Firing bool      `json:"firing"`
	Counts Counts    `json:"counts"`
	Rules  []Rule    `json:"rules"`
}

func (a *api) rules(w http.ResponseWriter, r *http.Request) {
	st, err := a.read()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, Rules{Time: st.Time, Firing: st.Firing, Counts: st.Counts, Rules: st.Rules})
}

func (a *api) rule(w http.ResponseWriter, r *http.Request) {
	st, err := a.read()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	name := r.PathValue("name")
	for _, rl := range st.Rules {
		if rl.Name == name {
			writeJSON(w, http.StatusOK, rl)
			return
		}
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("no rule %q", name))
}

// Silences is the answer of GET /api/v1/silences.
type Silences struct {
	Time     time.Time `json:"time"`
	Silences []Silence `json:"silences"`
}

func (a *api) silences(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		a.addSilence(w, r)
		return
	}
	st, err := a.read()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, Silences{Time: st.Time, Silences: st.Silences})
}

func (a *api) silence(w http.ResponseWriter, r *http.Request) {
	id := strings.ToLower(r.PathValue("id"))
	st, err := a.read()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	var found *Silence
	for i := range st.Silences {
		if st.Silences[i].ID == id {
			found = &st.Silences[i]
		}
	}
	if found == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no silence %q (silences that ended more than %g hours ago are forgotten)", id, control.Retention.Hours()))
		return
	}
	if r.Method != http.MethodDelete { // GET, HEAD
		writeJSON(w, http.StatusOK, found)
		return
	}
	if found.Status == "expired" {
		writeError(w, http.StatusConflict, fmt.Sprintf("silence %s already ended at %s", id, found.End().UTC().Format(time.RFC3339)))
		return
	}
	now := a.o.Now()
	s, err := control.ExpireSilence(a.o.StateDir, id, now)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	a.o.Logger.Info("silence expired through the API", "silence", s.ID, "user", a.user(r), "client", r.RemoteAddr)
	writeJSON(w, http.StatusOK, a.view(s, now))
}

// NewSilence is the body of POST /api/v1/silences: the flags of `notimon silence add`.
type NewSilence struct {
	// Rule are globs on rule names, Label KEY=VALUE pairs; a single string is one of
	// them. Every one must match.
	Rule  stringList `json:"rule"`
	Label stringList `json:"label"`
	// For is how long, from now: "30m", "2h", "1d".
	For     string `json:"for"`
	Comment string `json:"comment"`
	// By is who silences, used only without an authenticated user.
	By     string `json:"by"`
	NoExec bool   `json:"no_exec"`
}

// stringList decodes a JSON string or array of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New(`"rule" and "label" take a string or a list of strings`)
	}
	*l = many
	return nil
}

// decodeBody decodes a request's JSON body into v, a struct whose fields are listed in
// fields (for the message about an unknown one). It answers the error itself and returns
// false when the body is not one JSON object of those fields.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, fields string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q: send the body as application/json", r.Header.Get("Content-Type")))
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "request body: "+jsonProblem(err, fields))
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "request body: more than one JSON value")
		return false
	}
	return true
}

// NewAck is the body of POST /api/v1/rules/NAME/ack: the flags of `notimon ack`.
type NewAck struct {
	Comment string `json:"comment"`
	By      string `json:"by"` // used only without an authenticated user
}

func (a *api) ack(w http.ResponseWriter, r *http.Request) {
	var in NewAck
	if !decodeBody(w, r, &in, "comment, by") {
		return
	}
	name := r.PathValue("name")
	st, err := a.read()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	var rule *Rule
	for i := range st.Rules {
		if st.Rules[i].Name == name {
			rule = &st.Rules[i]
		}
	}
	switch {
	case rule == nil:
		writeError(w, http.StatusNotFound, fmt.Sprintf("no rule %q", name))
		return
	case rule.State != "firing":
		writeError(w, http.StatusConflict, fmt.Sprintf("rule %q is %s, not firing: only a firing rule can be acknowledged", name, rule.State))
		return
	}
	by := in.By
	if u := a.user(r); u != "" {
		by = u
	}
	ack, err := control.AckRule(a.o.StateDir, name, by, in.Comment, a.o.Now())
	if err != nil {
		// The rule stopped firing between the read and the write, or the file failed.
		writeError(w, http.StatusConflict, err.Error())
		return
	}
	a.o.Logger.Info("rule acknowledged through the API", "rule", name, "user", a.user(r), "client", r.RemoteAddr)
	if st, err = a.read(); err == nil {
		for _, rl := range st.Rules {
			if rl.Name == name {
				writeJSON(w, http.StatusOK, rl)
				return
			}
		}
	}
	writeJSON(w, http.StatusOK, Rule{Name: name, State: "firing", Ack: &Ack{By: ack.By, Comment: ack.Comment, At: ack.At}})
}

func (a *api) addSilence(w http.ResponseWriter, r *http.Request) {
	var in NewSilence
	if !decodeBody(w, r, &in, "rule, label, for, comment, by, no_exec") {
		return
	}
	now := a.o.Now().Truncate(time.Second)
	s, err := in.silence(now)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if u := a.user(r); u != "" {
		s.By = u
	}
	s, err = control.AddSilence(a.o.StateDir, s, now)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	a.o.Logger.Info("silence added through the API", "silence", s.ID, "user", a.user(r), "client", r.RemoteAddr, "describe", s.Describe())
	w.Header().Set("Location", "/api/v1/silences/"+url.PathEscape(s.ID))
	writeJSON(w, http.StatusCreated, a.view(s, now))
}

// silence checks the body as `notimon silence add` checks its flags.
func (in NewSilence) silence(now time.Time) (control.Silence, error) {
	var ms []control.Matcher
	var errs []error
	for _, g := range in.Rule {
		m := control.Matcher{Rule: g}
		if err := m.Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		ms = append(ms, m)
	}
	for _, l := range in.Label {
		m, err := control.ParseLabel(l)
		if err != nil {
			errs = append(errs, fmt.Errorf("label: %w", err))
			continue
		}
		ms = append(ms, m)
	}
	if len(ms) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New(`a silence needs at least one "rule" glob or "label" KEY=VALUE`))
	}
	var d time.Duration
	switch dd, err := dsl.ParseDuration(in.For); {
	case in.For == "":
		errs = append(errs, errors.New(`a silence needs "for": how long, e.g. "30m", "2h", "1d"`))
	case err != nil:
		errs = append(errs, fmt.Errorf("for %q: %w", in.For, err))
	case dd <= 0:
		errs = append(errs, fmt.Errorf("for %q: the duration must be positive", in.For))
	default:
		d = dd
	}
	s := control.Silence{Matchers: ms, StartsAt: now, EndsAt: now.Add(d), Comment: in.Comment, By: in.By, NoExec: in.NoExec}
	if len(errs) == 0 {
		if err := s.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return control.Silence{}, err
	}
	return s, nil
}

// view is a silence as the API shows it, with the rules it selects.
func (a *api) view(s control.Silence, now time.Time) Silence {
	v := Silence{Silence: s, Status: s.Status(now)}
	if st, err := a.read(); err == nil {
		for _, r := range st.Rules {
			if s.Matches(r.Name, r.Labels) {
				v.Rules = append(v.Rules, r.Name)
			}
		}
	}
	return v
}

func (a *api) user(r *http.Request) string {
	if a.o.User == nil {
		return ""
	}
	return a.o.User(r)
}

// jsonProblem says what is wrong with a body, in words an operator with curl understands.
func jsonProblem(err error, fields string) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return "empty; send a JSON object"
	case errors.As(err, &syn):
		return fmt.Sprintf("not valid JSON at byte %d: %v", syn.Offset, err)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("%q: want %s, got a JSON %s", typ.Field, typ.Type, typ.Value)
		}
		return fmt.Sprintf("want a JSON object, got a JSON %s", typ.Value)
	case errors.As(err, &tooBig):
		return fmt.Sprintf("larger than %d bytes", tooBig.Limit)
	}
	// Unknown fields ("json: unknown field \"rules\"") and the rest.
	return strings.TrimPrefix(err.Error(), "json: ") + "; the fields are " + fields
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// Error is the body of every error answer.
type Error struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, Error{Error: msg})
}
