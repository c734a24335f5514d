package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"
)

// serverDaemon starts the real binary as a daemon on rules with a JSON log, and returns it
// once its server listens, with the server's base URL.
func serverDaemon(t *testing.T, rules, state string, args ...string) (*daemon, string) {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"run", "--state-dir", state, "--log-format", "json"}, append(args, rules)...)...)
	d := launch(t, cmd, func(d *daemon) {
		d.cmd.Process.Signal(os.Interrupt)
		select {
		case <-d.done:
		case <-time.After(10 * time.Second):
			d.cmd.Process.Kill()
		}
	})
	_, l := d.waitLog(0, "server listening", 30*time.Second)
	return d, fmt.Sprint(l.All["url"])
}

// waitReady waits until the daemon's /-/ready says its first tick ran.
func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s-/ready never answered 200 (last: %v)", base, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// writeHtpasswd writes an htpasswd file with one bcrypt user, as htpasswd -B does.
func writeHtpasswd(t *testing.T, path, user, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	content := user + ":" + string(h) + "\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return content
}

// chromium is Debian's chromium, which .ci/run installs.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/lib/chromium/chromium", "/usr/bin/chromium"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath("chromium")
	switch {
	case err == nil:
		return p
	case os.Getenv("CI") != "": // .ci/run installs it: its absence there is a failure
		t.Fatal("no chromium, and CI is set: .ci/run installs Debian's chromium package (apt-get install -y chromium)")
	}
	t.Skip("no chromium (apt-get install -y chromium; .ci/run installs it)")
	return ""
}

// TestBrowserStatusPage drives the status page of a real daemon in real headless Chromium:
// refused without credentials, a firing rule with its value after login, silenced through
// the page's form, and back to plain firing once the silence is expired through its button.
// On failure it writes a screenshot and logs its path.
func TestBrowserStatusPage(t *testing.T) {
	start := time.Now()
	chrome := chromium(t)
	root := t.TempDir()
	flag := filepath.Join(root, "flag")
	if err := os.WriteFile(flag, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	const user, pw = "alice", "correct horse battery staple"
	writeHtpasswd(t, filepath.Join(root, "htpasswd"), user, pw)
	rules := filepath.Join(root, "rules.d")
	os.Mkdir(rules, 0o755)
	src := fmt.Sprintf(`settings { interval = "200ms" }
notifier "console" "out" {}
probe "file" "flag" { path = %q }
rule "flag_big" {
  when = "file.flag.size_bytes > 3"
  notify "out" { message = "flag is {{ file.flag.size_bytes }} bytes" }
}
server {
  listen        = "127.0.0.1:0"
  htpasswd_file = "../htpasswd"
}
`, flag)
	if err := os.WriteFile(filepath.Join(rules, "a.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	d, base := serverDaemon(t, rules, filepath.Join(root, "state"))
	waitReady(t, base)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(filepath.Join(root, "chromium")), chromedp.WindowSize(412, 915), // a phone
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelT()

	fail := func(format string, args ...any) {
		t.Helper()
		if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(90)); err == nil {
			dir, derr := os.MkdirTemp("", "notimon-browser-")
			if derr == nil {
				p := filepath.Join(dir, "status-page.jpg")
				if os.WriteFile(p, shot, 0o644) == nil {
					t.Logf("screenshot of the page: %s", p)
				}
			}
		} else {
			t.Logf("no screenshot: %v", err)
		}
		if html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html"))); err == nil {
			t.Logf("the page:\n%s", html)
		}
		t.Logf("the daemon said:\n%s", d.log())
		t.Fatalf(format, args...)
	}

	t.Logf("%s: %s", time.Since(start).Round(time.Millisecond), "1. Without credentials")
	// 1. Without credentials: 401 with a Basic challenge. Headless Chromium has no login
	// dialog: it ends the navigation with ERR_INVALID_AUTH_CREDENTIALS, and the network
	// events have the answer.
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		fail("network.enable: %v", err)
	}
	ectx, ecancel := context.WithTimeout(ctx, 20*time.Second)
	answers := chromedp.Events(ectx, network.ResponseReceivedExtraInfo)
	_, err := chromedp.Run(ctx, chromedp.NavigateResponse(base))
	var le *chromedp.LoadError
	if !errors.As(err, &le) || le.ErrorText != "net::ERR_INVALID_AUTH_CREDENTIALS" {
		fail("navigate without credentials: %v, want net::ERR_INVALID_AUTH_CREDENTIALS", err)
	}
	var challenge string
	status := 0
	for ev, err := range answers {
		if err != nil {
			break
		}
		for k, v := range ev.Headers {
			if strings.EqualFold(k, "WWW-Authenticate") {
				challenge = fmt.Sprint(v)
			}
		}
		if status = int(ev.StatusCode); status != 0 {
			break
		}
	}
	ecancel()
	if status != http.StatusUnauthorized || !strings.HasPrefix(challenge, `Basic realm="notimon"`) {
		fail("without credentials: HTTP %d, WWW-Authenticate %q; want 401 with a Basic challenge", status, challenge)
	}

	t.Logf("%s: %s", time.Since(start).Round(time.Millisecond), "2. Logged in")
	// 2. Logged in (an Authorization header on every request of the tab): the firing rule
	// with its value.
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": auth}}); err != nil {
		fail("set the Authorization header: %v", err)
	}
	row := chromedp.CSS("#rule-flag_big")
	// waitRow reloads the page until the rule's row satisfies ok (the daemon ticks every 200 ms).
	waitRow := func(what string, ok func(string) bool) string {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		var text string
		for {
			resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(base))
			if err != nil {
				fail("%s: load the page: %v", what, err)
			}
			if resp.Status != 200 {
				fail("%s: HTTP %d", what, resp.Status)
			}
			qctx, qcancel := context.WithTimeout(ctx, 3*time.Second) // Text waits for the row to appear
			text, err = chromedp.Run(qctx, chromedp.Text(row))
			qcancel()
			if err == nil && ok(text) {
				return text
			}
			if time.Now().After(deadline) {
				fail("%s: the rule's row says %q (%v)", what, text, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	text := waitRow("firing", func(s string) bool { return strings.Contains(s, "firing") })
	if !strings.Contains(text, "file.flag.size_bytes = 5") {
		fail("the firing rule's row does not show its value file.flag.size_bytes = 5: %q", text)
	}
	if strings.Contains(text, "silenced") {
		fail("silenced before any silence: %q", text)
	}

	t.Logf("%s: %s", time.Since(start).Round(time.Millisecond), "3. Silence it")
	// 3. Silence it through the form.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#add-silence input[name="rule"]`), "flag_big"),
		chromedp.SetValue(chromedp.CSS(`#add-silence input[name="duration"]`), "2h"),
		chromedp.SendKeys(chromedp.CSS(`#add-silence input[name="comment"]`), "browser test"),
	); err != nil {
		fail("fill the silence form: %v", err)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`#add-silence button`)))
	if err != nil {
		fail("submit the silence form: %v", err)
	}
	if resp.Status != 200 || !strings.HasSuffix(resp.URL, "/") {
		fail("after the silence form: HTTP %d at %s, want the page again", resp.Status, resp.URL)
	}
	text = waitRow("silenced", func(s string) bool { return strings.Contains(s, "silenced") })
	if !strings.Contains(text, "firing") || !strings.Contains(text, "alice") || !strings.Contains(text, "browser test") {
		fail("the silenced rule's row: %q, want firing, silenced by alice: browser test", text)
	}

	t.Logf("%s: %s", time.Since(start).Round(time.Millisecond), "4. Expire it")
	// 4. Expire it through its button: plain firing again.
	resp, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`tr.silence button`)))
	if err != nil {
		fail("expire the silence: %v", err)
	}
	if resp.Status != 200 {
		fail("after expiring: HTTP %d", resp.Status)
	}
	text = waitRow("expired", func(s string) bool { return !strings.Contains(s, "silenced") })
	if !strings.Contains(text, "firing") || !strings.Contains(text, "file.flag.size_bytes = 5") {
		fail("after expiring the silence the row says %q, want firing with its value", text)
	}
	silRow, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`tr.silence`)))
	if err != nil || !strings.Contains(silRow, "expired") {
		fail("the silence's row after expiring: %q %v", silRow, err)
	}
}
