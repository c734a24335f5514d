package exec

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// A shell script saved with Windows line endings (CRLF) fails in ways that do not say why:
// a `#!/bin/bash\r\n` line asks the kernel for the interpreter "/bin/bash\r", which does
// not exist ("bad interpreter", or just "not found" from sh), and a shell reading the other
// lines takes each "\r" as part of a command ("$'\r': command not found", exit 127). This
// file finds such a script behind a command, so that `notimon validate` can warn before it
// runs and a failed run can say why.

// CRLFScript is a script that a command runs and that Windows line endings will break.
type CRLFScript struct {
	// Path is the script as the command finds it: a bare program name resolved through
	// PATH, otherwise as written (relative to the working directory).
	Path string
	// Word is the index of the word naming it: in Spec.Argv, or among the whitespace-separated
	// words of Spec.Shell.
	Word int
	// Line is the first line that ends in "\r\n", counting from 1.
	Line int
	// Interpreter is what the script's #! line asks for, "\r" included, when that line ends
	// in CRLF and the script is executed directly: the kernel will not find it. "" otherwise.
	Interpreter string
}

// Fix is the command that converts the script to LF line endings.
func (s *CRLFScript) Fix() string { return "sed -i 's/\\r$//' " + shellQuote(s.Path) }

// Explain says in one line what is wrong with the script and how to fix it.
func (s *CRLFScript) Explain() string {
	fix := "fix with " + s.Fix()
	if s.Interpreter != "" {
		return fmt.Sprintf("script %s has Windows line endings (CRLF): its interpreter is %q; %s", s.Path, s.Interpreter, fix)
	}
	return fmt.Sprintf("script %s has Windows line endings (CRLF) from line %d, so the shell reads \"\\r\" as part of its commands; %s", s.Path, s.Line, fix)
}

// FindCRLFScript returns the script behind s that CRLF line endings will break, or nil:
// the program itself (Argv[0], or the first word of Shell) when it is a #! script, or the
// script a shell is given (["bash", "/opt/fix.sh"], shell = "sh /opt/fix.sh"). It only reads
// regular files it may read, at most the first MiB of each, and never fails: a file it
// cannot read is not reported.
func FindCRLFScript(s Spec) *CRLFScript {
	env, err := environ(s.base(), s.Alert, s.Env)
	if err != nil {
		env = s.base()
	}
	words := s.Argv
	if len(words) == 0 {
		words = shellWords(s.Shell)
	}
	return findCRLF(words, lookupEnv(env, "PATH"), s.Dir)
}

// findCRLF looks at the program named by words[0] and, when it is a shell, at the script
// it is given.
func findCRLF(words []string, path, dir string) *CRLFScript {
	if len(words) == 0 || words[0] == "" {
		return nil
	}
	if isShell(words[0]) {
		i := shellScriptArg(words)
		if i < 0 {
			return nil
		}
		p := resolve(words[i], path, dir, false)
		if r := scanCRLF(p, false); r != nil {
			r.Word = i
			return r
		}
		return nil
	}
	p := resolve(words[0], path, dir, true)
	if r := scanCRLF(p, true); r != nil {
		r.Word = 0
		return r
	}
	return nil
}

// shells are the programs whose first operand is a script of shell commands.
var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "mksh": true, "ash": true}

func isShell(prog string) bool { return shells[filepath.Base(prog)] }

// shellScriptArg returns the index of the script operand of a shell command line
// (words[0] is the shell), or -1 when there is none: `-c` takes commands from a string and
// `-s` from standard input. Options that take a value (-o pipefail, -O extglob,
// --rcfile FILE) are skipped with it.
func shellScriptArg(words []string) int {
	for i := 1; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "--":
			if i+1 < len(words) {
				return i + 1
			}
			return -1
		case w == "--rcfile" || w == "--init-file":
			i++
		case strings.HasPrefix(w, "--"):
		case len(w) > 1 && (w[0] == '-' || w[0] == '+'):
			if strings.ContainsAny(w[1:], "cs") {
				return -1
			}
			if strings.ContainsAny(w[1:], "oO") {
				i++ // its value
			}
		default:
			return i
		}
	}
	return -1
}

// shellWords splits a shell script into words well enough to find a script it starts:
// "/opt/fix.sh --now", "bash '/opt/fix.sh'". Anything cleverer is not a plain script call,
// and a word that names no file is simply not reported.
func shellWords(script string) []string {
	words := strings.Fields(script)
	for i, w := range words {
		if len(w) >= 2 && (w[0] == '\'' || w[0] == '"') && w[len(w)-1] == w[0] {
			words[i] = w[1 : len(w)-1]
		}
	}
	return words
}

// resolve finds the file a command word names: a name without a slash through PATH (the
// program: as execve would; a shell's script operand: in the working directory first, as
// bash does), anything else relative to dir.
func resolve(word, path, dir string, program bool) string {
	if !strings.Contains(word, "/") {
		if !program {
			if p := inDir(word, dir); isFile(p) {
				return p
			}
		}
		for _, d := range filepath.SplitList(path) {
			if p := filepath.Join(d, word); filepath.IsAbs(d) && isFile(p) {
				return p
			}
		}
		return ""
	}
	return inDir(word, dir)
}

func inDir(p, dir string) string {
	if dir != "" && !filepath.IsAbs(p) {
		return filepath.Join(dir, p)
	}
	return p
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// crlfScanLimit bounds how much of a script is read: scripts are small, and one saved on
// Windows has CRLF on every line.
const crlfScanLimit = 1 << 20

// scanCRLF reads the script at p and reports its first CRLF line when that line breaks it.
// direct says the script is executed by the kernel (its #! line picks the interpreter);
// otherwise a shell reads it.
func scanCRLF(p string, direct bool) *CRLFScript {
	if p == "" {
		return nil
	}
	// Stat first: opening a FIFO would block. Size 0 skips /proc files, which can block too.
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, crlfScanLimit))
	if err != nil {
		return nil
	}
	shebang := bytes.HasPrefix(b, []byte("#!"))
	if direct && !shebang {
		return nil // a binary, or a file the kernel will refuse (ENOEXEC) for another reason
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return nil // not text
	}
	at := bytes.Index(b, []byte("\r\n"))
	if at < 0 {
		return nil
	}
	line := bytes.Count(b[:at], []byte("\n")) + 1
	first, _, _ := bytes.Cut(b, []byte("\n"))
	r := &CRLFScript{Path: p, Line: line}
	switch {
	case direct && line == 1:
		r.Interpreter = strings.TrimLeft(string(first[2:]), " \t")
	case direct && !shellShebang(string(first[2:])):
		// Its interpreter starts, and it may read CRLF lines happily (Python does).
		return nil
	}
	return r
}

// shellShebang reports whether a #! line (without "#!") names a shell, directly or through
// env: "/bin/sh", "/usr/bin/env bash".
func shellShebang(line string) bool {
	f := strings.Fields(line)
	if len(f) == 0 {
		return false
	}
	if filepath.Base(f[0]) == "env" {
		for _, w := range f[1:] {
			if !strings.HasPrefix(w, "-") {
				return isShell(w)
			}
		}
		return false
	}
	return isShell(f[0])
}

// shellQuote quotes p for a shell command line when it needs it.
func shellQuote(p string) string {
	plain := p != ""
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+,:@%=", r)) {
			plain = false
			break
		}
	}
	if plain {
		return p
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}

// explainCRLF adds to a failed run's error why it failed, when the command runs a script
// with Windows line endings. notStarted says the kernel refused the program. err keeps its
// causes for errors.Is.
func (c *command) explainCRLF(err error, notStarted bool) error {
	words := c.argv
	if c.spec.Shell != "" {
		words = shellWords(c.spec.Shell)
	}
	s := findCRLF(words, lookupEnv(c.env, "PATH"), c.dir)
	if s == nil {
		return err
	}
	if notStarted && s.Interpreter != "" {
		// The kernel refused it: its own words ("interpreter not found") add nothing.
		return &CRLFError{Script: s, msg: c.name + ": bad interpreter: " + s.Explain(), cause: err}
	}
	return &CRLFError{Script: s, msg: err.Error() + ": " + s.Explain(), cause: err}
}

// CRLFError is a failed run of a script with Windows line endings: its message says so in
// one line, with the fix. The engine also adds that line to the step's exec.output, since
// the command itself printed nothing that says why.
type CRLFError struct {
	Script *CRLFScript
	msg    string
	cause  error
}

func (e *CRLFError) Error() string { return e.msg }
func (e *CRLFError) Unwrap() error { return e.cause }
