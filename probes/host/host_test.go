package host

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

var fixtureCases = []string{
	// Recorded on this machine: "441.45 818.81" → uptime_s 441.45 (the second field,
	// idle time summed over cores, is not used). The name given wins over the hostname.
	"real",
	// Not a number of seconds.
	"garbage",
	// An empty file.
	"empty",
	// strconv would accept +Inf; an uptime cannot be one.
	"infinite",
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
			t.Errorf("testdata/%s has no entry in fixtureCases", d.Name())
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
				Name   string  `json:"name"`
				Cores  int     `json:"cores"`
				Values *Values `json:"values"`
				Error  string  `json:"error"`
			}
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatalf("expected.json: %v", err)
			}
			got, err := Read(os.DirFS(filepath.Join(dir, "step0")), want.Name, want.Cores)
			if want.Error != "" {
				if err == nil || !strings.Contains(err.Error(), want.Error) {
					t.Fatalf("error %v, want one containing %q", err, want.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w := *want.Values; got.Name != w.Name || got.Cores != w.Cores || math.Abs(got.UptimeS-w.UptimeS) > 1e-9 {
				t.Errorf("got %+v, want %+v", got, w)
			}
		})
	}
}

func TestNameDefaultsToHostname(t *testing.T) {
	want, err := os.Hostname()
	if err != nil {
		t.Skip("no hostname here")
	}
	got, err := Read(fstest.MapFS{"uptime": {Data: []byte("12.5 3.0\n")}}, "", 4)
	if err != nil {
		t.Fatal(err)
	}
	if got != (Values{Name: want, UptimeS: 12.5, Cores: 4}) {
		t.Errorf("got %+v, want name %q, uptime 12.5, 4 cores", got, want)
	}
}

func TestReadMissingFile(t *testing.T) {
	_, err := Read(fstest.MapFS{}, "web-01", 2)
	if err == nil || !strings.Contains(err.Error(), "read /proc/uptime") {
		t.Fatalf("error %v, want one naming /proc/uptime", err)
	}
}
