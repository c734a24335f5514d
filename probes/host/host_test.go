package host

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/notimon/notimon/probes/internal/fixture"
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
	fixture.Run(t, fixtureCases, func(t *testing.T, dir string) {
		var want struct {
			Name   string  `json:"name"`
			Cores  int     `json:"cores"`
			Values *Values `json:"values"`
			Error  string  `json:"error"`
		}
		fixture.JSON(t, dir, "expected.json", &want)
		got, err := Read(fixture.Step(dir, 0), want.Name, want.Cores)
		if fixture.WantError(t, err, want.Error) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if w := *want.Values; got.Name != w.Name || got.Cores != w.Cores || !fixture.Near(got.UptimeS, w.UptimeS, 1e-9) {
			t.Errorf("got %+v, want %+v", got, w)
		}
	})
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
