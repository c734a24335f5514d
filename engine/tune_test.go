package engine

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/notimon/notimon/probes"
)

// listenWith listens on loopback and opens n connections to itself; it returns the port
// and the clients' ports.
func listenWith(t *testing.T, n int) (int, []string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var clients []string
	for range n {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(); s.Close() })
		clients = append(clients, strconv.Itoa(c.LocalAddr().(*net.TCPAddr).Port))
	}
	return ln.Addr().(*net.TCPAddr).Port, clients
}

// The sampler counts sockets for the ports the rules name (and the listening ones), and
// learns what a reloaded configuration reads; ephemeral ports are not counted one by one.
func TestSamplerCountsThePortsRulesRead(t *testing.T) {
	a, clientsA := listenWith(t, 2)
	b, clientsB := listenWith(t, 3)
	rule := func(port int, n int) string {
		return fmt.Sprintf(`
notifier "console" "ops" {}
rule "busy" {
  when = "net.ports[\"%d\"].established >= %d"
  notify "ops" { message = "{{ net.tcp.established }} established" }
}
`, port, n)
	}
	e := New(load(t, rule(a, 2)), Options{Sampler: probes.NewSystem(probes.Options{}), DryRun: true})
	tick := func(port, want int) {
		t.Helper()
		rep := e.Tick(context.Background(), time.Now())
		if len(rep.Verdicts) != 1 || !rep.Verdicts[0].Holds || rep.Verdicts[0].Err != nil {
			t.Fatalf("port %d: verdicts %+v, want the rule to hold", port, rep.Verdicts)
		}
		ports := rep.Snapshot.Net.Ports
		if got := ports[strconv.Itoa(port)].Established; got != float64(want) {
			t.Errorf("port %d: %v established, want %d", port, got, want)
		}
		for _, p := range append(clientsA, clientsB...) {
			if c, ok := ports[p]; ok {
				t.Errorf("client port %s is counted (%+v): neither named nor listening", p, c)
			}
		}
		if rep.Snapshot.Net.TCP.Established < float64(2*want) {
			t.Errorf("net.tcp %+v: the message reads established", rep.Snapshot.Net.TCP)
		}
	}
	tick(a, 2)
	e.Reload(load(t, rule(b, 3)))
	tick(b, 3)

	// Rules that read no port: no port is counted at all.
	e.Reload(load(t, `
rule "busy" { when = "net.tcp.established >= 10" }
`))
	rep := e.Tick(context.Background(), time.Now())
	if len(rep.Verdicts) != 1 || !rep.Verdicts[0].Holds || len(rep.Snapshot.Net.Ports) != 0 {
		t.Errorf("verdicts %+v, ports %v: want the rule to hold and no port counted", rep.Verdicts, rep.Snapshot.Net.Ports)
	}
}
