package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/control"
	"github.com/notimon/notimon/engine/status"
	"github.com/notimon/notimon/internal/syncbuf"
	"github.com/notimon/notimon/server"
	"github.com/notimon/notimon/server/metrics"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a running server with htpasswd users alice and bob.
type fixture struct {
	t        *testing.T
	srv      *server.Server
	base     string // http://127.0.0.1:port
	logs     *syncbuf.Buffer
	clock    *clock
	dir      string // state directory
	htpasswd string // path
	content  string // the htpasswd file's content
	client   *http.Client
}

var passwords = map[string]string{"alice": "alice-pw-1", "bob": "bob-pw-2"}

func htpasswdLine(t testing.TB, user, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return user + ":" + string(h) + "\n"
}

// serverBlock loads a real configuration with a server block, as the daemon does.
func serverBlock(t testing.TB, dir, block string) *dsl.Server {
	t.Helper()
	rules := filepath.Join(dir, "rules.d")
	if err := os.MkdirAll(rules, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "rule \"r\" {\n  when = \"cpu.pct > 90\"\n}\n" + block + "\n"
	if err := os.WriteFile(filepath.Join(rules, "a.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := dsl.Load([]string{rules}, dsl.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		t.Fatalf("%s", diags)
	}
	return cfg.Server
}

func newFixture(t *testing.T, extra string) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{t: t, logs: &syncbuf.Buffer{}, clock: &clock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}, dir: filepath.Join(dir, "state")}
	f.htpasswd = filepath.Join(dir, "htpasswd")
	f.content = "# users\n" + htpasswdLine(t, "alice", passwords["alice"]) + htpasswdLine(t, "bob", passwords["bob"])
	if err := os.WriteFile(f.htpasswd, []byte(f.content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	c := serverBlock(t, dir, fmt.Sprintf("server {\n  listen = \"127.0.0.1:0\"\n  htpasswd_file = %q\n%s}", f.htpasswd, extra))
	logger := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// The real handlers, wired as cmd/notimon wires them.
	api := status.API(status.APIOptions{StateDir: f.dir, Now: f.clock.Now, Logger: logger,
		User: func(r *http.Request) string { return server.User(r.Context()) }})
	mets := metrics.New(metrics.Options{Now: f.clock.Now})
	srv, err := server.New(server.Options{
		Config: c, StateDir: f.dir, API: api, Metrics: mets.Handler(),
		Logger: logger, Now: f.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(time.Second) })
	f.srv = srv
	f.base = "http://" + srv.Addr().String()
	f.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return f
}

// do sends a request with the given credentials ("" user: none) and returns status and body.
func (f *fixture) do(method, path, user, pw string, form url.Values, hdr map[string]string) (*http.Response, string) {
	f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, f.base+path, body)
	if err != nil {
		f.t.Fatal(err)
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
	resp, err := f.client.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// csrf reads the token of the page's forms, as a browser would see it.
func (f *fixture) csrf(user string) string {
	f.t.Helper()
	resp, body := f.do("GET", "/", user, passwords[user], nil, nil)
	if resp.StatusCode != 200 {
		f.t.Fatalf("GET / as %s: %d %s", user, resp.StatusCode, body)
	}
	m := regexp.MustCompile(`name="?csrf"? value="([0-9a-f]+)"`).FindStringSubmatch(body)
	if m == nil {
		f.t.Fatalf("no csrf token in the page:\n%s", body)
	}
	return m[1]
}

// assertNoSecrets checks that no hash or line of the htpasswd file is in s.
func (f *fixture) assertNoSecrets(what, s string) {
	f.t.Helper()
	for _, line := range strings.Split(f.content, "\n") {
		_, hash, ok := strings.Cut(line, ":")
		if ok && strings.Contains(s, hash) {
			f.t.Errorf("%s contains a password hash of the htpasswd file", what)
		}
	}
	for _, pw := range passwords {
		if strings.Contains(s, pw) {
			f.t.Errorf("%s contains a password", what)
		}
	}
}

var protected = []struct{ method, path string }{
	{"GET", "/"},
	{"HEAD", "/"},
	{"GET", "/api/v1/status"},
	{"GET", "/api/v1/rules"},
	{"GET", "/api/v1/silences"},
	{"POST", "/api/v1/silences"},
	{"DELETE", "/api/v1/silences/abc"},
	{"GET", "/metrics"},
	{"POST", "/actions/silence"},
	{"POST", "/actions/expire"},
	{"POST", "/actions/ack"},
	{"GET", "/no/such/page"},
	{"GET", "/htpasswd"},
	{"GET", "/-/nothing"},
	{"GET", "/-/healthy/"},
	{"GET", "/-/ready/../../metrics"},
	{"GET", "//-/healthy"},
}

func TestEveryEndpointButHealthNeedsCredentials(t *testing.T) {
	f := newFixture(t, "")
	for _, e := range protected {
		for _, cred := range []struct{ user, pw, what string }{
			{"", "", "no credentials"},
			{"alice", "wrong", "a wrong password"},
			{"mallory", passwords["alice"], "an unknown user"},
			{"alice", "", "an empty password"},
		} {
			resp, body := f.do(e.method, e.path, cred.user, cred.pw, url.Values{}, nil)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s with %s: %d, want 401", e.method, e.path, cred.what, resp.StatusCode)
			}
			if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Basic realm="notimon"`) {
				t.Errorf("%s %s: WWW-Authenticate %q", e.method, e.path, got)
			}
			f.assertNoSecrets(e.method+" "+e.path+" body", body)
		}
		f.clock.Add(time.Minute) // keep the rate limit out of this test
	}
	for _, e := range protected[:8] {
		resp, _ := f.do(e.method, e.path, "bob", passwords["bob"], nil, nil)
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusTooManyRequests {
			t.Errorf("%s %s with bob's credentials: %d", e.method, e.path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/-/healthy", "/-/ready"} {
		resp, _ := f.do("GET", path, "", "", nil, nil)
		if resp.StatusCode == http.StatusUnauthorized {
			t.Errorf("GET %s without credentials: 401; health needs none", path)
		}
	}
	logs := f.logs.String()
	f.assertNoSecrets("the log", logs)
	if !strings.Contains(logs, `msg="login failed" user=mallory`) || !strings.Contains(logs, "client=127.0.0.1") {
		t.Errorf("failed logins are not logged with user and client:\n%s", logs)
	}
}

func TestHealthAndReady(t *testing.T) {
	f := newFixture(t, "")
	resp, body := f.do("GET", "/-/healthy", "", "", nil, nil)
	if resp.StatusCode != 200 || body != "OK\n" {
		t.Errorf("healthy: %d %q", resp.StatusCode, body)
	}
	resp, body = f.do("GET", "/-/ready", "", "", nil, nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "first tick") {
		t.Errorf("ready before the first tick: %d %q, want 503", resp.StatusCode, body)
	}
	f.srv.SetReady()
	resp, _ = f.do("GET", "/-/ready", "", "", nil, nil)
	if resp.StatusCode != 200 {
		t.Errorf("ready after SetReady: %d", resp.StatusCode)
	}
	resp, _ = f.do("GET", "/metrics", "alice", passwords["alice"], nil, nil)
	if resp.StatusCode != 200 {
		t.Errorf("/metrics with credentials: %d", resp.StatusCode)
	}
}

func TestFailedLoginsAreRateLimited(t *testing.T) {
	f := newFixture(t, "")
	n := 0
	for ; n < 50; n++ {
		resp, _ := f.do("GET", "/", "alice", fmt.Sprintf("guess-%d", n), nil, nil)
		if resp.StatusCode == http.StatusTooManyRequests {
			if resp.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			break
		}
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", n, resp.StatusCode)
		}
	}
	if n != 10 {
		t.Fatalf("the limit applied after %d failures, want 10", n)
	}
	// While limited, even the right password is not checked.
	if resp, _ := f.do("GET", "/", "alice", passwords["alice"], nil, nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("right password while limited: %d, want 429", resp.StatusCode)
	}
	// Health stays reachable.
	if resp, _ := f.do("GET", "/-/healthy", "alice", "x", nil, nil); resp.StatusCode != 200 {
		t.Errorf("healthy while limited: %d", resp.StatusCode)
	}
	// One attempt more per 10 s.
	f.clock.Add(10 * time.Second)
	if resp, _ := f.do("GET", "/", "alice", "guess-again", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a failure 10 s later: %d, want 401", resp.StatusCode)
	}
	if resp, _ := f.do("GET", "/", "alice", passwords["alice"], nil, nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("right away after it: %d, want 429", resp.StatusCode)
	}
	f.clock.Add(10 * time.Second)
	if resp, _ := f.do("GET", "/", "alice", passwords["alice"], nil, nil); resp.StatusCode != 200 {
		t.Errorf("the right password 10 s later: %d, want 200", resp.StatusCode)
	}
	logs := f.logs.String()
	f.assertNoSecrets("the log", logs)
	if strings.Contains(logs, "guess-") {
		t.Error("a tried password is in the log")
	}
}

func TestFormsNeedTheCSRFToken(t *testing.T) {
	f := newFixture(t, "")
	token := f.csrf("alice")
	origin := map[string]string{"Origin": f.base}
	post := func(form url.Values, hdr map[string]string) (*http.Response, string) {
		return f.do("POST", "/actions/silence", "alice", passwords["alice"], form, hdr)
	}
	form := func(tok string) url.Values {
		return url.Values{"csrf": {tok}, "rule": {"web_*"}, "duration": {"1h"}, "comment": {"deploy"}}
	}
	for _, tc := range []struct {
		what string
		form url.Values
		hdr  map[string]string
	}{
		{"no token", url.Values{"rule": {"web_*"}, "duration": {"1h"}}, origin},
		{"a wrong token", form(strings.Repeat("0", 64)), origin},
		{"bob's token as alice", form(f.csrf("bob")), origin},
		{"another site's Origin", form(token), map[string]string{"Origin": "http://evil.example"}},
		{"Sec-Fetch-Site cross-site", form(token), map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"another site's Referer", form(token), map[string]string{"Referer": "http://evil.example/x"}},
	} {
		resp, body := post(tc.form, tc.hdr)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d %s, want 403", tc.what, resp.StatusCode, body)
		}
	}
	if list, err := control.Silences(f.dir, f.clock.Now()); err != nil || len(list) != 0 {
		t.Fatalf("refused forms added silences: %v %v", list, err)
	}

	resp, body := post(form(token), map[string]string{"Origin": f.base, "Sec-Fetch-Site": "same-origin"})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("the page's form: %d %s, want 303 to /", resp.StatusCode, body)
	}
	list, err := control.Silences(f.dir, f.clock.Now())
	if err != nil || len(list) != 1 {
		t.Fatalf("silences after the form: %v %v", list, err)
	}
	s := list[0]
	if s.By != "alice" || s.Comment != "deploy" || len(s.Matchers) != 1 || s.Matchers[0].Rule != "web_*" || s.EndsAt.Sub(s.StartsAt) != time.Hour {
		t.Errorf("silence %+v", s)
	}

	// Expire it through the other form.
	resp, body = f.do("POST", "/actions/expire", "alice", passwords["alice"], url.Values{"csrf": {token}, "id": {s.ID}}, origin)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("expire: %d %s", resp.StatusCode, body)
	}
	list, _ = control.Silences(f.dir, f.clock.Now())
	if len(list) != 1 || list[0].Active(f.clock.Now()) {
		t.Errorf("after expire: %+v", list)
	}

	// A mistake shows the page with the error, 400.
	resp, body = post(url.Values{"csrf": {token}, "rule": {"x"}, "duration": {"soon"}}, origin)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "soon") {
		t.Errorf("bad duration: %d %s", resp.StatusCode, body)
	}
	f.assertNoSecrets("the log", f.logs.String())
}

func TestReadOnlyRefusesWrites(t *testing.T) {
	f := newFixture(t, "  read_only = true\n")
	resp, page := f.do("GET", "/", "alice", passwords["alice"], nil, nil)
	if resp.StatusCode != 200 || strings.Contains(page, "<form") || !strings.Contains(page, "read-only") {
		t.Errorf("the read-only page: %d, has a form or does not say read-only:\n%s", resp.StatusCode, page)
	}
	token := strings.Repeat("0", 64) // the page has none to give
	for _, path := range []string{"/actions/silence", "/actions/expire", "/actions/ack"} {
		resp, _ := f.do("POST", path, "alice", passwords["alice"], url.Values{"csrf": {token}, "rule": {"r"}, "duration": {"1h"}, "id": {"x"}}, nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s when read_only: %d, want 403", path, resp.StatusCode)
		}
	}
	for _, m := range []string{"POST", "DELETE", "PUT"} {
		resp, _ := f.do(m, "/api/v1/silences", "alice", passwords["alice"], nil, nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s /api/v1/silences when read_only: %d, want 403", m, resp.StatusCode)
		}
	}
	if resp, body := f.do("GET", "/api/v1/silences", "alice", passwords["alice"], nil, nil); resp.StatusCode != 200 || !strings.Contains(body, `"silences": []`) {
		t.Errorf("GET /api/v1/silences when read_only: %d %q", resp.StatusCode, body)
	}
}

func TestHtpasswdChangeIsPickedUp(t *testing.T) {
	f := newFixture(t, "")
	if resp, _ := f.do("GET", "/", "carol", "carol-pw", nil, nil); resp.StatusCode != 401 {
		t.Fatalf("carol before she is added: %d", resp.StatusCode)
	}
	content := f.content + htpasswdLine(t, "carol", "carol-pw")
	if err := os.WriteFile(f.htpasswd, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	// mtime granularity: make the change visible even within one clock tick of the fs.
	later := time.Now().Add(time.Second)
	os.Chtimes(f.htpasswd, later, later)
	f.clock.Add(3 * time.Second)
	if resp, _ := f.do("GET", "/", "carol", "carol-pw", nil, nil); resp.StatusCode != 200 {
		t.Errorf("carol after htpasswd -B added her: %d", resp.StatusCode)
	}
	// A broken edit keeps the users loaded before, and says so without the content.
	if err := os.WriteFile(f.htpasswd, []byte(content+"dave:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	later = later.Add(time.Second)
	os.Chtimes(f.htpasswd, later, later)
	f.clock.Add(3 * time.Second)
	if resp, _ := f.do("GET", "/", "carol", "carol-pw", nil, nil); resp.StatusCode != 200 {
		t.Errorf("carol after a broken edit: %d", resp.StatusCode)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, `user \"dave\" has a SHA-1`) {
		t.Errorf("the broken edit is not logged:\n%s", logs)
	}
	if strings.Contains(logs, "W6ph5Mm5") {
		t.Error("the log holds a hash of the htpasswd file")
	}
	f.assertNoSecrets("the log", logs)
}

func TestApplyRestartsTheListenerOnAddressChange(t *testing.T) {
	f := newFixture(t, "")
	old := f.base
	// A free port to move to.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := serverBlock(t, t.TempDir(), fmt.Sprintf("server {\n  listen = %q\n  htpasswd_file = %q\n  read_only = true\n}", addr, f.htpasswd))
	if err := f.srv.Apply(c); err != nil {
		t.Fatal(err)
	}
	if got := f.srv.Addr().String(); got != addr {
		t.Fatalf("listening on %s after Apply, want %s", got, addr)
	}
	if _, err := http.Get(old + "/-/healthy"); err == nil {
		t.Error("the old address still answers")
	}
	f.base = "http://" + addr
	if resp, _ := f.do("POST", "/actions/silence", "alice", passwords["alice"], url.Values{}, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("read_only of the new block not applied: %d", resp.StatusCode)
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certPEM := writeCert(t, dir)
	c := serverBlock(t, dir, fmt.Sprintf("server {\n  listen = \"127.0.0.1:0\"\n  tls_cert_file = %q\n  tls_key_file = %q\n}", filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")))
	srv, err := server.New(server.Options{Config: c, StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close(time.Second)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + srv.Addr().String() + "/-/healthy")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Errorf("https: %d, TLS %v", resp.StatusCode, resp.TLS != nil)
	}
	if resp, err := http.Get("http://" + srv.Addr().String() + "/-/healthy"); err == nil && resp.StatusCode == 200 {
		t.Error("plain HTTP is answered on the TLS listener")
	}
}

// writeCert writes a self-signed certificate for 127.0.0.1 as cert.pem and key.pem.
func writeCert(t *testing.T, dir string) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPEM
}

func TestAPIWritesAsTheLoggedInUserAndNotCrossSite(t *testing.T) {
	f := newFixture(t, "")
	post := func(hdr map[string]string) (*http.Response, string) {
		req, err := http.NewRequest("POST", f.base+"/api/v1/silences", strings.NewReader(`{"rule": "db_*", "for": "30m", "comment": "vacuum", "by": "mallory"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("bob", passwords["bob"])
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := f.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	// A form on another site posting to the API with bob's remembered credentials.
	for _, hdr := range []map[string]string{{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}} {
		if resp, body := post(hdr); resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST %v: %d %s, want 403", hdr, resp.StatusCode, body)
		}
	}
	if list, _ := control.Silences(f.dir, f.clock.Now()); len(list) != 0 {
		t.Fatalf("a cross-site POST added %v", list)
	}
	resp, body := post(nil) // curl
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST /api/v1/silences: %d %s", resp.StatusCode, body)
	}
	list, err := control.Silences(f.dir, f.clock.Now())
	if err != nil || len(list) != 1 || list[0].By != "bob" || list[0].Comment != "vacuum" {
		t.Errorf("silences: %+v %v, want one by bob (the logged-in user, not the body's)", list, err)
	}
}

// TestWithoutAuthOnlyAddressesAreServed: a loopback server without htpasswd_file answers
// requests naming it by address or localhost, not by another name (DNS rebinding).
func TestWithoutAuthOnlyAddressesAreServed(t *testing.T) {
	dir := t.TempDir()
	c := serverBlock(t, dir, "server {\n  listen = \"127.0.0.1:0\"\n}")
	srv, err := server.New(server.Options{Config: c, StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close(time.Second)
	_, port, _ := net.SplitHostPort(srv.Addr().String())
	for host, want := range map[string]int{
		"127.0.0.1:" + port:           200,
		"localhost:" + port:           200,
		"LOCALHOST":                   200,
		"[::1]:" + port:               200,
		"rebind.evil.example:" + port: http.StatusForbidden,
		"notimon.internal":            http.StatusForbidden,
	} {
		req, _ := http.NewRequest("GET", "http://"+srv.Addr().String()+"/", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
	req, _ := http.NewRequest("GET", "http://"+srv.Addr().String()+"/-/healthy", nil)
	req.Host = "any.name"
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("health by any name: %v %v", resp, err)
	}
}

// TestApplyKeepsTheListenerItCannotReplace: a reload to an address in use keeps serving
// on the old one, and still applies read_only.
func TestApplyKeepsTheListenerItCannotReplace(t *testing.T) {
	f := newFixture(t, "")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	c := serverBlock(t, t.TempDir(), fmt.Sprintf("server {\n  listen = %q\n  htpasswd_file = %q\n  read_only = true\n}", busy.Addr().String(), f.htpasswd))
	if err := f.srv.Apply(c); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Apply to a busy address: %v", err)
	}
	if got := "http://" + f.srv.Addr().String(); got != f.base {
		t.Errorf("listening on %s, want the old %s", got, f.base)
	}
	resp, body := f.do("POST", "/actions/silence", "alice", passwords["alice"], url.Values{}, nil)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "read_only") {
		t.Errorf("read_only not applied with the listener kept: %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(f.logs.String(), "cannot listen with the reloaded settings") {
		t.Error("the failed restart is not logged")
	}
}
