package probes

import (
	"context"
	"io/fs"
	"os"
	"reflect"
	"sync"
	"testing"
	"testing/fstest"
	"time"
)

// TestRegistry checks what the rest of notimon assumes of every registered kind.
func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	named := false
	for _, k := range Kinds {
		if k.Name == "" || seen[k.Name] {
			t.Errorf("kind %q: empty or registered twice", k.Name)
		}
		seen[k.Name] = true
		if named && !k.Named {
			t.Errorf("built-in kind %q comes after a named one; built-in kinds come first", k.Name)
		}
		named = named || k.Named
		if k.Values == nil {
			t.Errorf("kind %q has no Values type", k.Name)
			continue
		}
		if v := k.Values; v.Kind() != reflect.Struct && !(v.Kind() == reflect.Map && v.Key().Kind() == reflect.String && v.Elem().Kind() == reflect.Struct) {
			t.Errorf("kind %q: Values is %s, want a struct or a map by name of structs", k.Name, v)
		}
		if k.Named && k.Decode == nil {
			t.Errorf("named kind %q has no Decode: its blocks could not be used", k.Name)
		}
		if k.at != nil && k.at(&Snapshot{}).Type() != k.Values {
			t.Errorf("kind %q: its Snapshot field is a %s, its Values a %s", k.Name, k.at(&Snapshot{}).Type(), k.Values)
		}
		// Whatever the kind keeps its values in, Put and Get reach them by Ref.
		ref := Ref{Kind: k.Name}
		if k.Named {
			ref.Name = "x"
		}
		var snap Snapshot
		v := reflect.New(k.Values).Elem()
		if v.Kind() == reflect.Map {
			v = reflect.MakeMap(k.Values)
		}
		snap.Put(ref, v.Interface())
		if got := snap.Get(ref); got == nil || reflect.TypeOf(got) != k.Values {
			t.Errorf("kind %q: Put a %s, Get returned %T", k.Name, k.Values, got)
		}
		snap.Put(ref, nil)
		if got := snap.Get(ref); got != nil && !reflect.ValueOf(got).IsZero() {
			t.Errorf("kind %q: Put nil left %v", k.Name, got)
		}
	}
}

// overlay serves the files of top, and the others from under. The system sampler reads
// /proc from several goroutines at once, so top is changed only through set.
type overlay struct {
	mu    sync.Mutex
	top   fstest.MapFS
	under fs.FS
}

func (o *overlay) Open(name string) (fs.File, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.top[name]; ok {
		return o.top.Open(name)
	}
	return o.under.Open(name)
}

func (o *overlay) set(name string, data []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.top[name] = &fstest.MapFile{Data: data}
}

// TestEveryBuiltinKindIsSampled: System samples every built-in kind of the registry,
// whether it does so itself or through the kind's Sample; a kind it forgot would come back
// zero with no error. The /proc is machine() plus recorded mount and network tables, where
// every kind has something to report, over this machine's /proc for the files of kinds
// this test does not know.
func TestEveryBuiltinKindIsSampled(t *testing.T) {
	if _, err := os.Stat("/proc/self"); err != nil {
		t.Skip("no /proc here")
	}
	fsys := machine()
	for name, from := range map[string]string{
		"self/mountinfo": "disk/testdata/real/self/mountinfo",
		"net/dev":        "net/testdata/real/step0/net/dev",
		"net/tcp":        "net/testdata/real/step0/net/tcp",
		"net/tcp6":       "net/testdata/real/step0/net/tcp6",
	} {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: data}
	}
	var all []Ref
	for _, k := range Kinds {
		if !k.Named {
			all = append(all, Ref{Kind: k.Name})
		}
	}
	proc := &overlay{top: fsys, under: os.DirFS("/proc")}
	wait := func(context.Context, time.Duration) error { // one cpu window: 40 % busy
		proc.set("stat", []byte("cpu  130 0 110 850 10 0 0 0 0 0\ncpu0 0 0 0 0\ncpu1 0 0 0 0\nbtime 1700000000\n"))
		return nil
	}
	snap := NewSystem(Options{ProcFS: proc, Wait: wait}).Sample(context.Background(), t0, all)
	for _, ref := range all {
		if err := snap.Err(ref); err != nil {
			t.Errorf("%s: %v", ref, err)
			continue
		}
		if v := snap.Get(ref); v == nil || reflect.ValueOf(v).IsZero() {
			t.Errorf("%s: not sampled (zero values, no error)", ref)
		}
	}
}
