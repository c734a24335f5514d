package net

import (
	"io/fs"
	"sync"
	"time"
)

// Reading is the interface counters and when they were read, which is what a rate needs.
type Reading struct {
	Time       time.Time           `json:"time"`
	Interfaces map[string]Counters `json:"interfaces"`
}

// State is what a probe must remember between runs; JSON so a cron run can hand it to the
// next one.
type State struct {
	// Prev is the last reading; nil before the first one.
	Prev *Reading `json:"prev,omitempty"`
}

// Probe reports interface throughput from /proc/net/dev and TCP socket counts from
// /proc/net/tcp and tcp6. Throughput is a rate, so it keeps the previous counters: the
// first sample of a fresh probe reports 0 bytes per second rather than blocking to measure.
//
// A Probe is safe for concurrent use.
type Probe struct {
	// FS is rooted at /proc. The tables are those of the network namespace notimon runs in.
	FS fs.FS
	// tcp counts sockets: over netlink when FS is the machine's /proc (tcp.go).
	tcp tcpCounter

	mu   sync.Mutex
	prev *Reading
}

// New returns a probe reading fsys, a file system rooted at /proc.
func New(fsys fs.FS) *Probe { return &Probe{FS: fsys} }

// State returns a copy of what the probe remembers.
func (p *Probe) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.prev == nil {
		return State{}
	}
	return State{Prev: p.prev.clone()}
}

// Restore replaces what the probe remembers with st, typically saved by the previous run.
func (p *Probe) Restore(st State) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prev = nil
	if st.Prev != nil {
		p.prev = st.Prev.clone()
	}
}

func (r *Reading) clone() *Reading {
	c := &Reading{Time: r.Time, Interfaces: make(map[string]Counters, len(r.Interfaces))}
	for k, v := range r.Interfaces {
		c.Interfaces[k] = v
	}
	return c
}

// Sample reads the counters and socket tables at time now. On error the values are zero
// and the previous reading is kept, so the next sample's rates span both intervals.
func (p *Probe) Sample(now time.Time) (Values, error) {
	dev, err := ReadDev(p.FS)
	if err != nil {
		return Values{}, err
	}
	socks, err := p.readTCP()
	if err != nil {
		return Values{}, err
	}
	delete(dev, Loopback)
	cur := &Reading{Time: now, Interfaces: dev}

	p.mu.Lock()
	defer p.mu.Unlock()
	v := Values{Interfaces: Rates(p.prev, cur), TCP: socks.Total, Ports: socks.Ports}
	p.prev = cur
	return v, nil
}

// Rates returns bytes per second per interface of cur since prev (nil: none). An interface
// not in prev (new, or the first sample), a counter lower than before (the interface was
// recreated, or a 32-bit counter wrapped) and a clock that did not move give 0 for that
// interval, never a negative or infinite rate.
func Rates(prev, cur *Reading) map[string]Interface {
	out := make(map[string]Interface, len(cur.Interfaces))
	var secs float64
	if prev != nil {
		secs = cur.Time.Sub(prev.Time).Seconds()
	}
	rate := func(a, b uint64) float64 {
		if b < a || secs <= 0 {
			return 0
		}
		return float64(b-a) / secs
	}
	for name, c := range cur.Interfaces {
		var v Interface
		if prev != nil {
			if old, ok := prev.Interfaces[name]; ok {
				v = Interface{RxBytesPerS: rate(old.Rx, c.Rx), TxBytesPerS: rate(old.Tx, c.Tx)}
			}
		}
		out[name] = v
	}
	return out
}
