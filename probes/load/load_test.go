package load

import (
	"math"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/notimon/notimon/probes/internal/fixture"
)

// The arithmetic behind each case's expected.json: per_core1 = avg1 / cores.
var fixtureCases = []string{
	// Recorded on this 2-core machine: "0.12 0.13 0.06 1/77 4351" → per_core1 0.12/2 = 0.06.
	"real",
	// 96.5 on 64 cores → per_core1 96.5/64 = 1.5078125.
	"busy_many_cores",
	// Cut off after two averages.
	"truncated",
	// Not a load average at all.
	"garbage",
	// strconv would accept NaN; a load cannot be one.
	"not_finite",
	// Nor negative.
	"negative",
	// The caller could not count cores: an error rather than a per_core1 of +Inf.
	"unknown_cores",
}

func TestFixtures(t *testing.T) {
	fixture.Run(t, fixtureCases, func(t *testing.T, dir string) {
		var want struct {
			Cores  int     `json:"cores"`
			Values *Values `json:"values"`
			Error  string  `json:"error"`
		}
		fixture.JSON(t, dir, "expected.json", &want)
		got, err := Read(fixture.Step(dir, 0), want.Cores)
		if fixture.WantError(t, err, want.Error) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		w := *want.Values
		for _, f := range []struct {
			name      string
			got, want float64
		}{
			{"avg1", got.Avg1, w.Avg1},
			{"avg5", got.Avg5, w.Avg5},
			{"avg15", got.Avg15, w.Avg15},
			{"per_core1", got.PerCore1, w.PerCore1},
		} {
			if !fixture.Near(f.got, f.want, 1e-9) {
				t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
			}
		}
	})
}

func TestReadMissingFile(t *testing.T) {
	_, err := Read(fstest.MapFS{}, 2)
	if err == nil || !strings.Contains(err.Error(), "read /proc/loadavg") {
		t.Fatalf("error %v, want one naming /proc/loadavg", err)
	}
}

// Whatever /proc/loadavg holds, parsing must not panic or yield NaN.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0.12 0.13 0.06 1/77 4351\n", "1 2", "", "1e400 0 0", "0x1p3 0 0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse([]byte(s), 3)
		if err != nil {
			return
		}
		for _, x := range []float64{v.Avg1, v.Avg5, v.Avg15, v.PerCore1} {
			if !(x >= 0) || math.IsInf(x, 0) {
				t.Fatalf("%+v from %q", v, s)
			}
		}
	})
}
