package cpu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
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

// expected is a case's expected.json: the probe's Samples and minimum interval, the core
// count of step0, when each call is made, and the outcome of each Sample call. Every call
// after the first moves one step on first, as the time between two daemon ticks or cron
// runs.
type expected struct {
	Samples int `json:"samples"`
	Cores   int `json:"cores"`
	// MinInterval is the probe's minimum interval ("500ms"); none when absent.
	MinInterval string `json:"min_interval"`
	// At is when each call is made, counted from step0 ("1.002s"); call i is made at i
	// minutes when absent. A window of the first call lasts DefaultWindow.
	At    []string               `json:"at"`
	Calls []fixture.Call[Values] `json:"calls"`
}

// The arithmetic behind each case's expected.json, done by hand. Δ are differences of the
// aggregate cpu line; total = user+nice+system+idle+iowait+irq+softirq+steal (guest
// columns are inside user and nice); busy = total − idle − iowait. avg3 is Σ busy / Σ total
// over the last three intervals.
var fixtureCases = []string{
	// Recorded on this 2-core VM, 1 s apart: a busy loop on one core, then a 200 MB fsync'd
	// write.
	//   0→1: Δuser 100, Δidle 99, Δsoftirq 1 → total 200, busy 101 → pct 50.5, avg3 50.5
	//   1→2: Δsystem 26, Δidle 251, Δiowait 26 → total 303, busy 26
	//        → pct = iowait_pct = 2600/303 = 8.5809, avg3 = (101 + 26)/(200 + 303) = 25.2485
	//        (the mean of the two percentages, 29.54, would weigh 200 ticks like 303)
	"real_two_cores",
	// 0→1: iowait goes 100 → 90, clamped to 0: Δuser 100, Δsystem 50, Δidle 300
	//      → total 450, busy 150 → pct 33.33
	// 1→2: every counter drops (reset with no btime to tell): all clamped → total 0 → 0,
	//      avg3 (150 + 0)/(450 + 0) = 33.33: an interval with no ticks weighs nothing
	// 2→3: Δuser 60, Δsystem 20, Δidle 100 → total 180, busy 80 → 44.44,
	//      avg3 (150 + 0 + 80)/(450 + 0 + 180) = 36.51
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
	//   0→1 busy 10, 1→2 busy 15+5 = 20, 2→3 busy 30+30 = 60 → pct 60, avg3 90/300 = 30
	//   then a stateful call 3→4: Δuser 100, Δidle 0 → 100, avg3 (20+60+100)/300 = 60
	"three_windows",
	// 0→1: Δuser 100, Δidle 100 → 50. Step 2 has another btime (the machine rebooted), so
	// the old counters are dropped and the probe measures a window 2→3 (btime off by 1 s,
	// the same boot): Δuser 60, Δsystem 20, Δidle 120 → total 200, busy 80 → 40,
	// avg3 (100+80)/(200+200) = 45. Comparing with step 1 would have clamped everything to 0.
	"reboot",
	// No minimum interval, two cores, samples of very different lengths (the daemon's first
	// tick blocks for its 1 s window, the second came 2 ms later):
	//   0→1 (the 1 s window): Δuser 200 → 200 of 200 → pct 100, avg3 100
	//   1→2 (2 ms later): Δidle 1 → 0 of 1 → pct 0, avg3 (200 + 0)/(200 + 1) = 99.50
	//       (the unweighted mean of 100 and 0 would be 50: the flap of issue 10)
	//   2→3 (1 s): Δuser 100, Δidle 100 → pct 50, avg3 (200 + 0 + 100)/(200 + 1 + 200) = 74.81
	//   3→4 (1 s): Δidle 200 → pct 0; 0→1 drops out: avg3 (0 + 100 + 0)/(1 + 200 + 200) = 24.94
	"uneven_intervals",
	// Minimum interval 500 ms, two cores; the baseline stays where the last interval closed:
	//   0→1 (the 1 s window, ends at 1 s): Δuser 200 → pct 100, avg3 100
	//   at 1.002 s (2 ms after 1 s, too short): step 2 is Δidle 1 past step 1; merged with
	//       0→1: 200 of 201 → pct = avg3 = 99.50, and nothing closes
	//   at 2 s (1 s after step 1, closes 1→3): Δuser 180, Δidle 21 → 180 of 201 → pct 89.55,
	//       avg3 (200 + 180)/(200 + 201) = 94.76
	//   at 2.3 s (0.3 s, too short): step 4 is Δidle 60 past step 3; merged with 1→3:
	//       180 of 261 → pct 68.97, avg3 (200 + 180)/(200 + 261) = 82.43
	//   at 3 s (1 s after step 3, closes 3→5): Δuser 100, Δidle 160 → 100 of 260 → 38.46,
	//       avg3 (200 + 180 + 100)/(200 + 201 + 260) = 72.62
	"short_interval_merged",
	// Not /proc/stat at all.
	"garbage",
	// Cut off after the third value.
	"truncated",
	// A letter inside the iowait column.
	"not_a_number",
	// The first reading is fine, the one after the window is cut off.
	"bad_second_reading",
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

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
		if want.MinInterval != "" {
			p.SetMinInterval(duration(t, want.MinInterval))
		}
		if want.At != nil && len(want.At) != len(want.Calls) {
			t.Fatalf("%d times for %d calls", len(want.At), len(want.Calls))
		}
		fixture.Calls(t, want.Calls, func(i int) (Values, error) {
			if i > 0 {
				sfs.step++
			}
			at := time.Duration(i) * time.Minute
			if want.At != nil {
				at = duration(t, want.At[i])
			}
			return p.Sample(context.Background(), t0.Add(at))
		}, func(t *testing.T, what string, got, want Values) {
			checkValues(t, fmt.Sprintf("%s (step %d)", what, sfs.step), got, want)
		})
		if n := countSteps(t, dir); want.Calls[len(want.Calls)-1].Error == "" && sfs.step != n-1 {
			t.Errorf("the calls used steps 0–%d of 0–%d", sfs.step, n-1)
		}
	})
}

func duration(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
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
	if _, err := first.Sample(context.Background(), t0); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(first.State())
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"prev":{"user":150,"nice":0,"system":0,"idle":150,"iowait":0,"irq":0,"softirq":0,"steal":0,"guest":0,"guest_nice":0},"time":"2026-01-02T03:04:06Z","intervals":[{"busy":50,"iowait":0,"steal":0,"total":100}]}`; string(raw) != want {
		t.Errorf("state JSON\n got %s\nwant %s", raw, want)
	}

	var st State
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	next := &Probe{FS: statFS("cpu 180 0 0 370 0 0 0 0 0 0"), Wait: noWait(t)} // 30 busy of 250
	next.SetMinInterval(30 * time.Second)
	next.Restore(st)
	got, err := next.Sample(context.Background(), t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	// pct 30/250 = 12; avg3 (50 + 30)/(100 + 250) = 22.857…
	checkValues(t, "restored", got, Values{Pct: 12, Avg3: 100 * 80.0 / 350})
}

// State files written before intervals were weighed held pct values under "history" and
// no time: they load, the percentages are dropped, and the saved reading still serves as
// the baseline, however soon the next run comes.
func TestRestoreStateWithPctHistory(t *testing.T) {
	old := `{"prev":{"user":100,"nice":0,"system":0,"idle":100,"iowait":0,"irq":0,"softirq":0,"steal":0,"guest":0,"guest_nice":0},"boot_time":1767225600,"history":[50,60,70]}`
	var st State
	if err := json.Unmarshal([]byte(old), &st); err != nil {
		t.Fatalf("old state does not load: %v", err)
	}
	p := &Probe{FS: statFS("cpu 175 0 0 125 0 0 0 0 0 0"), Wait: noWait(t)}
	p.SetMinInterval(time.Minute)
	p.Restore(st)
	got, err := p.Sample(context.Background(), t0)
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, "after an old state", got, Values{Pct: 75, Avg3: 75})
	if st := p.State(); len(st.Intervals) != 1 || !st.Time.Equal(t0) {
		t.Errorf("state after the sample: %+v, want one interval read at %v", st, t0)
	}
}

func TestRestoreKeepsOnlyPlausibleIntervals(t *testing.T) {
	p := New(statFS("cpu 0 0 0 0"))
	ok := func(busy uint64) Interval { return Interval{Busy: busy, Total: 100} }
	p.Restore(State{Intervals: []Interval{
		ok(10),
		{Busy: 101, Total: 100},            // more busy than there was time
		{Busy: 50, IOWait: 60, Total: 100}, // busy and iowait overlap
		{Busy: 10, Steal: 20, Total: 100},  // steal is part of busy
		ok(20), ok(30), ok(40),
	}})
	if got, want := p.State().Intervals, []Interval{ok(20), ok(30), ok(40)}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("intervals = %v, want %v", got, want)
	}
	p.Restore(State{})
	if st := p.State(); st.Prev != nil || st.Intervals != nil || !st.Time.IsZero() {
		t.Errorf("empty restore left %+v", st)
	}
}

// A restored reading with nothing closed yet and too recent to close: the probe waits for
// the rest of the shorter of the minimum and the window, then closes the interval.
func TestRecentBaselineWithoutIntervals(t *testing.T) {
	for _, tt := range []struct {
		name     string
		min      time.Duration
		after    time.Duration // the sample comes this long after the saved reading
		wantWait time.Duration // 0: no wait
	}{
		{"long enough", 500 * time.Millisecond, 600 * time.Millisecond, 0},
		{"short of the minimum", 500 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond},
		{"short of the window, the minimum being longer", 30 * time.Second, 200 * time.Millisecond, 800 * time.Millisecond},
		{"longer than the window, shorter than the minimum", 30 * time.Second, 2 * time.Second, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fsys := statFS("cpu 110 0 0 110 0 0 0 0 0 0")
			var waited time.Duration
			p := &Probe{FS: fsys, Wait: func(_ context.Context, d time.Duration) error {
				waited += d
				fsys["stat"] = &fstest.MapFile{Data: []byte("cpu 160 0 0 160 0 0 0 0 0 0\n")}
				return nil
			}}
			p.SetMinInterval(tt.min)
			p.Restore(State{Prev: &Counters{User: 100, Idle: 100}, Time: t0})
			got, err := p.Sample(context.Background(), t0.Add(tt.after))
			if err != nil {
				t.Fatal(err)
			}
			if waited != tt.wantWait {
				t.Errorf("waited %v, want %v", waited, tt.wantWait)
			}
			want := Values{Pct: 50, Avg3: 50} // 10 of 20 without the wait, 60 of 120 with it
			checkValues(t, "sample", got, want)
			if st := p.State(); len(st.Intervals) != 1 || !st.Time.Equal(t0.Add(tt.after+tt.wantWait)) {
				t.Errorf("state %+v: want one interval closed at +%v", st, tt.after+tt.wantWait)
			}
		})
	}
}

// The clock set back behind the last reading: the interval cannot be timed, so it is
// treated as just begun; its counters still count in the next interval.
func TestClockSetBack(t *testing.T) {
	fsys := statFS("cpu 100 0 0 100 0 0 0 0 0 0")
	p := &Probe{FS: fsys}
	p.SetMinInterval(500 * time.Millisecond)
	p.Restore(State{Prev: &Counters{}, Time: t0.Add(time.Hour), Intervals: []Interval{{Busy: 50, Total: 200}}})
	got, err := p.Sample(context.Background(), t0) // an hour "before" the saved reading
	if err != nil {
		t.Fatal(err)
	}
	// Merged with the last interval: (50 + 100)/(200 + 200) = 37.5.
	checkValues(t, "clock back", got, Values{Pct: 37.5, Avg3: 37.5})
	fsys["stat"] = &fstest.MapFile{Data: []byte("cpu 300 0 0 300 0 0 0 0 0 0\n")}
	got, err = p.Sample(context.Background(), t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	// Closes 0 → (300, 300): 300 of 600 → 50; avg3 (50 + 300)/(200 + 600) = 43.75.
	checkValues(t, "a second later", got, Values{Pct: 50, Avg3: 43.75})
}

// A steady load stays steady whatever the lengths of the intervals: a tick 1 ms after the
// previous one, a renotify between ticks, a tick late by half an interval. The machine
// runs 2 cores at 100 ticks per second each, 60 % busy; the counters are whole ticks, as
// the kernel's are. The same samples without a minimum interval show the flaw it cures.
func TestSteadyLoadNeverFlaps(t *testing.T) {
	const load = 0.6
	fsys := fstest.MapFS{}
	at := func(d time.Duration) { // the machine's counters d after t0
		total := uint64(200 * d.Seconds())
		busy := uint64(load * 200 * d.Seconds())
		fsys["stat"] = &fstest.MapFile{Data: fmt.Appendf(nil, "cpu  %d 0 0 %d 0 0 0 0 0 0\ncpu0 0 0 0 0\ncpu1 0 0 0 0\nbtime 1767225600\n", busy, total-busy)}
	}
	// What the daemon does at a 1 s tick: the first tick blocks for its window, then ticks
	// (with some jitter, and one tick 1 ms after another), and renotify peeks between them.
	type sample struct {
		at   time.Duration
		peek bool
	}
	var samples []sample
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Second
	for range 400 {
		switch r := rng.IntN(10); {
		case r == 0:
			now += time.Millisecond
		case r == 1:
			now += 1500 * time.Millisecond
		case r <= 3:
			samples = append(samples, sample{at: now + time.Duration(rng.IntN(1000))*time.Millisecond, peek: true})
			now += time.Second
		default:
			now += time.Second + time.Duration(rng.IntN(200)-100)*time.Millisecond
		}
		samples = append(samples, sample{at: now})
	}
	sort.SliceStable(samples, func(i, j int) bool { return samples[i].at < samples[j].at })

	run := func(least time.Duration) (lo, hi Values) {
		lo, hi = Values{Pct: 100, Avg3: 100}, Values{}
		at(0)
		p := &Probe{FS: fsys, Wait: func(_ context.Context, d time.Duration) error { at(d); return nil }}
		p.SetMinInterval(least)
		if _, err := p.Sample(context.Background(), t0); err != nil { // the first tick's window
			t.Fatal(err)
		}
		for _, s := range samples {
			at(s.at)
			cur, err := ReadStat(fsys)
			if err != nil {
				t.Fatal(err)
			}
			var v Values
			if s.peek {
				v, err = p.Peek(context.Background(), t0.Add(s.at), cur, min(time.Second, least))
			} else {
				v, err = p.SampleFrom(context.Background(), t0.Add(s.at), cur)
			}
			if err != nil {
				t.Fatal(err)
			}
			lo = Values{Pct: math.Min(lo.Pct, v.Pct), Avg3: math.Min(lo.Avg3, v.Avg3)}
			hi = Values{Pct: math.Max(hi.Pct, v.Pct), Avg3: math.Max(hi.Avg3, v.Avg3)}
		}
		return lo, hi
	}
	// Intervals of at least half a second hold 100 ticks: whole ticks put pct within 1 %.
	lo, hi := run(500 * time.Millisecond)
	t.Logf("500 ms minimum: pct %.2f–%.2f, avg3 %.2f–%.2f", lo.Pct, hi.Pct, lo.Avg3, hi.Avg3)
	if lo.Pct < 59 || lo.Avg3 < 59 || hi.Pct > 61 || hi.Avg3 > 61 {
		t.Errorf("with a minimum interval of 500 ms: pct %.2f–%.2f, avg3 %.2f–%.2f; want 59–61", lo.Pct, hi.Pct, lo.Avg3, hi.Avg3)
	}
	lo, hi = run(0)
	t.Logf("no minimum: pct %.2f–%.2f, avg3 %.2f–%.2f", lo.Pct, hi.Pct, lo.Avg3, hi.Avg3)
	if lo.Pct > 0 || hi.Pct < 100 {
		t.Errorf("without a minimum pct stayed within %.2f–%.2f: the samples lack the short intervals this test is about", lo.Pct, hi.Pct)
	}
}

// Peek reads usage up to now without closing the interval: the next sample still covers
// the whole time since the previous one.
func TestPeekLeavesTheIntervalOpen(t *testing.T) {
	fsys := statFS("cpu 0 0 0 0 0 0 0 0 0 0")
	set := func(busy, idle int) {
		fsys["stat"] = &fstest.MapFile{Data: fmt.Appendf(nil, "cpu %d 0 0 %d 0 0 0 0 0 0\n", busy, idle)}
	}
	p := &Probe{FS: fsys, Wait: func(context.Context, time.Duration) error { set(100, 100); return nil }}
	p.SetMinInterval(7500 * time.Millisecond) // a 15 s tick
	sample := func(at time.Duration, peek bool) Values {
		t.Helper()
		cur, err := ReadStat(fsys)
		if err != nil {
			t.Fatal(err)
		}
		var v Values
		if peek {
			v, err = p.Peek(context.Background(), t0.Add(at), cur, time.Second)
		} else {
			v, err = p.SampleFrom(context.Background(), t0.Add(at), cur)
		}
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	checkValues(t, "tick at 0 (a 1 s window)", sample(0, false), Values{Pct: 50, Avg3: 50}) // 100 of 200
	set(1500, 1500)
	checkValues(t, "tick at 16 s", sample(16*time.Second, false), Values{Pct: 50, Avg3: 50}) // 1400 of 2800
	set(2500, 1500)
	// 5 s after the tick: 1000 of 1000 since it → 100; avg3 (100 + 1400 + 1000)/(200 + 2800 + 1000) = 62.5.
	checkValues(t, "renotify at 21 s", sample(21*time.Second, true), Values{Pct: 100, Avg3: 62.5})
	set(2550, 1500)
	// 0.2 s after that, still 5.2 s after the tick: 1050 of 1050 → 100.
	checkValues(t, "renotify at 21.2 s", sample(21200*time.Millisecond, true), Values{Pct: 100, Avg3: 100 * 2550.0 / 4050})
	set(3000, 3000)
	// The tick at 31 s covers 16–31 s: 1500 of 3000 → 50, not usage since a renotify.
	checkValues(t, "tick at 31 s", sample(31*time.Second, false), Values{Pct: 50, Avg3: 100 * 3000.0 / 6000})
	set(3010, 3000)
	// 0.5 s after the tick, shorter than the peek's 1 s: the tick's interval extended by
	// the stretch since: 1510 of 3010.
	checkValues(t, "renotify at 31.5 s", sample(31500*time.Millisecond, true), Values{Pct: 100 * 1510.0 / 3010, Avg3: 100 * 3010.0 / 6010})
	if st := p.State(); !st.Time.Equal(t0.Add(31*time.Second)) || len(st.Intervals) != 3 {
		t.Errorf("state after the peeks: %+v, want the reading of the tick at 31 s and three intervals", st)
	}
}

// A peek with nothing to measure from samples: it is the first measurement.
func TestPeekWithoutBaselineSamples(t *testing.T) {
	fsys := statFS("cpu 0 0 0 0 0 0 0 0 0 0")
	waited := false
	p := &Probe{FS: fsys, Wait: func(context.Context, time.Duration) error {
		waited = true
		fsys["stat"] = &fstest.MapFile{Data: []byte("cpu 30 0 0 70 0 0 0 0 0 0\n")}
		return nil
	}}
	cur, err := ReadStat(fsys)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Peek(context.Background(), t0, cur, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, "peek", got, Values{Pct: 30, Avg3: 30})
	if !waited {
		t.Error("a peek without a baseline did not watch a window")
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
	_, err := p.Sample(ctx, t0)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "1h0m0s sample window") {
		t.Fatalf("error %v, want context.Canceled while waiting for the window", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("the window ignored the cancelled context")
	}
	fsys["stat"] = &fstest.MapFile{Data: []byte("cpu 175 0 0 125 0 0 0 0 0 0\n")}
	p.Wait = noWait(t)
	got, err := p.Sample(context.Background(), t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, "after cancel", got, Values{Pct: 75, Avg3: 75})
}

func TestConcurrentSamples(t *testing.T) {
	p := &Probe{FS: statFS("cpu 1 0 0 1"), Wait: func(context.Context, time.Duration) error { return nil }}
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 50 {
				at := t0.Add(time.Duration(g*100+i) * time.Second)
				if _, err := p.Sample(context.Background(), at); err != nil {
					t.Error(err)
				}
				cur, err := ReadStat(p.FS)
				if err != nil {
					t.Error(err)
				}
				if _, err := p.Peek(context.Background(), at, cur, time.Second); err != nil {
					t.Error(err)
				}
				p.SetMinInterval(time.Duration(i) * time.Millisecond)
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
	v, err := p.Sample(context.Background(), time.Now())
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
