package control_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notimon/notimon/engine/control"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func silence(d time.Duration, ms ...control.Matcher) control.Silence {
	return control.Silence{Matchers: ms, EndsAt: t0.Add(d), Comment: "deploy", By: "alice"}
}

func TestAddListExpire(t *testing.T) {
	dir := t.TempDir()
	s, err := control.AddSilence(dir, silence(time.Hour, control.Matcher{Rule: "web*"}), t0)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}$`).MatchString(s.ID) {
		t.Fatalf("id %q: want 8 hex digits", s.ID)
	}
	if !s.StartsAt.Equal(t0) {
		t.Fatalf("starts_at %s, want now", s.StartsAt)
	}
	list, err := control.Silences(dir, t0.Add(time.Minute))
	if err != nil || len(list) != 1 || list[0].ID != s.ID || list[0].Status(t0.Add(time.Minute)) != "active" {
		t.Fatalf("Silences = %+v, %v", list, err)
	}
	if !list[0].Matches("web_down", nil) || list[0].Matches("db_down", nil) {
		t.Fatal("glob web* should match web_down only")
	}
	got, err := control.ExpireSilence(dir, strings.ToUpper(s.ID), t0.Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got.Active(t0.Add(10*time.Minute)) || !got.Active(t0.Add(9*time.Minute)) {
		t.Fatalf("expired silence %+v: active at the wrong times", got)
	}
	if _, err := control.ExpireSilence(dir, s.ID, t0.Add(11*time.Minute)); err == nil || !strings.Contains(err.Error(), "already ended at 2026-03-01T12:10:00Z") {
		t.Fatalf("second expire: %v", err)
	}
	// Listed while recently expired, pruned after Retention.
	if list, _ := control.Silences(dir, t0.Add(10*time.Minute+control.Retention)); len(list) != 1 || list[0].Status(t0.Add(11*time.Minute)) != "expired" {
		t.Fatalf("recently expired silence not listed: %+v", list)
	}
	if list, _ := control.Silences(dir, t0.Add(10*time.Minute+control.Retention+time.Second)); len(list) != 0 {
		t.Fatalf("old silence still listed: %+v", list)
	}
	// A write prunes it from the file.
	if _, err := control.AddSilence(dir, control.Silence{Matchers: []control.Matcher{{Rule: "x"}}, EndsAt: t0.Add(48 * time.Hour)}, t0.Add(47*time.Hour)); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "silences.json"))
	if strings.Contains(string(data), s.ID) {
		t.Fatalf("pruned silence still in the file:\n%s", data)
	}
}

func TestValidation(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		s    control.Silence
		want string
	}{
		{"no matcher", silence(time.Hour), "no matcher"},
		{"bad glob", silence(time.Hour, control.Matcher{Rule: "web["}), `rule glob "web[": syntax error in pattern`},
		{"label with space", silence(time.Hour, control.Matcher{Label: "te am", Value: "x"}), `label "te am"`},
		{"value without label", silence(time.Hour, control.Matcher{Value: "x"}), "without a label name"},
		{"zero duration", silence(0, control.Matcher{Rule: "x"}), "duration 0s is not positive"},
		{"negative duration", silence(-time.Minute, control.Matcher{Rule: "x"}), "duration -1m0s is not positive"},
		{"both", silence(time.Hour, control.Matcher{Rule: "x", Label: "a", Value: "b"}), "not both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := control.AddSilence(dir, tc.s, t0)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "silences.json")); !os.IsNotExist(err) {
		t.Fatalf("invalid silences were written: %v", err)
	}
	if _, err := control.ParseLabel("team"); err == nil || !strings.Contains(err.Error(), "want KEY=VALUE") {
		t.Fatalf("ParseLabel(team) = %v", err)
	}
	if m, err := control.ParseLabel("team=web=1"); err != nil || m.Label != "team" || m.Value != "web=1" {
		t.Fatalf("ParseLabel = %+v, %v", m, err)
	}
	if _, err := control.ExpireSilence(dir, "deadbeef", t0); err == nil || !strings.Contains(err.Error(), `no silence "deadbeef"`) {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestLabelMatchers(t *testing.T) {
	s := silence(time.Hour, control.Matcher{Label: "team", Value: "web"}, control.Matcher{Rule: "*_down"})
	s.StartsAt = t0
	for _, tc := range []struct {
		rule   string
		labels map[string]string
		want   bool
	}{
		{"site_down", map[string]string{"team": "web"}, true},
		{"site_down", map[string]string{"team": "db"}, false},
		{"site_down", nil, false},
		{"overload", map[string]string{"team": "web"}, false},
		{"web/api_down", map[string]string{"team": "web"}, true}, // * spans '/': a rule name is no path
	} {
		if got := s.Matches(tc.rule, tc.labels); got != tc.want {
			t.Errorf("Matches(%s, %v) = %v, want %v", tc.rule, tc.labels, got, tc.want)
		}
	}
	if s.Active(t0.Add(-time.Second)) || !s.Active(t0) || s.Active(t0.Add(time.Hour)) {
		t.Error("Active: want [starts_at, ends_at)")
	}
}

func writeState(t *testing.T, dir, doc string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "state.json"), []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestAck(t *testing.T) {
	dir := t.TempDir()
	if _, err := control.AckRule(dir, "web", "bob", "", t0); err == nil || !strings.Contains(err.Error(), "no state in") {
		t.Fatalf("ack without state: %v", err)
	}
	writeState(t, dir, `{"version":1,"rules":{
		"web":{"state":"firing","since":"2026-03-01T11:00:00Z","firing_since":"2026-03-01T11:00:00Z"},
		"db":{"state":"inactive","since":"2026-03-01T10:00:00Z"}}}`)
	if _, err := control.AckRule(dir, "db", "bob", "", t0); err == nil || !strings.Contains(err.Error(), "not firing (inactive since 2026-03-01T10:00:00Z)") {
		t.Fatalf("ack of an inactive rule: %v", err)
	}
	if _, err := control.AckRule(dir, "nope", "bob", "", t0); err == nil || !strings.Contains(err.Error(), `no rule "nope"`) || !strings.Contains(err.Error(), "rules: db, web") {
		t.Fatalf("ack of an unknown rule: %v", err)
	}
	a, err := control.AckRule(dir, "web", "bob", "looking", t0)
	if err != nil {
		t.Fatal(err)
	}
	if !a.FiringSince.Equal(t0.Add(-time.Hour)) || a.By != "bob" || a.Comment != "looking" {
		t.Fatalf("ack = %+v", a)
	}
	acks, err := control.Acks(dir)
	if err != nil || acks["web"] != a {
		t.Fatalf("Acks = %+v, %v", acks, err)
	}
	set := control.Set{Acks: acks}
	if _, ok := set.Ack("web", t0.Add(-time.Hour)); !ok {
		t.Fatal("ack of the current incident not found")
	}
	if _, ok := set.Ack("web", t0.Add(time.Hour)); ok {
		t.Fatal("ack carried over to a later incident")
	}
	// Clearing another incident's ack does nothing; clearing its own removes it.
	if err := control.ClearAck(dir, "web", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if acks, _ := control.Acks(dir); len(acks) != 1 {
		t.Fatalf("ack of another incident cleared: %+v", acks)
	}
	if err := control.ClearAck(dir, "web", t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if acks, _ := control.Acks(dir); len(acks) != 0 {
		t.Fatalf("ack not cleared: %+v", acks)
	}
}

func TestReaderSeesChanges(t *testing.T) {
	dir := t.TempDir()
	r := control.NewReader(dir)
	set, err := r.Read(t0)
	if err != nil || len(set.Silences) != 0 || len(set.Acks) != 0 {
		t.Fatalf("empty dir: %+v, %v", set, err)
	}
	s, err := control.AddSilence(dir, silence(time.Hour, control.Matcher{Rule: "web"}), t0)
	if err != nil {
		t.Fatal(err)
	}
	set, err = r.Read(t0)
	if err != nil || len(set.Silencing("web", nil, t0)) != 1 {
		t.Fatalf("after add: %+v, %v", set, err)
	}
	if _, err := control.ExpireSilence(dir, s.ID, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	set, _ = r.Read(t0.Add(time.Minute))
	if len(set.Silencing("web", nil, t0.Add(time.Minute))) != 0 || len(set.Silences) != 1 {
		t.Fatalf("after expire: %+v", set)
	}
	// A broken file is an error naming it; the last good silences stay in force.
	if err := os.WriteFile(filepath.Join(dir, "silences.json"), []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err = r.Read(t0)
	if err == nil || !strings.Contains(err.Error(), "silences.json is unusable") || len(set.Silences) != 1 {
		t.Fatalf("broken file: %+v, %v", set, err)
	}
	if _, err := control.AddSilence(dir, silence(time.Hour, control.Matcher{Rule: "web"}), t0); err == nil || !strings.Contains(err.Error(), "silences.json is unusable") {
		t.Fatalf("add over a broken file: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, "silences.json")); err != nil {
		t.Fatal(err)
	}
	if set, err = r.Read(t0); err != nil || len(set.Silences) != 0 {
		t.Fatalf("removed file: %+v, %v", set, err)
	}
}

// Writers in parallel (each with its own descriptor, as separate processes have) lose no
// silence: the control lock serialises their read-modify-write.
func TestConcurrentAdds(t *testing.T) {
	dir := t.TempDir()
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := control.AddSilence(dir, silence(time.Hour, control.Matcher{Rule: fmt.Sprintf("r%d", i)}), t0)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	list, err := control.Silences(dir, t0)
	if err != nil || len(list) != n {
		t.Fatalf("%d silences, want %d (%v)", len(list), n, err)
	}
	ids := map[string]bool{}
	for _, s := range list {
		ids[s.ID] = true
	}
	if len(ids) != n {
		t.Fatalf("duplicate ids: %v", ids)
	}
	if parts, _ := filepath.Glob(filepath.Join(dir, ".*part-*")); len(parts) != 0 {
		t.Fatalf("temp files left: %v", parts)
	}
}
