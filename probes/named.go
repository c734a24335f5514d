package probes

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/notimon/notimon/probes/command"
	"github.com/notimon/notimon/probes/file"
	"github.com/notimon/notimon/probes/http"
	"github.com/notimon/notimon/probes/process"
	"github.com/notimon/notimon/probes/tcp"
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
	_, err := newNamed(kind, attrs)
	return err
}

// named is a configured named probe, ready to sample.
type named struct {
	sample func(ctx context.Context, now time.Time) any // http, tcp, command, file
	sel    *process.Selector                            // process
}

func newNamed(kind string, attrs map[string]any) (named, error) {
	str := func(k string) string { s, _ := attrs[k].(string); return s }
	switch kind {
	case "http":
		c, err := http.FromAttrs(attrs)
		return named{sample: func(ctx context.Context, now time.Time) any { return http.Sample(ctx, c, now) }}, err
	case "tcp":
		c, err := tcp.FromAttrs(attrs)
		return named{sample: func(ctx context.Context, now time.Time) any { return tcp.Sample(ctx, c, now) }}, err
	case "command":
		c, err := command.FromAttrs(attrs)
		return named{sample: func(ctx context.Context, now time.Time) any { return command.Sample(ctx, c, now) }}, err
	case "file":
		c, err := file.FromAttrs(attrs)
		return named{sample: func(ctx context.Context, now time.Time) any { return file.Sample(ctx, c, now) }}, err
	case "process":
		sel, err := process.NewSelector(str("match"), str("cmdline"), str("pidfile"))
		return named{sel: &sel}, err
	}
	return named{}, nil
}

// sampleSlow samples disk, net, the process table and the named probes asked for, each in
// a goroutine of its own under its own timeout, so that one slow target (an HTTP check at
// its timeout, a hung NFS mount) delays the tick by its own timeout only.
func (s *System) sampleSlow(ctx context.Context, now time.Time, snap *Snapshot, want map[string]bool, named map[Ref]bool) {
	var wg sync.WaitGroup
	var mu sync.Mutex
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
	if want["disk"] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mounts, err := s.disk.Sample(ctx)
			if err != nil {
				fail(Ref{Kind: "disk"}, err)
				return
			}
			mu.Lock()
			snap.Disk = mounts
			mu.Unlock()
		}()
	}
	if want["net"] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := s.net.Sample(now)
			if err != nil {
				fail(Ref{Kind: "net"}, err)
				return
			}
			mu.Lock()
			snap.Net = v
			mu.Unlock()
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
		case p.sel != nil:
			sels[ref.Name] = *p.sel
		default:
			wg.Add(1)
			go func() {
				defer wg.Done()
				set(ref.Kind, ref.Name, p.sample(ctx, now))
			}()
		}
	}
	if len(sels) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vals, errs := s.proc.Sample(now, sels)
			for name, v := range vals {
				set("process", name, v)
			}
			for name, err := range errs {
				fail(Ref{Kind: "process", Name: name}, err)
			}
		}()
	}
	wg.Wait()
}
