package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCommandsStopOnSignals: a command other than run, busy (explain sampling a command
// probe that sleeps), ends promptly on SIGINT and SIGTERM with the shell's status for
// them, prints nothing more, and leaves no probe behind: the probe's process group (its
// own) is stopped with it.
func TestCommandsStopOnSignals(t *testing.T) {
	for _, c := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "probe.pid")
			rules := writeRules(t, map[string]string{"rules.hcl": fmt.Sprintf(`
notifier "console" "out" {}
probe "command" "slow" {
  command = ["sh", "-c", "echo $$ > %s; exec sleep 60"]
  timeout = "90s"
}
rule "slow" {
  when = "command.slow.exit_code != 0"
  notify "out" { message = "slow" }
}
`, pidFile)})
			cmd := exec.Command(binary(t), "explain", "--state-dir", t.TempDir(), "slow", rules)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill() })
			// Wait until the probe's sleep runs: explain is then busy sampling.
			var probePid int
			waitFor(t, 20*time.Second, "the command probe to start", func() bool {
				b, _ := os.ReadFile(pidFile)
				probePid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
				return probePid > 0 && running(probePid)
			})
			// Should the test fail, the probe must not outlive it.
			t.Cleanup(func() { syscall.Kill(-probePid, syscall.SIGKILL) })
			start := time.Now()
			cmd.Process.Signal(c.sig)
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != c.want {
				t.Errorf("explain ended with %v, want exit status %d\n%s", err, c.want, out.String())
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("explain took %s to stop", took)
			}
			if out.Len() != 0 {
				t.Errorf("explain printed after the signal:\n%s", out.String())
			}
			// notimon reaps the probe before it exits; allow for a slow machine anyway.
			waitFor(t, 10*time.Second, fmt.Sprintf("the command probe (pid %d) to be gone", probePid), func() bool {
				return !running(probePid)
			})
		})
	}
}

// running says whether process pid exists and is not a zombie (a zombie has ended; in a
// container whose init does not reap, it may stay one for good).
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] != 'Z' && b[i+2] != 'X'
}
