package main

import (
	"bytes"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCommandsStopOnSignals: a command other than run, busy (explain sampling a command
// probe that sleeps), ends at once on SIGINT and SIGTERM with the shell's status for them.
func TestCommandsStopOnSignals(t *testing.T) {
	rules := writeRules(t, map[string]string{"rules.hcl": `
notifier "console" "out" {}
probe "command" "slow" {
  command = ["sleep", "60"]
  timeout = "90s"
}
rule "slow" {
  when = "command.slow.exit_code != 0"
  notify "out" { message = "slow" }
}
`})
	for _, c := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			cmd := exec.Command(binary(t), "explain", "--state-dir", t.TempDir(), "slow", rules)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill() })
			// Wait until the probe's sleep runs: explain is then busy sampling.
			var sleepPid int
			waitFor(t, 20*time.Second, "the command probe to start", func() bool {
				b, _ := exec.Command("pgrep", "-f", "-P", strconv.Itoa(cmd.Process.Pid), "sleep 60").Output()
				sleepPid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
				return sleepPid > 0
			})
			// The probe runs in a process group of its own, which outlives notimon.
			t.Cleanup(func() { syscall.Kill(-sleepPid, syscall.SIGKILL) })
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
		})
	}
}
