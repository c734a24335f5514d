package probes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	stdnet "net"
	nethttp "net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/notimon/notimon/probes/command"
	"github.com/notimon/notimon/probes/cpu"
	"github.com/notimon/notimon/probes/file"
	"github.com/notimon/notimon/probes/host"
	"github.com/notimon/notimon/probes/http"
	"github.com/notimon/notimon/probes/load"
	"github.com/notimon/notimon/probes/mem"
	"github.com/notimon/notimon/probes/process"
	"github.com/notimon/notimon/probes/swap"
	"github.com/notimon/notimon/probes/tcp"
)

// countingFS records which files the sampler opens.
type countingFS struct {
	fs.FS
	mu     sync.Mutex
	opened map[string]int
}

func (c *countingFS) Open(name string) (fs.File, error) {
	c.mu.Lock()
	if c.opened == nil {
		c.opened = map[string]int{}
	}
	c.opened[name]++
	c.mu.Unlock()
	return c.FS.Open(name)
}

// machine is a small, fully hand-made /proc: 2 cores, 4 GiB, 1 GiB of swap.
func machine() fstest.MapFS {
	return fstest.MapFS{
		"stat": {Data: []byte("cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\ncpu1 50 0 50 400 0 0 0 0 0 0\nbtime 1700000000\n")},
		"meminfo": {Data: []byte("MemTotal:        4194304 kB\nMemFree:         1048576 kB\nMemAvailable:    3145728 kB\n" +
			"Buffers:          262144 kB\nCached:          1048576 kB\nSReclaimable:     262144 kB\n" +
			"SwapTotal:       1048576 kB\nSwapFree:         786432 kB\n")},
		"vmstat":  {Data: []byte("pswpin 1000\npswpout 2000\n")},
		"loadavg": {Data: []byte("3.00 2.00 1.00 3/200 999\n")},
		"uptime":  {Data: []byte("3600.50 7000.00\n")},
	}
}

func refs(kinds ...string) []Ref {
	var r []Ref
	for _, k := range kinds {
		kind, name, _ := strings.Cut(k, ".")
		r = append(r, Ref{Kind: kind, Name: name})
	}
	return r
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestSystemSamplesEverything(t *testing.T) {
	fsys := machine()
	s := NewSystem(Options{ProcFS: fsys, Hostname: "web-01", Wait: func(context.Context, time.Duration) error {
		// One window later: Δuser 30, Δsystem 10, Δidle 50, Δiowait 10 → total 100, busy 40.
		fsys["stat"] = &fstest.MapFile{Data: []byte("cpu  130 0 110 850 10 0 0 0 0 0\ncpu0 0 0 0 0\ncpu1 0 0 0 0\nbtime 1700000000\n")}
		return nil
	}})
	snap := s.Sample(context.Background(), t0, refs("host", "cpu", "mem", "swap", "load"))
	if len(snap.Errors) != 0 {
		t.Fatalf("errors: %v", snap.Errors)
	}
	if !snap.Time.Equal(t0) {
		t.Errorf("time = %v, want %v", snap.Time, t0)
	}
	if want := (host.Values{Name: "web-01", UptimeS: 3600.5, Cores: 2}); snap.Host != want {
		t.Errorf("host = %+v, want %+v", snap.Host, want)
	}
	if want := (cpu.Values{Pct: 40, Avg3: 40, IOWaitPct: 10}); snap.CPU != want {
		t.Errorf("cpu = %+v, want %+v", snap.CPU, want)
	}
	// In MiB: total 4096, available 3072 → real 25 %;
	// used 4096 − 1024 − 256 − 1024 − 256 = 1536 → 37.5 %; cache 1024 + 256 = 1280;
	// free 1024; buff/cache 256 + 1280 = 1536; no Shmem line: shared 0.
	const mib = 1 << 20
	if want := (mem.Values{TotalBytes: 4096 * mib, AvailableBytes: 3072 * mib, UsedBytes: 1536 * mib,
		CacheBytes: 1280 * mib, BuffersBytes: 256 * mib, RealPct: 25, UsedPct: 37.5,
		FreeBytes: 1024 * mib, BuffCacheBytes: 1536 * mib}); snap.Mem != want {
		t.Errorf("mem = %+v, want %+v", snap.Mem, want)
	}
	// 1024 − 768 = 256 MiB of 1024 used; no rates on the first sample.
	if want := (swap.Values{TotalBytes: 1024 * mib, UsedBytes: 256 * mib, UsedPct: 25}); snap.Swap != want {
		t.Errorf("swap = %+v, want %+v", snap.Swap, want)
	}
	if want := (load.Values{Avg1: 3, Avg5: 2, Avg15: 1, PerCore1: 1.5}); snap.Load != want {
		t.Errorf("load = %+v, want %+v", snap.Load, want)
	}

	// The next tick, 15 s later: deltas against the previous sample, no window.
	fsys["stat"] = &fstest.MapFile{Data: []byte("cpu  190 0 110 890 10 0 0 0 0 0\ncpu0 0 0 0 0\ncpu1 0 0 0 0\nbtime 1700000000\n")}
	fsys["vmstat"] = &fstest.MapFile{Data: []byte("pswpin 1300\npswpout 2030\n")}
	s.cpu.Wait = func(context.Context, time.Duration) error {
		t.Error("waited although a previous cpu sample exists")
		return nil
	}
	snap = s.Sample(context.Background(), t0.Add(15*time.Second), refs("cpu", "swap"))
	// Δuser 60, Δidle 40 → 60 %, avg3 (40 + 60)/2 = 50; 300 pages in, 30 out over 15 s.
	if want := (cpu.Values{Pct: 60, Avg3: 50}); snap.CPU != want {
		t.Errorf("second cpu = %+v, want %+v", snap.CPU, want)
	}
	if snap.Swap.InPerS != 20 || snap.Swap.OutPerS != 2 {
		t.Errorf("swap rates = %v in, %v out per s, want 20 and 2", snap.Swap.InPerS, snap.Swap.OutPerS)
	}
}

// Only the asked-for probes are read: sampling mem must not need /proc/stat, and a probe
// that cannot be read fails alone.
func TestSystemReadsOnlyWhatIsAsked(t *testing.T) {
	noStat := machine()
	delete(noStat, "stat")

	tests := []struct {
		name       string
		fsys       fstest.MapFS
		refs       []Ref
		wantOpened map[string]int
		wantErrs   map[string]string // ref → part of its error
	}{
		{
			name:       "mem without stat",
			fsys:       noStat,
			refs:       refs("mem"),
			wantOpened: map[string]int{"meminfo": 1},
		},
		{
			name:       "cpu fails alone without stat",
			fsys:       noStat,
			refs:       refs("mem", "cpu"),
			wantOpened: map[string]int{"meminfo": 1, "stat": 1},
			wantErrs:   map[string]string{"cpu": "cpu: read /proc/stat: open stat: file does not exist"},
		},
		{
			name:       "host and load need cores from stat",
			fsys:       noStat,
			refs:       refs("host", "load", "swap"),
			wantOpened: map[string]int{"stat": 1, "meminfo": 1, "vmstat": 1},
			wantErrs: map[string]string{
				"host": "host: count cores: read /proc/stat",
				"load": "load: count cores: read /proc/stat",
			},
		},
		{
			name:       "mem and swap share one meminfo read",
			fsys:       machine(),
			refs:       refs("mem", "swap"),
			wantOpened: map[string]int{"meminfo": 1, "vmstat": 1},
		},
		{
			name:       "host, load and cpu share the first stat read",
			fsys:       machine(),
			refs:       refs("load", "host", "cpu"),
			wantOpened: map[string]int{"stat": 2, "loadavg": 1, "uptime": 1}, // 2: the window's second reading
		},
		{
			name:       "nothing asked, nothing read",
			fsys:       machine(),
			refs:       nil,
			wantOpened: map[string]int{},
		},
		{
			name:       "refs repeated",
			fsys:       machine(),
			refs:       refs("mem", "mem", "load", "load"),
			wantOpened: map[string]int{"meminfo": 1, "stat": 1, "loadavg": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfs := &countingFS{FS: tt.fsys}
			s := NewSystem(Options{ProcFS: cfs, Hostname: "h", Wait: func(context.Context, time.Duration) error { return nil }})
			snap := s.Sample(context.Background(), t0, tt.refs)
			if len(cfs.opened) != len(tt.wantOpened) {
				t.Errorf("opened %v, want %v", cfs.opened, tt.wantOpened)
			}
			for name, n := range tt.wantOpened {
				if cfs.opened[name] != n {
					t.Errorf("opened %v, want %v", cfs.opened, tt.wantOpened)
					break
				}
			}
			if len(snap.Errors) != len(tt.wantErrs) {
				t.Errorf("errors %v, want %d", snap.Errors, len(tt.wantErrs))
			}
			for ref, want := range tt.wantErrs {
				err := snap.Err(Ref{Kind: ref})
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("%s: error %v, want one containing %q", ref, err, want)
				}
			}
		})
	}
}

func TestSystemBrokenFileFailsOneProbe(t *testing.T) {
	fsys := machine()
	fsys["loadavg"] = &fstest.MapFile{Data: []byte("garbage\n")}
	s := NewSystem(Options{ProcFS: fsys, Hostname: "h", Wait: func(context.Context, time.Duration) error { return nil }})
	snap := s.Sample(context.Background(), t0, refs("host", "cpu", "mem", "swap", "load"))
	if len(snap.Errors) != 1 || snap.Err(Ref{Kind: "load"}) == nil {
		t.Fatalf("errors %v, want one for load", snap.Errors)
	}
	if want := "load: /proc/loadavg has 1 fields, want at least 3"; !strings.HasPrefix(snap.Err(Ref{Kind: "load"}).Error(), want) {
		t.Errorf("load error %q, want it to start with %q", snap.Err(Ref{Kind: "load"}), want)
	}
	if snap.Load != (load.Values{}) {
		t.Errorf("load = %+v alongside its error, want zero", snap.Load)
	}
	if snap.Mem.TotalBytes == 0 || snap.Host.Name != "h" {
		t.Errorf("the other probes were not sampled: %+v", snap)
	}
}

func TestSystemRefErrors(t *testing.T) {
	s := NewSystem(Options{ProcFS: machine(), Declared: []Declared{
		{Ref: Ref{Kind: "tcp", Name: "nowhere"}, Attrs: map[string]any{"address": "no-port"}},
	}})
	snap := s.Sample(context.Background(), t0, refs("bogus", "cpu.extra", "http.undeclared", "tcp.nowhere"))
	for ref, want := range map[string]string{
		"bogus":           `unknown probe kind "bogus"`,
		"cpu.extra":       "built-in",
		"http.undeclared": `no probe "http" "undeclared" is declared`,
		"tcp.nowhere":     "tcp.nowhere: ",
	} {
		if err := snap.Err(refs(ref)[0]); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", ref, err, want)
		}
	}
}

// TestSystemNamedProbes samples declared probes against real local targets, concurrently.
func TestSystemNamedProbes(t *testing.T) {
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		time.Sleep(100 * time.Millisecond)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	ln, err := stdnet.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	log := filepath.Join(t.TempDir(), "app.log")
	os.WriteFile(log, []byte("hello"), 0o644)
	// This test process, by its PID: other probes.test processes may run beside it (other
	// packages' tests, another checkout's), so its name would not pick it alone.
	pidfile := filepath.Join(t.TempDir(), "me.pid")
	os.WriteFile(pidfile, []byte(strconv.Itoa(os.Getpid())), 0o644)
	s := NewSystem(Options{Declared: []Declared{
		{Ref: Ref{Kind: "http", Name: "site"}, Attrs: map[string]any{"url": srv.URL, "body_match": "^ok$"}},
		{Ref: Ref{Kind: "tcp", Name: "db"}, Attrs: map[string]any{"address": ln.Addr().String()}},
		{Ref: Ref{Kind: "command", Name: "queue"}, Attrs: map[string]any{"command": []string{"/bin/sh", "-c", "sleep 0.1; echo 42"}}},
		{Ref: Ref{Kind: "file", Name: "applog"}, Attrs: map[string]any{"path": log}},
		{Ref: Ref{Kind: "process", Name: "me"}, Attrs: map[string]any{"pidfile": pidfile}},
	}})
	start := time.Now()
	snap := s.Sample(context.Background(), time.Now(), refs("http.site", "tcp.db", "command.queue", "file.applog", "process", "disk", "net"))
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("sampling took %s", took)
	}
	if len(snap.Errors) > 0 {
		t.Fatalf("errors: %v", snap.Errors)
	}
	if v := snap.Named["http"]["site"].(http.Values); !v.Up || v.Status != 200 || v.LatencyMs < 100 {
		t.Errorf("http: %+v", v)
	}
	if v := snap.Named["tcp"]["db"].(tcp.Values); !v.Up {
		t.Errorf("tcp: %+v", v)
	}
	if v := snap.Named["command"]["queue"].(command.Values); v.Value != 42 || v.ExitCode != 0 {
		t.Errorf("command: %+v", v)
	}
	if v := snap.Named["file"]["applog"].(file.Values); !v.Exists || v.SizeBytes != 5 {
		t.Errorf("file: %+v", v)
	}
	if v := snap.Named["process"]["me"].(process.Values); v.Count != 1 || v.RSSBytes == 0 {
		t.Errorf("process: %+v", v)
	}
	if _, ok := snap.Disk["/"]; !ok {
		t.Errorf("disk has no /: %v", snap.Disk)
	}
}

func TestCheckAttrs(t *testing.T) {
	for _, tc := range []struct {
		kind  string
		attrs map[string]any
		ok    bool
	}{
		{"tcp", map[string]any{"address": "127.0.0.1:5432"}, true},
		{"tcp", map[string]any{"address": "127.0.0.1"}, false},
		{"file", map[string]any{"path": "relative/app.log"}, false},
		{"process", map[string]any{"pidfile": "run/app.pid"}, false},
		{"http", map[string]any{"url": "http://127.0.0.1/", "method": "HEAD", "body_match": "ok"}, false},
		{"cpu", map[string]any{"samples": 3.0}, true},
	} {
		if err := CheckAttrs(tc.kind, tc.attrs); (err == nil) != tc.ok {
			t.Errorf("CheckAttrs(%s, %v) = %v", tc.kind, tc.attrs, err)
		}
	}
}

// A cron run saves the state as JSON; the next run restores it and measures cpu since the
// previous run without a window.
func TestSystemStateAcrossRuns(t *testing.T) {
	fsys := machine()
	first := NewSystem(Options{ProcFS: fsys, Wait: func(context.Context, time.Duration) error { return nil }})
	first.Sample(context.Background(), t0, refs("cpu", "swap"))
	raw, err := json.Marshal(first.State())
	if err != nil {
		t.Fatal(err)
	}
	var st SystemState
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}

	fsys["stat"] = &fstest.MapFile{Data: []byte("cpu  160 0 100 840 0 0 0 0 0 0\nbtime 1700000000\n")} // Δuser 60, Δidle 40
	fsys["vmstat"] = &fstest.MapFile{Data: []byte("pswpin 1600\npswpout 2000\n")}                      // 600 in over a minute
	next := NewSystem(Options{ProcFS: fsys, Wait: func(context.Context, time.Duration) error {
		t.Error("waited although the state held a previous cpu sample")
		return nil
	}})
	next.Restore(st)
	snap := next.Sample(context.Background(), t0.Add(time.Minute), refs("cpu", "swap"))
	if len(snap.Errors) != 0 {
		t.Fatal(snap.Errors)
	}
	// The first run's window saw identical readings: no ticks, which weigh nothing in
	// avg3 = (0 + 60)/(0 + 100).
	if want := (cpu.Values{Pct: 60, Avg3: 60}); snap.CPU != want {
		t.Errorf("cpu = %+v, want %+v", snap.CPU, want)
	}
	if snap.Swap.InPerS != 10 {
		t.Errorf("swap in = %v per s, want 10", snap.Swap.InPerS)
	}
}

func TestSystemCancelledWindow(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := NewSystem(Options{ProcFS: machine(), CPUWindow: time.Hour})
	snap := s.Sample(ctx, t0, refs("cpu", "mem"))
	if err := snap.Err(Ref{Kind: "cpu"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cpu error %v, want context.Canceled", err)
	}
	if snap.Mem.TotalBytes == 0 || snap.Err(Ref{Kind: "mem"}) != nil {
		t.Errorf("mem not sampled: %+v, %v", snap.Mem, snap.Err(Ref{Kind: "mem"}))
	}
}

func TestSystemConcurrent(t *testing.T) {
	s := NewSystem(Options{ProcFS: machine(), Wait: func(context.Context, time.Duration) error { return nil }})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				snap := s.Sample(context.Background(), t0.Add(time.Duration(i*100+j)*time.Second), refs("host", "cpu", "mem", "swap", "load"))
				if len(snap.Errors) != 0 {
					t.Error(snap.Errors)
				}
				s.Restore(s.State())
			}
		})
	}
	wg.Wait()
}

func TestSystemLive(t *testing.T) {
	if _, err := os.Stat("/proc/stat"); err != nil {
		t.Skip("no /proc here")
	}
	s := NewSystem(Options{CPUWindow: 200 * time.Millisecond})
	snap := s.Sample(context.Background(), time.Now(), refs("host", "cpu", "mem", "swap", "load"))
	if len(snap.Errors) != 0 {
		t.Fatal(snap.Errors)
	}
	if snap.Host.Name == "" || snap.Host.Cores < 1 || snap.Host.UptimeS <= 0 {
		t.Errorf("host = %+v", snap.Host)
	}
	if !(snap.CPU.Pct >= 0 && snap.CPU.Pct <= 100) {
		t.Errorf("cpu = %+v", snap.CPU)
	}
	if snap.Mem.TotalBytes <= 0 || !(snap.Mem.RealPct >= 0 && snap.Mem.RealPct <= 100) {
		t.Errorf("mem = %+v", snap.Mem)
	}
}

// BenchmarkSystemSample is one daemon tick of the built-in probes on this machine: cpu has a
// previous sample, so nothing waits.
func BenchmarkSystemSample(b *testing.B) {
	if _, err := os.Stat("/proc/stat"); err != nil {
		b.Skip("no /proc here")
	}
	s := NewSystem(Options{Wait: func(context.Context, time.Duration) error { return nil }})
	all := refs("host", "cpu", "mem", "swap", "load")
	if snap := s.Sample(context.Background(), time.Now(), all); len(snap.Errors) != 0 {
		b.Fatal(snap.Errors)
	}
	b.ReportAllocs()
	now := time.Now()
	for b.Loop() {
		now = now.Add(time.Second)
		s.Sample(context.Background(), now, all)
	}
}

// TestProbeInterval: a probe with its own interval is sampled at most that often; between
// samples rules read its last values.
func TestProbeInterval(t *testing.T) {
	counter := filepath.Join(t.TempDir(), "n")
	s := NewSystem(Options{Declared: []Declared{
		{Ref: Ref{Kind: "command", Name: "slow"}, Attrs: map[string]any{
			"command":  []string{"/bin/sh", "-c", "echo x >> " + counter + "; wc -l < " + counter},
			"interval": time.Minute,
		}},
		{Ref: Ref{Kind: "command", Name: "fast"}, Attrs: map[string]any{"command": []string{"/bin/echo", "1"}}},
	}})
	start := time.Now()
	var got []float64
	for i := 0; i < 4; i++ { // at 0, 20, 40, 60 s
		snap := s.Sample(context.Background(), start.Add(time.Duration(i)*20*time.Second), refs("command.slow", "command.fast"))
		got = append(got, snap.Named["command"]["slow"].(command.Values).Value)
		if snap.Named["command"]["fast"].(command.Values).Value != 1 {
			t.Fatalf("the probe without interval was not sampled at tick %d", i)
		}
	}
	if fmt.Sprint(got) != "[1 1 1 2]" {
		t.Errorf("slow probe values %v, want [1 1 1 2]: sampled at 0 s and 60 s only", got)
	}
}

// A peek (a renotify's extra sample) reads fresh rates and moves no baseline: the state
// the next tick measures from is the same before and after it.
func TestSystemPeekMovesNoBaseline(t *testing.T) {
	fsys := machine()
	set := func(user, idle, rx, swapIn, procTicks int) {
		fsys["stat"] = &fstest.MapFile{Data: fmt.Appendf(nil, "cpu  %d 0 100 %d 0 0 0 0 0 0\ncpu0 0 0 0 0\ncpu1 0 0 0 0\nbtime 1700000000\n", user, idle)}
		fsys["net/dev"] = &fstest.MapFile{Data: fmt.Appendf(nil, "eth0: %d 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n", rx)}
		fsys["vmstat"] = &fstest.MapFile{Data: fmt.Appendf(nil, "pswpin %d\npswpout 0\n", swapIn)}
		fsys["42/stat"] = &fstest.MapFile{Data: fmt.Appendf(nil, "42 (worker) S 1 42 42 0 -1 0 0 0 0 0 %d 0 0 0 20 0 1 0 5 1000 10 0 0 0 0\n", procTicks)}
	}
	fsys["net/tcp"] = &fstest.MapFile{Data: []byte("  sl  local_address rem_address   st\n")}
	s := NewSystem(Options{ProcFS: fsys, Wait: func(context.Context, time.Duration) error { return nil },
		Declared: []Declared{{Ref: Ref{Kind: "process", Name: "w"}, Attrs: map[string]any{"match": "^worker$"}}}})
	s.SetInterval(15 * time.Second)
	all := refs("cpu", "swap", "net", "process.w")
	state := func() string {
		raw, err := json.Marshal(s.State())
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}

	set(100, 800, 0, 1000, 100)
	s.Sample(context.Background(), t0, all)
	set(200, 900, 15000, 1150, 250)
	if snap := s.Sample(context.Background(), t0.Add(15*time.Second), all); len(snap.Errors) > 0 {
		t.Fatal(snap.Errors)
	}
	before := state()
	set(290, 910, 25000, 1250, 350)
	snap := s.Peek(context.Background(), t0.Add(20*time.Second), all)
	if len(snap.Errors) > 0 {
		t.Fatal(snap.Errors)
	}
	if after := state(); after != before {
		t.Errorf("the peek moved a baseline:\nbefore %s\nafter  %s", before, after)
	}
	// Over the 5 s since the tick: 90 of 100 cpu ticks; 10000 B; 100 pages; 100 of the
	// worker's ticks = 1 s of CPU.
	if snap.CPU.Pct != 90 {
		t.Errorf("cpu.pct = %v, want 90", snap.CPU.Pct)
	}
	if r := snap.Net.Interfaces["eth0"].RxBytesPerS; r != 2000 {
		t.Errorf("eth0 rx = %v B/s, want 2000", r)
	}
	if snap.Swap.InPerS != 20 {
		t.Errorf("swap in = %v per s, want 20", snap.Swap.InPerS)
	}
	if v := snap.Named["process"]["w"].(process.Values); v.CPUPct != 20 {
		t.Errorf("process cpu_pct = %v, want 20", v.CPUPct)
	}
}
