package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/notimon/notimon/dsl"
)

// Options configure a Server.
type Options struct {
	// Config is the server block; Apply replaces it at each reload.
	Config *dsl.Server
	// StateDir is the state directory the page reads (engine/status) and its forms write
	// (engine/control).
	StateDir string
	// Rules returns the rules running now (the page shows their severities and values);
	// nil, or a nil result, shows the rules of the state directory alone.
	Rules func() *dsl.Config
	// API serves /api/v1/ (engine/status's handler); nil: 404.
	API http.Handler
	// Metrics serves /metrics (server/metrics's handler); nil: 404.
	Metrics http.Handler
	Logger  *slog.Logger
	Now     func() time.Time
}

// Server is the HTTP server of the `server` block.
type Server struct {
	opts    Options
	log     *slog.Logger
	auth    *auth
	handler http.Handler
	ready   atomic.Bool
	cfg     atomic.Pointer[dsl.Server]
	cert    atomic.Pointer[tls.Certificate]

	mu   sync.Mutex // guards the listener
	srv  *http.Server
	ln   net.Listener
	done chan struct{} // closed when the current Serve returns
}

// New builds a server for o.Config; Start opens its listener.
func New(o Options) (*Server, error) {
	if o.Config == nil {
		return nil, errors.New("server: no server block")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{opts: o, log: o.Logger}
	s.auth = newAuth(s.log, o.Now)
	if err := s.auth.set(o.Config); err != nil {
		return nil, err
	}
	s.cfg.Store(o.Config)
	s.handler = s.routes()
	return s, nil
}

// Handler is the whole server as an http.Handler: auth, cross-origin protection and every
// endpoint (tests drive it through httptest).
func (s *Server) Handler() http.Handler { return s.handler }

// SetReady marks the daemon ready: /-/ready answers 200 from the first tick on.
func (s *Server) SetReady() { s.ready.Store(true) }

// Start opens the listener of the current configuration and serves on it in the
// background. An address in use or unreadable TLS files are errors.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startLocked(s.cfg.Load())
}

func (s *Server) startLocked(c *dsl.Server) error {
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("server: listen on %s: %w", c.Listen, err)
	}
	if c.TLSCertFile != "" {
		if err := s.loadCert(c); err != nil {
			ln.Close()
			return err
		}
		ln = tls.NewListener(ln, &tls.Config{
			MinVersion: tls.VersionTLS12,
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
				return s.cert.Load(), nil
			},
		})
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		// Handshake failures and broken connections from scanners are noise: debug level.
		ErrorLog: log.New(debugWriter{s.log}, "", 0),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("server stopped", "err", err)
		}
	}()
	s.srv, s.ln, s.done = srv, ln, done
	scheme := "http"
	if c.TLSCertFile != "" {
		scheme = "https"
	}
	s.log.Info("server listening", "addr", ln.Addr().String(), "url", fmt.Sprintf("%s://%s/", scheme, ln.Addr()),
		"auth", c.HtpasswdFile != "", "read_only", c.ReadOnly)
	return nil
}

func (s *Server) loadCert(c *dsl.Server) error {
	cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
	if err != nil {
		return fmt.Errorf("server: TLS: %w", err)
	}
	s.cert.Store(&cert)
	return nil
}

// Addr is the address listened on (the port chosen for port 0), or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Apply swaps in the server block of reloaded rules: the users (htpasswd read again at
// load) and read_only at once; a changed listen address, or TLS turned on or off, restarts
// the listener, and with TLS on the certificate and key are read again. When the new
// listener or certificate cannot be had, the old ones stay (logged, and returned), and the
// rest of c applies.
func (s *Server) Apply(c *dsl.Server) error {
	if c == nil {
		return errors.New("server: no server block")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.cfg.Load()
	tlsOn := func(c *dsl.Server) bool { return c.TLSCertFile != "" }
	restart := s.ln != nil && (old.Listen != c.Listen || tlsOn(old) != tlsOn(c))
	// keepListener keeps the running listener's settings, and applies the rest of c.
	var failed error
	keepListener := func(err error) {
		failed = err
		k := *c
		k.Listen, k.TLSCertFile, k.TLSKeyFile = old.Listen, old.TLSCertFile, old.TLSKeyFile
		c = &k
	}
	switch {
	case restart:
		prev := *old
		prev.Listen = s.ln.Addr().String() // the port it had, also when listen asked for 0
		s.stopLocked(time.Second)          // first: the new address may use the same port
		if err := s.startLocked(c); err != nil {
			s.log.Error("server: cannot listen with the reloaded settings; the previous ones stay", "err", err)
			if err2 := s.startLocked(&prev); err2 != nil {
				s.log.Error("server: cannot listen again with the previous settings", "err", err2)
			}
			keepListener(err)
		}
	case tlsOn(c):
		// Same listener: a renewed certificate is served from the next handshake on.
		if err := s.loadCert(c); err != nil {
			s.log.Error("server: cannot load the reloaded TLS files; the previous certificate stays", "err", err)
			keepListener(err)
		}
	}
	if err := s.auth.set(c); err != nil {
		return errors.Join(failed, err)
	}
	s.cfg.Store(c)
	return failed
}

// Close stops the listener, letting requests in progress finish for up to grace.
func (s *Server) Close(grace time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked(grace)
}

func (s *Server) stopLocked(grace time.Duration) {
	if s.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.srv.Close()
	}
	<-s.done
	s.srv, s.ln, s.done = nil, nil, nil
}

// debugWriter sends net/http's own log lines to slog at debug level.
type debugWriter struct{ log *slog.Logger }

func (d debugWriter) Write(p []byte) (int, error) {
	d.log.Debug("http server", "msg", string(trimNL(p)))
	return len(p), nil
}

func trimNL(p []byte) []byte {
	for len(p) > 0 && p[len(p)-1] == '\n' {
		p = p[:len(p)-1]
	}
	return p
}

var _ io.Writer = debugWriter{}
