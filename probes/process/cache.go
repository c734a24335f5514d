package process

import (
	"time"

	"github.com/notimon/notimon/probes/internal/procfs"
)

// cmdlines keeps the command lines a Sampler's scans read, by process (PID and start time:
// a reused PID is another process). Reading one is the dearest part of a scan, since the
// kernel copies it out of the other process's memory: at 500 matching processes, reading
// them every tick cost ten times what the scan itself does.
//
// A process may rewrite its command line while it runs (setproctitle: "php-fpm: pool www",
// "postgres: checkpointer", and postgres's "idle in transaction"), mostly right after it
// starts; so an entry is read again once it is cmdlineMaxAge old, give or take a minute
// spread by PID so that the rereads of processes started together do not fall on one tick.
// A process that execs another program keeps its PID and start time but gets a new name
// (a wrapper script's `exec java …`): an entry read under another name is read again.
type cmdlines struct {
	prev, cur map[procKey]cmdline
}

// cmdlineMaxAge is how long a command line read is trusted, at least.
const cmdlineMaxAge = time.Minute

type procKey struct {
	pid   int
	start uint64 // StartTicks
}

type cmdline struct {
	text string
	ok   bool      // false: the process is gone or its command line is unreadable
	read time.Time // the sample's time it was read at; zero outside a Sampler
	comm string    // the process's name when it was read
}

func newCmdlines() *cmdlines {
	return &cmdlines{cur: map[procKey]cmdline{}}
}

// next starts a new scan: what the last one read stays available to it, and what no scan
// asked for since goes.
func (c *cmdlines) next() {
	if c.prev == nil {
		c.prev = map[procKey]cmdline{}
	}
	c.prev, c.cur = c.cur, c.prev
	clear(c.cur)
}

// get returns the command line of k, a process now called comm, if this scan or the last
// one read it under that name, and the latter is recent enough at now.
func (c *cmdlines) get(k procKey, comm string, now time.Time) (cmdline, bool) {
	if e, ok := c.cur[k]; ok {
		return e, true
	}
	e, ok := c.prev[k]
	if !ok || e.comm != comm {
		return cmdline{}, false
	}
	maxAge := cmdlineMaxAge + time.Duration(k.pid%60)*time.Second
	if age := now.Sub(e.read); age < 0 || age >= maxAge {
		return cmdline{}, false // the clock went back, or it is due to be read again
	}
	c.cur[k] = e
	return e, true
}

func (c *cmdlines) put(k procKey, e cmdline) { c.cur[k] = e }

// scan scans /proc for a sample at now: every process, or none when every selector names
// a PID file (Match then reads those processes only). The table reuses the command lines
// the sampler's previous scan read.
func (s *Sampler) scan(now time.Time, sels map[string]Selector) (*Table, error) {
	if s.cmds == nil {
		s.cmds = newCmdlines()
	}
	s.cmds.next()
	byPIDFile := true
	for _, sel := range sels {
		byPIDFile = byPIDFile && sel.PIDFile != ""
	}
	var t *Table
	var err error
	if byPIDFile {
		t, err = scanNone(s.FS)
	} else {
		fsys := s.FS
		if d, ok := fsys.(procfs.FS); ok {
			// The machine's /proc: keep the stat files open from one scan to the next.
			if s.held == nil || s.held.FS != d {
				s.held = procfs.NewHeld(d, procfs.MaxHeld())
			}
			fsys = s.held
			defer s.held.Sweep()
		}
		t, err = Scan(fsys)
	}
	if err != nil {
		return nil, err
	}
	t.cmds, t.now = s.cmds, now
	return t, nil
}
