package http

import (
	"context"
	"crypto/x509"
	"io"
	"log"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notimon/notimon/probes/internal/fixture"
)

var now = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// closedAddr returns a 127.0.0.1 address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestSample(t *testing.T) {
	big := strings.Repeat("x", MaxBody) + "needle"
	mux := nethttp.NewServeMux()
	mux.HandleFunc("/ok", func(w nethttp.ResponseWriter, r *nethttp.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("/down", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		nethttp.Error(w, "maintenance", nethttp.StatusServiceUnavailable)
	})
	mux.HandleFunc("/slow", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/slow-body", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Write([]byte("partial"))
		w.(nethttp.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/wait50ms", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		time.Sleep(50 * time.Millisecond)
		w.Write([]byte("late but fine"))
	})
	mux.HandleFunc("/big", func(w nethttp.ResponseWriter, r *nethttp.Request) { w.Write([]byte(big)) })
	mux.HandleFunc("/to-ok", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		nethttp.Redirect(w, r, "/ok", nethttp.StatusFound)
	})
	mux.HandleFunc("/to-file", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		nethttp.Redirect(w, r, "file:///etc/passwd", nethttp.StatusFound)
	})
	mux.HandleFunc("/to-gopher", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		nethttp.Redirect(w, r, "gopher://user:secret@127.0.0.1:70/x?token=abc", nethttp.StatusMovedPermanently)
	})
	mux.HandleFunc("/loop", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		nethttp.Redirect(w, r, "/loop", nethttp.StatusFound)
	})
	mux.HandleFunc("/echo", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.Method != nethttp.MethodHead {
			w.Write([]byte(r.Method + " " + r.Host + " " + r.Header.Get("X-Token") + " " + r.UserAgent()))
		}
	})
	mux.HandleFunc("/head-only", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.Method != nethttp.MethodHead {
			w.WriteHeader(nethttp.StatusMethodNotAllowed)
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, tc := range []struct {
		name  string
		cfg   Config
		want  Values // LatencyMs is checked separately
		slow  bool   // latency_ms must be at least 50
		noLat bool   // latency_ms must be 0: no full response
		// maxTime bounds how long Sample may take: a failure bound for a loaded machine,
		// below the 5 s the slow handlers hold a request.
		maxTime time.Duration
	}{
		{name: "200 is up", cfg: Config{URL: srv.URL + "/ok"},
			want: Values{Up: true, Status: 200}},
		{name: "503 is down", cfg: Config{URL: srv.URL + "/down"},
			want: Values{Status: 503, Error: "status 503"}},
		{name: "latency counts the wait", cfg: Config{URL: srv.URL + "/wait50ms"},
			want: Values{Up: true, Status: 200}, slow: true},
		{name: "body matches, final line break ignored", cfg: Config{URL: srv.URL + "/ok", BodyMatch: regexp.MustCompile(`^ok$`)},
			want: Values{Up: true, Status: 200, BodyMatched: true}},
		{name: "body does not match ^ok$", cfg: Config{URL: srv.URL + "/down", BodyMatch: regexp.MustCompile(`^ok$`)},
			want: Values{Status: 503, Error: "status 503"}},
		{name: "body does not match, status fine", cfg: Config{URL: srv.URL + "/echo", BodyMatch: regexp.MustCompile(`^ok$`)},
			want: Values{Status: 200, Error: "body does not match ^ok$"}},
		{name: "body does not match", cfg: Config{URL: srv.URL + "/ok", BodyMatch: regexp.MustCompile(`healthy`)},
			want: Values{Status: 200, Error: "body does not match healthy"}},
		{name: "only the first MiB is matched", cfg: Config{URL: srv.URL + "/big", BodyMatch: regexp.MustCompile(`needle`)},
			want: Values{Status: 200, Error: "body does not match needle"}},
		{name: "status wins over body", cfg: Config{URL: srv.URL + "/down", BodyMatch: regexp.MustCompile(`maintenance`)},
			want: Values{Status: 503, Error: "status 503", BodyMatched: true}},
		{name: "timeout waiting for headers", cfg: Config{URL: srv.URL + "/slow", Timeout: 200 * time.Millisecond},
			want: Values{Error: "timeout after 200ms"}, noLat: true, maxTime: 3 * time.Second},
		{name: "timeout reading the body", cfg: Config{URL: srv.URL + "/slow-body", Timeout: 200 * time.Millisecond},
			want: Values{Status: 200, Error: "timeout after 200ms while reading the body"}, noLat: true, maxTime: 3 * time.Second},
		{name: "connection refused", cfg: Config{URL: "http://" + closedAddr(t) + "/"},
			want: Values{Error: "connection refused"}, noLat: true},
		{name: "redirect to http is followed", cfg: Config{URL: srv.URL + "/to-ok", BodyMatch: regexp.MustCompile(`ok`)},
			want: Values{Up: true, Status: 200, BodyMatched: true}},
		{name: "redirect to file is refused", cfg: Config{URL: srv.URL + "/to-file"},
			want: Values{Status: 302, Error: "redirect to file:///etc/passwd refused"}, noLat: true},
		{name: "redirect to gopher is refused, secrets left out", cfg: Config{URL: srv.URL + "/to-gopher"},
			want: Values{Status: 301, Error: "redirect to gopher://127.0.0.1:70/x?… refused"}, noLat: true},
		{name: "redirect loop", cfg: Config{URL: srv.URL + "/loop"},
			want: Values{Status: 302, Error: "stopped after 5 redirects"}, noLat: true},
		{name: "HEAD", cfg: Config{URL: srv.URL + "/head-only", Method: "HEAD"},
			want: Values{Up: true, Status: 200}},
		{name: "headers are sent", cfg: Config{URL: srv.URL + "/echo", Method: "POST",
			Headers:   map[string]string{"X-Token": "t0ken", "Host": "example.test"},
			BodyMatch: regexp.MustCompile(`^POST example\.test t0ken notimon$`)},
			want: Values{Up: true, Status: 200, BodyMatched: true}},
		{name: "User-Agent can be replaced", cfg: Config{URL: srv.URL + "/echo",
			Headers:   map[string]string{"User-Agent": "probe/1"},
			BodyMatch: regexp.MustCompile(` probe/1$`)},
			want: Values{Up: true, Status: 200, BodyMatched: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.maxTime == 0 {
				tc.maxTime = 3 * time.Second
			}
			start := time.Now()
			got := Sample(context.Background(), tc.cfg, now)
			if took := time.Since(start); took > tc.maxTime {
				t.Errorf("Sample took %v, want at most %v", took, tc.maxTime)
			}
			lat := got.LatencyMs
			got.LatencyMs = 0
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			switch {
			case tc.noLat && lat != 0:
				t.Errorf("latency_ms = %v, want 0 (no full response)", lat)
			case !tc.noLat && lat <= 0:
				t.Errorf("latency_ms = %v, want > 0", lat)
			case tc.slow && lat < 50:
				t.Errorf("latency_ms = %v, want at least 50", lat)
			}
		})
	}
}

func TestSampleRefusesOtherSchemes(t *testing.T) {
	got := Sample(context.Background(), Config{URL: "file:///etc/passwd"}, now)
	if want := (Values{Error: `url must start with http:// or https://, not "file:"`}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestSampleCanceled(t *testing.T) {
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got := Sample(ctx, Config{URL: srv.URL}, now)
	if got.Up || !strings.HasPrefix(got.Error, "canceled") {
		t.Errorf("got %+v, want down and canceled", got)
	}
}

func TestSampleTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.URL.Path == "/to-plain" {
			nethttp.Redirect(w, r, r.URL.Query().Get("to"), nethttp.StatusFound)
			return
		}
		w.Write([]byte("ok"))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	srv.StartTLS()
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	plain := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {}))
	defer plain.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	// 30.5 days before the test certificate expires.
	at := srv.Certificate().NotAfter.Add(-(30*24 + 12) * time.Hour)

	for _, tc := range []struct {
		name string
		cfg  Config
		want Values
	}{
		{name: "days left on a verified certificate", cfg: Config{URL: srv.URL, RootCAs: roots},
			want: Values{Up: true, Status: 200, CertDaysLeft: 30.5}},
		{name: "kept across a redirect to http", cfg: Config{URL: srv.URL + "/to-plain?to=" + plain.URL, RootCAs: roots},
			want: Values{Up: true, Status: 200, CertDaysLeft: 30.5}},
		{name: "unknown authority", cfg: Config{URL: srv.URL},
			want: Values{Error: "certificate verification failed: x509: certificate signed by unknown authority"}},
		{name: "wrong name", cfg: Config{URL: "https://localhost:" + port, RootCAs: roots},
			want: Values{Error: "certificate verification failed: x509: certificate is valid for example.com, *.example.com, not localhost"}},
		{name: "insecure_skip_verify still counts days", cfg: Config{URL: srv.URL, InsecureSkipVerify: true},
			want: Values{Up: true, Status: 200, CertDaysLeft: 30.5}},
		{name: "plain http has none", cfg: Config{URL: plain.URL},
			want: Values{Up: true, Status: 200}},
		{name: "https to a plain port", cfg: Config{URL: strings.Replace(plain.URL, "http:", "https:", 1)},
			want: Values{Error: "http: server gave HTTP response to HTTPS client"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Sample(context.Background(), tc.cfg, at)
			got.LatencyMs = 0
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestFromAttrs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		attrs   map[string]any
		want    Config
		wantErr string
	}{
		{name: "defaults", attrs: map[string]any{"url": "http://127.0.0.1:8080/health"},
			want: Config{URL: "http://127.0.0.1:8080/health", Method: "GET", Timeout: DefaultTimeout}},
		{name: "all set", attrs: map[string]any{
			"url": "https://example.com/", "method": "HEAD", "headers": map[string]string{"X-A": "b"},
			"timeout": 3 * time.Second, "insecure_skip_verify": true},
			want: Config{URL: "https://example.com/", Method: "HEAD", Headers: map[string]string{"X-A": "b"},
				Timeout: 3 * time.Second, InsecureSkipVerify: true}},
		{name: "zero timeout is the default", attrs: map[string]any{"url": "http://a/", "timeout": time.Duration(0)},
			want: Config{URL: "http://a/", Method: "GET", Timeout: DefaultTimeout}},
		{name: "missing url", attrs: map[string]any{}, wantErr: "url is missing"},
		{name: "file url", attrs: map[string]any{"url": "file:///etc/passwd"},
			wantErr: `url must start with http:// or https://, not "file:"`},
		{name: "no host", attrs: map[string]any{"url": "http:///x"}, wantErr: "url has no host"},
		{name: "bad url hides the password", attrs: map[string]any{"url": "http://u:s3cret@a b/"},
			wantErr: "url is not a valid URL"},
		{name: "bad regexp", attrs: map[string]any{"url": "http://a/", "body_match": "("},
			wantErr: "body_match: error parsing regexp"},
		{name: "HEAD with body_match", attrs: map[string]any{"url": "http://a/", "method": "HEAD", "body_match": "ok"},
			wantErr: "body_match needs a response body"},
		{name: "bad method", attrs: map[string]any{"url": "http://a/", "method": "GE T"},
			wantErr: `method "GE T" is not an HTTP method`},
		{name: "bad header name", attrs: map[string]any{"url": "http://a/", "headers": map[string]string{"X A": "b"}},
			wantErr: `header name "X A"`},
		{name: "header injection", attrs: map[string]any{"url": "http://a/", "headers": map[string]string{"X-A": "b\r\nX-B: c"}},
			wantErr: `the value of header "X-A" contains a line break`},
		{name: "wrong type", attrs: map[string]any{"url": "http://a/", "timeout": "3s"},
			wantErr: "attribute timeout: want time.Duration, got string"},
		{name: "unknown attribute", attrs: map[string]any{"url": "http://a/", "insecure": true},
			wantErr: `unknown attribute "insecure"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromAttrs(tc.attrs)
			if fixture.WantError(t, err, tc.wantErr) {
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.URL != tc.want.URL || got.Method != tc.want.Method || got.Timeout != tc.want.Timeout ||
				got.InsecureSkipVerify != tc.want.InsecureSkipVerify || len(got.Headers) != len(tc.want.Headers) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	c, err := FromAttrs(map[string]any{"url": "http://a/", "body_match": "^ok"})
	if err != nil || c.BodyMatch == nil || c.BodyMatch.String() != "^ok" {
		t.Errorf("body_match: got %v, %v", c.BodyMatch, err)
	}
}

// TestSampleRefusesHeaderInjection: a header value holding CR LF ("x\r\nBcc: …", say from
// an env() read) is refused before any request leaves, even for a Config that did not go
// through FromAttrs, and the error names the header, not the value.
func TestSampleRefusesHeaderInjection(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) { requests.Add(1) }))
	defer srv.Close()
	v := Sample(context.Background(), Config{URL: srv.URL, Headers: map[string]string{"X-Trace": "x\r\nBcc: evil@example.org"}}, time.Now())
	if v.Up || !strings.Contains(v.Error, `the value of header "X-Trace" contains a line break`) || strings.Contains(v.Error, "evil") {
		t.Errorf("up %v, error %q", v.Up, v.Error)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}
