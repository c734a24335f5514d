package metrics

import (
	"bytes"
	"context"
	"fmt"
	"io"
	stdnet "net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/probes"
)

var t0 = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

func loadConfig(t testing.TB, src string) *dsl.Config {
	t.Helper()
	cfg, diags := dsl.LoadSource(map[string][]byte{"rules.hcl": []byte(src)}, dsl.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		var b bytes.Buffer
		dsl.WriteDiagnostics(&b, cfg.Files, diags)
		t.Fatalf("config does not load:\n%s", b.String())
	}
	return cfg
}

// systemSampler is the machine's own sampler with the configuration's probe blocks, as
// `notimon run` builds it, except that cpu does not wait for a window.
func systemSampler(cfg *dsl.Config) *probes.System {
	opts := probes.Options{Hostname: cfg.Settings.Host, Wait: func(context.Context, time.Duration) error { return nil }}
	for _, p := range cfg.Probes {
		opts.Declared = append(opts.Declared, probes.Declared{Ref: p.Ref, Attrs: p.Attrs})
	}
	return probes.NewSystem(opts)
}

// machine is a configuration reading every kind of probe, named ones aimed at a real HTTP
// server, a real listener, a real file and a real command.
type machine struct {
	src      string
	logSize  int
	listener stdnet.Listener
}

func newMachine(t testing.TB) *machine {
	t.Helper()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "short and stout")
	}))
	t.Cleanup(site.Close)
	l, err := stdnet.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	dir := t.TempDir()
	logFile := filepath.Join(dir, "app.log")
	if err := os.WriteFile(logFile, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, port, _ := stdnet.SplitHostPort(l.Addr().String())
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf(`
settings { host = "web-01" }
notifier "console" "ops" {}
notifier "console" "spare" {}
probe "file" "applog"  { path = %q }
probe "file" "missing" { path = %q }
probe "http" "site"    { url = %q }
probe "tcp" "db"       { address = %q }
probe "command" "queue" { command = ["sh", "-c", "echo 42"] }
probe "command" "words" { command = ["sh", "-c", "echo not a number"] }
probe "process" "self" { match = %q }

rule "overload" {
  when     = "mem.real_pct >= 0"
  severity = "critical"
  notify "ops" { message = "memory {{ mem.real_pct }}%%" }
}
rule "services" {
  when = "!http.site.up && http.site.status == 418 && tcp.db.up && file.applog.size_bytes == 5 && !file.missing.exists && command.queue.value == 42 && !command.words.numeric && process.self.count >= 1 && process.self.rss_bytes > 0"
}
rule "everything_else" {
  when = "cpu.avg3 > 1000 || cpu.pct > 1000 || swap.used_pct > 100 || load.avg1 > 1e6 || fd.used_pct > 100 || any(values(disk), .used_pct > 100) || net.tcp.listen < 0 || len(net.interfaces) < 0 || host.uptime_s < 0 || net.ports[\"%s\"].listen < 1"
}
`, logFile, filepath.Join(dir, "nope"), site.URL+"/health", l.Addr().String(), "^"+regexpQuote(filepath.Base(exe))+"$", port)
	return &machine{src: src, logSize: 5, listener: l}
}

// regexpQuote quotes the process name for the process probe's pattern (the test binary is
// "metrics.test": its dot must not match anything).
func regexpQuote(s string) string { return strings.ReplaceAll(s, ".", `\.`) }

// gather returns the samples of reg by family name.
func gather(t testing.TB, g prometheus.Gatherer) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// value returns the value of the sample of family name whose labels are labels (k, v, k, v
// …), and whether there is one.
func value(mfs map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
next:
	for _, m := range mf.GetMetric() {
		got := map[string]string{}
		for _, lp := range m.GetLabel() {
			got[lp.GetName()] = lp.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		case m.Untyped != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

func TestCollectorReadsTheLatestTick(t *testing.T) {
	mc := newMachine(t)
	cfg := loadConfig(t, mc.src)
	m := New(Options{Version: "v1.2.3", Revision: "abc123"})
	if mfs := gather(t, m.reg); len(mfs["notimon_rule_state"].GetMetric()) != 0 || mfs["notimon_build_info"] == nil {
		t.Fatalf("before any tick: rule states %v, build info %v", mfs["notimon_rule_state"], mfs["notimon_build_info"])
	}
	var out bytes.Buffer
	e := engine.New(cfg, engine.Options{Sampler: systemSampler(cfg), Stdout: &out, Now: func() time.Time { return t0 }, Observer: m.Observer()})
	rep := e.Tick(context.Background(), t0)
	if err := e.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, v := range rep.Verdicts {
		if v.Err != nil {
			t.Fatalf("rule %s: %v", v.Rule.Name, v.Err)
		}
	}
	mfs := gather(t, m.reg)
	snap := rep.Snapshot

	check := func(want float64, name string, labels ...string) {
		t.Helper()
		got, ok := value(mfs, name, labels...)
		switch {
		case !ok:
			t.Errorf("%s%v: no sample", name, labels)
		case got != want:
			t.Errorf("%s%v = %v, want %v", name, labels, got, want)
		}
	}
	absent := func(name string, labels ...string) {
		t.Helper()
		if got, ok := value(mfs, name, labels...); ok {
			t.Errorf("%s%v = %v, want no sample", name, labels, got)
		}
	}

	// Rule states, ALERTS-like: one series per rule, its current state.
	for rule, state := range map[string]string{"overload": "firing", "services": "firing", "everything_else": "inactive"} {
		severity := "warning"
		if rule == "overload" {
			severity = "critical"
		}
		for _, s := range []string{"inactive", "pending", "firing"} {
			if s == state {
				check(1, "notimon_rule_state", "rule", rule, "severity", severity, "state", s)
			} else {
				absent("notimon_rule_state", "rule", rule, "state", s)
			}
		}
		check(0, "notimon_rule_unknown", "rule", rule)
	}

	// Built-in probes: the tick's values, in base units.
	check(snap.Mem.TotalBytes, "notimon_mem_total_bytes")
	check(snap.Mem.RealPct/100, "notimon_mem_real_used_ratio")
	check(snap.CPU.Avg3/100, "notimon_cpu_busy_avg3_ratio")
	check(snap.Load.Avg1, "notimon_load1")
	check(snap.Swap.TotalBytes, "notimon_swap_total_bytes")
	check(snap.Host.UptimeS, "notimon_host_uptime_seconds")
	check(float64(snap.Host.Cores), "notimon_host_cores")
	fdv := snap.Get(probes.Ref{Kind: "fd"})
	if fdv == nil {
		t.Errorf("fd was not sampled")
	}
	if len(snap.Disk) == 0 {
		t.Fatal("no disk in the snapshot")
	}
	for mount, d := range snap.Disk {
		if d.Error != "" {
			check(1, "notimon_disk_error", "mount", mount)
			absent("notimon_disk_used_ratio", "mount", mount)
			continue
		}
		check(d.UsedPct/100, "notimon_disk_used_ratio", "mount", mount)
		check(d.FreeBytes, "notimon_disk_free_bytes", "mount", mount)
		check(0, "notimon_disk_error", "mount", mount)
	}
	check(snap.Net.TCP.Listen, "notimon_net_tcp_sockets", "state", "listen")
	if snap.Net.TCP.Listen < 1 {
		t.Errorf("net.tcp.listen = %v with a listener open", snap.Net.TCP.Listen)
	}
	for name, iface := range snap.Net.Interfaces {
		check(iface.RxBytesPerS, "notimon_net_receive_bytes_per_second", "interface", name)
	}
	_, port, _ := stdnet.SplitHostPort(mc.listener.Addr().String())
	check(1, "notimon_net_port_tcp_sockets", "port", port, "state", "listen")
	// net counts only the states the rules read: no others are exported.
	absent("notimon_net_tcp_sockets", "state", "established")
	absent("notimon_net_port_tcp_sockets", "port", port, "state", "established")

	// Named probes, against the real things they measure.
	check(0, "notimon_http_up", "name", "site")
	check(418, "notimon_http_status_code", "name", "site")
	absent("notimon_http_cert_expiry_seconds", "name", "site")
	check(1, "notimon_tcp_up", "name", "db")
	check(float64(mc.logSize), "notimon_file_size_bytes", "name", "applog")
	check(1, "notimon_file_exists", "name", "applog")
	check(0, "notimon_file_exists", "name", "missing")
	absent("notimon_file_size_bytes", "name", "missing")
	check(42, "notimon_command_value", "name", "queue")
	check(0, "notimon_command_exit_code", "name", "queue")
	check(0, "notimon_command_output_numeric", "name", "words")
	absent("notimon_command_value", "name", "words")
	if n, _ := value(mfs, "notimon_process_matched", "name", "self"); n < 1 {
		t.Errorf("notimon_process_matched{name=self} = %v, want ≥ 1 (this test)", n)
	}
	for _, ref := range cfg.Refs {
		check(1, "notimon_probe_sampled", "kind", ref.Kind, "name", ref.Name)
	}

	// The engine's own.
	check(float64(t0.Unix()), "notimon_last_tick_timestamp_seconds")
	check(1, "notimon_tick_duration_seconds")
	check(1, "notimon_deliveries_total", "notifier", "ops", "outcome", "delivered")
	check(0, "notimon_deliveries_total", "notifier", "spare", "outcome", "delivered")
	check(0, "notimon_deliveries_total", "notifier", "ops", "outcome", "failed")
	check(1, "notimon_build_info", "version", "v1.2.3", "revision", "abc123")
	if !strings.Contains(out.String(), "memory ") {
		t.Errorf("console output %q: the overload rule's message was not sent", out.String())
	}
}

// TestProbeFailure: a probe that fails has no value samples, and says so.
func TestProbeFailure(t *testing.T) {
	cfg := loadConfig(t, `
rule "hot" { when = "cpu.pct > 50" }
rule "load" { when = "load.avg1 > 50" }
`)
	m := New(Options{})
	sampler := probes.SamplerFunc(func(_ context.Context, now time.Time, refs []probes.Ref) *probes.Snapshot {
		s := &probes.Snapshot{Time: now}
		s.Load.Avg1 = 0.5
		s.SetErr(probes.Ref{Kind: "cpu"}, fmt.Errorf("cannot read /proc/stat"))
		return s
	})
	e := engine.New(cfg, engine.Options{Sampler: sampler, Now: func() time.Time { return t0 }, Observer: m.Observer()})
	e.Tick(context.Background(), t0)
	mfs := gather(t, m.reg)
	if v, ok := value(mfs, "notimon_probe_sampled", "kind", "cpu"); !ok || v != 0 {
		t.Errorf("notimon_probe_sampled{kind=cpu} = %v (%v), want 0", v, ok)
	}
	if v, ok := value(mfs, "notimon_cpu_busy_ratio"); ok {
		t.Errorf("notimon_cpu_busy_ratio = %v from a failed probe", v)
	}
	if v, _ := value(mfs, "notimon_load1"); v != 0.5 {
		t.Errorf("notimon_load1 = %v, want 0.5", v)
	}
	if v, _ := value(mfs, "notimon_rule_unknown", "rule", "hot"); v != 1 {
		t.Errorf("notimon_rule_unknown{rule=hot} = %v, want 1", v)
	}
	if v, _ := value(mfs, "notimon_rule_unknown", "rule", "load"); v != 0 {
		t.Errorf("notimon_rule_unknown{rule=load} = %v, want 0", v)
	}
}

// TestOutboxAndDeliveries: a notifier that is down leaves its message in the outbox of a
// real state directory; the metrics count the failed attempt and show the queue and its age.
func TestOutboxAndDeliveries(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	cfg := loadConfig(t, fmt.Sprintf(`
notifier "webhook" "hook" { url = %q }
notifier "console" "ops" {}
rule "always" {
  when = "host.uptime_s >= 0"
  notify "hook" { message = "hello" }
}
`, down.URL))
	now := t0
	clock := func() time.Time { return now }
	st, err := store.Open(t.TempDir(), store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := New(Options{Outbox: st.Pending, Now: clock})
	sampler := probes.SamplerFunc(func(_ context.Context, now time.Time, refs []probes.Ref) *probes.Snapshot {
		return &probes.Snapshot{Time: now}
	})
	e := engine.New(cfg, engine.Options{Sampler: sampler, Store: st, Now: clock, Observer: m.Observer()})
	if _, errs := e.RunOnce(context.Background(), t0); len(errs) == 0 {
		t.Fatal("the run reports no error with its notifier down")
	}
	now = t0.Add(90 * time.Second)
	mfs := gather(t, m.reg)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"notimon_deliveries_total", []string{"notifier", "hook", "outcome", "failed"}, 1},
		{"notimon_deliveries_total", []string{"notifier", "hook", "outcome", "delivered"}, 0},
		{"notimon_outbox_messages", []string{"notifier", "hook"}, 1},
		{"notimon_outbox_oldest_message_age_seconds", []string{"notifier", "hook"}, 90},
		{"notimon_outbox_messages", []string{"notifier", "ops"}, 0},
		{"notimon_outbox_oldest_message_age_seconds", []string{"notifier", "ops"}, 0},
	} {
		if got, ok := value(mfs, c.name, c.labels...); !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
}

// TestReloads: the reload families follow the daemon's reloads.
func TestReloads(t *testing.T) {
	m := New(Options{})
	started := t0.Add(-time.Hour)
	m.Loaded(started)
	obs := m.Observer()
	obs.Reload(engine.ReloadStatus{Time: t0, OK: false, Error: "rules.hcl:1,1: bad"})
	obs.Reload(engine.ReloadStatus{Time: t0.Add(time.Minute), OK: false, Error: "rules.hcl:1,1: bad"})
	mfs := gather(t, m.reg)
	for _, c := range []struct {
		name string
		want float64
	}{
		{"notimon_config_last_reload_successful", 0},
		{"notimon_config_reload_failures_total", 2},
		{"notimon_config_last_reload_success_timestamp_seconds", float64(started.Unix())},
	} {
		if got, _ := value(mfs, c.name); got != c.want {
			t.Errorf("after two failures: %s = %v, want %v", c.name, got, c.want)
		}
	}
	obs.Reload(engine.ReloadStatus{Time: t0.Add(2 * time.Minute), OK: true})
	mfs = gather(t, m.reg)
	if got, _ := value(mfs, "notimon_config_last_reload_successful"); got != 1 {
		t.Errorf("after a good reload: successful = %v", got)
	}
	if got, _ := value(mfs, "notimon_config_last_reload_success_timestamp_seconds"); got != float64(t0.Add(2*time.Minute).Unix()) {
		t.Errorf("after a good reload: timestamp = %v", got)
	}
}

// TestTextfile: the file is the registry's notimon families in the text format, written
// with mode 0644 and replaced whole.
func TestTextfile(t *testing.T) {
	mc := newMachine(t)
	cfg := loadConfig(t, mc.src)
	m := New(Options{Version: "v1", Revision: "r"})
	e := engine.New(cfg, engine.Options{Sampler: systemSampler(cfg), Stdout: io.Discard, Now: func() time.Time { return t0 }, Observer: m.Observer()})
	e.Tick(context.Background(), t0)
	e.Wait(context.Background())

	dir := t.TempDir()
	path := filepath.Join(dir, "notimon.prom")
	if err := os.WriteFile(path, []byte("stale"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := m.WriteTextfile(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, en := range entries {
			names = append(names, en.Name())
		}
		t.Errorf("directory holds %v, want the file alone (no temporary left)", names)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the textfile does not parse: %v\n%s", err, data)
	}
	var names []string
	for name := range fams {
		if !strings.HasPrefix(name, "notimon_") {
			t.Errorf("textfile carries %s: node_exporter has its own go_* and process_*", name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	want := gather(t, m.reg)
	if len(fams) != len(want) {
		t.Errorf("textfile has %d families, the registry %d: %v", len(fams), len(want), names)
	}
	if v, _ := value(fams, "notimon_file_size_bytes", "name", "applog"); v != 5 {
		t.Errorf("textfile: notimon_file_size_bytes{name=applog} = %v, want 5", v)
	}

	if err := m.WriteTextfile(filepath.Join(dir, "missing", "notimon.prom")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("writing into a missing directory: %v, want an error naming the path", err)
	}
}

// TestHandler: the handler serves the same families, plus the Go runtime's.
func TestHandler(t *testing.T) {
	cfg := loadConfig(t, `rule "r" { when = "load.avg1 > 1e9" }`)
	m := New(Options{})
	e := engine.New(cfg, engine.Options{Sampler: systemSampler(cfg), Now: func() time.Time { return t0 }, Observer: m.Observer()})
	e.Tick(context.Background(), t0)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	for _, name := range []string{"notimon_load1", "notimon_rule_state", "notimon_build_info", "go_goroutines", "go_memstats_heap_inuse_bytes"} {
		if fams[name] == nil {
			t.Errorf("GET /metrics lacks %s", name)
		}
	}
}

// TestScrapeDuringTicks scrapes over and over while the engine ticks on the real probes
// and deliveries run (go test -race finds any sharing).
func TestScrapeDuringTicks(t *testing.T) {
	mc := newMachine(t)
	cfg := loadConfig(t, mc.src)
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := New(Options{Outbox: st.Pending})
	e := engine.New(cfg, engine.Options{Sampler: systemSampler(cfg), Store: st, Stdout: io.Discard, Observer: m.Observer()})
	h := m.Handler()
	done := make(chan struct{})
	scrapes := make(chan int)
	go func() {
		n := 0
		defer func() { scrapes <- n }()
		for {
			select {
			case <-done:
				return
			default:
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
			if w.Code != 200 {
				t.Errorf("scrape %d: status %d: %s", n, w.Code, w.Body.String())
				return
			}
			n++
		}
	}()
	now := t0
	for range 20 {
		now = now.Add(time.Second)
		e.Tick(context.Background(), now)
	}
	if err := e.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.WaitDeliveries(context.Background())
	close(done)
	n := <-scrapes
	mfs := gather(t, m.reg)
	if v, _ := value(mfs, "notimon_tick_duration_seconds"); v != 20 {
		t.Errorf("%v ticks observed, want 20", v)
	}
	if v, _ := value(mfs, "notimon_last_tick_timestamp_seconds"); v != float64(now.Unix()) {
		t.Errorf("last tick %v, want %v", v, now.Unix())
	}
	t.Logf("%d scrapes during 20 ticks", n)
}
