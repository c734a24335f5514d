package process

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
)

// Selector picks the processes of one `probe "process" "<name>"` block. Every attribute
// that is set must hold (the DSL currently allows exactly one).
type Selector struct {
	// Match is matched against the process name (Proc.Comm, at most 15 bytes, as
	// `ps -o comm` shows it), e.g. ^httpd$.
	Match *regexp.Regexp
	// Cmdline is matched against the full command line, arguments separated by spaces,
	// e.g. "java .*-jar /opt/app/app.jar". Kernel threads and zombies have none and are
	// never selected this way.
	Cmdline *regexp.Regexp
	// PIDFile is the absolute path of a file holding a PID: only that process is
	// selected, not its children. A missing or empty file, or a PID no longer running,
	// selects nothing: the service is down, which is what count == 0 says.
	PIDFile string
}

// NewSelector compiles the attributes of a process probe block; empty strings are unset.
func NewSelector(match, cmdline, pidfile string) (Selector, error) {
	var sel Selector
	var err error
	if match != "" {
		if sel.Match, err = regexp.Compile(match); err != nil {
			return Selector{}, fmt.Errorf("match: %w", err)
		}
	}
	if cmdline != "" {
		if sel.Cmdline, err = regexp.Compile(cmdline); err != nil {
			return Selector{}, fmt.Errorf("cmdline: %w", err)
		}
	}
	if pidfile != "" {
		if !filepath.IsAbs(pidfile) {
			return Selector{}, fmt.Errorf("pidfile %q is not an absolute path", pidfile)
		}
		sel.PIDFile = pidfile
	}
	if sel.Match == nil && sel.Cmdline == nil && sel.PIDFile == "" {
		return Selector{}, errors.New("a process probe needs match, cmdline or pidfile")
	}
	return sel, nil
}

func (s Selector) String() string {
	var b bytes.Buffer
	if s.Match != nil {
		fmt.Fprintf(&b, "match %q ", s.Match)
	}
	if s.Cmdline != nil {
		fmt.Fprintf(&b, "cmdline %q ", s.Cmdline)
	}
	if s.PIDFile != "" {
		fmt.Fprintf(&b, "pidfile %q ", s.PIDFile)
	}
	return string(bytes.TrimSpace(b.Bytes()))
}

// Match returns the processes of the table sel selects. The error is about sel's PID
// file (unreadable, or not holding a PID); a process that exits before its command line
// is read is not selected.
func (t *Table) Match(sel Selector) ([]Proc, error) { return t.match(sel, nil) }

// match is Match appending to out (a Sampler reuses its memory from probe to probe).
func (t *Table) match(sel Selector, out []Proc) ([]Proc, error) {
	if sel.Match == nil && sel.Cmdline == nil && sel.PIDFile == "" {
		return nil, errors.New("empty selector: set match, cmdline or pidfile")
	}
	pid := 0
	if sel.PIDFile != "" {
		var ok bool
		var err error
		pid, ok, err = t.readPIDFile(sel.PIDFile)
		if err != nil || !ok {
			return nil, err
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	procs, ents := t.Procs, t.ents
	if t.partial && pid != 0 {
		e, err := t.tr.readPID(pid)
		if err != nil || e == nil {
			return nil, err
		}
		procs, ents = []Proc{e.p}, []*entry{e}
	}
	nameID, cmdID := -1, -1
	if sel.Match != nil {
		nameID = t.tr.reID(sel.Match)
	}
	if sel.Cmdline != nil {
		cmdID = t.tr.reID(sel.Cmdline)
	}
	for i := range procs {
		p, e := &procs[i], ents[i]
		if pid != 0 && p.PID != pid {
			continue
		}
		if sel.Match != nil && !t.tr.nameMatches(p, e, sel.Match, nameID) {
			continue
		}
		if sel.Cmdline != nil && !t.cmdlineMatches(p, e, sel.Cmdline, cmdID) {
			continue
		}
		// Chosen: its CPU time and memory are wanted, from this scan.
		ok, err := t.complete(p, e)
		if err != nil {
			return nil, err
		}
		if !ok || (sel.Cmdline != nil && p.State == 'Z') {
			continue // gone since the listing; or a zombie now, without a command line
		}
		e.chosen = t.gen
		out = append(out, *p)
	}
	return out, nil
}

// readPIDFile returns the PID in path; ok is false when the file does not exist.
func (t *Table) readPIDFile(path string) (pid int, ok bool, err error) {
	read := t.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	data, err := read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("pidfile: %w", err)
	}
	first, _, _ := bytes.Cut(data, []byte{'\n'})
	first = bytes.TrimSpace(first)
	if len(first) == 0 {
		return 0, false, nil // written empty before the PID, or emptied on stop
	}
	n, err := strconv.Atoi(string(first))
	if err != nil || n <= 0 {
		return 0, false, fmt.Errorf("pidfile %s: %q is not a process ID", path, clip(first))
	}
	return n, true, nil
}
