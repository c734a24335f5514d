package process

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/notimon/notimon/probes/internal/fixture"
)

// fakeProc is one process of a fake /proc tree.
type fakeProc struct {
	pid          int
	comm         string
	state        byte
	utime, stime uint64
	start        uint64 // clock ticks after boot
	rss          int64  // pages
	cmdline      string // NUL-separated, as the kernel writes it
}

func (p fakeProc) stat() string {
	// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
	// utime stime cutime cstime priority nice threads itrealvalue starttime vsize rss …
	return fmt.Sprintf("%d (%s) %c 1 %d %d 0 -1 4194560 1000 0 0 0 %d %d 7 7 20 0 1 0 %d 123456789 %d 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 0 0 0 0 0 0\n",
		p.pid, p.comm, p.state, p.pid, p.pid, p.utime, p.stime, p.start, p.rss)
}

const btime = 1_767_225_600 // 2026-01-01T00:00:00Z

// procFS builds a /proc with /proc/stat (btime) and the given processes.
func procFS(bt int64, procs ...fakeProc) fstest.MapFS {
	m := fstest.MapFS{
		"stat":    {Data: fmt.Appendf(nil, "cpu 1 2 3 4\nbtime %d\nprocesses 1000\n", bt)},
		"self":    {Mode: fs.ModeSymlink | 0o777, Data: []byte("1")},
		"meminfo": {Data: []byte("MemTotal: 1 kB\n")},
		"sys":     {Mode: fs.ModeDir | 0o555},
	}
	for _, p := range procs {
		dir := fmt.Sprint(p.pid)
		m[dir+"/stat"] = &fstest.MapFile{Data: []byte(p.stat())}
		m[dir+"/cmdline"] = &fstest.MapFile{Data: []byte(p.cmdline)}
	}
	return m
}

// A machine running an Apache with a zombie worker, a php-fpm pool, a java service, a
// kernel thread and an sshd.
var machine = []fakeProc{
	{pid: 1, comm: "systemd", state: 'S', start: 1, rss: 3000, cmdline: "/sbin/init\x00splash\x00"},
	{pid: 2, comm: "kthreadd", state: 'S', start: 1},
	{pid: 95, comm: "kworker/0:1-events", state: 'I', start: 90},
	{pid: 800, comm: "sshd", state: 'S', start: 1000, rss: 2000, cmdline: "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups\x00"},
	{pid: 1200, comm: "httpd", state: 'S', utime: 100, stime: 50, start: 50_000, rss: 5000, cmdline: "/usr/sbin/httpd\x00-DFOREGROUND\x00"},
	{pid: 1201, comm: "httpd", state: 'S', utime: 10, stime: 5, start: 50_100, rss: 1000, cmdline: "/usr/sbin/httpd\x00-DFOREGROUND\x00"},
	{pid: 1202, comm: "httpd", state: 'Z', utime: 3, stime: 1, start: 50_200},
	{pid: 1300, comm: "httpd-helper", state: 'S', start: 50_300, rss: 100, cmdline: "/usr/libexec/httpd-helper\x00"},
	{pid: 2000, comm: "php-fpm7.4", state: 'S', start: 60_000, rss: 4000, cmdline: "php-fpm: master process (/etc/php/7.4/fpm/php-fpm.conf)\x00\x00\x00"},
	{pid: 2001, comm: "php-fpm7.4", state: 'S', start: 60_010, rss: 3000, cmdline: "php-fpm: pool www\x00\x00\x00"},
	{pid: 3000, comm: "java", state: 'S', utime: 9000, stime: 1000, start: 70_000, rss: 250_000, cmdline: "/usr/bin/java\x00-Xmx2g\x00-jar\x00/opt/shop/shop.jar\x00"},
	{pid: 3100, comm: "java", state: 'S', start: 71_000, rss: 100_000, cmdline: "/usr/bin/java\x00-jar\x00/opt/search/search.jar\x00"},
	{pid: 4000, comm: "tmux: server", state: 'S', start: 80_000, rss: 700, cmdline: "tmux\x00"},
	{pid: 4100, comm: "weird) (name", state: 'R', utime: 1, start: 80_100, rss: 1, cmdline: "./weird\x00"},
}

func sel(t *testing.T, match, cmdline, pidfile string) Selector {
	t.Helper()
	s, err := NewSelector(match, cmdline, pidfile)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func pids(procs []Proc) string {
	var s []string
	for _, p := range procs {
		s = append(s, fmt.Sprint(p.PID))
	}
	return strings.Join(s, " ")
}

func TestMatch(t *testing.T) {
	pidfiles := map[string]string{
		"/run/httpd/httpd.pid": "1200\n",
		"/run/stale.pid":       "31337\n",
		"/run/garbage.pid":     "not a pid\n",
		"/run/empty.pid":       "",
		"/run/padded.pid":      "  2000  \nextra line\n",
		"/run/negative.pid":    "-1\n",
	}
	readFile := func(name string) ([]byte, error) {
		if name == "/run/secret.pid" {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
		}
		data, ok := pidfiles[name]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
		return []byte(data), nil
	}
	tests := []struct {
		name                    string
		match, cmdline, pidfile string
		want                    string // PIDs in scan order
		wantErr                 string
	}{
		{name: "exact name includes the zombie", match: "^httpd$", want: "1200 1201 1202"},
		{name: "unanchored name", match: "httpd", want: "1200 1201 1202 1300"},
		{name: "name as ps shows it, not the rewritten argv", match: "^php-fpm", want: "2000 2001"},
		{name: "rewritten argv through cmdline", cmdline: "^php-fpm: pool www$", want: "2001"},
		{name: "cmdline with spaces for NULs and no trailing space", cmdline: "^/usr/bin/java -Xmx2g -jar /opt/shop/shop\\.jar$", want: "3000"},
		{name: "cmdline never matches a zombie or kernel thread", cmdline: "^$", want: ""},
		{name: "kernel thread by name", match: "^kworker/", want: "95"},
		{name: "name with a space", match: "^tmux: server$", want: "4000"},
		{name: "name with parentheses", match: `^weird\) \(name$`, want: "4100"},
		{name: "no such process", match: "^nginx$", want: ""},
		{name: "pidfile selects that process only, not its children", pidfile: "/run/httpd/httpd.pid", want: "1200"},
		{name: "pidfile and match must both hold", pidfile: "/run/httpd/httpd.pid", match: "^java$", want: ""},
		{name: "pidfile with spaces and a second line", pidfile: "/run/padded.pid", want: "2000"},
		{name: "stale pidfile", pidfile: "/run/stale.pid", want: ""},
		{name: "missing pidfile", pidfile: "/run/none.pid", want: ""},
		{name: "empty pidfile", pidfile: "/run/empty.pid", want: ""},
		{name: "garbage pidfile", pidfile: "/run/garbage.pid", wantErr: `pidfile /run/garbage.pid: "not a pid" is not a process ID`},
		{name: "negative pid", pidfile: "/run/negative.pid", wantErr: `pidfile /run/negative.pid: "-1" is not a process ID`},
		{name: "unreadable pidfile", pidfile: "/run/secret.pid", wantErr: "pidfile: open /run/secret.pid: permission denied"},
	}
	table, err := Scan(procFS(btime, machine...))
	if err != nil {
		t.Fatal(err)
	}
	table.ReadFile = readFile
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := table.Match(sel(t, tt.match, tt.cmdline, tt.pidfile))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g := pids(got); g != tt.want {
				t.Errorf("selected PIDs %q, want %q", g, tt.want)
			}
		})
	}
}

func TestNewSelector(t *testing.T) {
	tests := []struct {
		match, cmdline, pidfile string
		wantErr                 string
	}{
		{wantErr: "a process probe needs match, cmdline or pidfile"},
		{match: "(", wantErr: "match: error parsing regexp: missing closing ): `(`"},
		{cmdline: "[", wantErr: "cmdline: error parsing regexp: missing closing ]: `[`"},
		{pidfile: "run/x.pid", wantErr: `pidfile "run/x.pid" is not an absolute path`},
		{match: "^a$", cmdline: "b", pidfile: "/run/c.pid"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q %q %q", tt.match, tt.cmdline, tt.pidfile), func(t *testing.T) {
			_, err := NewSelector(tt.match, tt.cmdline, tt.pidfile)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
	if _, err := (&Table{}).Match(Selector{}); err == nil {
		t.Error("an empty selector matched")
	}
}

func TestValues(t *testing.T) {
	t0 := time.Unix(btime, 0).Add(1000 * time.Second) // 1000 s after boot
	s := &Sampler{FS: procFS(btime, machine...), PageSize: 4096}
	vals, errs := s.Sample(t0, map[string]Selector{
		"httpd": sel(t, "^httpd$", "", ""),
		"shop":  sel(t, "", "shop\\.jar", ""),
		"none":  sel(t, "^nginx$", "", ""),
	})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	// httpd: 3 processes (one a zombie); rss (5000 + 1000 + 0) × 4096; the oldest started
	// 50000 ticks = 500 s after boot → 1000 − 500 = 500 s. The first sample has no
	// previous CPU times: cpu_pct 0.
	// shop: 1 process, 250000 pages; started at 700 s → 300 s old.
	want := map[string]Values{
		"httpd": {Count: 3, RSSBytes: 6000 * 4096, OldestAgeS: 500},
		"shop":  {Count: 1, RSSBytes: 250_000 * 4096, OldestAgeS: 300},
		"none":  {},
	}
	for name, w := range want {
		checkValues(t, name, vals[name], w)
	}
}

func checkValues(t *testing.T, name string, got, want Values) {
	t.Helper()
	for _, f := range []struct {
		field     string
		got, want float64
	}{
		{"count", got.Count, want.Count},
		{"rss_bytes", got.RSSBytes, want.RSSBytes},
		{"cpu_pct", got.CPUPct, want.CPUPct},
		{"oldest_age_s", got.OldestAgeS, want.OldestAgeS},
	} {
		if math.Abs(f.got-f.want) > 1e-6 {
			t.Errorf("%s: %s = %v, want %v", name, f.field, f.got, f.want)
		}
	}
}

// CPU use across scans, 10 s apart, with processes that start, exit and reuse a PID.
func TestCPUAcrossScans(t *testing.T) {
	t0 := time.Unix(btime, 0).Add(time.Hour)
	worker := func(pid int, start, ticks uint64) fakeProc {
		return fakeProc{pid: pid, comm: "worker", state: 'S', utime: ticks, start: start, rss: 10}
	}
	steps := []struct {
		at    time.Time
		procs []fakeProc
		want  Values
	}{
		{ // First scan: no previous times → 0.
			at:    t0,
			procs: []fakeProc{worker(10, 100, 1000), worker(11, 200, 500), worker(12, 300, 700)},
			want:  Values{Count: 3, CPUPct: 0},
		},
		{ // 10 s later: 10 used 200 ticks = 2 s → 20 %; 11 used 1000 ticks = 10 s → 100 %;
			// 12 exited; 13 is new (300 ticks since it started, but unknown last time) → 0.
			at:    t0.Add(10 * time.Second),
			procs: []fakeProc{worker(10, 100, 1200), worker(11, 200, 1500), worker(13, 400, 300)},
			want:  Values{Count: 3, CPUPct: 120},
		},
		{ // 5 s later: PID 11 was reused (start 900 ≠ 200): its 50 ticks are not a delta
			// against the old 1500; 10 +25 ticks, 13 +100 → 125 ticks / 5 s → 25 %.
			at:    t0.Add(15 * time.Second),
			procs: []fakeProc{worker(10, 100, 1225), worker(11, 900, 50), worker(13, 400, 400)},
			want:  Values{Count: 3, CPUPct: 25},
		},
		{ // 5 s later: the new PID 11 now counts: +250 → 5 s → 50 %; 10 and 13 idle.
			at:    t0.Add(20 * time.Second),
			procs: []fakeProc{worker(10, 100, 1225), worker(11, 900, 300), worker(13, 400, 400)},
			want:  Values{Count: 3, CPUPct: 50},
		},
		{ // The clock did not move: no interval, 0.
			at:    t0.Add(20 * time.Second),
			procs: []fakeProc{worker(10, 100, 2000)},
			want:  Values{Count: 1, CPUPct: 0},
		},
	}
	s := &Sampler{PageSize: 4096}
	sels := map[string]Selector{"w": sel(t, "^worker$", "", "")}
	for i, st := range steps {
		s.FS = procFS(btime, st.procs...)
		vals, errs := s.Sample(st.at, sels)
		if len(errs) > 0 {
			t.Fatalf("step %d: %v", i, errs)
		}
		st.want.RSSBytes = st.want.Count * 10 * 4096
		st.want.OldestAgeS = st.at.Sub(time.Unix(btime, 0)).Seconds() - 1 // PID 10 started at 100 ticks
		checkValues(t, fmt.Sprintf("step %d", i), vals["w"], st.want)
	}
}

// cpu_pct is measured over at least the minimum interval: a scan too soon after the
// previous one measures from the one before, and a peek leaves the baseline in place.
func TestShortIntervals(t *testing.T) {
	t0 := time.Unix(btime, 0).Add(time.Hour)
	s := &Sampler{PageSize: 4096}
	s.SetMinInterval(500 * time.Millisecond)
	sels := map[string]Selector{"w": sel(t, "^worker$", "", "")}
	steps := []struct {
		at     time.Duration
		ticks  uint64
		peek   bool
		want   float64
		reason string
	}{
		{0, 1000, false, 0, "the first scan"},
		{time.Second, 1050, false, 50, "50 ticks (0.5 s of CPU) in 1 s"},
		{1002 * time.Millisecond, 1051, false, 51 / 1.002, "2 ms later: from the first scan, not 1 tick in 2 ms (500 %)"},
		{2 * time.Second, 1110, false, 60, "60 ticks since the scan at 1 s"},
		{2200 * time.Millisecond, 1120, true, 70 / 1.2, "a peek 0.2 s after the tick: from the scan at 1 s"},
		{4 * time.Second, 1150, false, 20, "the next tick: 40 ticks since the tick at 2 s"},
	}
	for _, st := range steps {
		s.FS = procFS(btime, fakeProc{pid: 10, comm: "worker", state: 'S', utime: st.ticks, start: 100, rss: 10})
		var vals map[string]Values
		var errs map[string]error
		if st.peek {
			vals, errs = s.Peek(t0.Add(st.at), sels, time.Second)
		} else {
			vals, errs = s.Sample(t0.Add(st.at), sels)
		}
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		if got := vals["w"].CPUPct; math.Abs(got-st.want) > 1e-9 {
			t.Errorf("at %v: cpu_pct %v, want %v (%s)", st.at, got, st.want, st.reason)
		}
	}
	if st := s.State(); !st.Time.Equal(t0.Add(4*time.Second)) || st.Before == nil || !st.Before.Time.Equal(t0.Add(2*time.Second)) {
		t.Errorf("state %+v: want the scans of the ticks at 4 s and 2 s", st)
	}
}

// A cron run saves State as JSON; the next run restores it and measures CPU since then.
// After a reboot the saved times are dropped.
func TestStateAcrossRuns(t *testing.T) {
	t0 := time.Unix(btime, 0).Add(time.Hour)
	sels := map[string]Selector{"java": sel(t, "^java$", "", "")}
	first := &Sampler{FS: procFS(btime, fakeProc{pid: 3000, comm: "java", utime: 1000, start: 5}), PageSize: 4096}
	first.Sample(t0, sels)
	raw, err := json.Marshal(first.State())
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"time":"2026-01-01T01:00:00Z","boot_time":1767225600,"procs":[{"pid":3000,"start":5,"ticks":1000}]}`; string(raw) != want {
		t.Errorf("state JSON\n got %s\nwant %s", raw, want)
	}
	var st State
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}

	// 60 s later, 3000 more ticks = 30 s of CPU → 50 %.
	next := &Sampler{FS: procFS(btime+1, fakeProc{pid: 3000, comm: "java", utime: 4000, start: 5}), PageSize: 4096}
	next.Restore(st)
	vals, _ := next.Sample(t0.Add(time.Minute), sels)
	if got := vals["java"].CPUPct; math.Abs(got-50) > 1e-9 {
		t.Errorf("cpu_pct after restore = %v, want 50", got)
	}

	// Rebooted: PID 3000 with start 5 again, but its ticks are not comparable.
	rebooted := &Sampler{FS: procFS(btime+86400, fakeProc{pid: 3000, comm: "java", utime: 1500, start: 5}), PageSize: 4096}
	rebooted.Restore(st)
	vals, _ = rebooted.Sample(t0.Add(25*time.Hour), sels)
	if got := vals["java"].CPUPct; got != 0 {
		t.Errorf("cpu_pct across a reboot = %v, want 0", got)
	}

	if got := (&Sampler{}).State(); got.Procs != nil || !got.Time.IsZero() {
		t.Errorf("fresh state %+v", got)
	}
	raw, _ = json.Marshal(State{})
	if string(raw) != "{}" {
		t.Errorf("empty state JSON %s", raw)
	}
}

// vanishingFS makes some processes exit during the scan: listed in /proc, gone when their
// files are opened or read.
type vanishingFS struct {
	files fstest.MapFS     // not embedded: its ReadFile would bypass Open
	gone  map[string]error // file → error from Open
	mu    sync.Mutex
	open  map[string]int // files opened, for TestReadsOnlyWhatIsNeeded
}

func (v *vanishingFS) Open(name string) (fs.File, error) {
	v.mu.Lock()
	if v.open == nil {
		v.open = map[string]int{}
	}
	v.open[name]++
	v.mu.Unlock()
	if err, ok := v.gone[name]; ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return v.files.Open(name)
}

func TestVanishingProcesses(t *testing.T) {
	v := &vanishingFS{
		files: procFS(btime, machine...),
		gone: map[string]error{
			"1200/stat":    fs.ErrNotExist,   // exited before its stat was opened
			"1201/stat":    syscall.ESRCH,    // exited between open and read
			"1300/stat":    fs.ErrPermission, // hidepid
			"3100/cmdline": fs.ErrNotExist,   // exited between the scan and the match
		},
	}
	table, err := Scan(v)
	if err != nil {
		t.Fatal(err)
	}
	if table.Hidden != 1 {
		t.Errorf("hidden = %d, want 1", table.Hidden)
	}
	if got, err := table.Match(sel(t, "^httpd", "", "")); err != nil || pids(got) != "1202" {
		t.Errorf("httpd: %q, %v; want only the zombie 1202", pids(got), err)
	}
	if got, err := table.Match(sel(t, "", "java", "")); err != nil || pids(got) != "3000" {
		t.Errorf("java: %q, %v; want 3000", pids(got), err)
	}
}

// Without a cmdline selector no command line is read, and one is read once per scan
// however many selectors ask, and only for processes that passed the name first.
func TestReadsOnlyWhatIsNeeded(t *testing.T) {
	v := &vanishingFS{files: procFS(btime, machine...)}
	s := &Sampler{FS: v}
	s.Sample(time.Now(), map[string]Selector{"a": sel(t, "^httpd$", "", ""), "b": sel(t, "java", "", "")})
	for name := range v.open {
		if strings.HasSuffix(name, "/cmdline") {
			t.Errorf("read %s without a cmdline selector", name)
		}
	}
	v.open = nil
	s.Sample(time.Now(), map[string]Selector{
		"a": sel(t, "", "shop", ""),
		"b": sel(t, "", "search", ""),
		"c": sel(t, "^java$", "jar", ""),
	})
	for name, n := range v.open {
		if strings.HasSuffix(name, "/cmdline") && n != 1 {
			t.Errorf("read %s %d times", name, n)
		}
	}
	if n := v.open["1/cmdline"]; n != 1 {
		t.Errorf("1/cmdline read %d times, want once for the cmdline-only selectors", n)
	}
}

func TestScanErrors(t *testing.T) {
	garbled := procFS(btime, machine[:2]...)
	garbled["77/stat"] = &fstest.MapFile{Data: []byte("77 (bad) S 1 2 3\n")}
	wrongPID := procFS(btime)
	wrongPID["78/stat"] = &fstest.MapFile{Data: []byte(fakeProc{pid: 79, comm: "x", state: 'S'}.stat())}
	noBtime := procFS(btime)
	noBtime["stat"] = &fstest.MapFile{Data: []byte("cpu 1 2 3 4\n")}
	badBtime := procFS(btime)
	badBtime["stat"] = &fstest.MapFile{Data: []byte("btime soon\n")}
	noStat := procFS(btime)
	delete(noStat, "stat")
	tests := []struct {
		name    string
		fsys    fs.FS
		wantErr string
	}{
		{"a truncated stat", garbled, "scan /proc: /proc/77/stat: stat line ends after 6 fields, want at least 24"},
		{"a stat about another PID", wrongPID, "scan /proc: /proc/78/stat is about PID 79"},
		{"no btime", noBtime, "/proc/stat has no btime line (needed for process ages)"},
		{"garbage btime", badBtime, `/proc/stat: btime "soon" is not a time`},
		{"no /proc/stat", noStat, "read /proc/stat: open stat: file does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Scan(tt.fsys)
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			// Through a sampler, every probe reports the failure and gets zero values.
			vals, errs := New(tt.fsys).Sample(time.Now(), map[string]Selector{"a": sel(t, "x", "", ""), "b": sel(t, "y", "", "")})
			if len(errs) != 2 || errs["a"] == nil || errs["b"] == nil || vals["a"] != (Values{}) {
				t.Errorf("sample: %v, %v; want both probes failed", vals, errs)
			}
		})
	}
}

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Proc
		wantErr string
	}{
		{name: "plain", in: fakeProc{pid: 42, comm: "bash", state: 'S', utime: 7, stime: 3, start: 99, rss: 12}.stat(),
			want: Proc{PID: 42, Comm: "bash", State: 'S', Ticks: 10, StartTicks: 99, RSSPages: 12}},
		{name: "comm with ') ' inside", in: fakeProc{pid: 5, comm: "a) b (c", state: 'R', start: 1}.stat(),
			want: Proc{PID: 5, Comm: "a) b (c", State: 'R', StartTicks: 1}},
		{name: "empty comm", in: fakeProc{pid: 5, comm: "", state: 'Z'}.stat(),
			want: Proc{PID: 5, State: 'Z'}},
		{name: "negative rss read as 0", in: fakeProc{pid: 5, comm: "x", state: 'S', rss: -3}.stat(),
			want: Proc{PID: 5, Comm: "x", State: 'S'}},
		{name: "no parentheses", in: "5 bash S 1\n", wantErr: `"5 bash S 1\n" is not a stat line`},
		{name: "no pid", in: "(bash) S 1\n", wantErr: "is not a stat line"},
		{name: "pid not a number", in: "x5 (bash) S\n", wantErr: `PID "x5" is not a number`},
		{name: "utime not a number", in: strings.Replace(fakeProc{pid: 5, comm: "x", state: 'S', utime: 123}.stat(), " 123 ", " 1x3 ", 1), wantErr: `utime "1x3" is not a whole number`},
		{name: "starttime overflows", in: strings.Replace(fakeProc{pid: 5, comm: "x", state: 'S', start: 4242}.stat(), " 4242 ", " 99999999999999999999 ", 1), wantErr: `starttime "99999999999999999999" is not a whole number`},
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

// A stat longer than the read buffer (a long comm cannot happen, but a future kernel may
// add many fields) is read whole.
func TestLongStat(t *testing.T) {
	fsys := procFS(btime)
	fsys["9/stat"] = &fstest.MapFile{Data: []byte(strings.TrimSuffix(fakeProc{pid: 9, comm: "long", state: 'S', rss: 5}.stat(), "\n") + strings.Repeat(" 0", 3000) + "\n")}
	table, err := Scan(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(table.Procs) != 1 || table.Procs[0].RSSPages != 5 {
		t.Errorf("procs %+v", table.Procs)
	}
}

func TestConcurrentSamples(t *testing.T) {
	s := &Sampler{FS: procFS(btime, machine...)}
	sels := map[string]Selector{"httpd": sel(t, "^httpd$", "", ""), "java": sel(t, "", "java", "")}
	t0 := time.Unix(btime, 0).Add(time.Hour)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				vals, errs := s.Sample(t0.Add(time.Duration(g*100+i)*time.Second), sels)
				if len(errs) > 0 || vals["httpd"].Count != 3 || vals["java"].Count != 2 {
					t.Errorf("%v %v", vals, errs)
					return
				}
				s.Restore(s.State())
			}
		}()
	}
	wg.Wait()
}

// A real process, started with an argv nothing else has, is found by its command line.
func TestLive(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	arg := fmt.Sprintf("31.%06d", os.Getpid()%1_000_000)
	cmd := exec.Command("sleep", arg)
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})

	s := New(os.DirFS("/proc"))
	sels := map[string]Selector{"sleep": sel(t, "", "^sleep "+regexp.QuoteMeta(arg)+"$", "")}
	var v Values
	// The kernel sums a process's resident pages from per-CPU counters it folds in lazily:
	// on a busy machine a process just started can read rss 0 for a moment. Sample until it
	// does not, or 5 s have passed.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		vals, errs := s.Sample(time.Now(), sels)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		if v = vals["sleep"]; v.RSSBytes > 0 || time.Now().After(deadline) {
			break
		}
	}
	if v.Count != 1 || v.OldestAgeS < 0 || v.RSSBytes <= 0 {
		t.Errorf("sleep %s: %+v, want count 1, oldest_age_s ≥ 0, rss_bytes > 0", arg, v)
	}
	if v.OldestAgeS > 60 {
		t.Errorf("sleep started just now is %v s old", v.OldestAgeS)
	}
	st := s.State()
	if len(st.Procs) != 1 || st.Procs[0].PID != cmd.Process.Pid {
		t.Errorf("state %+v, want the sleep's PID %d", st, cmd.Process.Pid)
	}
	// The same process by name, with the other selector: the cheap scan finds it too.
	vals, _ := s.Sample(time.Now(), map[string]Selector{"sleep": sel(t, "^sleep$", "", "")})
	if vals["sleep"].Count < 1 {
		t.Errorf("no process named sleep: %+v", vals["sleep"])
	}
	table, err := Scan(os.DirFS("/proc"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d processes, %d hidden; sleep: %+v", len(table.Procs), table.Hidden, v)
}

func BenchmarkScan(b *testing.B) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		b.Skip("no /proc here")
	}
	fsys := os.DirFS("/proc")
	n := 0
	for b.Loop() {
		t, err := Scan(fsys)
		if err != nil {
			b.Fatal(err)
		}
		n = len(t.Procs)
	}
	b.ReportMetric(float64(n), "procs")
}

// A tick with three probes, one of them by command line.
func BenchmarkSample(b *testing.B) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		b.Skip("no /proc here")
	}
	s := New(os.DirFS("/proc"))
	sels := map[string]Selector{}
	for name, m := range map[string][3]string{"sshd": {"^sshd$"}, "go": {"^go$"}, "sleep": {"", "^sleep "}} {
		sel, err := NewSelector(m[0], m[1], m[2])
		if err != nil {
			b.Fatal(err)
		}
		sels[name] = sel
	}
	now := time.Now()
	for i := 0; b.Loop(); i++ {
		if _, errs := s.Sample(now.Add(time.Duration(i)*time.Second), sels); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}

// Whatever a stat file holds, parsing must not panic.
func FuzzParseStat(f *testing.F) {
	f.Add(fakeProc{pid: 1, comm: "x", state: 'S'}.stat())
	f.Add("1 () S")
	f.Add(")(")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseStat([]byte(s))
	})
}
