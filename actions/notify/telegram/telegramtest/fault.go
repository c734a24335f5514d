package telegramtest

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
)

// Fault is a failure the server plays instead of answering a request. Build one with
// TooManyRequests, ServerError, ServerErrorHTML, APIError, Hang or Drop, and queue it with
// Inject, Fail or FailAt.
type Fault struct {
	kind        faultKind
	status      int
	retryAfter  int
	description string
}

type faultKind int

const (
	faultJSON faultKind = iota // an {"ok":false} answer
	faultHTML                  // an nginx error page
	faultHang
	faultDrop
)

// TooManyRequests is Telegram's flood control: 429 "Too Many Requests: retry after N" with
// parameters.retry_after = N. go-telegram/bot returns it as *bot.TooManyRequestsError.
func TooManyRequests(retryAfterSeconds int) Fault {
	return Fault{
		kind:        faultJSON,
		status:      http.StatusTooManyRequests,
		retryAfter:  retryAfterSeconds,
		description: "Too Many Requests: retry after " + strconv.Itoa(retryAfterSeconds),
	}
}

// ServerError answers status, a 5xx, with a JSON error body such as
// {"ok":false,"error_code":500,"description":"Internal Server Error"}.
func ServerError(status int) Fault {
	if status < 500 || status > 599 {
		panic(fmt.Sprintf("telegramtest.ServerError(%d): want a 5xx status", status))
	}
	return Fault{kind: faultJSON, status: status, description: http.StatusText(status)}
}

// ServerErrorHTML answers status, a 5xx, with the HTML page nginx serves in front of the
// Bot API (api.telegram.org answers 502 Bad Gateway that way at times): a body that is not
// JSON, which clients must survive.
func ServerErrorHTML(status int) Fault {
	if status < 500 || status > 599 {
		panic(fmt.Sprintf("telegramtest.ServerErrorHTML(%d): want a 5xx status", status))
	}
	return Fault{kind: faultHTML, status: status, description: http.StatusText(status)}
}

// APIError answers any {"ok":false} error, for the ones the server does not produce by
// itself, e.g. APIError(403, "Forbidden: bot was blocked by the user").
func APIError(status int, description string) Fault {
	return Fault{kind: faultJSON, status: status, description: description}
}

// Hang never answers: the request stays open until its client gives up (its context ends or
// its timeout passes) or the server closes, which then drops the connection.
func Hang() Fault { return Fault{kind: faultHang} }

// Drop reads the request, then closes the connection without answering: the client gets a
// transport error such as EOF.
func Drop() Fault { return Fault{kind: faultDrop} }

// String names the fault as Request.Fault shows it.
func (f Fault) String() string {
	switch f.kind {
	case faultHang:
		return "Hang"
	case faultDrop:
		return "Drop"
	case faultHTML:
		return fmt.Sprintf("ServerErrorHTML(%d)", f.status)
	}
	switch {
	case f.status == http.StatusTooManyRequests && f.retryAfter != 0:
		return fmt.Sprintf("TooManyRequests(%d)", f.retryAfter)
	case f.status >= 500 && f.description == http.StatusText(f.status):
		return fmt.Sprintf("ServerError(%d)", f.status)
	}
	return fmt.Sprintf("APIError(%d, %q)", f.status, f.description)
}

// Inject makes the next requests that have no fault planned yet fail with faults, one each,
// in order; requests after them are answered normally again. Every request the server
// receives counts, whatever its method or token.
func (s *Server) Inject(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := 0
	for _, f := range faults {
		for i < len(s.slots) && s.slots[i] != nil {
			i++
		}
		if i == len(s.slots) {
			s.slots = append(s.slots, nil)
		}
		s.slots[i] = &f
	}
}

// Fail makes the next n requests that have no fault planned yet fail with f: an outage
// that lasts n calls.
func (s *Server) Fail(n int, f Fault) {
	faults := make([]Fault, n)
	for i := range faults {
		faults[i] = f
	}
	s.Inject(faults...)
}

// FailAt makes the n-th request from now (1 is the next one) fail with f, replacing any
// fault planned for it; the requests before it are unaffected.
func (s *Server) FailAt(n int, f Fault) {
	if n < 1 {
		panic(fmt.Sprintf("telegramtest: FailAt(%d): the first request is 1", n))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.slots) < n {
		s.slots = append(s.slots, nil)
	}
	s.slots[n-1] = &f
}

// nextFault takes the plan for the request being served.
func (s *Server) nextFault() *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.slots) == 0 {
		return nil
	}
	f := s.slots[0]
	s.slots = s.slots[1:]
	return f
}

// nginxPage is the page nginx serves for an error status.
const nginxPage = "<html>\r\n<head><title>%[1]d %[2]s</title></head>\r\n<body>\r\n<center><h1>%[1]d %[2]s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, req Request, f *Fault) {
	switch f.kind {
	case faultJSON:
		a := apiError(f.status, f.description)
		if f.retryAfter != 0 {
			a.params = &responseParameters{RetryAfter: f.retryAfter}
		}
		req.Status, req.Description = a.status, a.description
		s.record(req, nil)
		a.write(w)
	case faultHTML:
		req.Status, req.Description = f.status, f.description
		s.record(req, nil)
		page := fmt.Sprintf(nginxPage, f.status, http.StatusText(f.status))
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		w.WriteHeader(f.status)
		w.Write([]byte(page))
	case faultHang:
		s.addHanging(1)
		defer s.addHanging(-1)
		select {
		case <-r.Context().Done():
			req.Description = "hung until the connection closed"
			s.record(req, nil)
		case <-s.quit:
			req.Description = "hung until the server closed"
			s.record(req, nil)
			hangUp(w)
		}
	case faultDrop:
		req.Description = "connection dropped"
		s.record(req, nil)
		hangUp(w)
	}
}

// hangUp closes the request's connection without a word; returning from a handler without
// writing would answer 200 with an empty body instead.
func hangUp(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
		return
	}
	panic(http.ErrAbortHandler) // not hijackable (HTTP/2): abort the stream
}

// Down takes the server off the network: its listening socket closes, so new connections
// are refused as by a host that is down, and open connections (idle keep-alives, hung
// requests) are cut. Up brings it back on the same address.
func (s *Server) Down() {
	if s.gate.down() {
		s.http.CloseClientConnections()
	}
}

// Up undoes Down. If the port was taken in the meantime it panics, since the test cannot
// go on meaningfully.
func (s *Server) Up() {
	if err := s.gate.up(); err != nil {
		panic(fmt.Sprintf("telegramtest: Up: %v", err))
	}
}

// gate is the server's listener: it can close its socket and open it again on the same
// address, and meanwhile Accept waits instead of failing, which would stop the server.
type gate struct {
	addr net.Addr

	mu     sync.Mutex
	ln     net.Listener  // nil while down
	isUp   chan struct{} // closed while up
	closed bool
	done   chan struct{} // closed by Close
}

func newGate(ln net.Listener) *gate {
	up := make(chan struct{})
	close(up)
	return &gate{addr: ln.Addr(), ln: ln, isUp: up, done: make(chan struct{})}
}

func (g *gate) Accept() (net.Conn, error) {
	for {
		g.mu.Lock()
		ln, isUp, closed := g.ln, g.isUp, g.closed
		g.mu.Unlock()
		if closed {
			return nil, net.ErrClosed
		}
		if ln == nil {
			select {
			case <-isUp:
			case <-g.done:
			}
			continue
		}
		conn, err := ln.Accept()
		if err == nil {
			return conn, nil
		}
		g.mu.Lock()
		replaced := g.ln != ln || g.closed
		g.mu.Unlock()
		if !replaced {
			return nil, err
		}
		// Closed by down or Close: look again.
	}
}

// down closes the socket; it reports whether the gate was up.
func (g *gate) down() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ln == nil || g.closed {
		return false
	}
	g.ln.Close()
	g.ln = nil
	g.isUp = make(chan struct{})
	return true
}

func (g *gate) up() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ln != nil || g.closed {
		return nil
	}
	ln, err := net.Listen("tcp", g.addr.String())
	if err != nil {
		return err
	}
	g.ln = ln
	close(g.isUp)
	return nil
}

func (g *gate) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	g.closed = true
	close(g.done)
	if g.ln != nil {
		return g.ln.Close()
	}
	return nil
}

func (g *gate) Addr() net.Addr { return g.addr }
