package webhooktest

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Request is what the test server saw of one request.
type Request struct {
	Method, Path, Query, Host string
	Header                    http.Header
	Body                      []byte
}

// Server answers the i-th request with handlers[i] (the last one repeats) and records them.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	requests []Request
}

// NewServer starts a Server that the test's cleanup closes. Before closing it, the cleanup
// cancels the context of every request still being handled, so a handler that waits on
// r.Context() (Hang) lets the server close.
func NewServer(t testing.TB, handlers ...http.HandlerFunc) *Server {
	t.Helper()
	s := &Server{}
	stop, stopAll := context.WithCancel(context.Background())
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		n := len(s.requests)
		s.requests = append(s.requests, Request{r.Method, r.URL.Path, r.URL.RawQuery, r.Host, r.Header.Clone(), body})
		s.mu.Unlock()
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		defer context.AfterFunc(stop, cancel)()
		handlers[min(n, len(handlers)-1)](w, r.WithContext(ctx))
	}))
	t.Cleanup(func() {
		stopAll()
		s.Close()
	})
	return s
}

// Seen returns the requests received so far.
func (s *Server) Seen() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Status answers code with body and the header name/value pairs given.
func Status(code int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

// HangUp drops the connection without answering.
func HangUp(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	conn.Close()
}

// Hang never answers: it returns when the client gives up or the test ends.
func Hang(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// Echo answers code with the credentials the request carried: the basic-auth password,
// the Authorization header and the URL with its query, as a careless server might.
func Echo(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, pw, _ := r.BasicAuth()
		w.WriteHeader(code)
		io.WriteString(w, pw+" "+r.Header.Get("Authorization")+" "+r.URL.String())
	}
}

// ClosedAddr is a host:port on 127.0.0.1 that nothing listens on: connections are refused.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
