package email

import (
	"context"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/email/smtptest"
)

const password = "s3cret-pass-9876"

var (
	start   = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	firing  = notify.Message{Notifier: "mail", Rule: "overload", State: "firing", Severity: "critical", Host: "web-01", Title: "[web-01] 과부하 firing", Text: "<b>[web-01 서버]</b>\nCPU 사용량이 50%를 넘었습니다 — cpu: 93.5%\n" + strings.Repeat("긴 줄 ", 40), Time: start, StartsAt: start}
	resolve = notify.Message{Notifier: "mail", Rule: "overload", State: "resolved", Severity: "critical", Host: "web-01", Title: "[web-01] 과부하 resolved", Text: "해결되었습니다 (28분)", Time: start.Add(28 * time.Minute), StartsAt: start, EndsAt: start.Add(28 * time.Minute)}
)

func parse(t *testing.T, data []byte) *mail.Message {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("not a valid message: %v\n%s", err, data)
	}
	return m
}

func decodeHeader(t *testing.T, m *mail.Message, name string) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get(name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

// qpBody reads a quoted-printable body of wantType in UTF-8. A multipart.Part has decoded
// it already (and dropped its Content-Transfer-Encoding), so part says not to again. The
// line break SMTP puts at the end of a message's data is left out.
func qpBody(t *testing.T, h interface{ Get(string) string }, r io.Reader, wantType string, part bool) string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != wantType || strings.ToLower(params["charset"]) != "utf-8" {
		t.Fatalf("Content-Type %q, want %s; charset=utf-8", h.Get("Content-Type"), wantType)
	}
	if !part {
		if cte := h.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Fatalf("Content-Transfer-Encoding %q", cte)
		}
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
}

func TestFiringAndResolveThreadOverSTARTTLSWithAuth(t *testing.T) {
	srv := smtptest.New(t, smtptest.Options{TLS: true, Username: "notimon", Password: password})
	e, err := New(Config{Addr: srv.Addr, From: "notimon <notimon@example.org>", To: []string{"ops@example.org", "김철수 <cs.kim@example.org>"},
		Username: "notimon", Password: password, RootCAs: srv.RootCAs, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []notify.Message{firing, resolve} {
		if retry, err := e.Notify(context.Background(), m); err != nil || retry {
			t.Fatalf("Notify(%s) = %v, %v", m.State, retry, err)
		}
	}
	got := srv.Messages()
	if len(got) != 2 {
		t.Fatalf("%d messages, want 2 (one email per notification)", len(got))
	}
	var ids, refs []string
	for i, want := range []notify.Message{firing, resolve} {
		g := got[i]
		if !g.TLS || g.User != "notimon" || g.From != "notimon@example.org" || strings.Join(g.To, ",") != "ops@example.org,cs.kim@example.org" {
			t.Errorf("envelope %+v: want TLS, AUTH as notimon, from notimon@, to both", g)
		}
		m := parse(t, g.Data)
		if s := decodeHeader(t, m, "Subject"); s != want.Title {
			t.Errorf("Subject %q, want %q", s, want.Title)
		}
		if to, err := m.Header.AddressList("To"); err != nil || len(to) != 2 || to[1].Name != "김철수" {
			t.Errorf("To %v, %v", to, err)
		}
		if d, err := m.Header.Date(); err != nil || !d.Equal(want.Time) {
			t.Errorf("Date %v, %v; want %v", d, err, want.Time)
		}
		if m.Header.Get("MIME-Version") != "1.0" {
			t.Errorf("no MIME-Version")
		}
		if body := qpBody(t, m.Header, m.Body, "text/plain", false); body != want.Text {
			t.Errorf("body %q\nwant %q", body, want.Text)
		}
		for _, line := range strings.Split(string(g.Data), "\r\n") {
			if len(line) > 78 {
				t.Errorf("a line of %d bytes: %q", len(line), line)
			}
		}
		ids = append(ids, m.Header.Get("Message-ID"))
		refs = append(refs, m.Header.Get("In-Reply-To")+" "+m.Header.Get("References"))
	}
	if ids[0] == ids[1] || !strings.HasPrefix(ids[0], "<") || !strings.HasSuffix(ids[0], "@example.org>") {
		t.Errorf("Message-IDs %q: want two different ids", ids)
	}
	inc := IncidentID(firing, "example.org")
	if refs[0] != inc+" "+inc || refs[1] != refs[0] {
		t.Errorf("threading headers %q, want both In-Reply-To and References %s", refs, inc)
	}
	next := firing
	next.StartsAt = start.Add(time.Hour)
	if IncidentID(next, "example.org") == inc {
		t.Errorf("the rule's next incident gets the same thread")
	}
	// The same message composed again (a retry) gets the same Message-ID: a copy the
	// server took before an error is a duplicate the mail client folds.
	again, _ := e.Compose(firing)
	if id := parse(t, again).Header.Get("Message-ID"); id != ids[0] {
		t.Errorf("a resent message has Message-ID %s, the first %s", id, ids[0])
	}
}

func TestImplicitTLS(t *testing.T) {
	srv := smtptest.New(t, smtptest.Options{TLS: true, Implicit: true, Username: "notimon", Password: password})
	e, err := New(Config{Addr: srv.Addr, From: "notimon@example.org", To: []string{"ops@example.org"}, TLS: TLSImplicit,
		Username: "notimon", Password: password, RootCAs: srv.RootCAs, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if retry, err := e.Notify(context.Background(), resolve); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	if got := srv.Messages(); len(got) != 1 || !got[0].TLS || got[0].User != "notimon" {
		t.Fatalf("messages %+v, want one over TLS with AUTH", got)
	}
}

func TestHTMLMessageHasPlainAlternative(t *testing.T) {
	srv := smtptest.New(t, smtptest.Options{})
	n, err := Kind.New("mail", map[string]any{"smtp": srv.Addr, "from": "notimon@example.org", "to": []string{"ops@example.org"}, "tls": "none", "html": true}, notify.Env{})
	if err != nil {
		t.Fatal(err)
	}
	esc := Kind.Escape(map[string]any{"html": true})
	m := firing
	m.Text = "<b>[web-01 서버]</b><br>\n출력: " + esc("a < b & \"c\"")
	if retry, err := n.Notify(context.Background(), m); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	msg := parse(t, srv.Messages()[0].Data)
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q", msg.Header.Get("Content-Type"))
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	plainPart, err := r.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if got := qpBody(t, plainPart.Header, plainPart, "text/plain", true); got != "[web-01 서버]\n\n출력: a < b & \"c\"" {
		t.Errorf("plain part %q", got)
	}
	htmlPart, err := r.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if got := qpBody(t, htmlPart.Header, htmlPart, "text/html", true); !strings.Contains(got, "<b>[web-01 서버]</b><br>\n출력: a &lt; b &amp; &#34;c&#34;") {
		t.Errorf("html part %q", got)
	}
	if _, err := r.NextPart(); err != io.EOF {
		t.Errorf("more than two parts: %v", err)
	}
}

// A title with a line break (from a placeholder: the engine makes it one line, and so
// does the notifier, whoever built the message) cannot add a header or a recipient.
func TestSubjectInjection(t *testing.T) {
	srv := smtptest.New(t, smtptest.Options{})
	e, err := New(Config{Addr: srv.Addr, From: "notimon@example.org", To: []string{"ops@example.org"}, TLS: TLSNone})
	if err != nil {
		t.Fatal(err)
	}
	m := firing
	m.Title = "x\r\nBcc: evil@example.org\nX-Evil: 1"
	if _, err := e.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	g := srv.Messages()[0]
	msg := parse(t, g.Data)
	if len(g.To) != 1 || msg.Header.Get("Bcc") != "" || msg.Header.Get("X-Evil") != "" {
		t.Errorf("the subject added a header or a recipient: to %v\n%s", g.To, g.Data)
	}
	if s := decodeHeader(t, msg, "Subject"); s != "x Bcc: evil@example.org X-Evil: 1" {
		t.Errorf("Subject %q", s)
	}
	// A message sent by hand has no title: the subject is the host and its first line.
	if _, err := e.Notify(context.Background(), notify.Message{Host: "web-01", Text: "hello\nworld"}); err != nil {
		t.Fatal(err)
	}
	if s := decodeHeader(t, parse(t, srv.Messages()[1].Data), "Subject"); s != "[web-01] notimon: hello" {
		t.Errorf("Subject by hand %q", s)
	}
}

func TestFailuresAreClassifiedAndRedacted(t *testing.T) {
	srv := smtptest.New(t, smtptest.Options{TLS: true, Username: "notimon", Password: password})
	cfg := Config{Addr: srv.Addr, From: "notimon@example.org", To: []string{"ops@example.org"}, Username: "notimon", Password: password, RootCAs: srv.RootCAs, Timeout: 10 * time.Second}
	notifyWith := func(cfg Config) (bool, error) {
		e, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return e.Notify(context.Background(), firing)
	}

	srv.Down()
	if retry, err := notifyWith(cfg); err == nil || !retry || !strings.Contains(err.Error(), "421") {
		t.Errorf("server down (421): %v, %v; want retryable", retry, err)
	}
	srv.Up()

	wrong := cfg
	wrong.Password = "wrong-password-1234"
	if retry, err := notifyWith(wrong); err == nil || retry || !strings.Contains(err.Error(), "535") || strings.Contains(err.Error(), "wrong-password") {
		t.Errorf("wrong password: %v, %v; want final, 535, no password", retry, err)
	}

	untrusted := cfg
	untrusted.RootCAs = nil
	if retry, err := notifyWith(untrusted); err == nil || retry {
		t.Errorf("untrusted certificate: %v, %v; want final", retry, err)
	}

	plain := smtptest.New(t, smtptest.Options{})
	noTLS := Config{Addr: plain.Addr, From: "notimon@example.org", To: []string{"ops@example.org"}}
	if retry, err := notifyWith(noTLS); err == nil || retry || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("no STARTTLS offered: %v, %v; want final", retry, err)
	}
	if len(plain.Messages()) != 0 {
		t.Errorf("sent in clear text without STARTTLS")
	}

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := l.Addr().String()
	l.Close()
	refused := cfg
	refused.Addr = closed
	if retry, err := notifyWith(refused); err == nil || !retry {
		t.Errorf("connection refused: %v, %v; want retryable", retry, err)
	}
	if len(srv.Messages()) != 0 {
		t.Errorf("%d messages delivered", len(srv.Messages()))
	}
	if retry, err := notifyWith(cfg); err != nil || retry {
		t.Errorf("back up: %v, %v", retry, err)
	}
}

func TestCheck(t *testing.T) {
	ok := map[string]any{"smtp": "smtp.example.org:587", "from": "n@example.org", "to": []string{"ops@example.org"}}
	with := func(kv ...any) map[string]any {
		m := map[string]any{}
		for k, v := range ok {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		attrs map[string]any
		want  string
	}{
		{ok, ""},
		{with("tls", "none", "smtp", "127.0.0.1:25"), ""},
		{with("tls", "none", "smtp", "[::1]:25", "username", "u", "password", "p"), ""},
		{with("tls", "none"), `tls = "none" would send the messages in clear text to smtp.example.org`},
		{with("tls", "none", "username", "u", "password", password), "the password (AUTH) and the messages in clear text"},
		{with("smtp", "smtp.example.org"), "must be host:port"},
		{with("smtp", "smtp.example.org:smtp"), "the port must be a number"},
		{with("from", "notimon"), `from "notimon" is not an email address`},
		{with("to", []string{"ops@example.org", "ops at example"}), `to "ops at example" is not an email address`},
		{with("username", "u"), "without password"},
		{with("password", password), "without username"},
		{with("username", "u", "password", password, "password_file", "/etc/notimon/smtp"), "not both"},
	} {
		err := Kind.Check(tc.attrs)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.attrs, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: %v, want %q", tc.attrs, err, tc.want)
		case err != nil && strings.Contains(err.Error(), password):
			t.Errorf("error quotes the password: %v", err)
		}
	}
}
