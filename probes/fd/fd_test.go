package fd

import (
	"io/fs"
	"math"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/notimon/notimon/probes/internal/fixture"
)

// The arithmetic behind each case's expected.json: used = allocated − free,
// used_pct = 100 × used / maximum.
var fixtureCases = []string{
	// Recorded on this machine: "1002 0 2466116" → 100 × 1002 / 2466116 = 0.04063069…
	"real",
	// A kernel before 2.6 kept free handles: 4096 − 512 = 3584 of 65536 → 5.46875.
	"old_kernel_free",
	// 65000 of 65536 → 99.1821289…: the alert this probe is for.
	"near_limit",
	// fs.file-max set to 2^63−1: 100 × 2048 / 9223372036854775807 = 2.22e-14, read exactly.
	"huge_max",
	// Cut off after two numbers.
	"truncated",
	// Not file-nr at all.
	"garbage",
	// A word where the maximum goes.
	"not_a_count",
	// Counts are never negative.
	"negative",
	// More free than allocated cannot be.
	"free_exceeds",
	// A maximum of 0 would make used_pct infinite.
	"zero_max",
}

func TestFixtures(t *testing.T) {
	fixture.Run(t, fixtureCases, func(t *testing.T, dir string) {
		var want struct {
			Values *Values `json:"values"`
			Error  string  `json:"error"`
		}
		fixture.JSON(t, dir, "expected.json", &want)
		got, err := Read(fixture.Step(dir, 0))
		if fixture.WantError(t, err, want.Error) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		w := *want.Values
		if got.Used != w.Used || got.Max != w.Max {
			t.Errorf("used %v of max %v, want %v of %v", got.Used, got.Max, w.Used, w.Max)
		}
		if !fixture.Near(got.UsedPct, w.UsedPct, 1e-12) {
			t.Errorf("used_pct = %v, want %v", got.UsedPct, w.UsedPct)
		}
	})
}

func TestReadMissingFile(t *testing.T) {
	_, err := Read(fstest.MapFS{})
	if err == nil || !strings.Contains(err.Error(), "read /proc/sys/fs/file-nr") {
		t.Fatalf("error %v, want one naming /proc/sys/fs/file-nr", err)
	}
}

// openOnly hides the ReadFile method of the file system it wraps (as a test's counting
// or overlay file system does).
type openOnly struct{ fs.FS }

// TestLive reads this machine's file-nr: the handles open right now are some, and fewer
// than the maximum. Through a file system that can only Open too: a /proc/sys file answers
// one read only, so a read sized by Stat (0 for /proc files) would get one byte.
func TestLive(t *testing.T) {
	if _, err := os.Stat("/proc/sys/fs/file-nr"); err != nil {
		t.Skip("no /proc/sys/fs/file-nr here")
	}
	for _, fsys := range []fs.FS{os.DirFS("/proc"), openOnly{os.DirFS("/proc")}} {
		v, err := Read(fsys)
		if err != nil {
			t.Fatalf("%T: %v", fsys, err)
		}
		if v.Used < 1 || v.Used > v.Max || !(v.UsedPct > 0 && v.UsedPct <= 100) {
			t.Errorf("%T: live values %+v", fsys, v)
		}
	}
}

// Whatever file-nr holds, parsing must not panic or yield NaN, a negative or an infinite
// value.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"1002\t0\t2466116\n", "1 2", "", "10 0 0", "1 0 18446744073709551615", "1e3 0 5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse([]byte(s))
		if err != nil {
			return
		}
		for _, x := range []float64{v.Used, v.Max, v.UsedPct} {
			if !(x >= 0) || math.IsInf(x, 0) {
				t.Fatalf("%+v from %q", v, s)
			}
		}
	})
}
