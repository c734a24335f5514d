package probes

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/notimon/notimon/probes/command"
	"github.com/notimon/notimon/probes/cpu"
	"github.com/notimon/notimon/probes/disk"
	"github.com/notimon/notimon/probes/file"
	"github.com/notimon/notimon/probes/host"
	"github.com/notimon/notimon/probes/http"
	"github.com/notimon/notimon/probes/load"
	"github.com/notimon/notimon/probes/mem"
	"github.com/notimon/notimon/probes/net"
	"github.com/notimon/notimon/probes/process"
	"github.com/notimon/notimon/probes/swap"
	"github.com/notimon/notimon/probes/tcp"
)

// Kind describes one probe kind: the name rules use, whether it needs a block, and the type
// of the values it yields. This list is the registry of every probe kind notimon knows.
type Kind struct {
	Name string
	// Named kinds exist only through `probe "<kind>" "<name>"` blocks and are read as
	// `<kind>.<name>.<field>`; the others are built in and read as `<kind>.<field>`.
	Named  bool
	values reflect.Type
}

// Kinds lists every probe kind, built-in ones first.
var Kinds = []Kind{
	{Name: "host", values: reflect.TypeFor[host.Values]()},
	{Name: "cpu", values: reflect.TypeFor[cpu.Values]()},
	{Name: "mem", values: reflect.TypeFor[mem.Values]()},
	{Name: "swap", values: reflect.TypeFor[swap.Values]()},
	{Name: "load", values: reflect.TypeFor[load.Values]()},
	{Name: "disk", values: reflect.TypeFor[map[string]disk.Values]()},
	{Name: "net", values: reflect.TypeFor[net.Values]()},
	{Name: "process", Named: true, values: reflect.TypeFor[process.Values]()},
	{Name: "http", Named: true, values: reflect.TypeFor[http.Values]()},
	{Name: "tcp", Named: true, values: reflect.TypeFor[tcp.Values]()},
	{Name: "command", Named: true, values: reflect.TypeFor[command.Values]()},
	{Name: "file", Named: true, values: reflect.TypeFor[file.Values]()},
}

// LookupKind returns the kind called name.
func LookupKind(name string) (Kind, bool) {
	for _, k := range Kinds {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

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
// not allocate: loading a large configuration sorts refs once per expression.
func SortRefs(refs []Ref) {
	slices.SortFunc(refs, func(a, b Ref) int {
		if a.Kind != b.Kind {
			return kindIndex(a.Kind) - kindIndex(b.Kind)
		}
		return strings.Compare(a.Name, b.Name)
	})
}

// kindIndex is the position of the kind called name in the registry; unknown kinds last.
func kindIndex(name string) int {
	for i, k := range Kinds {
		if k.Name == name {
			return i
		}
	}
	return len(Kinds)
}

// Snapshot is the values of one tick. Only the probes that were asked for are filled in;
// a probe that failed is listed in Errors and its values are zero.
type Snapshot struct {
	Time time.Time
	Host host.Values
	CPU  cpu.Values
	Mem  mem.Values
	Swap swap.Values
	Load load.Values
	Disk map[string]disk.Values
	Net  net.Values
	// Named holds the values of named probes by kind, then name (e.g. "process" → "httpd").
	Named  map[string]map[string]any
	Errors map[Ref]error
	// Windows are the time-window values of the tick ("avg|cpu.pct|5m" → 41.5), computed
	// by the engine from its history; rules read them through avg_over() and friends.
	Windows map[string]float64
}

// WindowsField is the environment field that holds Snapshot.Windows.
const WindowsField = "notimon_windows"

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
