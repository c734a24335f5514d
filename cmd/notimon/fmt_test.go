package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/expr-lang/expr/vm"
	"github.com/hashicorp/hcl/v2"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/ruletest"
)

// copyTree copies the files under src (a path relative to the repository) into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// meaning renders what a loaded configuration or test file means: every field, exported
// or not, followed through pointers, slices and maps, except source positions and parsed
// sources, which formatting may move, and compiled programs (their sources are compared).
func meaning(v any) string {
	var b strings.Builder
	seen := map[uintptr]bool{}
	skip := map[reflect.Type]bool{
		reflect.TypeFor[hcl.Range]():            true,
		reflect.TypeFor[*hcl.Range]():           true,
		reflect.TypeFor[*hcl.Pos]():             true,
		reflect.TypeFor[[]hcl.Range]():          true,
		reflect.TypeFor[hcl.Diagnostics]():      true,
		reflect.TypeFor[map[string]*hcl.File](): true,
		reflect.TypeFor[*ruletest.File]():       true, // a test's back pointer to its file
		reflect.TypeFor[*vm.Program]():          true,
		reflect.TypeFor[*probes.Schema]():       true,
	}
	var walk func(v reflect.Value, indent string)
	walk = func(v reflect.Value, indent string) {
		if skip[v.Type()] {
			b.WriteString("-\n")
			return
		}
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if v.IsNil() {
				b.WriteString("nil\n")
				return
			}
			if v.Kind() == reflect.Pointer {
				if seen[v.Pointer()] {
					b.WriteString("(seen)\n")
					return
				}
				seen[v.Pointer()] = true
			}
			walk(v.Elem(), indent)
		case reflect.Struct:
			b.WriteString(v.Type().String() + "\n")
			for i := range v.NumField() {
				name, f := v.Type().Field(i).Name, v.Field(i)
				b.WriteString(indent + "  " + name + ": ")
				if name == "Secrets" && f.Kind() == reflect.Slice {
					// A set (the values to redact), collected in map order.
					secrets := make([]string, f.Len())
					for j := range secrets {
						secrets[j] = f.Index(j).String()
					}
					sort.Strings(secrets)
					f = reflect.ValueOf(secrets)
				}
				walk(f, indent+"  ")
			}
		case reflect.Slice, reflect.Array:
			fmt.Fprintf(&b, "[%d]\n", v.Len())
			for i := range v.Len() {
				b.WriteString(indent + "  - ")
				walk(v.Index(i), indent+"  ")
			}
		case reflect.Map:
			keys := v.MapKeys()
			sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
			fmt.Fprintf(&b, "map[%d]\n", len(keys))
			for _, k := range keys {
				fmt.Fprintf(&b, "%s  %v: ", indent, k)
				walk(v.MapIndex(k), indent+"  ")
			}
		case reflect.String:
			fmt.Fprintf(&b, "%q\n", v.String())
		case reflect.Bool:
			fmt.Fprintf(&b, "%v\n", v.Bool())
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			fmt.Fprintf(&b, "%d\n", v.Int())
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			fmt.Fprintf(&b, "%d\n", v.Uint())
		case reflect.Float32, reflect.Float64:
			fmt.Fprintf(&b, "%v\n", v.Float())
		default: // functions, channels
			b.WriteString(v.Type().String() + "\n")
		}
	}
	walk(reflect.ValueOf(v), "")
	return b.String()
}

// summaries lists diagnostics without their positions, which formatting may move.
func summaries(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		out = append(out, fmt.Sprintf("%v %s", d.Severity, d.Summary))
	}
	sort.Strings(out)
	return out
}

// TestFmtKeepsMeaning formats a copy of every shipped and test rules directory and test
// file with `notimon fmt -w`, and loads both versions: the same configuration (every
// value, condition, message and step; positions aside), the same tests, the same
// diagnostics. The formatted shipped rules validate and their tests pass.
func TestFmtKeepsMeaning(t *testing.T) {
	env := func(string) (string, bool) { return "", false }
	var dirs []string // rules directories, relative to the repository
	for _, pattern := range []string{"rules.d", "examples", "examples/*/", "ruletest/testdata/*/", "dsl/testdata/warn/*/", "dsl/testdata/bad/*/"} {
		m, _ := filepath.Glob(filepath.Join("../..", pattern))
		for _, d := range m {
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				dirs = append(dirs, d)
			}
		}
	}
	if len(dirs) < 20 {
		t.Fatalf("found only %d directories: %v", len(dirs), dirs)
	}
	formatted, tests := 0, 0
	for _, dir := range dirs {
		rel, _ := filepath.Rel("../..", dir)
		t.Run(rel, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), filepath.Base(dir))
			copyTree(t, dir, dst)
			before, bdiags := dsl.Load([]string{dst}, dsl.Options{LookupEnv: env})
			testsBefore := map[string]string{}
			names, _ := filepath.Glob(filepath.Join(dst, "*_test.hcl"))
			for _, name := range names {
				f, diags := ruletest.LoadFile(name)
				testsBefore[name] = meaning(f) + strings.Join(summaries(diags), "\n")
			}
			var syntaxErrors bool
			for _, d := range bdiags {
				syntaxErrors = syntaxErrors || strings.Contains(d.Summary, "Argument definition required") || strings.Contains(d.Summary, "Invalid") && strings.Contains(d.Summary, "syntax")
			}

			code, out, errOut := notimon(t, "fmt", "-w", dst)
			if code != exitOK {
				if !bdiags.HasErrors() {
					t.Fatalf("fmt -w %s: exit %d\n%s%s", rel, code, out, errOut)
				}
				// A file that does not parse is left alone, with its diagnostics.
				if !strings.Contains(errOut, "not formatted: it does not parse") {
					t.Fatalf("fmt -w %s: exit %d without naming the file it cannot parse:\n%s", rel, code, errOut)
				}
			}
			formatted += strings.Count(out, "\n")

			after, adiags := dsl.Load([]string{dst}, dsl.Options{LookupEnv: env})
			if got, want := summaries(adiags), summaries(bdiags); !reflect.DeepEqual(got, want) {
				t.Errorf("diagnostics changed:\n%s\nbefore:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if !bdiags.HasErrors() {
				if a, b := meaning(after), meaning(before); a != b {
					t.Errorf("the configuration changed:\n%s", unifiedDiff("before", "after", []byte(b), []byte(a)))
				}
			}
			for _, name := range names {
				tests++
				f, diags := ruletest.LoadFile(name)
				if a, b := meaning(f)+strings.Join(summaries(diags), "\n"), testsBefore[name]; a != b {
					t.Errorf("the tests of %s changed:\n%s", name, unifiedDiff("before", "after", []byte(b), []byte(a)))
				}
			}
			// Formatting is idempotent.
			if code, out, _ := notimon(t, "fmt", "--check", dst); code != exitOK && !syntaxErrors && !bdiags.HasErrors() {
				t.Errorf("fmt --check after fmt -w: exit %d\n%s", code, out)
			}
			// The formatted shipped rules validate, and their tests pass.
			if rel == "rules.d" || rel == "examples/memory-leak" {
				if code, out, _ := notimon(t, "validate", dst); code != exitOK {
					t.Errorf("validate the formatted %s: exit %d\n%s", rel, code, out)
				}
				if code, out, _ := notimon(t, "test", dst); code != exitOK {
					t.Errorf("test the formatted %s: exit %d\n%s", rel, code, out)
				}
			}
		})
	}
	if tests < 5 {
		t.Errorf("only %d test files compared", tests)
	}
	t.Logf("%d directories, %d files rewritten, %d test files", len(dirs), formatted, tests)
}

const messyRules = "notifier   \"console\" \"ops\" {}\nrule \"x\" {\n      when=\"cpu.avg3 > 50\"\n  for = \"2m\"\n  notify \"ops\" {message = \"cpu {{ cpu.avg3 }}\"}\n}\n"

const tidyRules = "notifier \"console\" \"ops\" {}\nrule \"x\" {\n  when = \"cpu.avg3 > 50\"\n  for  = \"2m\"\n  notify \"ops\" { message = \"cpu {{ cpu.avg3 }}\" }\n}\n"

func TestFmtModes(t *testing.T) {
	dir := writeRules(t, map[string]string{"10-messy.hcl": messyRules, "00-tidy.hcl": tidyRules})
	messy, tidy := filepath.Join(dir, "10-messy.hcl"), filepath.Join(dir, "00-tidy.hcl")
	if err := os.Chmod(messy, 0o640); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	// No flags: the formatted files on stdout, nothing written.
	code, out, errOut := notimon(t, "fmt", dir)
	if code != exitOK || out != tidyRules+tidyRules || errOut != "" {
		t.Errorf("fmt: exit %d, stdout\n%s\nstderr %s", code, out, errOut)
	}

	// --check: the files that would change, exit 1, nothing written.
	code, out, _ = notimon(t, "fmt", "--check", dir)
	if code != exitProblems || out != messy+"\n" || read(messy) != messyRules {
		t.Errorf("fmt --check: exit %d, stdout %q", code, out)
	}

	// --diff: a unified diff, which patch applies.
	code, out, _ = notimon(t, "fmt", "--diff", dir)
	want := "--- " + messy + ".orig\n+++ " + messy + "\n" + `@@ -1,6 +1,6 @@
-notifier   "console" "ops" {}
+notifier "console" "ops" {}
 rule "x" {
-      when="cpu.avg3 > 50"
-  for = "2m"
-  notify "ops" {message = "cpu {{ cpu.avg3 }}"}
+  when = "cpu.avg3 > 50"
+  for  = "2m"
+  notify "ops" { message = "cpu {{ cpu.avg3 }}" }
 }
`
	if code != exitOK || out != want {
		t.Errorf("fmt --diff: exit %d, stdout\n%s\nwant\n%s", code, out, want)
	}

	// -w: rewrites the file in place, mode kept, and lists it; then --check is clean.
	code, out, _ = notimon(t, "fmt", "-w", dir)
	if code != exitOK || out != messy+"\n" || read(messy) != tidyRules || read(tidy) != tidyRules {
		t.Errorf("fmt -w: exit %d, stdout %q, file\n%s", code, out, read(messy))
	}
	if st, _ := os.Stat(messy); st.Mode().Perm() != 0o640 {
		t.Errorf("fmt -w changed the mode to %v", st.Mode().Perm())
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*")); len(leftovers) > 0 {
		t.Errorf("fmt -w left temporary files: %v", leftovers)
	}
	code, out, _ = notimon(t, "fmt", "--check", "--diff", dir)
	if code != exitOK || out != "" {
		t.Errorf("fmt --check after -w: exit %d, stdout %q", code, out)
	}
}

func TestFmtStdin(t *testing.T) {
	var out, errOut strings.Builder
	cmd := newRootCmd(&out, &errOut)
	cmd.SetIn(strings.NewReader(messyRules))
	cmd.SetArgs([]string{"fmt", "-"})
	if err := cmd.Execute(); err != nil || out.String() != tidyRules {
		t.Errorf("fmt -: %v\n%s%s", err, out.String(), errOut.String())
	}
	if code, _, errOut := notimon(t, "fmt", "-w", "-"); code != exitUsage || !strings.Contains(errOut, "cannot rewrite standard input") {
		t.Errorf("fmt -w -: exit %d, %s", code, errOut)
	}
}

func TestFmtCRLF(t *testing.T) {
	crlf := strings.ReplaceAll(messyRules, "\n", "\r\n")
	dir := writeRules(t, map[string]string{"a.hcl": crlf})
	code, out, errOut := notimon(t, "fmt", "-w", dir)
	if code != exitOK || out == "" {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "a.hcl"))
	if want := strings.ReplaceAll(tidyRules, "\n", "\r\n"); string(got) != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// TestFmtSymlink: -w rewrites the file a symlink points to, and the link stays a link
// (rules.d as a Kubernetes ConfigMap is made of symlinks).
func TestFmtSymlink(t *testing.T) {
	dir := writeRules(t, map[string]string{"real.hcl.txt": messyRules})
	link := filepath.Join(dir, "a.hcl")
	if err := os.Symlink("real.hcl.txt", link); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := notimon(t, "fmt", "-w", link); code != exitOK || out != link+"\n" {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("a.hcl is no longer a symlink: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "real.hcl.txt")); string(got) != tidyRules {
		t.Errorf("the link's target:\n%s", got)
	}
}

func TestFmtProblems(t *testing.T) {
	broken := "rule \"x\" {\n  when = \"cpu.avg3 > 50\"\n  on_resolve { notify \"ops\" { message = \"a\" } }\n}\n"
	dir := writeRules(t, map[string]string{"a.hcl": broken, "b.hcl": messyRules, "notes.txt": "not hcl"})
	code, out, errOut := notimon(t, "fmt", "-w", dir)
	a := filepath.Join(dir, "a.hcl")
	if code != exitProblems || out != filepath.Join(dir, "b.hcl")+"\n" ||
		!strings.Contains(errOut, a+":3:16: error: Argument definition required") ||
		!strings.Contains(errOut, "notimon: "+a+" not formatted: it does not parse") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	if got, _ := os.ReadFile(a); string(got) != broken {
		t.Errorf("a file that does not parse was rewritten:\n%s", got)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(got) != "not hcl" {
		t.Errorf("a file not named .hcl was touched")
	}
	for _, args := range [][]string{{"fmt", filepath.Join(dir, "notes.txt")}, {"fmt", filepath.Join(dir, "missing")}} {
		if code, _, errOut := notimon(t, args...); code != exitProblems || !strings.HasPrefix(errOut, "notimon: ") {
			t.Errorf("%v: exit %d, %s", args, code, errOut)
		}
	}
}

// TestUnifiedDiffPatches checks the diffs against patch(1): each applied to a gives b.
func TestUnifiedDiffPatches(t *testing.T) {
	if _, err := exec.LookPath("patch"); err != nil {
		t.Skip("no patch(1)")
	}
	cases := [][2]string{
		{"", "a\nb\n"},
		{"a\nb\n", ""},
		{"a\nb", "a\nb\n"},
		{"a\nb\n", "a\nc"},
		{"x\r\ny\r\n", "x\ny\n"},
		{"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n", "1\n2x\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14x\n15\n"},
		{"1\n2\n3\n4\n5\n6\n7\n8\n", "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n"},
	}
	// And pseudo-random edits of a 200-line file, deterministic.
	seed := uint32(1)
	rnd := func(n int) int { seed = seed*1664525 + 1013904223; return int(seed>>8) % n }
	for range 30 {
		var a, b strings.Builder
		for i := range 200 {
			line := fmt.Sprintf("line %d\n", rnd(40))
			switch rnd(6) {
			case 0:
				a.WriteString(line)
			case 1:
				b.WriteString(line)
			case 2:
				a.WriteString(line)
				fmt.Fprintf(&b, "changed %d\n", i)
			default:
				a.WriteString(line)
				b.WriteString(line)
			}
		}
		cases = append(cases, [2]string{a.String(), b.String()})
	}
	for i, c := range cases {
		dir := t.TempDir()
		name := filepath.Join(dir, "f.hcl")
		if err := os.WriteFile(name, []byte(c[0]), 0o644); err != nil {
			t.Fatal(err)
		}
		d := unifiedDiff(name+".orig", name, []byte(c[0]), []byte(c[1]))
		cmd := exec.Command("patch", "--quiet", "--force", "-p0", name)
		cmd.Stdin = strings.NewReader(d)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("case %d: patch: %v\n%s\ndiff:\n%s", i, err, out, d)
			continue
		}
		if got, _ := os.ReadFile(name); !bytes.Equal(got, []byte(c[1])) {
			t.Errorf("case %d: patched file\n%q\nwant\n%q\ndiff:\n%s", i, got, c[1], d)
		}
	}
	if d := unifiedDiff("a", "b", []byte("same\n"), []byte("same\n")); d != "" {
		t.Errorf("equal inputs: %q", d)
	}
}
