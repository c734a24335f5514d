package notify_test

import (
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"testing"

	"github.com/notimon/notimon/actions/notify"
)

const injection = "x\r\nBcc: evil@example.org"

func TestHeaderValue(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "",
		"disk almost full: /var":    "disk almost full: /var",
		injection:                   "x Bcc: evil@example.org",
		"x\rBcc: evil@example.org":  "x Bcc: evil@example.org",
		"x\nBcc: evil@example.org":  "x Bcc: evil@example.org",
		"a\r\n\r\n\r\nb":            "a b",
		"\r\n  trimmed \n":          "trimmed",
		"tab\tkept":                 "tab\tkept",
		"nul\x00del\x7fesc\x1b":     "nul del esc",
		"nel\u0085ls\u2028ps\u2029": "nel ls ps",
		"[web-01 서버] 메모리 ✅":         "[web-01 서버] 메모리 ✅",
	} {
		if got := notify.HeaderValue(in); got != want {
			t.Errorf("HeaderValue(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestHeaderValueInAnEmail builds an email header block the way a mail notifier would and
// parses it with net/mail: the rendered value stays inside its Subject and adds no header.
func TestHeaderValueInAnEmail(t *testing.T) {
	for _, v := range []string{injection, "x\rBcc: evil@example.org", "x\nBcc: evil@example.org", "x\r\n\r\nbody takeover"} {
		raw := "From: notimon@example.org\r\nTo: ops@example.org\r\nSubject: [web-01] " + notify.HeaderValue(v) + "\r\n\r\nbody\r\n"
		m, err := mail.ReadMessage(strings.NewReader(raw))
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if len(m.Header) != 3 || m.Header.Get("Bcc") != "" {
			t.Errorf("%q: headers %v, want only From, To and Subject", v, m.Header)
		}
		if got, want := m.Header.Get("Subject"), "[web-01] "+notify.HeaderValue(v); got != want {
			t.Errorf("%q: Subject %q, want %q", v, got, want)
		}
	}
}

// TestHeaderValueOverHTTP sends a rendered value as a real HTTP header: one header arrives,
// holding the whole value on one line.
func TestHeaderValueOverHTTP(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer srv.Close()
	req, err := http.NewRequest(http.MethodPost, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Title", notify.HeaderValue(injection))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got.Get("Bcc") != "" || got.Get("Title") != "x Bcc: evil@example.org" {
		t.Errorf("the server saw %v", got)
	}
	// The raw value is what CheckHeader refuses, and net/http would refuse it at send time.
	req.Header.Set("Title", injection)
	if _, err := srv.Client().Do(req); err == nil {
		t.Error("net/http sent a header value with CR LF")
	}
}

func TestCheckHeader(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"Authorization", "Bearer abc.def", ""},
		{"X-Scope-OrgID", "tenant\t1", ""},
		{"X-Title", injection, `the value of header "X-Title" contains a line break (CR or LF); a header is one line, and a line break would start another header`},
		{"X-Title", "token\n", `the value of header "X-Title" contains a line break`},
		{"X-Title", "a\x00b", `the value of header "X-Title" contains a NUL byte`},
		{"X-Title", "a\x1bb", `the value of header "X-Title" contains the control character 0x1b`},
		{"Bad Header", "1", `header name "Bad Header" is not a valid HTTP header name`},
		{"X-Title:", "1", `header name "X-Title:" is not a valid HTTP header name`},
		{"", "1", `header name "" is not a valid HTTP header name`},
	} {
		err := notify.CheckHeader(tc.name, tc.value)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckHeader(%q, %q) = %v, want nil", tc.name, tc.value, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("CheckHeader(%q, %q) = %v, want %q…", tc.name, tc.value, err, tc.want)
		case err != nil && strings.Contains(err.Error(), "evil"):
			t.Errorf("the error quotes the value (headers carry secrets): %v", err)
		}
	}
}
