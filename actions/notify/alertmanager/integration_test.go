package alertmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/webhook/webhooktest"
)

// TestRealAlertmanager sends a firing and then a resolved alert to a real Alertmanager
// (Debian's prometheus-alertmanager) and reads them back through its API.
func TestRealAlertmanager(t *testing.T) {
	bin := findAlertmanager()
	if bin == "" {
		t.Skip("prometheus-alertmanager not installed (apt-get install -y prometheus-alertmanager); .ci/run installs it")
	}
	start := time.Now()
	if out, err := exec.Command(bin, "--version").CombinedOutput(); err == nil {
		t.Logf("%s: %s", bin, strings.SplitN(string(out), "\n", 2)[0])
	}
	base := startAlertmanager(t, bin)
	t.Logf("ready at %s after %v", base, time.Since(start).Round(time.Millisecond))

	var s webhooktest.Sleeps
	am, err := New("am", Config{URL: base + "/", Timeout: 5 * time.Second, Policy: webhooktest.Policy(&s)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	m := notify.Message{
		Notifier: "am", Rule: "overload", State: "firing", Severity: "critical", Host: "web-01",
		Labels: map[string]string{"team": "web", "app.kubernetes.io/name": "tomcat"},
		Text:   "<b>[web-01 server]</b>\ncpu usage: 93.5%\n",
		Time:   now, StartsAt: now.Add(-2 * time.Minute),
	}
	if _, err := am.Notify(context.Background(), m); err != nil {
		t.Fatalf("firing: %v", err)
	}

	// A new alert is "unprocessed" until the dispatcher has seen it; wait for "active".
	var got gettableAlert
	poll(t, "the firing alert to be active", func() bool {
		alerts := getAlerts(t, base, "")
		if len(alerts) == 1 && alerts[0].Status.State == "active" {
			got = alerts[0]
			return true
		}
		return false
	})
	wantLabels := map[string]string{
		"alertname": "overload", "instance": "web-01", "severity": "critical",
		"team": "web", "app_kubernetes_io_name": "tomcat",
	}
	if !reflect.DeepEqual(got.Labels, wantLabels) {
		t.Errorf("labels %v, want %v", got.Labels, wantLabels)
	}
	wantAnnotations := map[string]string{"summary": "[web-01 server]", "description": m.Text}
	if !reflect.DeepEqual(got.Annotations, wantAnnotations) {
		t.Errorf("annotations %q, want %q", got.Annotations, wantAnnotations)
	}
	if !got.StartsAt.Equal(m.StartsAt.Truncate(time.Second)) {
		t.Errorf("startsAt %v, want %v", got.StartsAt, m.StartsAt.Truncate(time.Second))
	}
	if got.GeneratorURL != "notimon://web-01/rules/overload" {
		t.Errorf("generatorURL %q", got.GeneratorURL)
	}
	// No endsAt was sent: Alertmanager sets it to now + resolve_timeout (5m by default).
	if !got.EndsAt.After(time.Now()) {
		t.Errorf("endsAt %v is not in the future while firing", got.EndsAt)
	}

	resolved := m
	resolved.State, resolved.Time, resolved.EndsAt = "resolved", time.Now(), time.Now()
	if _, err := am.Notify(context.Background(), resolved); err != nil {
		t.Fatalf("resolved: %v", err)
	}
	// Alertmanager 0.25 keeps a resolved alert but lists none whose endsAt has passed,
	// whatever the filters: the default (active, silenced, inhibited, unprocessed all
	// true), active only, and everything but active.
	for _, query := range []string{"", "active=true", "active=false&silenced=true&inhibited=true&unprocessed=true"} {
		poll(t, "the resolved alert to leave GET /api/v2/alerts?"+query, func() bool {
			return len(getAlerts(t, base, query)) == 0
		})
	}
	if len(s.All()) != 0 {
		t.Errorf("the notifier retried: %v", s.All())
	}
	t.Logf("whole test: %v", time.Since(start).Round(time.Millisecond))
}

func findAlertmanager() string {
	for _, name := range []string{"prometheus-alertmanager", "alertmanager"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// lockedBuffer collects the process's output for failure messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startAlertmanager runs bin on a free 127.0.0.1 port with a null receiver, clustering off
// and a temporary storage directory, waits until /-/ready answers 200, and kills it when the
// test ends. It returns the base URL.
func startAlertmanager(t *testing.T, bin string) string {
	t.Helper()
	dir := t.TempDir()
	config := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(config, []byte("route:\n  receiver: \"null\"\nreceivers:\n  - name: \"null\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The port is free when chosen but could be taken before Alertmanager binds it: try
	// again with another one if the process exits before it is ready.
	var output string
	for try := 0; try < 3; try++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		base := "http://" + addr
		var out lockedBuffer
		cmd := exec.Command(bin,
			"--config.file="+config,
			"--storage.path="+filepath.Join(dir, fmt.Sprintf("data%d", try)),
			"--cluster.listen-address=",
			"--web.listen-address="+addr,
		)
		cmd.Stdout, cmd.Stderr = &out, &out
		killWithParent(cmd)
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting %s: %v", bin, err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		t.Cleanup(func() {
			cmd.Process.Kill()
			<-exited
			if t.Failed() {
				t.Logf("alertmanager output:\n%s", out.String())
			}
		})
		switch waitReady(base, exited, 30*time.Second) {
		case ready:
			return base
		case timedOut:
			t.Fatalf("alertmanager not ready within 30s; output:\n%s", out.String())
		}
		output = out.String()
	}
	t.Fatalf("alertmanager exited before it was ready, 3 times; last output:\n%s", output)
	return ""
}

type readiness int

const (
	ready readiness = iota
	exitedEarly
	timedOut
)

// waitReady polls base/-/ready every 50 ms until it answers 200, the process exits, or
// the time is up.
func waitReady(base string, exited <-chan struct{}, within time.Duration) readiness {
	deadline := time.After(within)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := http.Get(base + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return ready
			}
		}
		select {
		case <-exited:
			return exitedEarly
		case <-deadline:
			return timedOut
		case <-tick.C:
		}
	}
}

type gettableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Status       struct {
		State string `json:"state"`
	} `json:"status"`
}

// getAlerts lists the alerts named "overload" with the given extra query.
func getAlerts(t *testing.T, base, query string) []gettableAlert {
	t.Helper()
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	q.Set("filter", `alertname="overload"`)
	resp, err := http.Get(base + "/api/v2/alerts?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v2/alerts?%s: %s", q.Encode(), resp.Status)
	}
	var alerts []gettableAlert
	if err := json.NewDecoder(resp.Body).Decode(&alerts); err != nil {
		t.Fatal(err)
	}
	return alerts
}

// poll calls cond every 20 ms until it holds, for at most 10 s.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
