package cpu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/notimon/notimon/probes/internal/fixture"
)

// stepFS serves testdata/<case>/step<N>/ and moves to the next step when the probe waits,
// so a window is "the machine one step later" and no test sleeps.
type stepFS struct {
	dir  string
	step int
}

func (s *stepFS) Open(name string) (fs.File, error) {
	return fixture.Step(s.dir, s.step).Open(name)
}

func (s *stepFS) wait(ctx context.Context, d time.Duration) error {
	s.step++
	return nil
}

// expected is a case's expected.json: the probe's Samples, the core count of step0, and
// the outcome of each Sample call. Every call after the first moves one step on first, as
// the time between two daemon ticks or cron runs.
type expected struct {
	Samples int                    `json:"samples"`
	Cores   int                    `json:"cores"`
	Calls   []fixture.Call[Values] `json:"calls"`
}

// The arithmetic behind each case's expected.json, done by hand. Δ are differences of the
// aggregate cpu line; total = user+nice+system+idle+iowait+irq+softirq+steal (guest
// columns are inside user and nice); busy = total − idle − iowait.
var fixtureCases = []string{
	// Recorded on this 2-core VM, 1 s apart: a busy loop on one core, then a 200 MB fsync'd
	// write.
	//   0→1: Δuser 100, Δidle 99, Δsoftirq 1 → total 200, busy 101 → pct 50.5, avg3 50.5
	//   1→2: Δsystem 26, Δidle 251, Δiowait 26 → total 303, busy 26
	//        → pct = iowait_pct = 2600/303 = 8.5809, avg3 = (50.5 + 8.5809)/2 = 29.5404
	"real_two_cores",
	// 0→1: iowait goes 100 → 90, clamped to 0: Δuser 100, Δsystem 50, Δidle 300
	//      → total 450, busy 150 → pct 33.33
	// 1→2: every counter drops (reset with no btime to tell): all clamped → total 0 → 0,
	//      avg3 (33.33 + 0)/2 = 16.67
	// 2→3: Δuser 60, Δsystem 20, Δidle 100 → total 180, busy 80 → 44.44,
	//      avg3 (33.33 + 0 + 44.44)/3 = 25.93
	"counter_backwards",
	// Identical readings: total 0 → everything 0, not NaN.
	"total_zero",
	// Δuser 50, Δsystem 30, Δidle 100, Δiowait 200, Δirq 10, Δsoftirq 10, Δsteal 600
	// → total 1000, busy 1000 − 100 − 200 = 700 → pct 70, iowait_pct 20, steal_pct 60
	"steal_iowait_heavy",
	// Δuser 300 (of which Δguest 200), Δnice 100 (of which Δguest_nice 50), Δsystem 100,
	// Δidle 500 → total 1000, busy 500 → 50. Counting guest again would give 750/1250 = 60.
	"guest",
	// A 2.6.10-era line with only user nice system idle, one core:
	// Δuser 100, Δsystem 50, Δidle 150 → total 300, busy 150 → 50
	"old_kernel_four_columns",
	// Samples 3, four cores, every window totals 100 ticks:
	//   0→1 busy 10, 1→2 busy 15+5 = 20, 2→3 busy 30+30 = 60 → pct 60, avg3 (10+20+60)/3 = 30
	//   then a stateful call 3→4: Δuser 100, Δidle 0 → 100, avg3 (20+60+100)/3 = 60
	"three_windows",
	// 0→1: Δuser 100, Δidle 100 → 50. Step 2 has another btime (the machine rebooted), so
	// the old counters are dropped and the probe measures a window 2→3 (btime off by 1 s,
	// the same boot): Δuser 60, Δsystem 20, Δidle 120 → total 200, busy 80 → 40,
	// avg3 (50+40)/2 = 45. Comparing with step 1 would have clamped everything to 0.
	"reboot",
	// Not /proc/stat at all.
	"garbage",
	// Cut off after the third value.
	"truncated",
	// A letter inside the iowait column.
	"not_a_number",
	// The first reading is fine, the one after the window is cut off.
	"bad_second_reading",
}

func TestFixtures(t *testing.T) {
	fixture.Run(t, fixtureCases, func(t *testing.T, dir string) {
		var want expected
		fixture.JSON(t, dir, "expected.json", &want)
		sfs := &stepFS{dir: dir}
		if want.Cores > 0 {
			st, err := ReadStat(sfs)
			if err != nil {
				t.Fatalf("step0: %v", err)
			}
			if st.Cores != want.Cores {
				t.Errorf("cores = %d, want %d", st.Cores, want.Cores)
			}
		}
		p := &Probe{FS: sfs, Samples: want.Samples, Wait: sfs.wait}
		fixture.Calls(t, want.Calls, func(i int) (Values, error) {
			if i > 0 {
				sfs.step++
			}
			return p.Sample(context.Background())
		}, func(t *testing.T, what string, got, want Values) {
			checkValues(t, fmt.Sprintf("%s (step %d)", what, sfs.step), got, want)
		})
		if n := countSteps(t, dir); want.Calls[len(want.Calls)-1].Error == "" && sfs.step != n-1 {
			t.Errorf("the calls used steps 0–%d of 0–%d", sfs.step, n-1)
		}
	})
}

func countSteps(t *testing.T, dir string) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "step*"))
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

func checkValues(t *testing.T, what string, got, want Values) {
	t.Helper()
	for _, f := range []struct {
		name      string
		got, want float64
	}{
		{"pct", got.Pct, want.Pct},
		{"avg3", got.Avg3, want.Avg3},
		{"iowait_pct", got.IOWaitPct, want.IOWaitPct},
		{"steal_pct", got.StealPct, want.StealPct},
	} {
		if !fixture.Near(f.got, f.want, 1e-9) {
			t.Errorf("%s: %s = %v, want %v", what, f.name, f.got, f.want)
		}
	}
}

func TestParseStat(t *testing.T) {
	long := "intr 1" + strings.Repeat(" 0", 100_000) + "\n" // longer than bufio.Scanner's 64 KiB line limit
	tests := []struct {
		name    string
		in      string
		want    Stat
		wantErr string
	}{
		{
			name: "future kernel adds an eleventh column",
			in:   "cpu  1 2 3 4 5 6 7 8 9 10 11\ncpu0 1 2 3 4 5 6 7 8 9 10 11\n",
			want: Stat{Counters: Counters{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, Cores: 1},
		},
		{
			name: "steal but no guest (2.6.11–2.6.23)",
			in:   "cpu 1 2 3 4 5 6 7 8\n",
			want: Stat{Counters: Counters{User: 1, Nice: 2, System: 3, Idle: 4, IOWait: 5, IRQ: 6, SoftIRQ: 7, Steal: 8}},
		},
		{
			name: "huge intr line, btime and cores after it",
			in:   "cpu  1 0 0 1 0 0 0 0 0 0\n" + long + "cpu0 1 0 0 1 0 0 0 0 0 0\ncpu1 0 0 0 0 0 0 0 0 0 0\ncpu12 0 0 0 0 0 0 0 0 0 0\nbtime 1795627189\n",
			want: Stat{Counters: Counters{User: 1, Idle: 1}, Cores: 3, BootTime: 1795627189},
		},
		{
			name: "no trailing newline",
			in:   "cpu 1 0 0 1",
			want: Stat{Counters: Counters{User: 1, Idle: 1}},
		},
		{name: "empty", in: "", wantErr: `no aggregate "cpu" line`},
		{name: "only per-core lines", in: "cpu0 1 2 3 4\n", wantErr: `no aggregate "cpu" line`},
		{name: "negative", in: "cpu 1 -2 3 4\n", wantErr: `nice value "-2" is not a whole number`},
		{name: "overflow", in: "cpu 1 2 3 99999999999999999999\n", wantErr: `idle value "99999999999999999999"`},
		{name: "garbage is clipped in the message", in: "cpu 1 2 3 " + strings.Repeat("x", 500), wantErr: `idle value "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…"`},
		{name: "bad btime is ignored", in: "cpu 1 0 0 1\nbtime soon\n", want: Stat{Counters: Counters{User: 1, Idle: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStat([]byte(tt.in))
			if fixture.WantError(t, err, tt.wantErr) {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReadStatMissingFile(t *testing.T) {
	_, err := ReadStat(fstest.MapFS{})
	if err == nil || !strings.Contains(err.Error(), "read /proc/stat") || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v, want a not-exist error naming /proc/stat", err)
	}
}

func statFS(line string) fstest.MapFS {
	return fstest.MapFS{"stat": {Data: []byte(line + "\ncpu0 0 0 0 0\n")}}
}

func noWait(t *testing.T) func(context.Context, time.Duration) error {
	return func(context.Context, time.Duration) error {
		t.Error("the probe waited although it had a previous reading")
		return nil
	}
}

// A cron run saves State as JSON; the next run restores it and gets usage since then
// without waiting.
func TestStateSurvivesJSON(t *testing.T) {
	fsys := statFS("cpu 100 0 0 100 0 0 0 0 0 0")
	first := &Probe{FS: fsys, Wait: func(context.Context, time.Duration) error {
		fsys["stat"] = &fstest.MapFile{Data: []byte("cpu 150 0 0 150 0 0 0 0 0 0\n")} // 50 busy of 100
		return nil
	}}
	if _, err := first.Sample(context.Background()); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(first.State())
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"prev":{"user":150,"nice":0,"system":0,"idle":150,"iowait":0,"irq":0,"softirq":0,"steal":0,"guest":0,"guest_nice":0},"history":[50]}`; string(raw) != want {
		t.Errorf("state JSON\n got %s\nwant %s", raw, want)
	}

	var st State
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	next := &Probe{FS: statFS("cpu 180 0 0 220 0 0 0 0 0 0"), Wait: noWait(t)} // 30 busy of 100
	next.Restore(st)
	got, err := next.Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, "restored", got, Values{Pct: 30, Avg3: 40})
}

func TestRestoreKeepsOnlyPlausibleHistory(t *testing.T) {
	p := New(statFS("cpu 0 0 0 0"))
	p.Restore(State{History: []float64{10, math.NaN(), -1, 20, 101, 30, 40}})
	if got, want := p.State().History, []float64{20, 30, 40}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("history = %v, want %v", got, want)
	}
	p.Restore(State{})
	if st := p.State(); st.Prev != nil || st.History != nil {
		t.Errorf("empty restore left %+v", st)
	}
}

// A cancelled window reports the cancellation, and the reading taken before it still
// serves as the baseline of the next sample.
func TestCancelledWindowKeepsBaseline(t *testing.T) {
	fsys := statFS("cpu 100 0 0 100 0 0 0 0 0 0")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := &Probe{FS: fsys, Window: time.Hour} // the real timer: must return at once
	start := time.Now()
	_, err := p.Sample(ctx)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "1h0m0s sample window") {
		t.Fatalf("error %v, want context.Canceled while waiting for the window", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("the window ignored the cancelled context")
	}
	fsys["stat"] = &fstest.MapFile{Data: []byte("cpu 175 0 0 125 0 0 0 0 0 0\n")}
	p.Wait = noWait(t)
	got, err := p.Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, "after cancel", got, Values{Pct: 75, Avg3: 75})
}

func TestConcurrentSamples(t *testing.T) {
	p := &Probe{FS: statFS("cpu 1 0 0 1"), Wait: func(context.Context, time.Duration) error { return nil }}
	done := make(chan struct{})
	for range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 50 {
				if _, err := p.Sample(context.Background()); err != nil {
					t.Error(err)
				}
				p.Restore(p.State())
			}
		}()
	}
	for range 8 {
		<-done
	}
}

func TestLive(t *testing.T) {
	if _, err := os.Stat("/proc/stat"); err != nil {
		t.Skip("no /proc/stat here")
	}
	p := New(os.DirFS("/proc"))
	p.Window = 200 * time.Millisecond
	v, err := p.Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for name, x := range map[string]float64{"pct": v.Pct, "avg3": v.Avg3, "iowait_pct": v.IOWaitPct, "steal_pct": v.StealPct} {
		if !(x >= 0 && x <= 100) {
			t.Errorf("%s = %v, want 0–100", name, x)
		}
	}
	st, err := ReadStat(os.DirFS("/proc"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Cores < 1 || st.BootTime == 0 {
		t.Errorf("cores %d, btime %d: want at least one core and a boot time", st.Cores, st.BootTime)
	}
}

// Whatever /proc/stat holds, parsing must not panic and usage must stay within 0–100.
func FuzzParseStat(f *testing.F) {
	for _, s := range []string{"cpu  4279 0 1501 81316 126 0 62 20 0 0\ncpu0 1 2 3 4\nbtime 1\n", "cpu 1 2 3", "cpu", "cpu0\n", "\x00cpu 1 1 1 1"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		sa, errA := ParseStat([]byte(a))
		sb, errB := ParseStat([]byte(b))
		if errA != nil || errB != nil {
			return
		}
		v := Usage(sa.Counters, sb.Counters)
		for _, x := range []float64{v.Pct, v.IOWaitPct, v.StealPct} {
			if !(x >= 0 && x <= 100) {
				t.Fatalf("usage %+v out of range", v)
			}
		}
	})
}
