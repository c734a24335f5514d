package tcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/notimon/notimon/spec"
)

// DefaultTimeout bounds one connect when the block sets no timeout.
const DefaultTimeout = 5 * time.Second

// Config is one tcp probe, checked by FromAttrs.
type Config struct {
	Address string        // host:port; the host may be a name, an IPv4 or a [bracketed] IPv6 address
	Timeout time.Duration // DefaultTimeout when 0
}

// FromAttrs builds a Config from a probe block's decoded attributes: address (string) and
// timeout (time.Duration).
func FromAttrs(attrs map[string]any) (Config, error) {
	c := Config{Timeout: DefaultTimeout}
	err := block.Each("a tcp probe", attrs, func(k string, v any) (err error) {
		switch k {
		case "address":
			c.Address, err = spec.As[string](k, v)
		case "timeout":
			c.Timeout, err = spec.Duration(k, v, DefaultTimeout)
		}
		return err
	})
	if err != nil {
		return Config{}, err
	}
	return c, c.check()
}

func (c Config) check() error {
	if c.Address == "" {
		return errors.New("address is missing")
	}
	host, port, err := net.SplitHostPort(c.Address)
	if err != nil {
		return fmt.Errorf("address %q is not host:port (an IPv6 address goes in brackets: [::1]:5432)", c.Address)
	}
	if host == "" {
		// Go would dial the local system; say so rather than guess.
		return fmt.Errorf("address %q has no host; write 127.0.0.1%s for this machine", c.Address, c.Address)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("address %q: port %q is not a number from 1 to 65535", c.Address, port)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("timeout %v is negative", c.Timeout)
	}
	return nil
}

// errTimedOut is the cause of Sample's own deadline, to tell it from the caller's.
var errTimedOut = errors.New("timed out")

// Sample connects to c.Address and closes the connection. It returns within c.Timeout, or
// earlier when ctx ends. now is unused (a connect has no time of its own to report) and
// kept so every named probe samples the same way.
func Sample(ctx context.Context, c Config, now time.Time) Values {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errTimedOut)
	defer cancel()
	var d net.Dialer
	start := time.Now()
	conn, err := d.DialContext(ctx, "tcp", c.Address)
	latency := time.Since(start)
	if err != nil {
		return Values{Error: describe(ctx, err, timeout)}
	}
	conn.Close()
	return Values{Up: true, LatencyMs: float64(latency) / float64(time.Millisecond)}
}

// describe turns a dial error into the few words a message shows.
func describe(ctx context.Context, err error, timeout time.Duration) string {
	var (
		dns *net.DNSError
		ne  net.Error
		op  *net.OpError
	)
	switch {
	case ctx.Err() != nil && context.Cause(ctx) == errTimedOut:
		return fmt.Sprintf("timeout after %v", timeout)
	case ctx.Err() != nil:
		return fmt.Sprintf("canceled (%v)", context.Cause(ctx))
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return "no such host " + dns.Name
		}
		return fmt.Sprintf("DNS lookup of %s failed: %s", dns.Name, dns.Err)
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("timeout after %v", timeout)
	case errors.As(err, &op) && op.Err != nil:
		// "dial tcp 10.0.0.1:5432: connect: network is unreachable" → the last part.
		msg := op.Err.Error()
		return strings.TrimPrefix(msg, "connect: ")
	}
	return err.Error()
}

// as returns v as a T, or an error naming the attribute and both types.
