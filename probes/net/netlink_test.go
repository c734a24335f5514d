//go:build linux

package net

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	stdnet "net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/notimon/notimon/probes/internal/fixture"
	"github.com/notimon/notimon/probes/internal/procfs"
)

// conns is a listener and connections to it, all on loopback, for tests and benchmarks.
type conns struct {
	ln     stdnet.Listener
	port   uint16
	client []stdnet.Conn
	server []stdnet.Conn
}

// openConns listens on addr ("127.0.0.1:0", "[::1]:0") and opens n connections to the
// listener: 2n sockets besides the listening one. They are closed with a reset at the end
// of the test, so they leave no TIME_WAIT behind.
func openConns(tb testing.TB, addr string, n int) *conns {
	tb.Helper()
	ln, err := stdnet.Listen("tcp", addr)
	if err != nil {
		tb.Skipf("cannot listen on %s: %v", addr, err)
	}
	c := &conns{ln: ln, port: uint16(ln.Addr().(*stdnet.TCPAddr).Port)}
	tb.Cleanup(func() {
		for _, list := range [][]stdnet.Conn{c.client, c.server} {
			for _, conn := range list {
				conn.(*stdnet.TCPConn).SetLinger(0)
				conn.Close()
			}
		}
		ln.Close()
	})
	accepted := make(chan stdnet.Conn, n)
	go func() {
		for range n {
			conn, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- conn
		}
	}()
	for range n {
		conn, err := stdnet.Dial("tcp", ln.Addr().String())
		if err != nil {
			tb.Fatalf("connection %d of %d: %v", len(c.client)+1, n, err)
		}
		c.client = append(c.client, conn)
		server, ok := <-accepted
		if !ok {
			tb.Fatalf("accepting connection %d of %d failed", len(c.client), n)
		}
		c.server = append(c.server, server)
	}
	return c
}

// halfClose closes the client end of the first n connections: their server ends wait in
// CLOSE_WAIT (the application has not closed them) and their client ends in FIN_WAIT2.
func (c *conns) halfClose(tb testing.TB, n int) {
	tb.Helper()
	for _, conn := range c.client[:n] {
		if err := conn.(*stdnet.TCPConn).CloseWrite(); err != nil {
			tb.Fatal(err)
		}
	}
	// Wait until the server ends have read the FIN: then they are in CLOSE_WAIT.
	for _, conn := range c.server[:n] {
		conn.SetReadDeadline(time.Now().Add(time.Minute))
		if _, err := conn.Read(make([]byte, 1)); err != io.EOF {
			tb.Fatalf("server end: %v, want the client's FIN", err)
		}
	}
}

// ssStates are the state names `ss` prints, by the kernel state they stand for.
var ssStates = map[string]uint8{"ESTAB": 1, "SYN-SENT": 2, "SYN-RECV": 3, "FIN-WAIT-1": 4, "FIN-WAIT-2": 5,
	"TIME-WAIT": 6, "UNCONN": 7, "CLOSE-WAIT": 8, "LAST-ACK": 9, "LISTEN": 10, "CLOSING": 11}

// ss counts the TCP sockets `ss -tan` lists, in total and on the given local ports.
func ss(t *testing.T, ports ...uint16) (TCP, map[uint16]TCP) {
	t.Helper()
	out, err := exec.Command("ss", "-tan").Output()
	if err != nil {
		t.Fatalf("ss -tan: %v", err)
	}
	var total TCP
	byPort := map[uint16]TCP{}
	for i, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 5 {
			continue // the header
		}
		st, ok := ssStates[f[0]]
		if !ok {
			t.Fatalf("ss -tan: state %q: %q", f[0], line)
		}
		count(&total, uint64(st))
		local := f[3]
		p, err := strconv.ParseUint(local[strings.LastIndexByte(local, ':')+1:], 10, 16)
		if err != nil {
			t.Fatalf("ss -tan: local address %q", local)
		}
		for _, want := range ports {
			if uint16(p) == want {
				c := byPort[want]
				count(&c, uint64(st))
				byPort[want] = c
			}
		}
	}
	return total, byPort
}

func needSS(t *testing.T) {
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("no ss here (iproute2)")
	}
}

// Counts over netlink are what `ss -tan` counts, and what /proc/net/tcp* counts: on ports of
// the test's own (exactly), and for the whole machine (others open and close sockets as it
// runs, so until a reading by ss falls between two of ours that agree with it).
func TestCountsMatchSS(t *testing.T) {
	needSS(t)
	v4 := openConns(t, "127.0.0.1:0", 12)
	v4.halfClose(t, 3)
	v6 := openConns(t, "[::1]:0", 5)
	ports := []uint16{v4.port}
	if v6 != nil {
		ports = append(ports, v6.port)
	}

	_, fromSS := ss(t, ports...)
	viaNetlink, err := netlinkTCP(nil)
	if err != nil {
		t.Fatal(err)
	}
	viaProc, err := readTCP(os.DirFS("/proc"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint16]TCP{v4.port: {Established: 9, CloseWait: 3, Listen: 1}}
	if v6 != nil {
		want[v6.port] = TCP{Established: 5, Listen: 1}
	}
	for _, p := range ports {
		key := strconv.Itoa(int(p))
		if fromSS[p] != want[p] || viaNetlink.Ports[key] != want[p] || viaProc.Ports[key] != want[p] {
			t.Errorf("port %d:\n     ss %+v\nnetlink %+v\n  /proc %+v\n   want %+v", p, fromSS[p], viaNetlink.Ports[key], viaProc.Ports[key], want[p])
		}
	}
	// The client ends: one socket each on an ephemeral port, FIN_WAIT2 for the three closed.
	finWait2 := 0
	for _, c := range v4.client[:3] {
		finWait2 += int(viaNetlink.Ports[strconv.Itoa(c.LocalAddr().(*stdnet.TCPAddr).Port)].FinWait2)
	}
	if finWait2 != 3 {
		t.Errorf("%d of the 3 half-closed client ends in FIN_WAIT2, want 3", finWait2)
	}

	var last string
	for range 50 {
		before, err := netlinkTCP(nil)
		if err != nil {
			t.Fatal(err)
		}
		total, _ := ss(t)
		after, err := netlinkTCP(nil)
		if err != nil {
			t.Fatal(err)
		}
		proc, err := readTCP(os.DirFS("/proc"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if between(total, before.Total, after.Total) && between(proc.Total, before.Total, after.Total) {
			t.Logf("whole machine: ss %+v", total)
			return
		}
		last = fmt.Sprintf("netlink %+v\n     ss %+v\nnetlink %+v\n  /proc %+v", before.Total, total, after.Total, proc.Total)
	}
	t.Errorf("in 50 tries, ss and /proc never counted what netlink counted before and after them; the last:\n%s", last)
}

// between reports whether every count of x lies between those of a and b.
func between(x, a, b TCP) bool {
	xs, as, bs := counts(x), counts(a), counts(b)
	for i := range xs {
		if xs[i] < min(as[i], bs[i]) || xs[i] > max(as[i], bs[i]) {
			return false
		}
	}
	return true
}

func counts(t TCP) []float64 {
	return []float64{t.Established, t.SynSent, t.SynRecv, t.FinWait1, t.FinWait2, t.TimeWait, t.Close, t.CloseWait, t.LastAck, t.Listen, t.Closing}
}

// A Need counts only what it names: the kernel is asked for those states only, and the
// ports kept are the ones named and the listening ones.
func TestNeedOverNetlink(t *testing.T) {
	a := openConns(t, "127.0.0.1:0", 4)
	a.halfClose(t, 2)
	b := openConns(t, "127.0.0.1:0", 1)
	need := NeedOf([]string{"net.ports." + strconv.Itoa(int(a.port)) + ".close_wait", "net.tcp.established"})
	if got := need.kernelStates(); got != 1<<1|1<<8|1<<10 {
		t.Errorf("kernel states %#x, want ESTABLISHED, CLOSE_WAIT and LISTEN", got)
	}
	var seen []uint8
	dumpSockets = func(states uint32, visit func(uint8, uint16)) error {
		return dumpTCP(states, func(st uint8, port uint16) {
			seen = append(seen, st)
			visit(st, port)
		})
	}
	defer func() { dumpSockets = dumpTCP }()
	s, err := netlinkTCP(&need)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range seen {
		if st != 1 && st != 8 && st != 10 {
			t.Fatalf("the kernel sent a socket in state %d", st)
		}
	}
	if got := s.Ports[strconv.Itoa(int(a.port))]; got != (TCP{Established: 2, CloseWait: 2}) {
		t.Errorf("named port %d: %+v, want 2 established and 2 in close_wait, no listen count", a.port, got)
	}
	// Another listening port is kept, with the states read (the one listening socket is
	// asked for only to know the port listens).
	if got := s.Ports[strconv.Itoa(int(b.port))]; got != (TCP{Established: 1}) {
		t.Errorf("listening port %d: %+v, want 1 established", b.port, got)
	}
	client := strconv.Itoa(a.client[3].LocalAddr().(*stdnet.TCPAddr).Port)
	if _, ok := s.Ports[client]; ok {
		t.Errorf("client port %s is kept", client)
	}
	if s.Total.TimeWait != 0 || s.Total.Listen != 0 || s.Total.FinWait2 != 0 || s.Total.Established < 6 || s.Total.CloseWait < 2 {
		t.Errorf("total %+v: want established and close_wait only", s.Total)
	}

	// Shown as `notimon probe` shows them: every state, the listening ports too.
	probe := Need{States: AllStates, Listening: true}
	s, err = netlinkTCP(&probe)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Ports[strconv.Itoa(int(b.port))]; got != (TCP{Established: 1, Listen: 1}) {
		t.Errorf("listening port %d: %+v", b.port, got)
	}
	if _, ok := s.Ports[client]; ok {
		t.Errorf("client port %s is kept", client)
	}
}

// When netlink fails, the probe reads /proc/net/tcp*, and says so once.
func TestNetlinkFallback(t *testing.T) {
	c := openConns(t, "127.0.0.1:0", 2)
	dumpSockets = func(uint32, func(uint8, uint16)) error { return os.NewSyscallError("socket", syscall.EPERM) }
	defer func() { dumpSockets = dumpTCP }()
	var logged bytes.Buffer
	p := New(procfs.FS("/proc"))
	p.SetLogger(slog.New(slog.NewTextHandler(&logged, nil)))
	for i := range 3 {
		v, err := p.Sample(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if got := v.Ports[strconv.Itoa(int(c.port))]; got != (TCP{Established: 2, Listen: 1}) {
			t.Errorf("sample %d: port %d %+v", i, c.port, got)
		}
	}
	if n := strings.Count(logged.String(), "cannot count TCP sockets over netlink"); n != 1 || !strings.Contains(logged.String(), "operation not permitted") {
		t.Errorf("logged %d warnings:\n%s", n, logged.String())
	}
}

func TestNeedOf(t *testing.T) {
	tests := []struct {
		fields []string
		want   Need
	}{
		{nil, Need{}},
		{[]string{"cpu.avg3", "net.interfaces"}, Need{}},
		{[]string{"net.tcp.established", "net.tcp.time_wait"}, Need{States: 1<<1 | 1<<6}},
		{[]string{"net.tcp"}, Need{States: AllStates}},
		{[]string{"net.ports.8080.close_wait", "net.ports.443", "net.ports.8080.listen"}, Need{States: AllStates, Ports: []uint16{443, 8080}, Listening: true}},
		{[]string{"net.ports.8080.close_wait"}, Need{States: 1 << 8, Ports: []uint16{8080}, Listening: true}},
		{[]string{"net.ports", "net.tcp.listen"}, Need{States: AllStates, AllPorts: true}},
		{[]string{"net.ports.http.established"}, Need{}},
		{[]string{"net"}, All},
		{[]string{"network.tcp"}, Need{}},
	}
	for _, tt := range tests {
		if got := NeedOf(tt.fields); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("NeedOf(%q) = %+v, want %+v", tt.fields, got, tt.want)
		}
	}
}

// message builds one netlink message of type typ and sequence seq around body.
func message(typ uint16, seq uint32, body []byte) []byte {
	b := make([]byte, unix.NLMSG_HDRLEN, nlmAlign(unix.NLMSG_HDRLEN+len(body)))
	binary.NativeEndian.PutUint32(b[0:], uint32(unix.NLMSG_HDRLEN+len(body)))
	binary.NativeEndian.PutUint16(b[4:], typ)
	binary.NativeEndian.PutUint32(b[8:], seq)
	b = append(b, body...)
	return b[:cap(b)]
}

func socketMsg(state uint8, port uint16) []byte {
	m := make([]byte, inetDiagMsgLen)
	m[0], m[1] = unix.AF_INET, state
	binary.BigEndian.PutUint16(m[4:], port)
	return m
}

func TestParseDump(t *testing.T) {
	errno := func(e syscall.Errno) []byte {
		b := make([]byte, 20)
		binary.NativeEndian.PutUint32(b, uint32(-int32(e)))
		return b
	}
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name     string
		in       []byte
		want     string // state:port …
		wantDone bool
		wantErr  string
	}{
		{name: "sockets", in: join(message(20, 7, socketMsg(1, 8080)), message(20, 7, socketMsg(10, 443))), want: "1:8080 10:443 "},
		{name: "done", in: join(message(20, 7, socketMsg(6, 80)), message(unix.NLMSG_DONE, 7, make([]byte, 4))), want: "6:80 ", wantDone: true},
		{name: "another request's messages are skipped", in: join(message(20, 6, socketMsg(1, 1)), message(20, 7, socketMsg(2, 2))), want: "2:2 "},
		{name: "error", in: message(unix.NLMSG_ERROR, 7, errno(syscall.ENOENT)), wantDone: true, wantErr: "no such file or directory"},
		{name: "done with an error", in: message(unix.NLMSG_DONE, 7, errno(syscall.EPERM)[:4]), wantDone: true, wantErr: "operation not permitted"},
		{name: "short socket message", in: message(20, 7, make([]byte, 20)), wantErr: "a socket message of 20 bytes, want 72"},
		{name: "length past the end", in: message(20, 7, socketMsg(1, 1))[:50], wantErr: "a message of 88 bytes in 50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got strings.Builder
			done, err := parseDump(tt.in, 7, func(st uint8, port uint16) { fmt.Fprintf(&got, "%d:%d ", st, port) })
			if fixture.WantError(t, err, tt.wantErr) {
				return
			}
			if got.String() != tt.want || done != tt.wantDone {
				t.Errorf("got %q done=%v, want %q done=%v", got.String(), done, tt.want, tt.wantDone)
			}
		})
	}
}

// Whatever the kernel sends, parsing must not panic.
func FuzzParseDump(f *testing.F) {
	f.Add(message(20, 1, socketMsg(1, 80)))
	f.Add(message(unix.NLMSG_ERROR, 1, []byte{1, 2}))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseDump(b, 1, func(uint8, uint16) {})
	})
}

// benchTCP opens n TCP sockets on loopback (n/2 connections: each has two ends) and
// measures counting them as the daemon does for a rule reading net.tcp.established,
// net.tcp.time_wait and net.ports["<port>"].close_wait, and as `probe --all` does.
func benchTCP(b *testing.B, n int) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Fatal(err)
	}
	if want := uint64(n + 1000); lim.Cur < want {
		raised := lim
		raised.Cur = max(lim.Cur, want)
		raised.Max = max(lim.Max, want)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
			b.Skipf("%d sockets need %d file descriptors; the limit is %d and cannot be raised: %v", n, want, lim.Cur, err)
		}
		b.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim) })
	}
	c := openConns(b, "127.0.0.1:0", n/2)
	rules := NeedOf([]string{"net.tcp.established", "net.tcp.time_wait", "net.ports." + strconv.Itoa(int(c.port)) + ".close_wait"})
	for _, bc := range []struct {
		name  string
		count func() (Sockets, error)
	}{
		{"netlink/rules", func() (Sockets, error) { return netlinkTCP(&rules) }},
		{"netlink/all", func() (Sockets, error) { return netlinkTCP(nil) }},
		{"proc/rules", func() (Sockets, error) { return readTCP(procfs.FS("/proc"), &rules) }},
		{"proc/all", func() (Sockets, error) { return readTCP(procfs.FS("/proc"), nil) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var s Sockets
			cpu := fixture.CPUTime()
			for b.Loop() {
				var err error
				if s, err = bc.count(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(fixture.CPUTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
			t := s.Total
			b.ReportMetric(t.Established+t.SynSent+t.SynRecv+t.FinWait1+t.FinWait2+t.TimeWait+t.Close+t.CloseWait+t.LastAck+t.Listen+t.Closing, "sockets")
		})
	}
}

// Targets: ≤ 1 ms per sample with 100 sockets open, ≤ 8 ms with 10,000.
func BenchmarkTCP100(b *testing.B)   { benchTCP(b, 100) }
func BenchmarkTCP10000(b *testing.B) { benchTCP(b, 10000) }
