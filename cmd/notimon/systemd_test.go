package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
	"github.com/notimon/notimon/internal/syncbuf"
)

// notifySocket is a fake $NOTIFY_SOCKET: a unixgram socket that records every datagram
// with the time it arrived.
type notifySocket struct {
	path string
	conn *net.UnixConn
	mu   sync.Mutex
	got  []datagram
	more chan struct{} // signalled on every datagram
}

type datagram struct {
	at    time.Time
	state string
}

func listenNotify(t *testing.T) *notifySocket {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	s := &notifySocket{path: path, conn: conn, more: make(chan struct{}, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.got = append(s.got, datagram{time.Now(), string(buf[:n])})
			s.mu.Unlock()
			select {
			case s.more <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return s
}

func (s *notifySocket) all() []datagram {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// waitFor waits until cond holds for the datagrams received so far.
func (s *notifySocket) waitFor(t *testing.T, what string, timeout time.Duration, cond func([]datagram) bool) []datagram {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if got := s.all(); cond(got) {
			return got
		}
		select {
		case <-s.more:
		case <-deadline:
			t.Fatalf("no %s within %s; received %q", what, timeout, states(s.all()))
		}
	}
}

func states(ds []datagram) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.state)
	}
	return out
}

// count is how many datagrams of ds say state.
func count(ds []datagram, state string) int {
	n := 0
	for _, d := range ds {
		if d.state == state {
			n++
		}
	}
	return n
}

func TestWatchdogPeriod(t *testing.T) {
	const me = 4242
	for _, tc := range []struct {
		usec, pid string
		want      time.Duration
		err       string
	}{
		{"", "", 0, ""},
		{"60000000", "", time.Minute, ""},
		{"60000000", "4242", time.Minute, ""},
		{"60000000", "1", 0, ""}, // another process's watchdog: not ours to ping
		{"500000", "", 500 * time.Millisecond, ""},
		{"0", "", 0, `WATCHDOG_USEC="0" is not a positive number`},
		{"-5", "", 0, `WATCHDOG_USEC="-5" is not a positive number`},
		{"1m", "", 0, `WATCHDOG_USEC="1m" is not a positive number`},
		{"99999999999999999999", "", 0, "is not a positive number"},
		{"60000000", "me", 0, `WATCHDOG_PID="me" is not a process id`},
	} {
		env := map[string]string{"WATCHDOG_USEC": tc.usec, "WATCHDOG_PID": tc.pid}
		got, err := watchdogPeriod(func(k string) string { return env[k] }, me)
		if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("WATCHDOG_USEC=%q WATCHDOG_PID=%q: %v, %v; want %v, error %q", tc.usec, tc.pid, got, err, tc.want, tc.err)
		}
	}
}

// TestWatchdogPingerFollowsTheLoop drives the pinger with a hand-fed timer against a real
// unixgram socket: one WATCHDOG=1 per timer tick while the loop is alive, none while it is
// stuck (said once, at error level), and pings again when it moves.
func TestWatchdogPingerFollowsTheLoop(t *testing.T) {
	sock := listenNotify(t)
	t.Setenv("NOTIFY_SOCKET", sock.path)
	notifier := newSystemdNotifier()
	ticks := make(chan time.Time)
	var mu sync.Mutex
	var stuck error
	var logs syncbuf.Buffer
	w := &watchdogPinger{
		send:  notifier.notify,
		alive: func() error { mu.Lock(); defer mu.Unlock(); return stuck },
		ticks: ticks,
		log:   slog.New(slog.NewTextHandler(&logs, nil)),
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { w.run(stop); close(done) }()
	setStuck := func(err error) { mu.Lock(); stuck = err; mu.Unlock() }
	// tick feeds n timer ticks; the unbuffered channel returns only once run took each.
	tick := func(n int) {
		for range n {
			ticks <- time.Now()
		}
	}

	tick(3)
	sock.waitFor(t, "3 pings", 5*time.Second, func(d []datagram) bool { return count(d, "WATCHDOG=1") == 3 })

	setStuck(errors.New("the tick that started at 03:00:00 has run for 2m0s"))
	tick(4)
	tick(1) // run handled the four stuck ticks before taking this one
	setStuck(nil)
	tick(2)
	got := sock.waitFor(t, "pings to resume", 5*time.Second, func(d []datagram) bool { return count(d, "WATCHDOG=1") >= 5 })
	close(stop)
	<-done
	if n := count(got, "WATCHDOG=1"); n != 5 && n != 6 {
		t.Errorf("%d pings, want 3 before the loop was stuck and 2 (or 3) after", n)
	}
	if n := strings.Count(logs.String(), "the daemon loop is stuck"); n != 1 {
		t.Errorf("%d lines say the loop is stuck, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "the tick that started at 03:00:00 has run for 2m0s") ||
		!strings.Contains(logs.String(), "watchdog pings resume") {
		t.Errorf("the log does not say why pings stopped and that they resumed:\n%s", logs.String())
	}
}

// TestDaemonPingsTheWatchdogOnItsOwnTimer runs the real daemon under a fake systemd: a
// unixgram NOTIFY_SOCKET and WATCHDOG_USEC = 500 ms, far shorter than its interval of an
// hour, so after the first tick there is no other one. Its first tick waits 1.5 s for a
// slow command probe, three watchdog periods. The daemon must warn that the interval
// exceeds the watchdog, ping every 250 ms (half the period) during that slow tick and
// after it, and say READY=1 after the first tick and STOPPING=1 on SIGTERM.
func TestDaemonPingsTheWatchdogOnItsOwnTimer(t *testing.T) {
	const period, half = 500 * time.Millisecond, 250 * time.Millisecond
	srv := telegramtest.New(t, testToken)
	rules := writeRules(t, map[string]string{"rules.hcl": `
settings { interval = "1h" }
notifier "console" "out" {}
probe "command" "slow" {
  command = ["sleep", "1.5"]
  timeout = "10s"
}
rule "slow" {
  when = "command.slow.exit_code != 0"
  notify "out" { message = "never" }
}
`})
	sock := listenNotify(t)
	t.Setenv("NOTIFY_SOCKET", sock.path)
	t.Setenv("WATCHDOG_USEC", fmt.Sprint(period.Microseconds()))
	t.Setenv("WATCHDOG_PID", "") // as systemd sets it for the main process, or not at all
	started := time.Now()
	d := startDaemon(t, rules, t.TempDir(), srv)
	_, warn := d.waitLog(0, "settings.interval is longer than the systemd watchdog period (WatchdogSec); notimon pings the watchdog on a timer of its own, every half period, so it is not restarted for it, but check that this is what you meant", 10*time.Second)
	if warn.All["level"] != "WARN" || warn.All["interval"] != "1h0m0s" || warn.All["watchdog"] != "500ms" {
		t.Errorf("warning %v", warn.All)
	}

	// The first tick takes 1.5 s: pings go on meanwhile.
	got := sock.waitFor(t, "READY=1", 20*time.Second, func(d []datagram) bool { return count(d, "READY=1") == 1 })
	ready := slices.IndexFunc(got, func(d datagram) bool { return d.state == "READY=1" })
	if n := count(got[:ready], "WATCHDOG=1"); n < 2 {
		t.Errorf("%d pings during the 1.5 s first tick, want about 6 (at least 2): %q", n, states(got))
	}

	// After it there is no tick for an hour: 8 more pings come from the timer alone.
	from := len(got)
	got = sock.waitFor(t, "8 pings after the first tick", 20*time.Second, func(d []datagram) bool {
		return count(d[from:], "WATCHDOG=1") >= 8
	})
	var pings []time.Time
	for _, d := range got {
		if d.state == "WATCHDOG=1" {
			pings = append(pings, d.at)
		}
	}
	var gaps []time.Duration
	for i := 1; i < len(pings); i++ {
		gaps = append(gaps, pings[i].Sub(pings[i-1]))
	}
	slices.Sort(gaps)
	median := gaps[len(gaps)/2]
	t.Logf("%d pings in %s; gaps from %s to %s, median %s", len(pings), time.Since(started).Round(time.Millisecond),
		gaps[0].Round(time.Millisecond), gaps[len(gaps)-1].Round(time.Millisecond), median.Round(time.Millisecond))
	if median < half/2 || median > 3*half {
		t.Errorf("median gap between pings %s, want about %s (half the watchdog period)", median, half)
	}
	// A timer of period half cannot ping more often; one tick may wait in its channel.
	if max := int(time.Since(started)/half) + 2; len(pings) > max {
		t.Errorf("%d pings in %s: more than one per %s", len(pings), time.Since(started), half)
	}

	d.stop(10 * time.Second)
	got = sock.waitFor(t, "STOPPING=1", 5*time.Second, func(d []datagram) bool { return count(d, "STOPPING=1") == 1 })
	if last := got[len(got)-1].state; last != "STOPPING=1" {
		t.Errorf("the last datagram is %q, want STOPPING=1: no ping after the stop", last)
	}
}

// TestDaemonLeavesAnotherProcesssWatchdogAlone: WATCHDOG_PID names another process (the
// variables were inherited): no pings, no warning about the interval.
func TestDaemonLeavesAnotherProcesssWatchdogAlone(t *testing.T) {
	srv := telegramtest.New(t, testToken)
	rules := writeRules(t, map[string]string{"rules.hcl": `
settings { interval = "1h" }
notifier "console" "out" {}
rule "never" {
  when = "mem.total_bytes < 0"
  notify "out" { message = "never" }
}
`})
	sock := listenNotify(t)
	t.Setenv("NOTIFY_SOCKET", sock.path)
	t.Setenv("WATCHDOG_USEC", "100000")
	t.Setenv("WATCHDOG_PID", fmt.Sprint(os.Getpid())) // the test's pid, not the daemon's
	d := startDaemon(t, rules, t.TempDir(), srv)
	sock.waitFor(t, "READY=1", 20*time.Second, func(d []datagram) bool { return count(d, "READY=1") == 1 })
	// Ten watchdog periods without a ping. Waiting is the point: nothing must happen.
	time.Sleep(time.Second)
	d.cmd.Process.Signal(syscall.SIGTERM)
	<-d.done
	got := sock.waitFor(t, "STOPPING=1", 5*time.Second, func(d []datagram) bool { return count(d, "STOPPING=1") == 1 })
	if n := count(got, "WATCHDOG=1"); n != 0 {
		t.Errorf("%d pings for another process's watchdog: %q", n, states(got))
	}
	if strings.Contains(d.log(), "watchdog period") {
		t.Errorf("warned about a watchdog that is not ours:\n%s", d.log())
	}
}
