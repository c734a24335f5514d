package swap

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/notimon/notimon/probes/internal/fixture"
	"github.com/notimon/notimon/probes/mem"
)

// The arithmetic behind each case's expected.json, done by hand. Call k reads step k at
// t0 + k × interval_s; rates are Δpages / interval, 0 on the first call.
var fixtureCases = []string{
	// Recorded on this machine, which has no swap, 1 s apart: SwapTotal 0 → used_pct 0
	// (not NaN); pswpin and pswpout stay 0.
	"real_no_swap",
	// SwapTotal 2097148 kB, SwapFree 1048574 kB → used 1048574 kB = 1073739776 B, 50 %.
	// 0→1 over 10 s: pswpin 1000 → 1500 = 50/s, pswpout 5000 → 5100 = 10/s; 1→2 unchanged: 0.
	"traffic",
	// pswpin drops 9000 → 100 (reboot): clamped to 0/s; pswpout 9000 → 9200 over 10 s = 20/s.
	"counter_reset",
	// SwapFree 200 kB above SwapTotal 100 kB: used floored at 0.
	"swap_free_above_total",
	// A kernel without swap support has no pswpin/pswpout lines: rates 0, no error.
	"no_swap_lines_in_vmstat",
	// pswpin is not a number: the error names the file, the line and the value.
	"garbage_vmstat",
	// meminfo without SwapTotal.
	"missing_swap_total",
}

func TestFixtures(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	fixture.Run(t, fixtureCases, func(t *testing.T, dir string) {
		var want struct {
			IntervalS float64                `json:"interval_s"`
			Calls     []fixture.Call[Values] `json:"calls"`
		}
		fixture.JSON(t, dir, "expected.json", &want)
		p := New(nil)
		fixture.Calls(t, want.Calls, func(i int) (Values, error) {
			p.FS = fixture.Step(dir, i)
			return p.Sample(t0.Add(time.Duration(float64(i) * want.IntervalS * float64(time.Second))))
		}, checkValues)
	})
}

func checkValues(t *testing.T, what string, got, want Values) {
	t.Helper()
	for _, f := range []struct {
		name      string
		got, want float64
	}{
		{"total_bytes", got.TotalBytes, want.TotalBytes},
		{"used_bytes", got.UsedBytes, want.UsedBytes},
		{"used_pct", got.UsedPct, want.UsedPct},
		{"in_per_s", got.InPerS, want.InPerS},
		{"out_per_s", got.OutPerS, want.OutPerS},
	} {
		if !fixture.Near(f.got, f.want, 1e-9) {
			t.Errorf("%s: %s = %v, want %v", what, f.name, f.got, f.want)
		}
	}
}

func TestRates(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name            string
		prev, cur       Reading
		wantIn, wantOut float64
	}{
		// 30 pages in and 3 out over 1.5 s → 20/s and 2/s.
		{"steady", Reading{Counters{10, 1}, t0}, Reading{Counters{40, 4}, t0.Add(1500 * time.Millisecond)}, 20, 2},
		{"same instant", Reading{Counters{10, 1}, t0}, Reading{Counters{40, 4}, t0}, 0, 0},
		{"clock went back", Reading{Counters{10, 1}, t0}, Reading{Counters{40, 4}, t0.Add(-time.Second)}, 0, 0},
		{"counters went back", Reading{Counters{40, 4}, t0}, Reading{Counters{10, 1}, t0.Add(time.Second)}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, out := Rates(tt.prev, tt.cur)
			if in != tt.wantIn || out != tt.wantOut {
				t.Errorf("Rates = %v, %v; want %v, %v", in, out, tt.wantIn, tt.wantOut)
			}
		})
	}
}

// A cron run saves State as JSON; the next run restores it and gets rates since then.
func TestStateSurvivesJSON(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	fsys := fstest.MapFS{
		"meminfo": {Data: []byte("SwapTotal: 4 kB\nSwapFree: 1 kB\n")},
		"vmstat":  {Data: []byte("pswpin 100\npswpout 200\n")},
	}
	first := New(fsys)
	if _, err := first.Sample(t0); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(first.State())
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"prev":{"pswpin":100,"pswpout":200,"time":"2026-01-02T03:04:05Z"}}`; string(raw) != want {
		t.Errorf("state JSON\n got %s\nwant %s", raw, want)
	}
	var st State
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	fsys["vmstat"] = &fstest.MapFile{Data: []byte("pswpin 160\npswpout 200\n")}
	next := New(fsys)
	next.Restore(st)
	got, err := next.Sample(t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	// 3 of 4 kB used = 75 %; 60 pages in over 60 s = 1/s.
	checkValues(t, "restored", got, Values{TotalBytes: 4096, UsedBytes: 3072, UsedPct: 75, InPerS: 1})
}

func TestReadMissingFile(t *testing.T) {
	_, err := New(fstest.MapFS{"meminfo": {Data: []byte("SwapTotal: 0 kB\nSwapFree: 0 kB\n")}}).Sample(time.Now())
	if err == nil || !strings.Contains(err.Error(), "read /proc/vmstat") {
		t.Fatalf("error %v, want one naming /proc/vmstat", err)
	}
}

// A rate is measured over at least the minimum interval: a sample too soon after the
// previous one measures from the one before, and a peek leaves the baseline in place.
func TestShortIntervals(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	fsys := fstest.MapFS{"meminfo": {Data: []byte("SwapTotal: 4 kB\nSwapFree: 4 kB\n")}}
	p := New(fsys)
	p.SetMinInterval(7500 * time.Millisecond) // a 15 s tick
	steps := []struct {
		at     time.Duration
		in     uint64
		peek   bool
		want   float64 // pages in per second
		reason string
	}{
		{0, 0, false, 0, "the first sample"},
		{15 * time.Second, 150, false, 10, "150 pages over 15 s"},
		{15002 * time.Millisecond, 160, false, 160 / 15.002, "2 ms later: from the first sample, not 10 pages in 2 ms (5000/s)"},
		{20 * time.Second, 210, true, 12, "a renotify 5 s after the tick: 60 pages since it"},
		{30 * time.Second, 300, false, 10, "the next tick: 150 pages since the tick at 15 s, not since the renotify"},
	}
	for _, s := range steps {
		fsys["vmstat"] = &fstest.MapFile{Data: fmt.Appendf(nil, "pswpin %d\npswpout 0\n", s.in)}
		in, err := mem.ReadInfo(fsys)
		if err != nil {
			t.Fatal(err)
		}
		var got Values
		if s.peek {
			got, err = p.PeekInfo(t0.Add(s.at), in, time.Second)
		} else {
			got, err = p.SampleInfo(t0.Add(s.at), in)
		}
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got.InPerS-s.want) > 1e-9 {
			t.Errorf("at %v: %v pages in per s, want %v (%s)", s.at, got.InPerS, s.want, s.reason)
		}
	}
	if st := p.State(); !st.Prev.Time.Equal(t0.Add(30*time.Second)) || !st.Before.Time.Equal(t0.Add(15*time.Second)) {
		t.Errorf("state: prev at %v, before at %v; want the ticks at 30 s and 15 s", st.Prev.Time, st.Before.Time)
	}
}

// A full swap reads 100 %, not 100.00000000000001 (100*used/total rounds up for some
// totals; found by FuzzFromInfo on the same formula in the mem probe).
func TestSpaceFullIsAtMost100(t *testing.T) {
	for _, kb := range []uint64{1600000000000021, 1, 3, 1 << 40, 999999999999} {
		in := mem.ParseInfo([]byte(fmt.Sprintf("SwapTotal: %d kB\nSwapFree: 0 kB\n", kb)))
		v, err := Space(in)
		if err != nil {
			t.Fatal(err)
		}
		if v.UsedPct != 100 {
			t.Errorf("SwapTotal %d kB, all used: used_pct = %v, want 100", kb, v.UsedPct)
		}
	}
}
