package process

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"runtime"
	"strconv"
	"time"

	"github.com/notimon/notimon/probes/internal/procfs"
)

// tracker is what a Sampler knows of each process from one scan of /proc to the next: its
// name, start time and last stat, the command line read for it, and on the machine's own
// /proc a file of it kept open (procfs.File), which is what a scan reads again.
//
// What a scan reads of a process depends on what the selectors did with it: the stat
// (/proc/<pid>/stat: state, CPU times, resident pages) of a process some selector chose at
// the previous scan, since its values are wanted again; only the name (/proc/<pid>/comm)
// of the others, which is all the selectors look at before they choose, and costs the
// kernel a quarter of what a stat does (the stat sums the CPU times of every thread and
// prints 52 numbers). A process a selector chooses now whose stat was not read (it
// exec'd a program of a matching name, or its command line was read again) has it read
// then (Table.complete). A new process has its stat read, for its start time.
//
// A file held stays with its process: reading it after the process was reaped fails even
// if the PID has been reused, so a process read through a held file is the one it was;
// one read by its path is told apart by its start time.
type tracker struct {
	fs     fs.FS
	proc   procfs.FS // fs, when it is the machine's /proc and files are held
	max    int       // files held at most; 0: none
	held   int       // files held now
	procs  map[int]*entry
	gen    uint64 // the current scan, counted from 1
	buf    []byte
	dirbuf []byte
	pids   []int                  // the last listing, less the processes found gone since
	forks  int64                  // the kernel's count of processes created, at that listing; -1: unknown
	ids    map[*regexp.Regexp]int // the selectors' regular expressions, numbered for hits
	epoch  uint32                 // bumped when they are numbered afresh
	rows   []Proc                 // the last scan's Procs, reused by the next when reuse is set
	ents   []*entry               // and its entries
}

// entry is one process.
type entry struct {
	p       Proc   // Comm is the last scan's; the other fields are as of statGen
	statGen uint64 // the scan its stat was last read at
	seen    uint64 // the last scan that listed it
	chosen  uint64 // the last scan at which a selector chose it
	file    procfs.File
	kind    fileKind // what file is held
	cmd     *cmdline // nil until read
	names   hits     // what the selectors' regular expressions made of p.Comm
}

type fileKind uint8

const (
	noFile fileKind = iota
	statFile
	commFile
)

// cmdline is a process's command line as it was read.
//
// A process may rewrite its command line while it runs (setproctitle: "php-fpm: pool www",
// "postgres: checkpointer", and postgres's "idle in transaction"), mostly right after it
// starts; so it is read again once it is cmdlineMaxAge old, give or take a minute spread by
// PID so that the rereads of processes started together do not fall on one tick. A
// process that execs another program keeps its PID and start time but gets a new name (a
// wrapper script's `exec java …`): a command line read under another name is read again.
type cmdline struct {
	text    string
	ok      bool      // false: the process is gone or its command line is unreadable
	read    time.Time // the sample's time it was read at; zero outside a Sampler
	gen     uint64    // the scan it was read at
	comm    string    // the process's name when it was read
	matches hits      // what the selectors' regular expressions made of text
}

// hits keep whether the selectors' regular expressions match a name or a command line: the
// same selectors ask at every tick, and names and command lines seldom change. Bit i is
// about the regular expression the tracker numbered i (tracker.reID), as of the tracker's
// epoch: numbers are handed out again when a reloaded configuration brings regular
// expressions beyond the 64 there are.
type hits struct {
	known, match uint64
	epoch        uint32
}

// get returns what is known of regular expression id at epoch.
func (h *hits) get(id int, epoch uint32) (match, known bool) {
	if id < 0 || h.epoch != epoch || h.known&(1<<id) == 0 {
		return false, false
	}
	return h.match&(1<<id) != 0, true
}

func (h *hits) set(id int, epoch uint32, match bool) {
	if id < 0 {
		return
	}
	if h.epoch != epoch {
		*h = hits{epoch: epoch}
	}
	h.known |= 1 << id
	if match {
		h.match |= 1 << id
	}
}

// reID numbers re for hits: -1 once 64 are numbered.
func (tr *tracker) reID(re *regexp.Regexp) int {
	id, ok := tr.ids[re]
	if !ok {
		if len(tr.ids) >= 64 {
			return -1
		}
		id = len(tr.ids)
		tr.ids[re] = id
	}
	return id
}

// prepare numbers the regular expressions of sels afresh if some are not numbered, there is
// no room left, and some of those numbered are not among them (a configuration reloaded:
// those of the earlier one are not asked for again). With more than 64, the first 64
// asked for are kept, and the others are matched at every scan.
func (tr *tracker) prepare(sels map[string]Selector) {
	live, missing := 0, false
	for _, sel := range sels {
		for _, re := range []*regexp.Regexp{sel.Match, sel.Cmdline} {
			if re == nil {
				continue
			}
			if _, ok := tr.ids[re]; ok {
				live++
			} else {
				missing = true
			}
		}
	}
	if missing && len(tr.ids) >= 64 && live < len(tr.ids) {
		clear(tr.ids)
		tr.epoch++
	}
}

// cmdlineMaxAge is how long a command line read is trusted, at least.
const cmdlineMaxAge = time.Minute

// newTracker returns a tracker holding at most max files open.
func newTracker(max int) *tracker {
	tr := &tracker{max: max, procs: map[int]*entry{}, forks: -1, ids: map[*regexp.Regexp]int{}}
	if max > 0 {
		// Its files are closed when it is garbage collected (a Sampler has no Close).
		runtime.AddCleanup(tr, func(procs map[int]*entry) {
			for _, e := range procs {
				e.file.Close()
			}
		}, tr.procs)
	}
	return tr
}

// use sets the file system the next scans read. Files are held only on the machine's
// /proc (procfs.FS); another file system lets go of those held.
func (tr *tracker) use(fsys fs.FS) {
	d, ok := fsys.(procfs.FS)
	if !ok || tr.max == 0 {
		d = ""
	}
	if d != tr.proc {
		tr.closeAll()
		tr.forks = -1
	}
	tr.fs, tr.proc = fsys, d
}

// closeAll lets go of every file held.
func (tr *tracker) closeAll() {
	for _, e := range tr.procs {
		tr.release(e)
	}
}

func (tr *tracker) release(e *entry) {
	if e.kind != noFile {
		e.file.Close()
		e.kind = noFile
		tr.held--
	}
}

func (tr *tracker) drop(pid int, e *entry) {
	tr.release(e)
	delete(tr.procs, pid)
}

// scan lists the processes of /proc and reads each. reuse: the Procs of the table returned
// reuse the last scan's memory (a Sampler's tables do not outlive their sample).
func (tr *tracker) scan(now time.Time, reuse bool) (*Table, error) {
	btime, forks, err := readSystemStat(tr.fs)
	if err != nil {
		return nil, err
	}
	// No process was created since the last listing if the kernel's count of them has
	// not moved: the processes are those of the last scan, less those that have gone,
	// which reading them finds. /proc/stat is read before /proc is listed, and the kernel
	// counts a process when it adds it to the list, under one lock.
	switch {
	case tr.proc != "" && forks >= 0 && forks == tr.forks:
	case tr.proc != "":
		tr.pids, tr.dirbuf, err = tr.proc.PIDs(tr.pids[:0], tr.dirbuf)
	default:
		tr.pids = tr.pids[:0]
		err = tr.listPIDs()
	}
	if err != nil {
		tr.forks = -1
		return nil, fmt.Errorf("scan /proc: %w", err)
	}
	tr.forks = forks
	tr.gen++
	t := &Table{BootTime: btime, fs: tr.fs, tr: tr, gen: tr.gen, now: now}
	if reuse {
		t.Procs, t.ents = tr.rows[:0], tr.ents[:0]
	} else {
		t.Procs, t.ents = make([]Proc, 0, len(tr.pids)), make([]*entry, 0, len(tr.pids))
	}
	kept := tr.pids[:0] // those still there: the list for the next scan
	for _, pid := range tr.pids {
		e, err := tr.read(pid)
		switch {
		case errors.Is(err, fs.ErrPermission):
			t.Hidden++
			kept = append(kept, pid)
		case err != nil:
			tr.forks = -1
			return nil, fmt.Errorf("scan /proc: %w", err)
		case e != nil:
			t.Procs = append(t.Procs, e.p)
			t.ents = append(t.ents, e)
			kept = append(kept, pid)
		}
	}
	tr.pids = kept
	if reuse {
		tr.rows, tr.ents = t.Procs, t.ents
	}
	return t, nil
}

// listPIDs lists the PIDs of a /proc that is not the machine's (recorded files, tests).
func (tr *tracker) listPIDs() error {
	dir, err := tr.fs.Open(".")
	if err != nil {
		return err
	}
	defer dir.Close()
	names, err := readDirNames(dir)
	if err != nil {
		return err
	}
	for _, name := range names {
		if pid, ok := parsePID(name); ok {
			tr.pids = append(tr.pids, pid)
		}
	}
	return nil
}

// read reads process pid for the current scan: through the file held for it, or else its
// stat by path. It returns nil when the process has gone, and a permission error when it
// is hidden.
func (tr *tracker) read(pid int) (*entry, error) {
	e := tr.procs[pid]
	if e != nil && e.kind != noFile {
		data, buf, err := e.file.ReadRecord(e.kind.String(), tr.buf)
		tr.buf = buf
		if err == nil && len(data) > 0 {
			switch e.kind {
			case statFile:
				p, err := parseStat(data, e.p.Comm)
				if err != nil {
					return nil, fmt.Errorf("/proc/%d/stat: %w", pid, err)
				}
				if p.PID != pid {
					return nil, fmt.Errorf("/proc/%d/stat is about PID %d", pid, p.PID)
				}
				e.setProc(p)
				e.statGen = tr.gen
			case commFile:
				name := bytes.TrimSuffix(data, []byte{'\n'}) // a name may hold '\n' itself
				if string(name) != e.p.Comm {
					p := e.p
					p.Comm = string(name)
					e.setProc(p)
				}
			}
			e.seen = tr.gen
			return e, nil
		}
		if err != nil && !vanished(err) {
			return nil, fmt.Errorf("read /proc/%d/%s: %w", pid, e.kind, errors.Unwrap(err))
		}
		// The process it was about has been reaped; pid may be another's now.
		tr.drop(pid, e)
		e = nil
	}
	var comm string
	if e != nil {
		comm = e.p.Comm
	}
	p, f, found, err := tr.readStat(pid, comm)
	if err != nil || !found {
		if e != nil {
			tr.drop(pid, e)
		}
		return nil, err
	}
	if e != nil && e.p.StartTicks != p.StartTicks {
		tr.drop(pid, e) // another process with the same PID
		e = nil
	}
	if e == nil {
		e = &entry{}
		tr.procs[pid] = e
	}
	e.setProc(p)
	e.statGen, e.seen = tr.gen, tr.gen
	if f.Open() {
		e.file, e.kind = f, statFile
		tr.held++
	}
	return e, nil
}

// readStat reads /proc/<pid>/stat by its path, and keeps it open in f if files are held
// and there is room for one more.
func (tr *tracker) readStat(pid int, comm string) (p Proc, f procfs.File, found bool, err error) {
	dir := strconv.Itoa(pid)
	if tr.proc == "" || tr.held >= tr.max {
		p, found, tr.buf, err = readProc(tr.fs, dir, pid, tr.buf, comm)
		return p, procfs.File{}, found, err
	}
	name := dir + "/stat"
	f, err = tr.proc.Hold(name)
	var data []byte
	if err == nil {
		data, tr.buf, err = f.ReadRecord(name, tr.buf)
	}
	p, found, err = statOf(data, err, dir, pid, comm)
	if err != nil || !found {
		f.Close()
	}
	return p, f, found, err
}

func (k fileKind) String() string {
	switch k {
	case statFile:
		return "stat"
	case commFile:
		return "comm"
	}
	return "none"
}

// finish ends a Sampler's scan t once the selectors have chosen: the processes chosen keep
// their stat file for the next scan, the others keep their comm file instead, and those
// that have gone are forgotten.
func (tr *tracker) finish(t *Table) {
	if tr.proc != "" && !t.partial {
		for _, e := range t.ents {
			if e.kind == statFile && e.chosen != t.gen {
				tr.swap(e, commFile)
			}
		}
	}
	for pid, e := range tr.procs {
		if e.seen != t.gen {
			tr.drop(pid, e)
		}
	}
}

// swap holds the file of kind k of e's process instead of the one it holds. The file
// held is read after the other is opened: if that fails, the process has gone (or has
// another PID's owner) and both are let go; the next scan finds it by its path.
func (tr *tracker) swap(e *entry, k fileKind) {
	name := strconv.Itoa(e.p.PID) + "/" + k.String()
	f, err := tr.proc.Hold(name)
	if err != nil {
		return // gone, or unreadable (the other file stays held)
	}
	_, buf, err := e.file.ReadRecord(e.kind.String(), tr.buf)
	tr.buf = buf
	if err != nil {
		f.Close()
		tr.release(e)
		return
	}
	e.file.Close()
	e.file, e.kind = f, k
}

// complete reads the stat of p, e's process, unless this scan has: a selector chooses it.
// ok is false when the process has gone since it was listed, or is another.
func (t *Table) complete(p *Proc, e *entry) (ok bool, err error) {
	if e.statGen == t.gen {
		return true, nil
	}
	tr := t.tr
	dir := strconv.Itoa(p.PID)
	var q Proc
	var found bool
	var f procfs.File
	if e.kind == commFile {
		f, err = tr.proc.Hold(dir + "/stat")
		var data []byte
		if err == nil {
			data, tr.buf, err = f.ReadRecord("stat", tr.buf)
		}
		q, found, err = statOf(data, err, dir, p.PID, p.Comm)
	} else {
		q, found, tr.buf, err = readProc(tr.fs, dir, p.PID, tr.buf, p.Comm)
	}
	if errors.Is(err, fs.ErrPermission) {
		err = nil // hidden now, as a scan would leave it out
	}
	if err != nil || !found || q.StartTicks != p.StartTicks {
		f.Close()
		return false, err
	}
	if f.Open() {
		e.file.Close()
		e.file = f // the stat file instead of the comm file: chosen
		e.kind = statFile
	}
	e.setProc(q)
	e.statGen = t.gen
	*p = q
	return true, nil
}

// cmdline returns the command line of p, e's process, as `ps -o args` would (NUL
// separators as spaces), and false if it is gone or unreadable. Kernel threads and
// zombies have an empty command line. It is read at most once per scan, and a Sampler's
// scans reuse what earlier ones read of the same process.
func (t *Table) cmdline(p *Proc, e *entry) (*cmdline, bool) {
	if p.State == 'Z' {
		// A zombie's is empty, whatever it was while it ran. A zombie stays one until it
		// is reaped, so a state read at an earlier scan says so too.
		return nil, false
	}
	if c := e.cmd; c != nil {
		if c.gen == t.gen {
			return c, c.ok
		}
		maxAge := cmdlineMaxAge + time.Duration(p.PID%60)*time.Second
		if age := t.now.Sub(c.read); c.comm == p.Comm && age >= 0 && age < maxAge {
			c.gen = t.gen
			return c, c.ok
		}
		// The clock went back, the process exec'd another program, or it is due to be
		// read again.
	}
	c := &cmdline{read: t.now, gen: t.gen, comm: p.Comm}
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
	e.cmd = c
	return c, c.ok
}

// cmdlineMatches reports whether re, numbered id, matches the command line of p, e's
// process. Kernel threads and zombies have an empty command line, which no selector
// matches (`cmdline = ".*"` must not count them).
func (t *Table) cmdlineMatches(p *Proc, e *entry, re *regexp.Regexp, id int) bool {
	c, ok := t.cmdline(p, e)
	if !ok || c.text == "" {
		return false
	}
	if ok, known := c.matches.get(id, t.tr.epoch); known {
		return ok
	}
	ok = re.MatchString(c.text)
	c.matches.set(id, t.tr.epoch, ok)
	return ok
}

// nameMatches reports whether re, numbered id, matches the name of p, e's process. What
// e.names keeps is about p.Comm: it is forgotten when the name changes (setComm).
func (tr *tracker) nameMatches(p *Proc, e *entry, re *regexp.Regexp, id int) bool {
	if ok, known := e.names.get(id, tr.epoch); known {
		return ok
	}
	ok := re.MatchString(p.Comm)
	e.names.set(id, tr.epoch, ok)
	return ok
}

// setProc sets what is known of e's process, forgetting what the selectors made of its
// name if that has changed.
func (e *entry) setProc(p Proc) {
	if p.Comm != e.p.Comm {
		e.names = hits{}
	}
	e.p = p
}

// scan scans /proc for a sample at now: every process, or none when every selector names
// a PID file (Match then reads those processes only).
func (s *Sampler) scan(now time.Time, sels map[string]Selector) (*Table, error) {
	if s.tr == nil {
		s.tr = newTracker(procfs.MaxHeld())
	}
	byPIDFile := true
	for _, sel := range sels {
		byPIDFile = byPIDFile && sel.PIDFile != ""
	}
	s.tr.use(s.FS)
	s.tr.prepare(sels)
	if byPIDFile {
		btime, err := readBootTime(s.FS)
		if err != nil {
			return nil, err
		}
		s.tr.forks = -1 // no listing
		s.tr.gen++
		return &Table{BootTime: btime, fs: s.FS, tr: s.tr, gen: s.tr.gen, now: now, partial: true}, nil
	}
	return s.tr.scan(now, true)
}

// readPID reads process pid's stat by its path, for a table of PID files' processes
// (partial): nil when it is gone or hidden.
func (tr *tracker) readPID(pid int) (*entry, error) {
	e := tr.procs[pid]
	var comm string
	if e != nil {
		comm = e.p.Comm
		tr.release(e) // read by path here
	}
	p, found, buf, err := readProc(tr.fs, strconv.Itoa(pid), pid, tr.buf, comm)
	tr.buf = buf
	if errors.Is(err, fs.ErrPermission) {
		err = nil // hidden, as a full scan would leave it out
	}
	if err != nil || !found {
		if e != nil {
			tr.drop(pid, e)
		}
		return nil, err
	}
	if e == nil || e.p.StartTicks != p.StartTicks {
		e = &entry{}
		tr.procs[pid] = e
	}
	e.setProc(p)
	e.statGen, e.seen = tr.gen, tr.gen
	return e, nil
}
