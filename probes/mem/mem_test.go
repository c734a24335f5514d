package mem

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/notimon/notimon/probes/internal/fixture"
	gopsutil "github.com/shirou/gopsutil/v4/mem"
)

// The arithmetic behind each case's expected.json, done by hand, in kB (× 1024 for bytes):
// used = MemTotal − MemFree − Buffers − Cached − SReclaimable, cache = Cached + SReclaimable,
// real_pct = 100 × (1 − available/MemTotal).
var fixtureCases = []string{
	// Recorded on this machine (24 GB, nearly idle): MemTotal 24683656, MemFree 24402560,
	// MemAvailable 24395684, Buffers 4532, Cached 185480, SReclaimable 30396
	//   used = 24683656 − 24402560 − 4532 − 185480 − 30396 = 60688 kB → used_pct 0.2459
	//   cache = 185480 + 30396 = 215876 kB; real_pct = 100 × 287972/24683656 = 1.1667
	//   free 24402560, shared (Shmem) 8952, buff/cache = 4532 + 185480 + 30396 = 220408 kB
	"real",
	// A 3.10-era kernel with no MemAvailable: available = MemFree + Buffers + Cached
	// = 200000 + 50000 + 250000 = 500000 of 1000000 → real_pct 50;
	// used = 1000000 − 200000 − 50000 − 250000 − 50000 = 450000 → used_pct 45;
	// no Shmem line: shared 0; buff/cache = 50000 + 250000 + 50000 = 350000
	"no_memavailable",
	// Mostly page cache: MemAvailable 6000000 of 8000000 → real_pct 25;
	// used = 8000000 − 100000 − 200000 − 5000000 − 300000 = 2400000 → used_pct 30;
	// cache = 5000000 + 300000 = 5300000; buff/cache = 200000 + 5300000 = 5500000; shared 150000.
	// The unit-less HugePages_Total line parses too.
	"heavy_cache",
	// Free + caches exceed the total (1100 of 1000): used is floored at 0, and a
	// MemAvailable above MemTotal (1200) is capped at it → real_pct 0.
	"used_below_zero",
	// A line in a format we do not know, and one with no colon, do not matter as long as
	// nothing needs them: MemAvailable 800 of 1000 → real_pct 20; used 1000 − 500 − 200 = 300.
	"odd_line_we_do_not_read",
	// MemTotal is not a number: the error names the line and the value.
	"garbage_total",
	// Cut off in the middle of the MemFree line.
	"truncated",
	// MemTotal 0 would divide by zero.
	"total_zero",
	// Binary junk.
	"binary",
	// An empty file.
	"empty",
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
			if got != (Values{}) {
				t.Errorf("values %+v alongside an error, want zero", got)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		checkValues(t, got, *want.Values)
	})
}

func checkValues(t *testing.T, got, want Values) {
	t.Helper()
	for _, f := range []struct {
		name      string
		got, want float64
	}{
		{"total_bytes", got.TotalBytes, want.TotalBytes},
		{"available_bytes", got.AvailableBytes, want.AvailableBytes},
		{"used_bytes", got.UsedBytes, want.UsedBytes},
		{"cache_bytes", got.CacheBytes, want.CacheBytes},
		{"buffers_bytes", got.BuffersBytes, want.BuffersBytes},
		{"real_pct", got.RealPct, want.RealPct},
		{"used_pct", got.UsedPct, want.UsedPct},
		{"free_bytes", got.FreeBytes, want.FreeBytes},
		{"shared_bytes", got.SharedBytes, want.SharedBytes},
		{"buff_cache_bytes", got.BuffCacheBytes, want.BuffCacheBytes},
	} {
		if !fixture.Near(f.got, f.want, 1e-9) {
			t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
		}
	}
}

func TestReadMissingFile(t *testing.T) {
	_, err := Read(fstest.MapFS{})
	if err == nil || !strings.Contains(err.Error(), "read /proc/meminfo") {
		t.Fatalf("error %v, want one naming /proc/meminfo", err)
	}
}

func TestLookup(t *testing.T) {
	in := ParseInfo([]byte("MemTotal: 2 kB\nHugePages_Total:   3\nBroken: 1 MB\nMemTotal: 9 kB\nHuge: 99999999999999999999 kB\n"))
	tests := []struct {
		key     string
		want    uint64
		ok      bool
		wantErr string
	}{
		{key: "MemTotal", want: 2048, ok: true}, // the first of two lines wins
		{key: "HugePages_Total", want: 3, ok: true},
		{key: "Missing"},
		{key: "Broken", wantErr: `/proc/meminfo Broken: line 3: value "1 MB" is not a number of kB`},
		{key: "Huge", wantErr: "is not a number of kB"}, // would overflow in bytes
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			v, ok, err := in.Lookup(tt.key)
			if fixture.WantError(t, err, tt.wantErr) {
				return
			}
			if err != nil || v != tt.want || ok != tt.ok {
				t.Errorf("Lookup = %d, %v, %v; want %d, %v, nil", v, ok, err, tt.want, tt.ok)
			}
		})
	}
}

// TestLive compares the probe with this machine's /proc/meminfo read by a parser of its own,
// and with gopsutil, a second implementation nobody here wrote.
func TestLive(t *testing.T) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		t.Skip("no /proc/meminfo here")
	}
	kb := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 {
			n, err := strconv.ParseFloat(fields[1], 64)
			if err == nil {
				kb[strings.TrimSuffix(fields[0], ":")] = n
			}
		}
	}
	f.Close()
	if kb["MemTotal"] == 0 || kb["MemAvailable"] == 0 {
		t.Skip("this kernel's meminfo has no MemTotal or MemAvailable")
	}

	got, err := Read(os.DirFS("/proc"))
	if err != nil {
		t.Fatal(err)
	}
	if want := kb["MemTotal"] * 1024; got.TotalBytes != want {
		t.Errorf("total_bytes = %v, /proc/meminfo says %v", got.TotalBytes, want)
	}
	// Memory moves between the two reads: allow 2 percentage points.
	if want := 100 * (1 - kb["MemAvailable"]/kb["MemTotal"]); math.Abs(got.RealPct-want) > 2 {
		t.Errorf("real_pct = %.2f, /proc/meminfo says %.2f", got.RealPct, want)
	}

	vm, err := gopsutil.VirtualMemory()
	if err != nil {
		t.Fatalf("gopsutil: %v", err)
	}
	if got.TotalBytes != float64(vm.Total) {
		t.Errorf("total_bytes = %v, gopsutil says %d", got.TotalBytes, vm.Total)
	}
	if want := 100 * (1 - float64(vm.Available)/float64(vm.Total)); math.Abs(got.RealPct-want) > 2 {
		t.Errorf("real_pct = %.2f, gopsutil's Available gives %.2f", got.RealPct, want)
	}
}

// Whatever /proc/meminfo holds, the probe must not panic, and what it reports must be
// percentages and non-negative byte counts.
func FuzzFromInfo(f *testing.F) {
	for _, s := range []string{
		"MemTotal: 1000 kB\nMemFree: 200 kB\nMemAvailable: 300 kB\nBuffers: 1 kB\nCached: 2 kB\nSReclaimable: 3 kB\n",
		"MemTotal: 1000 kB\nMemFree: 2000 kB\n",
		"MemTotal:\n", ":::", "MemTotal: 18446744073709551615\nMemFree: 0\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := FromInfo(ParseInfo([]byte(s)))
		if err != nil {
			return
		}
		for _, x := range []float64{v.RealPct, v.UsedPct} {
			if !(x >= 0 && x <= 100) {
				t.Fatalf("%+v: percentage out of range", v)
			}
		}
		for _, x := range []float64{v.TotalBytes, v.AvailableBytes, v.UsedBytes, v.CacheBytes, v.BuffersBytes, v.FreeBytes, v.SharedBytes, v.BuffCacheBytes} {
			if !(x >= 0) {
				t.Fatalf("%+v: negative or NaN bytes", v)
			}
		}
	})
}
