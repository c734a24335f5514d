// Package smtptest is a real SMTP server for tests (github.com/emersion/go-smtp on
// 127.0.0.1): it speaks the protocol, offers STARTTLS and AUTH PLAIN when asked to, and
// records every message it accepts. Down makes it answer 421 (service not available) to
// every new connection, as a relay being restarted does. Only tests import it.
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one accepted message: its envelope and its data as received.
type Message struct {
	From string
	To   []string
	Data []byte
	TLS  bool   // the session was encrypted
	User string // who authenticated, "" for nobody
}

// Options configure a Server.
type Options struct {
	TLS      bool   // offer STARTTLS with a certificate for 127.0.0.1 (see RootCAs)
	Implicit bool   // with TLS: speak TLS from the first byte (port 465) instead
	Username string // when set, require AUTH PLAIN with Username and Password
	Password string
}

// Server is a running test SMTP server.
type Server struct {
	Addr    string         // host:port on 127.0.0.1
	RootCAs *x509.CertPool // verifies its certificate, with Options.TLS

	opts Options
	mu   sync.Mutex
	msgs []Message
	down bool
	arr  chan struct{} // closed and replaced on each accepted message
}

// New starts a Server that the test's cleanup stops.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{opts: opts, arr: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "mx.test"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.AllowInsecureAuth = !opts.TLS
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	if opts.TLS {
		cert, pool := selfSigned(t)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		s.RootCAs = pool
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	if opts.TLS && opts.Implicit {
		l = tls.NewListener(l, srv.TLSConfig)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return s
}

// Down makes the server refuse every new session with 421; Up ends that.
func (s *Server) Down() { s.mu.Lock(); s.down = true; s.mu.Unlock() }

// Up makes the server accept sessions again.
func (s *Server) Up() { s.mu.Lock(); s.down = false; s.mu.Unlock() }

// Messages returns the messages accepted so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Wait returns once n messages were accepted, or fails the test after d.
func (s *Server) Wait(t testing.TB, n int, d time.Duration) []Message {
	t.Helper()
	timeout := time.After(d)
	for {
		s.mu.Lock()
		got, arr := len(s.msgs), s.arr
		s.mu.Unlock()
		if got >= n {
			return s.Messages()
		}
		select {
		case <-arr:
		case <-timeout:
			t.Fatalf("smtptest: %d messages after %s, want %d", got, d, n)
		}
	}
}

var errDown = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Service not available, try again later"}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down {
		return nil, errDown
	}
	return &session{s: s, c: c}, nil
}

type session struct {
	s    *Server
	c    *smtp.Conn
	user string
	msg  Message
}

func (x *session) AuthMechanisms() []string {
	if x.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != x.s.opts.Username || pass != x.s.opts.Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		x.user = user
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.opts.Username != "" && x.user == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	x.msg = Message{From: from}
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.msg.To = append(x.msg.To, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(x.msg.To) == 0 {
		return errors.New("no recipients")
	}
	_, isTLS := x.c.TLSConnectionState()
	x.msg.Data, x.msg.TLS, x.msg.User = bytes.Clone(b), isTLS, x.user
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, x.msg)
	close(x.s.arr)
	x.s.arr = make(chan struct{})
	x.s.mu.Unlock()
	return nil
}

func (x *session) Reset()        { x.msg = Message{} }
func (x *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}
