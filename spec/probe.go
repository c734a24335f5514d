package spec

import (
	"context"
	"io/fs"
	"reflect"
	"time"
)

// Probe describes one probe kind: its name, its block, the values it yields and how it is
// sampled. The probes registry (probes/registry.go) lists one per kind; nothing else names
// a kind.
type Probe struct {
	// Name is what rules and blocks call the kind: cpu.avg3, probe "http" "site".
	Name string
	// Named kinds exist only through `probe "<kind>" "<name>"` blocks and are read as
	// <kind>.<name>.<field>. The others are built in: always there, read as <kind>.<field>,
	// and a `probe "<kind>"` block only tunes them.
	Named bool
	// Block is the attributes its block takes.
	Block
	// Values is the type of one probe's values as rules read them: a struct whose fields
	// carry expr tags, or a map of such structs (disk's mounts).
	Values reflect.Type
	// Decode turns a block's attributes, as the dsl typed them (interval, the sampler's
	// business, left out), into the kind's typed Config and refuses what sampling would
	// refuse (an address without a port, a relative path), so that validate reports it. nil:
	// the dsl's checks of the Block are all there is.
	Decode func(attrs map[string]any) (any, error)
	// Sample samples one probe with the Config Decode returned (nil when the kind has no
	// Decode), reading /proc files from proc, at the tick's time now. Named kinds report a
	// failure in their values (up, error) and return no error; a built-in kind that cannot
	// be read returns one. nil: probes.System samples the kind itself (host, cpu, mem, swap,
	// load, disk and net share /proc reads and keep counters between runs; process scans
	// /proc once for every process probe).
	Sample func(ctx context.Context, cfg any, proc fs.FS, now time.Time) (any, error)
}

// Named describes a named kind whose probes sample one at a time (http, tcp, command,
// file): decode builds its Config from a block's attributes, sample measures with it and
// reports every failure in the Values it returns.
func Named[C, V any](name string, b Block, decode func(attrs map[string]any) (C, error), sample func(ctx context.Context, c C, now time.Time) V) Probe {
	return Probe{
		Name:   name,
		Named:  true,
		Block:  b,
		Values: reflect.TypeFor[V](),
		Decode: func(attrs map[string]any) (any, error) { return decode(attrs) },
		Sample: func(ctx context.Context, cfg any, _ fs.FS, now time.Time) (any, error) {
			return sample(ctx, cfg.(C), now), nil
		},
	}
}

// Builtin describes a built-in kind that reads its values from /proc and keeps nothing
// between samples (fd): read gets the file system rooted at /proc, or a recorded one.
func Builtin[V any](name string, read func(proc fs.FS) (V, error)) Probe {
	return Probe{
		Name:   name,
		Values: reflect.TypeFor[V](),
		Sample: func(_ context.Context, _ any, proc fs.FS, _ time.Time) (any, error) {
			return read(proc)
		},
	}
}
