package ruletest

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/notimon/notimon/actions/exec"
	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/engine"
)

// sim is the simulated world a test's engine runs in: a fake clock that wait steps
// advance, and recorders in place of the notifiers and of exec.
//
// Chains run in goroutines of the engine's own, as in production. A wait step blocks in
// SleepUntil until the simulation moves the clock to its end, which it does only once the
// engine is idle (engine.WaitIdle: every chain waits or has finished), and then to the end
// of the earliest wait: chains that wait side by side wake at the same simulated moment,
// and a wait longer than the interval spans the ticks that happen meanwhile (a repeat due
// then is skipped, a resolve queues behind the chain), exactly as in the daemon. Whatever
// the goroutines' timing, every run of a test sees the same times.
type sim struct {
	t0       time.Time
	interval time.Duration
	stubs    map[int][]*ExecExpect // what commands run during a tick return, by tick

	// waiting says that, when the engine was last idle, some chain was in a wait.
	waiting bool

	mu    sync.Mutex
	now   time.Time
	moved chan struct{} // closed when the clock moves
	seq   int
	marks []int // seq at each tick, so a timeline can tell what came before the tick
	sent  []sentMsg
	execs []execCall
	held  []heldMsg
	used  map[*ExecExpect]bool
}

// heldMsg is a notify step that suppression held back.
type heldMsg struct {
	rule, notifier, reason string
	chain                  engine.ChainKind
	at                     time.Time
	seq, phase             int
}

// suppressed records a step that suppression held back (engine.Options.Suppressed); held
// exec steps show as commands that did not run.
func (s *sim) suppressed(st engine.SuppressedStep) {
	if st.Step.Notifier == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	s.held = append(s.held, heldMsg{rule: st.Rule, notifier: st.Step.Notifier, reason: st.Reason, chain: st.Chain, at: s.now, seq: s.seq})
}

// sentMsg is a notification the engine sent.
type sentMsg struct {
	notify.Message
	at         time.Time
	seq, phase int
}

// execCall is a command the engine ran.
type execCall struct {
	spec   exec.Spec
	rule   string
	at     time.Time
	seq    int
	result exec.Result
	phase  int
}

// stubError is the error of a simulated command that exits non-zero: the test asked for
// it, so it is not a failure of the test.
type stubError struct{ msg string }

func (e *stubError) Error() string { return e.msg }

func (s *sim) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// SleepUntil blocks until the simulation's clock reaches t, or ctx ends.
func (s *sim) SleepUntil(ctx context.Context, t time.Time) error {
	for {
		s.mu.Lock()
		if !s.now.Before(t) {
			s.mu.Unlock()
			return ctx.Err()
		}
		if s.moved == nil {
			s.moved = make(chan struct{})
		}
		moved := s.moved
		s.mu.Unlock()
		select {
		case <-moved:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// setNow moves the clock forward to t.
func (s *sim) setNow(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !t.After(s.now) {
		return
	}
	s.now = t
	if s.moved != nil {
		close(s.moved)
		s.moved = nil
	}
}

// mark records that a tick is about to run.
func (s *sim) mark() {
	s.mu.Lock()
	s.marks = append(s.marks, s.seq)
	s.mu.Unlock()
}

// phase is the number of ticks that had started when the record seq was made.
func (s *sim) phase(seq int) int {
	return sort.Search(len(s.marks), func(i int) bool { return s.marks[i] >= seq })
}

// tickOf is the index of the tick at or before t.
func (s *sim) tickOf(t time.Time) int { return int(t.Sub(s.t0) / s.interval) }

func (s *sim) notify(_ context.Context, m notify.Message) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	s.sent = append(s.sent, sentMsg{Message: m, at: s.now, seq: s.seq})
	return false, nil
}

// exec records a command and returns what the test's exec expectation at this tick says
// it returns (exit 0 and no output by default); nothing is run.
func (s *sim) exec(_ context.Context, spec exec.Spec) exec.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	call := execCall{spec: spec, rule: spec.Alert["NOTIMON_RULE"], at: s.now, seq: s.seq, result: exec.Result{ExitCode: 0}}
	for _, x := range s.stubs[s.tickOf(s.now)] {
		if s.used[x] || !execMatches(x, call) {
			continue
		}
		s.used[x] = true
		call.result = exec.Result{ExitCode: x.ExitCode, Stdout: x.Stdout, Stderr: x.Stderr}
		if x.ExitCode != 0 {
			name := "sh"
			if len(spec.Argv) > 0 {
				name = filepath.Base(spec.Argv[0])
			}
			call.result.Err = &stubError{fmt.Sprintf("%s: exit status %d", name, x.ExitCode)}
		}
		break
	}
	s.execs = append(s.execs, call)
	return call.result
}

func execMatches(x *ExecExpect, c execCall) bool {
	if x.Rule != nil && x.Rule.Name != c.rule {
		return false
	}
	if x.Shell != "" || c.spec.Shell != "" {
		return x.Shell == c.spec.Shell && len(c.spec.Argv) == 0
	}
	return slices.Equal(x.Command, c.spec.Argv)
}

// settleTimeout bounds the wait for chains to block or finish: they only ever block in
// SleepUntil, so this is reached only by a bug, and then the test fails instead of hanging.
const settleTimeout = 30 * time.Second

// settle waits until the engine is idle: every chain blocked in a wait or finished. It
// returns when the earliest wait ends (zero when none waits).
func (s *sim) settle(e *engine.Engine) (time.Time, error) {
	if next, idle := e.Idle(); idle { // most ticks start no chain
		s.waiting = !next.IsZero()
		return next, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), settleTimeout)
	defer cancel()
	next, err := e.WaitIdle(ctx)
	if err != nil {
		return time.Time{}, fmt.Errorf("action chains did not finish or wait within %s of real time (a bug in notimon: please report it)", settleTimeout)
	}
	s.waiting = !next.IsZero()
	return next, nil
}

// advance runs the chains' waits that end at or before until, in order of their end,
// then sets the clock to until.
func (s *sim) advance(e *engine.Engine, until time.Time) error {
	for {
		next, err := s.settle(e)
		if err != nil {
			return err
		}
		if next.IsZero() || next.After(until) {
			break
		}
		s.setNow(next)
	}
	s.setNow(until)
	return nil
}
