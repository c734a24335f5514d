package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds the notimon binary once per test run.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "notimon-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "notimon")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// startRun starts `notimon run --once` as a separate process.
func startRun(t *testing.T, state, rules string, srv *telegramtest.Server) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(binary(t), "run", "--once", "--state-dir", state, rules)
	cmd.Env = append(os.Environ(), "NOTIMON_TELEGRAM_TOKEN="+srv.Token())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, &out
}

func telegramRules(t *testing.T, srv *telegramtest.Server, steps string) string {
	return writeRules(t, map[string]string{"rules.hcl": fmt.Sprintf(`
probe "cpu" { window = "10ms" }
notifier "telegram" "ops" {
  token   = env("NOTIMON_TELEGRAM_TOKEN")
  chat_id = %d
  api_url = %q
}
rule "always" {
  when = "cpu.pct >= 0"
%s
}
`, telegramtest.DefaultChatID, srv.URL(), steps)})
}

// TestKilledDuringChainResumes: a run killed with SIGKILL in the middle of a chain leaves
// its cursor behind; the next run finishes the chain without firing the rule again.
func TestKilledDuringChainResumes(t *testing.T) {
	srv := telegramtest.New(t, testToken)
	rules := telegramRules(t, srv, `
  notify "ops" { message = "step one" }
  wait { duration = "2s" }
  renotify "ops" { message = "step two" }`)
	state := t.TempDir()

	run1, out1 := startRun(t, state, rules, srv)
	srv.WaitMessages(t, 1, 20*time.Second)
	// Kill it once the saved cursor is in the wait step and the delivered message has left
	// the outbox: before that, the notify step or the delivery may not be recorded as done,
	// and the message would rightly be sent again (at least once, by design).
	deadline := time.Now().Add(20 * time.Second)
	for {
		chains, _ := ruleChains(t, state, "always")
		entries, _ := filepath.Glob(filepath.Join(state, "outbox", "*.json"))
		if len(chains) == 1 && chains[0].Step == 1 && chains[0].Started && !chains[0].WaitUntil.IsZero() && len(entries) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the state never showed the chain in its wait step: %+v\n%s", chains, out1)
		}
		time.Sleep(10 * time.Millisecond)
	}
	run1.Process.Signal(syscall.SIGKILL)
	run1.Wait()

	run2, out2 := startRun(t, state, rules, srv)
	if err := run2.Wait(); err != nil {
		t.Fatalf("run 2: %v\n%s\nrun 1 said:\n%s", err, out2, out1)
	}
	got := srv.Messages()
	if len(got) != 2 || got[0].Visible != "step one" || got[1].Visible != "step two" {
		t.Fatalf("delivered %q, want step one, step two", visibleTexts(got))
	}
}

// TestKilledWithFullOutboxDelivers: messages that piled up in the outbox while the Bot API
// did not answer survive a SIGKILL in the middle of a delivery attempt and are delivered,
// in order, by the next run.
func TestKilledWithFullOutboxDelivers(t *testing.T) {
	srv := telegramtest.New(t, testToken)
	rules := telegramRules(t, srv, `
  notify "ops" { message = "1" }
  notify "ops" { message = "2" }
  notify "ops" { message = "3" }`)
	state := t.TempDir()
	srv.Inject(telegramtest.Hang()) // the first attempt hangs until the kill

	run1, out1 := startRun(t, state, rules, srv)
	outbox := filepath.Join(state, "outbox")
	deadline := time.Now().Add(20 * time.Second)
	for {
		// All three in the outbox, and the chain's end saved: a kill before that save
		// resumes the chain at its last notify, which sends that message once more
		// (at least once), and this test is about the outbox, not that.
		entries, _ := filepath.Glob(filepath.Join(outbox, "*.json"))
		if len(entries) == 3 && chainSavedDone(state, "always") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the outbox never held 3 messages with the chain over (%d)\n%s", len(entries), out1)
		}
		time.Sleep(20 * time.Millisecond)
	}
	run1.Process.Signal(syscall.SIGKILL) // while its first attempt waits for an answer
	run1.Wait()

	run2, out2 := startRun(t, state, rules, srv)
	if err := run2.Wait(); err != nil {
		t.Fatalf("run 2: %v\n%s", err, out2)
	}
	if got := visibleTexts(srv.Messages()); fmt.Sprint(got) != "[1 2 3]" {
		t.Fatalf("delivered %q, want 1, 2, 3", got)
	}
	if entries, _ := filepath.Glob(filepath.Join(outbox, "*.json")); len(entries) != 0 {
		t.Errorf("%d messages left in the outbox", len(entries))
	}
}

// chainCursor is how far a chain has got, as state.json says.
type chainCursor struct {
	Chain     string    `json:"chain"`
	Step      int       `json:"step"`
	Started   bool      `json:"started"`
	WaitUntil time.Time `json:"wait_until"`
}

// ruleChains reads rule's chain cursors from state.json, which is written atomically; ok is
// false while the file or the rule is not there yet.
func ruleChains(t *testing.T, state, rule string) (chains []chainCursor, ok bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(state, "state.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Rules map[string]struct {
			Chains []chainCursor `json:"chains"`
		} `json:"rules"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("state.json: %v", err)
	}
	r, ok := doc.Rules[rule]
	return r.Chains, ok
}

func visibleTexts(msgs []telegramtest.Message) []string {
	var s []string
	for _, m := range msgs {
		s = append(s, m.Visible)
	}
	return s
}

// chainSavedDone reports whether the state file in dir says rule has fired and has no chain
// left to run.
func chainSavedDone(dir, rule string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		return false
	}
	var doc struct {
		Rules map[string]struct {
			State  string            `json:"state"`
			Chains []json.RawMessage `json:"chains"`
		} `json:"rules"`
	}
	if json.Unmarshal(b, &doc) != nil {
		return false
	}
	st, ok := doc.Rules[rule]
	return ok && st.State == "firing" && len(st.Chains) == 0
}
