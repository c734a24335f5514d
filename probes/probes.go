package probes

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/notimon/notimon/probes/cpu"
	"github.com/notimon/notimon/probes/disk"
	"github.com/notimon/notimon/probes/host"
	"github.com/notimon/notimon/probes/load"
	"github.com/notimon/notimon/probes/mem"
	"github.com/notimon/notimon/probes/net"
	"github.com/notimon/notimon/probes/swap"
)

// Ref names one probe instance: {Kind: "cpu"} or {Kind: "process", Name: "httpd"}.
type Ref struct {
	Kind string
	Name string
}

func (r Ref) String() string {
	if r.Name == "" {
		return r.Kind
	}
	return r.Kind + "." + r.Name
}

// SortRefs orders refs by kind registry order, then name, so output is stable. It does
// not allocate: loading a large configuration sorts refs once per expression and message.
// Those read a handful of probes: up to shortRefs refs, each kind's place in the registry
// is found once, not at each comparison (those lookups were most of the sorting), and the
// refs are sorted by insertion.
func SortRefs(refs []Ref) {
	if len(refs) <= shortRefs {
		var keys [shortRefs]int
		for i, r := range refs {
			keys[i] = kindIndex(r.Kind)
		}
		for i := 1; i < len(refs); i++ {
			for j := i; j > 0 && (keys[j] < keys[j-1] || keys[j] == keys[j-1] && refs[j].Name < refs[j-1].Name); j-- {
				keys[j], keys[j-1] = keys[j-1], keys[j]
				refs[j], refs[j-1] = refs[j-1], refs[j]
			}
		}
		return
	}
	slices.SortFunc(refs, func(a, b Ref) int {
		if a.Kind != b.Kind {
			return kindIndex(a.Kind) - kindIndex(b.Kind)
		}
		return strings.Compare(a.Name, b.Name)
	})
}

// shortRefs is the length up to which SortRefs sorts by insertion.
const shortRefs = 8

// kindIndex is the position of the kind called name in the registry; unknown kinds last.
func kindIndex(name string) int {
	if i, ok := kindIndexes[name]; ok {
		return i
	}
	return len(Kinds)
}

// kindIndexes is the position of each kind in the registry by name: SortRefs compares
// kinds by it, a few times for each of the tens of thousands of expressions and messages
// a large configuration loads, and a scan of the registry each time was most of that.
var kindIndexes = func() map[string]int {
	m := make(map[string]int, len(Kinds))
	for i, k := range Kinds {
		if _, dup := m[k.Name]; !dup {
			m[k.Name] = i
		}
	}
	return m
}()

// Snapshot is the values of one tick. Only the probes that were asked for are filled in;
// a probe that failed is listed in Errors and its values are zero. Get and Put reach any
// probe's values by its Ref; the fields below are for Go code that reads a built-in kind
// directly (the registry line of each says which field it has).
type Snapshot struct {
	Time time.Time
	Host host.Values
	CPU  cpu.Values
	Mem  mem.Values
	Swap swap.Values
	Load load.Values
	Disk map[string]disk.Values
	Net  net.Values
	// Builtin holds the values of the other built-in kinds, by kind ("fd" → fd.Values).
	Builtin map[string]any
	// Named holds the values of named probes by kind, then name (e.g. "process" → "httpd").
	Named  map[string]map[string]any
	Errors map[Ref]error
	// Windows are the time-window values of the tick ("avg|cpu.pct|5m" → 41.5), computed
	// by the engine from its history; rules read them through avg_over() and friends.
	Windows map[string]float64
}

// WindowsField is the environment field that holds Snapshot.Windows.
const WindowsField = "notimon_windows"

// Get returns the values of the probe ref in s, of its kind's Values type; nil when s holds
// none (a named probe or a built-in kind without a field of its own that was not sampled,
// an unknown kind).
func (s *Snapshot) Get(ref Ref) any {
	if k, ok := LookupKind(ref.Kind); ok {
		return k.get(s, ref.Name)
	}
	return nil
}

// Put stores v, of the Values type of ref's kind, as the values of the probe ref; nil
// leaves none (zero values). A ref of an unknown kind is ignored.
func (s *Snapshot) Put(ref Ref, v any) {
	if k, ok := LookupKind(ref.Kind); ok {
		k.put(s, ref.Name, v)
	}
}

// Err returns the error of the probe ref this tick, if it failed.
func (s *Snapshot) Err(ref Ref) error { return s.Errors[ref] }

// SetErr records that ref failed this tick.
func (s *Snapshot) SetErr(ref Ref, err error) {
	if s.Errors == nil {
		s.Errors = map[Ref]error{}
	}
	s.Errors[ref] = err
}

// Sampler samples the probes named in refs at time now. It never fails as a whole: a probe
// that cannot be read is recorded in the snapshot's Errors.
type Sampler interface {
	Sample(ctx context.Context, now time.Time, refs []Ref) *Snapshot
}

// SamplerFunc lets a plain function serve as a Sampler (recorded values, tests).
type SamplerFunc func(ctx context.Context, now time.Time, refs []Ref) *Snapshot

func (f SamplerFunc) Sample(ctx context.Context, now time.Time, refs []Ref) *Snapshot {
	return f(ctx, now, refs)
}
