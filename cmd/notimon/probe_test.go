package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
)

// probe lists the listening ports and the ports the rules name; --all lists every port.
func TestProbePorts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var clients []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		defer s.Close()
		clients = append(clients, c)
	}
	listening := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	named := strconv.Itoa(clients[0].LocalAddr().(*net.TCPAddr).Port)
	other := strconv.Itoa(clients[1].LocalAddr().(*net.TCPAddr).Port)
	rules := writeRules(t, map[string]string{"ports.hcl": fmt.Sprintf(`
rule "client" { when = "net.ports[\"%s\"].established > 0" }
`, named)})
	shows := func(out, port string) bool { return strings.Contains(out, `net.ports["`+port+`"].established`) }

	code, out, errOut := notimon(t, "probe", "--config", rules, "net")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !shows(out, listening) || !strings.Contains(out, `net.ports["`+listening+`"].established   2`) {
		t.Errorf("the listening port %s is missing or miscounted:\n%s", listening, out)
	}
	if !shows(out, named) {
		t.Errorf("the port %s the rules name is missing:\n%s", named, out)
	}
	if shows(out, other) {
		t.Errorf("the ephemeral port %s is listed without --all:\n%s", other, out)
	}

	code, out, errOut = notimon(t, "probe", "--all", "--config", rules, "net")
	if code != exitOK || !shows(out, listening) || !shows(out, named) || !shows(out, other) {
		t.Errorf("--all: exit %d, want ports %s, %s and %s:\n%s%s", code, listening, named, other, out, errOut)
	}

	// Rules with errors: said so, and the listening ports are still shown.
	broken := writeRules(t, map[string]string{"bad.hcl": `rule "x" { when = "cpu.avgg > 1" }`})
	code, out, errOut = notimon(t, "probe", "--config", broken, "net")
	if code != exitOK || !shows(out, listening) || !strings.Contains(errOut, "has errors, so net.ports leaves out the ports its rules name") {
		t.Errorf("broken rules: exit %d\n%s\n%s", code, out, errOut)
	}
}
