package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
	"github.com/notimon/notimon/probes/cpu"
)

// busyLoad keeps every CPU busy with one shell loop each until stop is called.
type busyLoad struct {
	t     *testing.T
	procs []*exec.Cmd
	start cpu.Stat
}

func startLoad(t *testing.T) *busyLoad {
	t.Helper()
	l := &busyLoad{t: t, start: readStat(t)}
	for range runtime.NumCPU() {
		c := exec.Command("sh", "-c", "while :; do :; done")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		l.procs = append(l.procs, c)
	}
	t.Cleanup(func() { l.stop() })
	return l
}

// stop ends the load and returns the machine's busy share while it ran.
func (l *busyLoad) stop() float64 {
	for _, c := range l.procs {
		if c.ProcessState == nil {
			c.Process.Kill()
			c.Wait()
		}
	}
	return cpu.Usage(l.start.Counters, readStat(l.t).Counters).Pct
}

func readStat(t *testing.T) cpu.Stat {
	t.Helper()
	st, err := cpu.ReadStat(os.DirFS("/proc"))
	if err != nil {
		t.Skipf("no /proc/stat: %v", err)
	}
	return st
}

// transitions returns the daemon's rule transitions so far, by event.
func (d *daemon) transitions() map[string][]logLine {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string][]logLine{}
	for _, l := range d.lines {
		if l.Msg == "rule transition" {
			ev := fmt.Sprint(l.All["event"])
			out[ev] = append(out[ev], l)
		}
	}
	return out
}

// TestSteadyLoadAlertsOnce is issue 10's report, run for real: the daemon at a 1 s tick,
// `cpu.avg3 > 50`, every CPU busy for 8 s. It used to fire, resolve 1 ms later (the second
// tick measured the 2 ms after the first tick's 1 s window) and fire again. Now: one alert
// while the load runs, one resolve after it stops.
//
// Other tests may load the machine too: that only keeps avg3 high during the load, and may
// delay the resolve, so the test waits for it with a generous deadline and stops the
// daemon as soon as it has come (later load from others could rightly fire it again).
func TestSteadyLoadAlertsOnce(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/stat")
	}
	srv := telegramtest.New(t, testToken)
	rules := writeRules(t, map[string]string{"rules.hcl": fmt.Sprintf(`
settings { interval = "1s" }
notifier "telegram" "ops" {
  token   = env("NOTIMON_TELEGRAM_TOKEN")
  chat_id = %d
  api_url = %q
}
rule "cpu" {
  when = "cpu.avg3 > 50"
  notify "ops" { message = "cpu busy" }
  on_resolve {
    notify "ops" { message = "cpu calm" }
  }
}
`, telegramtest.DefaultChatID, srv.URL())})
	state := filepath.Join(t.TempDir(), "state")

	load := startLoad(t)
	loadStart := time.Now()
	d := startDaemon(t, rules, state, srv)
	d.waitLog(0, "notimon started", 30*time.Second)
	_, fired := d.waitLog(0, "rule transition", 30*time.Second)
	if ev := fmt.Sprint(fired.All["event"]); ev != "fired" {
		t.Fatalf("first transition %s, want fired; the daemon said:\n%s", ev, d.log())
	}
	time.Sleep(time.Until(loadStart.Add(8 * time.Second)))
	busy := load.stop()
	stopped := time.Now()
	t.Logf("the machine was %.1f %% busy during the %s of load", busy, stopped.Sub(loadStart).Round(time.Millisecond))
	if busy < 60 {
		t.Skipf("the load kept the machine only %.1f %% busy (a CPU quota?): cpu.avg3 > 50 cannot be tested here", busy)
	}
	if tr := d.transitions(); len(tr["fired"]) != 1 || len(tr["resolved"]) != 0 {
		t.Fatalf("during a steady load: %d fired, %d resolved; want 1 and 0. The daemon said:\n%s",
			len(tr["fired"]), len(tr["resolved"]), d.log())
	}

	resolved := waitResolve(t, d)
	t.Logf("resolved %s after the load stopped, values %v", resolved.Time.Sub(stopped).Round(time.Millisecond), resolved.All["values"])
	if resolved.Time.Before(stopped) {
		t.Errorf("resolved at %s, before the load stopped at %s", resolved.Time, stopped)
	}
	waitText(t, srv, "cpu calm", 30*time.Second)
	d.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-d.done; err != nil {
		t.Fatalf("daemon: %v\n%s", err, d.log())
	}
	if tr := d.transitions(); len(tr["fired"]) != 1 || len(tr["resolved"]) != 1 {
		t.Errorf("%d fired, %d resolved; want one of each. The daemon said:\n%s", len(tr["fired"]), len(tr["resolved"]), d.log())
	}
	var texts []string
	for _, m := range srv.Messages() {
		texts = append(texts, m.Visible)
	}
	if fmt.Sprint(texts) != "[cpu busy cpu calm]" {
		t.Errorf("messages %q, want one alert and one resolve", texts)
	}
}

// waitResolve waits for the rule to resolve once the load has stopped. The daemon rightly
// keeps the alert while other work keeps the machine over 50 %, so the test watches the
// machine itself: once it has seen 5 s under 30 % busy (then every 3 s within held at most
// 50 %, what the daemon's avg3 covers), the resolve must follow within a few ticks. If the
// machine does not calm down within three minutes (less when the test binary's -timeout
// nears), the resolve cannot be tested here and the test is skipped.
func waitResolve(t *testing.T, d *daemon) logLine {
	t.Helper()
	const calmFor, calmPct, grace = 5, 30, 15 * time.Second
	// Longer than a parallel `stress-ng --timeout 150s`; go test -count=3 runs three of
	// these under one -timeout.
	deadline := 3 * time.Minute
	if end, ok := t.Deadline(); ok {
		deadline = min(deadline, time.Until(end)/3)
	}
	readings := []cpu.Stat{readStat(t)} // one a second, the last calmFor+1
	var calm time.Time
	for start := time.Now(); ; {
		tr := d.transitions()
		if len(tr["fired"]) > 1 {
			t.Fatalf("fired again before it resolved; the daemon said:\n%s", d.log())
		}
		if len(tr["resolved"]) > 0 {
			return tr["resolved"][0]
		}
		switch {
		case !calm.IsZero() && time.Since(calm) > grace:
			t.Fatalf("the machine was under %d %% busy for %d s at %s, and %s later the rule has not resolved; the daemon said:\n%s",
				calmPct, calmFor, calm.Format(time.RFC3339Nano), grace, d.log())
		case time.Since(start) > deadline:
			t.Skipf("the machine stayed busy (other work) for %s after the load stopped: the resolve cannot be tested here", deadline)
		}
		time.Sleep(time.Second)
		readings = append(readings, readStat(t))
		if n := len(readings); n > calmFor+1 {
			readings = readings[n-calmFor-1:]
		}
		if busy := cpu.Usage(readings[0].Counters, readings[len(readings)-1].Counters).Pct; calm.IsZero() && len(readings) == calmFor+1 && busy < calmPct {
			calm = time.Now()
			t.Logf("the machine was %.1f %% busy over the last %d s", busy, calmFor)
		}
	}
}
