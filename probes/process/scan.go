package process

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// ClockTicks is USER_HZ, the unit of the times in /proc/<pid>/stat. The kernel fixes it at
// 100 for user space on every architecture notimon runs on, whatever CONFIG_HZ is (only
// alpha and ia64 differ), which is why it is a constant rather than sysconf(_SC_CLK_TCK).
const ClockTicks = 100

// Proc is what one scan knows about a process: the fields of /proc/<pid>/stat the process
// probes use.
type Proc struct {
	PID int
	// Comm is the process name as `ps -o comm` shows it: the executable's base name or
	// what the process set with prctl, cut to 15 bytes by the kernel.
	Comm string
	// State is the one-letter state: R running, S sleeping, D disk wait, Z zombie, T stopped …
	State byte
	// Ticks is user + system CPU time in ClockTicks (children's time not included).
	Ticks uint64
	// StartTicks is when the process started, in ClockTicks after boot. With the PID it
	// identifies a process: a reused PID has another start time.
	StartTicks uint64
	// RSSPages is the resident set in pages.
	RSSPages int64
}

// Table is one scan of /proc: every process at that moment. Matching selectors against it
// reads command lines and PID files only when a selector asks for them.
//
// A Table is safe for concurrent use.
type Table struct {
	// BootTime is the btime line of /proc/stat, seconds since the epoch.
	BootTime int64
	// Procs are the processes found, in /proc's directory order.
	Procs []Proc
	// Hidden counts processes that exist but whose stat could not be read (a /proc mounted
	// with hidepid and notimon not running as root): they match no selector.
	Hidden int
	// ReadFile reads PID files; nil means os.ReadFile. Tests hand in a fake.
	ReadFile func(name string) ([]byte, error)

	fs   fs.FS
	mu   sync.Mutex
	cmds *cmdlines // read on demand; shared with a Sampler's scans before and after
	now  time.Time // the sample's time, when a Sampler made the table
	// partial: only some processes were scanned (every selector has a PID file); Match
	// reads the stat of a PID file's process when it is not in Procs.
	partial bool
}

// Scan reads /proc/stat for the boot time and /proc/<pid>/stat of every process in fsys,
// rooted at /proc: one open and one read per process. A process that exits during the scan
// is left out without an error. Threads are not processes here: /proc lists only thread
// group leaders, and their stat covers the whole process.
func Scan(fsys fs.FS) (*Table, error) {
	btime, err := readBootTime(fsys)
	if err != nil {
		return nil, err
	}
	dir, err := fsys.Open(".")
	if err != nil {
		return nil, fmt.Errorf("scan /proc: %w", err)
	}
	defer dir.Close()
	names, err := readDirNames(dir)
	if err != nil {
		return nil, fmt.Errorf("scan /proc: %w", err)
	}

	t := &Table{BootTime: btime, fs: fsys, Procs: make([]Proc, 0, len(names))}
	buf := make([]byte, 1024)
	for _, name := range names {
		pid, ok := parsePID(name)
		if !ok {
			continue
		}
		var p Proc
		var found bool
		p, found, buf, err = readProc(fsys, name, pid, buf)
		switch {
		case errors.Is(err, fs.ErrPermission):
			t.Hidden++
		case err != nil:
			return nil, fmt.Errorf("scan /proc: %w", err)
		case found:
			t.Procs = append(t.Procs, p)
		}
	}
	return t, nil
}

// readDirNames lists a directory's names, in no order: thousands of names need none. The
// real /proc (an *os.File) lists names only, without a DirEntry per process.
func readDirNames(dir fs.File) ([]string, error) {
	if f, ok := dir.(interface{ Readdirnames(n int) ([]string, error) }); ok {
		return f.Readdirnames(-1)
	}
	rd, ok := dir.(fs.ReadDirFile)
	if !ok {
		return nil, fmt.Errorf("the file system cannot list directories")
	}
	entries, err := rd.ReadDir(-1)
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, err
}

// scanNone reads the boot time only: a table for selectors that all name a PID file, whose
// processes Match reads on demand. There is no need to read every process's stat to
// find one.
func scanNone(fsys fs.FS) (*Table, error) {
	btime, err := readBootTime(fsys)
	if err != nil {
		return nil, err
	}
	return &Table{BootTime: btime, fs: fsys, partial: true}, nil
}

// readProc reads /proc/<dir>/stat, dir being pid in decimal. found is false when the
// process is gone; a permission error (hidepid) is returned as it is.
func readProc(fsys fs.FS, dir string, pid int, buf []byte) (p Proc, found bool, next []byte, err error) {
	data, buf, err := readInto(fsys, dir+"/stat", buf)
	switch {
	case vanished(err) || (err == nil && len(data) == 0):
		return Proc{}, false, buf, nil
	case errors.Is(err, fs.ErrPermission):
		return Proc{}, false, buf, err
	case err != nil:
		return Proc{}, false, buf, fmt.Errorf("read /proc/%s/stat: %w", dir, err)
	}
	p, err = ParseStat(data)
	if err != nil {
		return Proc{}, false, buf, fmt.Errorf("/proc/%s/stat: %w", dir, err)
	}
	if p.PID != pid {
		return Proc{}, false, buf, fmt.Errorf("/proc/%s/stat is about PID %d", dir, p.PID)
	}
	return p, true, buf, nil
}

// vanished reports whether err means the process is gone: its directory disappeared
// (ENOENT) or it exited between open and read (ESRCH).
func vanished(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

func parsePID(name string) (int, bool) {
	if name == "" || name[0] < '1' || name[0] > '9' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < '0' || c > '9' || n > 1<<31 {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// readInto reads a whole small file into buf, growing it if needed, and returns the data
// and the buffer to reuse. Reading /proc/<pid>/stat this way costs an open, a read and a
// close, where fs.ReadFile adds an fstat and an allocation per process.
func readInto(fsys fs.FS, name string, buf []byte) (data, next []byte, err error) {
	if r, ok := fsys.(recordReader); ok {
		return r.ReadRecord(name, buf)
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, buf, err
	}
	defer f.Close()
	n := 0
	for {
		m, err := f.Read(buf[n:])
		n += m
		if err == io.EOF {
			return buf[:n], buf, nil
		}
		if err != nil {
			return nil, buf, err
		}
		if n < len(buf) {
			// procfs hands over a whole stat line in one read; a short read is the end.
			// A second read would cost a system call per process just to see EOF.
			return buf[:n], buf, nil
		}
		buf = append(buf, make([]byte, len(buf))...)
	}
}

// recordReader is procfs.FS, the real /proc: it reads a stat file with three system calls.
type recordReader interface {
	ReadRecord(name string, buf []byte) (data, next []byte, err error)
}

// ParseStat parses /proc/<pid>/stat: `pid (comm) state ppid … utime stime … starttime
// vsize rss …`. comm may hold spaces and parentheses, so it runs to the last ')'.
func ParseStat(data []byte) (Proc, error) {
	open := bytes.IndexByte(data, '(')
	closing := bytes.LastIndexByte(data, ')')
	if open < 1 || closing < open {
		return Proc{}, fmt.Errorf("%q is not a stat line (pid (comm) state …)", clip(data))
	}
	pid, ok := parsePID(string(bytes.TrimSpace(data[:open])))
	if !ok {
		return Proc{}, fmt.Errorf("PID %q is not a number", clip(bytes.TrimSpace(data[:open])))
	}
	p := Proc{PID: pid, Comm: string(data[open+1 : closing])}

	// Fields after the comm, counted from 0: 0 state, 11 utime, 12 stime, 19 starttime,
	// 21 rss (fields 3, 14, 15, 22 and 24 of proc(5)).
	const (
		fState = 0
		fUTime = 11
		fSTime = 12
		fStart = 19
		fRSS   = 21
	)
	rest := data[closing+1:]
	var utime, stime uint64
	for i := 0; i <= fRSS; i++ {
		var f []byte
		f, rest = nextField(rest)
		if f == nil {
			return Proc{}, fmt.Errorf("stat line ends after %d fields, want at least %d", i+2, fRSS+3)
		}
		var err error
		switch i {
		case fState:
			p.State = f[0]
		case fUTime:
			utime, err = parseUint(f, "utime")
		case fSTime:
			stime, err = parseUint(f, "stime")
		case fStart:
			p.StartTicks, err = parseUint(f, "starttime")
		case fRSS:
			var rss int64
			rss, err = strconv.ParseInt(string(f), 10, 64)
			if err != nil {
				err = fmt.Errorf("rss %q is not a whole number", clip(f))
			}
			p.RSSPages = max(rss, 0)
		}
		if err != nil {
			return Proc{}, err
		}
	}
	p.Ticks = utime + stime
	return p, nil
}

func nextField(b []byte) (field, rest []byte) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\n') {
		i++
	}
	j := i
	for j < len(b) && b[j] != ' ' && b[j] != '\n' {
		j++
	}
	if i == j {
		return nil, nil
	}
	return b[i:j], b[j:]
}

func parseUint(f []byte, name string) (uint64, error) {
	var n uint64
	for _, c := range f {
		d := uint64(c - '0')
		if c < '0' || c > '9' || n > (math.MaxUint64-d)/10 {
			return 0, fmt.Errorf("%s %q is not a whole number", name, clip(f))
		}
		n = n*10 + d
	}
	return n, nil
}

// readBootTime reads the btime line of /proc/stat.
func readBootTime(fsys fs.FS) (int64, error) {
	data, err := fs.ReadFile(fsys, "stat")
	if err != nil {
		return 0, fmt.Errorf("read /proc/stat: %w", err)
	}
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		if v, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("/proc/stat: btime %q is not a time", clip(bytes.TrimSpace(v)))
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("/proc/stat has no btime line (needed for process ages)")
}

// Cmdline returns the command line of process p as `ps -o args` would (NUL separators as
// spaces), and false if it is gone or unreadable. Kernel threads and zombies have an
// empty command line. It is read at most once per table, and a Sampler's tables reuse
// what earlier ones read of the same process (cmdlines).
func (t *Table) Cmdline(p Proc) (string, bool) {
	if p.State == 'Z' {
		return "", true // a zombie's is empty, whatever it was while it ran
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cmds == nil {
		t.cmds = newCmdlines()
	}
	key := procKey{pid: p.PID, start: p.StartTicks}
	if c, ok := t.cmds.get(key, p.Comm, t.now); ok {
		return c.text, c.ok
	}
	c := cmdline{read: t.now, comm: p.Comm}
	data, err := fs.ReadFile(t.fs, strconv.Itoa(p.PID)+"/cmdline")
	if err == nil {
		data = bytes.TrimRight(data, "\x00")
		for i, b := range data {
			if b == 0 {
				data[i] = ' '
			}
		}
		c.text, c.ok = string(data), true
	}
	t.cmds.put(key, c)
	return c.text, c.ok
}

// clip keeps error messages readable when a file holds garbage.
func clip(b []byte) string {
	const max = 60
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
