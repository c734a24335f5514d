package alertmanagertest

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
	"strings"
	"sync"
	"testing"
	"time"
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
	bin := Binary()
	if bin == "" {
		t.Skip("prometheus-alertmanager not installed (apt-get install -y prometheus-alertmanager); .ci/run installs it")
	}
	start := time.Now()
	if out, err := exec.Command(bin, "--version").CombinedOutput(); err == nil {
		t.Logf("%s: %s", bin, strings.SplitN(string(out), "\n", 2)[0])
	}
	base := startAlertmanager(t, bin)
	t.Logf("ready at %s after %v", base, time.Since(start).Round(time.Millisecond))
	return base
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
func startAlertmanager(t testing.TB, bin string) string {
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

// Poll calls cond every 20 ms until it holds, for at most 10 s.
func Poll(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
