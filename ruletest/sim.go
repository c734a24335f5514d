package ruletest

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
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
// Sleep until the simulation moves the clock to its end, which it does only once every
// running chain is blocked in a wait or finished: chains that wait side by side wake at
// the same simulated moment, and a wait longer than the interval spans the ticks that
// happen meanwhile (a repeat due then is skipped, a resolve queues behind the chain),
// exactly as in the daemon. Whatever the goroutines' timing, every run of a test sees the
// same times.
type sim struct {
	t0       time.Time
	interval time.Duration
	stubs    map[int][]*ExecExpect // what commands run during a tick return, by tick

	// maybeBusy is set when a tick started or queued a chain, and cleared once no rule
	// has one: only then does settle need to look.
	maybeBusy bool

	mu       sync.Mutex
	now      time.Time
	sleepers []*sleeper
	seq      int
	marks    []int // seq at each tick, so a timeline can tell what came before the tick
	sent     []sentMsg
	execs    []execCall
	used     map[*ExecExpect]bool
}

type sleeper struct {
	wake time.Time
	done chan struct{}
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

// Sleep blocks until the simulation's clock reaches now+d, or ctx ends.
func (s *sim) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	s.mu.Lock()
	sl := &sleeper{wake: s.now.Add(d), done: make(chan struct{})}
	s.sleepers = append(s.sleepers, sl)
	s.mu.Unlock()
	select {
	case <-sl.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
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
// Sleep, so this is reached only by a bug, and then the test fails instead of hanging.
const settleTimeout = 30 * time.Second

// settle waits until every rule with a chain to run is blocked in a wait.
//
// A rule's chains stay in its state until they have finished, and a chain blocked in
// Sleep has one, so "as many sleepers as rules with chains" means nothing is running.
// The count of rules with chains is read first: it can only fall while chains run (no
// tick happens now), and sleepers can only grow, so equality seen in that order holds.
func (s *sim) settle(e *engine.Engine) error {
	if !s.maybeBusy {
		return nil
	}
	deadline := time.Now().Add(settleTimeout)
	for spins := 0; ; spins++ {
		busy := 0
		for _, st := range e.States() {
			if len(st.Chains) > 0 {
				busy++
			}
		}
		s.mu.Lock()
		n := len(s.sleepers)
		s.mu.Unlock()
		if n >= busy {
			s.maybeBusy = busy > 0
			return nil
		}
		if spins < 100 {
			runtime.Gosched()
		} else {
			time.Sleep(20 * time.Microsecond)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("action chains did not finish or wait within %s of real time (a bug in notimon: please report it)", settleTimeout)
		}
	}
}

// advance runs the chains' waits that end at or before until, in order of their end,
// then sets the clock to until.
func (s *sim) advance(e *engine.Engine, until time.Time) error {
	for {
		if err := s.settle(e); err != nil {
			return err
		}
		s.mu.Lock()
		if len(s.sleepers) == 0 {
			s.mu.Unlock()
			break
		}
		earliest := s.sleepers[0].wake
		for _, sl := range s.sleepers[1:] {
			if sl.wake.Before(earliest) {
				earliest = sl.wake
			}
		}
		if earliest.After(until) {
			s.mu.Unlock()
			break
		}
		if earliest.After(s.now) {
			s.now = earliest
		}
		kept := s.sleepers[:0]
		for _, sl := range s.sleepers {
			if sl.wake.After(earliest) {
				kept = append(kept, sl)
				continue
			}
			close(sl.done)
		}
		s.sleepers = kept
		s.mu.Unlock()
	}
	s.mu.Lock()
	if until.After(s.now) {
		s.now = until
	}
	s.mu.Unlock()
	return nil
}
