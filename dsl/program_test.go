package dsl_test

import (
	"html"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
	"github.com/notimon/notimon/probes/disk"
	"github.com/notimon/notimon/probes/host"
	"github.com/notimon/notimon/probes/load"
	"github.com/notimon/notimon/probes/mem"
	"github.com/notimon/notimon/probes/process"
)

// renderEnv is what placeholders read in these tests: a busy CPU, memory below its limit.
func renderEnv() map[string]any {
	return map[string]any{
		"host": host.Values{Name: "web-01", Cores: 4},
		"cpu":  cpu.Values{Pct: 80, Avg3: 75.5},
		"mem":  mem.Values{RealPct: 40, UsedPct: 70},
		"load": load.Values{Avg1: 1.5},
		"disk": map[string]disk.Values{
			"/":     {Mount: "/", UsedPct: 95},
			"/var":  {Mount: "/var", UsedPct: 91.5},
			"/home": {Mount: "/home", UsedPct: 20},
		},
		"rule": dsl.RuleInfo{
			Name:      "overload",
			Severity:  "critical",
			Labels:    map[string]string{"team": "web"},
			State:     "firing",
			FiringFor: 150*time.Second + 400*time.Millisecond,
		},
	}
}

// loadOne loads src as a.hcl and fails the test on any diagnostic.
func loadOne(t *testing.T, src string) *dsl.Config {
	t.Helper()
	cfg, diags := dsl.LoadSource(map[string][]byte{"a.hcl": []byte(src)}, dsl.Options{LookupEnv: noEnv})
	if len(diags) > 0 {
		t.Fatalf("want no diagnostics, got:\n%s", render(cfg, diags))
	}
	return cfg
}

// message compiles text as the message of a notify step.
func message(t *testing.T, text string) *dsl.Message {
	t.Helper()
	cfg := loadOne(t, `notifier "console" "ops" {}
rule "overload" {
  when = "cpu.avg3 > 50"
  notify "ops" {
    message = `+text+`
  }
}
`)
	return cfg.Rules[0].Fire[0].Message
}

func TestMessageRender(t *testing.T) {
	tests := []struct {
		name   string
		text   string // HCL: a quoted string or a heredoc
		env    map[string]any
		escape func(string) string
		want   string
	}{
		{
			name: "floats rounded to 2 decimals",
			text: `"cpu {{ cpu.avg3 }}% mem {{ mem.real_pct }}% load {{ load.avg1 }} pct {{ cpu.pct }}"`,
			env: map[string]any{
				"cpu":  cpu.Values{Avg3: 12.345, Pct: -0.001},
				"mem":  mem.Values{RealPct: 50.0},
				"load": load.Values{Avg1: 0.125},
			},
			want: "cpu 12.35% mem 50% load 0.13 pct 0",
		},
		{
			name: "explicit formatting is kept",
			text: `"{{ string(cpu.avg3) }}% {{ round(cpu.avg3 * 10) / 10 }}% of {{ host.cores }} cores"`,
			env:  map[string]any{"cpu": cpu.Values{Avg3: 12.345}, "host": host.Values{Cores: 4}},
			want: "12.345% 12.3% of 4 cores",
		},
		{
			name:   "HTML escapes placeholder output, not the template's tags",
			text:   `"<b>[{{ host.name }}]</b> <code>{{ cpu.avg3 > 50 ? '<high>' : 'ok' }}</code>"`,
			env:    map[string]any{"host": host.Values{Name: "<defunct> & co"}, "cpu": cpu.Values{Avg3: 75}},
			escape: html.EscapeString,
			want:   "<b>[&lt;defunct&gt; &amp; co]</b> <code>&lt;high&gt;</code>",
		},
		{
			name: "no escape leaves values as they are",
			text: `"<b>{{ host.name }}</b>"`,
			env:  map[string]any{"host": host.Values{Name: "<defunct> & co"}},
			want: "<b><defunct> & co</b>",
		},
		{
			name: "Korean text is kept intact",
			text: "<<-EOT\n      [{{ host.name }} 서버 경고]\n      메모리 사용률: {{ mem.real_pct }}%, CPU 사용률: {{ cpu.avg3 }}%\n    EOT",
			env:  renderEnv(),
			want: "[web-01 서버 경고]\n메모리 사용률: 40%, CPU 사용률: 75.5%\n",
		},
		{
			name: "a line of placeholders that render empty is dropped",
			text: "<<-EOT\n      header\n      {{ mem.real_pct > 50 ? 'memory is high' : '' }}\n        {{ mem.used_pct > 90 ? 'used' : '' }} {{ '' }}\n      {{ cpu.avg3 > 50 ? 'cpu is high' : '' }}\n      footer\n    EOT",
			env:  renderEnv(),
			want: "header\ncpu is high\nfooter\n",
		},
		{
			name: "a line with literal text and an empty placeholder is kept",
			text: "<<-EOT\n      header\n      memory: {{ mem.real_pct > 50 ? 'high' : '' }}\n      footer\n    EOT",
			env:  renderEnv(),
			want: "header\nmemory: \nfooter\n",
		},
		{
			name: "a blank literal line is kept",
			text: "<<-EOT\n      header\n\n      footer\n    EOT",
			env:  renderEnv(),
			want: "header\n\nfooter\n",
		},
		{
			name: "rule fields",
			text: `"{{ rule.name }} ({{ rule.severity }}, team {{ rule.labels.team }}) {{ rule.state }} for {{ rule.firing_for }}"`,
			env:  renderEnv(),
			want: "overload (critical, team web) firing for 2m30s",
		},
		{
			name: "lists are comma-separated, disks in mount order",
			text: `"full: {{ map(filter(values(disk), .used_pct > 90), .mount) }}; {{ join(map(filter(values(disk), .used_pct > 90), .mount), ' and ') }}"`,
			env:  renderEnv(),
			want: "full: /, /var; / and /var",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := message(t, tt.text)
			got, err := m.Render(nil, tt.env, tt.escape)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestMessageRenderError(t *testing.T) {
	m := message(t, `"before {{ rule.value.x }} after"`)
	env := renderEnv()
	got, err := m.Render(nil, env, nil)
	if err == nil {
		t.Fatalf("want an error for a field of a nil value, got %q", got)
	}
	if !strings.Contains(err.Error(), "{{ rule.value.x }}") {
		t.Errorf("the error does not name the placeholder: %v", err)
	}
	if got != "before <error> after" {
		t.Errorf("got %q, want the rest of the message around <error>", got)
	}
}

// TestShippedMessage renders the shipped overload notification as Telegram would receive it.
func TestShippedMessage(t *testing.T) {
	cfg, diags := dsl.Load([]string{"../rules.d"}, dsl.Options{LookupEnv: lookupFake(fakeEnv)})
	if diags.HasErrors() {
		t.Fatalf("rules.d:\n%s", render(cfg, diags))
	}
	r := cfg.Rules[0]
	env := renderEnv()
	env["host"] = host.Values{Name: "web<01>"}
	env["exec"] = dsl.ExecInfo{Succeeded: true, Output: "top 5 by cpu:\n  PID COMMAND\n  42 <defunct>"}
	failed := renderEnv()
	failed["exec"] = dsl.ExecInfo{Error: "sh: exit status 127", Stderr: "sh: 2: ps: not found\n"}
	tests := []struct {
		name string
		step *dsl.Step
		env  map[string]any
		want string
	}{
		{"notify", r.Fire[0], env, "<b>[web&lt;01&gt; server]</b>\ncpu usage is over its limit (50%)\ncpu usage: 75.5%\nmemory usage: 40%\n"},
		{"renotify", r.Fire[2], env, "<b>[web&lt;01&gt; server]</b> top processes\ncpu usage: 75.5%\nmemory usage: 40%\n<pre>top 5 by cpu:\n  PID COMMAND\n  42 &lt;defunct&gt;</pre>\n"},
		{"renotify, ps failed", r.Fire[2], failed, "<b>[web-01 server]</b> top processes\ncpu usage: 75.5%\nmemory usage: 40%\n<pre></pre>\ncould not list the processes: sh: exit status 127\n"},
		{"resolve", r.Resolve[0], env, "[web&lt;01&gt; server] overload resolved after 2m30s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.step.Message.Render(nil, tt.env, html.EscapeString)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{12.345, "12.35"},
		{50.0, "50"},
		{0.1 + 0.2, "0.3"},
		{-0.001, "0"},
		{float32(2.5), "2.5"},
		{7, "7"},
		{true, "true"},
		{nil, ""},
		{"text", "text"},
		{150*time.Second + 400*time.Millisecond, "2m30s"},
		{[]string{"/", "/var"}, "/, /var"},
		{[]any{1.234, "x"}, "1.23, x"},
	}
	for _, tt := range tests {
		if got := dsl.FormatValue(tt.in); got != tt.want {
			t.Errorf("FormatValue(%#v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRefs(t *testing.T) {
	cfg := loadOne(t, `notifier "console" "ops" {}
probe "process" "httpd" { match = "^httpd$" }
probe "process" "java" { match = "^java$" }
probe "http" "site" { url = "http://127.0.0.1:8080/health" }

rule "httpd" {
  when = "process.httpd.count > 0"
}
rule "disk" {
  when = "any(values(disk), .used_pct > 90)"
}
rule "all_processes" {
  when = "any(values(process), .count == 0)"
}
rule "overload" {
  when       = "cpu.avg3 > 50 || mem.real_pct > 50"
  clear_when = "cpu.avg3 < 40 && mem.real_pct < 40 && cpu.avg3 >= 0"
  notify "ops" { message = "{{ http.site.status }} {{ rule.name }}" }
}
`)
	byName := map[string]*dsl.Rule{}
	for _, r := range cfg.Rules {
		byName[r.Name] = r
	}
	tests := []struct {
		rule string
		want []probes.Ref
	}{
		{"httpd", []probes.Ref{{Kind: "process", Name: "httpd"}}},
		{"disk", []probes.Ref{{Kind: "disk"}}},
		{"all_processes", []probes.Ref{{Kind: "process"}}},
		{"overload", []probes.Ref{{Kind: "cpu"}, {Kind: "mem"}, {Kind: "http", Name: "site"}}},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := byName[tt.rule].Refs; !slices.Equal(got, tt.want) {
				t.Errorf("refs = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("when refs only the condition", func(t *testing.T) {
		if got, want := byName["overload"].When.Refs, []probes.Ref{{Kind: "cpu"}, {Kind: "mem"}}; !slices.Equal(got, want) {
			t.Errorf("when refs = %v, want %v", got, want)
		}
	})
	t.Run("inputs", func(t *testing.T) {
		var paths []string
		for _, in := range byName["overload"].When.Inputs {
			paths = append(paths, in.Path)
		}
		if want := []string{"cpu.avg3", "mem.real_pct"}; !slices.Equal(paths, want) {
			t.Errorf("inputs = %v, want %v", paths, want)
		}
		paths = nil
		for _, in := range byName["overload"].ClearWhen.Inputs {
			paths = append(paths, in.Path)
		}
		if want := []string{"cpu.avg3", "mem.real_pct"}; !slices.Equal(paths, want) {
			t.Errorf("clear_when inputs = %v, want %v (each once)", paths, want)
		}
		paths = nil
		for _, in := range byName["httpd"].When.Inputs {
			paths = append(paths, in.Path)
		}
		if want := []string{"process.httpd.count"}; !slices.Equal(paths, want) {
			t.Errorf("inputs = %v, want %v", paths, want)
		}
	})
	t.Run("config refs", func(t *testing.T) {
		want := []probes.Ref{{Kind: "cpu"}, {Kind: "mem"}, {Kind: "disk"}, {Kind: "process"}, {Kind: "process", Name: "httpd"}, {Kind: "http", Name: "site"}}
		if !slices.Equal(cfg.Refs, want) {
			t.Errorf("config refs = %v, want %v", cfg.Refs, want)
		}
	})
}

// TestValuesConditions runs conditions over values() on a snapshot, one by one and as a
// batch: values() is typed (a typo in its predicate fails validation, see
// testdata/bad/clear_when_unknown_field) and must still run.
func TestValuesConditions(t *testing.T) {
	cfg := loadOne(t, `probe "process" "httpd" { match = "^httpd$" }
probe "process" "java" { match = "^java$" }
rule "disk_full"   { when = "any(values(disk), .used_pct > 90)" }
rule "disk_ok"     { when = "all(values(disk), .used_pct < 85)" }
rule "process_down" { when = "any(values(process), .count == 0)" }
rule "first_mount" { when = "values(disk)[0].mount == '/'" }
`)
	snap := &probes.Snapshot{
		Disk: map[string]disk.Values{
			"/var": {Mount: "/var", UsedPct: 91.5},
			"/":    {Mount: "/", UsedPct: 50},
		},
		Named: map[string]map[string]any{"process": {
			"httpd": process.Values{Count: 4},
			"java":  process.Values{Count: 0},
		}},
	}
	env := cfg.Schema.Env(snap)
	want := map[string]bool{"disk_full": true, "disk_ok": false, "process_down": true, "first_mount": true}
	var conds []*dsl.Program
	for _, r := range cfg.Rules {
		conds = append(conds, r.When)
		got, err := r.When.Eval(nil, env)
		if err != nil {
			t.Errorf("%s: %v", r.Name, err)
			continue
		}
		if got != want[r.Name] {
			t.Errorf("%s = %v, want %v", r.Name, got, want[r.Name])
		}
	}
	batch, err := cfg.NewBatch(conds)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]bool, len(conds))
	if err := batch.Eval(&vm.VM{}, env, out); err != nil {
		t.Fatal(err)
	}
	for i, r := range cfg.Rules {
		if out[i] != want[r.Name] {
			t.Errorf("batch: %s = %v, want %v", r.Name, out[i], want[r.Name])
		}
	}
}
