package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/engine/control"
)

// get sends method to url with basic auth (user "" for none) and returns status and body.
func get(t *testing.T, method, u, user, pw string, form url.Values, hdr map[string]string) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if user != "" {
		req.SetBasicAuth(user, pw)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func serverRules(flag, server string) string {
	return fmt.Sprintf(`settings { interval = "200ms" }
notifier "console" "out" {}
probe "file" "flag" { path = %q }
rule "flag_big" {
  when   = "file.flag.size_bytes > 3"
  repeat = "1h"
  notify "out" { message = "flag is {{ file.flag.size_bytes }} bytes" }
}
%s
`, flag, server)
}

// TestDaemonServer runs the real daemon with a server block: authentication on every
// endpoint but health, the page's ack form, /metrics, the htpasswd file never shown or
// logged, and reloads that move, restrict and remove the listener.
func TestDaemonServer(t *testing.T) {
	root := t.TempDir()
	flag := filepath.Join(root, "flag")
	os.WriteFile(flag, []byte("hello"), 0o644)
	const user, pw = "alice", "s3cret-Pa55"
	htpasswd := writeHtpasswd(t, filepath.Join(root, "htpasswd"), user, pw)
	rules := filepath.Join(root, "rules.d")
	os.Mkdir(rules, 0o755)
	file := filepath.Join(rules, "a.hcl")
	block := func(listen, extra string) string {
		return fmt.Sprintf("server {\n  listen        = %q\n  htpasswd_file = \"../htpasswd\"\n%s}\n", listen, extra)
	}
	os.WriteFile(file, []byte(serverRules(flag, block("127.0.0.1:0", ""))), 0o644)
	state := filepath.Join(root, "state")
	d, base := serverDaemon(t, rules, state)
	waitReady(t, base)

	// Every path but health: 401 without or with wrong credentials, until the 10th failed
	// login from this address; 429 after that, the right password included.
	var bodies []string
	failed := 0
	for _, p := range []string{"", "api/v1/status", "api/v1/rules", "api/v1/silences", "metrics", "actions/ack", "htpasswd", "..%2fhtpasswd", "-/healthy/../../htpasswd", "-/readyz"} {
		for _, cred := range [][2]string{{"", ""}, {user, "wrong-Guess-42"}, {"root", pw}} {
			code, body := get(t, "GET", base+p, cred[0], cred[1], nil, nil)
			want := http.StatusUnauthorized
			if cred[0] != "" {
				if failed++; failed > 10 {
					want = http.StatusTooManyRequests
				}
			}
			if code != want {
				t.Errorf("GET /%s as %q (failed login %d): %d, want %d", p, cred[0], failed, code, want)
			}
			bodies = append(bodies, body)
		}
	}
	if code, _ := get(t, "GET", base, user, pw, nil, nil); code != http.StatusTooManyRequests {
		t.Errorf("the right password after 10 failed logins: %d, want 429", code)
	}
	for _, p := range []string{"-/healthy", "-/ready"} {
		if code, _ := get(t, "GET", base+p, "", "", nil, nil); code != 200 {
			t.Errorf("GET /%s without credentials: %d, want 200", p, code)
		}
	}

	// One more attempt every 10 s: wait for it rather than testing from another address.
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 30s; the daemon said:\n%s", what, d.log())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFor("the rate limit to let the right password through", func() bool {
		code, _ := get(t, "GET", base+"-/healthy", "", "", nil, nil)
		if code != 200 {
			return false
		}
		code, _ = get(t, "HEAD", base, user, pw, nil, nil)
		return code == 200
	})

	// /metrics, with the rule firing.
	var metrics string
	waitFor("notimon_rule_state firing in /metrics", func() bool {
		var code int
		code, metrics = get(t, "GET", base+"metrics", user, pw, nil, nil)
		return code == 200 && strings.Contains(metrics, `notimon_rule_state{rule="flag_big",severity="warning",state="firing"} 1`)
	})

	code, api := get(t, "GET", base+"api/v1/rules", user, pw, nil, nil)
	if code != 200 || !strings.Contains(api, `"name": "flag_big"`) {
		t.Errorf("GET /api/v1/rules: %d %s", code, api)
	}
	bodies = append(bodies, api)

	// Ack through the page's form: refused without the token, done with it.
	code, page := get(t, "GET", base, user, pw, nil, nil)
	bodies = append(bodies, page, metrics)
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	if code != 200 || m == nil || !strings.Contains(page, `action="/actions/ack"`) {
		t.Fatalf("the page: %d, no ack form with a CSRF token:\n%s", code, page)
	}
	origin := map[string]string{"Origin": strings.TrimSuffix(base, "/")}
	if code, _ := get(t, "POST", base+"actions/ack", user, pw, url.Values{"rule": {"flag_big"}}, origin); code != http.StatusForbidden {
		t.Errorf("ack without the CSRF token: %d, want 403", code)
	}
	if code, body := get(t, "POST", base+"actions/ack", user, pw, url.Values{"rule": {"flag_big"}, "comment": {"on it"}, "csrf": {m[1]}}, origin); code != http.StatusSeeOther {
		t.Fatalf("ack with the token: %d %s, want 303", code, body)
	}
	acks, err := control.Acks(state)
	if a, ok := acks["flag_big"]; err != nil || !ok || a.By != user || a.Comment != "on it" {
		t.Errorf("acks after the form: %+v %v", acks, err)
	}
	code, page = get(t, "GET", base, user, pw, nil, nil)
	if code != 200 || !strings.Contains(page, "acked by alice") {
		t.Errorf("the page after the ack does not say it:\n%s", page)
	}
	bodies = append(bodies, page)

	// Reload: a new port restarts the listener there.
	addr := freeAddr(t)
	at, _ := d.waitLog(0, "server listening", time.Second)
	atomicWrite(t, file, serverRules(flag, block(addr, "")))
	at, l := d.waitLog(at, "server listening", 10*time.Second)
	if got := fmt.Sprint(l.All["addr"]); got != addr {
		t.Fatalf("listening on %s after the reload, want %s", got, addr)
	}
	if _, err := http.Get(base + "-/healthy"); err == nil {
		t.Errorf("the old address %s still answers after the reload", base)
	}
	base = "http://" + addr + "/"
	origin = map[string]string{"Origin": "http://" + addr}
	// read_only at the next reload: the same listener, the forms refused.
	atomicWrite(t, file, serverRules(flag, block(addr, "  read_only = true\n")))
	waitFor("read_only applied", func() bool {
		code, body := get(t, "POST", base+"actions/silence", user, pw, url.Values{}, origin)
		return code == http.StatusForbidden && strings.Contains(body, "read_only")
	})
	code, page = get(t, "GET", base, user, pw, nil, nil)
	if code != 200 || strings.Contains(page, "<form") {
		t.Errorf("the read-only page: %d, with a form", code)
	}
	// No server block: no listener.
	atomicWrite(t, file, serverRules(flag, ""))
	d.waitLog(at, "server stopped: the rules have no server block any more", 10*time.Second)
	if _, err := http.Get(base + "-/healthy"); err == nil {
		t.Error("the server still answers without a server block")
	}

	for i, b := range bodies {
		if strings.Contains(b, htpasswd[len(user)+1:len(htpasswd)-1]) || strings.Contains(b, pw) {
			t.Errorf("response %d holds the htpasswd hash or the password", i)
		}
	}
	if log := d.log(); strings.Contains(log, htpasswd[len(user)+1:len(htpasswd)-1]) || strings.Contains(log, pw) || strings.Contains(log, "wrong-Guess-42") {
		t.Errorf("the daemon's log holds the htpasswd hash or a password:\n%s", log)
	}
	if log := d.log(); !strings.Contains(log, `"msg":"login failed"`) || !strings.Contains(log, `"user":"root"`) {
		t.Errorf("failed logins are not logged:\n%s", log)
	}
}

// TestRunOnceStartsNoServer: a cron run with a server block opens no port.
func TestRunOnceStartsNoServer(t *testing.T) {
	root := t.TempDir()
	flag := filepath.Join(root, "flag")
	os.WriteFile(flag, []byte("hi"), 0o644)
	rules := filepath.Join(root, "rules.d")
	os.Mkdir(rules, 0o755)
	addr := freeAddr(t)
	os.WriteFile(filepath.Join(rules, "a.hcl"), []byte(serverRules(flag, fmt.Sprintf("server {\n  listen = %q\n}\n", addr))), 0o644)
	out, err := exec.Command(binary(t), "run", "--once", "--log-level", "debug", "--state-dir", filepath.Join(root, "state"), rules).CombinedOutput()
	if err != nil {
		t.Fatalf("run --once: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "server listening") || strings.Contains(string(out), addr) {
		t.Errorf("run --once started the server:\n%s", out)
	}
}
