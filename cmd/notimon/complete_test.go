package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/notimon/notimon/probes"
)

// complete asks notimon what the shell asks at a TAB (`notimon __complete ARGS…`, the last
// argument being the word under the cursor) and returns the candidates' values, their
// descriptions and the directive.
func complete(t *testing.T, args ...string) (values, descrs []string, directive cobra.ShellCompDirective) {
	t.Helper()
	code, out, errOut := notimon(t, append([]string{cobra.ShellCompRequestCmd}, args...)...)
	if code != exitOK {
		t.Fatalf("__complete %q: exit %d\n%s%s", args, code, out, errOut)
	}
	if want := "Completion ended with directive:"; !strings.HasPrefix(errOut, want) || strings.Count(errOut, "\n") != 1 {
		t.Errorf("__complete %q printed more than its directive on stderr:\n%s", args, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	last := lines[len(lines)-1]
	n, err := strconv.Atoi(strings.TrimPrefix(last, ":"))
	if !strings.HasPrefix(last, ":") || err != nil {
		t.Fatalf("__complete %q: no directive line in\n%s", args, out)
	}
	for _, l := range lines[:len(lines)-1] {
		v, d, _ := strings.Cut(l, "\t")
		values, descrs = append(values, v), append(descrs, d)
	}
	return values, descrs, cobra.ShellCompDirective(n)
}

const completionRules = `
notifier "telegram" "ops" {
  token   = env("NOTIMON_TELEGRAM_TOKEN")
  chat_id = env("NOTIMON_TELEGRAM_CHAT_ID")
}
notifier "console" "stdout" {}

rule "overload" {
  when = "cpu.avg3 > 50"
  notify "ops" { message = "cpu" }
}
rule "disk_full" {
  when = "any(values(disk), .used_pct > 90)"
  notify "stdout" { message = "disk" }
}
rule "oom" {
  when = "mem.real_pct > 95"
  notify "ops" { message = "oom" }
}
`

const completionTests = `
test "overload: fires (after 2m)" {
  env = { NOTIMON_TELEGRAM_TOKEN = "1:x", NOTIMON_TELEGRAM_CHAT_ID = "1" }
  input "cpu.avg3" { values = "60x3" }
  expect {
    at     = "0"
    firing = ["overload"]
    notify "ops" { contains = "cpu" }
  }
}

test "overload: quiet" {
  env = { NOTIMON_TELEGRAM_TOKEN = "1:x", NOTIMON_TELEGRAM_CHAT_ID = "1" }
  input "cpu.avg3" { values = "10x3" }
  expect {
    at       = "0"
    inactive = ["overload"]
  }
}
`

// completionTree makes ./rules.d (three rules, two notifiers, two tests) and ./other (a
// notifier and a test of its own) in a temporary working directory.
func completionTree(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	for name, src := range map[string]string{
		"rules.d/00-rules.hcl":     completionRules,
		"rules.d/rules_test.hcl":   completionTests,
		"other/00-pager.hcl":       "notifier \"webhook\" \"pager\" { url = \"http://127.0.0.1:9/hook\" }\nrule \"load\" {\n  when = \"load.avg1 > 8\"\n  notify \"pager\" { message = \"load\" }\n}\n",
		"other/pager_test.hcl":     "test \"load pages\" {\n  input \"load.avg1\" { values = \"9\" }\n  expect {\n    at     = \"0\"\n    firing = [\"load\"]\n    notify \"pager\" { contains = \"load\" }\n  }\n}\n",
		"broken/00-half.hcl":       "notifier \"console\" \"loaded\" {}\nrule \"bad\" {\n  when = \"cpu.avgg > 1\"\n}\n",
		"broken/10-syntax.hcl":     "rule \"x\" {\n",
		"empty/README.txt":         "no rules here",
		"rules.d/.hidden/skip.hcl": "this is not read",
	} {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCompleteExplainRules(t *testing.T) {
	completionTree(t)
	values, descrs, dir := complete(t, "explain", "")
	if strings.Join(values, " ") != "disk_full oom overload" || dir != cobra.ShellCompDirectiveNoFileComp {
		t.Errorf("explain <TAB> = %q, directive %d; want the rules of ./rules.d", values, dir)
	}
	if descrs[2] != "when cpu.avg3 > 50" {
		t.Errorf("overload's description %q", descrs[2])
	}
	if values, _, _ := complete(t, "explain", "o"); strings.Join(values, " ") != "oom overload" {
		t.Errorf("explain o<TAB> = %q", values)
	}
	// After RULE comes PATH: files and directories.
	if values, _, dir := complete(t, "explain", "overload", ""); len(values) != 0 || dir != cobra.ShellCompDirectiveDefault {
		t.Errorf("explain overload <TAB> = %q, directive %d; want file completion", values, dir)
	}
	// No ./rules.d: nothing, quietly.
	t.Chdir("empty")
	if values, _, _ := complete(t, "explain", ""); len(values) != 0 {
		t.Errorf("without ./rules.d: %q", values)
	}
}

func TestCompleteSendTo(t *testing.T) {
	completionTree(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"send", "--to", ""}, "ops stdout"},
		{[]string{"send", "--to", "s"}, "stdout"},
		{[]string{"send", "--to="}, "ops stdout"},
		{[]string{"send", "--config", "other", "--to", ""}, "pager"},
		{[]string{"send", "--config=other/00-pager.hcl", "--to", ""}, "pager"},
		{[]string{"send", "--config", "broken", "--to", ""}, "loaded"}, // what loaded, errors aside
		{[]string{"send", "--config", "empty", "--to", ""}, ""},
	} {
		values, descrs, dir := complete(t, tc.args...)
		if strings.Join(values, " ") != tc.want || dir != cobra.ShellCompDirectiveNoFileComp {
			t.Errorf("%q = %q, directive %d; want %q", tc.args, values, dir, tc.want)
		}
		if tc.want == "ops stdout" && strings.Join(descrs, " ") != "telegram console" {
			t.Errorf("%q descriptions %q, want the notifiers' kinds", tc.args, descrs)
		}
	}
}

func TestCompleteProbeNames(t *testing.T) {
	var builtin []string
	for _, k := range probes.Kinds {
		if !k.Named {
			builtin = append(builtin, k.Name)
		}
	}
	values, descrs, dir := complete(t, "probe", "")
	if len(values) != len(builtin) || dir != cobra.ShellCompDirectiveNoFileComp {
		t.Fatalf("probe <TAB> = %q, want the built-in probes %q", values, builtin)
	}
	for _, want := range []string{"cpu", "mem", "disk", "host"} {
		found := false
		for i, v := range values {
			if v == want {
				found = true
				if descrs[i] == "" {
					t.Errorf("%s has no description (its fields)", v)
				}
			}
		}
		if !found {
			t.Errorf("probe <TAB> lacks %s: %q", want, values)
		}
	}
	// Names already given are not offered again; the prefix filters.
	values, _, _ = complete(t, "probe", "cpu", "m")
	if strings.Join(values, " ") != "mem" {
		t.Errorf("probe cpu m<TAB> = %q", values)
	}
	for _, v := range values {
		if v == "cpu" {
			t.Errorf("cpu offered twice")
		}
	}
	// Every candidate is a name probe accepts.
	for _, v := range builtin {
		if _, err := probeRefs([]string{v}); err != nil {
			t.Errorf("%s is offered but probe refuses it: %v", v, err)
		}
	}
}

func TestCompleteTestRun(t *testing.T) {
	completionTree(t)
	values, descrs, dir := complete(t, "test", "--run", "")
	want := []string{`overload: fires \(after 2m\)`, "overload: quiet"}
	if strings.Join(values, "|") != strings.Join(want, "|") || dir != cobra.ShellCompDirectiveNoFileComp {
		t.Fatalf("test --run <TAB> = %q, want %q", values, want)
	}
	if descrs[0] != filepath.Join("rules.d", "rules_test.hcl")+":2" {
		t.Errorf("description %q, want the test's file:line", descrs[0])
	}
	// Each candidate, given to --run, runs exactly that test.
	for i, v := range values {
		code, out, errOut := notimon(t, "test", "--run", v)
		if code != exitOK || !strings.HasSuffix(out, "1 passed, 0 failed\n") || !strings.Contains(out, strings.Split(want[i], `\`)[0]) {
			t.Errorf("test --run %q: exit %d\n%s%s", v, code, out, errOut)
		}
	}
	// The tests of the PATH arguments given before the flag.
	if values, _, _ := complete(t, "test", "other", "--run", ""); strings.Join(values, "|") != "load pages" {
		t.Errorf("test other --run <TAB> = %q", values)
	}
	if values, _, _ := complete(t, "test", "--run", "overload: q"); strings.Join(values, "|") != "overload: quiet" {
		t.Errorf("test --run 'overload: q'<TAB> = %q", values)
	}
	if values, _, _ := complete(t, "test", "empty", "--run", ""); len(values) != 0 {
		t.Errorf("no test files: %q", values)
	}
}
