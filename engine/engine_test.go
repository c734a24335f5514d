package engine

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/exec"
	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
	"github.com/notimon/notimon/probes/host"
	"github.com/notimon/notimon/probes/mem"
)

var t0 = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

func load(t testing.TB, src string) *dsl.Config {
	t.Helper()
	cfg, diags := dsl.LoadSource(map[string][]byte{"rules.hcl": []byte(src)}, dsl.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		var b bytes.Buffer
		dsl.WriteDiagnostics(&b, cfg.Files, diags)
		t.Fatalf("config does not load:\n%s", b.String())
	}
	return cfg
}

// recorded returns a sampler that serves fixed values and records what it was asked for.
func recorded(snap probes.Snapshot, asked *[]probes.Ref) probes.Sampler {
	return probes.SamplerFunc(func(_ context.Context, now time.Time, refs []probes.Ref) *probes.Snapshot {
		if asked != nil {
			*asked = append([]probes.Ref(nil), refs...)
		}
		s := snap
		s.Time = now
		return &s
	})
}

const overload = `
notifier "console" "ops" {}
rule "overload" {
  when     = "cpu.avg3 > 50 || mem.real_pct > 50"
  severity = "critical"
  notify "ops" {
    message = <<-EOT
      <b>[{{ host.name }} 서버]</b>
      {{ cpu.avg3 > 50 ? "CPU 사용량이 50%를 넘었습니다" : "" }}
      {{ mem.real_pct > 50 ? "메모리 사용량이 50%를 넘었습니다" : "" }}
      cpu: {{ cpu.avg3 }}%, memory: {{ mem.real_pct }}%
    EOT
  }
  exec { command = ["systemctl", "restart", "tomcat"] }
}
rule "quiet" {
  when = "load.avg1 > 100"
  notify "ops" { message = "load {{ load.avg1 }}" }
}
`

func TestTickNotifiesRulesThatHold(t *testing.T) {
	cfg := load(t, overload)
	var out bytes.Buffer
	var asked []probes.Ref
	snap := probes.Snapshot{
		Host: host.Values{Name: "web-01"},
		CPU:  cpu.Values{Avg3: 72.456},
		Mem:  mem.Values{RealPct: 31.2},
	}
	var ran [][]string
	e := New(cfg, Options{Sampler: recorded(snap, &asked), Stdout: &out, Exec: recordExec(&ran), Now: func() time.Time { return t0 }})
	rep := e.Tick(context.Background(), t0)
	if err := e.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}

	if got, want := refNames(asked), "host cpu mem load"; got != want {
		t.Errorf("sampled %q, want only the referenced probes %q", got, want)
	}
	if len(rep.Verdicts) != 2 || !rep.Verdicts[0].Holds || rep.Verdicts[1].Holds {
		t.Fatalf("verdicts = %+v, want overload true, quiet false", rep.Verdicts)
	}
	want := "[2026-11-25T03:00:00Z] ops · rule overload (critical) firing\n" +
		"    <b>[web-01 서버]</b>\n" +
		"    CPU 사용량이 50%를 넘었습니다\n" +
		"    cpu: 72.46%, memory: 31.2%\n"
	if out.String() != want {
		t.Errorf("console printed:\n%s\nwant:\n%s", out.String(), want)
	}
	if len(ran) != 1 || strings.Join(ran[0], " ") != "systemctl restart tomcat" {
		t.Errorf("exec ran %q, want systemctl restart tomcat once", ran)
	}
	if v := rep.Verdicts[0]; v.From != Inactive || v.State != Firing || v.Event != Fired {
		t.Errorf("overload went %s -> %s (%s), want inactive -> firing (fired)", v.From, v.State, v.Event)
	}
	if errs := append(rep.Errs(), e.Errs()...); len(errs) != 0 {
		t.Errorf("errors = %v, want none", errs)
	}
}

func TestDryRunSendsNothing(t *testing.T) {
	cfg := load(t, overload)
	var out bytes.Buffer
	e := New(cfg, Options{Sampler: recorded(probes.Snapshot{CPU: cpu.Values{Avg3: 90}}, nil), Stdout: &out, DryRun: true})
	rep := e.Tick(context.Background(), t0)
	if out.Len() != 0 {
		t.Errorf("dry run printed through the notifier: %q", out.String())
	}
	a := rep.Verdicts[0].Actions[0]
	if a.Skipped != "dry run" || !strings.Contains(a.Text, "CPU 사용량이 50%를 넘었습니다") {
		t.Errorf("dry-run action = %+v, want the rendered message and Skipped = dry run", a)
	}
}

func TestOneRuleFailingDoesNotStopOthers(t *testing.T) {
	cfg := load(t, `
notifier "console" "ops" {}
rule "broken" {
  when = "filter([1, 2], # > 5)[0] > 1"
  notify "ops" { message = "never" }
}
rule "needs_cpu" {
  when = "cpu.pct > 10"
  notify "ops" { message = "cpu {{ cpu.pct }}" }
}
rule "mem" {
  when = "mem.real_pct > 10"
  notify "ops" { message = "mem {{ mem.real_pct }}" }
}
`)
	snap := probes.Snapshot{Mem: mem.Values{RealPct: 20}}
	snap.SetErr(probes.Ref{Kind: "cpu"}, errors.New("open stat: permission denied"))
	var out bytes.Buffer
	e := New(cfg, Options{Sampler: recorded(snap, nil), Stdout: &out})
	rep := e.Tick(context.Background(), t0)
	e.Wait(context.Background())

	if err := rep.Verdicts[0].Err; err == nil || !strings.Contains(err.Error(), `rule "broken" (rules.hcl:4:`) {
		t.Errorf("broken rule error = %v, want it named with its position", err)
	}
	if err := rep.Verdicts[1].Err; err == nil || !strings.Contains(err.Error(), "probe cpu failed: open stat: permission denied") {
		t.Errorf("needs_cpu error = %v, want the failed probe named", err)
	}
	if !rep.Verdicts[2].Holds || !strings.Contains(out.String(), "mem 20") {
		t.Errorf("mem rule did not fire after the others failed; console: %q", out.String())
	}
	if n := len(rep.Errs()); n != 2 {
		t.Errorf("Errs() has %d errors, want 2", n)
	}
}

func TestNotifierThatCannotBeBuiltIsReported(t *testing.T) {
	cfg := load(t, `
notifier "telegram" "tg" {
  token   = env("TOKEN")
  chat_id = "42"
}
rule "always" {
  when = "true"
  notify "tg" { message = "hello" }
}
`)
	e := New(cfg, Options{Sampler: recorded(probes.Snapshot{}, nil)})
	e.Tick(context.Background(), t0)
	e.Wait(context.Background())
	errs := e.Errs()
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `notifier "tg": telegram: the token is empty`) {
		t.Errorf("errors = %v, want the empty token reported", errs)
	}
}

func TestHTMLNotifierEscapesPlaceholders(t *testing.T) {
	cfg := load(t, `
notifier "telegram" "tg" {
  token   = "x"
  chat_id = "42"
}
rule "r" {
  when = "true"
  notify "tg" { message = "<b>{{ host.name }}</b>" }
}
`)
	rep := New(cfg, Options{Sampler: recorded(probes.Snapshot{Host: host.Values{Name: "<defunct> & co"}}, nil), DryRun: true}).Tick(context.Background(), t0)
	if got, want := rep.Verdicts[0].Actions[0].Text, "<b>&lt;defunct&gt; &amp; co</b>"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
}

// recordExec is an Exec that records the commands it is asked to run and runs nothing.
func recordExec(ran *[][]string) func(context.Context, exec.Spec) exec.Result {
	var mu sync.Mutex
	return func(_ context.Context, s exec.Spec) exec.Result {
		mu.Lock()
		defer mu.Unlock()
		*ran = append(*ran, s.Argv)
		return exec.Result{}
	}
}

func refNames(refs []probes.Ref) string {
	var s []string
	for _, r := range refs {
		s = append(s, r.String())
	}
	return strings.Join(s, " ")
}

// TestBatchesMatchOneByOne checks that batched evaluation gives the same verdicts as
// evaluating each rule alone, across batch boundaries and with a failing rule in a batch.
func TestBatchesMatchOneByOne(t *testing.T) {
	src := manyRules(1200) + `
rule "broken" {
  when = "filter([1, 2], # > 5)[0] > 1"
  notify "ops" { message = "never" }
}
`
	cfg := load(t, src)
	snap := &probes.Snapshot{CPU: cpu.Values{Avg3: 63}, Mem: mem.Values{RealPct: 71}}
	e := New(cfg, Options{DryRun: true})
	if len(e.batches) != 3 {
		t.Fatalf("%d batches for 1201 rules, want 3", len(e.batches))
	}
	env := cfg.Schema.Env(snap)
	got := e.Evaluate(snap, env)
	holding := 0
	for i, v := range got {
		want, wantErr := e.evalRule(cfg.Rules[i], snap, env)
		if v.Holds != want || (v.Err == nil) != (wantErr == nil) {
			t.Fatalf("rule %s: batched (%v, %v), alone (%v, %v)", v.Rule.Name, v.Holds, v.Err, want, wantErr)
		}
		if v.Holds {
			holding++
		}
	}
	if last := got[len(got)-1]; last.Err == nil {
		t.Errorf("the broken rule has no error")
	}
	if holding == 0 || holding == len(got)-1 {
		t.Errorf("%d of %d rules hold; the test needs a mix", holding, len(got))
	}
}

// TestExecResultInLaterMessages runs real commands: a later message reads the exec result,
// and on_failure = "stop" ends the chain.
func TestExecResultInLaterMessages(t *testing.T) {
	cfg := load(t, `
notifier "console" "ops" {}
rule "disk" {
  when = "true"
  exec {
    command = ["/bin/sh", "-c", "echo \"정리 완료 $NOTIMON_RULE $LEVEL\"; exit 3"]
    env     = { LEVEL = "deep" }
  }
  notify "ops" { message = "exit {{ exec.exit_code }}: {{ trim(exec.output) }} ok={{ exec.ok }}" }
  exec {
    command    = ["/bin/false"]
    on_failure = "stop"
  }
  notify "ops" { message = "never sent" }
}
`)
	var out bytes.Buffer
	e := New(cfg, Options{Sampler: recorded(probes.Snapshot{}, nil), Stdout: &out, Now: func() time.Time { return t0 }})
	e.Tick(context.Background(), t0)
	e.Wait(context.Background())
	want := "[2026-11-25T03:00:00Z] ops · rule disk (warning) firing\n    exit 3: 정리 완료 disk deep ok=false\n"
	if out.String() != want {
		t.Errorf("console:\n%q\nwant:\n%q", out.String(), want)
	}
	if errs := e.Errs(); len(errs) != 2 {
		t.Errorf("errors = %v, want the two failed commands", errs)
	}
}

// TestExecOutputIsTrimmed: exec.output and exec.stderr lose the command's trailing
// whitespace (its final newline, blank lines at the end) and keep the rest, so a message can
// quote them mid-sentence.
func TestExecOutputIsTrimmed(t *testing.T) {
	cfg := load(t, `
notifier "console" "ops" {}
rule "disk" {
  when = "true"
  exec {
    shell = "printf '  freed 2 GB\\nin /var/log\\n\\n \\t\\n'; printf 'one warning\\n\\n' >&2"
  }
  notify "ops" { message = "[{{ exec.output }}] [{{ exec.stderr }}]" }
}
`)
	var out bytes.Buffer
	e := New(cfg, Options{Sampler: recorded(probes.Snapshot{}, nil), Stdout: &out, Now: func() time.Time { return t0 }})
	e.Tick(context.Background(), t0)
	e.Wait(context.Background())
	want := "[2026-11-25T03:00:00Z] ops · rule disk (warning) firing\n    [  freed 2 GB\n    in /var/log] [one warning]\n"
	if out.String() != want {
		t.Errorf("console:\n%q\nwant:\n%q", out.String(), want)
	}
	if errs := e.Errs(); len(errs) != 0 {
		t.Errorf("errors = %v", errs)
	}
}

// TestClearWhenErrorDoesNotBlock: a clear_when that fails at run time makes the tick
// unknown for the rule and reports the error; it must not hang the tick.
func TestClearWhenErrorDoesNotBlock(t *testing.T) {
	cfg := load(t, `
rule "r" {
  when       = "cpu.pct > 50"
  clear_when = "split(host.name, \"-\")[1] == \"db\""
}
`)
	e := New(cfg, Options{Sampler: recorded(probes.Snapshot{CPU: cpu.Values{Pct: 90}, Host: host.Values{Name: "h"}}, nil)})
	e.Tick(context.Background(), t0) // fires
	done := make(chan *Report)
	go func() { done <- e.Tick(context.Background(), t0.Add(time.Minute)) }()
	select {
	case rep := <-done:
		if rep.Verdicts[0].State != Firing {
			t.Errorf("state %s, want still firing (unknown tick)", rep.Verdicts[0].State)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Tick hangs when clear_when fails")
	}
	if errs := e.Errs(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "evaluating clear_when") {
		t.Errorf("errors = %v", errs)
	}
}
