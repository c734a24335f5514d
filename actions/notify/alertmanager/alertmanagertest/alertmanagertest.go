package alertmanagertest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/internal/syncbuf"
)

// Binary returns the path of the installed Alertmanager, or "" when there is none.
func Binary() string {
	for _, name := range []string{"prometheus-alertmanager", "alertmanager"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Start runs the installed Alertmanager, or skips the test when there is none, and returns
// its base URL; the process is killed when the test ends.
func Start(t testing.TB) string {
	t.Helper()
	return StartWith(t, Options{}).URL
}

// Options configure an Alertmanager for StartWith.
type Options struct {
	// ResolveTimeout is its global resolve_timeout: how long after it last heard of a
	// firing alert without endsAt it resolves it on its own. 0: Alertmanager's 5m.
	ResolveTimeout time.Duration
	// Webhook, when set, is the URL of a webhook receiver every alert is routed to
	// (grouped by alertname, sent without group_wait, changes within a second, repeats
	// after an hour, resolved alerts too). Unset: a null receiver.
	Webhook string
}

// Instance is a running Alertmanager.
type Instance struct {
	URL  string // its base URL
	stop func()
}

// Stop kills the Alertmanager now (the test's cleanup does it otherwise), as a member of
// a cluster goes down: connections to its URL are refused from then on.
func (i *Instance) Stop() { i.stop() }

// StartWith runs the installed Alertmanager configured as o says, or skips the test when
// there is none; the process is killed when the test ends.
func StartWith(t testing.TB, o Options) *Instance {
	t.Helper()
	bin := Binary()
	if bin == "" {
		t.Skip("prometheus-alertmanager not installed (apt-get install -y prometheus-alertmanager); .ci/run installs it")
	}
	start := time.Now()
	if out, err := exec.Command(bin, "--version").CombinedOutput(); err == nil {
		t.Logf("%s: %s", bin, strings.SplitN(string(out), "\n", 2)[0])
	}
	inst := startAlertmanager(t, bin, config(o))
	t.Logf("ready at %s after %v", inst.URL, time.Since(start).Round(time.Millisecond))
	return inst
}

// config is the alertmanager.yml for o.
func config(o Options) string {
	var b strings.Builder
	if o.ResolveTimeout > 0 {
		fmt.Fprintf(&b, "global:\n  resolve_timeout: %s\n", model(o.ResolveTimeout))
	}
	if o.Webhook == "" {
		b.WriteString("route:\n  receiver: \"null\"\nreceivers:\n  - name: \"null\"\n")
		return b.String()
	}
	fmt.Fprintf(&b, `route:
  receiver: hook
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: %q
        send_resolved: true
`, o.Webhook)
	return b.String()
}

// model writes d as Alertmanager's configuration reads a duration: whole milliseconds,
// seconds, minutes or hours, one unit.
func model(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}

// startAlertmanager runs bin on a free 127.0.0.1 port with the configuration yml,
// clustering off and a temporary storage directory, waits until /-/ready answers 200, and
// kills it when the test ends.
func startAlertmanager(t testing.TB, bin, yml string) *Instance {
	t.Helper()
	dir := t.TempDir()
	config := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(config, []byte(yml), 0o600); err != nil {
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
		var out syncbuf.Buffer // the process's output, for failure messages
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
		stop := func() {
			cmd.Process.Kill()
			<-exited
		}
		t.Cleanup(func() {
			stop()
			if t.Failed() {
				t.Logf("alertmanager output:\n%s", out.String())
			}
		})
		switch waitReady(base, exited, 30*time.Second) {
		case ready:
			return &Instance{URL: base, stop: stop}
		case timedOut:
			t.Fatalf("alertmanager not ready within 30s; output:\n%s", out.String())
		}
		output = out.String()
	}
	t.Fatalf("alertmanager exited before it was ready, 3 times; last output:\n%s", output)
	return nil
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

// Alert is an alert as GET /api/v2/alerts lists it (a GettableAlert).
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Status       struct {
		State string `json:"state"`
	} `json:"status"`
}

// Alerts lists the alerts whose alertname is alertname, with the given extra query
// ("active=true" …).
func Alerts(t testing.TB, base, alertname, query string) []Alert {
	t.Helper()
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	q.Set("filter", fmt.Sprintf("alertname=%q", alertname))
	resp, err := http.Get(base + "/api/v2/alerts?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v2/alerts?%s: %s", q.Encode(), resp.Status)
	}
	var alerts []Alert
	if err := json.NewDecoder(resp.Body).Decode(&alerts); err != nil {
		t.Fatal(err)
	}
	return alerts
}

// Notification is what Alertmanager posts to a webhook receiver (its webhook payload,
// version 4), as far as tests read it.
type Notification struct {
	Status string `json:"status"` // "firing" or "resolved"
	Alerts []struct {
		Status   string            `json:"status"`
		Labels   map[string]string `json:"labels"`
		StartsAt time.Time         `json:"startsAt"`
		EndsAt   time.Time         `json:"endsAt"`
	} `json:"alerts"`
}

// Poll calls cond every 20 ms until it holds, for at most 10 s.
func Poll(t testing.TB, what string, cond func() bool) {
	t.Helper()
	PollFor(t, what, 10*time.Second, cond)
}

// PollFor calls cond every 20 ms until it holds, for at most within.
func PollFor(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
