//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/notimon/notimon/internal/syncbuf"
)

// TestPrometheusScrapesTheDaemon runs a notimon daemon with a server block behind basic auth
// and a real Prometheus (Debian's prometheus package) scraping its /metrics every second
// with the credentials, then asks Prometheus's query API for a probe value and a rule state:
// the whole path from a probe to PromQL.
func TestPrometheusScrapesTheDaemon(t *testing.T) {
	prom := promBinary(t)
	bin := binary(t)
	dir := t.TempDir()

	// A file whose size is the probe value to find in Prometheus.
	marker := filepath.Join(dir, "marker")
	const size = 12345
	if err := os.WriteFile(marker, bytes.Repeat([]byte("x"), size), 0o644); err != nil {
		t.Fatal(err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret-scrape"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	htpasswd := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte("prometheus:"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	rules := writeRules(t, map[string]string{"rules.hcl": fmt.Sprintf(`
settings { interval = "1s" }
server {
  listen        = %q
  htpasswd_file = %q
}
probe "file" "marker" { path = %q }
rule "marker_big" {
  when     = "file.marker.size_bytes > 10000"
  severity = "critical"
}
`, addr, htpasswd, marker)})

	daemon := exec.Command(bin, "run", "--state-dir", filepath.Join(dir, "state"), "--log-format", "json", rules)
	var dout syncbuf.Buffer
	daemon.Stdout, daemon.Stderr = &dout, &dout
	daemon.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	daemonDone := make(chan struct{})
	go func() { daemon.Wait(); close(daemonDone) }()
	t.Cleanup(func() {
		daemon.Process.Signal(syscall.SIGTERM)
		select {
		case <-daemonDone:
		case <-time.After(10 * time.Second):
			daemon.Process.Kill()
			<-daemonDone
		}
		if t.Failed() {
			t.Logf("notimon output:\n%s", dout.String())
		}
	})
	poll(t, 30*time.Second, "notimon's /-/ready", daemonDone, func() bool {
		resp, err := http.Get("http://" + addr + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	// The credentials are needed: Prometheus scraping without them would fail.
	if resp, err := http.Get("http://" + addr + "/metrics"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /metrics without credentials: %v %v, want 401", err, resp)
	}

	promAddr := freeAddr(t)
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: notimon
    basic_auth:
      username: prometheus
      password: s3cret-scrape
    static_configs:
      - targets: [%q]
`, addr)), 0o600); err != nil {
		t.Fatal(err)
	}
	p := exec.Command(prom, "--config.file="+config, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+promAddr, "--log.level=warn")
	var pout syncbuf.Buffer
	p.Stdout, p.Stderr = &pout, &pout
	p.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	promDone := make(chan struct{})
	go func() { p.Wait(); close(promDone) }()
	t.Cleanup(func() {
		p.Process.Kill()
		<-promDone
		if t.Failed() {
			t.Logf("prometheus output:\n%s", pout.String())
		}
	})
	base := "http://" + promAddr
	poll(t, 60*time.Second, "prometheus's /-/ready", promDone, func() bool {
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	for _, q := range []struct {
		query string
		want  float64
	}{
		{`up{job="notimon"}`, 1},
		{`notimon_file_size_bytes{job="notimon",name="marker"}`, size},
		{`notimon_rule_state{job="notimon",rule="marker_big",severity="critical",state="firing"}`, 1},
		{`notimon_probe_sampled{job="notimon",kind="file",name="marker"}`, 1},
	} {
		var last string
		poll(t, 60*time.Second, "Prometheus to answer "+q.query+" with "+strconv.FormatFloat(q.want, 'g', -1, 64), promDone, func() bool {
			v, ok, raw := instantQuery(t, base, q.query)
			last = raw
			return ok && v == q.want
		})
		t.Logf("%s = %v (%s)", q.query, q.want, last)
	}
	// And the daemon's own families made it too.
	for _, name := range []string{"notimon_tick_duration_seconds_count", "notimon_build_info", "notimon_config_last_reload_successful"} {
		poll(t, 30*time.Second, "Prometheus to have "+name, promDone, func() bool {
			_, ok, _ := instantQuery(t, base, name+`{job="notimon"}`)
			return ok
		})
	}
}

// promBinary returns the installed Prometheus server. Without one the test is skipped,
// except in CI (CI set), where .ci/run installs it.
func promBinary(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("prometheus")
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("prometheus is not installed, and CI is set: .ci/run installs it (apt-get install -y prometheus)")
	}
	t.Skip("prometheus is not installed (apt-get install -y prometheus); .ci/run installs it")
	return ""
}

// instantQuery asks Prometheus's HTTP API for query now and returns the value of its one
// sample, whether there was exactly one, and the raw answer.
func instantQuery(t *testing.T, base, query string) (float64, bool, string) {
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		return 0, false, err.Error()
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	var raw bytes.Buffer
	if err := json.NewDecoder(teeReader{resp.Body, &raw}).Decode(&body); err != nil {
		return 0, false, raw.String()
	}
	if body.Status != "success" || len(body.Data.Result) != 1 {
		return 0, false, raw.String()
	}
	s, _ := body.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil, raw.String()
}

type teeReader struct {
	r interface{ Read([]byte) (int, error) }
	w *bytes.Buffer
}

func (t teeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.w.Write(p[:n])
	return n, err
}

// poll calls cond every 100 ms until it holds; it fails the test when within passes or
// exited closes first (the process under test died).
func poll(t *testing.T, within time.Duration, what string, exited <-chan struct{}, cond func() bool) {
	t.Helper()
	deadline := time.After(within)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-exited:
			t.Fatalf("waiting for %s: the process exited", what)
		case <-deadline:
			t.Fatalf("waited %v for %s", within, what)
		case <-tick.C:
		}
	}
}

// freeAddr returns a 127.0.0.1 address with a port free now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
