package email

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"regexp"
	"strings"
	"time"

	"github.com/notimon/notimon/actions/notify"
)

// DefaultTimeout bounds one attempt (connection, TLS, AUTH and the whole transaction).
const DefaultTimeout = 30 * time.Second

// Config is an email notifier's settings.
type Config struct {
	Addr     string   // the SMTP server, host:port
	From     string   // the envelope and header sender
	To       []string // the recipients
	HTML     bool     // the message is HTML: sent with a plain-text alternative
	Username string   // AUTH PLAIN when set
	Password string
	TLS      string // TLSStartTLS (""), TLSImplicit or TLSNone
	Timeout  time.Duration
	// RootCAs verifies the server's certificate; nil means the system's (tests inject one).
	RootCAs *x509.CertPool
}

// Email sends each message as one email to every recipient.
type Email struct {
	cfg  Config
	host string
	from *mail.Address
	to   []*mail.Address
}

var _ notify.Notifier = (*Email)(nil)

// New checks cfg and builds the notifier. It makes no connection.
func New(cfg Config) (*Email, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("email: %w", err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	host, _, _ := net.SplitHostPort(cfg.Addr)
	e := &Email{cfg: cfg, host: host}
	e.from, _ = mail.ParseAddress(cfg.From)
	for _, to := range cfg.To {
		a, _ := mail.ParseAddress(to)
		e.to = append(e.to, a)
	}
	return e, nil
}

// Notify makes one attempt to send m: one SMTP transaction for all recipients. A 4xx
// answer, a timeout or a dropped connection is worth another attempt; a 5xx answer, a
// certificate that does not verify or a server without STARTTLS is not.
func (e *Email) Notify(ctx context.Context, m notify.Message) (bool, error) {
	msg, err := e.Compose(m)
	if err != nil {
		return false, fmt.Errorf("email: composing the message: %w", err)
	}
	retryable, err := e.send(ctx, msg)
	return retryable, notify.RedactError(err, e.cfg.Password)
}

func (e *Email) send(ctx context.Context, msg []byte) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	prefix := "email: smtp " + e.cfg.Addr
	d := net.Dialer{}
	conn, err := d.DialContext(ctx, "tcp", e.cfg.Addr)
	if err != nil {
		return e.netError(ctx, prefix, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	tlsConfig := &tls.Config{ServerName: e.host, RootCAs: e.cfg.RootCAs, MinVersion: tls.VersionTLS12}
	if e.cfg.TLS == TLSImplicit {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return e.netError(ctx, prefix, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, e.host)
	if err != nil {
		return e.smtpError(ctx, prefix+": greeting", err)
	}
	defer c.Close()
	if err := c.Hello("notimon"); err != nil {
		return e.smtpError(ctx, prefix+": EHLO", err)
	}
	if e.cfg.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return false, fmt.Errorf("%s: the server does not offer STARTTLS; notimon will not send in clear text (use tls = \"tls\" for port 465)", prefix)
		}
		if err := c.StartTLS(tlsConfig); err != nil {
			return e.smtpError(ctx, prefix+": STARTTLS", err)
		}
	}
	if e.cfg.Username != "" {
		// PlainAuth itself refuses to send the password unencrypted except to localhost.
		if err := c.Auth(smtp.PlainAuth("", e.cfg.Username, e.cfg.Password, e.host)); err != nil {
			return e.smtpError(ctx, prefix+": AUTH", err)
		}
	}
	if err := c.Mail(e.from.Address); err != nil {
		return e.smtpError(ctx, prefix+": MAIL FROM", err)
	}
	for _, to := range e.to {
		if err := c.Rcpt(to.Address); err != nil {
			return e.smtpError(ctx, prefix+": RCPT TO <"+to.Address+">", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return e.smtpError(ctx, prefix+": DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return e.smtpError(ctx, prefix+": DATA", err)
	}
	if err := w.Close(); err != nil { // the server's answer to the message
		return e.smtpError(ctx, prefix+": DATA", err)
	}
	_ = c.Quit() // delivered: the server took the message; a failed QUIT changes nothing
	return false, nil
}

// smtpError classifies an error of the SMTP conversation: a 4xx reply is temporary, a
// 5xx permanent; other errors are the connection's.
func (e *Email) smtpError(ctx context.Context, prefix string, err error) (bool, error) {
	var te *textproto.Error
	if errors.As(err, &te) {
		msg := fmt.Errorf("%s: %d %s", prefix, te.Code, notify.OneLine(te.Msg, 200))
		return te.Code >= 400 && te.Code < 500, msg
	}
	return e.netError(ctx, prefix, err)
}

// netError classifies a connection error: the caller's cancellation and a certificate
// that does not verify are final; timeouts, refused and dropped connections are not.
func (e *Email) netError(ctx context.Context, prefix string, err error) (bool, error) {
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return false, fmt.Errorf("%s: %w", prefix, ctx.Err())
	}
	var (
		unknownAuthority x509.UnknownAuthorityError
		invalidCert      x509.CertificateInvalidError
		hostname         x509.HostnameError
		verification     *tls.CertificateVerificationError
	)
	if errors.As(err, &unknownAuthority) || errors.As(err, &invalidCert) ||
		errors.As(err, &hostname) || errors.As(err, &verification) {
		return false, fmt.Errorf("%s: %w", prefix, err)
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return true, fmt.Errorf("%s: no answer within %s: %w", prefix, e.cfg.Timeout, err)
	}
	return true, fmt.Errorf("%s: %w", prefix, err)
}

// Compose returns m as an RFC 5322 message: UTF-8, quoted-printable, a plain-text body
// (and an HTML alternative when the notifier's messages are HTML), threading headers
// that put every message of one incident of a rule in one thread.
func (e *Email) Compose(m notify.Message) ([]byte, error) {
	t := m.Time
	if t.IsZero() {
		t = time.Now()
	}
	domain := e.from.Address[strings.LastIndexByte(e.from.Address, '@')+1:]
	subject := notify.HeaderValue(m.Title)
	if subject == "" {
		subject = notify.HeaderValue(e.fallbackSubject(m))
	}
	var b bytes.Buffer
	h := func(name, value string) { fmt.Fprintf(&b, "%s: %s\r\n", name, value) }
	h("From", e.from.String())
	to := make([]string, len(e.to))
	for i, a := range e.to {
		to[i] = a.String()
	}
	h("To", strings.Join(to, ",\r\n "))
	h("Subject", mime.QEncoding.Encode("utf-8", subject))
	h("Date", t.Format(time.RFC1123Z))
	h("Message-ID", "<"+digest("msg", m.Notifier, m.Rule, m.State, t.UTC().Format(time.RFC3339Nano), m.Text)+"@"+domain+">")
	if id := IncidentID(m, domain); id != "" {
		h("In-Reply-To", id)
		h("References", id)
	}
	if m.Rule != "" {
		h("X-Notimon-Rule", mime.QEncoding.Encode("utf-8", notify.HeaderValue(m.Rule)))
		h("X-Notimon-State", notify.HeaderValue(m.State))
	}
	h("Auto-Submitted", "auto-generated")
	h("MIME-Version", "1.0")
	if !e.cfg.HTML {
		h("Content-Type", "text/plain; charset=utf-8")
		h("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, m.Text); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	mw := multipart.NewWriter(&b)
	h("Content-Type", "multipart/alternative; boundary="+mw.Boundary())
	b.WriteString("\r\n")
	for _, part := range []struct{ ctype, text string }{
		{"text/plain; charset=utf-8", PlainText(m.Text)},
		{"text/html; charset=utf-8", "<!DOCTYPE html>\r\n<html><body><div style=\"white-space: pre-wrap\">" + m.Text + "</div></body></html>"},
	} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		if err := writeQP(pw, part.text); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// IncidentID is the Message-ID every message of one incident of a rule refers to (its
// In-Reply-To and References): the same for the firing message, its renotifications and
// its resolve, another for the rule's next incident; "" for a message sent by hand. No
// message carries it as its own Message-ID (the first one sent may be lost, or resent):
// mail clients that thread by References (Thunderbird, Apple Mail, Outlook, mutt) group
// the messages under it.
func IncidentID(m notify.Message, domain string) string {
	if m.Rule == "" || m.StartsAt.IsZero() {
		return ""
	}
	return "<" + digest("incident", m.Host, m.Rule, m.StartsAt.UTC().Format(time.RFC3339Nano)) + "@" + domain + ">"
}

// digest is a stable Message-ID local part for its parts.
func digest(kind string, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "notimon." + kind + "." + hex.EncodeToString(sum[:12])
}

// fallbackSubject is the subject of a message without a rendered title (one sent by
// hand): the host and the message's first line.
func (e *Email) fallbackSubject(m notify.Message) string {
	text := m.Text
	if e.cfg.HTML {
		text = PlainText(text)
	}
	first, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	if m.Host != "" {
		return "[" + m.Host + "] notimon: " + notify.OneLine(first, 120)
	}
	return "notimon: " + notify.OneLine(first, 120)
}

// writeQP writes text quoted-printable with CRLF line ends.
func writeQP(w io.Writer, text string) error {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n")
	qp := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qp, text); err != nil {
		return err
	}
	return qp.Close()
}

var (
	breakRE = regexp.MustCompile(`(?i)<br\s*/?>|</p>|</div>|</li>|</tr>|</h[1-6]>`)
	tagRE   = regexp.MustCompile(`<[^>]*>`)
)

// PlainText is the plain-text alternative of an HTML message: line-breaking tags become
// line breaks, other tags go, entities are decoded.
func PlainText(s string) string {
	s = breakRE.ReplaceAllString(s, "$0\n")
	s = tagRE.ReplaceAllString(s, "")
	return html.UnescapeString(s)
}
