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
	// Prev is the last reading that closed an interval, where the open one starts; nil
	// before the first reading.
	Prev *Reading `json:"prev,omitempty"`
	// Before is the reading before Prev, where the last closed interval starts: a sample
	// too soon after Prev measures from it.
	Before *Reading `json:"before,omitempty"`
}

// Probe reports interface throughput from /proc/net/dev and TCP socket counts from
// /proc/net/tcp and tcp6. Throughput is a rate, so it keeps the previous counters: the
// first sample of a fresh probe reports 0 bytes per second rather than blocking to measure.
//
// A rate is measured over at least the minimum interval (SetMinInterval): a sample that
// comes sooner after the previous one measures from the reading before it (the last
// interval plus the short stretch since) and leaves the previous reading in place, so the
// next sample still covers its whole interval. A few milliseconds of counters give wild rates: one burst of
// packets in 2 ms reads as megabytes per second.
//
// A Probe is safe for concurrent use.
type Probe struct {
	// FS is rooted at /proc. The tables are those of the network namespace notimon runs in.
	FS fs.FS
	// tcp counts sockets: over netlink when FS is the machine's /proc (tcp.go).
	tcp tcpCounter

	mu     sync.Mutex
	min    time.Duration // SetMinInterval
	prev   *Reading
	before *Reading
}

// New returns a probe reading fsys, a file system rooted at /proc.
func New(fsys fs.FS) *Probe { return &Probe{FS: fsys} }

// SetMinInterval sets the shortest interval a rate is measured over; 0 (the default) takes
// any. The system sampler sets it to half the tick interval. It is safe while samples run.
func (p *Probe) SetMinInterval(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.min = d
}

// State returns a copy of what the probe remembers.
func (p *Probe) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return State{Prev: p.prev.clone(), Before: p.before.clone()}
}

// Restore replaces what the probe remembers with st, typically saved by the previous run.
func (p *Probe) Restore(st State) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prev, p.before = st.Prev.clone(), st.Before.clone()
}

// clone copies r; nil stays nil.
func (r *Reading) clone() *Reading {
	if r == nil {
		return nil
	}
	c := &Reading{Time: r.Time, Interfaces: make(map[string]Counters, len(r.Interfaces))}
	for k, v := range r.Interfaces {
		c.Interfaces[k] = v
	}
	return c
}

// Sample reads the counters and socket tables at time now. On error the values are zero
// and the previous reading is kept, so the next sample's rates span both intervals.
func (p *Probe) Sample(now time.Time) (Values, error) {
	return p.sample(now, 0, true)
}

// Peek is Sample for an extra read between ticks (a renotify step): rates since the
// previous sample, measured over at least `least`, and the previous reading stays where it is,
// so the next tick's interval is not shortened. A probe with no previous reading reports 0.
func (p *Probe) Peek(now time.Time, least time.Duration) (Values, error) {
	return p.sample(now, least, false)
}

func (p *Probe) sample(now time.Time, peekMin time.Duration, tick bool) (Values, error) {
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
	least := peekMin
	if tick {
		least = p.min
	}
	if p.prev != nil && now.Before(p.prev.Time) {
		// The clock was set back: the open interval counts as just begun, and the closed one
		// cannot be measured against now.
		p.prev.Time, p.before = now, nil
	}
	from, closes := p.prev, true
	if p.prev != nil && now.Sub(p.prev.Time) < least {
		from, closes = p.before, false
	}
	v := Values{Interfaces: Rates(from, cur), TCP: socks.Total, Ports: socks.Ports}
	if tick && closes {
		p.before, p.prev = p.prev, cur
	}
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
