package net

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/notimon/notimon/probes/internal/fixture"
)

// The arithmetic behind each case's expected.json, done by hand. Call k reads step k at
// t0 + k × interval_s; rates are Δbytes / interval, 0 on the first call; lo never appears.
var fixtureCases = []string{
	// Recorded on this machine around an `apt-get update` (interval taken as 5 s):
	// eth0 rx 50461254 → 50704569 = 243315 B → 48663 B/s, tx 369828 → 372399 = 2571 B
	// → 514.2 B/s; ifb0 and ifb1 idle. tcp: one LISTEN on 0.0.0.0:07E8 (2024), then also
	// a TIME_WAIT from local port 941A (37914).
	"real",
	// An application server leaking sockets: 50 CLOSE_WAIT on 10.0.0.10:8080 in tcp and one
	// in tcp6; LISTEN on :8080, :22 (tcp) and :22 (tcp6) → listen 3, "22" listen 2;
	// ESTABLISHED: 7 on :8080, 1 on :22, 3 outgoing to :5432 from ports 33000–33002 → 11;
	// TIME_WAIT 1 (from 33100), LAST_ACK 1 (on :8080).
	"close_wait_8080",
	// 0→1 over 10 s: eth0 rx goes 4294967000 → 200 (a 32-bit counter wrapped): 0 for this
	// interval; tx 1000 → 11000 = 1000 B/s; wlan0 10 and 20 B/s.
	// 1→2: eth0 rx 200 → 10200 = 1000 B/s, tx unchanged 0; docker0 is new: 0; wlan0 is gone.
	"counter_wrap",
	// Every socket is IPv6 and the IPv4 table is empty; one socket of each of the eleven
	// states on :443 except SYN_SENT (from :50500) and two ESTABLISHED; a twelfth line in
	// state 0C (NEW_SYN_RECV, not a TCP state) is left out of both counts.
	"ipv6_only",
	// Booted with ipv6.disable=1: no net/tcp6 at all; LISTEN on :25.
	"no_tcp6",
	// Only loopback: interfaces is an empty map (never nil), so is ports.
	"loopback_only",
	// A receive-bytes column that is not a number.
	"garbage_dev",
	// An interface line with 3 counters.
	"short_dev_line",
	// A socket whose state column is not hex.
	"garbage_tcp",
	// A local port that is not hex.
	"bad_port",
	// Neither net/tcp nor net/tcp6.
	"no_tcp_tables",
	// No net/dev.
	"no_dev",
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
	if got.Interfaces == nil || got.Ports == nil {
		t.Errorf("%s: nil map in %+v (rules index them: they must be empty, not nil)", what, got)
	}
	if g, w := sortedKeys(got.Interfaces), sortedKeys(want.Interfaces); g != w {
		t.Errorf("%s: interfaces %s, want %s", what, g, w)
	}
	for name, w := range want.Interfaces {
		g := got.Interfaces[name]
		if !fixture.Near(g.RxBytesPerS, w.RxBytesPerS, 1e-9) || !fixture.Near(g.TxBytesPerS, w.TxBytesPerS, 1e-9) {
			t.Errorf("%s: %s = %+v, want %+v", what, name, g, w)
		}
	}
	if got.TCP != want.TCP {
		t.Errorf("%s: tcp\n got %+v\nwant %+v", what, got.TCP, want.TCP)
	}
	if g, w := sortedKeys(got.Ports), sortedKeys(want.Ports); g != w {
		t.Errorf("%s: ports %s, want %s", what, g, w)
	}
	for port, w := range want.Ports {
		if g := got.Ports[port]; g != w {
			t.Errorf("%s: port %s\n got %+v\nwant %+v", what, port, g, w)
		}
	}
}

func sortedKeys[V any](m map[string]V) string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return fmt.Sprint(k)
}

func TestRates(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	one := func(at time.Time, rx, tx uint64) *Reading {
		return &Reading{Time: at, Interfaces: map[string]Counters{"eth0": {Rx: rx, Tx: tx}}}
	}
	tests := []struct {
		name      string
		prev, cur *Reading
		want      Interface
	}{
		{"first sample", nil, one(t0, 100, 100), Interface{}},
		{"steady", one(t0, 0, 0), one(t0.Add(4*time.Second), 400, 100), Interface{RxBytesPerS: 100, TxBytesPerS: 25}},
		{"sub-second interval", one(t0, 0, 0), one(t0.Add(250*time.Millisecond), 100, 0), Interface{RxBytesPerS: 400}},
		{"clock did not move", one(t0, 0, 0), one(t0, 400, 400), Interface{}},
		{"clock went backwards", one(t0, 0, 0), one(t0.Add(-time.Second), 400, 400), Interface{}},
		{"both counters reset", one(t0, 1000, 1000), one(t0.Add(time.Second), 10, 10), Interface{}},
		{"64-bit counters near the top", one(t0, math.MaxUint64-10, 0), one(t0.Add(time.Second), math.MaxUint64, 0), Interface{RxBytesPerS: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Rates(tt.prev, tt.cur)["eth0"]
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseDev(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]Counters
		wantErr string
	}{
		{name: "no space after the colon (old kernels)", in: "Inter-|\n face |\n  eth0:123 1 0 0 0 0 0 0 456 1 0 0 0 0 0 0\n",
			want: map[string]Counters{"eth0": {Rx: 123, Tx: 456}}},
		{name: "names with dots and dashes", in: "  br-1a2b.100: 1 0 0 0 0 0 0 0 2 0 0 0 0 0 0 0\n",
			want: map[string]Counters{"br-1a2b.100": {Rx: 1, Tx: 2}}},
		{name: "empty", in: "", want: map[string]Counters{}},
		{name: "a stray line", in: "hello\n", wantErr: `/proc/net/dev line 1: "hello" is neither a header nor an interface line`},
		{name: "no name", in: ": 1 0 0 0 0 0 0 0 2\n", wantErr: "line 1"},
		{name: "negative transmit", in: "eth0: 1 0 0 0 0 0 0 0 -2\n", wantErr: `eth0 transmit bytes "-2" is not a whole number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDev([]byte(tt.in))
			if fixture.WantError(t, err, tt.wantErr) {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseTCP(t *testing.T) {
	const header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	tests := []struct {
		name    string
		in      string
		want    TCP
		port    string
		wantErr string
	}{
		{name: "header only", in: header},
		{name: "empty file", in: ""},
		{name: "no trailing newline", in: header + "   0: 00000000:0050 00000000:0000 0A 0:0 0:0 0", want: TCP{Listen: 1}, port: "80"},
		{name: "port 65535", in: header + "   0: 0100007F:FFFF 0100007F:0050 01 0:0 0:0 0\n", want: TCP{Established: 1}, port: "65535"},
		{name: "lower-case hex", in: header + "   0: 0100007F:1f90 0100007F:0050 0a 0:0 0:0 0\n", want: TCP{Listen: 1}, port: "8080"},
		{name: "not the header", in: "   0: 0100007F:1F90 0100007F:0050 0A\n", wantErr: `/proc/net/tcp line 1: "0: 0100007F:1F90 0100007F:0050 0A" is not the header`},
		{name: "short line", in: header + "   0: 0100007F:1F90\n", wantErr: "/proc/net/tcp line 2: \"0: 0100007F:1F90\" is not a socket line"},
		{name: "no port", in: header + "   0: 0100007F 0100007F:0050 0A\n", wantErr: `local address "0100007F" has no :port`},
		{name: "port too big", in: header + "   0: 0100007F:10000 0100007F:0050 0A\n", wantErr: `local port "10000" is not a 16-bit hex number`},
		{name: "line too long", in: header + strings.Repeat("x", 70<<10) + "\n", wantErr: "/proc/net/tcp line 2: longer than 65536 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTCP(TCPFile, []byte(tt.in))
			if fixture.WantError(t, err, tt.wantErr) {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Total != tt.want {
				t.Errorf("total %+v, want %+v", got.Total, tt.want)
			}
			if tt.port != "" && got.Ports[tt.port] != tt.want {
				t.Errorf("ports %v, want %s: %+v", got.Ports, tt.port, tt.want)
			}
		})
	}
}

func devFS(rx, tx uint64) fstest.MapFS {
	return fstest.MapFS{
		"net/dev": {Data: fmt.Appendf(nil, "eth0: %d 0 0 0 0 0 0 0 %d 0 0 0 0 0 0 0\n", rx, tx)},
		"net/tcp": {Data: []byte("  sl  local_address rem_address   st\n")},
	}
}

// A cron run saves State as JSON; the next run restores it and reports throughput over
// the whole time since then.
func TestStateSurvivesJSON(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	first := New(devFS(1000, 5000))
	if _, err := first.Sample(t0); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(first.State())
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"prev":{"time":"2026-01-02T03:04:05Z","interfaces":{"eth0":{"rx_bytes":1000,"tx_bytes":5000}}}}`; string(raw) != want {
		t.Errorf("state JSON\n got %s\nwant %s", raw, want)
	}
	var st State
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	next := New(devFS(61000, 5600))
	next.Restore(st)
	got, err := next.Sample(t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Interface{RxBytesPerS: 1000, TxBytesPerS: 10}); got.Interfaces["eth0"] != want {
		t.Errorf("eth0 = %+v, want %+v", got.Interfaces["eth0"], want)
	}

	// State hands out a copy: changing it does not change the probe.
	st = next.State()
	st.Prev.Interfaces["eth0"] = Counters{}
	if next.State().Prev.Interfaces["eth0"].Rx != 61000 {
		t.Error("State shares its map with the probe")
	}
}

// A failed sample keeps the previous reading, so the next rate spans both intervals.
func TestFailedSampleKeepsBaseline(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := New(devFS(0, 0))
	if _, err := p.Sample(t0); err != nil {
		t.Fatal(err)
	}
	p.FS = fstest.MapFS{}
	if _, err := p.Sample(t0.Add(10 * time.Second)); err == nil {
		t.Fatal("no error without net/dev")
	}
	p.FS = devFS(2000, 0)
	got, err := p.Sample(t0.Add(20 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if got.Interfaces["eth0"].RxBytesPerS != 100 {
		t.Errorf("eth0 = %+v, want 2000 B over 20 s = 100 B/s", got.Interfaces["eth0"])
	}
}

func TestConcurrentSamples(t *testing.T) {
	p := New(devFS(1, 1))
	t0 := time.Now()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				if _, err := p.Sample(t0.Add(time.Duration(g*100+i) * time.Second)); err != nil {
					t.Error(err)
				}
				p.Restore(p.State())
			}
		}()
	}
	wg.Wait()
}

func TestLive(t *testing.T) {
	if _, err := os.Stat("/proc/net/dev"); err != nil {
		t.Skip("no /proc/net/dev here")
	}
	p := New(os.DirFS("/proc"))
	t0 := time.Now()
	if _, err := p.Sample(t0); err != nil {
		t.Fatal(err)
	}
	v, err := p.Sample(t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := v.Interfaces[Loopback]; ok {
		t.Error("lo is reported")
	}
	for name, i := range v.Interfaces {
		if i.RxBytesPerS < 0 || i.TxBytesPerS < 0 {
			t.Errorf("%s: %+v", name, i)
		}
	}
	t.Logf("%d interfaces, tcp %+v, %d local ports", len(v.Interfaces), v.TCP, len(v.Ports))
}

func BenchmarkSample(b *testing.B) {
	if _, err := os.Stat("/proc/net/dev"); err != nil {
		b.Skip("no /proc/net/dev here")
	}
	p := New(os.DirFS("/proc"))
	now := time.Now()
	for i := 0; b.Loop(); i++ {
		if _, err := p.Sample(now.Add(time.Duration(i) * time.Second)); err != nil {
			b.Fatal(err)
		}
	}
}

// 20 000 sockets, a busy proxy's worth.
func BenchmarkParseTCP(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n")
	for i := range 20000 {
		fmt.Fprintf(&sb, "%4d: 0A00000A:%04X 0B00000A:%04X %02X 00000000:00000000 00:00000000 00000000  1000        0 %d 1 0000000000000000 20 4 30 10 -1\n",
			i, 1024+i%30000, 40000+i%20000, 1+i%11, i)
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseTCP(TCPFile, data); err != nil {
			b.Fatal(err)
		}
	}
}

// Whatever the files hold, parsing must not panic.
func FuzzParse(f *testing.F) {
	f.Add("eth0: 1 0 0 0 0 0 0 0 2 0\n", "  sl  local\n   0: 0100007F:1F90 00000000:0000 0A\n")
	f.Add(":", "sl \n:\n0: : : :")
	f.Fuzz(func(t *testing.T, dev, tcp string) {
		_, _ = ParseDev([]byte(dev))
		_, _ = ParseTCP(TCPFile, []byte(tcp))
	})
}

// A rate is measured over at least the minimum interval: a sample too soon after the
// previous one measures from the one before, and a peek leaves the baseline in place.
func TestShortIntervals(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := New(nil)
	p.SetMinInterval(500 * time.Millisecond)
	steps := []struct {
		at     time.Duration
		rx     uint64
		peek   bool
		want   float64 // eth0 rx bytes per second
		reason string
	}{
		{0, 0, false, 0, "the first sample"},
		{2 * time.Millisecond, 300, false, 0, "2 ms later with no interval before: no rate yet, and the baseline stays"},
		{time.Second, 1000, false, 1000, "1000 B over the 1 s since the first sample"},
		{1002 * time.Millisecond, 1500, false, 1500 / 1.002, "2 ms later: measured from the first sample, not 500 B in 2 ms (250 kB/s)"},
		{2 * time.Second, 3000, false, 2000, "2000 B since the sample at 1 s: the short one did not move the baseline"},
		{2500 * time.Millisecond, 4000, true, 2000, "a peek 0.5 s after the tick, shorter than its 1 s: 3000 B since the sample at 1 s"},
		{3500 * time.Millisecond, 4500, true, 1000, "a peek 1.5 s after the tick: since the tick"},
		{4 * time.Second, 9000, false, 3000, "the next tick measures from the tick at 2 s, not from a peek"},
	}
	for _, s := range steps {
		p.FS = devFS(s.rx, 0)
		var got Values
		var err error
		if s.peek {
			got, err = p.Peek(t0.Add(s.at), time.Second)
		} else {
			got, err = p.Sample(t0.Add(s.at))
		}
		if err != nil {
			t.Fatal(err)
		}
		if r := got.Interfaces["eth0"].RxBytesPerS; math.Abs(r-s.want) > 1e-9 {
			t.Errorf("at %v: rx %v B/s, want %v (%s)", s.at, r, s.want, s.reason)
		}
	}
	if st := p.State(); !st.Prev.Time.Equal(t0.Add(4*time.Second)) || !st.Before.Time.Equal(t0.Add(2*time.Second)) {
		t.Errorf("state: prev at %v, before at %v; want the ticks at 4 s and 2 s", st.Prev.Time, st.Before.Time)
	}

	// The clock set back an hour: the open interval counts as just begun, and no rate
	// is measured against the future.
	p.FS = devFS(10000, 0)
	got, err := p.Sample(t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if r := got.Interfaces["eth0"].RxBytesPerS; r != 0 {
		t.Errorf("after the clock went back: %v B/s, want 0", r)
	}
	p.FS = devFS(11000, 0)
	got, err = p.Sample(t0.Add(-time.Hour + time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if r := got.Interfaces["eth0"].RxBytesPerS; r != 2000 {
		t.Errorf("a second later: %v B/s, want 2000 (9000 → 11000 over the second since the clock stepped)", r)
	}
}
