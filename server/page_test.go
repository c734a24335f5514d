package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
	"github.com/notimon/notimon/engine/control"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
	"github.com/notimon/notimon/probes/mem"
	"github.com/notimon/notimon/server"
)

// TestPageShowsTheState renders the page over a state directory a real engine wrote: the
// firing rule first with its value, the inactive one after, the transition, the silence
// (with hostile text, escaped) and the forms.
func TestPageShowsTheState(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.d")
	os.MkdirAll(rules, 0o755)
	os.WriteFile(filepath.Join(rules, "a.hcl"), []byte(`notifier "console" "out" {}
rule "calm" {
  when = "mem.real_pct > 90"
}
rule "hot_cpu" {
  when     = "cpu.avg3 > 50"
  severity = "critical"
  notify "out" { message = "cpu {{ cpu.avg3 }}" }
}
maintenance "patching" {
  from  = "2026-12-01T11:00:00Z"
  until = "2026-12-01T13:00:00Z"
  rules = ["calm"]
}
server {}
`), 0o644)
	cfg, diags := dsl.Load([]string{rules}, dsl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	stateDir := filepath.Join(dir, "state")
	st, err := store.Open(stateDir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	sampler := probes.SamplerFunc(func(_ context.Context, at time.Time, _ []probes.Ref) *probes.Snapshot {
		return &probes.Snapshot{Time: at, CPU: cpu.Values{Avg3: 87.256}, Mem: mem.Values{RealPct: 41}}
	})
	e := engine.New(cfg, engine.Options{Sampler: sampler, Stdout: io.Discard, Store: st, Now: func() time.Time { return now }})
	e.Tick(context.Background(), now)
	e.Wait(context.Background())
	if err := e.Save(); err != nil {
		t.Fatal(err)
	}
	st.Close()
	hostile := `<script>alert("x")</script>`
	if _, err := control.AddSilence(stateDir, control.Silence{Matchers: []control.Matcher{{Rule: "hot_*"}}, EndsAt: now.Add(2 * time.Hour), Comment: hostile, By: "bob"}, now); err != nil {
		t.Fatal(err)
	}

	later := now.Add(3*time.Minute + 12*time.Second)
	srv, err := server.New(server.Options{Config: cfg.Server, StateDir: stateDir, Rules: func() *dsl.Config { return cfg }, Now: func() time.Time { return later }})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1:9798/", nil))
	page := rec.Body.String()
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, want := range []string{
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`<meta http-equiv="refresh" content="15">`,
		`<title>1 firing · notimon`,
		`<span class="state firing">firing</span> <span class="state silenced">silenced</span>`,
		`<code>cpu.avg3 = 87.26</code>`, // rounded to 2 decimals, as messages do
		`<span class="sub">critical</span>`,
		`<td>for 3m12s</td>`,
		`action="/actions/silence"`,
		`action="/actions/expire"`,
		`action="/actions/ack"`,
		`&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`,
		`inactive → <span class="state firing">firing</span> (fired)`,
		`<td>patching</td><td><span class="state active">active</span></td>`,
		`until 13:00:00 UTC (in 56m48s)`,
		`in maintenance <b>patching</b>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page has no %s", want)
		}
	}
	if strings.Contains(page, hostile) || strings.Contains(page, "<script") {
		t.Error("a comment's markup reached the page unescaped")
	}
	hot, calm := strings.Index(page, `id="rule-hot_cpu"`), strings.Index(page, `id="rule-calm"`)
	if hot < 0 || calm < 0 || hot > calm {
		t.Errorf("the firing rule is not listed before the inactive one (%d, %d)", hot, calm)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("Content-Security-Policy %q allows scripts", csp)
	}
	// The page has no script and no inline event handler.
	if regexp.MustCompile(`(?i)<script|\son[a-z]+=`).MatchString(page) {
		t.Error("the page has a script")
	}

	// HEAD and unknown methods.
	rec = httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("PUT", "http://127.0.0.1:9798/", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("PUT /: %d", rec.Code)
	}
}
