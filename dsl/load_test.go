package dsl_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/probes"
)

// writeFiles writes name → content under dir, making subdirectories as needed.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// render prints diagnostics the way `notimon validate` does.
func render(cfg *dsl.Config, diags hcl.Diagnostics) string {
	var buf bytes.Buffer
	dsl.WriteDiagnostics(&buf, cfg.Files, diags)
	return buf.String()
}

func noEnv(string) (string, bool) { return "", false }

func TestShippedRules(t *testing.T) {
	cfg, diags := dsl.Load([]string{"../rules.d"}, dsl.Options{LookupEnv: noEnv})
	if diags.HasErrors() {
		t.Fatalf("the shipped rules.d does not validate:\n%s", render(cfg, diags))
	}
	// Without the Telegram credentials in the environment, the loader warns about each.
	out := render(cfg, diags)
	for _, name := range []string{"NOTIMON_TELEGRAM_TOKEN", "NOTIMON_TELEGRAM_CHAT_ID"} {
		if !strings.Contains(out, `env("`+name+`"), which is not set`) {
			t.Errorf("no warning about unset %s; got:\n%s", name, out)
		}
	}

	var r *dsl.Rule
	for _, x := range cfg.Rules {
		if x.Name == "overload" {
			r = x
		}
	}
	if r == nil {
		t.Fatalf("no rule \"overload\" among %d rules", len(cfg.Rules))
	}
	if r.For != 2*time.Minute {
		t.Errorf("for = %v, want 2m", r.For)
	}
	if r.Repeat != time.Hour {
		t.Errorf("repeat = %v, want 1h", r.Repeat)
	}
	if r.Severity != "critical" {
		t.Errorf("severity = %q, want critical", r.Severity)
	}
	if len(r.Labels) != 1 || r.Labels["team"] != "ops" {
		t.Errorf("labels = %v, want map[team:ops]", r.Labels)
	}
	var fire []string
	for _, s := range r.Fire {
		fire = append(fire, s.Kind.String())
	}
	if want := []string{"notify", "exec", "renotify"}; !slices.Equal(fire, want) {
		t.Errorf("fire chain = %v, want %v", fire, want)
	}
	if len(r.Resolve) != 1 || r.Resolve[0].Kind != dsl.StepNotify || r.Resolve[0].Notifier != "ops" {
		t.Errorf("resolve chain = %+v, want one notify through ops", r.Resolve)
	}
	// The shipped remediation is safe on any machine: it lists processes, restarts nothing.
	if exec := r.Fire[1]; exec.Command != nil || !strings.Contains(exec.Shell, "ps -eo pid,user,pcpu,pmem,comm --sort=-pcpu | head -n 6\n") ||
		!strings.Contains(exec.Shell, "--sort=-pmem | head -n 6\n") || exec.Timeout != 10*time.Second {
		t.Errorf("exec step = %q %q timeout %v, want the ps script, 10s", exec.Command, exec.Shell, exec.Timeout)
	}
	if want := []probes.Ref{{Kind: "host"}, {Kind: "cpu"}, {Kind: "mem"}}; !slices.Equal(r.Refs, want) {
		t.Errorf("refs = %v, want %v", r.Refs, want)
	}
	// No host: the machine's own name, so that ten servers do not all report as one.
	if cfg.Settings.Host != "" || cfg.Settings.Interval != 15*time.Second {
		t.Errorf("settings = %+v, want no host (the hostname), interval 15s", cfg.Settings)
	}

	// With the credentials set there is nothing to say at all.
	cfg, diags = dsl.Load([]string{"../rules.d"}, dsl.Options{LookupEnv: lookupFake(fakeEnv)})
	if len(diags) > 0 {
		t.Errorf("with the Telegram variables set, want no diagnostics; got:\n%s", render(cfg, diags))
	}
}

func TestEnv(t *testing.T) {
	src := []byte(`notifier "telegram" "ops" {
  token   = env("TG_TOKEN")
  chat_id = env("TG_CHAT")
}
`)
	t.Run("set", func(t *testing.T) {
		env := map[string]string{"TG_TOKEN": "123:secret", "TG_CHAT": "-100777"}
		cfg, diags := dsl.LoadSource(map[string][]byte{"a.hcl": src}, dsl.Options{LookupEnv: lookupFake(env)})
		if len(diags) > 0 {
			t.Fatalf("want no diagnostics, got:\n%s", render(cfg, diags))
		}
		n := cfg.Notifier("ops")
		if n == nil {
			t.Fatal("notifier ops not loaded")
		}
		if n.Attrs["token"] != "123:secret" || n.Attrs["chat_id"] != "-100777" {
			t.Errorf("attrs = %v, want the environment's values", n.Attrs)
		}
	})
	t.Run("unset", func(t *testing.T) {
		env := map[string]string{"TG_TOKEN": "123:secret", "TG_CHAT": ""} // set but empty counts as unset
		cfg, diags := dsl.LoadSource(map[string][]byte{"a.hcl": src}, dsl.Options{LookupEnv: lookupFake(env)})
		if diags.HasErrors() {
			t.Fatalf("an unset variable is a warning, not an error:\n%s", render(cfg, diags))
		}
		want := `a.hcl:3:13: warning: Environment variable not set
    3 |   chat_id = env("TG_CHAT")
      |             ^^^^^^^^^^^^^^
  notifier "ops" chat_id reads env("TG_CHAT"), which is not set (or empty) here, so it is "". Set TG_CHAT in the environment notimon runs in, or it will fail when used.

`
		if got := render(cfg, diags); got != want {
			t.Errorf("got:\n%s\nwant:\n%s", got, want)
		}
		if out := render(cfg, diags); strings.Contains(out, "123:secret") {
			t.Errorf("a diagnostic shows the token:\n%s", out)
		}
	})
}

// TestEnvDefault: env("NAME", "default") reads the default when NAME is unset or empty, with
// no warning; a set variable wins; the default may come from a local.
func TestEnvDefault(t *testing.T) {
	src := map[string][]byte{"a.hcl": []byte(`locals {
  bot_api = "http://127.0.0.1:8081"
}

notifier "telegram" "ops" {
  token   = env("TG_TOKEN", "123:from-default")
  chat_id = env("TG_CHAT", -100777)
  api_url = env("TG_API", local.bot_api)
}
`)}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{"unset", nil, map[string]string{"token": "123:from-default", "chat_id": "-100777", "api_url": "http://127.0.0.1:8081"}},
		{"empty", map[string]string{"TG_TOKEN": "", "TG_CHAT": "", "TG_API": ""}, map[string]string{"token": "123:from-default", "chat_id": "-100777", "api_url": "http://127.0.0.1:8081"}},
		{"set", map[string]string{"TG_TOKEN": "456:from-env", "TG_CHAT": "-100888", "TG_API": "https://bot.example.org"}, map[string]string{"token": "456:from-env", "chat_id": "-100888", "api_url": "https://bot.example.org"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, diags := dsl.LoadSource(src, dsl.Options{LookupEnv: lookupFake(tc.env)})
			if len(diags) > 0 {
				t.Fatalf("want no diagnostics (a default silences the unset warning), got:\n%s", render(cfg, diags))
			}
			n := cfg.Notifier("ops")
			for k, want := range tc.want {
				if got := n.Attrs[k]; got != want {
					t.Errorf("%s = %v, want %q", k, got, want)
				}
			}
		})
	}
}

func TestFileFunction(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"rules/a.hcl": `notifier "telegram" "ops" {
  token   = file("secrets/token")
  chat_id = "-100777"
}
`,
		"rules/secrets/token": "123:from-file",
		"secrets/token":       "wrong: relative to the working directory",
	})
	// Run from the parent directory: file() must resolve against the .hcl file's directory,
	// not the working directory.
	t.Chdir(dir)
	cfg, diags := dsl.Load([]string{"rules"}, dsl.Options{LookupEnv: noEnv})
	if len(diags) > 0 {
		t.Fatalf("want no diagnostics, got:\n%s", render(cfg, diags))
	}
	if tok := cfg.Notifier("ops").Attrs["token"]; tok != "123:from-file" {
		t.Errorf("token = %q, want the content of rules/secrets/token", tok)
	}

	t.Run("not a regular file", func(t *testing.T) {
		// file("/dev/zero") would never end; a named pipe would block until written to.
		cfg, diags := dsl.LoadSource(map[string][]byte{"a.hcl": []byte(`notifier "telegram" "ops" {
  token   = file("/dev/zero")
  chat_id = "-100777"
}
`)}, dsl.Options{LookupEnv: noEnv})
		out := render(cfg, diags)
		if want := "cannot read /dev/zero: not a regular file"; !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	})
	t.Run("missing", func(t *testing.T) {
		writeFiles(t, dir, map[string]string{"missing/a.hcl": `notifier "telegram" "ops" {
  token   = file("nope.txt")
  chat_id = "-100777"
}
`})
		cfg, diags := dsl.Load([]string{"missing"}, dsl.Options{LookupEnv: noEnv})
		out := render(cfg, diags)
		if !diags.HasErrors() {
			t.Fatalf("a missing file must be an error; got:\n%s", out)
		}
		for _, want := range []string{"missing/a.hcl:2:13: error:", "missing/nope.txt", "no such file or directory"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
}

func TestSkippedFiles(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.hcl":             `notifier "console" "ops" {}` + "\n",
		"overload_test.hcl": "this is a rule test, not HCL the loader should read {{{\n",
		".hidden.hcl":       "an editor's dotfile {{{\n",
		".#a.hcl":           "an emacs lock file {{{\n",
		"README.md":         "# rules\n",
		"a.hcl~":            "backup {{{\n",
		"dir.hcl/x.hcl":     "a directory named like a file {{{\n",
	})
	cfg, diags := dsl.Load([]string{dir}, dsl.Options{LookupEnv: noEnv})
	if len(diags) > 0 {
		t.Fatalf("want no diagnostics, got:\n%s", render(cfg, diags))
	}
	if len(cfg.Files) != 1 {
		var names []string
		for n := range cfg.Files {
			names = append(names, n)
		}
		t.Errorf("loaded %v, want only a.hcl", names)
	}
}

func TestLexicalOrder(t *testing.T) {
	dir := t.TempDir()
	rule := func(msg string) string {
		return `rule "overload" {
  when = "cpu.avg3 > 50"
  notify "ops" { message = "` + msg + `" }
}
`
	}
	writeFiles(t, dir, map[string]string{
		// "10-…" sorts before "9-…": lexical, not numeric, order, like ls and run-parts.
		"9-late.hcl":   rule("from 9-late"),
		"10-early.hcl": rule("from 10-early"),
		"00-base.hcl": `notifier "console" "ops" {}
rule "first" {
  when = "mem.real_pct > 50"
  notify "ops" { message = "first" }
}
`,
	})
	t.Chdir(dir)
	cfg, diags := dsl.Load([]string{"."}, dsl.Options{LookupEnv: noEnv})
	want := `9-late.hcl:1:1: error: Duplicate rule
    1 | rule "overload" {
      | ^^^^^^^^^^^^^^^
  A rule named "overload" was already defined. Previous definition was at 10-early.hcl:1,1-16. Names are unique across all files of a rules directory.

`
	if got := render(cfg, diags); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	var names []string
	for _, r := range cfg.Rules {
		names = append(names, r.Name+"@"+r.Range.Filename)
	}
	if want := []string{"first@00-base.hcl", "overload@10-early.hcl"}; !slices.Equal(names, want) {
		t.Errorf("rules = %v, want %v (the later duplicate left out)", names, want)
	}
}

func TestLoadPaths(t *testing.T) {
	t.Run("a single file", func(t *testing.T) {
		cfg, diags := dsl.Load([]string{"../rules.d/00-notimon.hcl"}, dsl.Options{LookupEnv: lookupFake(fakeEnv)})
		if len(diags) > 0 {
			t.Fatalf("want no diagnostics, got:\n%s", render(cfg, diags))
		}
		if len(cfg.Rules) != 0 || cfg.Notifier("ops") == nil {
			t.Errorf("got %d rules, notifier ops %v; want the notifiers of 00-notimon.hcl only", len(cfg.Rules), cfg.Notifier("ops"))
		}
	})
	t.Run("missing", func(t *testing.T) {
		cfg, diags := dsl.Load([]string{"testdata/no-such-dir"}, dsl.Options{LookupEnv: noEnv})
		got := render(cfg, diags)
		want := "error: Cannot read rules\n  stat testdata/no-such-dir: no such file or directory. Give a rules directory (default ./rules.d) or .hcl files.\n\n"
		if got != want {
			t.Errorf("got:\n%q\nwant:\n%q", got, want)
		}
	})
}

// crlfRules is a clean configuration with a heredoc, written with LF line ends.
const crlfRules = `notifier "telegram" "ops" {
  token      = "123:abc"
  chat_id    = "-100777"
  parse_mode = "HTML"
}

template "usage" {
  text = <<-EOT
    cpu usage: {{ cpu.avg3 }}%
    memory usage: {{ mem.real_pct }}%
  EOT
}

rule "overload" {
  when = "cpu.avg3 > 50 || mem.real_pct > 50"
  notify "ops" {
    message = <<-EOT
      <b>[{{ host.name }} server]</b>
      {{ cpu.avg3 > 50 ? "cpu usage is over its limit" : "" }}
      ${template.usage}
    EOT
  }
  renotify "ops" { message = "after restart\n${template.usage}" }
}
`

func TestCRLF(t *testing.T) {
	lf := crlfRules
	crlf := strings.ReplaceAll(lf, "\n", "\r\n")
	load := func(src string) *dsl.Config {
		t.Helper()
		cfg, diags := dsl.LoadSource(map[string][]byte{"a.hcl": []byte(src)}, dsl.Options{LookupEnv: noEnv})
		if len(diags) > 0 {
			t.Fatalf("want no diagnostics, got:\n%s", render(cfg, diags))
		}
		return cfg
	}
	a, b := load(lf), load(crlf)
	if a.Templates[0].Text != b.Templates[0].Text {
		t.Errorf("template text differs: LF %q, CRLF %q", a.Templates[0].Text, b.Templates[0].Text)
	}
	env := renderEnv()
	for i := range a.Rules[0].Fire {
		ma, mb := a.Rules[0].Fire[i].Message, b.Rules[0].Fire[i].Message
		if ma.Source != mb.Source {
			t.Errorf("step %d: message source differs: LF %q, CRLF %q", i, ma.Source, mb.Source)
		}
		outA, errA := ma.Render(nil, env, nil)
		outB, errB := mb.Render(nil, env, nil)
		if errA != nil || errB != nil {
			t.Fatalf("render: %v, %v", errA, errB)
		}
		if strings.Contains(outB, "\r") {
			t.Errorf("step %d: the message of the CRLF file holds a carriage return: %q", i, outB)
		}
		if outA != outB {
			t.Errorf("step %d: LF renders %q, CRLF renders %q", i, outA, outB)
		}
	}
	want := "<b>[web-01 server]</b>\ncpu usage is over its limit\ncpu usage: 75.5%\nmemory usage: 40%\n"
	if got, _ := b.Rules[0].Fire[0].Message.Render(nil, env, nil); got != want {
		t.Errorf("CRLF message renders\n%q\nwant\n%q", got, want)
	}
}

// TestLoadRefusesWhatIsNotARulesFile: a file over the size limit and a binary get one
// positioned error each, and a dangling symlink and a symlink loop a warning with the path.
func TestLoadRefusesWhatIsNotARulesFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("00-ok.hcl", []byte(`notifier "console" "out" {}`+"\n"))
	write("10-huge.hcl", bytes.Repeat([]byte("# comment\n"), dsl.MaxRulesFileSize/10+1))
	write("20-binary.hcl", []byte("locals {}\n\x7fELF\x02\x01\x00\xff"))
	if err := os.Symlink(filepath.Join(dir, "gone.txt"), filepath.Join(dir, "30-dangling.hcl")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("40-loop.hcl", filepath.Join(dir, "40-loop.hcl")); err != nil {
		t.Fatal(err)
	}
	cfg, diags := dsl.Load([]string{dir}, dsl.Options{})
	var out strings.Builder
	dsl.WriteDiagnostics(&out, cfg.Files, diags)
	for _, want := range []string{
		dir + "/10-huge.hcl:1:1: error: File too large\n  " + dir + "/10-huge.hcl is larger than 4 MiB",
		dir + "/20-binary.hcl:2:7: error: Not a text file\n  " + dir + "/20-binary.hcl is not UTF-8 text (byte 0x00 at offset 16)",
		dir + "/30-dangling.hcl:1:1: warning: Rules file skipped\n  " + dir + "/30-dangling.hcl cannot be read (no such file or directory); it is skipped.",
		dir + "/40-loop.hcl:1:1: warning: Rules file skipped\n  " + dir + "/40-loop.hcl cannot be read (too many levels of symbolic links); it is skipped.",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("diagnostics lack %q:\n%s", want, out.String())
		}
	}
	if n := len(cfg.Notifiers); n != 1 {
		t.Errorf("%d notifiers loaded, want the one of 00-ok.hcl", n)
	}
}

// TestDiagnosticsAreCapped: a file with hundreds of mistakes prints the first dsl.MaxPrinted
// diagnostics and counts the rest; a long line is cut around its caret.
func TestDiagnosticsAreCapped(t *testing.T) {
	var src strings.Builder
	for i := range 120 {
		fmt.Fprintf(&src, "bogus%d {}\n", i)
	}
	src.WriteString(`rule "x" { when = "` + strings.Repeat("1 + ", 500) + `cpu.avgg > 1" }` + "\n")
	cfg, diags := dsl.LoadSource(map[string][]byte{"a.hcl": []byte(src.String())}, dsl.Options{})
	var out strings.Builder
	dsl.WriteDiagnostics(&out, cfg.Files, diags)
	if n := strings.Count(out.String(), ": error: "); n != dsl.MaxPrinted {
		t.Errorf("%d diagnostics printed, want %d", n, dsl.MaxPrinted)
	}
	if want := fmt.Sprintf("… and %d more (%d errors, 0 warnings)", len(diags)-dsl.MaxPrinted, len(diags)-dsl.MaxPrinted); !strings.Contains(out.String(), want) {
		t.Errorf("no %q at the end:\n%s", want, out.String()[max(0, out.Len()-300):])
	}
	// The long line alone.
	cfg, diags = dsl.LoadSource(map[string][]byte{"a.hcl": []byte(`notifier "console" "out" {}` + "\n" + src.String()[strings.Index(src.String(), "rule"):])}, dsl.Options{})
	out.Reset()
	dsl.WriteDiagnostics(&out, cfg.Files, diags)
	lines := strings.Split(out.String(), "\n")
	if len(lines) < 3 || len(lines[1]) > 200 || !strings.Contains(lines[1], "…cpu.avgg") && !strings.Contains(lines[1], "cpu.avgg") {
		t.Fatalf("the long line is not cut around the subject:\n%s", out.String())
	}
	// Compared in characters: the cut is marked with "…", one column of three bytes.
	caret := strings.IndexRune(lines[2], '^')
	if caret < 0 || []rune(lines[2])[0] != ' ' || !strings.HasPrefix(string([]rune(lines[1])[len([]rune(lines[2][:caret])):]), "avgg") {
		t.Errorf("the caret is not under the subject:\n%s\n%s", lines[1], lines[2])
	}
}
