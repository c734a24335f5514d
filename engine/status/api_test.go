package status

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/control"
)

// apiServer serves the API of a state directory in which overload fires (a cron run at t0),
// at t0+1m, with the rules given. The request header X-Test-User plays the authenticated
// user the server package would pass.
func apiServer(t *testing.T, readOnly bool) (srv *httptest.Server, dir string, cfg *dsl.Config, now time.Time) {
	t.Helper()
	cfg = loadRules(t, failingHook(t).URL)
	dir = t.TempDir()
	v := &values{}
	v.set(80, 10)
	runOnce(t, dir, cfg, v, t0)
	now = t0.Add(time.Minute)
	h := API(APIOptions{
		StateDir: dir,
		Rules:    func() *dsl.Config { return cfg },
		ReadOnly: readOnly,
		User:     func(r *http.Request) string { return r.Header.Get("X-Test-User") },
		Now:      func() time.Time { return now },
	})
	srv = httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, dir, cfg, now
}

type answer struct {
	code int
	hdr  http.Header
	body []byte
}

func do(t *testing.T, method, url, contentType, body string, hdr ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	if ct := a.hdr.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("answer %d is not JSON: %v\n%s", a.code, err, a.body)
	}
}

// errorOf checks that a is an error answer with code and returns its message.
func (a answer) errorOf(t *testing.T, code int) string {
	t.Helper()
	var e Error
	a.decode(t, &e)
	if a.code != code || e.Error == "" {
		t.Errorf("answer %d %s, want %d with an error message", a.code, a.body, code)
	}
	return e.Error
}

// TestAPIReads: /api/v1/status is Read's Status (the document `notimon status --json`
// prints), /api/v1/rules its rules part, /api/v1/rules/NAME one rule.
func TestAPIReads(t *testing.T) {
	srv, dir, cfg, now := apiServer(t, false)

	a := do(t, "GET", srv.URL+"/api/v1/status", "", "")
	if a.code != http.StatusOK {
		t.Fatalf("GET status: %d %s", a.code, a.body)
	}
	want, err := Read(dir, cfg, now)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.Encode(want)
	if !bytes.Equal(a.body, buf.Bytes()) {
		t.Errorf("GET /api/v1/status differs from Read:\n got %s\nwant %s", a.body, buf.Bytes())
	}
	var st Status
	a.decode(t, &st)
	if !st.Firing || st.Rules[0].Name != "overload" || st.Rules[0].State != "firing" || st.Rules[0].Values["cpu.avg3"] != 80.0 {
		t.Errorf("status %+v", st)
	}

	a = do(t, "GET", srv.URL+"/api/v1/rules", "", "")
	var rules map[string]json.RawMessage
	a.decode(t, &rules)
	if a.code != 200 || len(rules) != 4 || rules["rules"] == nil || rules["counts"] == nil || rules["outbox"] != nil {
		t.Errorf("GET rules: %d %s", a.code, a.body)
	}
	var rs Rules
	a.decode(t, &rs)
	if len(rs.Rules) != 2 || rs.Counts.Firing != 1 || !rs.Firing {
		t.Errorf("GET rules: %+v", rs)
	}

	a = do(t, "GET", srv.URL+"/api/v1/rules/memory", "", "")
	var r Rule
	a.decode(t, &r)
	if a.code != 200 || r.Name != "memory" || r.State != "inactive" {
		t.Errorf("GET rules/memory: %d %s", a.code, a.body)
	}
	if msg := do(t, "GET", srv.URL+"/api/v1/rules/nosuch", "", "").errorOf(t, 404); !strings.Contains(msg, `"nosuch"`) {
		t.Errorf("unknown rule: %q", msg)
	}
	if a := do(t, "HEAD", srv.URL+"/api/v1/status", "", ""); a.code != 200 {
		t.Errorf("HEAD status: %d", a.code)
	}
	a = do(t, "PUT", srv.URL+"/api/v1/status", "application/json", "{}")
	a.errorOf(t, http.StatusMethodNotAllowed)
	if a.hdr.Get("Allow") != "GET" {
		t.Errorf("405 Allow %q", a.hdr.Get("Allow"))
	}
	if msg := do(t, "GET", srv.URL+"/api/v1/nope", "", "").errorOf(t, 404); !strings.Contains(msg, "/api/v1/status") {
		t.Errorf("unknown endpoint: %q", msg)
	}
}

// TestAPISilences adds a silence with POST, sees it on the rule and in the list (and in
// engine/control's file, which the CLI and the engine read), and expires it with DELETE.
func TestAPISilences(t *testing.T) {
	srv, dir, _, now := apiServer(t, false)

	a := do(t, "POST", srv.URL+"/api/v1/silences", "application/json",
		`{"rule": "over*", "label": ["team=web"], "for": "2h", "comment": "deploy", "by": "bob", "no_exec": true}`)
	var s Silence
	a.decode(t, &s)
	if a.code != http.StatusCreated || s.ID == "" || s.Status != "active" || s.By != "bob" || s.Comment != "deploy" || !s.NoExec ||
		!s.StartsAt.Equal(now) || !s.EndsAt.Equal(now.Add(2*time.Hour)) || strings.Join(s.Rules, ",") != "overload" {
		t.Fatalf("POST silences: %d %s", a.code, a.body)
	}
	if loc := a.hdr.Get("Location"); loc != "/api/v1/silences/"+s.ID {
		t.Errorf("Location %q", loc)
	}
	if len(s.Matchers) != 2 || s.Matchers[0] != (control.Matcher{Rule: "over*"}) || s.Matchers[1] != (control.Matcher{Label: "team", Value: "web"}) {
		t.Errorf("matchers %+v", s.Matchers)
	}
	stored, err := control.Silences(dir, now)
	if err != nil || len(stored) != 1 || stored[0].ID != s.ID {
		t.Fatalf("engine/control has %+v, %v", stored, err)
	}

	// An authenticated user is the author, whatever the body says.
	a = do(t, "POST", srv.URL+"/api/v1/silences", "application/json; charset=utf-8", `{"rule": ["memory"], "for": "30m", "by": "mallory"}`, "X-Test-User", "alice")
	var s2 Silence
	a.decode(t, &s2)
	if a.code != 201 || s2.By != "alice" || strings.Join(s2.Rules, ",") != "memory" {
		t.Errorf("POST as alice: %d %s", a.code, a.body)
	}

	var st Status
	do(t, "GET", srv.URL+"/api/v1/status", "", "").decode(t, &st)
	if over := ruleNamed(t, &st, "overload"); len(over.Silenced) != 1 || over.Silenced[0].ID != s.ID {
		t.Errorf("overload after POST: %+v", over)
	}
	var list Silences
	a = do(t, "GET", srv.URL+"/api/v1/silences", "", "")
	a.decode(t, &list)
	if len(list.Silences) != 2 || list.Silences[0].ID != s.ID || list.Silences[1].ID != s2.ID {
		t.Errorf("GET silences: %s", a.body)
	}
	var one Silence
	do(t, "GET", srv.URL+"/api/v1/silences/"+s.ID, "", "").decode(t, &one)
	if one.ID != s.ID || one.Status != "active" {
		t.Errorf("GET silences/ID: %+v", one)
	}

	if a := do(t, "HEAD", srv.URL+"/api/v1/silences/"+s.ID, "", ""); a.code != 200 {
		t.Errorf("HEAD silences/ID: %d", a.code)
	}
	if list, _ := control.Silences(dir, now); len(list) != 2 || list[0].Status(now) != "active" {
		t.Fatalf("HEAD changed the silence: %+v", list)
	}

	a = do(t, "DELETE", srv.URL+"/api/v1/silences/"+s.ID, "", "")
	var ended Silence
	a.decode(t, &ended)
	if a.code != 200 || ended.Status != "expired" || !ended.ExpiredAt.Equal(now) {
		t.Errorf("DELETE: %d %s", a.code, a.body)
	}
	var after Status
	do(t, "GET", srv.URL+"/api/v1/status", "", "").decode(t, &after)
	if over := ruleNamed(t, &after, "overload"); len(over.Silenced) != 0 {
		t.Errorf("overload after DELETE: %+v", over.Silenced)
	}
	if msg := do(t, "DELETE", srv.URL+"/api/v1/silences/"+s.ID, "", "").errorOf(t, http.StatusConflict); !strings.Contains(msg, "already ended") {
		t.Errorf("second DELETE: %q", msg)
	}
	if msg := do(t, "DELETE", srv.URL+"/api/v1/silences/0000dead", "", "").errorOf(t, 404); !strings.Contains(msg, `"0000dead"`) {
		t.Errorf("DELETE unknown: %q", msg)
	}
}

// TestAPIBadInput: each mistake is a 400 (or 415 for a body that is not JSON by its
// Content-Type) saying what is wrong, and nothing is written.
func TestAPIBadInput(t *testing.T) {
	srv, dir, _, now := apiServer(t, false)
	for _, c := range []struct {
		name, contentType, body string
		code                    int
		want                    string
	}{
		{"form post", "application/x-www-form-urlencoded", "rule=overload&for=2h", 415, "application/json"},
		{"multipart form", "multipart/form-data; boundary=x", "--x--", 415, "application/json"},
		{"text", "text/plain", `{"rule": "overload", "for": "2h"}`, 415, "application/json"},
		{"no content type", "", `{"rule": "overload", "for": "2h"}`, 415, "application/json"},
		{"broken JSON", "application/json", `{"rule": "overload", "for": }`, 400, "not valid JSON"},
		{"empty", "application/json", ``, 400, "empty"},
		{"array", "application/json", `["overload"]`, 400, "want a JSON object"},
		{"unknown field", "application/json", `{"rules": "overload", "for": "2h"}`, 400, `unknown field "rules"`},
		{"wrong type", "application/json", `{"rule": "overload", "for": 7200}`, 400, `"for"`},
		{"rule not a string", "application/json", `{"rule": 3, "for": "2h"}`, 400, "a string or a list of strings"},
		{"two values", "application/json", `{"rule": "overload", "for": "2h"} {}`, 400, "more than one"},
		{"no matcher", "application/json", `{"for": "2h"}`, 400, `at least one "rule" glob or "label"`},
		{"no for", "application/json", `{"rule": "overload"}`, 400, `needs "for"`},
		{"bad for", "application/json", `{"rule": "overload", "for": "2 hours"}`, 400, `for "2 hours"`},
		{"negative for", "application/json", `{"rule": "overload", "for": "-1h"}`, 400, `for "-1h"`},
		{"bad glob", "application/json", `{"rule": "over[", "for": "2h"}`, 400, `rule glob "over["`},
		{"bad label", "application/json", `{"label": "team", "for": "2h"}`, 400, "KEY=VALUE"},
		{"every problem", "application/json", `{"rule": "over[", "label": "team", "for": "2 hours"}`, 400, `rule glob "over[": syntax error in pattern (globs use *, ? and [a-z])
label: label "team": want KEY=VALUE, e.g. team=web
for "2 hours"`},
		{"too big", "application/json", `{"comment": "` + strings.Repeat("x", maxBody) + `"}`, 400, "larger than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := do(t, "POST", srv.URL+"/api/v1/silences", c.contentType, c.body).errorOf(t, c.code)
			if !strings.Contains(msg, c.want) {
				t.Errorf("error %q, want it to say %q", msg, c.want)
			}
		})
	}
	if list, err := control.Silences(dir, now); err != nil || len(list) != 0 {
		t.Errorf("bad requests wrote silences: %+v, %v", list, err)
	}
}

// TestAPIReadOnly: with ReadOnly, reads work and every write is refused with 403, writing
// nothing.
func TestAPIReadOnly(t *testing.T) {
	srv, dir, _, now := apiServer(t, true)
	s, err := control.AddSilence(dir, control.Silence{Matchers: []control.Matcher{{Rule: "overload"}}, EndsAt: now.Add(time.Hour)}, now)
	if err != nil {
		t.Fatal(err)
	}
	if a := do(t, "GET", srv.URL+"/api/v1/silences", "", ""); a.code != 200 || !bytes.Contains(a.body, []byte(s.ID)) {
		t.Errorf("GET silences read-only: %d %s", a.code, a.body)
	}
	if msg := do(t, "POST", srv.URL+"/api/v1/silences", "application/json", `{"rule": "memory", "for": "1h"}`).errorOf(t, 403); !strings.Contains(msg, "read_only") {
		t.Errorf("POST read-only: %q", msg)
	}
	do(t, "DELETE", srv.URL+"/api/v1/silences/"+s.ID, "", "").errorOf(t, 403)
	list, err := control.Silences(dir, now)
	if err != nil || len(list) != 1 || list[0].Status(now) != "active" {
		t.Errorf("read-only API changed the silences: %+v, %v", list, err)
	}
}

// TestAPIAck acknowledges the firing rule through the API, as `notimon ack` does: the ack is
// engine/control's, its author the authenticated user, and the rule shows no next repeat;
// a rule that is not firing, an unknown one, a form post and a read-only server are refused.
func TestAPIAck(t *testing.T) {
	srv, dir, _, now := apiServer(t, false)
	var before Rule
	do(t, "GET", srv.URL+"/api/v1/rules/overload", "", "").decode(t, &before)
	if before.NextRepeat.IsZero() {
		t.Fatalf("overload should repeat before the ack: %+v", before)
	}
	a := do(t, "POST", srv.URL+"/api/v1/rules/overload/ack", "application/json", `{"comment": "looking", "by": "mallory"}`, "X-Test-User", "alice")
	var r Rule
	a.decode(t, &r)
	if a.code != 200 || r.Ack == nil || r.Ack.By != "alice" || r.Ack.Comment != "looking" || !r.Ack.At.Equal(now) || !r.NextRepeat.IsZero() {
		t.Errorf("POST ack: %d %s", a.code, a.body)
	}
	acks, err := control.Acks(dir)
	if err != nil || acks["overload"].By != "alice" {
		t.Errorf("engine/control acks %+v, %v", acks, err)
	}
	if msg := do(t, "POST", srv.URL+"/api/v1/rules/memory/ack", "application/json", `{}`).errorOf(t, http.StatusConflict); !strings.Contains(msg, "not firing") {
		t.Errorf("ack of an inactive rule: %q", msg)
	}
	do(t, "POST", srv.URL+"/api/v1/rules/nosuch/ack", "application/json", `{}`).errorOf(t, 404)
	do(t, "POST", srv.URL+"/api/v1/rules/overload/ack", "application/x-www-form-urlencoded", `comment=x`).errorOf(t, 415)
	if msg := do(t, "POST", srv.URL+"/api/v1/rules/overload/ack", "application/json", `{"note": "x"}`).errorOf(t, 400); !strings.Contains(msg, "comment, by") {
		t.Errorf("unknown field: %q", msg)
	}
	do(t, "GET", srv.URL+"/api/v1/rules/overload/ack", "", "").errorOf(t, http.StatusMethodNotAllowed)

	ro, roDir, _, _ := apiServer(t, true)
	do(t, "POST", ro.URL+"/api/v1/rules/overload/ack", "application/json", `{}`).errorOf(t, 403)
	if acks, _ := control.Acks(roDir); len(acks) != 0 {
		t.Errorf("read-only server acked: %+v", acks)
	}
}
