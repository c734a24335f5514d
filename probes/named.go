package probes

import (
	"context"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/notimon/notimon/probes/disk"
	"github.com/notimon/notimon/probes/net"
	"github.com/notimon/notimon/probes/process"
	"github.com/notimon/notimon/spec"
)

// Declared is a `probe "<kind>" ["<name>"]` block: the probe and its decoded attributes.
type Declared struct {
	Ref   Ref
	Attrs map[string]any
}

// CheckAttrs checks a probe block's attributes the way sampling will use them (an address
// needs a port, a file path must be absolute, a pidfile too …), so that `validate` reports
// what would otherwise only fail at run time.
func CheckAttrs(kind string, attrs map[string]any) error {
	k, ok := LookupKind(kind)
	if !ok {
		return fmt.Errorf("unknown probe kind %q", kind)
	}
	_, err := newNamed(k, attrs, nil)
	return err
}

// named is a configured named probe, ready to sample.
type named struct {
	sample func(ctx context.Context, now time.Time) any // http, tcp, command, file
	sel    *process.Selector                            // process
}

// newNamed decodes a probe block's attributes with its kind's descriptor; proc is what
// the probe reads /proc from.
func newNamed(k Kind, all map[string]any, proc fs.FS) (named, error) {
	if k.Decode == nil {
		return named{}, nil
	}
	// interval is the sampler's business (how often), not the probe's (what).
	attrs := make(map[string]any, len(all))
	for name, v := range all {
		if name != spec.Interval.Name {
			attrs[name] = v
		}
	}
	cfg, err := k.Decode(attrs)
	if err != nil {
		return named{}, err
	}
	if sel, ok := cfg.(process.Selector); ok { // one scan of /proc serves every process probe
		return named{sel: &sel}, nil
	}
	if k.Sample == nil {
		return named{}, fmt.Errorf("probe kind %q has no Sample and is not one System samples itself", k.Name)
	}
	return named{sample: func(ctx context.Context, now time.Time) any {
		v, _ := k.Sample(ctx, cfg, proc, now) // a named kind reports failures in its values
		return v
	}}, nil
}

// sampleSlow samples disk, net, the process table and the named probes asked for, each in
// a goroutine of its own under its own timeout, so that one slow target (an HTTP check at
// its timeout, a hung NFS mount) delays the tick by its own timeout only. mu guards what
// they write to snap. A peek leaves the rates' baselines where they are.
func (s *System) sampleSlow(ctx context.Context, now time.Time, snap *Snapshot, want map[string]bool, named map[Ref]bool, peek bool, mu *sync.Mutex) {
	var wg sync.WaitGroup
	set := func(kind, name string, v any) {
		mu.Lock()
		defer mu.Unlock()
		if snap.Named == nil {
			snap.Named = map[string]map[string]any{}
		}
		if snap.Named[kind] == nil {
			snap.Named[kind] = map[string]any{}
		}
		snap.Named[kind][name] = v
	}
	fail := func(ref Ref, err error) {
		mu.Lock()
		defer mu.Unlock()
		snap.SetErr(ref, fmt.Errorf("%s: %w", ref, err))
	}
	// put records a probe's fresh value (or error) in the snapshot and in the cache that
	// probes with their own interval are served from between samples.
	put := func(ref Ref, v any, err error) {
		s.remember(ref, now, v, err)
		switch {
		case err != nil:
			fail(ref, err)
		case ref.Kind == "disk":
			mu.Lock()
			snap.Disk = v.(map[string]disk.Values)
			mu.Unlock()
		case ref.Kind == "net":
			mu.Lock()
			snap.Net = v.(net.Values)
			mu.Unlock()
		default:
			set(ref.Kind, ref.Name, v)
		}
	}
	// fromCache serves ref from its last sample when its interval has not elapsed.
	fromCache := func(ref Ref) bool {
		c, ok := s.cached(ref, now)
		if !ok {
			return false
		}
		switch {
		case c.err != nil:
			fail(ref, c.err)
		case ref.Kind == "disk":
			snap.Disk = c.v.(map[string]disk.Values)
		case ref.Kind == "net":
			snap.Net = c.v.(net.Values)
		default:
			set(ref.Kind, ref.Name, c.v)
		}
		return true
	}
	if want["disk"] && !fromCache(Ref{Kind: "disk"}) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mounts, err := s.disk.Sample(ctx)
			put(Ref{Kind: "disk"}, mounts, err)
		}()
	}
	if want["net"] && !fromCache(Ref{Kind: "net"}) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var v net.Values
			var err error
			if peek {
				v, err = s.net.Peek(now, time.Duration(s.peekMin.Load()))
			} else {
				v, err = s.net.Sample(now)
			}
			put(Ref{Kind: "net"}, v, err)
		}()
	}
	sels := map[string]process.Selector{}
	for ref := range named {
		p, ok := s.named[ref]
		switch {
		case s.namedErr[ref] != nil:
			fail(ref, s.namedErr[ref])
		case !ok:
			fail(ref, fmt.Errorf("no probe %q %q is declared", ref.Kind, ref.Name))
		case fromCache(ref):
		case p.sel != nil:
			sels[ref.Name] = *p.sel
		default:
			wg.Add(1)
			go func() {
				defer wg.Done()
				put(ref, p.sample(ctx, now), nil)
			}()
		}
	}
	if len(sels) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var vals map[string]process.Values
			var errs map[string]error
			if peek {
				vals, errs = s.proc.Peek(now, sels, time.Duration(s.peekMin.Load()))
			} else {
				vals, errs = s.proc.Sample(now, sels)
			}
			for name, v := range vals {
				put(Ref{Kind: "process", Name: name}, v, nil)
			}
			for name, err := range errs {
				put(Ref{Kind: "process", Name: name}, nil, err)
			}
		}()
	}
	wg.Wait()
}

// cachedValue is a probe's last sample, kept for probes with an interval of their own.
type cachedValue struct {
	at  time.Time
	v   any
	err error
}

// cached returns ref's last sample if ref has an interval and it has not elapsed at now.
func (s *System) cached(ref Ref, now time.Time) (cachedValue, bool) {
	every, ok := s.intervals[ref]
	if !ok {
		return cachedValue{}, false
	}
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	c, ok := s.cache[ref]
	if !ok || now.Sub(c.at) >= every || now.Before(c.at) {
		return cachedValue{}, false
	}
	return c, true
}

func (s *System) remember(ref Ref, now time.Time, v any, err error) {
	if _, ok := s.intervals[ref]; !ok {
		return
	}
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	s.cache[ref] = cachedValue{at: now, v: v, err: err}
}
