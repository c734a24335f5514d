package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/exec"
	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/internal/syncbuf"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
)

// simClock is a clock that moves only when told to; SleepUntil blocks until it has moved
// far enough, as `notimon test` does.
type simClock struct {
	mu    sync.Mutex
	now   time.Time
	moved chan struct{}
}

func newSimClock(t time.Time) *simClock { return &simClock{now: t, moved: make(chan struct{})} }

func (c *simClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *simClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	close(c.moved)
	c.moved = make(chan struct{})
	c.mu.Unlock()
}

func (c *simClock) SleepUntil(ctx context.Context, t time.Time) error {
	for {
		c.mu.Lock()
		now, moved := c.now, c.moved
		c.mu.Unlock()
		if !now.Before(t) {
			return nil
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// messages records what the engine sends, in order.
type messages struct {
	mu   sync.Mutex
	list []string
}

func (m *messages) notify(_ context.Context, msg notify.Message) (bool, error) {
	m.mu.Lock()
	m.list = append(m.list, strings.TrimSpace(msg.Text))
	m.mu.Unlock()
	return false, nil
}

func (m *messages) get() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.list...)
}

// TestWaitIdle: after a tick, WaitIdle returns once every chain waits, with the end of the
// earliest wait; moved there, the chains that woke count as busy until they wait again or
// finish, so what they send is there when WaitIdle returns.
func TestWaitIdle(t *testing.T) {
	cfg := load(t, `
notifier "console" "ops" {}
rule "a" {
  when = "cpu.pct > 50"
  notify "ops" { message = "a1" }
  wait { duration = "5m" }
  notify "ops" { message = "a2" }
  wait { duration = "10m" }
  notify "ops" { message = "a3" }
}
rule "b" {
  when = "cpu.pct > 50"
  notify "ops" { message = "b1" }
  wait { duration = "7m" }
  notify "ops" { message = "b2" }
}
`)
	clk := newSimClock(t0)
	var sent messages
	e := New(cfg, Options{Sampler: recorded(probes.Snapshot{CPU: cpu.Values{Pct: 90}}, nil),
		Now: clk.Now, SleepUntil: clk.SleepUntil, Notify: notify.NotifierFunc(sent.notify)})
	defer e.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if next, err := e.WaitIdle(ctx); err != nil || !next.IsZero() {
		t.Fatalf("before any tick: WaitIdle = %v, %v; want idle, nothing waiting", next, err)
	}
	e.Tick(ctx, t0)
	for _, step := range []struct {
		sent []string // all sent so far, sorted per moment
		next time.Duration
	}{
		{[]string{"a1", "b1"}, 5 * time.Minute},
		{[]string{"a1", "b1", "a2"}, 7 * time.Minute},
		{[]string{"a1", "b1", "a2", "b2"}, 15 * time.Minute},
		{[]string{"a1", "b1", "a2", "b2", "a3"}, 0},
	} {
		next, err := e.WaitIdle(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := sent.get()
		if len(got) >= 2 && got[0] > got[1] { // a and b send at the same moment
			got[0], got[1] = got[1], got[0]
		}
		if fmt.Sprint(got) != fmt.Sprint(step.sent) {
			t.Fatalf("at t0+%s: sent %v, want %v", clk.Now().Sub(t0), got, step.sent)
		}
		if want := t0.Add(step.next); step.next == 0 && !next.IsZero() || step.next != 0 && !next.Equal(want) {
			t.Fatalf("at t0+%s: next wake %v, want t0+%s", clk.Now().Sub(t0), next, step.next)
		}
		if step.next != 0 {
			clk.Set(next)
		}
	}
	if st := e.States(); len(st["a"].Chains)+len(st["b"].Chains) != 0 {
		t.Errorf("chains left: %+v", st)
	}

	// A chain busy in a step is not idle: WaitIdle waits for it, or for ctx.
	release := make(chan struct{})
	busy := New(load(t, `
rule "slow" {
  when = "cpu.pct > 50"
  exec { command = ["slow"] }
}
`), Options{Sampler: recorded(probes.Snapshot{CPU: cpu.Values{Pct: 90}}, nil), Now: clk.Now,
		Exec: func(context.Context, exec.Spec) exec.Result { <-release; return exec.Result{} }})
	defer busy.Stop()
	busy.Tick(ctx, t0)
	if _, idle := busy.Idle(); idle {
		t.Error("Idle with a command running")
	}
	short, cancelShort := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancelShort()
	if _, err := busy.WaitIdle(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("with a command running: WaitIdle = %v, want the deadline", err)
	}
	close(release)
	if next, err := busy.WaitIdle(ctx); err != nil || !next.IsZero() {
		t.Errorf("after the command: WaitIdle = %v, %v", next, err)
	}
	if next, idle := busy.Idle(); !idle || !next.IsZero() {
		t.Errorf("after the command: Idle = %v, %v", next, idle)
	}
}

// TestWaitIdleWaitsForDeliveries: with a store, messages go through the outbox and a
// background delivery; WaitIdle returns once it has delivered them.
func TestWaitIdleWaitsForDeliveries(t *testing.T) {
	cfg := load(t, `
notifier "console" "ops" {}
rule "a" {
  when = "cpu.pct > 50"
  notify "ops" { message = "through the outbox" }
}
`)
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out syncbuf.Buffer
	e := New(cfg, Options{Sampler: recorded(probes.Snapshot{CPU: cpu.Values{Pct: 90}}, nil), Store: st, Stdout: &out, Now: func() time.Time { return t0 }})
	defer e.Stop()
	e.Tick(context.Background(), t0)
	if _, err := e.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "through the outbox") {
		t.Errorf("idle before the delivery: console has %q", out.String())
	}
	if pending, err := st.Pending(); err != nil || len(pending) != 0 {
		t.Errorf("outbox after idle: %d entries, %v", len(pending), err)
	}
}

// TestStepErrorsAreTyped: a failed exec step is a *StepError wrapping an *ExecError that
// wraps the runner's error, with the exit code; its message is unchanged. A real command
// that fails gives the same.
func TestStepErrorsAreTyped(t *testing.T) {
	cfg := load(t, `
notifier "console" "ops" {}
rule "restart" {
  when = "cpu.pct > 50"
  exec { command = ["/bin/sh", "-c", "exit 3"] }
  notify "ops" { message = "{{ [1][int(cpu.pct)] }}" }
}
`)
	runnerErr := errors.New("sh: exit status 3")
	for _, tc := range []struct {
		name   string
		runner func(context.Context, exec.Spec) exec.Result
		isErr  error // what errors.Is must find, besides the types
	}{
		{"stubbed", func(context.Context, exec.Spec) exec.Result { return exec.Result{ExitCode: 3, Err: runnerErr} }, runnerErr},
		{"real", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out syncbuf.Buffer
			e := New(cfg, Options{Sampler: recorded(probes.Snapshot{CPU: cpu.Values{Pct: 90}}, nil), Stdout: &out, Exec: tc.runner, Now: func() time.Time { return t0 }})
			e.Tick(context.Background(), t0)
			if err := e.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			errs := e.Errs()
			if len(errs) != 2 {
				t.Fatalf("errors: %v, want the exec's and the message's", errs)
			}
			execStep, notifyStep := cfg.Rules[0].Fire[0], cfg.Rules[0].Fire[1]
			want := fmt.Sprintf(`rule "restart": exec /bin/sh (%s:%d:%d) failed (exit code 3)`, execStep.Range.Filename, execStep.Range.Start.Line, execStep.Range.Start.Column)
			if errs[0].Error() != want {
				t.Errorf("message %q, want %q", errs[0], want)
			}
			var se *StepError
			var ee *ExecError
			if !errors.As(errs[0], &se) || se.Rule != "restart" || se.Chain != ChainFire || se.Step != execStep || se.Step.Kind != dsl.StepExec {
				t.Errorf("not a StepError of the exec step: %#v", se)
			}
			if !errors.As(errs[0], &ee) || ee.ExitCode != 3 || ee.Program != "/bin/sh" || ee.Err == nil {
				t.Errorf("not an ExecError with exit code 3: %#v", ee)
			}
			if tc.isErr != nil && !errors.Is(errs[0], tc.isErr) {
				t.Errorf("the runner's error is not wrapped: %v", errs[0])
			}
			if !errors.As(errs[1], &se) || se.Step != notifyStep || !strings.Contains(errs[1].Error(), `rule "restart": rendering the message for "ops"`) {
				t.Errorf("the message's error: %v (%#v)", errs[1], se)
			}
		})
	}
}
