package metrics

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/notimon/notimon/engine"
	"github.com/notimon/notimon/engine/store"
)

// tool returns the path of an installed binary the test needs. Without it the test is
// skipped, except in CI (CI set), where .ci/run installs it and its absence is a failure.
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed, and CI is set: .ci/run installs it (apt-get install -y %s)", name, pkg)
	}
	t.Skipf("%s is not installed (apt-get install -y %s); .ci/run installs it", name, pkg)
	return ""
}

// promtoolCheck runs `promtool check metrics` on exposition text; it fails on a format
// error and on every lint problem (names, units, help, counters' _total).
func promtoolCheck(t *testing.T, what string, text []byte) {
	t.Helper()
	promtool := tool(t, "promtool", "prometheus")
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Errorf("promtool check metrics on %s: %v\n%s", what, err, out)
	}
}

// TestPromtool checks the handler's output and the textfile with promtool, after a tick of
// a configuration that reads every kind of probe and a delivery, so that every family has
// samples.
func TestPromtool(t *testing.T) {
	mc := newMachine(t)
	cfg := loadConfig(t, mc.src)
	clock := func() time.Time { return t0 }
	st, err := store.Open(t.TempDir(), store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := New(Options{Version: "v1.2.3", Revision: "abc123", Outbox: st.Pending, Now: clock})
	m.Loaded(t0)
	e := engine.New(cfg, engine.Options{Sampler: systemSampler(cfg), Store: st, Stdout: io.Discard, Now: clock, Observer: m.Observer()})
	if _, errs := e.RunOnce(context.Background(), t0); len(errs) > 0 {
		t.Fatal(errs)
	}
	mfs := gather(t, m.reg)
	for _, d := range docs {
		if mfs[d.Name] == nil && !optional[d.Name] {
			t.Errorf("%s has no samples after the tick: promtool would not see it", d.Name)
		}
	}

	// promtool reads the text format (what a scraper gets without asking for OpenMetrics;
	// the real Prometheus of the integration test asks for OpenMetrics).
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, body)
	}
	promtoolCheck(t, "GET /metrics", body)

	path := filepath.Join(t.TempDir(), "notimon.prom")
	if err := m.WriteTextfile(path); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	promtoolCheck(t, "the textfile", text)
}

// optional are the families that have no samples after the test's tick, for a reason.
var optional = map[string]bool{
	"notimon_http_cert_expiry_seconds": true, // plain http
}
