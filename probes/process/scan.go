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
	"time"

	"github.com/notimon/notimon/probes/internal/procfs"
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
	// Procs are the processes found, in /proc's directory order. In a Sampler's scans of
	// the machine's /proc, a process no selector chose at the previous scan has only its
	// name read (/proc/<pid>/comm): its other fields are those of an earlier scan, until
	// Match reads its stat because a selector chooses it.
	Procs []Proc
	// Hidden counts processes that exist but whose stat could not be read (a /proc mounted
	// with hidepid and notimon not running as root): they match no selector.
	Hidden int
	// ReadFile reads PID files; nil means os.ReadFile. Tests hand in a fake.
	ReadFile func(name string) ([]byte, error)

	fs   fs.FS
	mu   sync.Mutex
	tr   *tracker // what is known of each process, shared with a Sampler's other scans
	ents []*entry // ents[i] is Procs[i]'s
	gen  uint64   // the tracker's scan this is
	now  time.Time
	// partial: only some processes were scanned (every selector has a PID file); Match
	// reads the stat of a PID file's process when it is not in Procs.
	partial bool
}

// Scan reads /proc/stat for the boot time and /proc/<pid>/stat of every process in fsys,
// rooted at /proc: one open and one read per process. A process that exits during the scan
// is left out without an error. Threads are not processes here: /proc lists only thread
// group leaders, and their stat covers the whole process.
func Scan(fsys fs.FS) (*Table, error) {
	tr := newTracker(0)
	tr.use(fsys)
	return tr.scan(time.Time{}, false)
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

// readProc reads /proc/<dir>/stat, dir being pid in decimal. found is false when the
// process is gone; a permission error (hidepid) is returned as it is. comm is the name
// the process had, reused when it has not changed.
func readProc(fsys fs.FS, dir string, pid int, buf []byte, comm string) (p Proc, found bool, next []byte, err error) {
	data, buf, err := readInto(fsys, dir+"/stat", buf)
	p, found, err = statOf(data, err, dir, pid, comm)
	return p, found, buf, err
}

// statOf parses what reading /proc/<dir>/stat gave.
func statOf(data []byte, err error, dir string, pid int, comm string) (Proc, bool, error) {
	switch {
	case vanished(err) || (err == nil && len(data) == 0):
		return Proc{}, false, nil
	case errors.Is(err, fs.ErrPermission):
		return Proc{}, false, err
	case err != nil:
		return Proc{}, false, fmt.Errorf("read /proc/%s/stat: %w", dir, err)
	}
	p, err := parseStat(data, comm)
	if err != nil {
		return Proc{}, false, fmt.Errorf("/proc/%s/stat: %w", dir, err)
	}
	if p.PID != pid {
		return Proc{}, false, fmt.Errorf("/proc/%s/stat is about PID %d", dir, p.PID)
	}
	return p, true, nil
}

// vanished reports whether err means the process is gone: its directory disappeared
// (ENOENT) or it exited between open and read (ESRCH).
func vanished(err error) bool { return procfs.Gone(err) }

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
	if len(buf) == 0 {
		buf = make([]byte, 1024)
	}
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
func ParseStat(data []byte) (Proc, error) { return parseStat(data, "") }

// parseStat is ParseStat reusing comm, the name the process had at the last scan, when it
// has not changed: no string allocated per process and scan.
func parseStat(data []byte, comm string) (Proc, error) {
	open := bytes.IndexByte(data, '(')
	closing := lastParen(data, open)
	if open < 1 || closing < open {
		return Proc{}, fmt.Errorf("%q is not a stat line (pid (comm) state …)", clip(data))
	}
	pid, ok := parsePID(string(bytes.TrimSpace(data[:open])))
	if !ok {
		return Proc{}, fmt.Errorf("PID %q is not a number", clip(bytes.TrimSpace(data[:open])))
	}
	p := Proc{PID: pid, Comm: comm}
	if name := data[open+1 : closing]; string(name) != comm {
		p.Comm = string(name)
	}

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
			if f[0] == '-' { // not in practice, but the kernel prints it signed
				_, err = parseUint(f[1:], "rss")
				break
			}
			var rss uint64
			rss, err = parseUint(f, "rss")
			p.RSSPages = int64(min(rss, math.MaxInt64))
		}
		if err != nil {
			return Proc{}, err
		}
	}
	p.Ticks = utime + stime
	return p, nil
}

// lastParen finds the ')' that ends the comm of a stat line, its last: a forward search
// for the next one until there is none is quicker than bytes.LastIndexByte, which goes
// back a byte at a time over the 50 numbers that follow. It is -1 when there is none
// after open.
func lastParen(data []byte, open int) int {
	if open < 0 {
		return -1
	}
	last := -1
	for i := open; ; {
		j := bytes.IndexByte(data[i:], ')')
		if j < 0 {
			return last
		}
		last = i + j
		i = last + 1
	}
}

// nextField returns the first field of b, fields being separated by spaces, the line
// ended by '\n'. A loop a byte at a time: the fields are short, shorter than what
// bytes.IndexByte needs to pay for its call.
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
	if len(f) == 0 {
		return 0, fmt.Errorf("%s is empty, not a whole number", name)
	}
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
	btime, _, err := readSystemStat(fsys)
	return btime, err
}

// readSystemStat reads the btime line of /proc/stat and the processes line, the number of
// processes and threads created since boot; forks is -1 when the latter is missing.
func readSystemStat(fsys fs.FS) (btime, forks int64, err error) {
	data, err := fs.ReadFile(fsys, "stat")
	if err != nil {
		return 0, 0, fmt.Errorf("read /proc/stat: %w", err)
	}
	forks = -1
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		if v, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			if err != nil || n <= 0 {
				return 0, 0, fmt.Errorf("/proc/stat: btime %q is not a time", clip(bytes.TrimSpace(v)))
			}
			btime = n
		}
		if v, ok := bytes.CutPrefix(line, []byte("processes ")); ok {
			if n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64); err == nil && n >= 0 {
				forks = n
			}
		}
	}
	if btime == 0 {
		return 0, 0, fmt.Errorf("/proc/stat has no btime line (needed for process ages)")
	}
	return btime, forks, nil
}

// clip keeps error messages readable when a file holds garbage.
func clip(b []byte) string {
	const max = 60
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
