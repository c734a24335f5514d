package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
)

// silenceRules is a rule that fires while its condition file says so and repeats every 10m.
func silenceRules(t *testing.T, srv *telegramtest.Server) (rules string, setFiring func(bool)) {
	rules = writeRules(t, map[string]string{"rules.hcl": fmt.Sprintf(`
notifier "telegram" "ops" {
  token   = env("NOTIMON_TELEGRAM_TOKEN")
  chat_id = %d
  api_url = %q
}
rule "web_down" {
  when   = "true"
  repeat = "10m"
  notify "ops" { message = "web down{{ rule.acked ? ' (acked by ' + rule.acked_by + ')' : '' }}" }
  on_resolve {
    notify "ops" { message = "web up" }
  }
}
`, telegramtest.DefaultChatID, srv.URL())})
	setFiring = func(on bool) {
		p := filepath.Join(rules, "rules.hcl")
		src, _ := os.ReadFile(p)
		cond := map[bool]string{true: `when   = "true"`, false: `when   = "false"`}[on]
		src = regexp.MustCompile(`when   = "\w+"`).ReplaceAll(src, []byte(cond))
		if err := os.WriteFile(p, src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return rules, setFiring
}

// TestCronSilenceAndAck: `notimon run --once` from cron, minutes apart on a fake clock, with
// silence and ack commands between runs. A silence added between two runs holds the repeat
// back; expiring it makes the next run send one "still firing after the silence"; an ack
// stops repeats across runs and is cleared when the rule resolves.
func TestCronSilenceAndAck(t *testing.T) {
	srv := telegramtest.New(t, testToken)
	t.Setenv("NOTIMON_TELEGRAM_TOKEN", srv.Token())
	rules, setFiring := silenceRules(t, srv)
	state := t.TempDir()
	now := fakeClock(t, time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))
	sent := 0
	runAt := func(hhmm string, want ...string) {
		t.Helper()
		at, _ := time.Parse("15:04", hhmm)
		*now = time.Date(2026, 11, 25, at.Hour(), at.Minute(), 0, 0, time.UTC)
		code, _, errOut := notimon(t, "run", "--once", "--state-dir", state, rules)
		if code != exitOK {
			t.Fatalf("run at %s: exit %d\n%s", hhmm, code, errOut)
		}
		got := visibleTexts(srv.Messages())[sent:]
		sent += len(got)
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("run at %s sent %q, want %q", hhmm, got, want)
		}
	}
	cli := func(hhmm string, wantCode int, args ...string) string {
		t.Helper()
		at, _ := time.Parse("15:04", hhmm)
		*now = time.Date(2026, 11, 25, at.Hour(), at.Minute(), 0, 0, time.UTC)
		code, out, errOut := notimon(t, append(args, "--state-dir", state)...)
		if code != wantCode {
			t.Fatalf("notimon %s at %s: exit %d, want %d\n%s%s", strings.Join(args, " "), hhmm, code, wantCode, out, errOut)
		}
		return out + errOut
	}

	runAt("03:00", "web down")
	out := cli("03:01", exitOK, "silence", "add", "--rule", "web_*", "--for", "30m", "--comment", "deploy", "--by", "alice")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	id := lines[len(lines)-1]
	if !regexp.MustCompile(`^[0-9a-f]{8}$`).MatchString(id) {
		t.Fatalf("silence add: last line %q is not an id:\n%s", id, out)
	}
	runAt("03:10") // the repeat is held back
	runAt("03:20")
	if st := readState(t, state)["web_down"]; st.Held == nil || st.Held.Steps != 2 || !strings.Contains(st.Held.Reason, "silence "+id) {
		t.Fatalf("state.json does not record the held notifications: %+v", st.Held)
	}
	list := cli("03:20", exitOK, "silence", "list")
	if !regexp.MustCompile(id + `\s+active\s+rule=web_\*\s+2026-11-25 03:31:00 UTC \(in 11m\)\s+alice\s+deploy`).MatchString(list) {
		t.Fatalf("silence list:\n%s", list)
	}
	cli("03:21", exitOK, "silence", "expire", id)
	runAt("03:22", "still firing after the silence\nweb down")
	runAt("03:23")
	runAt("03:32", "web down") // 10m after the catch-up: the repeat schedule resumed
	if out := cli("03:33", exitOK, "silence", "list", "--json"); !strings.Contains(out, `"status": "expired"`) || !strings.Contains(out, `"expired_at": "2026-11-25T03:21:00Z"`) {
		t.Fatalf("silence list --json after expire:\n%s", out)
	}
	if out := cli("03:33", exitProblems, "silence", "expire", id); !strings.Contains(out, "already ended") {
		t.Fatalf("second expire: %s", out)
	}

	cli("03:33", exitOK, "ack", "web_down", "--by", "bob", "--comment", "on it")
	if st := readState(t, state)["web_down"]; st.Ack != nil {
		t.Fatal("the ack is in the state before a run has seen it")
	}
	runAt("03:42")
	runAt("03:52")
	if st := readState(t, state)["web_down"]; st.Ack == nil || st.Ack.By != "bob" {
		t.Fatalf("state.json lacks the ack: %+v", st.Ack)
	}
	setFiring(false)
	runAt("03:53", "web up")
	if b, _ := os.ReadFile(filepath.Join(state, "acks.json")); strings.Contains(string(b), "web_down") {
		t.Fatalf("the ack outlived the incident:\n%s", b)
	}
	if out := cli("03:54", exitProblems, "ack", "web_down"); !strings.Contains(out, "the rule is not firing (inactive since 2026-11-25T03:53:00Z)") {
		t.Fatalf("ack of a resolved rule: %s", out)
	}
	setFiring(true)
	runAt("03:55", "web down")
	runAt("04:05", "web down") // a new incident repeats again
}

type stateRule struct {
	Held *struct {
		Steps  int
		Reason string
	}
	Ack *struct{ By string }
}

func readState(t *testing.T, dir string) map[string]stateRule {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Rules map[string]stateRule }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Rules
}

// TestDaemonSilence runs the real binary as a daemon at a 200 ms tick: `notimon silence add`
// (the binary too, beside the daemon holding the state directory) stops the notifications
// from the next tick on, and `silence expire` brings one "still firing after the silence",
// then the repeats.
func TestDaemonSilence(t *testing.T) {
	srv := telegramtest.New(t, testToken)
	rules := writeRules(t, map[string]string{"rules.hcl": fmt.Sprintf(`settings { interval = "200ms" }
notifier "telegram" "ops" {
  token   = env("NOTIMON_TELEGRAM_TOKEN")
  chat_id = %d
  api_url = %q
}
rule "beat" {
  when   = "true"
  repeat = "100ms"
  notify "ops" { message = "beat" }
}
`, telegramtest.DefaultChatID, srv.URL())})
	state := t.TempDir()
	d := startDaemon(t, rules, state, srv)
	at, _ := d.waitLog(0, "notimon started", 10*time.Second)
	waitCount(t, srv, "beat", 2, 5*time.Second)

	cli := func(args ...string) string {
		t.Helper()
		start := time.Now()
		out, err := exec.Command(binary(t), append(args, "--state-dir", state)...).CombinedOutput()
		if err != nil {
			t.Fatalf("notimon %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("notimon %s took %s beside a running daemon", args[0], took)
		}
		return string(out)
	}
	out := cli("silence", "add", "--rule", "beat", "--for", "1h")
	added := time.Now() // the silence is on disk
	lines := strings.Split(strings.TrimSpace(out), "\n")
	id := lines[len(lines)-1]
	next, l := d.waitLog(at, "notification suppressed", 5*time.Second)
	// One tick is 200 ms; the margin is for a loaded machine.
	if lat := l.Time.Sub(added); lat > time.Second {
		t.Errorf("first suppressed notification %s after silence add returned; want within a tick (200ms)", lat)
	} else {
		t.Logf("silence honoured %s after silence add returned", lat.Round(time.Millisecond))
	}
	if !strings.Contains(fmt.Sprint(l.All["reason"]), "silence "+id) {
		t.Errorf("suppressed without naming the silence: %v", l.All)
	}
	// Messages enqueued before the silence may still be in flight: once the outbox is
	// empty, three more silenced ticks must send nothing.
	waitEmptyOutbox(t, state, 5*time.Second)
	before := countText(srv, "beat")
	for range 3 {
		next, _ = d.waitLog(next, "notification suppressed", 5*time.Second)
	}
	if n := countText(srv, "beat") - before; n != 0 {
		t.Fatalf("%d messages sent during the silence", n)
	}

	cli("silence", "expire", id)
	waitCount(t, srv, "still firing after the silence\nbeat", 1, 5*time.Second)
	waitCount(t, srv, "beat", before+2, 5*time.Second)
	if n := countText(srv, "still firing after the silence\nbeat"); n != 1 {
		t.Errorf("%d catch-up messages, want 1", n)
	}

	d.stop(10 * time.Second)
}

func waitEmptyOutbox(t *testing.T, state string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		entries, _ := filepath.Glob(filepath.Join(state, "outbox", "*.json"))
		if len(entries) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox still holds %d messages after %s", len(entries), timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSilenceUsage: the command line's mistakes are usage errors that say what is wrong.
func TestSilenceUsage(t *testing.T) {
	state := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"silence", "add", "--for", "1h"}, exitUsage, "needs at least one --rule GLOB or --label KEY=VALUE"},
		{[]string{"silence", "add", "--rule", "web[", "--for", "1h"}, exitUsage, `rule glob "web[": syntax error in pattern`},
		{[]string{"silence", "add", "--label", "team", "--for", "1h"}, exitUsage, `label "team": want KEY=VALUE`},
		{[]string{"silence", "add", "--rule", "x"}, exitUsage, "needs --for DURATION"},
		{[]string{"silence", "add", "--rule", "x", "--for", "0s"}, exitUsage, "the duration must be positive"},
		{[]string{"silence", "add", "--rule", "x", "--for", "soon"}, exitUsage, `--for "soon"`},
		{[]string{"silence", "expire"}, exitUsage, "needs one silence ID"},
		{[]string{"silence", "expire", "0badc0de"}, exitProblems, `no silence "0badc0de" (there are no active silences)`},
		{[]string{"silence", "frob"}, exitUsage, `unknown silence subcommand "frob"`},
		{[]string{"ack"}, exitUsage, "ack needs the name of one firing rule"},
		{[]string{"ack", "web"}, exitProblems, "no state in " + state + " yet"},
	} {
		code, out, errOut := notimon(t, append(tc.args, "--state-dir", state)...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("notimon %s: exit %d, output %q; want exit %d and %q", strings.Join(tc.args, " "), code, out+errOut, tc.code, tc.want)
		}
	}
	code, out, _ := notimon(t, "silence", "list", "--state-dir", state)
	if code != exitOK || out != "no silences\n" {
		t.Errorf("silence list of an empty state: exit %d, %q", code, out)
	}
	t.Setenv("SUDO_USER", "carol")
	code, out, _ = notimon(t, "silence", "add", "--label", "team=web", "--for", "2h", "--no-exec", "--state-dir", state)
	if code != exitOK || !strings.Contains(out, "silenced team=web until") || !strings.Contains(out, "exec steps are held back too") {
		t.Fatalf("silence add --label: exit %d, %q", code, out)
	}
	_, out, _ = notimon(t, "silence", "list", "--json", "--state-dir", state)
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || list[0]["by"] != "carol" || list[0]["no_exec"] != true || list[0]["status"] != "active" {
		t.Fatalf("silence list --json: %v\n%s", err, out)
	}
}

// TestSilenceCompletion: `silence expire` completes the ids of silences that have not ended,
// `ack` the rules firing in the state directory.
func TestSilenceCompletion(t *testing.T) {
	state := t.TempDir()
	if err := os.WriteFile(filepath.Join(state, "state.json"), []byte(`{"version":1,"rules":{
		"web_down":{"state":"firing","since":"2026-11-25T03:00:00Z","firing_since":"2026-11-25T03:00:00Z"},
		"db_down":{"state":"inactive","since":"2026-11-25T03:00:00Z"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	now := fakeClock(t, time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))
	_, out, _ := notimon(t, "silence", "add", "--rule", "web_*", "--for", "1h", "--comment", "deploy", "--state-dir", state)
	fields := strings.Fields(out)
	keep := fields[len(fields)-1]
	_, out, _ = notimon(t, "silence", "add", "--rule", "db_*", "--for", "1h", "--state-dir", state)
	fields = strings.Fields(out)
	gone := fields[len(fields)-1]
	if code, _, errOut := notimon(t, "silence", "expire", gone, "--state-dir", state); code != exitOK {
		t.Fatal(errOut)
	}
	*now = now.Add(time.Minute)
	ids, descrs, dir := complete(t, "silence", "expire", "--state-dir", state, "")
	if strings.Join(ids, ",") != keep || descrs[0] != "rule=web_* deploy" || dir != cobra.ShellCompDirectiveNoFileComp {
		t.Errorf("silence expire completes %q %q (%d); want only %s", ids, descrs, dir, keep)
	}
	rules, _, _ := complete(t, "ack", "--state-dir", state, "")
	if strings.Join(rules, ",") != "web_down" {
		t.Errorf("ack completes %q; want the firing rule web_down", rules)
	}
	if rules, _, _ := complete(t, "ack", "--state-dir", state, "db"); len(rules) != 0 {
		t.Errorf("ack db<TAB> completes %q; db_down is not firing", rules)
	}
}

// TestExplainAndDryRunShowSilences: explain names the silence and the ack that affect the
// rule and what they held back; a dry run says which notification a silence would hold
// back, and why.
func TestExplainAndDryRunShowSilences(t *testing.T) {
	rules := writeRules(t, map[string]string{"rules.hcl": `
notifier "console" "ops" {}
rule "web_down" {
  when   = "true"
  repeat = "10m"
  notify "ops" { message = "web down" }
  exec { command = ["true"] }
}
`})
	state := t.TempDir()
	now := fakeClock(t, time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))
	at := func(m int) { *now = time.Date(2026, 11, 25, 3, m, 0, 0, time.UTC) }
	must := func(args ...string) string {
		t.Helper()
		code, out, errOut := notimon(t, args...)
		if code != exitOK {
			t.Fatalf("notimon %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	must("run", "--once", "--state-dir", state, rules)
	at(1)
	out := must("silence", "add", "--rule", "web_down", "--for", "1h", "--by", "alice", "--comment", "deploy", "--state-dir", state)
	id := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	at(10)
	if out := must("run", "--once", "--state-dir", state, rules); out != "" {
		t.Fatalf("a silenced repeat printed %q", out)
	}
	at(11)
	must("ack", "web_down", "--by", "bob", "--comment", "on it", "--state-dir", state)
	at(12)
	out = must("explain", "web_down", "--state-dir", state, rules)
	for _, want := range []string{
		`suppressed  notifications held back, exec steps still run: silence ` + id + ` (rule=web_down, by alice: "deploy") until 2026-11-25T04:01:00Z`,
		`acked       acked by bob at 2026-11-25T03:11:00Z ("on it"): no repeats until it resolves`,
		`held back   1 notification since 2026-11-25 03:10:00 UTC (2m ago), the latest by silence ` + id,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
	var j struct {
		Suppressed struct {
			Notify bool
			Reason string
		}
		Ack  struct{ By string }
		Held struct{ Steps int }
	}
	if err := json.Unmarshal([]byte(must("explain", "web_down", "--format", "json", "--state-dir", state, rules)), &j); err != nil ||
		!j.Suppressed.Notify || j.Ack.By != "bob" || j.Held.Steps != 1 {
		t.Errorf("explain --format json: %+v, %v", j, err)
	}

	out = must("run", "--once", "--dry-run", "--state-dir", state, rules)
	if want := `1. notify "ops" would be suppressed by silence ` + id; !strings.Contains(out, want) || !strings.Contains(out, "2. exec true (timeout") || strings.Contains(out, "2. exec true (timeout 1m): would be suppressed") {
		t.Errorf("dry run lacks %q, or holds the exec step back:\n%s", want, out)
	}
	out = must("run", "--once", "--dry-run", "--format", "json", "--state-dir", state, rules)
	if !strings.Contains(out, `"suppressed": "silence `+id) {
		t.Errorf("dry run JSON lacks the suppression:\n%s", out)
	}
}

// TestCronSilenceBinary is the cron sequence with the real binary and real time: a repeat of
// 1ms makes every run after the first a repeat, so no run waits for anything.
func TestCronSilenceBinary(t *testing.T) {
	srv := telegramtest.New(t, testToken)
	rules := writeRules(t, map[string]string{"rules.hcl": fmt.Sprintf(`
notifier "telegram" "ops" {
  token   = env("NOTIMON_TELEGRAM_TOKEN")
  chat_id = %d
  api_url = %q
}
rule "beat" {
  when   = "true"
  repeat = "1ms"
  notify "ops" { message = "beat{{ rule.acked ? ' (acked by ' + rule.acked_by + ')' : '' }}" }
  on_resolve {
    notify "ops" { message = "calm{{ rule.acked ? ' (acked by ' + rule.acked_by + ')' : '' }}" }
  }
}
`, telegramtest.DefaultChatID, srv.URL())})
	state := t.TempDir()
	bin := binary(t)
	notimonBin := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "NOTIMON_TELEGRAM_TOKEN="+srv.Token())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("notimon %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	sent := 0
	runOnce := func(want ...string) {
		t.Helper()
		notimonBin("run", "--once", "--state-dir", state, rules)
		got := visibleTexts(srv.Messages())[sent:]
		sent += len(got)
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("run %d sent %q, want %q", sent, got, want)
		}
	}
	runOnce("beat")
	runOnce("beat") // a repeat
	out := notimonBin("silence", "add", "--rule", "beat", "--for", "1h", "--state-dir", state)
	id := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	runOnce()
	runOnce()
	notimonBin("silence", "expire", id, "--state-dir", state)
	runOnce("still firing after the silence\nbeat")
	runOnce("beat")
	notimonBin("ack", "beat", "--by", "bob", "--state-dir", state)
	runOnce()
	runOnce()
	src, _ := os.ReadFile(filepath.Join(rules, "rules.hcl"))
	os.WriteFile(filepath.Join(rules, "rules.hcl"), []byte(strings.Replace(string(src), `when   = "true"`, `when   = "false"`, 1)), 0o644)
	runOnce("calm (acked by bob)")
	if b, _ := os.ReadFile(filepath.Join(state, "acks.json")); strings.Contains(string(b), `"beat"`) {
		t.Fatalf("the ack outlived the incident:\n%s", b)
	}
}
