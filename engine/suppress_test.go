package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/exec"
	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/engine/control"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
)

const silencedRules = `
notifier "console" "ops" {}
rule "web_down" {
  when   = "cpu.pct > 50"
  repeat = "10m"
  labels = { team = "web" }
  notify "ops" { message = "web down{{ rule.silenced ? ' (silenced by ' + rule.silenced_by + ')' : '' }}{{ rule.acked ? ' (acked by ' + rule.acked_by + ': ' + rule.ack_comment + ')' : '' }}" }
  exec { command = ["restart-web"] }
  on_resolve {
    notify "ops" { message = "web up{{ rule.silenced ? ' (silenced)' : '' }}" }
  }
}
`

// harness drives an engine tick by tick on a fake clock, with the control files of a temp
// state directory, recording what it sends, runs and holds back.
type harness struct {
	t     *testing.T
	e     *Engine
	dir   string
	clk   *clock
	cpu   atomic.Int64
	sent  messages
	mu    sync.Mutex
	ran   []string
	held  []string
	store *store.Store
}

func newHarness(t *testing.T, withStore bool) *harness {
	h := &harness{t: t, dir: t.TempDir(), clk: &clock{now: t0}}
	cfg := load(t, silencedRules)
	sampler := probes.SamplerFunc(func(_ context.Context, now time.Time, _ []probes.Ref) *probes.Snapshot {
		return &probes.Snapshot{Time: now, CPU: cpu.Values{Pct: float64(h.cpu.Load())}}
	})
	opts := Options{Sampler: sampler, Now: h.clk.Now, SleepUntil: h.clk.SleepUntil,
		Notify: notify.NotifierFunc(h.sent.notify),
		Exec: func(_ context.Context, s exec.Spec) exec.Result {
			h.mu.Lock()
			h.ran = append(h.ran, s.Argv[0])
			h.mu.Unlock()
			return exec.Result{}
		},
		Suppressed: func(s SuppressedStep) {
			h.mu.Lock()
			h.held = append(h.held, fmt.Sprintf("%s/%s/%s", s.Rule, s.Chain, s.Step.Kind))
			h.mu.Unlock()
		},
	}
	if withStore {
		st, err := store.Open(h.dir, store.Options{Now: h.clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		h.store, opts.Store = st, st
	} else {
		opts.Control = control.NewReader(h.dir)
	}
	h.e = New(cfg, opts)
	t.Cleanup(h.e.Stop)
	return h
}

// tick ticks at t0+at with cpu at pct and returns what was sent, run and held back.
func (h *harness) tick(at time.Duration, pct int64) (sent, ran, held []string) {
	h.t.Helper()
	before := len(h.sent.get())
	h.mu.Lock()
	nRan, nHeld := len(h.ran), len(h.held)
	h.mu.Unlock()
	h.cpu.Store(pct)
	h.clk.Set(t0.Add(at))
	ctx := context.Background()
	h.e.Tick(ctx, t0.Add(at))
	if err := h.e.Wait(ctx); err != nil {
		h.t.Fatal(err)
	}
	if h.store != nil {
		if err := h.e.Flush(ctx); err != nil {
			h.t.Fatal(err)
		}
		if err := h.e.WaitDeliveries(ctx); err != nil {
			h.t.Fatal(err)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sent.get()[before:], append([]string(nil), h.ran[nRan:]...), append([]string(nil), h.held[nHeld:]...)
}

func (h *harness) expect(at time.Duration, pct int64, sent, ran, held string) {
	h.t.Helper()
	s, r, hd := h.tick(at, pct)
	got := fmt.Sprintf("sent %q ran %q held %q", s, r, hd)
	want := fmt.Sprintf("sent %q ran %q held %q", split(sent), split(ran), split(held))
	if got != want {
		h.t.Fatalf("at t0+%s:\n got %s\nwant %s", at, got, want)
	}
}

func split(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, "|")
}

func (h *harness) silence(at, d time.Duration, noExec bool, ms ...control.Matcher) control.Silence {
	h.t.Helper()
	s, err := control.AddSilence(h.dir, control.Silence{Matchers: ms, EndsAt: t0.Add(at + d), By: "alice", NoExec: noExec, StartsAt: t0.Add(at)}, t0.Add(at))
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// A silence added while a rule fires holds its repeats back; when it ends while the rule
// still fires, one notification says so, and the repeat schedule resumes from it.
func TestSilenceHoldsRepeatsThenCatchesUp(t *testing.T) {
	h := newHarness(t, false)
	m := time.Minute
	h.expect(0, 90, "web down", "restart-web", "")
	sil := h.silence(m, 30*m, false, control.Matcher{Rule: "web_*"})
	h.expect(5*m, 90, "", "", "")
	h.expect(10*m, 90, "", "", "web_down/repeat/notify")
	h.expect(20*m, 90, "", "", "web_down/repeat/notify")
	st := h.e.States()["web_down"]
	if st.Held == nil || st.Held.Steps != 2 || !strings.Contains(st.Held.Reason, "silence "+sil.ID) || st.Suppressed == nil || !st.Suppressed.Notify {
		t.Fatalf("state while silenced: held %+v suppressed %+v", st.Held, st.Suppressed)
	}
	h.expect(31*m, 90, "still firing after the silence\nweb down", "", "")
	if st := h.e.States()["web_down"]; st.Held != nil || st.Suppressed != nil {
		t.Fatalf("state after the catch-up: held %+v suppressed %+v", st.Held, st.Suppressed)
	}
	h.expect(32*m, 90, "", "", "")
	h.expect(40*m, 90, "", "", "")
	h.expect(41*m, 90, "web down", "", "") // 10m after the catch-up
	h.expect(42*m, 10, "web up", "", "")
}

// Expiring a silence early has the same effect as its end.
func TestExpireSilenceResumes(t *testing.T) {
	h := newHarness(t, false)
	m := time.Minute
	h.expect(0, 90, "web down", "restart-web", "")
	sil := h.silence(m, time.Hour, false, control.Matcher{Label: "team", Value: "web"})
	h.expect(10*m, 90, "", "", "web_down/repeat/notify")
	h.expect(11*m, 90, "", "", "")
	if _, err := control.ExpireSilence(h.dir, sil.ID, t0.Add(12*m)); err != nil {
		t.Fatal(err)
	}
	h.expect(12*m, 90, "still firing after the silence\nweb down", "", "")
}

// A rule that starts firing under a silence still runs its exec steps (unless no_exec);
// its resolve is not sent, since its firing never was.
func TestSilencedFromTheStart(t *testing.T) {
	for _, noExec := range []bool{false, true} {
		t.Run(fmt.Sprintf("no_exec=%v", noExec), func(t *testing.T) {
			h := newHarness(t, false)
			m := time.Minute
			h.silence(0, time.Hour, noExec, control.Matcher{Rule: "web_down"})
			ran, held := "restart-web", "web_down/fire/notify"
			if noExec {
				ran, held = "", "web_down/fire/notify|web_down/fire/exec"
			}
			h.expect(0, 90, "", ran, held)
			if st := h.e.States()["web_down"]; st.State != Firing || st.Announced {
				t.Fatalf("a silenced rule still fires: %+v", st)
			}
			h.expect(5*m, 10, "", "", "web_down/resolve/notify")
			// The next incident, after the silence, is announced as usual.
			h.expect(61*m, 90, "web down", "restart-web", "")
		})
	}
}

// A resolve during a silence is sent when the firing was announced before it began.
func TestResolveDuringSilenceAfterAnnouncedFiring(t *testing.T) {
	h := newHarness(t, false)
	m := time.Minute
	h.expect(0, 90, "web down", "restart-web", "")
	h.silence(m, time.Hour, false, control.Matcher{Rule: "web_down"})
	h.expect(2*m, 10, "web up (silenced)", "", "")
	// Nothing is owed after the silence: the incident is over.
	h.expect(62*m, 10, "", "", "")
}

// A silence that ends while the rule is inactive owes nothing.
func TestSilenceOverAnIncidentThatResolved(t *testing.T) {
	h := newHarness(t, false)
	m := time.Minute
	h.silence(0, 30*m, false, control.Matcher{Rule: "*"})
	h.expect(0, 90, "", "restart-web", "web_down/fire/notify")
	h.expect(10*m, 10, "", "", "web_down/resolve/notify")
	h.expect(31*m, 10, "", "", "")
	h.expect(32*m, 90, "web down", "restart-web", "")
}

// A silence of another rule or label holds nothing back.
func TestSilenceOfOtherRules(t *testing.T) {
	h := newHarness(t, false)
	h.silence(0, time.Hour, true, control.Matcher{Rule: "db_*"})
	h.silence(0, time.Hour, true, control.Matcher{Rule: "web_down"}, control.Matcher{Label: "team", Value: "db"})
	h.expect(0, 90, "web down", "restart-web", "")
}

// An ack stops the repeats of the incident, shows in messages and the state, and is cleared
// when the rule resolves: the next incident repeats again.
func TestAckStopsRepeatsUntilResolved(t *testing.T) {
	h := newHarness(t, true)
	m := time.Minute
	h.expect(0, 90, "web down", "restart-web", "")
	if _, err := control.AckRule(h.dir, "web_down", "bob", "on it", t0.Add(m)); err != nil {
		t.Fatal(err)
	}
	h.expect(2*m, 90, "", "", "")
	if st := h.e.States()["web_down"]; st.Ack == nil || st.Ack.By != "bob" {
		t.Fatalf("ack not in the state: %+v", st.Ack)
	}
	h.expect(10*m, 90, "", "", "")
	h.expect(20*m, 90, "", "", "")
	h.expect(21*m, 10, "web up", "", "")
	if acks, err := control.Acks(h.dir); err != nil || len(acks) != 0 {
		t.Fatalf("ack not cleared on resolve: %v, %v", acks, err)
	}
	h.expect(22*m, 90, "web down", "restart-web", "")
	h.expect(32*m, 90, "web down", "", "")
	// An ack shows in messages: a silence that ends after it owes no catch-up.
	if _, err := control.AckRule(h.dir, "web_down", "bob", "on it", t0.Add(33*m)); err != nil {
		t.Fatal(err)
	}
	h.silence(33*m, 5*m, false, control.Matcher{Rule: "web_down"})
	h.expect(42*m, 90, "", "", "")
	h.expect(43*m, 90, "", "", "")
}

// An ack made before a rule resolved and fired again does not silence the new incident.
func TestStaleAckIgnored(t *testing.T) {
	h := newHarness(t, true)
	m := time.Minute
	h.expect(0, 90, "web down", "restart-web", "")
	if _, err := control.AckRule(h.dir, "web_down", "bob", "", t0.Add(m)); err != nil {
		t.Fatal(err)
	}
	// The ack is cleared at the resolve; written back by hand (a race with the CLI) it
	// still names the old incident.
	acks, _ := control.Acks(h.dir)
	h.expect(2*m, 10, "web up", "", "")
	h.expect(3*m, 90, "web down", "restart-web", "")
	if err := store.WriteFile(h.dir, "acks.json", []byte(fmt.Sprintf(`{"version":1,"acks":{"web_down":{"rule":"web_down","by":"bob","at":%q,"firing_since":%q}}}`,
		acks["web_down"].At.Format(time.RFC3339), acks["web_down"].FiringSince.Format(time.RFC3339)))); err != nil {
		t.Fatal(err)
	}
	h.expect(13*m, 90, "web down", "", "")
}

// Messages read the ack: a notification sent while acked (the catch-up is not, but a
// renotify would be) says who acknowledged it.
func TestAckInMessages(t *testing.T) {
	h := newHarness(t, true)
	h.expect(0, 90, "web down", "restart-web", "")
	if _, err := control.AckRule(h.dir, "web_down", "bob", "on it", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	h.tick(2*time.Minute, 90)
	h.e.mu.Lock()
	info := h.e.opInfoLocked(ruleNamed(h.e.cfg, "web_down"), &Cursor{Chain: ChainFire, FiringSince: t0})
	h.e.mu.Unlock()
	if !info.Acked || info.AckedBy != "bob" || info.AckComment != "on it" {
		t.Fatalf("rule info: %+v", info)
	}
}
