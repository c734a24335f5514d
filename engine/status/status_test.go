package status

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
	"github.com/notimon/notimon/engine/control"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
	"github.com/notimon/notimon/probes/mem"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// clock is a fake clock that wait steps advance at once.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}
func (c *clock) SleepUntil(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	c.mu.Unlock()
	return ctx.Err()
}

// values is what the fake sampler returns; tests change it between ticks.
type values struct {
	mu       sync.Mutex
	cpu, mem float64
}

func (v *values) set(cpu, mem float64) { v.mu.Lock(); v.cpu, v.mem = cpu, mem; v.mu.Unlock() }
func (v *values) sampler() probes.Sampler {
	return probes.SamplerFunc(func(_ context.Context, now time.Time, _ []probes.Ref) *probes.Snapshot {
		v.mu.Lock()
		defer v.mu.Unlock()
		return &probes.Snapshot{Time: now, CPU: cpu.Values{Avg3: v.cpu}, Mem: mem.Values{RealPct: v.mem}}
	})
}

const rulesText = `
settings { host = "web-01" }
notifier "webhook" "hook" { url = "%URL%/secret-path" }
notifier "console" "ops" {}

rule "overload" {
  when     = "cpu.avg3 > 50"
  repeat   = "1h"
  severity = "critical"
  labels   = { team = "web" }
  notify "hook" { message = "cpu {{ cpu.avg3 }}" }
}

rule "memory" {
  when = "mem.real_pct > 90"
  for  = "5m"
  notify "ops" { message = "memory {{ mem.real_pct }}" }
}
`

// loadRules writes rulesText with url into a rules directory and loads it.
func loadRules(t *testing.T, url string) *dsl.Config {
	t.Helper()
	return loadText(t, strings.ReplaceAll(rulesText, "%URL%", url))
}

// loadText loads the rules text.
func loadText(t *testing.T, text string) *dsl.Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.hcl"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, diags := dsl.Load([]string{dir}, dsl.Options{})
	if diags.HasErrors() {
		t.Fatalf("rules: %v", diags)
	}
	return cfg
}

// failingHook is a webhook endpoint that answers 500.
func failingHook(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		http.Error(w, "database is down", http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// runOnce is one `run --once` at now with the engine and store of a real run.
func runOnce(t *testing.T, dir string, cfg *dsl.Config, v *values, now time.Time) {
	t.Helper()
	clk := &clock{now: now}
	st, err := store.Open(dir, store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := engine.New(cfg, engine.Options{Sampler: v.sampler(), Store: st, Now: clk.Now, SleepUntil: clk.SleepUntil, Stdout: io.Discard})
	defer e.Stop()
	if err := e.Restore(); err != nil {
		t.Fatal(err)
	}
	e.RunOnce(context.Background(), now)
}

func ruleNamed(t *testing.T, st *Status, name string) Rule {
	t.Helper()
	for _, r := range st.Rules {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no rule %q in status: %+v", name, st.Rules)
	return Rule{}
}

// TestReadAfterCronRuns reads the state directory two cron runs left: rules with their
// state, since, severity, labels, last values and next repeat; the outbox holding the
// message the webhook refused, with its age and error (secret URL hidden); the transitions.
func TestReadAfterCronRuns(t *testing.T) {
	hook := failingHook(t)
	cfg := loadRules(t, hook.URL)
	dir := t.TempDir()
	v := &values{}

	st, err := Read(dir, cfg, t0)
	if err != nil {
		t.Fatal(err)
	}
	if st.StateFound || st.Firing || len(st.Rules) != 2 || st.Rules[0].State != "inactive" || !st.Rules[0].InRules {
		t.Fatalf("before any run: %+v", st)
	}

	v.set(80, 95)
	runOnce(t, dir, cfg, v, t0)
	st, err = Read(dir, cfg, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !st.StateFound || !st.Firing || st.Daemon != nil || st.Host != "web-01" {
		t.Errorf("after a firing run: state_found %v, firing %v, daemon %+v, host %q", st.StateFound, st.Firing, st.Daemon, st.Host)
	}
	over := ruleNamed(t, st, "overload")
	if over.State != "firing" || !over.Since.Equal(t0) || !over.FiringSince.Equal(t0) || over.Severity != "critical" || over.Labels["team"] != "web" {
		t.Errorf("overload: %+v", over)
	}
	if over.Values["cpu.avg3"] != 80.0 || !over.ValuesAt.Equal(t0) {
		t.Errorf("overload values: %v at %v, want cpu.avg3 80 at %v", over.Values, over.ValuesAt, t0)
	}
	if !over.NextRepeat.Equal(t0.Add(time.Hour)) {
		t.Errorf("overload next repeat %v, want %v", over.NextRepeat, t0.Add(time.Hour))
	}
	memr := ruleNamed(t, st, "memory")
	if memr.State != "pending" || !memr.Since.Equal(t0) || memr.Severity != "warning" || memr.Values["mem.real_pct"] != 95.0 || !memr.NextRepeat.IsZero() {
		t.Errorf("memory: %+v", memr)
	}
	if st.Counts != (Counts{Rules: 2, Firing: 1, Pending: 1}) {
		t.Errorf("counts %+v", st.Counts)
	}
	if st.Outbox.Queued != 1 || len(st.Outbox.Notifiers) != 2 {
		t.Fatalf("outbox %+v, want 1 queued, 2 notifiers", st.Outbox)
	}
	n := st.Outbox.Notifiers[0]
	if n.Name != "hook" || n.Kind != "webhook" || n.Queued != 1 || !n.Oldest.Equal(t0) || n.OldestAgeSeconds != 60 || n.Attempts != 1 {
		t.Errorf("hook queue %+v", n)
	}
	if !strings.Contains(n.LastError, "500") || strings.Contains(n.LastError, "secret-path") {
		t.Errorf("hook last error %q: want the 500, without the secret URL", n.LastError)
	}
	if ops := st.Outbox.Notifiers[1]; ops.Name != "ops" || ops.Queued != 0 {
		t.Errorf("ops queue %+v", ops)
	}
	if len(st.Transitions) != 2 {
		t.Fatalf("transitions %+v, want 2", st.Transitions)
	}

	// Ten minutes later cpu is back to normal: overload resolves; memory has held for its 5m.
	v.set(20, 95)
	runOnce(t, dir, cfg, v, t0.Add(10*time.Minute))
	st, err = Read(dir, cfg, t0.Add(11*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if over := ruleNamed(t, st, "overload"); over.State != "inactive" || !over.Since.Equal(t0.Add(10*time.Minute)) || over.Values["cpu.avg3"] != 20.0 || !over.NextRepeat.IsZero() || !over.FiringSince.IsZero() {
		t.Errorf("overload after resolving: %+v", over)
	}
	if memr := ruleNamed(t, st, "memory"); memr.State != "firing" {
		t.Errorf("memory after 10m: %+v", memr)
	}
	var got []string
	for _, tr := range st.Transitions {
		got = append(got, tr.Rule+":"+tr.From+">"+tr.To+":"+tr.Event+"@"+tr.At.Sub(t0).String())
	}
	want := "memory:pending>firing:fired@10m0s overload:firing>inactive:resolved@10m0s memory:inactive>pending:@0s overload:inactive>firing:fired@0s"
	if strings.Join(got, " ") != want {
		t.Errorf("transitions, newest first:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if st.Transitions[1].Values["cpu.avg3"] != 20.0 {
		t.Errorf("resolve transition values %v", st.Transitions[1].Values)
	}
	// Resolving sends nothing (no on_resolve): the first message is still there, tried twice.
	if n := st.Outbox.Notifiers[0]; n.Name != "hook" || n.Queued != 1 || !n.Oldest.Equal(t0) || n.OldestAgeSeconds != 660 || n.Attempts != 2 {
		t.Errorf("hook queue after the second run: %+v", n)
	}

	// Without the rules: what the state knows.
	st, err = Read(dir, nil, t0.Add(11*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Rules) != 2 || st.Rules[0].Name != "memory" || st.Rules[0].InRules || st.Rules[0].State != "firing" || st.Rules[0].Severity != "" || !st.Firing {
		t.Errorf("without rules: %+v", st.Rules)
	}
}

// TestReadBesideRunningNotimon: while another Store holds the state directory (as a daemon
// does for as long as it runs), Read answers at once with the holder's pid, and the state
// it saved.
func TestReadBesideRunningNotimon(t *testing.T) {
	cfg := loadRules(t, failingHook(t).URL)
	dir := t.TempDir()
	clk := &clock{now: t0}
	s, err := store.Open(dir, store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v := &values{}
	v.set(80, 10)
	e := engine.New(cfg, engine.Options{Sampler: v.sampler(), Store: s, Now: clk.Now, SleepUntil: clk.SleepUntil, Stdout: io.Discard})
	defer e.Stop()
	e.Tick(context.Background(), t0)
	e.WaitIdle(context.Background())

	start := time.Now()
	st, err := Read(dir, cfg, t0.Add(time.Second))
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if took > 2*time.Second {
		t.Errorf("Read took %s beside a lock holder: it must not wait for the lock", took)
	}
	if st.Daemon == nil || st.Daemon.PID != os.Getpid() {
		t.Errorf("daemon %+v, want pid %d", st.Daemon, os.Getpid())
	}
	if over := ruleNamed(t, st, "overload"); over.State != "firing" {
		t.Errorf("overload %+v", over)
	}
	// Read took nothing: the holder still holds, and once it lets go nobody does.
	if _, err := store.Open(dir, store.Options{LockWait: -1}); err == nil {
		t.Fatal("a second Open got the lock while the first holds it")
	}
	s.Close()
	if st, _ := Read(dir, cfg, t0); st.Daemon != nil {
		t.Errorf("after the holder closed: daemon %+v, want none", st.Daemon)
	}
}

// TestQuietDaemonSavesValues: a daemon whose rules do not change state still saves the
// values status shows, at most a minute apart, and not on every tick.
func TestQuietDaemonSavesValues(t *testing.T) {
	cfg := loadRules(t, failingHook(t).URL)
	dir := t.TempDir()
	clk := &clock{now: t0}
	s, err := store.Open(dir, store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v := &values{}
	e := engine.New(cfg, engine.Options{Sampler: v.sampler(), Store: s, Now: clk.Now, Stdout: io.Discard})
	defer e.Stop()
	valuesAt := func(at time.Time) (float64, time.Time) {
		t.Helper()
		st, err := Read(dir, cfg, at)
		if err != nil {
			t.Fatal(err)
		}
		r := ruleNamed(t, st, "overload")
		f, _ := r.Values["cpu.avg3"].(float64)
		return f, r.ValuesAt
	}
	for _, step := range []struct {
		at       time.Duration
		cpu      float64
		want     float64
		wantTime time.Duration
	}{
		{0, 10, 10, 0},                // the first tick saves
		{15 * time.Second, 20, 10, 0}, // quiet: nothing saved
		{45 * time.Second, 30, 10, 0},
		{60 * time.Second, 40, 40, 60 * time.Second}, // a minute on: saved
		{75 * time.Second, 45, 40, 60 * time.Second},
	} {
		v.set(step.cpu, 10)
		e.Tick(context.Background(), t0.Add(step.at))
		got, at := valuesAt(t0.Add(step.at))
		if got != step.want || !at.Equal(t0.Add(step.wantTime)) {
			t.Errorf("after the tick at +%s (cpu %v): saved cpu.avg3 %v at +%s, want %v at +%s", step.at, step.cpu, got, at.Sub(t0), step.want, step.wantTime)
		}
	}
}

// TestReadSilencesAndAcks: silences and acks added through engine/control (as the CLI and
// the API add them) show on the rules they select; an acked rule has no next repeat; an
// expired silence is listed as expired and silences nothing.
func TestReadSilencesAndAcks(t *testing.T) {
	cfg := loadRules(t, failingHook(t).URL)
	dir := t.TempDir()
	v := &values{}
	v.set(80, 10)
	runOnce(t, dir, cfg, v, t0)
	at := t0.Add(time.Minute)
	sil, err := control.AddSilence(dir, control.Silence{Matchers: []control.Matcher{{Label: "team", Value: "web"}}, EndsAt: at.Add(2 * time.Hour), By: "bob", Comment: "deploy"}, at)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := control.AckRule(dir, "overload", "alice", "looking", at); err != nil {
		t.Fatal(err)
	}
	st, err := Read(dir, cfg, at)
	if err != nil {
		t.Fatal(err)
	}
	over := ruleNamed(t, st, "overload")
	if len(over.Silenced) != 1 || over.Silenced[0].ID != sil.ID || over.Silenced[0].By != "bob" || !over.Silenced[0].EndsAt.Equal(at.Add(2*time.Hour)) {
		t.Errorf("overload silenced by %+v, want %s by bob", over.Silenced, sil.ID)
	}
	if over.Ack == nil || over.Ack.By != "alice" || over.Ack.Comment != "looking" || !over.NextRepeat.IsZero() {
		t.Errorf("overload ack %+v, next repeat %v: want alice's ack and no repeat", over.Ack, over.NextRepeat)
	}
	if memr := ruleNamed(t, st, "memory"); len(memr.Silenced) != 0 || memr.Ack != nil {
		t.Errorf("memory (no team label) is silenced or acked: %+v", memr)
	}
	if len(st.Silences) != 1 || st.Silences[0].ID != sil.ID || st.Silences[0].Status != "active" || strings.Join(st.Silences[0].Rules, ",") != "overload" {
		t.Errorf("silences %+v", st.Silences)
	}
	if st.Counts.Silenced != 1 || st.Counts.Acked != 1 {
		t.Errorf("counts %+v", st.Counts)
	}

	if _, err := control.ExpireSilence(dir, sil.ID, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	st, _ = Read(dir, cfg, at.Add(2*time.Minute))
	if over := ruleNamed(t, st, "overload"); len(over.Silenced) != 0 {
		t.Errorf("silence expired, overload still silenced: %+v", over.Silenced)
	}
	if len(st.Silences) != 1 || st.Silences[0].Status != "expired" || st.Counts.Silenced != 0 {
		t.Errorf("after expiring: silences %+v, counts %+v", st.Silences, st.Counts)
	}
}

// TestStatusJSONNames pins the JSON names others code against.
func TestStatusJSONNames(t *testing.T) {
	cfg := loadRules(t, failingHook(t).URL)
	dir := t.TempDir()
	v := &values{}
	v.set(80, 10)
	runOnce(t, dir, cfg, v, t0)
	st, err := Read(dir, cfg, t0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"time", "host", "state_dir", "state_found", "daemon", "firing", "counts", "rules", "outbox", "last_reload", "silences", "maintenance", "transitions"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("status JSON lacks %q: %s", k, b)
		}
	}
	rule := doc["rules"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "state", "since", "firing_since", "severity", "labels", "values", "values_at", "next_repeat", "in_rules"} {
		if _, ok := rule[k]; !ok {
			t.Errorf("rule JSON lacks %q: %v", k, rule)
		}
	}
}

// TestReadMaintenance: a maintenance block is listed with its open (or next) window and the
// rules it covers; a covered rule names the open window, and what the engine held back on
// its latest tick.
func TestReadMaintenance(t *testing.T) {
	cfg := loadText(t, `
notifier "console" "ops" {}
maintenance "monday_deploy" {
  weekly   = ["mon 09:00-11:00"]
  timezone = "UTC"
  rules    = ["over*"]
  suppress = ["notify"]
}
rule "overload" {
  when = "cpu.avg3 > 50"
  notify "ops" { message = "cpu {{ cpu.avg3 }}" }
}
rule "memory" {
  when = "mem.real_pct > 90"
  notify "ops" { message = "memory" }
}`)
	dir := t.TempDir()
	v := &values{}
	v.set(80, 10)
	runOnce(t, dir, cfg, v, t0) // t0 is a Monday, 10:00 UTC
	st, err := Read(dir, cfg, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Maintenance) != 1 {
		t.Fatalf("maintenance %+v", st.Maintenance)
	}
	m := st.Maintenance[0]
	if m.Name != "monday_deploy" || !m.Active || !m.From.Equal(t0.Add(-time.Hour)) || !m.Until.Equal(t0.Add(time.Hour)) ||
		strings.Join(m.Suppress, ",") != "notify" || strings.Join(m.Rules, ",") != "overload" {
		t.Errorf("open window: %+v", m)
	}
	over := ruleNamed(t, st, "overload")
	if strings.Join(over.Maintenance, ",") != "monday_deploy" || !strings.Contains(over.Suppressed, "monday_deploy") {
		t.Errorf("overload: maintenance %v, suppressed %q", over.Maintenance, over.Suppressed)
	}
	if memr := ruleNamed(t, st, "memory"); len(memr.Maintenance) != 0 || memr.Suppressed != "" {
		t.Errorf("memory is not covered: %+v", memr)
	}

	st, _ = Read(dir, cfg, t0.Add(2*time.Hour))
	m = st.Maintenance[0]
	if m.Active || !m.From.Equal(t0.Add(7*24*time.Hour-time.Hour)) || !m.Until.Equal(t0.Add(7*24*time.Hour+time.Hour)) {
		t.Errorf("after the window: %+v, want the next Monday's", m)
	}
	if over := ruleNamed(t, st, "overload"); len(over.Maintenance) != 0 {
		t.Errorf("overload after the window: %v", over.Maintenance)
	}
}
