//go:build linux

package exec_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/exec"
)

// writeScript writes content (line endings as given) as an executable file.
func writeScript(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCRLFScriptFailureIsExplained runs scripts saved with Windows line endings as real
// processes and checks that the error says why, in one line, with the fix.
func TestCRLFScriptFailureIsExplained(t *testing.T) {
	dir := t.TempDir()
	direct := writeScript(t, dir, "restart.sh", "#!/bin/sh\r\necho restarting\r\n")
	viaEnv := writeScript(t, dir, "env.sh", "#!/usr/bin/env sh\r\necho restarting\r\n")
	body := writeScript(t, dir, "body.sh", "#!/bin/sh\necho start\r\nfalse\r\n")
	forBash := writeScript(t, dir, "for-bash.sh", "echo start\r\nfalse\r\n")
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	inPath := writeScript(t, bin, "notimon-crlf-fix", "#!/bin/bash\r\necho fixed\r\n")
	fix := func(p string) string { return "; fix with sed -i 's/\\r$//' " + p }

	for _, tc := range []struct {
		name string
		spec exec.Spec
		want string
	}{
		{"executed directly: the kernel finds no interpreter",
			exec.Spec{Argv: []string{direct}},
			direct + `: bad interpreter: script ` + direct + ` has Windows line endings (CRLF): its interpreter is "/bin/sh\r"` + fix(direct)},
		{"through env: env finds no program",
			exec.Spec{Argv: []string{viaEnv}},
			viaEnv + `: exit status 127: script ` + viaEnv + ` has Windows line endings (CRLF): its interpreter is "/usr/bin/env sh\r"` + fix(viaEnv)},
		{"a good #! line, CRLF in the body",
			exec.Spec{Argv: []string{body}},
			body + `: exit status 127: script ` + body + ` has Windows line endings (CRLF) from line 2, so the shell reads "\r" as part of its commands` + fix(body)},
		{"given to bash",
			exec.Spec{Argv: []string{"bash", "--norc", forBash}},
			`bash: exit status 127: script ` + forBash + ` has Windows line endings (CRLF) from line 1, so the shell reads "\r" as part of its commands` + fix(forBash)},
		{"the shell form",
			exec.Spec{Shell: direct + " --now"},
			`": exit status 127: script ` + direct + ` has Windows line endings (CRLF): its interpreter is "/bin/sh\r"` + fix(direct)},
		{"found through PATH",
			exec.Spec{Argv: []string{"notimon-crlf-fix"}, Env: map[string]string{"PATH": bin}},
			`notimon-crlf-fix: bad interpreter: script ` + inPath + ` has Windows line endings (CRLF): its interpreter is "/bin/bash\r"` + fix(inPath)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.spec.Timeout = 10 * time.Second
			res := run(t, tc.spec)
			if res.Err == nil {
				t.Fatalf("the run succeeded; stdout %q, stderr %q", res.Stdout, res.Stderr)
			}
			got := res.Err.Error()
			if tc.spec.Shell != "" {
				// The program's name is the script, cut to 40 characters: compare the rest.
				if !strings.HasPrefix(got, `sh -c "`) || !strings.HasSuffix(got, tc.want) {
					t.Errorf("error\n got %q\nwant sh -c \"…%s\n(stderr %q)", got, tc.want, res.Stderr)
				}
			} else if got != tc.want {
				t.Errorf("error\n got %q\nwant %q\n(stderr %q)", got, tc.want, res.Stderr)
			}
			if strings.ContainsAny(res.Err.Error(), "\n") {
				t.Errorf("the error is not one line: %q", res.Err)
			}
		})
	}

	t.Run("the cause is kept", func(t *testing.T) {
		res := run(t, exec.Spec{Argv: []string{direct}, Timeout: 10 * time.Second})
		if !errors.Is(res.Err, fs.ErrNotExist) {
			t.Errorf("errors.Is(%v, fs.ErrNotExist) = false", res.Err)
		}
	})
}

// TestFailuresWithoutCRLFAreNotExplained: the explanation appears only when it is true.
func TestFailuresWithoutCRLFAreNotExplained(t *testing.T) {
	dir := t.TempDir()
	lf := writeScript(t, dir, "lf.sh", "#!/bin/sh\necho 'disk is full' >&2\nexit 3\n")
	missing := writeScript(t, dir, "missing.sh", "#!/nonexistent/sh\necho hi\n")
	// dash reads "exit 0\r" as exit 0: a CRLF script that happens to succeed is not an error.
	lucky := writeScript(t, dir, "lucky.sh", "#!/bin/sh\r\n")
	luckyBody := writeScript(t, dir, "lucky-body.sh", "#!/bin/sh\necho ok\r\nexit 0\r\n")

	for _, tc := range []struct {
		spec exec.Spec
		want string // "" for success
	}{
		{exec.Spec{Argv: []string{lf}}, lf + ": exit status 3"},
		{exec.Spec{Argv: []string{missing}}, missing + ": interpreter not found (check the #! line)"},
		{exec.Spec{Shell: "bash -c 'exit 4'"}, `sh -c "bash -c 'exit 4'": exit status 4`},
		{exec.Spec{Argv: []string{"sh", "-c", lucky}}, ""}, // a script given with -c is a command string
		{exec.Spec{Argv: []string{luckyBody}}, ""},
	} {
		tc.spec.Timeout = 10 * time.Second
		res := run(t, tc.spec)
		got := ""
		if res.Err != nil {
			got = res.Err.Error()
		}
		if tc.spec.Argv != nil && tc.spec.Argv[0] == "sh" {
			// sh -c runs the file, which fails; only the absence of an explanation matters.
			if strings.Contains(got, "CRLF") {
				t.Errorf("%v: explained although -c gives no script file: %q", tc.spec.Argv, got)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("%v%s: error %q, want %q", tc.spec.Argv, tc.spec.Shell, got, tc.want)
		}
	}
}

func TestFindCRLFScript(t *testing.T) {
	dir := t.TempDir()
	crlf := writeScript(t, dir, "crlf.sh", "#!/bin/bash\r\necho hi\r\n")
	late := writeScript(t, dir, "late.sh", "#!/bin/sh\n# fine\necho a\r\necho b\r\n")
	lf := writeScript(t, dir, "lf.sh", "#!/bin/sh\necho hi\n")
	python := writeScript(t, dir, "tool.py", "#!/usr/bin/python3\nprint('hi')\r\n")
	pythonBad := writeScript(t, dir, "bad.py", "#!/usr/bin/python3\r\nprint('hi')\r\n")
	noShebang := writeScript(t, dir, "plain.sh", "echo hi\r\n")
	binary := writeScript(t, dir, "blob", "\x7fELF\x00\x00#!\r\n")
	empty := writeScript(t, dir, "empty.sh", "")
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	unreadable := writeScript(t, dir, "secret.sh", "#!/bin/sh\r\n")
	if err := os.Chmod(unreadable, 0o100); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	inPath := writeScript(t, bin, "fixit", "#!/bin/sh\r\n")

	type want struct {
		path        string
		word, line  int
		interpreter string
	}
	for _, tc := range []struct {
		name string
		spec exec.Spec
		want *want
	}{
		{"program", exec.Spec{Argv: []string{crlf, "--now"}}, &want{crlf, 0, 1, "/bin/bash\r"}},
		{"CRLF from line 3", exec.Spec{Argv: []string{late}}, &want{late, 0, 3, ""}},
		{"LF script", exec.Spec{Argv: []string{lf}}, nil},
		{"python reads CRLF lines", exec.Spec{Argv: []string{python}}, nil},
		{"but not a CRLF #! line", exec.Spec{Argv: []string{pythonBad}}, &want{pythonBad, 0, 1, "/usr/bin/python3\r"}},
		{"no #! line, executed directly", exec.Spec{Argv: []string{noShebang}}, nil},
		{"no #! line, given to sh", exec.Spec{Argv: []string{"sh", noShebang}}, &want{noShebang, 1, 1, ""}},
		{"bash with options", exec.Spec{Argv: []string{"/bin/bash", "-euo", "pipefail", "--norc", "-x", crlf, "arg"}}, &want{crlf, 5, 1, ""}},
		{"bash -O extglob", exec.Spec{Argv: []string{"bash", "-O", "extglob", crlf}}, &want{crlf, 3, 1, ""}},
		{"bash --rcfile", exec.Spec{Argv: []string{"bash", "--rcfile", crlf, lf}}, nil},
		{"bash --", exec.Spec{Argv: []string{"bash", "--", crlf}}, &want{crlf, 2, 1, ""}},
		{"bash -c is a command string", exec.Spec{Argv: []string{"bash", "-c", crlf}}, nil},
		{"bash -ec too", exec.Spec{Argv: []string{"bash", "-ec", crlf}}, nil},
		{"sh -s reads stdin", exec.Spec{Argv: []string{"sh", "-s", crlf}}, nil},
		{"a shell with no script", exec.Spec{Argv: []string{"bash"}}, nil},
		{"dash and zsh are shells", exec.Spec{Argv: []string{"zsh", crlf}}, &want{crlf, 1, 1, ""}},
		{"shell form", exec.Spec{Shell: crlf + " --now | logger"}, &want{crlf, 0, 1, "/bin/bash\r"}},
		{"shell form, bash and quotes", exec.Spec{Shell: "bash '" + late + "' --now"}, &want{late, 1, 3, ""}},
		{"shell form, a command", exec.Spec{Shell: "systemctl restart tomcat"}, nil},
		{"through PATH", exec.Spec{Argv: []string{"fixit"}, Env: map[string]string{"PATH": "relative:" + bin}}, &want{inPath, 0, 1, "/bin/sh\r"}},
		{"relative to Dir", exec.Spec{Argv: []string{"./crlf.sh"}, Dir: dir}, &want{filepath.Join(dir, "crlf.sh"), 0, 1, "/bin/bash\r"}},
		{"a binary", exec.Spec{Argv: []string{binary}}, nil},
		{"a binary given to sh", exec.Spec{Argv: []string{"sh", binary}}, nil},
		{"an empty file", exec.Spec{Argv: []string{empty}}, nil},
		{"a FIFO is not opened", exec.Spec{Argv: []string{fifo}}, nil},
		{"a directory", exec.Spec{Argv: []string{dir}}, nil},
		{"a missing file", exec.Spec{Argv: []string{filepath.Join(dir, "nope.sh")}}, nil},
		{"systemctl", exec.Spec{Argv: []string{"systemctl", "restart", "tomcat"}}, nil},
		{"nothing", exec.Spec{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := exec.FindCRLFScript(tc.spec)
			switch {
			case tc.want == nil && got != nil:
				t.Fatalf("found %+v, want nothing", *got)
			case tc.want == nil:
				return
			case got == nil:
				t.Fatalf("found nothing, want %+v", *tc.want)
			}
			if g := (want{got.Path, got.Word, got.Line, got.Interpreter}); g != *tc.want {
				t.Errorf("found %+v, want %+v", g, *tc.want)
			}
		})
	}
	if os.Geteuid() != 0 { // root reads any file
		if got := exec.FindCRLFScript(exec.Spec{Argv: []string{unreadable}}); got != nil {
			t.Errorf("an unreadable script is reported: %+v", *got)
		}
	}
}

func TestCRLFExplainQuotesThePath(t *testing.T) {
	for path, want := range map[string]string{
		"/opt/fix.sh":          `fix with sed -i 's/\r$//' /opt/fix.sh`,
		"/opt/my scripts/x.sh": `fix with sed -i 's/\r$//' '/opt/my scripts/x.sh'`,
		"/opt/it's.sh":         `fix with sed -i 's/\r$//' '/opt/it'\''s.sh'`,
	} {
		got := (&exec.CRLFScript{Path: path, Line: 1}).Explain()
		if !strings.HasSuffix(got, want) {
			t.Errorf("Explain() for %s = %q, want it to end with %q", path, got, want)
		}
	}
}
