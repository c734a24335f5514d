package load

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
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
	dirs, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, c := range fixtureCases {
		listed[c] = true
	}
	for _, d := range dirs {
		if d.Name() != "fuzz" && !listed[d.Name()] {
			t.Errorf("testdata/%s has no entry (and hand-worked expectations) in fixtureCases", d.Name())
		}
	}

	for _, name := range fixtureCases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", name)
			raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
			if err != nil {
				t.Fatal(err)
			}
			var want struct {
				Cores  int     `json:"cores"`
				Values *Values `json:"values"`
				Error  string  `json:"error"`
			}
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatalf("expected.json: %v", err)
			}
			got, err := Read(os.DirFS(filepath.Join(dir, "step0")), want.Cores)
			if want.Error != "" {
				if err == nil || !strings.Contains(err.Error(), want.Error) {
					t.Fatalf("error %v, want one containing %q", err, want.Error)
				}
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
				if math.Abs(f.got-f.want) > 1e-9 {
					t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
				}
			}
		})
	}
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
