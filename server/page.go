package server

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/status"
)

//go:embed page.html
var pageHTML string

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"ago":   ago,
	"until": until,
	"at":    at,
	"value": value,
}).Parse(pageHTML))

// refresh is how often the page reloads itself (meta refresh: no script).
const refresh = 15

// view is what the page template renders.
type view struct {
	Now      time.Time
	Host     string
	Refresh  int
	CSRF     string
	User     string
	ReadOnly bool
	Error    string // the failed form's error
	St       *status.Status
	Rules    []status.Rule // firing first, then pending, then the others
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "", "")
}

// render writes the page with status code (the page after a failed form has its error).
func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, formErr, _ string) {
	now := s.opts.Now()
	st, err := status.Read(s.opts.StateDir, s.rules(), now)
	if err != nil {
		s.log.Error("status page: cannot read the status", "err", err)
		http.Error(w, "500 cannot read the status: "+err.Error(), http.StatusInternalServerError)
		return
	}
	user := User(r.Context())
	v := view{
		Now: now, Host: st.Host, Refresh: refresh, CSRF: s.auth.csrfToken(user), User: user,
		ReadOnly: s.cfg.Load().ReadOnly, Error: formErr, St: st, Rules: byState(st.Rules),
	}
	if v.Host == "" {
		v.Host = hostname()
	}
	if formErr != "" {
		v.Refresh = 0 // keep the error on screen
	}
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, v); err != nil {
		s.log.Error("status page: template", "err", err)
		http.Error(w, "500 cannot render the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

// rules is the configuration running now, or nil.
func (s *Server) rules() *dsl.Config {
	if s.opts.Rules == nil {
		return nil
	}
	return s.opts.Rules()
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "?"
	}
	return h
}

// byState orders rules firing first, then pending, then the rest, each group in the
// order of the rules files.
func byState(rules []status.Rule) []status.Rule {
	out := slices.Clone(rules)
	rank := func(s string) int {
		switch s {
		case "firing":
			return 0
		case "pending":
			return 1
		}
		return 2
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i].State) < rank(out[j].State) })
	return out
}

// ago renders how long ago t was, to the second: "3m12s".
func ago(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return short(max(now.Sub(t), 0))
}

// until renders how long until t: "in 42m".
func until(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := t.Sub(now)
	if d < 0 {
		return short(-d) + " ago"
	}
	return "in " + short(d)
}

func short(d time.Duration) string {
	d = d.Round(time.Second)
	if d >= 48*time.Hour {
		days := d / (24 * time.Hour)
		return fmt.Sprintf("%dd%s", days, strings.TrimSuffix((d%(24*time.Hour)).Truncate(time.Minute).String(), "0s"))
	}
	if d >= time.Hour {
		return strings.TrimSuffix(d.Truncate(time.Minute).String(), "0s")
	}
	return d.String()
}

// at renders a time in UTC, the date only when it is not today's.
func at(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t, now = t.UTC(), now.UTC()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04:05 UTC")
	}
	return t.Format("2006-01-02 15:04 UTC")
}

// value renders a probe value as messages do: floats rounded to 2 decimals.
func value(v any) string {
	switch x := v.(type) {
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64)
	case float32:
		return value(float64(x))
	case string:
		return strconv.Quote(x)
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}
