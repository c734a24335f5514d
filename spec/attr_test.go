package spec

import (
	"context"
	"io/fs"
	"reflect"
	"testing"
	"testing/fstest"
	"time"
)

var tcpLike = Block{Attrs: []Attr{{Name: "address", Type: TypeString, Required: true}, Interval, {Name: "timeout", Type: TypeDuration}}}

func TestEach(t *testing.T) {
	var seen []string
	err := tcpLike.Each("a tcp probe", map[string]any{"timeout": time.Second, "address": "db:1"}, func(name string, v any) error {
		seen = append(seen, name)
		return nil
	})
	if err != nil || !reflect.DeepEqual(seen, []string{"address", "timeout"}) {
		t.Fatalf("Each visited %v, err %v; want address then timeout", seen, err)
	}
	err = tcpLike.Each("a tcp probe", map[string]any{"address": "db:1", "port": 1.0}, func(string, any) error { return nil })
	if want := `unknown attribute "port" (a tcp probe takes address, interval and timeout)`; err == nil || err.Error() != want {
		t.Errorf("unknown attribute: %v, want %s", err, want)
	}
	err = Block{}.Each("a console notifier", map[string]any{"x": 1.0}, func(string, any) error { return nil })
	if want := `unknown attribute "x" (a console notifier takes nothing)`; err == nil || err.Error() != want {
		t.Errorf("block without attributes: %v, want %s", err, want)
	}
}

func TestAsAndDuration(t *testing.T) {
	if _, err := As[string]("url", 3.0); err == nil || err.Error() != "attribute url: want string, got float64" {
		t.Errorf("As: %v", err)
	}
	if d, err := Duration("timeout", time.Duration(0), 5*time.Second); err != nil || d != 5*time.Second {
		t.Errorf("zero duration: %v, %v; want the default 5s", d, err)
	}
	if d, err := Duration("timeout", 2*time.Second, 5*time.Second); err != nil || d != 2*time.Second {
		t.Errorf("duration: %v, %v", d, err)
	}
}

type values struct {
	N float64 `expr:"n"`
}

func TestDescriptorConstructors(t *testing.T) {
	named := Named("echo", tcpLike,
		func(attrs map[string]any) (string, error) { return As[string]("address", attrs["address"]) },
		func(_ context.Context, addr string, now time.Time) values { return values{N: float64(len(addr))} })
	if !named.Named || named.Values != reflect.TypeFor[values]() {
		t.Fatalf("Named: %+v", named)
	}
	cfg, err := named.Decode(map[string]any{"address": "db:5432"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := named.Sample(context.Background(), cfg, nil, time.Time{})
	if err != nil || v != (values{N: 7}) {
		t.Errorf("Named sample: %v, %v", v, err)
	}

	builtin := Builtin("files", func(proc fs.FS) (values, error) {
		b, err := fs.ReadFile(proc, "n")
		return values{N: float64(len(b))}, err
	})
	if builtin.Named || builtin.Decode != nil {
		t.Fatalf("Builtin: %+v", builtin)
	}
	v, err = builtin.Sample(context.Background(), nil, fstest.MapFS{"n": {Data: []byte("abc")}}, time.Time{})
	if err != nil || v != (values{N: 3}) {
		t.Errorf("Builtin sample: %v, %v", v, err)
	}
}
